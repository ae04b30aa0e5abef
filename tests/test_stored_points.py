"""Points stored by earlier code still load: tests/fixtures/stored_points.json holds points as
the space wrote them before its families moved into search_space/families/ (point.json text,
the flat params MLflow gives back as strings, the key that names a trial, and its counts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_space import PRESETS, Net, complexity

STORED = json.loads((Path(__file__).parent / "fixtures" / "stored_points.json").read_text())


@pytest.mark.parametrize("stored", STORED, ids=[p["preset"] or p["key"] for p in STORED])
def test_a_stored_point_loads_as_the_same_point(stored):
    net = Net.from_json(stored["json"])
    assert Net.from_flat(stored["flat"]) == net
    assert net.key() == stored["key"]  # the same trial identity: a resume finds its runs
    assert net.to_json() == stored["json"]
    if stored["preset"]:
        assert PRESETS[stored["preset"]] == net
    cx = complexity(net, tuple(stored["input_size"]))
    assert (cx.params, cx.macs) == (stored["params"], stored["macs"])

"""Points stored by earlier code still load: tests/fixtures/stored_points.json holds points as
the space wrote them before its families moved into search_space/families/ (point.json text,
the flat params MLflow gives back as strings, the key that names a trial, and its counts)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from search_space import PRESETS, Net, complexity

STORED = json.loads((Path(__file__).parent / "fixtures" / "stored_points.json").read_text())

# Stored points that carry a value with no effect on what they build, whose key is the
# canonical one (Net.canonical) since keys stopped counting such values: a resume of their
# trials retrains them once rather than pool two keys for one net. The reason for each:
CANONICAL_KEY = {
    "mobilenet_v2_cifar": "round_to=8 at width 1, every width a multiple of 8 already",
    "alexnet": "pool 2x2 on its stride-1 layers, which have no pool; its pools are 3x3",
    "c84d7ca8accfbddf": "reduction widths on naive Inception modules, which have none",
}


@pytest.mark.parametrize("stored", STORED, ids=[p["preset"] or p["key"] for p in STORED])
def test_a_stored_point_loads_as_the_same_point(stored):
    net = Net.from_json(stored["json"])
    assert Net.from_flat(stored["flat"]) == net
    if (stored["preset"] or stored["key"]) in CANONICAL_KEY:
        assert net.canonical() != net
        assert hashlib.sha256(net.to_json().encode()).hexdigest()[:16] == stored["key"]
        assert net.key() == net.canonical().key() != stored["key"]
    else:
        assert net.key() == stored["key"]  # the same trial identity: a resume finds its runs
    assert net.to_json() == stored["json"]
    if stored["preset"]:
        assert PRESETS[stored["preset"]] == net
    cx = complexity(net, tuple(stored["input_size"]))
    assert (cx.params, cx.macs) == (stored["params"], stored["macs"])

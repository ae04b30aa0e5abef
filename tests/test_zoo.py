"""`make zoo` prints and writes every preset."""

from __future__ import annotations

import pandas as pd

from search_space import PRESETS
from search_space.zoo import main


def test_zoo_writes_every_preset(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "z")]) == 0
    table = pd.read_csv(tmp_path / "z" / "zoo.csv")
    assert list(table["name"]) == list(PRESETS)
    assert table.loc[table.name == "resnet50", "params"].item() == 25_557_032
    assert (tmp_path / "z" / "zoo.md").read_text().count("\n") == len(PRESETS) + 2
    assert "resnet50" in capsys.readouterr().out


def test_zoo_bad_out_folder_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["--out", str(blocker / "sub")]) == 2
    assert "cannot create" in capsys.readouterr().err

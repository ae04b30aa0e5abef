"""`make zoo`: a table of every preset (family, params, MACs, activations at its native size).

    python -m search_space.zoo [--out DIR]    # prints the table, writes DIR/zoo.csv and zoo.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from .counting import complexity
from .presets import PRESET_INFO, PRESETS


def zoo_table() -> pd.DataFrame:
    rows = []
    for name, net in PRESETS.items():
        info = PRESET_INFO[name]
        cx = complexity(net, info.input_size)
        rows.append({
            "name": name,
            "architecture": info.architecture,
            "family": info.family,
            "input": "x".join(map(str, info.input_size)),
            "params": cx.params,
            "MACs (M)": round(cx.macs / 1e6, 1),
            "activations (M)": round(cx.activations / 1e6, 2),
            "source": info.source,
        })
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search_space.zoo", description=__doc__)
    parser.add_argument("--out", default="reports", help="folder for zoo.csv and zoo.md")
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"error: cannot create --out folder {out}: {e.strerror}", file=sys.stderr)
        return 2
    table = zoo_table()
    markdown = table.to_markdown(index=False, floatfmt=",g", intfmt=",")
    print(markdown)
    table.to_csv(out / "zoo.csv", index=False)
    (out / "zoo.md").write_text(markdown + "\n")
    print(f"\n{len(table)} presets -> {out / 'zoo.csv'}, {out / 'zoo.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python -m analysis summary NAME | report NAME [--out reports] | calibrate NAME [--out results]
(NAME: a study, or its file)"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studies import checks, find_study
from studies.results import grid_order, study_summary
from verdicts.markdown import summary_markdown

from .report import write_calibration, write_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    summary = sub.add_parser("summary", help="the statistics table of a study")
    summary.add_argument("name")
    summary.add_argument("--condition", help="which condition's trials (default: the latest "
                         "invocation's; 'all' for every one)")
    report = sub.add_parser("report", help="write reports/NAME/report.md and log it to MLflow")
    report.add_argument("name")
    report.add_argument("--out", default="reports")
    report.add_argument("--condition", help="as for summary")
    calibrate = sub.add_parser("calibrate", help="A/A calibration of the claim check on one "
                               "point's seeds: results/NAME.{md,json}")
    calibrate.add_argument("name")
    calibrate.add_argument("--out", default="results")
    calibrate.add_argument("--splits", type=int, default=2000)
    calibrate.add_argument("--condition", help="as for summary")
    args = parser.parse_args(argv)
    try:
        if args.command in ("report", "calibrate"):  # before any run is read
            checks.writable_folder(Path(args.out), "--out", "--out")
        if args.command == "summary":
            summary, trials, _ = study_summary(args.name, condition=args.condition)
            print(summary_markdown(summary, grid_order(find_study(args.name), trials), trials))
        elif args.command == "report":
            print(f"wrote {write_report(args.name, args.out, condition=args.condition)}")
        else:
            print(f"wrote {write_calibration(args.name, args.out, args.splits, args.condition)}")
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    from studies.__main__ import run_cli

    run_cli(main)

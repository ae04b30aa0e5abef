"""Analysis: a study's results (studies.results: MLflow runs -> tidy DataFrames) and their
statistics (the verdicts package: means with confidence intervals, paired tests, the claim
check, fixed or group-sequential) as plots, Pareto fronts, a report and the A/A calibration.
It is the top layer: it imports studies and verdicts, and nothing imports it.

Importing the package is cheap: the names below are imported from their modules when first
used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from search_space.lazy import lazy_getattr

if TYPE_CHECKING:
    from studies.results import load_runs  # noqa: F401
    from verdicts.stats import Summary, mean_ci, paired_test, summarize  # noqa: F401

    from .report import write_report  # noqa: F401

__getattr__ = lazy_getattr(__name__, {
    "load_runs": "studies.results", "write_report": "report", "Summary": "verdicts.stats",
    "mean_ci": "verdicts.stats", "paired_test": "verdicts.stats",
    "summarize": "verdicts.stats"})

__all__ = ["Summary", "load_runs", "mean_ci", "paired_test", "summarize", "write_report"]

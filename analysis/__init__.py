"""Analysis: MLflow runs -> tidy DataFrames -> means with confidence intervals, paired tests,
the claim check (fixed or group-sequential), Pareto fronts, plots and a report.

Importing the package is cheap: the names below are imported from their modules when first
used, so the study driver can use the claim check without loading the plotting stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from search_space.lazy import lazy_getattr

if TYPE_CHECKING:
    from .load import load_runs  # noqa: F401
    from .report import write_report  # noqa: F401
    from .stats import Summary, mean_ci, paired_test, summarize  # noqa: F401

__getattr__ = lazy_getattr(__name__, {
    "load_runs": "load", "write_report": "report", "Summary": "stats", "mean_ci": "stats",
    "paired_test": "stats", "summarize": "stats"})

__all__ = ["Summary", "load_runs", "mean_ci", "paired_test", "summarize", "write_report"]

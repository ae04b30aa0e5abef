"""Analysis: MLflow runs -> tidy DataFrames -> means with confidence intervals, paired tests,
Pareto fronts, plots and a report."""

from .load import load_runs
from .report import write_report
from .stats import Summary, mean_ci, paired_test, summarize

__all__ = ["Summary", "load_runs", "mean_ci", "paired_test", "summarize", "write_report"]

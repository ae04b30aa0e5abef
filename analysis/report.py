"""`make report name=NAME`: reports/NAME/report.md with tables and plots, logged to the
study's latest parent MLflow run."""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from studies import find_study, tracking

from . import plots
from .claim_check import effect_text, reading
from .load import load_runs
from .stats import Summary, summarize


def study_summary(name: str, metric: str | None = None, condition: str | None = None
                  ) -> tuple[Summary, pd.DataFrame, pd.DataFrame]:
    """`name`: a catalogue study, a study file, or any MLflow experiment of studies' runs;
    `condition`: see load_runs (default: the latest invocation's)."""
    study = find_study(name)
    trials, history = load_runs(study.name if study else name, condition=condition)
    metric = metric or (study.metric if study else "val_error")
    summary = summarize(trials, metric, baseline=study.baseline if study else None,
                        pairs=study.claim_pairs if study else ())
    return summary, trials, history


def summary_markdown(summary: Summary) -> str:
    """The tables of a summary as markdown (variants; paired tests; claim check)."""
    parts = []
    v = summary.variants.copy()
    if v.empty:
        return "No finished trials yet."
    if summary.replicates < 2:  # intervals and tests need two replicates of every variant
        v = v.drop(columns=["std", "ci_low", "ci_high"])
        parts.append(f"{summary.replicates} seed per variant: no statistics; use seeds>=2 "
                     "(set=\"seeds=N\") for intervals and tests")
    v["MACs (M)"] = (v.pop("macs") / 1e6).round(2)
    v["params"] = v["params"].round().astype("Int64")
    v = v.rename(columns={"mean": f"mean {summary.metric}", "ci_low": "CI low",
                          "ci_high": "CI high"})
    parts.append(v.to_markdown(index=False, floatfmt=".4f"))
    if not summary.paired.empty:
        p = summary.paired.rename(columns={
            "mean_diff": "mean diff", "ci_low": "CI low", "ci_high": "CI high",
            "t_p": "paired t p", "wilcoxon_p": "Wilcoxon p", "effect_size": "effect d_z",
            "t_p_adjusted": "t p (BH-adjusted)"})
        parts.append(f"Paired differences against the baseline across seeds "
                     f"({summary.metric}, variant - baseline):\n\n"
                     + p.to_markdown(index=False, floatfmt=".4g"))
    if not summary.claim.empty:
        c = summary.claim.copy()
        for column in ("mean_diff", "ci_low", "ci_high", "sd", "mde"):
            c[column] = c[column].map(lambda v: effect_text(summary.metric, v))
        c = c[["better", "worse", "n", "test", "correlation", "sd", "mean_diff", "ci_low",
               "ci_high", "p", "level", "mde", "verdict"]].rename(columns={
            "correlation": "r (paired errors)", "sd": "sd of diff", "mean_diff": "mean diff",
            "ci_low": "CI low", "ci_high": "CI high", "level": "decides at p <",
            "mde": "detectable (80% power)"})
        parts.append("Claim check (each pair as the claim orders it, better first; a negative "
                     f"difference agrees; {summary.design.describe()}):\n\n"
                     + c.to_markdown(index=False, floatfmt=".3g"))
        parts.append("\n".join(f"- {row.better} vs {row.worse}: "
                                f"{reading(row._asdict(), summary.metric)}"
                                for row in summary.claim.itertuples()))
        parts.append(f"**Verdict at this budget: {summary.verdict}.**")
    return "\n\n".join(parts)


def write_report(name: str, out: str | Path = "reports", *, log_to_mlflow: bool = True,
                 condition: str | None = None) -> Path:
    """Write reports/NAME/report.md and its PNGs (atomically: all or nothing)."""
    summary, trials, history = study_summary(name, condition=condition)
    if trials.empty:
        raise ValueError(f"study {name}: its latest invocation has no trials yet; run it "
                         "(make study) or pick a condition with condition=KEY|all")
    study = find_study(name)
    name = study.name if study else name
    final = Path(out) / name
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=final.parent))
    try:
        figures = [
            plots.ablation_bars(summary, staging / "ablation.png"),
            plots.learning_curves(history, staging / "learning_curves.png", summary.metric),
            plots.error_vs_cost(summary, staging / "error_vs_macs.png", "macs"),
            plots.error_vs_cost(summary, staging / "error_vs_params.png", "params"),
            plots.error_edf(trials, staging / "error_edf.png", summary.metric),
        ]
        (staging / "report.md").write_text(_markdown(name, study, summary, trials, figures))
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if log_to_mlflow:
        client = tracking.client()
        exp_id = tracking.find_experiment(client, name)
        parent = tracking.latest_parent(client, exp_id) if exp_id else None
        if parent:
            tracking.log_report(client, parent, str(final))
    return final / "report.md"


def _markdown(name, study, summary: Summary, trials: pd.DataFrame, figures) -> str:
    statuses = trials["status"].value_counts().to_dict() if not trials.empty else {}
    budget = ", ".join(sorted(trials["budget"].dropna().unique())) if "budget" in trials else "-"
    lines = [f"# {name}", ""]
    if study is not None:
        lines += [f"**Claim.** {study.claim}", "", f"**Source.** {study.source}", "",
                  f"**Base preset.** `{study.base}`; dataset `{study.dataset}`; metric "
                  f"`{summary.metric}` (lower is better); baseline `{study.baseline or '-'}`.", ""]
    overrides = sorted(trials["overrides"].dropna().unique()) if "overrides" in trials else []
    typed = f' set="{overrides[0]}"' if len(overrides) == 1 and overrides[0] else ""
    lines += [f"**Command.** `make study name={name} budget={budget}{typed}` then "
              f"`make report name={name}`", "",
              f"**Hardware.** {hardware(trials)}", "",
              f"**Trials.** {len(trials)} ({', '.join(f'{k}: {v}' for k, v in statuses.items())});"
              f" budget {budget}.", "", "## Results", "", summary_markdown(summary), "",
              "## Figures", ""]
    lines += [f"![{f.stem}]({f.name})" for f in figures]
    return "\n".join(lines) + "\n"


def hardware(trials: pd.DataFrame) -> str:
    """Where the trials ran: CPU model and cores, device, precision, Python and torch."""
    def values(column: str) -> str:
        found = sorted(trials[column].dropna().unique()) if column in trials else []
        return ", ".join(str(v) for v in found if str(v)) or "-"

    return (f"{cpu_model()}, {os.cpu_count()} CPU cores; device {values('device')}, precision "
            f"{values('precision')}; Python {platform.python_version()}, torch "
            f"{_version('torch')}")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def write_calibration(name: str, out: str | Path = "results", splits: int = 2000,
                      condition: str | None = None) -> Path:
    """results/NAME.md and results/NAME.json: the claim check's false-positive rate measured
    on a study that trains one point with many seeds (aa_calibration)."""
    import json

    from .calibration import aa_calibration, aa_markdown

    if splits < 1:
        raise ValueError(f"--splits {splits} must be >= 1")
    study = find_study(name)
    name = study.name if study else name
    trials, _ = load_runs(name, condition=condition)
    metric = study.metric if study else "val_error"
    result = aa_calibration(trials, metric, splits=splits)
    result["condition"] = str(trials["condition"].iloc[0]) if "condition" in trials else ""
    result["hardware"] = hardware(trials)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    command = f"make study name={name} && python -m analysis calibrate {name}"
    (folder / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (folder / f"{name}.md").write_text(aa_markdown(name, result, command))
    return folder / f"{name}.md"

"""`make report name=NAME`: reports/NAME/report.md with tables and plots, logged to the
study's latest parent MLflow run."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from studies import find_study, schema, tracking
from studies.results import grid_order, load_runs, study_summary
from verdicts.learned import chance_level
from verdicts.markdown import summary_markdown
from verdicts.stats import Summary

from . import plots


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
        chance = chance_level(study.dataset if study else "fashion_mnist", summary.metric)
        figures = [
            plots.claim_estimation(summary, trials, staging / "claim.png"),
            plots.variant_values(summary, trials, staging / "variants.png", chance),
            plots.learning_curves(history, staging / "learning_curves.png", summary.metric,
                                  chance=chance),
            plots.error_vs_cost(summary, staging / "error_vs_macs.png", "macs", chance),
            plots.error_vs_cost(summary, staging / "error_vs_params.png", "params", chance),
            plots.error_edf(trials, staging / "error_edf.png", summary.metric),
        ]
        figures = [f for f in figures if f is not None]  # no claim pair: no estimation plot
        text = _markdown(name, study, summary, trials, figures)
        (staging / "report.md").write_text(text)
        (staging / "report.html").write_text(self_contained_html(text, staging, name))
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
            tracking.log_report(client, parent, str(final), parent_results(summary))
    return final / "report.md"


def self_contained_html(text: str, folder: Path, title: str) -> str:
    """The markdown report as one HTML page with its figures inlined (data URIs), so it renders
    on its own: in MLflow's artifact view, a browser, an e-mail."""
    import base64
    import html
    import re

    import markdown

    body = markdown.markdown(text, extensions=["tables"])

    def inline(match: re.Match) -> str:
        data = base64.b64encode((folder / match.group(1)).read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    body = re.sub(r'src="([\w.-]+\.png)"', inline, body)
    style = ("body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:.2em .5em;text-align:right}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>{body}</body></html>\n")


def parent_results(summary: Summary) -> tuple[dict[str, float], dict[str, str]]:
    """What the parent run shows in the UI's table: per variant n, mean and interval as
    metrics; the verdict (and each claim pair's) as tags."""
    import re

    metrics: dict[str, float] = {}
    for row in summary.variants.itertuples():
        name = re.sub(r"[^\w./ :-]", "_", str(row.variant))  # MLflow's allowed metric names
        for field in ("n", "mean", "ci_low", "ci_high"):
            value = getattr(row, field, None)
            if value is not None and pd.notna(value):
                metrics[f"{name}/{field}"] = float(value)
    tags = {schema.VERDICT: summary.verdict} if summary.verdict else {}
    if not summary.claim.empty:
        tags[schema.PAIR_VERDICTS] = "; ".join(
            f"{r.better} vs {r.worse}: {r.verdict}" for r in summary.claim.itertuples())
    return metrics, tags


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
              *([f"**Optuna's dashboard.** `make dashboard name={name}` serves the search's "
                 "Optuna studies (every sampled point, its parameters and objectives, Optuna's "
                 "plots) at http://127.0.0.1:8080/dashboard", ""]
                if study is not None and study.kind == "search" else []),
              f"**Trials.** {len(trials)} ({', '.join(f'{k}: {v}' for k, v in statuses.items())});"
              f" budget {budget}.", "", "## Results", "",
              summary_markdown(summary, grid_order(study, trials), trials), "",
              "## Figures", ""]
    lines += [f"![{f.stem}]({f.name})" for f in figures]
    return "\n".join(lines) + "\n"


def hardware(trials: pd.DataFrame) -> str:
    """Where the trials ran, from their tags (tracking.machine_tags): CPU model and cores, GPU,
    device, precision, library versions, git commit; "not recorded" for runs without them."""
    def values(column: str) -> str:
        found = sorted(trials[column].dropna().unique()) if column in trials else []
        return "; ".join(str(v) for v in found if str(v)) or "-"

    if "cpu" not in trials or trials["cpu"].dropna().empty:
        return (f"not recorded by these runs (older than the tags); device {values('device')}, "
                f"precision {values('precision')}")
    gpu = values("gpu")
    commits = ", ".join(sorted({str(c)[:12] for c in trials.get("git_commit", pd.Series())
                                .dropna()})) or "-"
    return (f"{values('cpu')}, {values('cores')} CPU cores"
            + (f", GPU {gpu}" if gpu != "-" else ", no GPU")
            + f"; device {values('device')}, precision {values('precision')}; "
            f"{values('versions')}; git commit {commits}")


def write_calibration(name: str, out: str | Path = "results", splits: int = 2000,
                      condition: str | None = None) -> Path:
    """results/NAME.md and results/NAME.json: the claim check's false-positive rate measured
    on a study that trains one point with many seeds (aa_calibration)."""
    import json

    from verdicts.calibration import aa_calibration, aa_markdown

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

"""`make report name=NAME`: reports/NAME/report.md with tables and plots, logged to the
study's latest parent MLflow run."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from studies import find_study, schema, tracking
from studies.results import compared_spaces, grid_order, load_runs, study_summary
from verdicts.distributions import NOT_COMPARED, SpaceComparison
from verdicts.learned import chance_level
from verdicts.markdown import summary_markdown
from verdicts.stats import Summary

from . import plots
from .search import (
    BOOTSTRAPS,
    MIN_TRIALS_FOR_IMPORTANCE,
    best_points,
    importances,
    sampled_axes,
)


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
    searched = SearchResults.of(study, summary, trials)
    spaces = compared_spaces(study, trials, summary.metric) if study else None
    many = bool(searched) or bool(study and study.distribution_claim)  # models, not variants
    try:
        chance = chance_level(study.dataset if study else "fashion_mnist", summary.metric)
        labels = searched.labels if searched else ({} if spaces else None)
        groups = _space_of(trials, spaces.axis) if spaces else None
        figures = [
            plots.claim_estimation(summary, trials, staging / "claim.png"),
            plots.variant_values(summary, trials, staging / "variants.png", chance)
            if not many else None,  # a search's or a space's models: the plots below
            plots.learning_curves(history, staging / "learning_curves.png", summary.metric,
                                  chance=chance) if not many else None,
            plots.error_vs_cost(summary, staging / "error_vs_macs.png", "macs", chance, labels,
                                groups),
            plots.error_vs_cost(summary, staging / "error_vs_params.png", "params", chance,
                                labels, groups),
            plots.parallel_coordinates(trials, sampled_axes(trials), summary.metric,
                                       staging / "parallel_coordinates.png", labels)
            if searched else None,
            plots.error_edf(trials, staging / "error_edf.png", summary.metric,
                            by=f"axis.{spaces.axis}" if spaces else
                            None if searched else "variant"),
        ]
        figures = [f for f in figures if f is not None]  # no claim pair: no estimation plot
        text = _markdown(name, study, summary, trials, figures, searched, spaces)
        if searched:
            searched.best.to_csv(staging / "best_points.csv", index=False)
            searched.importances.to_csv(staging / "importances.csv", index=False)
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
            metrics, tags = parent_results(summary)
            if spaces:
                tags[schema.VERDICT] = spaces.verdict
            if searched:
                metrics |= importance_metrics(searched.importances)
                if not searched.best.empty:
                    front = searched.best[searched.best["front"]]
                    tags[schema.PARETO_SET] = ",".join(front["point"])
            tracking.log_report(client, parent, str(final), (metrics, tags))
    return final / "report.md"


@dataclass(frozen=True)
class SearchResults:
    """A search's best points (with their retrain commands) and its axes' importances."""

    best: pd.DataFrame
    importances: pd.DataFrame

    @property
    def labels(self) -> dict[str, str]:
        """Each best point's label in the figures: its rank in the table, '*' on the front."""
        return {r.point: f"#{r.rank}{'*' if r.front else ''}" for r in self.best.itertuples()}

    @classmethod
    def of(cls, study, summary: Summary, trials: pd.DataFrame) -> SearchResults | None:
        if study is None or study.kind != "search":
            return None
        return cls(best_points(summary, trials, study.name), importances(study, trials))


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
    metrics: dict[str, float] = {}
    for row in summary.variants.itertuples():
        name = _metric_name(row.variant)
        for field in ("n", "mean", "ci_low", "ci_high"):
            value = getattr(row, field, None)
            if value is not None and pd.notna(value):
                metrics[f"{name}/{field}"] = float(value)
    tags = {schema.VERDICT: summary.verdict} if summary.verdict else {}
    if not summary.claim.empty:
        tags[schema.PAIR_VERDICTS] = "; ".join(
            f"{r.better} vs {r.worse}: {r.verdict}" for r in summary.claim.itertuples())
    return metrics, tags


def importance_metrics(table: pd.DataFrame) -> dict[str, float]:
    """A search's fANOVA importances over all points, as the parent run's metrics
    (importance/<axis>)."""
    rows = table[table["subspace"] == "all points"] if not table.empty else table
    return {f"importance/{_metric_name(r.axis)}": float(r.importance)
            for r in rows.itertuples()}


def _metric_name(text) -> str:
    """`text` with the characters MLflow's metric names do not allow as '_'."""
    import re

    return re.sub(r"[^\w./ :-]", "_", str(text))


def _space_of(trials: pd.DataFrame, axis: str) -> dict[str, str]:
    """Each variant's design space (its `axis.<axis>` value)."""
    column = f"axis.{axis}"
    return dict(zip(trials["variant"], trials[column].astype(str), strict=True))


def _markdown(name, study, summary: Summary, trials: pd.DataFrame, figures,
              searched: SearchResults | None = None,
              spaces: SpaceComparison | None = None) -> str:
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
              f" budget {budget}.", "",
              *(["## Design spaces compared", "", spaces.markdown(summary.metric)
                 if spaces else NOT_COMPARED, ""]
                if study is not None and study.distribution_claim else []),
              "## Results", "",
              summary_markdown(summary, grid_order(study, trials), trials), "",
              *(_search_markdown(searched, summary.metric) if searched else []),
              "## Figures", ""]
    lines += [f"![{f.stem}]({f.name})" for f in figures]
    return "\n".join(lines) + "\n"


def _search_markdown(searched: SearchResults, metric: str) -> list[str]:
    """The best points (lowest error, and the Pareto front of error against MACs) with the
    command that retrains each with seeds, and the importances of the sampled axes."""
    best = searched.best
    lines = ["## Best points", ""]
    if best.empty:
        return [*lines, "No finished trials.", ""]
    lines += [f"The {int((best['rank'] <= 5).sum())} of lowest {metric} and the Pareto front "
              f"of {metric} against MACs (front: *), one seed each as the search trained them; "
              "the figures label them by rank. Each command trains the point again with 3 "
              "seeds (an interval) in the experiment NAME_points.", "",
              best.assign(macs=best["macs"] / 1e6, params=best["params"].astype("int64"),
                          front=best["front"].map({True: "*", False: ""}))
              .rename(columns={"macs": "MACs (M)"})
              .drop(columns=["command"]).to_markdown(index=False, floatfmt=".4g"), ""]
    lines += [f"- #{r.rank}: `{r.command}`" for r in best.itertuples()]
    lines += ["", "## Which axes mattered", ""]
    table = searched.importances
    if table.empty:
        return [*lines, f"Not assessed: fewer than {MIN_TRIALS_FOR_IMPORTANCE} finished trials "
                "in every subspace (a forest fitted to fewer says little, and its bootstrap "
                "could not show how little).", ""]
    lines += [f"Optuna's fANOVA evaluator on the finished trials: the share of {metric}'s "
              f"variance each axis explains (sd over {BOOTSTRAPS} resamples of the trials; "
              "pruned and stopped trials left out: they were told to the sampler as the worst "
              "error). Optuna assesses only axes every trial given has, so a conditional axis "
              "is assessed within each group of points that read the same axes (named by those "
              "axes and the families in it). Importance is not direction: the "
              "parallel-coordinates figure shows which values did well.", "",
              table.sort_values(["subspace", "importance"], ascending=[True, False])
              .rename(columns={"importance": "fANOVA share"})
              .to_markdown(index=False, floatfmt=".3f"), ""]
    return lines


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

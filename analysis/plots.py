"""Matplotlib figures (PNG): error vs cost with the Pareto front, learning curves with
confidence bands, error EDFs per design space, ablation bars with confidence intervals."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .stats import Summary, mean_ci  # noqa: E402


def pareto_front(points: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """The points no other point beats on both x and y (lower is better on both)."""
    ordered = points.sort_values([x, y])
    front, best = [], np.inf
    for _, row in ordered.iterrows():
        if row[y] < best:
            front.append(row)
            best = row[y]
    return pd.DataFrame(front)


def error_vs_cost(summary: Summary, path: Path, cost: str = "macs") -> Path:
    """Mean error of each variant against its MACs or params, the Pareto front drawn, every
    point labelled (classic presets carry their names in backbone_zoo)."""
    v = summary.variants.dropna(subset=["mean", cost])
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    if not v.empty:
        errors = [v["mean"] - v["ci_low"], v["ci_high"] - v["mean"]]
        errors = None if v["ci_low"].isna().all() else np.nan_to_num(np.array(errors))
        ax.errorbar(v[cost], v["mean"], yerr=errors, fmt="o", capsize=3, label="variant")
        front = pareto_front(v, cost, "mean")
        ax.step(front[cost], front["mean"], where="post", color="C3", label="Pareto front")
        for _, row in v.iterrows():
            ax.annotate(row["variant"], (row[cost], row["mean"]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log")
    ax.set_xlabel("multiply-adds" if cost == "macs" else "parameters")
    ax.set_ylabel(summary.metric)
    ax.set_title(f"{summary.metric} vs {'MACs' if cost == 'macs' else 'params'}")
    ax.legend(fontsize=8)
    return _save(fig, path)


def learning_curves(history: pd.DataFrame, path: Path, metric: str = "val_error",
                    confidence: float = 0.95) -> Path:
    """Per variant: the mean over seeds of `metric` per epoch, with a t confidence band."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    if not history.empty and metric in history:
        ok = history[history["status"] == "ok"]
        for i, (variant, group) in enumerate(ok.groupby("variant")):
            rows = [(epoch, *mean_ci(g[metric], confidence))
                    for epoch, g in group.groupby("epoch")]
            epochs, means, _, lows, highs = map(np.array, zip(*rows, strict=True))
            ax.plot(epochs, means, marker="o", color=f"C{i}", label=variant)
            if np.isfinite(lows).any():
                ax.fill_between(epochs, lows, highs, color=f"C{i}", alpha=0.2)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per epoch (mean, {int(confidence * 100)}% CI over seeds)")
    ax.legend(fontsize=8)
    return _save(fig, path)


def error_edf(trials: pd.DataFrame, path: Path, metric: str = "val_error",
              by: str = "variant") -> Path:
    """Empirical distribution function of the error per design space (Radosavovic et al.
    2019): the fraction of trials with error below e, as a function of e."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ok = trials[trials["status"] == "ok"] if not trials.empty else trials
    for group_name, group in ok.groupby(by):
        errors = np.sort(group[metric].dropna().to_numpy())
        if len(errors):
            ax.step(errors, np.arange(1, len(errors) + 1) / len(errors), where="post",
                    label=f"{group_name} (n={len(errors)})")
    ax.set_xlabel(metric)
    ax.set_ylabel("cumulative fraction of trials")
    ax.set_title(f"{metric} EDF by {by}")
    ax.legend(fontsize=8)
    return _save(fig, path)


def ablation_bars(summary: Summary, path: Path) -> Path:
    """Mean of each variant with its confidence interval."""
    v = summary.variants
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    if not v.empty:
        low = (v["mean"] - v["ci_low"]).fillna(0).clip(lower=0)
        high = (v["ci_high"] - v["mean"]).fillna(0).clip(lower=0)
        ax.bar(v["variant"], v["mean"], yerr=[low, high], capsize=4, color="C0")
        ax.tick_params(axis="x", rotation=30, labelsize=8)
    ax.set_ylabel(summary.metric)
    ax.set_title(f"{summary.metric} by variant (mean, {int(summary.confidence * 100)}% CI)")
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

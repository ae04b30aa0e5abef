"""Matplotlib figures (PNG): error vs cost with the Pareto front, learning curves with
confidence bands, error EDFs per design space, each variant's seeds beside its mean and interval,
and an estimation plot of each claim pair."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from verdicts.stats import Summary, mean_ci  # noqa: E402


def pareto_front(points: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """The points no other point beats on both x and y (lower is better on both)."""
    ordered = points.sort_values([x, y])
    front, best = [], np.inf
    for _, row in ordered.iterrows():
        if row[y] < best:
            front.append(row)
            best = row[y]
    return pd.DataFrame(front)


def n_text(counts) -> str:
    """'n = 3 per variant' or 'n = 2-3 per variant' for a title."""
    counts = [int(c) for c in counts if pd.notna(c)]
    if not counts:
        return "no finished trials"
    low, high = min(counts), max(counts)
    return f"n = {low}{'' if low == high else f'-{high}'} per variant"


def _chance(ax, chance: float | None) -> None:
    """Chance level, dashed; when it lies far outside the data's range the axis keeps the
    data's range (a line at 0.9 would flatten errors near 0.1) and the legend says where
    chance is (a note in the axes would cover points or their labels)."""
    if chance is None:
        return
    low, high = ax.get_ylim()
    if ax.has_data() and not low - (high - low) <= chance <= high + (high - low):
        ax.plot([], [], linestyle="none",
                label=f"chance {chance:.2f} ({'above' if chance > high else 'below'} the axis)")
        return
    ax.axhline(chance, color="grey", linestyle="--", linewidth=1,
               label=f"chance ({chance:.2f})")


def _interval(v: pd.DataFrame):
    """Error bars for the rows with an interval (n >= 2); None when no row has one."""
    if v["ci_low"].isna().all():
        return None
    low = (v["mean"] - v["ci_low"]).where(v["n"] >= 2).fillna(0).clip(lower=0)
    high = (v["ci_high"] - v["mean"]).where(v["n"] >= 2).fillna(0).clip(lower=0)
    return [low.to_numpy(), high.to_numpy()]


# An ablation's plot labels every variant up to this many; above it (a search, the zoo) only
# the Pareto front and the best few, so labels stay readable.
LABEL_ALL_UP_TO = 12


def error_vs_cost(summary: Summary, path: Path, cost: str = "macs",
                  chance: float | None = None, labels: dict[str, str] | None = None,
                  groups: dict[str, str] | None = None) -> Path:
    """Mean error of each variant against its MACs or params (intervals where n >= 2), the
    Pareto front drawn (a marker on each of its points, so a one-point front shows), chance
    dashed. `labels` maps the variants to label to their text (a search passes its best
    points' ranks); by default every variant up to LABEL_ALL_UP_TO, else the front's. Labels
    are placed by adjustText, off the points, each other and the axes' ticks. `groups` maps
    variants to a group (a design space) drawn in its own colour, named in the legend."""
    v = summary.variants.dropna(subset=["mean", cost])
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    texts = []
    if not v.empty:
        group_of = v["variant"].map(lambda name: (groups or {}).get(name, "variant"))
        for i, (name, part) in enumerate(v.groupby(group_of, sort=True)):
            ax.errorbar(part[cost], part["mean"], yerr=_interval(part), fmt="o", capsize=3,
                        label=name, alpha=0.7, color=f"C{0 if not groups else i}")
        front = pareto_front(v, cost, "mean")
        ax.step(front[cost], front["mean"], where="post", color="C3")
        ax.plot(front[cost], front["mean"], "s", color="C3", mfc="none", markersize=10,
                label=f"Pareto front ({len(front)})")
        _cost_axis(ax, v[cost])
        if labels is None:
            shown = v if len(v) <= LABEL_ALL_UP_TO else front
            short, _ = short_labels(list(v["variant"]))
            names = dict(zip(v["variant"], short, strict=True))
            labels = {name: names[name] for name in shown["variant"]}
        # points at one place (two variants of equal cost and error) share one label
        at: dict[tuple[float, float], list[str]] = {}
        for _, row in v[v["variant"].isin(list(labels))].iterrows():
            at.setdefault((row[cost], row["mean"]), []).append(labels[row["variant"]])
        for (x, y), names_here in at.items():
            texts.append(ax.text(x, y, " / ".join(names_here), fontsize=7))
    _chance(ax, chance)
    ax.set_xlabel("multiply-adds" if cost == "macs" else "parameters")
    ax.set_ylabel(summary.metric)
    ax.set_title(f"{summary.metric} vs {'MACs' if cost == 'macs' else 'params'} "
                 f"({n_text(v['n'])})")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside, not over
    if texts:
        _place_labels(fig, ax, texts, v[cost].to_numpy(), v["mean"].to_numpy())
    return _save(fig, path)


def short_labels(variants: list[str]) -> tuple[list[str], str]:
    """Variant labels without the axis name they all share ("preset=resnet20" -> "resnet20",
    and "preset"), so figures spend their room on what differs; unchanged (and "") when the
    variants vary more than one axis or name none."""
    pairs = [str(v).split("=", 1) for v in variants]
    axes = {p[0] for p in pairs if len(p) == 2}
    if len(axes) != 1 or any(len(p) != 2 or "," in p[1] for p in pairs):
        return [str(v) for v in variants], ""
    return [p[1] for p in pairs], axes.pop()


def _cost_axis(ax, costs: pd.Series) -> None:
    """The cost axis in engineering notation (3M, 20M): a log scale ticked at 1, 2 and 5 per
    decade where the costs span 4x or more (not matplotlib's minor labels, 3x10^6 4x10^6 ...,
    that overlap), a linear one where they lie in a narrow band (a design-space study's)."""
    from matplotlib.ticker import EngFormatter, LogLocator, MaxNLocator, NullFormatter

    low, high = float(costs.min()), float(costs.max())
    if low > 0 and high / low >= 4:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))


def _place_labels(fig, ax, texts, x, y) -> None:
    """Move the labels off each other, the points and the axes (adjustText), joined to their
    points by a thin line where they moved."""
    from adjustText import adjust_text

    fig.tight_layout()  # the final axes box first: adjustText works in display coordinates
    adjust_text(texts, x=x, y=y, ax=ax, expand=(1.2, 1.4),
                arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5})


def parallel_coordinates(trials: pd.DataFrame, axes: list[str], metric: str, path: Path,
                         best: dict[str, str] | None = None) -> Path | None:
    """One line per finished trial across its sampled axes and the metric, coloured by the
    metric (darker is better); the best points (`best`: variant -> label) drawn bold and
    named in the legend. A categorical axis lists its values; a numeric one spanning more than
    10x is on a log scale; an axis a point does not read (another family's) sits at "-"
    below the axis. None without finished trials or sampled axes."""
    ok = _ok(trials).dropna(subset=[metric])
    columns = [f"axis.{a}" for a in axes]
    if ok.empty or not columns:
        return None
    scaled, ticks = {}, {}
    for column in [*columns, metric]:
        scaled[column], ticks[column] = _coordinate(ok[column])
    fig, ax = plt.subplots(figsize=(max(6.4, 1.1 * (len(columns) + 1)), 4.8))
    xs = np.arange(len(columns) + 1)
    errors = ok[metric].to_numpy()
    norm = matplotlib.colors.Normalize(errors.min(), errors.max())
    cmap = matplotlib.colormaps["viridis"]
    best = best or {}
    for i, (_, row) in enumerate(ok.iterrows()):
        ys = [scaled[c][i] for c in [*columns, metric]]
        if row["variant"] in best:
            continue
        ax.plot(xs, ys, color=cmap(norm(row[metric])), alpha=0.45, linewidth=0.8)
    for j, (variant, label) in enumerate(best.items()):
        rows = np.flatnonzero(ok["variant"].to_numpy() == variant)
        if len(rows):
            ys = [scaled[c][rows[0]] for c in [*columns, metric]]
            ax.plot(xs, ys, color=f"C{j % 10}", linewidth=2.4, label=label)
    for x, column in zip(xs, [*columns, metric], strict=True):
        ax.axvline(x, color="black", linewidth=0.6)
        for position, text in ticks[column]:
            ax.text(x + 0.03, position, text, fontsize=7, va="center")
    ax.set_xticks(xs, [*axes, metric], fontsize=8, rotation=20)
    ax.set_yticks([])
    ax.set_ylim(-0.18, 1.05)
    ax.set_xlim(-0.1, len(columns) + 0.6)
    fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=metric,
                 fraction=0.03)
    ax.set_title(f"sampled axes and {metric} ({len(ok)} finished trials; best "
                 f"{len(best)} bold)")
    if best:  # below the axes: beside them sits the colour bar
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16),
                  ncol=min(len(best), 8), frameon=False)
    return _save(fig, path)


NOT_READ = -0.12  # where a trial that does not read an axis crosses it


def _coordinate(values: pd.Series) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """Positions in [0, 1] for one axis's values (NOT_READ where missing) and its tick labels."""
    present = values.dropna()
    positions = np.full(len(values), NOT_READ)
    mask = values.notna().to_numpy()
    ticks: list[tuple[float, str]] = []
    numeric = pd.to_numeric(present, errors="coerce")
    if present.empty:
        return positions, [(NOT_READ, "-")]
    if numeric.notna().all():
        raw = numeric.to_numpy(dtype=float)
        log = raw.min() > 0 and raw.max() / raw.min() > 10
        t = np.log10(raw) if log else raw
        low, high = t.min(), t.max()
        span = (high - low) or 1.0
        positions[mask] = (t - low) / span
        levels = np.unique(raw)
        shown = levels if len(levels) <= 6 else np.quantile(raw, [0, 0.5, 1])
        for level in shown:
            p = ((np.log10(level) if log else level) - low) / span
            ticks.append((float(p), f"{level:.3g}"))
    else:
        levels = sorted(present.astype(str).unique())
        where = {level: i / max(1, len(levels) - 1) for i, level in enumerate(levels)}
        positions[mask] = [where[str(v)] for v in present]
        ticks = [(p, level) for level, p in where.items()]
    if not mask.all():
        ticks.append((NOT_READ, "-"))
    return positions, ticks


def learning_curves(history: pd.DataFrame, path: Path, metric: str = "val_error",
                    confidence: float = 0.95, chance: float | None = None) -> Path:
    """Per variant: the mean over seeds of `metric` per epoch, with a t confidence band (where
    n >= 2); with a single epoch each point is labelled with its value."""
    fig, ax = plt.subplots(figsize=(7.6, 4.4))
    counts = []
    axis_name = ""
    if not history.empty and metric in history:
        ok = history[history["status"] == "ok"]
        groups = list(ok.groupby("variant"))
        names, axis_name = short_labels([variant for variant, _ in groups])
        colours = _colours(len(groups))
        for i, ((_, group), variant) in enumerate(zip(groups, names, strict=True)):
            rows = [(epoch, *mean_ci(g[metric], confidence))
                    for epoch, g in group.groupby("epoch")]
            epochs, means, _, lows, highs = map(np.array, zip(*rows, strict=True))
            counts.append(group["run_id"].nunique() if "run_id" in group else len(group))
            ax.plot(epochs, means, marker="o", color=colours[i], label=variant)
            if np.isfinite(lows).any():
                ax.fill_between(epochs, lows, highs, color=colours[i], alpha=0.2)
            if len(epochs) == 1:
                ax.annotate(f"{means[0]:.3f}", (epochs[0], means[0]), fontsize=7,
                            xytext=(4, 0), textcoords="offset points", va="center")
    _chance(ax, chance)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per epoch (mean, {int(confidence * 100)}% CI over seeds; "
                 f"{n_text(counts)})", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),  # beside the curves
              title=axis_name or None, title_fontsize=7)
    return _save(fig, path)


def _colours(n: int) -> list:
    """n distinguishable colours: matplotlib's 10 up to 10, tab20's up to 20, then a ramp."""
    if n <= 10:
        return [f"C{i}" for i in range(n)]
    if n <= 20:
        return [matplotlib.colormaps["tab20"](i) for i in range(n)]
    return [matplotlib.colormaps["turbo"](i / max(1, n - 1)) for i in range(n)]


def error_edf(trials: pd.DataFrame, path: Path, metric: str = "val_error",
              by: str | None = "variant") -> Path:
    """Empirical distribution function of the error per design space (Radosavovic et al.
    2019): the fraction of trials with error below e, as a function of e; `by` None: one
    curve of every finished trial (a search's points)."""
    fig, ax = plt.subplots(figsize=(8.8, 4.4))  # room for the legend beside the curves
    ok = _ok(trials)
    if by and by != "variant" and "variant" in ok:  # a model's seeds: one sample, their mean
        ok = ok.groupby(["variant", by], as_index=False)[metric].mean()
    groups = list(ok.groupby(by)) if by else [("all finished trials", ok)]
    for group_name, group in groups:
        errors = group[metric].dropna().to_numpy()
        if len(errors):  # from 0 to 1: one run is a single step
            # the papers' legend: n, the best and the mean (the area left of the curve)
            extra = (f", min {errors.min():.3f}, mean {errors.mean():.3f}"
                     if len(groups) <= 8 else "")
            ax.ecdf(errors, label=f"{group_name} (n={len(errors)}{extra})")
    ax.set_xlabel(metric)
    ax.set_ylabel(f"fraction of trials with {metric} below")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{metric} EDF" + (f" by {by.removeprefix('axis.')}" if by else ""))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the curves
    return _save(fig, path)


def variant_values(summary: Summary, trials: pd.DataFrame, path: Path,
                   chance: float | None = None) -> Path:
    """Each variant's seeds as dots, beside its mean and confidence interval (where n >= 2);
    chance dashed. Bars from zero would hide differences of a few points; the dots show the
    spread the interval summarises."""
    v = summary.variants
    metric = summary.metric
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    if not v.empty:
        ok = _ok(trials)
        for i, variant in enumerate(v["variant"]):
            values = ok.loc[ok["variant"] == variant, metric].dropna().to_numpy()
            offsets = np.linspace(-0.12, 0.12, len(values)) if len(values) > 1 else [0.0]
            ax.plot(i - 0.15 + np.asarray(offsets), values, "o", color="C0", alpha=0.6,
                    markersize=4, label="a seed" if i == 0 else None)
        x = np.arange(len(v)) + 0.15
        ax.errorbar(x, v["mean"], yerr=_interval(v), fmt="D", color="C3", capsize=4,
                    label=f"mean, {int(summary.confidence * 100)}% CI")
        names, axis_name = short_labels(list(v["variant"]))
        ax.set_xticks(np.arange(len(v)), names, rotation=30, fontsize=8, ha="right",
                      rotation_mode="anchor")
        ax.set_xlabel(axis_name)
    _chance(ax, chance)
    ax.legend(fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by variant ({n_text(v['n'] if not v.empty else [])})")
    return _save(fig, path)


def claim_estimation(summary: Summary, trials: pd.DataFrame, path: Path) -> Path | None:
    """An estimation plot per claim pair (better - worse, negative agrees with the claim):
    each seed's paired difference as a dot, the mean and its interval, zero, the band inside
    which the paired test at the pair's level and n leaves it undecided (its decision
    boundary), and the effect the run could detect at 80% power; the verdict in the label.
    None when the study has no claim pair."""
    claim = summary.claim
    if claim.empty:
        return None
    metric = summary.metric
    scale, unit = (100.0, "points") if metric.endswith("_error") else (1.0, "")
    ok = _ok(trials)
    wide = ok.pivot_table(index="seed", columns="variant", values=metric, aggfunc="mean")
    fig, ax = plt.subplots(figsize=(9.6, 1.4 + 0.9 * len(claim)))
    labels = []
    for i, row in enumerate(claim.itertuples()):
        y = len(claim) - 1 - i
        if not {row.better, row.worse} <= set(wide.columns):
            continue
        both = wide[[row.better, row.worse]].dropna()
        # the seeds the verdict used: a sequential design decides at its first deciding round
        both = both[both.index < summary.design.looks[int(row.look)]]
        diffs = (both[row.better] - both[row.worse]).to_numpy() * scale
        jitter = np.linspace(-0.15, 0.15, len(diffs)) if len(diffs) > 1 else np.zeros(len(diffs))
        ax.plot(diffs, y + 0.2 + jitter * 0.5, "o", color="C0", alpha=0.6, markersize=4,
                label="a seed's difference" if i == 0 else None)
        mean = row.mean_diff * scale
        if np.isfinite(row.ci_low):
            ax.errorbar([mean], [y], xerr=[[mean - row.ci_low * scale],
                                           [row.ci_high * scale - mean]],
                        fmt="D", color="C3", capsize=4, label="mean, interval" if i == 0 else None)
        boundary = _decision_boundary(row)
        if np.isfinite(boundary):
            ax.fill_betweenx([y - 0.35, y + 0.45], -boundary * scale, boundary * scale,
                             color="grey", alpha=0.15,
                             label="undecided (p >= level at this n and spread)"
                             if i == 0 else None)
        mde = getattr(row, "mde", np.nan)
        if np.isfinite(mde):
            for sign in (-1, 1):
                ax.plot([sign * mde * scale] * 2, [y - 0.35, y + 0.45], ":", color="C2",
                        label="detectable at 80% power" if i == 0 and sign < 0 else None)
        labels.append(f"{row.better} vs {row.worse}\n{row.verdict} (n={row.n})")
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(range(len(claim) - 1, -1, -1), labels, fontsize=8)
    ax.set_ylim(-0.6, len(claim) - 0.4)
    ax.set_xlabel(f"{metric}: better - worse{f' ({unit})' if unit else ''}; "
                  "negative agrees with the claim")
    ax.set_title("claim check: paired differences by seed", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the data
    return _save(fig, path)


def _decision_boundary(row) -> float:
    """The smallest |mean difference| the pair's paired t-test calls significant at its level,
    n and spread (sd of the differences); NaN for Welch's test or too few seeds."""
    from scipy import stats

    n, sd, level = row.n, getattr(row, "sd", np.nan), getattr(row, "level", np.nan)
    if getattr(row, "test", "") != "paired t" or not n or n < 2 or not np.isfinite(sd):
        return np.nan
    return float(stats.t.ppf(1 - level / 2, n - 1) * sd / np.sqrt(n))


def _ok(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials that finished normally (status ok): the only ones the statistics use."""
    return trials[trials["status"] == "ok"] if "status" in trials else trials


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

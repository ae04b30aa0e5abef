"""How often the claim check is wrong: its false-positive rate and its power, measured.

- `simulate`: studies drawn from a known model (two variants, seeds with a shared per-seed
  component so pairing can matter, a known true difference), each checked as a real study is
  (claim_check.check under a fixed or group-sequential design). Under no difference the rate of
  "decided" verdicts is the false-positive rate; under a difference, the power.
- `aa_rate`: real training noise. One point trained with many seeds is split at random into
  two pseudo-variants of n seeds each, many times; every split is checked like a study. The
  point is the same, so every decided verdict is a false positive.

Rates come with Clopper-Pearson intervals (scipy.stats.binomtest). The splits of `aa_rate`
reuse the same runs, so its interval, which treats the splits as independent, is narrower than
the runs alone justify; the run count is reported beside it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .claim_check import check
from .sequential import Design


@dataclass(frozen=True)
class Rate:
    decided: int  # studies whose verdict was reproduced or contradicted
    studies: int
    low: float  # 95% Clopper-Pearson interval of decided / studies
    high: float
    mean_seeds: float  # seeds per variant the studies used (sequential designs stop early)

    @property
    def rate(self) -> float:
        return self.decided / self.studies

    def as_dict(self) -> dict:
        return {**asdict(self), "rate": self.rate}


def _tally(studies, design: Design) -> Rate:
    """Check each (better, worse) study under `design`: how many decided, with its interval,
    and the seeds each used (a sequential study that decides early uses fewer)."""
    decided, used = 0, []
    for better, worse in studies:
        result = check(better, worse, design, power=False)
        decided += result["verdict"] != "inconclusive"
        at = result["decided_at"]
        used.append(int(at) if math.isfinite(at) else design.looks[-1])
    ci = stats.binomtest(decided, len(used)).proportion_ci(0.95, method="exact")
    return Rate(decided, len(used), float(ci.low), float(ci.high), float(np.mean(used)))


def simulate(design: Design, *, effect: float = 0.0, sd: float = 1.0, shared: float = 0.5,
             studies: int = 500, seed: int = 0) -> Rate:
    """`studies` simulated two-variant studies. Each seed s gives both variants a shared
    component (variance `shared` * sd^2) plus their own noise, so the errors of one seed
    correlate by `shared`; the better variant's true mean is lower by `effect`."""
    rng = np.random.default_rng(seed)
    n = design.looks[-1]
    index = pd.RangeIndex(n)
    own = sd * math.sqrt(1 - shared)

    def draw():
        for _ in range(studies):
            common = rng.normal(0.0, sd * math.sqrt(shared), n)
            yield (pd.Series(common + rng.normal(-effect, own, n), index=index),
                   pd.Series(common + rng.normal(0.0, own, n), index=index))

    return _tally(draw(), design)


def aa_rate(values: pd.Series, design: Design, *, splits: int = 2000, seed: int = 0) -> Rate:
    """`values`: one point's metric over its seeds. Each split draws 2 x n of them without
    replacement (n = the design's last look), labels them A and B, and re-indexes both 0..n-1 as
    seeds are in a study (so the check may pair them; the pairing is random, as different seeds'
    noise is)."""
    x = values.dropna().to_numpy(dtype=float)
    n = design.looks[-1]
    if len(x) < 2 * n:
        raise ValueError(f"aa_rate needs at least {2 * n} runs for n={n}; it has {len(x)}")
    rng = np.random.default_rng(seed)
    index = pd.RangeIndex(n)

    def split():
        for _ in range(splits):
            pick = rng.permutation(len(x))[: 2 * n]
            yield (pd.Series(x[pick[:n]], index=index), pd.Series(x[pick[n:]], index=index))

    return _tally(split(), design)


# The designs the real A/A calibration checks: the fixed design at the Fig. 6 studies' 5
# seeds, and a group-sequential design whose maximum (9 per pseudo-variant) fits 20 runs.
AA_DESIGNS = (Design((5,)), Design((3, 6, 9)))


def aa_calibration(trials: pd.DataFrame, metric: str = "val_error", *, splits: int = 2000,
                   designs: tuple[Design, ...] = AA_DESIGNS) -> dict:
    """The claim check's false-positive rate on real training noise: `trials` are one point's
    runs (one per seed), split at random into two pseudo-variants `splits` times per design."""
    ok = trials[(trials["status"] == "ok") & np.isfinite(trials[metric])]
    if ok["variant"].nunique() != 1:
        raise ValueError(f"an A/A calibration trains one point; found variants "
                         f"{sorted(ok['variant'].unique())}")
    values = ok.set_index("seed")[metric].sort_index()
    rows = []
    for design in designs:
        rate = aa_rate(values, design, splits=splits)
        rows.append({"design": design.describe(), "looks": list(design.looks),
                     "alpha": design.alpha, **rate.as_dict()})
    return {"metric": metric, "runs": int(len(values)), "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)), "splits": splits, "designs": rows}


def aa_markdown(name: str, result: dict, command: str) -> str:
    lines = [f"# A/A calibration: {name}", "",
             f"One point trained with {result['runs']} seeds: {result['metric']} mean "
             f"{result['mean']:.4f}, sd {result['sd']:.4f}. Each of {result['splits']} random "
             "splits labels two disjoint sets of its runs A and B and applies the claim check; "
             "the point is the same, so every decided verdict is a false positive.", "",
             "| design | false positives | rate | 95% interval | seeds used (mean) |",
             "|:--|--:|--:|:--|--:|"]
    for row in result["designs"]:
        lines.append(f"| {row['design']} | {row['decided']} / {row['studies']} | "
                     f"{row['rate']:.3f} | [{row['low']:.3f}, {row['high']:.3f}] | "
                     f"{row['mean_seeds']:.1f} |")
    lines += ["", f"The interval treats the splits as independent; they reuse {result['runs']} "
              "runs, so it is narrower than the runs alone justify.", "",
              f"Command: `{command}`", "", f"Hardware: {result.get('hardware', '-')}", ""]
    return "\n".join(lines)

"""Sequential replication: the decision after each round of seeds of an ablation.

A budget with `max_seeds` trains `seeds` replicates of every variant, then `seed_step` more per
round while some claim pair is undecided (the analysis's claim check under the budget's
group-sequential design, verdicts.sequential). The decision after a round is a function of the
finished trials of the round's seeds alone, read back from MLflow, so a resumed study replays
the same decisions and carries on in the round it was in; no seed is trained twice (the
trials' keys say what finished).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from verdicts.learned import chance_level
from verdicts.power import effect_text
from verdicts.sequential import Design
from verdicts.stats import summarize

from . import schema, tracking
from .results import tidy
from .trial import Job


@dataclass(frozen=True)
class PairDecision:
    better: str
    worse: str
    verdict: str  # reproduced / contradicted / inconclusive / not comparable
    mean_diff: float
    decided: bool


def design(job: Job) -> Design:
    return Design(job.budget.seed_looks)


def decide(client, job: Job, seeds: int) -> list[PairDecision]:
    """Each claim pair's decision on the finished trials with seed < `seeds`: the analysis's
    own claim check (verdicts.stats.summarize) under the budget's design."""
    rows = tidy(tracking.child_runs(client, job.experiment_id, job.generation))
    metric = job.study.metric
    if not rows.empty and metric in rows:
        rows = rows[rows["seed"] < seeds]
        if "condition" in rows:
            rows = rows[rows["condition"] == job.tags[schema.CONDITION]]
    else:  # nothing finished with a value yet
        rows = rows.iloc[0:0]
    summary = summarize(rows, metric, pairs=tuple(job.study.claim_pairs), design=design(job),
                        chance=chance_level(job.study.dataset, metric))
    checked = {(r["better"], r["worse"]): r for r in summary.claim.to_dict("records")}
    decisions = []
    for better, worse in job.study.claim_pairs:
        result = checked.get((better, worse), {"verdict": "inconclusive", "mean_diff": math.nan})
        decisions.append(PairDecision(better, worse, result["verdict"], result["mean_diff"],
                                      result["verdict"] != "inconclusive"))
    return decisions


def round_line(job: Job, look: int, decisions: list[PairDecision]) -> str:
    """'round 2: 8 seeds; a vs b: undecided, d = -0.40 points; next round 12 seeds'."""
    looks = job.budget.seed_looks
    metric = job.study.metric
    pairs = "; ".join(
        f"{d.better} vs {d.worse}: {d.verdict if d.decided else 'undecided'}, "
        f"d = {effect_text(metric, d.mean_diff)}" for d in decisions)
    if all(d.decided for d in decisions):
        tail = "every claim pair decided: stop"
    elif look + 1 < len(looks):
        tail = f"next round {looks[look + 1]} seeds"
    else:
        tail = "max_seeds reached: stop"
    return f"[{job.study.name}] round {look + 1}: {looks[look]} seeds; {pairs}; {tail}"

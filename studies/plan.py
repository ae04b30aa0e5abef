"""What a budget will do, before it runs (`python -m studies show NAME`): the recipe it trains
with, the trials it plans, the wall time to expect and the difference it can detect, from the
pilot the budget was chosen from (`Budget.pilot`)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

from trainers import Recipe

from .study import Study

# A study's fixed cost per invocation, whatever its trials: imports, Ray's start and stop, the
# first worker's start-up, the closing summary (about 25 s measured on a 2-core CPU).
FIXED_S = 25.0


def hms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def recipe_changes(recipe: Recipe) -> str:
    """The recipe's fields that differ from Recipe()'s defaults, as `field=value`."""
    default = Recipe()
    changed = [f"{f.name}={getattr(recipe, f.name)}" for f in dataclasses.fields(Recipe)
               if getattr(recipe, f.name) != getattr(default, f.name)]
    return " ".join(changed) or "the defaults"


def planned_trials(study: Study, name: str) -> list[int]:
    """The trials the budget runs at each of its seed looks (one entry for a fixed design or a
    search)."""
    budget = study.budget(name)
    if study.kind == "ablation":
        return [len(study.variants(name)) * n for n in budget.seed_looks]
    return [budget.trials]


def expected_wall_s(study: Study, name: str) -> list[float] | None:
    """Wall seconds to expect at each seed look, from the budget's pilot (None without one):
    the fixed cost plus the trials in waves of `concurrency`, each taking the pilot's time."""
    budget = study.budget(name)
    if budget.pilot is None:
        return None
    return [FIXED_S + math.ceil(t / budget.concurrency) * budget.pilot.trial_s
            for t in planned_trials(study, name)]


# The detectable effect at a design's last look, in standard deviations of the paired
# difference, kept between invocations: computing it imports scipy.special and draws the
# sequential levels (most of `studies show`'s time), and it depends only on the design.
# Bump the version when verdicts.power or verdicts.sequential change what they compute.
_CACHE_VERSION = 1


def _cache_file() -> Path:
    from .locations import user_cache

    return user_cache() / f"detectable-v{_CACHE_VERSION}.json"


def detectable_in_sd(looks: tuple[int, ...]) -> float:
    """The paired difference (in its standard deviations) the claim check finds with 80% power
    at the design's last look, at that look's level."""
    key = ",".join(map(str, looks))
    try:
        path = _cache_file()
        cached = json.loads(path.read_text())
    except RuntimeError:  # no user cache folder: computed each time
        path, cached = None, {}
    except (OSError, ValueError):
        cached = {}
    if not isinstance(cached, dict):
        cached = {}
    if isinstance(cached.get(key), (int, float)):
        return float(cached[key])
    from verdicts.power import detectable
    from verdicts.sequential import Design

    value = detectable(1.0, looks[-1], Design(looks).nominal_alpha(len(looks) - 1))
    if path is None:
        return value
    try:  # a cache that cannot be written only costs time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({**cached, key: value}))
        tmp.replace(path)
    except OSError:
        pass
    return value


def budget_lines(study: Study, name: str) -> list[str]:
    from verdicts.power import effect_text

    budget = study.budget(name)
    lines = [f"{name} budget: recipe {recipe_changes(study.recipe_for(name))}"]
    if budget.net:
        lines.append(f"  every point: {', '.join(f'{k}={v}' for k, v in budget.net)}")
    looks = budget.seed_looks
    if study.kind == "ablation":
        variants = study.variants(name)
        seeds = (f"{looks[0]} seeds" if len(looks) == 1 else
                 f"{looks[0]} seeds, then rounds of {looks[1] - looks[0]} up to {looks[-1]} "
                 "while a claim pair is undecided")
        trials = planned_trials(study, name)
        lines.append(f"  {len(variants)} variants x {seeds}: "
                     f"{trials[0]}" + (f"-{trials[-1]}" if len(trials) > 1 else "") + " trials")
    else:
        lines.append(f"  {budget.trials} sampled points, one seed each")
    lines.append(f"  {budget.concurrency} trial(s) at once, {budget.trial_cpus()} CPU(s) and "
                 f"{budget.gpus_per_trial:g} GPU each")
    pilot = budget.pilot
    if pilot is None:
        lines.append("  expected time and detectable effect: no pilot recorded for this budget")
        return lines
    wall = expected_wall_s(study, name)
    where = f", {pilot.machine}" if pilot.machine else ""
    lines.append(f"  expected wall time: {hms(wall[0])}"
                 + (f" to {hms(wall[-1])}" if len(wall) > 1 else "")
                 + f" (pilot: {pilot.trial_s:.0f} s per trial{where})")
    if study.kind == "ablation" and study.claim_pairs:
        mde = detectable_in_sd(tuple(looks)) * pilot.difference_sd
        spread = (f"pilot sd of paired differences {effect_text(study.metric, pilot.paired_sd)}"
                  if pilot.paired_sd is not None else
                  f"pilot seed sd {effect_text(study.metric, pilot.metric_sd)}, paired "
                  "differences taken as independent")
        lines.append(f"  detectable difference at {looks[-1]} seeds: "
                     f"{effect_text(study.metric, mde)} (80% power; {spread})")
    return lines

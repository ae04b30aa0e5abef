"""Where a study invocation's seconds go, printed as one line at its end.

The driver times its own phases (imports, preflight, the tracking store, Ray's start, Ray
Tune's run, the summary, Ray's shut-down); the trials' reports say how long each trial trained
(`wall_s`: `trainers.train` from entry to its result, data and model set-up included) and how
long its worker took to start before it (`worker_start_s`, the first trial of a worker
process). What is not a trial's own training is the harness; its share is

    harness = 1 - (sum of the trials' wall_s / trials at once) / the invocation's wall time

which at one trial at a time is exactly the study's wall time against its trials' time. This
module imports nothing heavy: the command line reads the clock before torch or Ray load.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# The driver's phases, in the order they happen, and their names in the printed line
PHASES = {
    "imports": "imports",
    "preflight": "preflight",
    "store": "MLflow store",
    "ray_start": "Ray start",
    "tune": "Tune",
    "analysis": "analysis",
    "shutdown": "Ray shutdown",
}


@dataclass
class StudyClock:
    """Seconds per driver phase, and the trials' own seconds, of one invocation."""

    started: float = field(default_factory=time.time)  # the process's start (wall clock)
    phases: dict[str, float] = field(default_factory=dict)
    # phases that ran beside the next phase in PHASES, on another thread (not in the sum)
    beside_phases: dict[str, float] = field(default_factory=dict)
    trial_wall_s: float = 0.0  # the trials' own training time, summed
    worker_start_s: float = 0.0  # worker processes' start-up before their first trial, summed
    trials: int = 0  # trials that trained in this invocation (reused ones do not count)
    at_once: int = 1  # trials that ran side by side (the budget's concurrency, or fewer)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if name not in PHASES:
            raise ValueError(f"unknown phase {name!r}; phases: {', '.join(PHASES)}")
        start = time.time()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.time() - start

    def mark(self, name: str, since: float) -> None:
        """A phase that began at `since` (wall clock) and ends now."""
        self.phases[name] = self.phases.get(name, 0.0) + max(0.0, time.time() - since)

    def beside(self, name: str, seconds: float) -> None:
        """A phase that ran on another thread while the next phase of PHASES ran."""
        if name not in PHASES:
            raise ValueError(f"unknown phase {name!r}; phases: {', '.join(PHASES)}")
        self.beside_phases[name] = self.beside_phases.get(name, 0.0) + seconds

    def trial_finished(self, result: dict) -> None:
        """A trial's last report: count its own time if it trained in this invocation."""
        if result.get("reused"):
            return
        wall = result.get("wall_s")
        if isinstance(wall, (int, float)) and wall == wall:
            self.trial_wall_s += float(wall)
            self.trials += 1
        start = result.get("worker_start_s")
        if isinstance(start, (int, float)) and start == start:
            self.worker_start_s += float(start)

    def trials_s(self) -> float:
        """The trials' own time on the wall clock: their summed wall_s over the trials that
        ran side by side."""
        return self.trial_wall_s / max(1, min(self.at_once, self.trials or 1))

    def total_s(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.started

    def harness_share(self, now: float | None = None) -> float:
        total = self.total_s(now)
        return max(0.0, 1.0 - self.trials_s() / total) if total > 0 else 0.0

    def line(self, now: float | None = None) -> str:
        """`time: 24.6 s = imports 3.3 s + ... ; harness 9.6 s (39%)`, the phases in order
        (Tune split into the trials' own time and the rest around them)."""
        total = self.total_s(now)
        trials = self.trials_s()
        parts, beside = [], ""
        for name, label in PHASES.items():
            if name in self.beside_phases:
                beside = f"{label} {self.beside_phases[name]:.1f} s"
            if name not in self.phases:
                continue
            seconds = self.phases[name]
            if beside:
                parts.append(f"{label} {seconds:.1f} s ({beside} beside it)")
                beside = ""
            elif name == "tune":
                parts.append(f"trials {trials:.1f} s ({self.trials} trained"
                             + (f", {self.at_once} at once" if self.at_once > 1 else "") + ")")
                around = f"around the trials {max(0.0, seconds - trials):.1f} s"
                if self.worker_start_s:
                    around += (f" (workers' start-up {self.worker_start_s / self.at_once:.1f}"
                               " s)")
                parts.append(around)
            else:
                parts.append(f"{label} {seconds:.1f} s")
        accounted = sum(self.phases.values())
        if total - accounted >= 0.05:
            parts.append(f"other {total - accounted:.1f} s")
        harness = max(0.0, total - trials)
        return (f"time: {total:.1f} s = " + " + ".join(parts)
                + f"; harness {harness:.1f} s ({self.harness_share(now):.0%} of the wall time)")

"""Where a study invocation's seconds go, printed as one line at its end.

The driver times its own phases (imports, preflight, the tracking store, Ray's start, Ray
Tune's run, the summary, Ray's shut-down); the trials' reports say when each trial trained
(`trained_from`, `trained_to`: `trainers.train` from entry to its result, data and model
set-up included) and how long its worker took to start before it (`worker_start_s`, the first
trial of a worker process). The trials' time is the wall-clock time that at least one trial
was training (the union of their spans: trials side by side count once, an idle slot not at
all); everything else is the harness:

    harness = 1 - (time covered by the trials' training) / the invocation's wall time

which at one trial at a time is the study's wall time against its trials' summed time. Trials
that failed, were pruned or were stopped early report no span: their time counts as harness.
This module imports nothing heavy: the command line reads the clock before torch or Ray load.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# The driver's phases, in the order they happen, and their names in the printed line. A local
# Ray starts beside the preflight; "ray_wait" is what the driver still waited for it after.
PHASES = {
    "imports": "imports",
    "preflight": "preflight",
    "store": "MLflow store",
    "ray_start": "Ray start",
    "ray_wait": "waiting for Ray",
    "store_wait": "waiting for the MLflow store",
    "tune": "Tune",
    "analysis": "analysis",
    "shutdown": "Ray shutdown",
}


@dataclass
class StudyClock:
    """Seconds per driver phase, and the trials' own seconds, of one invocation."""

    started: float = field(default_factory=time.time)  # the process's start (wall clock)
    phases: dict[str, float] = field(default_factory=dict)
    # phases that ran on another thread (not in the sum), and the phase each ran beside
    beside_phases: dict[str, float] = field(default_factory=dict)
    beside_host: dict[str, str] = field(default_factory=dict)
    spans: list[tuple[float, float]] = field(default_factory=list)  # when trials trained
    worker_start_s: float = 0.0  # worker processes' start-up before their first trial, summed
    workers: int = 0  # worker processes whose start-up that is
    at_once: int = 1  # the budget's trials at once (for the line; the spans decide the time)

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

    def beside(self, name: str, seconds: float, host: str) -> None:
        """A phase that ran on another thread while the driver's phase `host` ran."""
        for phase in (name, host):
            if phase not in PHASES:
                raise ValueError(f"unknown phase {phase!r}; phases: {', '.join(PHASES)}")
        self.beside_phases[name] = self.beside_phases.get(name, 0.0) + seconds
        self.beside_host[name] = host

    def trial_finished(self, result: dict) -> None:
        """A trial's last report: count its own time if it trained in this invocation."""
        if result.get("reused"):
            return
        start, end = result.get("trained_from"), result.get("trained_to")
        if _number(start) and _number(end) and end >= start:
            self.spans.append((float(start), float(end)))
        if _number(result.get("worker_start_s")) and result["worker_start_s"] > 0:
            self.worker_start_s += float(result["worker_start_s"])
            self.workers += 1

    @property
    def trials(self) -> int:
        """Trials that trained in this invocation (reused ones do not count)."""
        return len(self.spans)

    def trials_s(self) -> float:
        """The wall-clock time during which at least one trial was training."""
        covered, reach = 0.0, float("-inf")
        for start, end in sorted(self.spans):
            if end > reach:
                covered += end - max(start, reach)
                reach = end
        return covered

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
        parts = []
        for name, label in PHASES.items():
            if name not in self.phases:
                continue
            seconds = self.phases[name]
            hosted = [b for b, host in self.beside_host.items() if host == name]
            if hosted:
                beside = ", ".join(f"{PHASES[b]} {self.beside_phases[b]:.1f} s" for b in hosted)
                parts.append(f"{label} {seconds:.1f} s ({beside} beside it)")
            elif name == "tune":
                together = f", up to {self.at_once} at once" if self.at_once > 1 else ""
                parts.append(f"trials {trials:.1f} s ({self.trials} trained{together})")
                around = f"around the trials {max(0.0, seconds - trials):.1f} s"
                if self.workers:
                    around += (f" (workers' start-up {self.worker_start_s:.1f} s"
                               + (f", summed over {self.workers}" if self.workers > 1 else "")
                               + ")")
                parts.append(around)
            else:
                parts.append(f"{label} {seconds:.1f} s")
        accounted = sum(self.phases.values())
        if total - accounted >= 0.05:
            parts.append(f"other {total - accounted:.1f} s")
        harness = max(0.0, total - trials)
        return (f"time: {total:.1f} s = " + " + ".join(parts)
                + f"; harness {harness:.1f} s ({self.harness_share(now):.0%} of the wall time)")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and value == value  # not NaN

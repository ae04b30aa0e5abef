"""What a running study prints: one line per finished trial (done/running/failed, best so far,
elapsed and left). It only prints."""

from __future__ import annotations

import math
import time

from ray import tune

from . import schema
from .plan import hms
from .schema import FAILURE_STATUSES
from .study import Study, variant_label
from .timing import StudyClock
from .trial import trial_params


class Progress(tune.Callback):
    def __init__(self, study: Study, total: int, clock: StudyClock | None = None):
        self.study, self.total = study, total
        self.clock = clock or StudyClock()
        self.started = time.time()
        self.done = self.failed = self.running = 0
        self.best: tuple[float, str] | None = None

    def on_trial_start(self, iteration, trials, trial, **info):
        self.running += 1

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.running = max(0, self.running - 1)
        self.done += 1
        result = trial.last_result or {}
        self.clock.trial_finished(result)
        status = (schema.EARLY_STOPPED if schema.stopped_early(result)
                  else result.get("status", "ok"))
        if status in (*FAILURE_STATUSES, "diverged"):
            self.failed += 1
        value = result.get(self.study.metric)
        if status == "ok" and isinstance(value, (int, float)) and math.isfinite(value):
            if self.best is None or value < self.best[0]:
                self.best = (float(value), trial_label(trial))
        self._line(trial, status + (f" ({result['reason']})" if result.get("reason") else ""))

    def on_trial_recover(self, iteration, trials, trial, **info):
        self.running = max(0, self.running - 1)
        print(f"[{self.study.name}] {trial_label(trial)}: its worker died; retrying from its "
              "last checkpoint", flush=True)

    def on_trial_error(self, iteration, trials, trial, **info):
        self.running = max(0, self.running - 1)
        self.done += 1
        self.failed += 1
        self._line(trial, "failed (Ray gave up on it; see the Ray log)")

    def _line(self, trial, status: str) -> None:
        elapsed = time.time() - self.started
        finished = self.done
        left = elapsed / finished * (self.total - finished) if finished else math.nan
        best = f"best {self.study.metric} {self.best[0]:.4f} ({self.best[1]})" if self.best else ""
        print(f"[{self.study.name}] {finished}/{self.total} done ({self.failed} failed, "
              f"{self.running} running) | last: {trial_label(trial)} {status} | {best} | "
              f"{hms(elapsed)} elapsed, ~{hms(left)} left", flush=True)


def trial_label(trial) -> str:
    params = trial_params(trial.config)
    return variant_label(params) + (f" seed={params['seed']}" if "seed" in params else "")

"""The worker's side of a study: one trial, from its parameters to a closed MLflow run.

`run_trial` runs in a Ray worker. It rebuilds the point from the trial's parameters, skips it if
MLflow already has it, checks the study's constraints, trains (from the last checkpoint if
there is one), logs every epoch and reports to Tune. A trial that raises is isolated: its run is
closed FAILED with the status and reason, and the study goes on.
"""

from __future__ import annotations

import functools
import gc
import itertools
import json
import math
import os
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from ray import tune

from search_space import complexity
from trainers import Recipe, train
from trainers.contract import FINAL_METRICS, adapt, resolved_precision, training_identity

from . import liveness, schema, tracking, watchdog
from .study import Budget, Study, variant_label
from .tune_checkpoints import reported_checkpoint, restore_reported

# Counts the trials this worker process has started: the first one's start-up includes the
# process's own (Ray reuses a worker for later trials).
_trials_in_this_process = itertools.count()


@dataclass(frozen=True)
class Job:
    """Everything a trial needs; pickled to the Ray workers."""

    study: Study
    budget_name: str
    budget: Budget
    recipe: Recipe
    tracking_uri: str
    experiment_id: str
    parent_id: str
    generation: int
    checkpoint_root: str
    input_size: tuple[int, int, int]
    num_classes: int
    tags: dict[str, str] = field(default_factory=dict)
    driver: str = ""  # liveness.identity() of the driver process
    # The precision every trial trains in, resolved once by the driver (planned_precision), so
    # driver and workers agree on it and on the trial keys, which include it.
    precision: str = ""

    def resolve(self, params: dict[str, Any]) -> tuple[Any, Recipe, str]:
        """The point, recipe and trial key of the trial with these parameters (driver and
        worker compute the same key: that is how a rerun knows what finished)."""
        net = self.study.point(params, self.budget)
        recipe = self.study.trial_recipe(params, self.budget).replace(
            threads=self.budget.trial_cpus())
        if self.precision:
            recipe = recipe.replace(precision=self.precision)
        key = tracking.trial_key(
            study=self.study.name, budget=self.budget_name, generation=self.generation,
            point=net.key(), seed=recipe.seed, dataset=self.study.dataset,
            recipe=training_identity(recipe),
        )
        return net, recipe, key

    def adapted(self, net, recipe: Recipe | None = None):
        """The point as the trainer will build it for this dataset."""
        return adapt(net, self.input_size, self.num_classes, recipe or self.recipe)


def planned_precision(recipe: Recipe, budget: Budget) -> str:
    """The precision `recipe` resolves to on the device `budget` asks for (a GPU fraction:
    CUDA; else this machine's CPU): what the study's trials train in."""
    return resolved_precision(recipe.precision, "cuda" if budget.gpus_per_trial > 0 else "cpu")


def trial_params(config: dict[str, Any]) -> dict[str, Any]:
    """An ablation's trial config is {"point": params}; a search's config is the params."""
    return dict(config["point"]) if "point" in config else dict(config)


def run_trial(config: dict[str, Any], job: Job) -> None:
    """One trial (the Tune trainable)."""
    entered = time.time()
    process_s = 0.0
    if next(_trials_in_this_process) == 0:  # time from this worker's process start to here
        process_s = max(0.0, entered - liveness.process_start_time())
        # What the worker has imported (torch, Ray, MLflow: ~370,000 objects) lives as long as
        # it does: frozen, the garbage collection at each trial's end (release_freed_memory)
        # looks only at what trials made (0.19 s per trial to none).
        gc.collect()  # (garbage frozen would never be collected)
        gc.freeze()
    os.environ["MLFLOW_TRACKING_URI"] = job.tracking_uri
    watchdog.watch(job.driver)
    params = trial_params(config)
    net, recipe, key = job.resolve(params)
    # The sampler sees the worst possible error (1.0) for a point that could not be trained.
    worst = {k: 1.0 for k in job.study.objectives if k.endswith("_error")}
    client = tracking.client()
    done = tracking.finished_trial(client, job.experiment_id, key)
    if done is not None:  # finished already (an earlier invocation, or a point sampled again):
        # report, don't retrain; a pruned or failed one has no error to report but the worst
        known = {k: v for k, v in done.items() if not (isinstance(v, float) and math.isnan(v))}
        tune.report({**worst, **known, "reused": 1})
        return

    run = _open_run(client, job, params, net, recipe, key)
    if job.study.max_params is not None or job.study.max_macs is not None:
        cx = complexity(job.adapted(net, recipe), job.input_size)
        violation = job.study.violation_of(cx)
        if violation is not None:  # pruned before any training, the reason recorded
            cost = _cost(cx)
            run.finish(cost, schema.PRUNED, violation)
            tune.report({**cost, **worst, "status": schema.PRUNED, "mlflow_run_id": run.run_id})
            return

    checkpoint_dir = _checkpoint_dir(job, key)
    if restore_reported(checkpoint_dir):
        run.tag({schema.RESTORED_FROM: "ray_tune_checkpoint"})

    def report(metrics: dict[str, Any]) -> None:
        # every report carries the point's cost (the trainer's counts), so two-objective
        # searchers (error, MACs) and schedulers see it from the first epoch on
        run.log_epoch(metrics, step=int(metrics["epoch"]))
        with reported_checkpoint(checkpoint_dir) as checkpoint:
            tune.report({**metrics, "mlflow_run_id": run.run_id}, checkpoint=checkpoint)

    try:
        result = train(net, recipe, data=job.study.dataset, report=report,
                       checkpoint_dir=checkpoint_dir)
    except Exception as e:  # isolated: recorded, and the study goes on
        status, reason = failure(e)
        watchdog.exit_if_orphaned(job.driver)
        run.finish({}, status, reason, details=traceback.format_exc())
        _free_accelerator_memory()
        release_freed_memory()
        tune.report({**_cost_or_nothing(job, net, recipe), **worst, "status": status,
                     "reason": reason, "mlflow_run_id": run.run_id, schema.TRIAL_FINISHED: 1})
        return
    trained_to = time.time()
    final = {k: result[k] for k in FINAL_METRICS if k in result}
    final["startup_s"] = process_s + (result.get("setup_s") or 0.0) + _since(entered, result)
    release_freed_memory()
    final["worker_rss_mb"] = resident_mb()  # what this worker keeps between trials
    watchdog.exit_if_orphaned(job.driver)
    run.tag({schema.DEVICE: str(result.get("device", "")),
             schema.PRECISION: str(result.get("precision", "")),
             schema.RESUMED_FROM_EPOCH: str(result.get("resumed_from_epoch", 0)),
             **tracking.machine_tags(str(result.get("device", "")))})
    run.finish(final, result["status"], result.get("reason", ""), step=int(result["epochs"]))
    # when this call trained (the driver's time line counts the wall clock trials covered)
    span = {"trained_from": result.get("started_at", trained_to), "trained_to": trained_to}
    tune.report({**final, "status": result["status"], "mlflow_run_id": run.run_id,
                 "worker_start_s": process_s, **span, schema.TRIAL_FINISHED: 1})


def _open_run(client, job: Job, params: dict[str, Any], net, recipe: Recipe,
              key: str) -> tracking.TrialRun:
    """The trial's MLflow run: a new one, or, when Tune retries this trial after its worker
    died, the earlier attempt's run reopened."""
    ray_trial = tune.get_context().get_trial_id()
    where = {schema.WORKER_PID: str(os.getpid()),
             schema.NODE: ray.get_runtime_context().get_node_id()}
    earlier = tracking.retried_run(client, job.experiment_id, job.parent_id, key, ray_trial)
    if earlier is not None:
        return tracking.TrialRun.reopen(client, earlier, where)
    label = variant_label(params) if job.study.kind == "ablation" else net.key()
    axes = {k: v for k, v in params.items() if k != "seed"}
    tags = {schema.ROLE: schema.ROLE_TRIAL, schema.STUDY: job.study.name,
            schema.BUDGET: job.budget_name, schema.GENERATION: str(job.generation),
            schema.TRIAL_KEY: key, schema.VARIANT: label, schema.SEED: str(recipe.seed),
            schema.PRESET: job.study.base, schema.SPEC_KEY: net.key(),
            schema.KIND: job.study.kind, schema.RAY_TRIAL_ID: ray_trial, **where, **job.tags,
            **{f"{schema.AXIS_PREFIX}{k}": str(v) for k, v in axes.items()}}
    logged = {**{f"net.{k}": v for k, v in net.flat().items()},
              **{f"recipe.{k}": v for k, v in recipe.to_dict().items()},
              "dataset": job.study.dataset, "seed": recipe.seed,
              **{f"axis.{k}": v for k, v in axes.items()}}
    overrides = job.tags.get(schema.OVERRIDES, "")
    name = f"{label} seed={recipe.seed}" + (f" [{overrides}]" if overrides else "")
    # what was trained (the point adapted to the data), and the preset the study started from
    texts = {"point.json": job.adapted(net, recipe).to_json(),
             "preset.json": json.dumps({"preset": job.study.base,
                                        "net": json.loads(job.study.base_net.to_json())})}
    return tracking.TrialRun.create(client, job.experiment_id, job.parent_id, name, logged,
                                    tags, texts)


def _cost_or_nothing(job: Job, net, recipe: Recipe) -> dict[str, int]:
    """A failed trial's cost for the sampler (two-objective searches need MACs), if it can be
    counted at all (the trainer did not get to report it)."""
    try:
        return _cost(complexity(job.adapted(net, recipe), job.input_size))
    except Exception:
        return {}


def _cost(cx) -> dict[str, int]:
    """A counted point's cost under the contract's names (COST_METRICS)."""
    return {"params": cx.params, "macs": cx.macs}


def failure(e: BaseException) -> tuple[str, str]:
    """(status, one-line reason) of a trial that raised: out_of_memory or failed."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    oom = isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError" or any(
        s in str(e) for s in ("out of memory", "can't allocate memory", "Cannot allocate memory"))
    return ("out_of_memory" if oom else "failed"), f"{type(e).__name__}: {text}"[:500]


def _free_accelerator_memory() -> None:
    """After a failed trial the actor is reused: give its cached CUDA memory back."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def resident_mb() -> float:
    """This process's resident memory now, in MiB (Linux; NaN elsewhere): logged after each
    trial, so a long search shows whether its workers keep what their trials left."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return math.nan
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def release_freed_memory() -> None:
    """Give what the finished trial freed back to the system (glibc's malloc_trim; nothing
    elsewhere), so a worker between trials, or training a small net, does not hold the largest
    net's memory: two workers' largest trials need not coincide to count together."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None (another C library, another system)."""
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim  # the C library this process already runs
    except (OSError, AttributeError, TypeError):
        return None


def _checkpoint_dir(job: Job, key: str) -> Path:
    """The trial's checkpoint folder: under the driver's folder (so a rerun on this machine
    resumes it), or, on a node where that path cannot be made, under the node's temp folder
    (Ray Tune's own checkpoints then carry a retry across nodes)."""
    folder = Path(job.checkpoint_root) / key
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir()) / "atlas-checkpoints" / job.study.name / key
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def _since(entered: float, result: dict[str, Any]) -> float:
    """Seconds this trial spent before `train` started (MLflow set-up, point rebuild)."""
    started = result.get("started_at")
    return max(0.0, started - entered) if isinstance(started, (int, float)) else 0.0

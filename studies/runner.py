"""Runs a study with Ray Tune: the only module that imports ray.

Ray Tune's `Tuner` runs the trials. An ablation runs the grid points (times the seeds) that
MLflow has no finished run for (Tune's grid_search); a search lets `OptunaSearch` pick the
points (TPE for one objective, NSGA-II for two) and ASHA stop poor ones early. Every trial is
an MLflow child run (tracking.py).

What survives what:
- The driver interrupted (Ctrl-C) or killed (SIGKILL, a lost machine): finished trials are
  FINISHED runs and are never trained again; the next invocation closes the dead driver's
  RUNNING runs as KILLED and resumes cut-short trials from their checkpoints.
- A trial's worker dies (killed, node lost): Ray Tune retries the trial once
  (FailureConfig) from the last checkpoint it reported; the retry carries on in the same
  MLflow run.
- A trial raises (a bug, out of memory): its run is closed FAILED with the status and reason
  (traceback in error.txt), the sampler sees the worst error, the study goes on, and the
  next invocation tries it again. A non-finite loss is a result: status "diverged".
- Searches keep Optuna's state in an Optuna storage beside the MLflow store, so a rerun's
  sampler knows the finished points.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler, FIFOScheduler
from ray.tune.search import ConcurrencyLimiter
from ray.tune.search.optuna import OptunaSearch

from search_space import complexity
from trainers import Recipe, train
from trainers.data import data_root
from trainers.data import parse as parse_data
from trainers.recipe import RUN_ONLY_FIELDS

from . import liveness, tracking
from .locks import sqlite_store_lock
from .study import Budget, Study, variant_label

optuna.logging.set_verbosity(optuna.logging.WARNING)


class StudyBusy(Exception):
    """The study is being run by a live driver; a second one would hand out its trials."""


# Final metrics a trial reports and MLflow keeps, besides the last epoch's.
FINAL_KEYS = ("val_error", "val_loss", "train_error", "train_loss", "test_error", "test_loss",
              "params", "macs", "wall_s", "epochs", "startup_s")
_PROCESS_FRESH = True  # first trial in this worker process: its start-up includes the process
_WATCHING = False  # this worker process watches its driver (_exit_when_driver_dies)


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

    def resolve(self, params: dict[str, Any]) -> tuple[Any, Recipe, str]:
        """The point, recipe and trial key of the trial with these parameters (driver and
        worker compute the same key: that is how a rerun knows what finished)."""
        net = self.study.point(params, self.budget)
        recipe = self.study.trial_recipe(params, self.budget).replace(
            threads=self.budget.cpus_per_trial)
        key = tracking.trial_key(
            study=self.study.name, budget=self.budget_name, generation=self.generation,
            point=net.key(), seed=recipe.seed, dataset=self.study.dataset,
            recipe={k: v for k, v in recipe.to_dict().items() if k not in RUN_ONLY_FIELDS},
        )
        return net, recipe, key

    def adapted(self, net):
        """The point as the trainer will build it for this dataset (trainers.train._adapt)."""
        small = self.recipe.small_input
        if small is None:
            small = max(self.input_size[1:]) <= 64
        return net.adapt(num_classes=self.num_classes, in_channels=self.input_size[0],
                         small_input=small)


def trial_params(config: dict[str, Any]) -> dict[str, Any]:
    """An ablation's trial config is {"point": params}; a search's config is the params."""
    return dict(config["point"]) if "point" in config else dict(config)


def run_trial(config: dict[str, Any], job: Job) -> None:
    """One trial: rebuild the point, skip it if MLflow already has it, check constraints,
    train (from the last checkpoint if there is one), log every epoch, report to Tune."""
    global _PROCESS_FRESH
    entered = time.time()
    process_s = 0.0
    if _PROCESS_FRESH:  # time from this worker's process start to here
        process_s = max(0.0, entered - liveness.process_start_time())
        _PROCESS_FRESH = False
    os.environ["MLFLOW_TRACKING_URI"] = job.tracking_uri
    _exit_when_driver_dies(job)
    params = trial_params(config)
    net, recipe, key = job.resolve(params)
    seed = recipe.seed
    client = tracking.client()
    done = tracking.finished_trial(client, job.experiment_id, key)
    if done is not None:  # finished in an earlier invocation: report, don't retrain
        tune.report({**done, "reused": 1})
        return

    label = variant_label(params) if job.study.kind == "ablation" else net.key()
    ray_trial = tune.get_context().get_trial_id()
    where = {"atlas.worker_pid": str(os.getpid()),
             "atlas.node": ray.get_runtime_context().get_node_id()}
    earlier = tracking.retried_run(client, job.experiment_id, job.parent_id, key, ray_trial)
    if earlier is not None:  # Tune retries this trial after its worker died
        run = tracking.TrialRun.reopen(client, earlier, where)
    else:
        tags = {"atlas.role": "trial", "atlas.study": job.study.name,
                "atlas.budget": job.budget_name, "atlas.generation": str(job.generation),
                "atlas.trial_key": key, "atlas.variant": label, "atlas.seed": str(seed),
                "atlas.preset": job.study.base, "atlas.spec_key": net.key(),
                "atlas.kind": job.study.kind, "atlas.ray_trial_id": ray_trial, **where,
                **job.tags,
                **{f"atlas.axis.{k}": str(v) for k, v in params.items() if k != "seed"}}
        logged = {**{f"net.{k}": v for k, v in net.flat().items()},
                  **{f"recipe.{k}": v for k, v in recipe.to_dict().items()},
                  "dataset": job.study.dataset, "seed": seed,
                  **{f"axis.{k}": v for k, v in params.items() if k != "seed"}}
        run = tracking.TrialRun.create(client, job.experiment_id, job.parent_id,
                                       f"{label} seed={seed}", logged, tags, net.to_json())
    # Every report carries the point's cost, so two-objective searchers (error, MACs) and
    # schedulers see it from the first epoch on.
    cx = complexity(job.adapted(net), job.input_size)
    cost = {"macs": cx.macs, "params": cx.params}
    # The sampler sees the worst possible error (1.0) for a point that could not be trained.
    worst = {k: 1.0 for k in job.study.objectives if k.endswith("_error")}
    violation = job.study.violation_of(cx)
    if violation is not None:  # pruned before any training, the reason recorded
        run.finish(cost, "pruned", violation)
        tune.report({**cost, **worst, "status": "pruned", "mlflow_run_id": run.run_id})
        return

    checkpoint_dir = _checkpoint_dir(job, key)
    if _restore_tune_checkpoint(checkpoint_dir):
        client.set_tag(run.run_id, "atlas.restored_from", "ray_tune_checkpoint")

    def report(metrics: dict[str, Any]) -> None:
        run.log_epoch(metrics, step=int(metrics["epoch"]))
        with _tune_checkpoint(checkpoint_dir) as checkpoint:
            tune.report({**metrics, **cost, "mlflow_run_id": run.run_id}, checkpoint=checkpoint)

    try:
        result = train(net, recipe, data=job.study.dataset, report=report,
                       checkpoint_dir=checkpoint_dir)
    except Exception as e:  # isolated: recorded, and the study goes on
        status, reason = failure(e)
        _exit_if_orphaned(job)
        run.finish({}, status, reason, details=traceback.format_exc())
        _free_accelerator_memory()
        tune.report({**cost, **worst, "status": status, "reason": reason,
                     "mlflow_run_id": run.run_id, "done": 1})
        return
    final = {k: result[k] for k in FINAL_KEYS if k in result}
    final["startup_s"] = process_s + (result.get("setup_s") or 0.0) + _since(entered, result)
    _exit_if_orphaned(job)
    client.set_tag(run.run_id, "atlas.device", str(result.get("device", "")))
    client.set_tag(run.run_id, "atlas.resumed_from_epoch",
                   str(result.get("resumed_from_epoch", 0)))
    run.finish(final, result["status"], result.get("reason", ""), step=int(result["epochs"]))
    tune.report({**final, "status": result["status"], "mlflow_run_id": run.run_id,
                 "done": 1})


def _exit_when_driver_dies(job: Job) -> None:
    """A worker on the driver's machine outlives a killed driver by seconds (its Ray died with
    the driver, and training does not talk to Ray until its next report). In that time it
    could finish a run the next invocation has closed, or will train again. So a watchdog
    thread ends this process within a second of the driver's death. (On a cluster that
    survives its driver, Ray ends the dead job's workers itself.)"""
    global _WATCHING
    if _WATCHING or not liveness.on_this_machine(job.driver):
        return
    _WATCHING = True

    def watch() -> None:
        while not _driver_gone(job):
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="atlas-driver-watchdog", daemon=True).start()


def _driver_gone(job: Job) -> bool:
    """The driver ran on this machine and its process is gone (elsewhere: Ray's business)."""
    return liveness.on_this_machine(job.driver) and not liveness.alive(job.driver, None)


def _exit_if_orphaned(job: Job) -> None:
    """Checked again just before a run is closed, so no orphan closes one."""
    if _driver_gone(job):
        os._exit(1)


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


class _tune_checkpoint:
    """The trainer's latest checkpoint as a Tune Checkpoint, in a folder of its own (a hard
    link, so the trainer's next save, an atomic replace, cannot change it while Tune copies)."""

    def __init__(self, checkpoint_dir: Path):
        self.source = checkpoint_dir / "checkpoint.pt"
        self.folder: str | None = None

    def __enter__(self):
        if not self.source.exists():
            return None
        self.folder = tempfile.mkdtemp(prefix="atlas-ckpt-")
        target = Path(self.folder) / self.source.name
        try:
            os.link(self.source, target)
        except OSError:
            shutil.copy2(self.source, target)
        return tune.Checkpoint.from_directory(self.folder)

    def __exit__(self, *exc) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _restore_tune_checkpoint(checkpoint_dir: Path) -> bool:
    """A retried trial (its worker died) starts from the checkpoint it last reported to Tune.
    Returns whether there was one."""
    checkpoint = tune.get_checkpoint()
    if checkpoint is None:
        return False
    with checkpoint.as_directory() as folder:
        source = Path(folder) / "checkpoint.pt"
        if not source.exists():
            return False
        tmp = checkpoint_dir / f".restore.{os.getpid()}.tmp"
        shutil.copy2(source, tmp)
        os.replace(tmp, checkpoint_dir / "checkpoint.pt")
    return True


def _since(entered: float, result: dict[str, Any]) -> float:
    """Seconds this trial spent before `train` started (MLflow set-up, point rebuild)."""
    started = result.get("started_at")
    return max(0.0, started - entered) if isinstance(started, (int, float)) else 0.0


# ---- the driver -------------------------------------------------------------------------------


class Progress(tune.Callback):
    """One line per finished trial: done/running/failed, best so far, elapsed and left."""

    def __init__(self, study: Study, total: int):
        self.study, self.total = study, total
        self.started = time.time()
        self.done = self.failed = self.running = 0
        self.best: tuple[float, str] | None = None

    def on_trial_start(self, iteration, trials, trial, **info):
        self.running += 1

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.running = max(0, self.running - 1)
        self.done += 1
        result = trial.last_result or {}
        status = result.get("status", "ok")
        if status in (*tracking.FAILURE_STATUSES, "diverged"):
            self.failed += 1
        value = result.get(self.study.metric)
        if status == "ok" and isinstance(value, (int, float)) and math.isfinite(value):
            label = self._label(trial)
            if self.best is None or value < self.best[0]:
                self.best = (float(value), label)
        _close_early_stopped(result)
        self._line(trial, status + (f" ({result['reason']})" if result.get("reason") else ""))

    def on_trial_recover(self, iteration, trials, trial, **info):
        self.running = max(0, self.running - 1)
        print(f"[{self.study.name}] {self._label(trial)}: its worker died; retrying from its "
              "last checkpoint", flush=True)

    def on_trial_error(self, iteration, trials, trial, **info):
        self.running = max(0, self.running - 1)
        self.done += 1
        self.failed += 1
        self._line(trial, "failed (Ray gave up on it; see the Ray log)")

    def _label(self, trial) -> str:
        params = trial_params(trial.config)
        return variant_label(params) + (f" seed={params['seed']}" if "seed" in params else "")

    def _line(self, trial, status: str) -> None:
        elapsed = time.time() - self.started
        finished = self.done
        left = elapsed / finished * (self.total - finished) if finished else math.nan
        best = f"best {self.study.metric} {self.best[0]:.4f} ({self.best[1]})" if self.best else ""
        print(f"[{self.study.name}] {finished}/{self.total} done ({self.failed} failed, "
              f"{self.running} running) | last: {self._label(trial)} {status} | {best} | "
              f"{_hms(elapsed)} elapsed, ~{_hms(left)} left", flush=True)


def _close_early_stopped(result: dict[str, Any]) -> None:
    """A trial ASHA stopped never reached its own `finish`: close its MLflow run here."""
    run_id = result.get("mlflow_run_id")
    if run_id and not result.get("done") and result.get("status") not in ("pruned",) and not (
        result.get("reused")
    ):
        c = tracking.client()
        run = c.get_run(run_id)
        if run.info.status == "RUNNING":
            c.set_tag(run_id, "atlas.status", "early_stopped")
            c.set_terminated(run_id, "FINISHED")


def _hms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


@dataclass(frozen=True)
class DefineByRun:
    """A search's space as Optuna's define-by-run function (a picklable object: Tune
    checkpoints its searcher)."""

    study: Study

    def __call__(self, trial: optuna.Trial) -> None:
        self.study.space(trial, self.study.base_net)


def optuna_storage_url() -> str:
    """Optuna's study store: beside the default MLflow store, or ATLAS_OPTUNA_STORAGE."""
    return os.environ.get("ATLAS_OPTUNA_STORAGE") or f"sqlite:///{Path.cwd() / 'optuna.db'}"


def release_interrupted(ot_study) -> int:
    """Trials a dead driver left RUNNING in the Optuna store: mark them failed, so the search
    samples that many points again. Only called once no live driver runs this study."""
    stale = ot_study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for t in stale:
        ot_study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
    return len(stale)


def ablation_points(study: Study, budget: Budget) -> list[dict[str, Any]]:
    """Every trial of an ablation: each grid point with each seed, seed by seed (so an
    interrupted study has whole replicates rather than a few variants with every seed)."""
    return [{**p, "seed": seed} for seed in range(budget.seeds) for p in study.grid_points(budget)]


def run(study: Study, budget_name: str, *, fresh: bool = False, out=None) -> dict[str, Any]:
    """Run (or resume) a study; returns {"parent_run_id", "generation", "trials", "status"}.
    Raises StudyBusy, before writing anything, if a live driver runs this study already."""
    out = out or sys.stdout
    budget = study.budget(budget_name)
    recipe = study.recipe_for(budget)
    shape = parse_data(study.dataset).shape
    if shape is None:
        raise ValueError(f"dataset {study.dataset!r}: shape unknown before loading")
    uri = tracking.tracking_uri()
    tracking.check_store(uri)
    client = tracking.client()
    exp_id = tracking.experiment_id(client, study.name)
    live, dead = tracking.live_and_dead_parents(client, exp_id)
    if live:
        tags = live[0].data.tags
        raise StudyBusy(
            f"study {study.name} is already running (parent run {live[0].info.run_id}, driver "
            f"{tags.get('atlas.driver', '?')}); wait for it to finish or stop it, then run "
            "the same command again")
    for parent_run in dead:
        closed = tracking.close_dead_parent(client, exp_id, parent_run.info.run_id)
        print(f"[{study.name}] an earlier invocation (parent run {parent_run.info.run_id}) "
              f"died; its {closed} unfinished trial(s) are marked killed and will run again",
              file=out, flush=True)
    gen = tracking.bump_generation(client, exp_id) if fresh else tracking.generation(client,
                                                                                      exp_id)
    job = Job(study=study, budget_name=budget_name, budget=budget, recipe=recipe,
              tracking_uri=uri, experiment_id=exp_id, parent_id="", generation=gen,
              checkpoint_root=str(atlas_folder() / "checkpoints" / study.name),
              input_size=shape.input_size, num_classes=shape.num_classes,
              tags={"atlas.git_commit": tracking.git_commit()}, driver=liveness.identity())

    ot_study = None
    if study.kind == "ablation":
        finished = tracking.finished_keys(client, exp_id, gen)
        points = ablation_points(study, budget)
        todo = [p for p in points if job.resolve(p)[2] not in finished]
        total, remaining = len(points), len(todo)
    else:
        ot_study = _optuna_study(study, budget_name, gen)
        stale = release_interrupted(ot_study)
        if stale:
            print(f"[{study.name}] {stale} search trial(s) interrupted earlier will be "
                  "sampled again", file=out, flush=True)
        complete = len(ot_study.get_trials(deepcopy=False,
                                           states=(optuna.trial.TrialState.COMPLETE,)))
        total, remaining, todo = budget.trials, max(0, budget.trials - complete), []

    parent = tracking.start_parent(client, exp_id, study.name, budget_name, {
        "atlas.study": study.name, "atlas.generation": str(gen), "atlas.claim": study.claim,
        "atlas.source": study.source, "atlas.kind": study.kind, "atlas.preset": study.base})
    job = dataclasses.replace(job, parent_id=parent)
    print(f"[{study.name}] {study.claim}\n[{study.name}] source: {study.source}; budget "
          f"{budget_name}; {remaining} of {total} trials to run; MLflow {uri}, experiment "
          f"{study.name}, parent run {parent}", file=out, flush=True)
    status = "FINISHED"
    beat = _Heartbeat(parent)
    try:
        if remaining:
            beat.start()
            _tune(study, budget, job, todo, remaining, ot_study)
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    except BaseException:
        status = "FAILED"
        raise
    finally:
        beat.stop()
        # Tune turns Ctrl-C into a graceful stop and returns; trials it cut short are the
        # child runs still RUNNING, and an interrupted invocation is one that left some.
        killed = tracking.close_dangling(client, exp_id, parent)
        if killed and status == "FINISHED":
            status = "KILLED"
        if status == "KILLED":
            print(f"[{study.name}] interrupted: {killed} trial(s) cut short are marked killed "
                  "in MLflow; finished trials are kept; run the same command again to resume",
                  file=out, flush=True)
        tracking.finish_parent(client, parent, status, {})
    return {"parent_run_id": parent, "generation": gen, "experiment_id": exp_id,
            "trials": total, "status": status}


def atlas_folder() -> Path:
    """Trial checkpoints and Ray's results: ./.atlas (ATLAS_HOME overrides)."""
    return Path(os.environ.get("ATLAS_HOME") or Path.cwd() / ".atlas").resolve()


class _Heartbeat:
    """Refreshes the parent run's heartbeat while the study runs (liveness.alive reads it)."""

    def __init__(self, parent_id: str):
        self.parent_id = parent_id
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="atlas-heartbeat", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _beat(self) -> None:
        client = tracking.client()
        while not self.stopped.wait(liveness.HEARTBEAT_EVERY_S):
            try:
                tracking.heartbeat(client, self.parent_id)
            except Exception:  # a busy store: the next beat will do
                pass


def _optuna_study(study: Study, budget_name: str, gen: int):
    with sqlite_store_lock(optuna_storage_url()):  # a new store's tables: one creator
        storage = optuna.storages.RDBStorage(optuna_storage_url())
    return optuna.create_study(storage=storage, study_name=f"{study.name}/{budget_name}/gen{gen}",
                               directions=["minimize"] * len(study.objectives),
                               load_if_exists=True)


def _searcher(study: Study, budget: Budget, ot_study):
    """OptunaSearch over the search's space (TPE, or NSGA-II for two objectives), its state
    in the Optuna storage so that a rerun continues the same Optuna study."""
    if len(study.objectives) == 2:
        sampler = optuna.samplers.NSGAIISampler(seed=0)
        mode, metric = ["min", "min"], list(study.objectives)
    else:
        sampler = optuna.samplers.TPESampler(seed=0)
        mode, metric = "min", study.metric
    searcher = OptunaSearch(DefineByRun(study), metric=metric, mode=mode, sampler=sampler,
                            study_name=ot_study.study_name, storage=ot_study._storage)
    return ConcurrencyLimiter(searcher, max_concurrent=budget.concurrency)


def _tune(study: Study, budget: Budget, job: Job, todo: list[dict[str, Any]], remaining: int,
          ot_study) -> None:
    """Run the trials: an ablation's `todo` points, or `remaining` points a search's Optuna
    study `ot_study` picks."""
    if study.kind == "search":
        search_alg, param_space, samples = _searcher(study, budget, ot_study), None, remaining
        if study.pruner == "asha":
            scheduler = ASHAScheduler(metric=study.metric, mode="min",
                                      time_attr="training_iteration",
                                      max_t=job.recipe.epochs + 1, grace_period=1,
                                      reduction_factor=2)
        else:
            scheduler = FIFOScheduler()
    else:  # seed-replicated ablations are never stopped early: every replicate counts
        search_alg, param_space, samples = None, {"point": tune.grid_search(todo)}, 1
        scheduler = FIFOScheduler()
    _init_ray()
    _pickle_study_file_by_value(study)
    resources = {"cpu": budget.cpus_per_trial, "gpu": budget.gpus_per_trial}
    trainable = tune.with_resources(tune.with_parameters(run_trial, job=job), resources)
    tuner = tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(search_alg=search_alg, scheduler=scheduler,
                                    num_samples=samples, reuse_actors=True,
                                    max_concurrent_trials=budget.concurrency),
        run_config=tune.RunConfig(
            name=f"{study.name}-{job.budget_name}-gen{job.generation}-{job.parent_id[:8]}",
            storage_path=ray_storage(),
            callbacks=[Progress(study, remaining)],
            verbose=0,
            # a trial whose worker died is retried once, from its last reported checkpoint
            failure_config=tune.FailureConfig(max_failures=1),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
        ),
    )
    tuner.fit()


def _pickle_study_file_by_value(study: Study) -> None:
    """A study from a file of its own (catalogue.from_file) travels to the workers by value:
    they cannot import it by name."""
    from .catalogue import FILE_MODULE_PREFIX

    module = sys.modules.get(getattr(study.space, "__module__", ""))
    if module is not None and module.__name__.startswith(FILE_MODULE_PREFIX):
        ray.cloudpickle.register_pickle_by_value(module)


def ray_storage() -> str:
    """Where Ray Tune keeps results and trial checkpoints: ./.atlas/ray_results, or
    ATLAS_RAY_STORAGE (on a multi-machine cluster, storage every node reaches: NFS, s3://)."""
    return os.environ.get("ATLAS_RAY_STORAGE") or str(atlas_folder() / "ray_results")


def _init_ray() -> None:
    if ray.is_initialized():
        return
    # Keeping one checkpoint per trial makes Tune snapshot its experiment state at every
    # checkpoint; that is cheap here (a small JSON file), so its warning is noise.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    address = os.environ.get("RAY_ADDRESS")
    repo = str(Path(__file__).resolve().parent.parent)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])),
           # Tune runs each trial in its own folder: one absolute data folder for all of them,
           # so the dataset is unpacked once, not per trial
           "ATLAS_DATA": str(data_root()),
           # which driver a worker serves (its watchdog has it from the Job; this names it
           # in the process's environment, for `ps e` and the tests)
           "ATLAS_DRIVER": liveness.identity()}
    if address:  # attach to a cluster (KubeRay, `ray up`, or `ray start --head`)
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
    else:
        ray.init(include_dashboard=False, runtime_env={"env_vars": env}, log_to_driver=False,
                 configure_logging=False)


def shutdown() -> None:
    if ray.is_initialized():
        ray.shutdown()

"""Runs a study with Ray Tune: the only module that imports ray.

Ray Tune's `Tuner` runs the trials; `OptunaSearch` picks the points (Optuna's GridSampler for
ablations, TPE for one-objective searches, NSGA-II for two); ASHA stops poor search trials
early (never seed-replicated ablations); every trial is an MLflow child run (tracking.py).

Resuming: the Optuna study lives in an Optuna storage next to the MLflow store, so a rerun's
sampler knows which points finished; and a trial whose key already has a FINISHED MLflow run
returns that run's metrics instead of training again, so MLflow never gets a duplicate.
"""

from __future__ import annotations

import math
import os
import sys
import time
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

from . import tracking
from .study import Budget, Study, variant_label

optuna.logging.set_verbosity(optuna.logging.WARNING)


class GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid sampler, minus its `Study.stop()` once the grid is done: under Ray Tune
    there is no optimize loop to stop (Tune's num_samples ends the run), and Optuna raises
    a RuntimeError there, which Tune logs as noise."""

    def after_trial(self, study, trial, state, values) -> None:
        return None

# Final metrics a trial reports and MLflow keeps, besides the last epoch's.
FINAL_KEYS = ("val_error", "val_loss", "train_error", "train_loss", "test_error", "test_loss",
              "params", "macs", "wall_s", "epochs", "startup_s")
_PROCESS_FRESH = True  # first trial in this worker process: its start-up includes the process


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

    def adapted(self, net):
        """The point as the trainer will build it for this dataset (trainers.train._adapt)."""
        small = self.recipe.small_input
        if small is None:
            small = max(self.input_size[1:]) <= 64
        return net.adapt(num_classes=self.num_classes, in_channels=self.input_size[0],
                         small_input=small)


def run_trial(config: dict[str, Any], job: Job) -> None:
    """One trial: rebuild the point, skip it if MLflow already has it, check constraints,
    train, log every epoch, report to Tune."""
    global _PROCESS_FRESH
    entered = time.time()
    process_s = 0.0
    if _PROCESS_FRESH:  # time from this worker's process start to here
        process_s = max(0.0, entered - _process_start_time())
        _PROCESS_FRESH = False
    os.environ["MLFLOW_TRACKING_URI"] = job.tracking_uri
    params = dict(config)
    seed = int(params.get("seed", 0))
    net = job.study.point(params, job.budget)
    recipe = job.recipe.replace(seed=seed, threads=job.budget.cpus_per_trial)
    label = variant_label(params) if job.study.kind == "ablation" else net.key()
    run_only = ("threads", "time_limit_s")
    key = tracking.trial_key(
        study=job.study.name, budget=job.budget_name, generation=job.generation,
        point=net.key(), seed=seed, dataset=job.study.dataset,
        recipe={k: v for k, v in recipe.to_dict().items() if k not in run_only},
    )
    client = tracking.client()
    done = tracking.finished_trial(client, job.experiment_id, key)
    if done is not None:  # finished in an earlier invocation: report, don't retrain
        tune.report({**done, "reused": 1})
        return

    tags = {"atlas.role": "trial", "atlas.study": job.study.name,
            "atlas.budget": job.budget_name, "atlas.generation": str(job.generation),
            "atlas.trial_key": key, "atlas.variant": label, "atlas.seed": str(seed),
            "atlas.preset": job.study.base, "atlas.spec_key": net.key(),
            "atlas.kind": job.study.kind, **job.tags,
            **{f"atlas.axis.{k}": str(v) for k, v in params.items() if k != "seed"}}
    logged = {**{f"net.{k}": v for k, v in net.flat().items()},
              **{f"recipe.{k}": v for k, v in recipe.to_dict().items()},
              "dataset": job.study.dataset, "seed": seed,
              **{f"axis.{k}": v for k, v in params.items() if k != "seed"}}
    run = tracking.TrialRun(client, job.experiment_id, job.parent_id, f"{label} seed={seed}",
                            logged, tags, net.to_json())
    # Every report carries the point's cost, so two-objective searchers (error, MACs) and
    # schedulers see it from the first epoch on.
    cx = complexity(job.adapted(net), job.input_size)
    cost = {"macs": cx.macs, "params": cx.params}
    violation = job.study.violation(job.adapted(net), job.input_size)
    if violation is not None:  # pruned before any training, the reason recorded
        run.finish(cost, "pruned", violation)
        # The sampler sees the worst possible error (1.0): never better than a trained point.
        errors = {k: 1.0 for k in job.study.objectives if k.endswith("_error")}
        tune.report({**cost, **errors, "status": "pruned", "mlflow_run_id": run.run_id})
        return

    def report(metrics: dict[str, Any]) -> None:
        run.log_epoch(metrics, step=int(metrics["epoch"]))
        tune.report({**metrics, **cost, "mlflow_run_id": run.run_id})

    checkpoint_dir = Path(job.checkpoint_root) / key
    try:
        result = train(net, recipe, data=job.study.dataset, report=report,
                       checkpoint_dir=checkpoint_dir)
    except Exception as e:  # recorded, then re-raised so Tune marks the trial failed
        run.finish({}, "failed", f"{type(e).__name__}: {e}")
        raise
    final = {k: result[k] for k in FINAL_KEYS if k in result}
    final["startup_s"] = process_s + (result.get("setup_s") or 0.0) + _since(entered, result)
    client.set_tag(run.run_id, "atlas.device", str(result.get("device", "")))
    run.finish(final, result["status"], result.get("reason", ""), step=int(result["epochs"]))
    tune.report({**final, "status": result["status"], "mlflow_run_id": run.run_id,
                 "done": 1})


def _since(entered: float, result: dict[str, Any]) -> float:
    """Seconds this trial spent before `train` started (MLflow set-up, point rebuild)."""
    started = result.get("started_at")
    return max(0.0, started - entered) if isinstance(started, (int, float)) else 0.0


def _process_start_time() -> float:
    """Wall-clock start of this process (Linux /proc), for the per-trial start-up cost."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


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
        value = result.get(self.study.metric)
        if isinstance(value, (int, float)) and math.isfinite(value):
            label = variant_label(trial.config) if self.study.kind == "ablation" else trial.trial_id
            if self.best is None or value < self.best[0]:
                self.best = (float(value), label)
        _close_early_stopped(result)
        self._line(trial, result.get("status", "ok"))

    def on_trial_error(self, iteration, trials, trial, **info):
        self.running = max(0, self.running - 1)
        self.failed += 1
        self._line(trial, "failed")

    def _line(self, trial, status: str) -> None:
        elapsed = time.time() - self.started
        finished = self.done + self.failed
        left = elapsed / finished * (self.total - finished) if finished else math.nan
        best = f"best {self.study.metric} {self.best[0]:.4f} ({self.best[1]})" if self.best else ""
        print(f"[{self.study.name}] {finished}/{self.total} done ({self.failed} failed, "
              f"{self.running} running) | last: {variant_label(trial.config)} {status} | {best} | "
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
    """The study's space, plus the seed axis of an ablation, as Optuna's define-by-run
    function (a picklable object: Tune checkpoints its searcher)."""

    study: Study
    seeds: list[int] | None

    def __call__(self, trial: optuna.Trial) -> None:
        self.study.space(trial, self.study.base_net)
        if self.seeds is not None:
            trial.suggest_categorical("seed", self.seeds)


def optuna_storage_url() -> str:
    """Optuna's study store: beside the default MLflow store, or ATLAS_OPTUNA_STORAGE."""
    return os.environ.get("ATLAS_OPTUNA_STORAGE") or f"sqlite:///{Path.cwd() / 'optuna.db'}"


def release_interrupted(ot_study) -> int:
    """Trials an earlier, interrupted invocation left RUNNING in the Optuna store: mark them
    failed and free their grid points, so the grid sampler hands each out exactly once more
    (left RUNNING, it would treat them as in flight and could hand a point out twice).
    Do not run the same study twice at once: the second would release the first's trials."""
    storage = ot_study._storage
    stale = ot_study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for t in stale:
        if "grid_id" in t.system_attrs:
            storage.set_trial_system_attr(t._trial_id, "grid_id", -1)  # no grid point
        storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
    return len(stale)


def plan(study: Study, budget_name: str, budget: Budget, optuna_study) -> tuple[Any, int, dict]:
    """The sampler and the number of trials still to run (0 when everything finished)."""
    finished = [t for t in optuna_study.get_trials(deepcopy=False)
                if t.state in (optuna.trial.TrialState.COMPLETE,)]
    if study.kind == "ablation":
        grid = {**dict(study.grid_for(budget)), "seed": list(range(budget.seeds))}
        total = math.prod(len(v) for v in grid.values())
        sampler = GridSampler(grid, seed=0)
        return sampler, max(0, total - len(finished)), grid
    total = budget.trials
    if len(study.objectives) == 2:
        sampler = optuna.samplers.NSGAIISampler(seed=0)
    else:
        sampler = optuna.samplers.TPESampler(seed=0)
    return sampler, max(0, total - len(finished)), {}


def run(study: Study, budget_name: str, *, fresh: bool = False, out=None) -> dict[str, Any]:
    """Run (or resume) a study; returns {"parent_run_id", "generation", "trials", "status"}."""
    out = out or sys.stdout
    budget = study.budget(budget_name)
    recipe = study.recipe_for(budget)
    shape = parse_data(study.dataset).shape
    if shape is None:
        raise ValueError(f"dataset {study.dataset!r}: shape unknown before loading")
    uri = tracking.tracking_uri()
    tracking.check_writable(uri)
    client = tracking.client()
    exp_id = tracking.experiment_id(client, study.name)
    if fresh:
        gen = tracking.bump_generation(client, exp_id)
    else:
        gen = tracking.generation(client, exp_id)
    parent = tracking.start_parent(client, exp_id, study.name, budget_name, {
        "atlas.study": study.name, "atlas.generation": str(gen), "atlas.claim": study.claim,
        "atlas.source": study.source, "atlas.kind": study.kind, "atlas.preset": study.base})

    storage = optuna.storages.RDBStorage(optuna_storage_url())
    optuna_name = f"{study.name}/{budget_name}/gen{gen}"
    directions = ["minimize"] * len(study.objectives)
    ot_study = optuna.create_study(storage=storage, study_name=optuna_name,
                                   directions=directions, load_if_exists=True)
    stale = release_interrupted(ot_study)
    if stale:
        print(f"[{study.name}] {stale} trial(s) interrupted earlier will run again",
              file=out, flush=True)
    sampler, remaining, grid = plan(study, budget_name, budget, ot_study)
    total = remaining + len([t for t in ot_study.get_trials(deepcopy=False)
                             if t.state == optuna.trial.TrialState.COMPLETE])
    print(f"[{study.name}] {study.claim}\n[{study.name}] source: {study.source}; budget "
          f"{budget_name}; {remaining} of {total} trials to run; MLflow {uri}, experiment "
          f"{study.name}, parent run {parent}", file=out, flush=True)
    job = Job(study=study, budget_name=budget_name, budget=budget, recipe=recipe,
              tracking_uri=uri, experiment_id=exp_id, parent_id=parent, generation=gen,
              checkpoint_root=str(Path.cwd() / ".atlas" / "checkpoints" / study.name),
              input_size=shape.input_size, num_classes=shape.num_classes,
              tags={"atlas.git_commit": tracking.git_commit()})
    status = "FINISHED"
    try:
        if remaining:
            _tune(study, budget, job, sampler, grid, storage, optuna_name, remaining, out)
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    except BaseException:
        status = "FAILED"
        raise
    finally:
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


def _tune(study: Study, budget: Budget, job: Job, sampler, grid: dict, storage, optuna_name: str,
          remaining: int, out) -> None:
    mode = ["min"] * len(study.objectives) if len(study.objectives) > 1 else "min"
    metric = list(study.objectives) if len(study.objectives) > 1 else study.metric
    searcher = OptunaSearch(DefineByRun(study, grid.get("seed")), metric=metric, mode=mode,
                            sampler=sampler,
                            study_name=optuna_name, storage=storage)
    searcher = ConcurrencyLimiter(searcher, max_concurrent=budget.concurrency)
    if study.kind == "search" and study.pruner == "asha":
        epochs = job.recipe.epochs
        scheduler = ASHAScheduler(metric=study.metric, mode="min", time_attr="training_iteration",
                                  max_t=epochs + 1, grace_period=1, reduction_factor=2)
    else:  # seed-replicated ablations are never stopped early: every replicate counts
        scheduler = FIFOScheduler()
    _init_ray(budget)
    resources = {"cpu": budget.cpus_per_trial, "gpu": budget.gpus_per_trial}
    trainable = tune.with_resources(tune.with_parameters(run_trial, job=job), resources)
    tuner = tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(search_alg=searcher, scheduler=scheduler,
                                    num_samples=remaining, reuse_actors=True),
        run_config=tune.RunConfig(
            name=f"{study.name}-{job.budget_name}-gen{job.generation}",
            storage_path=str(Path.cwd() / ".atlas" / "ray_results"),
            callbacks=[Progress(study, remaining)],
            verbose=0,
            failure_config=tune.FailureConfig(max_failures=1),
        ),
    )
    tuner.fit()


def _init_ray(budget: Budget) -> None:
    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS")
    repo = str(Path(__file__).resolve().parent.parent)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])),
           # Tune runs each trial in its own folder: one absolute data folder for all of them,
           # so the dataset is unpacked once, not per trial
           "ATLAS_DATA": str(data_root())}
    if address:  # attach to a cluster (KubeRay, `ray up`, or `ray start --head`)
        ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
    else:
        ray.init(include_dashboard=False, runtime_env={"env_vars": env}, log_to_driver=False,
                 configure_logging=False)


def shutdown() -> None:
    if ray.is_initialized():
        ray.shutdown()

"""The driver's side of a study: plan what is left to run, run it with Ray Tune, close up.

An ablation runs the grid points (times the seeds) that MLflow has no finished run for (Tune's
grid_search); a search lets `OptunaSearch` pick the points (TPE for one objective, NSGA-II for
two) and ASHA stop poor ones early. Every trial is an MLflow child run of this invocation's
parent run (`trial.run_trial` in the workers).

What survives what:
- The driver interrupted (Ctrl-C) or killed (SIGKILL, a lost machine): finished trials are
  FINISHED runs and are never trained again; the next invocation closes the dead driver's
  RUNNING runs as KILLED and resumes cut-short trials from their checkpoints.
- A trial's worker dies (killed, node lost): Ray Tune retries the trial once (FailureConfig)
  from the last checkpoint it reported; the retry carries on in the same MLflow run.
- A trial raises (a bug, out of memory): its run is closed FAILED with the status and reason
  (traceback in error.txt), the sampler sees the worst error, the study goes on, and the next
  invocation tries it again. A non-finite loss is a result: status "diverged".
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ray import tune
from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

from trainers.contract import training_identity
from trainers.data import parse as parse_data
from verdicts.sequential import encode

from . import checks, host, liveness, rounds, schema, tracking
from .failures import stage
from .locations import atlas_folder, ray_storage
from .progress import Progress
from .ray_setup import init_ray
from .search_store import SearchStore
from .study import Budget, Study
from .timing import StudyClock
from .trial import Job, planned_precision, run_trial


class StudyBusy(Exception):
    """The study is being run by a live driver; a second one would hand out its trials."""


@dataclass
class Plan:
    """What this invocation runs: an ablation's `todo` points, or `remaining` points that a
    search's Optuna study picks."""

    total: int
    remaining: int
    todo: list[dict[str, Any]]
    search: SearchStore | None = None


def ablation_points(study: Study, budget: Budget, seeds: int | None = None
                    ) -> list[dict[str, Any]]:
    """Every trial of an ablation up to `seeds` seeds (default: the first round's): each grid
    point with each seed, seed by seed (so an interrupted study has whole replicates rather
    than a few variants with every seed)."""
    seeds = seeds or budget.seed_looks[0]
    return [{**p, "seed": seed} for seed in range(seeds) for p in study.grid_points(budget)]


def granted_cpus(budget: Budget) -> Budget:
    """The budget with its trials' CPU cores fixed (`Budget.trial_cpus`): shared out from this
    machine's cores, or 1 per trial on a cluster (RAY_ADDRESS), whose nodes are not known
    here. Driver and workers then agree on the threads each trial trains with."""
    cores = 1 if os.environ.get("RAY_ADDRESS") else None
    return dataclasses.replace(budget, cpus_per_trial=budget.trial_cpus(cores))


def condition_key(study: Study, budget_name: str, budget: Budget, recipe) -> str:
    """Which comparison a trial belongs to (`recipe`: the budget's, study.recipe_for): trials
    of one condition differ only in their point's varied axes and their seed, so they may be
    compared; two conditions never pool. The precision is the one the recipe resolves to on
    the device the budget asks for (a GPU fraction: CUDA)."""
    resolved = recipe.replace(precision=planned_precision(recipe, budget))
    return tracking.trial_key(study=study.name, budget=budget_name, dataset=study.dataset,
                              recipe=training_identity(resolved), net=dict(budget.net),
                              base=study.base)


def run(study: Study, budget_name: str, *, fresh: bool = False, out=None,
        overrides: str = "", clock: StudyClock | None = None) -> dict[str, Any]:
    """Run (or resume) a study; returns {"parent_run_id", "generation", "experiment_id",
    "trials", "status", "condition"}. Raises StudyBusy, before writing anything, if a live
    driver runs this study already. `clock` gets the seconds of each phase (timing)."""
    out = out or sys.stdout
    clock = clock or StudyClock()
    budget = granted_cpus(study.budget(budget_name))
    clock.at_once = budget.concurrency
    shape = parse_data(study.dataset).shape
    if shape is None:
        raise ValueError(f"dataset {study.dataset!r}: shape unknown before loading")
    # Ray's start is mostly waiting for its processes: the MLflow store opens beside it, or
    # beside what is left of it when Ray started during the preflight (a study that started
    # running since preflight is refused once both are done). The parent
    # run is opened only then, so that a failed or interrupted start leaves none RUNNING.
    with ThreadPoolExecutor(1, thread_name_prefix="atlas-store") as pool:
        opening = pool.submit(_timed, _open_store, study, budget_name, budget, shape, fresh,
                              overrides, out)
        ray_started = time.time()
        with stage("starting Ray"):
            beside_preflight = init_ray(study)
        waited_for_ray = time.time() - ray_started
        if beside_preflight is None:
            clock.mark("ray_start", ray_started)
        else:  # Ray started while the preflight checked the input (ray_setup.start_beside)
            clock.beside("ray_start", beside_preflight, host="preflight")
            clock.mark("ray_wait", ray_started)
        with clock.phase("store_wait"), stage("opening the MLflow store",
                                               passthrough=(StudyBusy,)):
            (client, job, plan), store_s = opening.result()
            job = dataclasses.replace(job, parent_id=_start_parent(client, job, overrides))
        if min(store_s, waited_for_ray) >= 0.05:  # the part of it the wait for Ray hid
            clock.beside("store", min(store_s, waited_for_ray),
                         host="ray_start" if beside_preflight is None else "ray_wait")
    looks = budget.seed_looks if study.kind == "ablation" else ()
    round_note = (f" (round 1 of up to {len(looks)}: {looks[0]} seeds, more while the claim "
                  f"is undecided, up to {looks[-1]})" if len(looks) > 1 else "")
    print(f"[{study.name}] {study.claim}\n[{study.name}] source: {study.source}; budget "
          f"{budget_name}; {plan.remaining} of {plan.total} trials to run{round_note}; MLflow "
          f"{job.tracking_uri}, experiment {study.name}, parent run {job.parent_id}",
          file=out, flush=True)
    with stage("running the trials"):
        status = _drive(client, job, plan, out, clock)
    # this invocation's parent, unless it was discarded as empty
    parent = tracking.latest_parent(client, job.experiment_id) or job.parent_id
    return {"parent_run_id": parent, "generation": job.generation,
            "experiment_id": job.experiment_id, "trials": plan.total, "status": status,
            "condition": job.tags[schema.CONDITION]}


def _timed(function, *args):
    """`function(*args)` and the seconds it took."""
    start = time.time()
    return function(*args), time.time() - start


def _open_store(study: Study, budget_name: str, budget: Budget, shape, fresh: bool,
                overrides: str, out) -> tuple[Any, Job, Plan]:
    """The MLflow client, this invocation's job (no parent run yet) and what is left to run,
    after closing what dead drivers left."""
    uri = tracking.tracking_uri()
    checks.tracking_store(uri)
    client = tracking.client()
    exp_id = tracking.experiment_id(client, study.name, description(study))
    _take_over(client, exp_id, study, out)
    gen = tracking.bump_generation(client, exp_id) if fresh else tracking.generation(client,
                                                                                      exp_id)
    recipe = study.recipe_for(budget)
    job = Job(study=study, budget_name=budget_name, budget=budget,
              recipe=recipe, tracking_uri=uri, experiment_id=exp_id,
              parent_id="", generation=gen,
              checkpoint_root=str(atlas_folder() / "checkpoints" / study.name),
              input_size=shape.input_size, num_classes=shape.num_classes,
              tags={schema.GIT_COMMIT: host.git_commit(),
                    schema.CONDITION: condition_key(study, budget_name, budget, recipe),
                    schema.OVERRIDES: overrides,
                    schema.SEED_LOOKS: encode(budget.seed_looks)},
              driver=liveness.identity(), precision=planned_precision(recipe, budget))
    return client, job, _plan(client, job, out)


def _start_parent(client, job: Job, overrides: str) -> str:
    """This invocation's parent run (its trials are its children); returns its id."""
    study = job.study
    return tracking.start_parent(client, job.experiment_id, study.name, job.budget_name, {
        schema.STUDY: study.name, schema.GENERATION: str(job.generation),
        schema.CLAIM: study.claim, schema.SOURCE: study.source, schema.KIND: study.kind,
        schema.PRESET: study.base, schema.CONDITION: job.tags[schema.CONDITION],
        schema.OVERRIDES: overrides, schema.SEED_LOOKS: job.tags[schema.SEED_LOOKS],
        schema.NOTE: description(study)})


def description(study: Study) -> str:
    """The experiment's description in the MLflow UI: what the study tests, and where from."""
    return (f"**Claim.** {study.claim}\n\n**Source.** {study.source}\n\n"
            f"Base preset `{study.base}`, dataset `{study.dataset}`, metric `{study.metric}`. "
            f"`python -m studies show {study.name}` prints its budgets.")


def _take_over(client, exp_id: str, study: Study, out) -> None:
    """Refuse if a live driver runs the study; close what dead drivers left RUNNING."""
    live, dead = tracking.live_and_dead_parents(client, exp_id)
    if live:  # started since preflight checked (checks.study_not_running)
        raise StudyBusy(checks.already_running(study.name, live[0]))
    for parent_run in dead:
        closed = tracking.close_dead_parent(client, exp_id, parent_run.info.run_id)
        print(f"[{study.name}] an earlier invocation (parent run {parent_run.info.run_id}) "
              f"died; its {closed} unfinished trial(s) are marked killed and will run again",
              file=out, flush=True)


def _plan(client, job: Job, out, seeds: int | None = None) -> Plan:
    study, budget = job.study, job.budget
    if study.kind == "ablation":
        finished = tracking.finished_keys(client, job.experiment_id, job.generation)
        points = ablation_points(study, budget, seeds)
        todo = [p for p in points if job.resolve(p)[2] not in finished]
        return Plan(total=len(points), remaining=len(todo), todo=todo)
    search = SearchStore.open(study, job.budget_name, job.generation)
    stale = search.release_interrupted()
    if stale:
        print(f"[{study.name}] {stale} search trial(s) interrupted earlier will be sampled "
              "again", file=out, flush=True)
    return Plan(total=budget.trials, remaining=max(0, budget.trials - search.completed()),
                todo=[], search=search)


def _drive(client, job: Job, plan: Plan, out, clock: StudyClock) -> str:
    """Run the plan's trials under a heartbeat; close the parent run (and any trial an
    interrupt cut short) whatever happens. Returns the parent's MLflow status."""
    status = "FINISHED"
    beat = _Heartbeat(job.parent_id)
    try:
        beat.start()
        if plan.search is None and len(job.budget.seed_looks) > 1:
            _rounds(client, job, plan, out, clock)
        elif plan.remaining:
            _tune(job, plan, clock)
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
        killed = tracking.close_dangling(client, job.experiment_id, job.parent_id)
        if killed and status == "FINISHED":
            status = "KILLED"
        if status == "KILLED":
            print(f"[{job.study.name}] interrupted: {killed} trial(s) cut short are marked "
                  "killed in MLflow; finished trials are kept; run the same command again to "
                  "resume", file=out, flush=True)
        tracking.finish_parent(client, job.parent_id, status, {})
        if status == "FINISHED" and not tracking.has_children(client, job.experiment_id,
                                                             job.parent_id):
            # nothing was left to run: the invocation leaves no empty parent behind, and the
            # parent that holds the trials stays the study's latest
            tracking.discard_run(client, job.parent_id)
            print(f"[{job.study.name}] nothing to run: every trial had finished",
                  file=out, flush=True)
    return status


def _rounds(client, job: Job, plan: Plan, out, clock: StudyClock) -> None:
    """A sequential ablation: train round after round while a claim pair is undecided."""
    looks = job.budget.seed_looks
    for look, seeds in enumerate(looks):
        if look:
            plan = _plan(client, job, out, seeds)
        if plan.remaining:
            _tune(job, plan, clock, f"r{look + 1}")
        left = _plan(client, job, out, seeds).remaining
        if left:  # interrupted, or trials that failed: the next invocation picks them up
            print(f"[{job.study.name}] round {look + 1} ({seeds} seeds) is missing {left} "
                  "trial(s); run the same command again to finish it", file=out, flush=True)
            return
        decisions = rounds.decide(client, job, seeds)
        print(rounds.round_line(job, look, decisions), file=out, flush=True)
        if all(d.decided for d in decisions):
            return


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


class _CloseEarlyStopped(tune.Callback):
    """A trial the scheduler (ASHA) stopped never reached its own `finish`: close its run."""

    def on_trial_complete(self, iteration, trials, trial, **info):
        result = trial.last_result or {}
        if schema.stopped_early(result):
            tracking.close_early_stopped(tracking.client(), result["mlflow_run_id"])


def _tune(job: Job, plan: Plan, clock: StudyClock, suffix: str = "") -> None:
    study, budget = job.study, job.budget
    if plan.search is not None:
        search_alg, param_space, samples = plan.search.searcher(study, budget), None, \
            plan.remaining
        if study.pruner == "asha":
            scheduler = ASHAScheduler(metric=study.metric, mode="min",
                                      time_attr="training_iteration",
                                      max_t=job.recipe.epochs + 1, grace_period=1,
                                      reduction_factor=2)
        else:
            scheduler = FIFOScheduler()
    else:  # seed-replicated ablations are never stopped early: every replicate counts
        search_alg, param_space, samples = None, {"point": tune.grid_search(plan.todo)}, 1
        scheduler = FIFOScheduler()
    resources = {"cpu": budget.cpus_per_trial, "gpu": budget.gpus_per_trial}
    trainable = tune.with_resources(tune.with_parameters(run_trial, job=job), resources)
    tuner = tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(search_alg=search_alg, scheduler=scheduler,
                                    num_samples=samples, reuse_actors=True,
                                    max_concurrent_trials=budget.concurrency),
        run_config=tune.RunConfig(
            name=f"{study.name}-{job.budget_name}-gen{job.generation}-{job.parent_id[:8]}"
                 + (f"-{suffix}" if suffix else ""),
            storage_path=ray_storage(),
            callbacks=[_CloseEarlyStopped(), Progress(study, plan.remaining, clock)],
            verbose=0,
            # a trial whose worker died is retried once, from its last reported checkpoint
            failure_config=tune.FailureConfig(max_failures=1),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
        ),
    )
    with clock.phase("tune"):
        tuner.fit()

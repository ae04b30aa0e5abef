"""The MLflow schema of a study: every tag name the harness writes or reads, in one place.

Layout: one experiment per study; a parent run per invocation; a child run per trial (one point,
one seed) nested under it with MLflow's own `mlflow.parentRunId` tag. `tracking` is the only
module that talks to MLflow; it and `analysis` read these names from here. This module imports
nothing, so reading a name costs nothing.
"""

PARENT = "mlflow.parentRunId"  # MLflow's own nesting tag (the UI shows the tree)
RUN_NAME = "mlflow.runName"
NOTE = "mlflow.note.content"  # a run's or an experiment's description in the UI
# Which view the UI opens an experiment in; a study's is model training (its runs), not the
# GenAI view (traces) that MLflow 3 picks for an experiment without the tag.
EXPERIMENT_KIND = "mlflow.experimentKind"
EXPERIMENT_KIND_TRAINING = "custom_model_development"

PREFIX = "atlas."
AXIS_PREFIX = "atlas.axis."  # one tag per varied axis of a trial's point

# on every run
ROLE = "atlas.role"  # ROLE_PARENT or ROLE_TRIAL
ROLE_PARENT, ROLE_TRIAL = "parent", "trial"
STUDY = "atlas.study"
BUDGET = "atlas.budget"
GENERATION = "atlas.generation"  # also an experiment tag: bumped by --fresh
KIND = "atlas.kind"
PRESET = "atlas.preset"
GIT_COMMIT = "atlas.git_commit"
STATUS = "atlas.status"  # a trial's status (trainers.STATUSES, pruned, failed, killed, ...)
REASON = "atlas.reason"  # why, in one line

# parent runs
CLAIM = "atlas.claim"
VERDICT = "atlas.verdict"  # the report's verdict (reproduced, contradicted, ...)
PAIR_VERDICTS = "atlas.pair_verdicts"  # "better vs worse: verdict; ..." per claim pair
PARETO_SET = "atlas.pareto_set"  # a search report's Pareto front: point keys, comma-separated
SOURCE = "atlas.source"
DRIVER = "atlas.driver"  # liveness.identity() of the driver process
HEARTBEAT = "atlas.heartbeat"  # unix seconds of the driver's last beat

# parent and trial runs: which comparison a trial belongs to
CONDITION = "atlas.condition"  # study, budget, resolved recipe, net overrides, dataset
OVERRIDES = "atlas.overrides"  # the --set overrides as typed ("epochs=2 seeds=3")
SEED_LOOKS = "atlas.seed_looks"  # an ablation's planned seed rounds, "4,8,12" (one: fixed)

# trial runs
TRIAL_KEY = "atlas.trial_key"  # what identifies a trial across invocations
VARIANT = "atlas.variant"
SEED = "atlas.seed"
SPEC_KEY = "atlas.spec_key"
RAY_TRIAL_ID = "atlas.ray_trial_id"
WORKER_PID = "atlas.worker_pid"
NODE = "atlas.node"
ATTEMPTS = "atlas.attempts"
RESTORED_FROM = "atlas.restored_from"
DEVICE = "atlas.device"
PRECISION = "atlas.precision"  # what the trainer trained in: fp32, bf16, fp16
CPU = "atlas.cpu"  # the CPU model of the machine the trial ran on
CORES = "atlas.cores"  # its CPU cores
GPU = "atlas.gpu"  # the GPU's name, "" when it trained on the CPU
VERSIONS = "atlas.versions"  # Python and the libraries that trained and tracked it
RESUMED_FROM_EPOCH = "atlas.resumed_from_epoch"

# A trial that ended with one of these statuses is closed FAILED in MLflow, and a rerun of the
# study trains it again; every other status (ok, diverged, pruned, ...) is a result.
FAILURE_STATUSES = ("failed", "out_of_memory")
KILLED = "killed"
EARLY_STOPPED = "early_stopped"
PRUNED = "pruned"

# The key of a trial's last report that says the trial itself finished (trained, failed or
# was reused). Not Tune's `done`: Tune sets that too, on the last result of a trial its
# scheduler (ASHA) stops, which never reaches its own finish.
TRIAL_FINISHED = "atlas_trial_finished"


def stopped_early(result: dict) -> bool:
    """Whether a completed trial's last result is one the scheduler stopped it after: it
    reported an epoch and never said it finished, was reused or was pruned."""
    return bool(result.get("mlflow_run_id")) and not result.get(TRIAL_FINISHED) and (
        not result.get("reused")) and result.get("status") != PRUNED

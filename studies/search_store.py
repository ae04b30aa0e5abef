"""A search's Optuna state: the study in an Optuna storage beside the MLflow store, so a rerun's
sampler knows the finished points, and the Ray Tune searcher over it."""

from __future__ import annotations

from dataclasses import dataclass

import optuna
from ray.tune.search import ConcurrencyLimiter
from ray.tune.search.optuna import OptunaSearch

from .locations import optuna_storage_url as storage_url
from .locks import sqlite_store_lock
from .study import Budget, Study

optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass(frozen=True)
class SearchStore:
    """One search's Optuna study and the storage that holds it."""

    storage: optuna.storages.BaseStorage
    study: optuna.Study

    @classmethod
    def open(cls, study: Study, budget_name: str, generation: int) -> SearchStore:
        with sqlite_store_lock(storage_url()):  # a new store's tables: one creator
            storage = optuna.storages.RDBStorage(storage_url())
        ot = optuna.create_study(storage=storage,
                                 study_name=f"{study.name}/{budget_name}/gen{generation}",
                                 directions=["minimize"] * len(study.objectives),
                                 load_if_exists=True)
        return cls(storage, ot)

    def completed(self) -> int:
        return len(self.study.get_trials(deepcopy=False,
                                         states=(optuna.trial.TrialState.COMPLETE,)))

    def release_interrupted(self) -> int:
        """Trials a dead driver left RUNNING: mark them failed, so the search samples that
        many points again. Only called once no live driver runs this study."""
        stale = self.study.get_trials(deepcopy=False,
                                      states=(optuna.trial.TrialState.RUNNING,))
        for t in stale:
            self.study.tell(t.number, state=optuna.trial.TrialState.FAIL)
        return len(stale)

    def searcher(self, study: Study, budget: Budget):
        """OptunaSearch over the search's space (TPE, or NSGA-II for two objectives), its
        state in this store so that a rerun continues the same Optuna study."""
        if len(study.objectives) == 2:
            sampler = optuna.samplers.NSGAIISampler(seed=0)
            mode, metric = ["min", "min"], list(study.objectives)
        else:
            sampler = optuna.samplers.TPESampler(seed=0)
            mode, metric = "min", study.metric
        searcher = OptunaSearch(DefineByRun(study), metric=metric, mode=mode, sampler=sampler,
                                study_name=self.study.study_name, storage=self.storage)
        return ConcurrencyLimiter(searcher, max_concurrent=budget.concurrency)


@dataclass(frozen=True)
class DefineByRun:
    """A search's space as Optuna's define-by-run function (a picklable object: Tune
    checkpoints its searcher)."""

    study: Study

    def __call__(self, trial: optuna.Trial) -> None:
        self.study.space(trial, self.study.base_net)

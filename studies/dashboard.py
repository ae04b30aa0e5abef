"""`make dashboard name=STUDY`: Optuna's own dashboard (the optuna-dashboard package) on a
search's Optuna storage, served on 127.0.0.1. Each invocation of a search is one Optuna study
there, named `STUDY/BUDGET/genN` (SearchStore); the command prints each one's page, then serves
until interrupted. Ablations do not use Optuna (their grid is run as declared): their runs are in
the MLflow UI (`make ui`)."""

from __future__ import annotations

import socket

from .checks import optuna_storage, sqlite_path
from .locations import optuna_storage_url
from .study import Study


def optuna_studies(study: Study) -> tuple[str, list[tuple[str, int, int]]]:
    """The storage URL and the search's Optuna studies in it, (name, id, trials) each; ValueError
    (one line: what is wrong, what to do) for an ablation, a missing store or no such study."""
    if study.kind != "search":
        raise ValueError(f"{study.name} is an ablation: Optuna runs only searches; its runs are "
                         "in the MLflow UI (make ui)")
    url = optuna_storage_url()
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise ValueError(f"no Optuna store at {path}: run `make study name={study.name}` first "
                         "(or set ATLAS_OPTUNA_STORAGE)")
    optuna_storage(url)  # a URL, a reachable server, an intact SQLite file
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        storage = optuna.storages.RDBStorage(url, skip_table_creation=True)
        found = [(s.study_name, storage.get_study_id_from_name(s.study_name), s.n_trials)
                 for s in optuna.get_all_study_summaries(storage, include_best_trial=False)
                 if s.study_name.startswith(f"{study.name}/")]
    except (SQLAlchemyError, optuna.exceptions.OptunaError, RuntimeError) as e:
        # not Optuna's tables (Optuna wraps the database's error), or another version's
        while e.__cause__ or e.__context__:  # the database's own words, not the wrapper's
            e = e.__cause__ or e.__context__
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ValueError(f"{url} is not an Optuna store this version reads ({first}); point "
                         "ATLAS_OPTUNA_STORAGE at the search's store") from None
    if not found:
        raise ValueError(f"the Optuna store {url} has no study of search {study.name} yet: run "
                         f"`make study name={study.name}` first")
    return url, found


def port_free(port: int) -> None:
    """ValueError unless 127.0.0.1:`port` can be listened on."""
    if not 1 <= port <= 65535:
        raise ValueError(f"--port {port} is not a port (1-65535)")
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise ValueError(f"--port {port}: 127.0.0.1:{port} is taken ({e.strerror}); choose "
                             "another (make dashboard name=... port=N)") from None


def page(port: int, study_id: int) -> str:
    return f"http://127.0.0.1:{port}/dashboard/studies/{study_id}"


def serve(url: str, port: int) -> None:
    """Serve the dashboard until interrupted (blocks)."""
    import optuna_dashboard

    optuna_dashboard.run_server(url, host="127.0.0.1", port=port)

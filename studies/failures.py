"""The error boundary after preflight: what a study does when something fails that no input
check could have caught (a disk filling up, a store or cluster going away, a bug).

Each stage of a run (the MLflow store, Ray's start, the trials, the summary) is wrapped in
`stage`, which names it; the command line turns the failure into one line on stderr naming the
stage and the error, with the traceback in a log file under the study's state folder, and exit
status 1. What the run opened is closed on the way out (the driver closes its parent run FAILED
and its unfinished trials KILLED; Ray is shut down), so the same command resumes.
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXIT_FAILED = 1


class StageFailed(Exception):
    """`error` escaped from the stage of a run called `stage`."""

    def __init__(self, stage: str, error: BaseException):
        super().__init__(f"{stage}: {type(error).__name__}: {error}")
        self.stage, self.error = stage, error


@contextmanager
def stage(name: str, passthrough: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Name the stage an exception escapes from (an interrupt, a failure already named and
    the `passthrough` types go on as they are)."""
    try:
        yield
    except (StageFailed, *passthrough):
        raise
    except Exception as e:
        raise StageFailed(name, e) from e


def report(study: str, failure: BaseException, folder: Path) -> str:
    """Write `failure`'s traceback to a log file under `folder` (or the system's temporary
    folder if that cannot be written) and return the one line that names it."""
    error = failure.error if isinstance(failure, StageFailed) else failure
    where = failure.stage if isinstance(failure, StageFailed) else "the run"
    text = "".join(traceback.format_exception(failure))
    name = f"{study}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for base in (folder, Path(tempfile.gettempdir()) / "atlas-errors"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            path = base / name
            path.write_text(text)
            break
        except OSError:
            path = None
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    details = f"details: {path}" if path else "no log file could be written"
    return (f"error: study {study} failed while {where}: {type(error).__name__}"
            f"{': ' + message if message else ''} ({details}); finished trials are kept, run "
            "the same command again to resume")

"""The bridge between the trainer's checkpoint file and Ray Tune's checkpoints.

Every epoch a trial reports the trainer's latest checkpoint to Tune; a trial that Tune retries
(its worker died) starts from the checkpoint it last reported, on whatever node it lands.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ray import tune

from trainers.contract import CHECKPOINT_FILE, checkpoint_path


class reported_checkpoint:
    """The trainer's latest checkpoint as a Tune Checkpoint, in a folder of its own (a hard
    link, so the trainer's next save, an atomic replace, cannot change it while Tune copies);
    None before the first save."""

    def __init__(self, checkpoint_dir: Path):
        self.source = checkpoint_path(checkpoint_dir)
        self.folder: str | None = None

    def __enter__(self) -> tune.Checkpoint | None:
        if not self.source.exists():
            return None
        self.folder = tempfile.mkdtemp(prefix="atlas-ckpt-")
        target = Path(self.folder) / CHECKPOINT_FILE
        try:
            os.link(self.source, target)
        except OSError:
            shutil.copy2(self.source, target)
        return tune.Checkpoint.from_directory(self.folder)

    def __exit__(self, *exc) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def restore_reported(checkpoint_dir: Path) -> bool:
    """Put the checkpoint this trial last reported to Tune (if Tune retries it) where the
    trainer resumes from. Returns whether there was one."""
    checkpoint = tune.get_checkpoint()
    if checkpoint is None:
        return False
    with checkpoint.as_directory() as folder:
        source = Path(folder) / CHECKPOINT_FILE
        if not source.exists():
            return False
        tmp = Path(checkpoint_dir) / f".restore.{os.getpid()}.tmp"
        shutil.copy2(source, tmp)
        os.replace(tmp, checkpoint_path(checkpoint_dir))
    return True

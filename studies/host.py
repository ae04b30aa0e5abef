"""Facts about the machine a study or a trial runs on: the cores this process may use, the CPU
model, the GPU, the package versions and the code's git commit. Nothing here writes anything;
`tracking` records these facts as tags and `checks` compares a budget with them."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, cwd=Path(__file__).parent)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def versions() -> str:
    """Python's and the stack's versions, as the report's hardware line shows them."""
    return ", ".join([f"Python {platform.python_version()}"] + [
        f"{name} {_version(name)}" for name in ("torch", "ray", "optuna", "mlflow")])


def gpu_name(device: str) -> str:
    """The GPU's name for a CUDA device, else empty."""
    if not device.startswith("cuda"):
        return ""
    import torch

    return torch.cuda.get_device_name(torch.device(device))


def machine_cores(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """The CPU cores this process may run on, not the host's count: its affinity (which
    taskset narrows), and no more than a container's CPU quota (`docker --cpus`), which a local
    Ray counts too (a trial asking for more cores than Ray has would wait forever)."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup)
    return max(1, min(cores, quota)) if quota is not None else cores


def cgroup_cpu_quota(cgroup: Path) -> int | None:
    """Whole CPUs of this cgroup's quota (cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us` over
    `cpu.cfs_period_us`), rounded down; None where there is none."""
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) // int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota // period if quota > 0 and period > 0 else None

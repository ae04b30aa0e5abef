"""The memory of a command and every process it starts (Ray's processes and workers included):
`python -m studies.memwatch CMD ...` runs CMD and, every half second, sums the proportional set
size (PSS: a page shared by k processes counts 1/k in each, so torch's libraries count once) of
it and its descendants; at the end it prints the peak, and what the driver and the largest Ray
worker held then. Linux only (it reads /proc)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

GIB = 2**30


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        kids.setdefault(parent, []).append(int(entry))
    return kids


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def pss_bytes(pid: int) -> int:
    for line in _read(f"/proc/{pid}/smaps_rollup").splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def tree(root: int) -> list[int]:
    kids, todo, seen = _children(), [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo += kids.get(pid, [])
    return seen


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m studies.memwatch CMD [ARG ...]", file=sys.stderr)
        return 2
    started = time.time()
    proc = subprocess.Popen(argv)
    peak = (0, 0, 0, 0)  # total, driver, largest worker, workers
    while proc.poll() is None:
        sizes = {pid: pss_bytes(pid) for pid in tree(proc.pid)}
        workers = [size for pid, size in sizes.items()
                   if _read(f"/proc/{pid}/cmdline").startswith(("ray::ImplicitFunc", "ray::IDLE"))]
        total = sum(sizes.values())
        if total > peak[0]:
            peak = (total, sizes.get(proc.pid, 0), max(workers, default=0), len(workers))
        time.sleep(0.5)
    print(f"memwatch: exit {proc.returncode}, wall {time.time() - started:.0f} s, peak PSS of "
          f"all processes {peak[0] / GIB:.2f} GiB (then: driver {peak[1] / GIB:.2f}, largest "
          f"of {peak[3]} workers {peak[2] / GIB:.2f} GiB)", flush=True)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

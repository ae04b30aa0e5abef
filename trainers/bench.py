"""`make bench`: the trainer against a training loop written the usual way, side by side.

The reference loop is what a tutorial writes: a torchvision dataset with transforms.v2 (random
crop, flip, to-float, normalise) per image, a DataLoader with worker processes, fp32, and a
`loss.item()` per step. Both train the same model (same point, same adaptation, same init) on
the same images with the same augmentation, batch size and number of steps. Each runs two
epochs of `--steps` steps; the second (warm: allocator, autotuning and workers started) is
timed; the pair runs `--repeats` times in turn. Prints the median images/s of both and the ratio.

    python -m trainers.bench                         # CPU, and CUDA when present; fp32, bf16
    python -m trainers.bench --device cuda --net resnet18 --batch-size 512 --steps 100
    python -m trainers.bench --net mobilenet_v2_cifar --width-mult 0.35   # + the depthwise row

A net with depthwise convolutions also gets, on a CPU, the row of trainers.autocast_policy: the
same training steps in bf16 with its depthwise convolutions in bf16 (autocast's own choice) and
in fp32 (the trainer's), side by side, and fp32 throughout for scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from search_space import PRESETS, build

from . import data as datasets
from .autocast_policy import is_depthwise, keep_depthwise_in_fp32
from .contract import resolved_precision
from .loop import adapt_net, default_threads, train
from .recipe import Recipe

# Defaults per device: a net the device trains at a useful rate, and enough steps for a
# steady-state reading (each side runs 2 epochs of `steps`).
DEFAULTS = {
    "cpu": {"net": "resnet20", "data": "fashion_mnist", "batch_size": 128, "steps": 30},
    # The target: ResNet-18 with the CIFAR stem, batch 512, on an H100.
    "cuda": {"net": "resnet18", "data": "cifar10", "batch_size": 512, "steps": 100},
}
# The PyTorch tutorials' num_workers=2; on a GPU machine a usual script gives the loader more.
WORKERS = {"cpu": 2, "cuda": 8}


class TensorImages(torch.utils.data.Dataset):
    """uint8 (N, C, H, W) tensors as a map-style dataset of tv_tensors.Image, for data names
    torchvision has no class for (synthetic, image folders)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        from torchvision import tv_tensors

        return self.transform(tv_tensors.Image(self.images[i])), int(self.labels[i])


def reference_dataset(ds: datasets.Data, transform) -> torch.utils.data.Dataset:
    """The torchvision dataset class for the name where there is one, else TensorImages."""
    import torchvision.datasets as tvd

    root = str(datasets.data_root())
    kind = datasets.parse(ds.name).kind
    if kind == "fashion_mnist":
        return tvd.FashionMNIST(root, train=True, download=False, transform=transform)
    if kind in ("cifar10", "cifar100"):
        cls = tvd.CIFAR10 if kind == "cifar10" else tvd.CIFAR100
        return cls(root, train=True, download=False, transform=transform)
    if kind == "svhn":
        return tvd.SVHN(root, split="train", download=False, transform=transform)
    return TensorImages(ds.train_images, ds.train_labels, transform)


def reference_loop(net, ds: datasets.Data, recipe: Recipe, indices: list[int],
                   device: torch.device, workers: int) -> float:
    """Images/s of the usual loop's second epoch over the training images `indices`."""
    from torchvision.transforms import v2

    mean, std = ds.mean_std()
    _, h, w = ds.input_size
    transform = v2.Compose([
        v2.ToImage(),
        v2.RandomCrop((h, w), padding=recipe.crop_padding),
        v2.RandomHorizontalFlip(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean, std),
    ])
    subset = torch.utils.data.Subset(reference_dataset(ds, transform), indices)
    loader = torch.utils.data.DataLoader(subset, batch_size=recipe.batch_size, shuffle=True,
                                         num_workers=workers, drop_last=True,
                                         pin_memory=device.type == "cuda")
    torch.manual_seed(recipe.seed)
    model = build(net).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                                nesterov=recipe.nesterov, weight_decay=recipe.weight_decay)
    criterion = nn.CrossEntropyLoss()
    seconds, n_images = 0.0, len(indices) // recipe.batch_size * recipe.batch_size
    for _epoch in range(2):
        model.train()
        running_loss = 0.0
        start = time.perf_counter()
        for inputs, labels in loader:
            inputs = inputs.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - start
    return n_images / seconds


@contextmanager
def busy_neighbour():
    """A second process spinning on one core (as another user's job would), for the duration."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # scheduled and spinning before the timed epoch starts
        yield
    finally:
        spinner.kill()
        spinner.wait()


def depthwise_rates(net, input_size: tuple[int, ...], batch_size: int, steps: int,
                    repeats: int) -> dict[str, float] | None:
    """Median training images/s on the CPU of `net` in fp32, in bf16 with its depthwise
    convolutions in bf16, and in bf16 with them in fp32 (trainers.autocast_policy), the three in
    turn in each repeat; None for a net without depthwise convolutions."""
    if not any(is_depthwise(m) for m in build(net).modules()):
        return None
    x = torch.randn(batch_size, *input_size).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, net.num_classes, (batch_size,))
    rates: dict[str, list[float]] = {"fp32": [], "bf16": [], "bf16, depthwise fp32": []}
    for _ in range(repeats):
        for name in rates:
            torch.manual_seed(0)
            model = build(net).to(memory_format=torch.channels_last)
            if name == "bf16, depthwise fp32":
                keep_depthwise_in_fp32(model)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

            def step(model=model, optimizer=optimizer, bf16=name != "fp32"):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = nn.functional.cross_entropy(model(x), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()

            for _ in range(2):  # warm: allocator and oneDNN's kernels
                step()
            start = time.perf_counter()
            for _ in range(steps):
                step()
            rates[name].append(batch_size * steps / (time.perf_counter() - start))
    return {name: statistics.median(r) for name, r in rates.items()}


def bench(device: str, net_name: str | None = None, data: str | None = None,
          batch_size: int | None = None, steps: int | None = None, workers: int | None = None,
          precisions: tuple[str, ...] = ("fp32", "bf16"), repeats: int = 3,
          neighbour: bool = False, net_fields: dict[str, Any] | None = None,
          ) -> list[dict[str, Any]]:
    """Run the reference loop and the trainer at each precision on one device, `repeats`
    times in turn (a burst of load from another process then hits every side); return, per
    precision, the median images/s of the trainer and of the reference and their ratio. With
    `neighbour`, each repeat also trains at the device's automatic precision beside a busy
    neighbour (busy_neighbour), and a last row gives that rate and its ratio to the quiet one."""
    dev = torch.device(device)
    d = DEFAULTS[dev.type]
    net_name = net_name or d["net"]
    if net_name not in PRESETS:
        raise ValueError(f"--net={net_name!r} is not a preset; see `make zoo`")
    data = data or d["data"]
    batch_size, steps = batch_size or d["batch_size"], steps or d["steps"]
    if data in datasets.SHAPES and data != "fashion_mnist":
        try:  # offline machines have no CIFAR: the same shapes, synthetic, say so
            datasets.load(data)
        except FileNotFoundError:
            print(f"({data} not available: using synthetic data of its shape)", file=sys.stderr)
            data = f"synthetic:{data},train={steps * batch_size},test={batch_size}"
    workers = WORKERS[dev.type] if workers is None else workers
    recipe = Recipe(epochs=2, batch_size=batch_size, crop_padding=4, flip=True, lr=0.02,
                    val_fraction=0.0, max_train_images=steps * batch_size,
                    max_test_images=batch_size)
    net_fields = net_fields or {}
    if "stem" in net_fields:  # a stem asked for is kept, not swapped for a small-image one
        recipe = recipe.replace(small_input=False)
    ds = datasets.load(data)
    net = adapt_net(PRESETS[net_name].replace(**net_fields), ds, recipe)
    train_idx, _ = datasets.split_indices(len(ds.train_labels), recipe.val_fraction,
                                          recipe.split_seed, recipe.max_train_images)
    auto = resolved_precision("auto", dev.type)
    ours: dict[str, list[float]] = {p: [] for p in precisions}
    theirs, quiet, beside = [], [], []
    for _ in range(repeats):
        for precision in precisions:
            out = train(net, recipe.replace(precision=precision), data=data, device=dev)
            ours[precision].append(out["history"][-1]["images_per_second"])
        torch.set_num_threads(default_threads())  # as the trainer has it
        theirs.append(reference_loop(net, ds, recipe, train_idx.tolist(), dev, workers))
        if neighbour:  # quiet and busy side by side, in the same repeat
            out = train(net, recipe.replace(precision=auto), data=data, device=dev)
            quiet.append(out["history"][-1]["images_per_second"])
            with busy_neighbour():
                out = train(net, recipe.replace(precision=auto), data=data, device=dev)
            beside.append(out["history"][-1]["images_per_second"])
    rows = []
    if dev.type == "cpu":
        depthwise = depthwise_rates(net, ds.input_size, batch_size, steps, repeats)
        if depthwise:
            rows.append({"device": str(dev), "net": net_name, "depthwise": depthwise})
    for precision, rates in ours.items():
        ratios = [a / b for a, b in zip(rates, theirs, strict=True)]
        rows.append({"device": str(dev), "net": net_name, "data": data,
                     "batch_size": batch_size, "steps": steps, "workers": workers,
                     "precision": precision, "auto": precision == auto,
                     "trainer": statistics.median(rates),
                     "reference": statistics.median(theirs),
                     "ratio": statistics.median(rates) / statistics.median(theirs),
                     "ratio_range": (min(ratios), max(ratios))})
    if neighbour:
        ratios = [b / q for b, q in zip(beside, quiet, strict=True)]
        rows.append({"device": str(dev), "net": net_name, "data": data,
                     "batch_size": batch_size, "steps": steps, "precision": auto,
                     "neighbour": True, "threads": default_threads(),
                     "quiet": statistics.median(quiet), "trainer": statistics.median(beside),
                     "ratio": statistics.median(beside) / statistics.median(quiet),
                     "ratio_range": (min(ratios), max(ratios))})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainers.bench", description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], action="append",
                   help="default: cpu, and cuda when present")
    p.add_argument("--net", help="preset name (default: resnet20 on CPU, resnet18 on CUDA)")
    p.add_argument("--width-mult", type=float, help="the net's width multiplier")
    p.add_argument("--stem", help="the net's stem (kept as given: no small-image swap)")
    p.add_argument("--data", help="data name (default: fashion_mnist on CPU, cifar10 on CUDA)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--steps", type=int, help="steps per epoch (2 epochs, the second timed)")
    p.add_argument("--workers", type=int, help="reference DataLoader workers (2 CPU, 8 CUDA)")
    p.add_argument("--precision", action="append", choices=["fp32", "bf16", "fp16"],
                   help="the trainer's precisions, one row each (default: fp32 and bf16; "
                   "the reference is always fp32)")
    p.add_argument("--repeats", type=int, default=3, help="pairs of runs; medians are shown")
    p.add_argument("--no-neighbour", action="store_true",
                   help="skip the CPU row beside a busy neighbour (a second process spinning "
                   "on one core, started and stopped by the benchmark)")
    args = p.parse_args(argv)
    devices = args.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    precisions = tuple(args.precision or ("fp32", "bf16"))
    print(f"{'device':6} {'net':10} {'data':22} {'batch':>5} {'steps':>5} {'precision':>11} "
          f"{'trainer img/s':>14} {'reference img/s':>16} {'ratio':>6}  (range of repeats)")
    for device in devices:
        try:
            rows = bench(device, args.net, args.data, args.batch_size, args.steps,
                         args.workers, precisions, max(1, args.repeats),
                         neighbour=device == "cpu" and not args.no_neighbour,
                         net_fields={k: v for k, v in (("width_mult", args.width_mult),
                                                       ("stem", args.stem)) if v is not None})
        except (ValueError, FileNotFoundError, TypeError) as e:
            print(f"bench: {e}", file=sys.stderr)
            return 2
        busy = [r for r in rows if r.get("neighbour")]
        depthwise = [r for r in rows if r.get("depthwise")]
        rows = [r for r in rows if not r.get("neighbour") and not r.get("depthwise")]
        for r in rows:
            label = r["precision"] + (" (auto)" if r["auto"] else "")
            print(f"{r['device']:6} {r['net']:10} {r['data']:22} {r['batch_size']:>5} "
                  f"{r['steps']:>5} {label:>11} {r['trainer']:>14.0f} {r['reference']:>16.0f} "
                  f"{r['ratio']:>5.2f}x  ({r['ratio_range'][0]:.2f}-{r['ratio_range'][1]:.2f})",
                  flush=True)
        if len(rows) > 1:
            first = rows[0]
            for r in rows[1:]:
                print(f"{r['device']:6} {r['precision']} / {first['precision']}: "
                      f"{r['trainer'] / first['trainer']:.2f}x", flush=True)
        for r in depthwise:
            rates = r["depthwise"]
            kept, plain = rates["bf16, depthwise fp32"], rates["bf16"]
            print(f"{r['device']:6} {r['net']} training steps, bf16 with depthwise "
                  f"convolutions in fp32 (the trainer's): {kept:.0f} images/s; in bf16: "
                  f"{plain:.0f}; {kept / plain:.2f}x (fp32 throughout: {rates['fp32']:.0f}, "
                  f"{kept / rates['fp32']:.2f}x)", flush=True)
        for r in busy:
            print(f"{r['device']:6} {r['precision']} (auto), {r['threads']} thread(s), with a "
                  f"busy neighbour: {r['trainer']:.0f} images/s against {r['quiet']:.0f} "
                  f"quiet, {r['ratio']:.2f}x  ({r['ratio_range'][0]:.2f}-"
                  f"{r['ratio_range'][1]:.2f})", flush=True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"({cores} CPU cores; load average {os.getloadavg()[0]:.1f}: other processes slow "
          "both loops, the reference's workers most)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

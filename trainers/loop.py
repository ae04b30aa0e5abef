"""The training loop: `train(net, recipe, data, report)`.

Speed comes from keeping everything on the device: the whole dataset lives there as uint8,
each batch is gathered, augmented and normalised there (trainers.augment), and the running
loss and error stay there until the end of the epoch, so the host never waits on a step.
No DataLoader, no worker processes.
"""

from __future__ import annotations

import math
import os
import resource
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import lr_scheduler

from search_space import Net, build, complexity

from . import augment
from . import data as datasets
from .autocast_policy import keep_depthwise_in_fp32
from .contract import (
    CHECKPOINT_FILE,
    EPOCH_METRICS,
    STATUSES,  # noqa: F401  (trainers.STATUSES)
    TrainResult,
    adapt,
    checkpoint_path,
    resolved_precision,
    training_identity,
)
from .recipe import Recipe

EPOCH_KEYS = EPOCH_METRICS  # the trial contract's names (trainers.contract)
CHECKPOINT = CHECKPOINT_FILE

# cudnn autotuning (cudnn.benchmark) times every algorithm for each new conv shape: about 25 s
# per process for MobileNetV2 on an H100. Automatic mode turns it on only when the run's
# estimated compute time dwarfs that. The estimate assumes 5e13 multiply-adds/s (ResNet-18
# at 50k images/s on an H100 is ~8e13 for forward + backward), so it errs towards "long".
_EFFECTIVE_MACS_PER_S = 5e13
_AUTOTUNE_PAYS_AFTER_S = 600.0  # ~25 s of tuning is then < 5% of the run

Report = Callable[[dict[str, Any]], Any]


def train(
    net: Net,
    recipe: Recipe | None = None,
    data: str = "fashion_mnist",
    report: Report | None = None,
    device: str | torch.device | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
) -> TrainResult:
    """Train a point of the search space on a dataset; return the final metrics.

    The net is adapted to the data first (input channels, classes, small-image stem). `report`
    is called once per epoch with the keys of EPOCH_KEYS and the point's cost
    (contract.COST_METRICS); if it returns True the run stops
    (status "stopped"); exceptions it raises propagate (Ray and Optuna stop trials that way).
    With `checkpoint_dir`, the state is saved after every epoch, and a run whose folder holds
    a checkpoint resumes from it (it must be the same net, data and recipe, except
    RUN_ONLY_FIELDS). Everything is checked before any compute starts.

    Returns a TrainResult (contract.py names its fields), which reads as a dict too.
    """
    started, started_at = time.perf_counter(), time.time()
    recipe = Recipe() if recipe is None else recipe
    if not isinstance(net, Net):
        raise TypeError(f"net must be a search_space.Net, got {type(net).__name__}")
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a trainers.Recipe, got {type(recipe).__name__}")
    spec = datasets.parse(data)
    dev = _device(device)
    if recipe.precision == "fp16" and dev.type != "cuda":
        raise ValueError(f"Recipe.precision='fp16' needs CUDA (device={dev}); use bf16 or fp32")
    ckpt = _checkpoint_file(checkpoint_dir)
    _check_aux(net, recipe)
    ds = datasets.load(spec)
    net = adapt_net(net, ds, recipe)
    net.validate(ds.input_size)
    train_idx, val_idx = datasets.recipe_split(recipe, len(ds.train_labels))
    identity = {"net": net.to_json(), "data": spec.name, "recipe": training_identity(recipe)}
    state = _read_checkpoint(ckpt, identity) if ckpt is not None and ckpt.exists() else None
    cx = complexity(net, ds.input_size)
    images_total = recipe.epochs * (len(train_idx) // recipe.batch_size) * recipe.batch_size
    benchmark = recipe.cudnn_benchmark
    if benchmark is None:
        benchmark = 3 * cx.macs * images_total / _EFFECTIVE_MACS_PER_S > _AUTOTUNE_PAYS_AFTER_S

    with _process_settings(dev, recipe, benchmark), _forked_rng(dev):
        cost = {"params": cx.params, "macs": cx.macs}
        run = _Run(net, recipe, ds, train_idx, val_idx, dev, report, ckpt, identity, cost)
        result = run.run(state, started)
    return TrainResult(**result, started_at=started_at, params=cx.params, macs=cx.macs,
                       device=str(dev), precision=run.precision, data=spec.name,
                       input_size=list(ds.input_size), net_key=net.key(), net=net.to_json())


def classification_loss(
    output: torch.Tensor | tuple[torch.Tensor, Any],
    target: torch.Tensor,
    label_smoothing: float = 0.0,
    aux_weights: tuple[float, ...] = (),
) -> tuple[torch.Tensor, torch.Tensor]:
    """CE(logits) + sum_i w_i * CE(aux_i); returns (loss, logits).

    `output` is the logits, or in training mode a net with auxiliary heads returns
    (logits, (aux_1, ...)) (GoogLeNet, Inception-v3); the i-th weight goes with the i-th head.
    """
    if isinstance(output, (tuple, list)):
        logits, aux = output
        aux = tuple(aux) if isinstance(aux, (tuple, list)) else (aux,)
    else:
        logits, aux = output, ()
    if len(aux) != len(aux_weights):
        raise ValueError(
            f"the model returned {len(aux)} auxiliary outputs but aux_weights="
            f"{tuple(aux_weights)} has {len(aux_weights)}; set Recipe.aux_weights to match"
        )
    loss = F.cross_entropy(logits, target, label_smoothing=label_smoothing)
    for w, a in zip(aux_weights, aux, strict=True):
        loss = loss + w * F.cross_entropy(a, target, label_smoothing=label_smoothing)
    return loss, logits


def aux_weights(net: Net, recipe: Recipe) -> tuple[float, ...]:
    """The recipe's aux-head weights, else the net's own (the papers'), else none."""
    if recipe.aux_weights is not None:
        return tuple(recipe.aux_weights)
    return tuple(getattr(net, "aux_weights", ()) or ())


# ---- the run -----------------------------------------------------------------------------


class _Run:
    """One call of `train`, after validation: the model, optimiser and data on the device."""

    def __init__(self, net: Net, recipe: Recipe, ds: datasets.Data, train_idx: torch.Tensor,
                 val_idx: torch.Tensor, dev: torch.device, report: Report | None,
                 ckpt: Path | None, identity: dict[str, Any], cost: dict[str, int]):
        self.recipe, self.dev, self.report, self.ckpt, self.identity = (
            recipe, dev, report, ckpt, identity)
        self.cost = cost  # the point's params and MACs, carried by every report
        r = recipe
        # channels_last by default on both devices: tensor cores want NHWC, and oneDNN on this
        # project's CPUs trains ResNet-20 on 28x28 5-30% faster with it (the crop is NHWC too).
        self.channels_last = True if r.channels_last is None else r.channels_last
        self.memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.precision = resolved_precision(r.precision, dev.type)
        amp = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[self.precision]
        self.autocast = (lambda: torch.autocast(dev.type, dtype=amp)) if amp else nullcontext
        self.aux_weights = aux_weights(net, r)

        # Weights, drop-path and dropout draw from the global RNG (forked by the caller); data
        # order and augmentation from their own generator, seeded apart from it.
        torch.manual_seed(r.seed)
        self.model = build(net).to(dev, memory_format=self.memory_format)
        if self.precision == "bf16" and dev.type == "cpu":
            keep_depthwise_in_fp32(self.model)  # no fast bf16 backward for them on CPUs
        self.forward = torch.compile(self.model) if r.compile else self.model
        self.gen = torch.Generator(device=dev)
        self.gen.manual_seed(r.seed + 0x5EED)

        # Whole dataset on the device as uint8: 47 MB for Fashion-MNIST, 150 MB for CIFAR.
        mean, std = ds.mean_std()
        self.normalize = augment.Normalize(mean, std, dev)
        self.train_x = ds.train_images[train_idx].to(dev)
        self.train_y = ds.train_labels[train_idx].to(dev)
        self.val_x = ds.train_images[val_idx].to(dev)
        self.val_y = ds.train_labels[val_idx].to(dev)
        test_n = r.max_test_images or len(ds.test_labels)
        self.test_x = ds.test_images[:test_n].to(dev)
        self.test_y = ds.test_labels[:test_n].to(dev)

        self.steps = len(self.train_y) // r.batch_size  # drop the last partial batch: one shape
        self.optimizer = _optimizer(self.model, r, fused=dev.type == "cuda")
        self.scheduler = _scheduler(self.optimizer, r, self.steps)
        self.scaler = torch.amp.GradScaler("cuda") if r.precision == "fp16" else None

    # -- one epoch --------------------------------------------------------------------------

    def prepare(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        """uint8 batch -> augmented (training), normalised float batch in the model's layout."""
        r = self.recipe
        if training:
            x = augment.random_crop(x, r.crop_padding, self.gen)
            if r.flip:
                x = augment.random_flip(x, self.gen)
        x = self.normalize(x)
        if training and r.erasing > 0:
            x = augment.random_erasing(x, r.erasing, self.gen)
        return x.contiguous(memory_format=self.memory_format)

    def train_epoch(self) -> tuple[torch.Tensor, torch.Tensor, float]:
        """One pass; returns (mean loss, error rate) as device tensors, and the last lr."""
        r, bs = self.recipe, self.recipe.batch_size
        self.model.train()
        perm = torch.randperm(len(self.train_y), generator=self.gen, device=self.dev)
        loss_sum = torch.zeros((), device=self.dev)
        errors = torch.zeros((), device=self.dev, dtype=torch.long)
        lr = self.optimizer.param_groups[0]["lr"]
        for step in range(self.steps):
            idx = perm[step * bs:(step + 1) * bs]
            x, y = self.prepare(self.train_x[idx], training=True), self.train_y[idx]
            with self.autocast():
                out = self.forward(x)
                loss, logits = classification_loss(out, y, r.label_smoothing, self.aux_weights)
            self.optimizer.zero_grad(set_to_none=True)
            lr = self.optimizer.param_groups[0]["lr"]
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                loss.backward()
                self.optimizer.step()
            self.scheduler.step()
            loss_sum += loss.detach().float()
            errors += (logits.detach().argmax(1) != y).sum()
        return loss_sum / self.steps, errors / (self.steps * bs), lr

    @torch.no_grad()
    def recompute_batch_norm(self, epoch: int) -> None:
        """Precise BatchNorm (Recipe.precise_bn): every BatchNorm's running mean and variance
        recomputed as the plain average over that many training batches (un-augmented, as
        evaluation sees images), with the network in eval mode (drop-path, dropout and column
        dropping off) but its BatchNorms in train mode. BatchNorms the evaluated net does not
        run (auxiliary heads) keep their statistics. The batches come from a generator of
        their own, so training draws the same batches and augmentations with it on or off; the
        pass runs the model eagerly (a compiled model would recompile for these modes)."""
        r = self.recipe
        norms = [m for m in self.model.modules()
                 if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
        batches = min(r.precise_bn, len(self.train_y) // r.batch_size)
        if not norms or batches == 0:
            return
        gen = torch.Generator(device=self.dev).manual_seed((r.seed * 1_000_003 + epoch) % 2**63)
        perm = torch.randperm(len(self.train_y), generator=gen, device=self.dev)
        kept = [(m.momentum, {k: v.clone() for k, v in m.state_dict().items()}) for m in norms]
        self.model.eval()
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches, not a moving one
            m.train()
        try:
            for b in range(batches):
                idx = perm[b * r.batch_size:(b + 1) * r.batch_size]
                with self.autocast():
                    self.model(self.prepare(self.train_x[idx], training=False))
        finally:
            for m, (momentum, state) in zip(norms, kept, strict=True):
                m.momentum = momentum
                if int(m.num_batches_tracked) == 0:  # not run by the evaluated net
                    m.load_state_dict(state)
            self.model.eval()

    @torch.no_grad()
    def evaluate(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
        """(cross-entropy, error rate) in eval mode (drop-path and aux heads off); NaN if empty.

        The last batch is zero-padded to the training batch size: in eval mode images don't
        interact, and one batch shape means no second cudnn search or recompilation."""
        n = len(labels)
        if n == 0:
            return math.nan, math.nan
        bs = self.recipe.batch_size
        self.model.eval()
        loss_sum = torch.zeros((), device=self.dev)
        errors = torch.zeros((), device=self.dev, dtype=torch.long)
        for i in range(0, n, bs):
            x, y = images[i:i + bs], labels[i:i + bs]
            m = len(y)
            if m < bs:
                x = torch.cat([x, x.new_zeros((bs - m, *x.shape[1:]))])
            with self.autocast():
                out = self.forward(self.prepare(x, training=False))
            logits = (out[0] if isinstance(out, (tuple, list)) else out)[:m].float()
            loss_sum += F.cross_entropy(logits, y, reduction="sum")
            errors += (logits.argmax(1) != y).sum()
        return (loss_sum / n).item(), (errors / n).item()

    # -- the loop -----------------------------------------------------------------------------

    def run(self, state: dict[str, Any] | None, started: float) -> dict[str, Any]:
        """Train the remaining epochs (from `state`'s, if resuming), checkpoint after each,
        stop early where an epoch says so, then test: every TrainResult field `train` does not
        add itself."""
        start_epoch, previous_s, history = 0, 0.0, []
        if state is not None:
            start_epoch, previous_s, history = self.restore(state)
        setup_s = time.perf_counter() - started
        status, reason, speeds = "ok", "", []
        for epoch in range(start_epoch + 1, self.recipe.epochs + 1):
            metrics = self.epoch(epoch)
            history.append(metrics)
            speeds.append(metrics["images_per_second"])
            status, reason = self.after_epoch(metrics, previous_s, started, history)
            if status != "ok":
                break
        test_loss = test_error = math.nan
        if status != "diverged":
            test_loss, test_error = self.evaluate(self.test_x, self.test_y)
        last = history[-1] if history else {}
        val_errors = [h["val_error"] for h in history if math.isfinite(h["val_error"])]
        return {
            "status": status, "reason": reason,
            "epochs": len(history) - (status == "diverged"), "history": history,
            **{k: last.get(k, math.nan)
               for k in ("train_loss", "train_error", "val_loss", "val_error")},
            "best_val_error": min(val_errors) if val_errors else math.nan,
            "test_loss": test_loss, "test_error": test_error,
            "wall_s": previous_s + time.perf_counter() - started, "setup_s": setup_s,
            "resumed_from_epoch": start_epoch,
            "images_per_second": sum(speeds) / len(speeds) if speeds else math.nan,
        }

    def epoch(self, epoch: int) -> dict[str, Any]:
        """Train one epoch and evaluate it (after precise BatchNorm, if the recipe asks):
        its EPOCH_METRICS."""
        t0 = time.perf_counter()
        if self.dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.dev)
        loss_t, err_t, lr = self.train_epoch()
        train_loss, train_error = loss_t.item(), err_t.item()  # the epoch's one sync
        train_s = time.perf_counter() - t0
        val_loss = val_error = math.nan
        if math.isfinite(train_loss):
            if self.recipe.precise_bn:  # before this epoch's evaluations and its checkpoint
                self.recompute_batch_norm(epoch)
            val_loss, val_error = self.evaluate(self.val_x, self.val_y)
        return {
            "epoch": epoch, "train_loss": train_loss, "train_error": train_error,
            "val_loss": val_loss, "val_error": val_error, "lr": lr,
            "images_per_second": self.steps * self.recipe.batch_size / train_s,
            "epoch_s": time.perf_counter() - t0, "peak_memory_mb": self.peak_memory_mb(),
        }

    def after_epoch(self, metrics: dict[str, Any], previous_s: float, started: float,
                    history: list[dict[str, Any]]) -> tuple[str, str]:
        """Checkpoint a good epoch and report it; the (status, reason) that ends the run here,
        or ("ok", "") to go on. A non-finite loss keeps the last good checkpoint."""
        epoch, r = metrics["epoch"], self.recipe
        status, reason = "ok", ""
        if not math.isfinite(metrics["train_loss"]) or (
                len(self.val_y) and not math.isfinite(metrics["val_loss"])):
            which = "train" if not math.isfinite(metrics["train_loss"]) else "validation"
            status, reason = "diverged", f"non-finite {which} loss in epoch {epoch}"
        elif self.ckpt is not None:
            self.save(epoch, previous_s + time.perf_counter() - started, history)
        if self.report is not None and self.report({**metrics, **self.cost}) is True and (
                status == "ok"):
            status, reason = "stopped", f"report asked to stop after epoch {epoch}"
        if status != "ok":
            return status, reason
        elapsed = time.perf_counter() - started
        if r.time_limit_s is not None and elapsed > r.time_limit_s and epoch < r.epochs:
            return "time_limit", (f"{elapsed:.1f} s > time_limit_s={r.time_limit_s} after "
                                  f"epoch {epoch}")
        return "ok", ""

    def peak_memory_mb(self) -> float:
        """Peak device memory of the epoch (CUDA), or the process's peak resident set (CPU)."""
        if self.dev.type == "cuda":
            return torch.cuda.max_memory_allocated(self.dev) / 2**20
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

    # -- checkpoints --------------------------------------------------------------------------

    def save(self, epoch: int, seconds: float, history: list[dict[str, Any]]) -> None:
        assert self.ckpt is not None
        state = {
            "identity": self.identity, "epoch": epoch, "seconds": seconds, "history": history,
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "rng_cpu": torch.get_rng_state(), "rng_data": self.gen.get_state(),
            "rng_cuda": torch.cuda.get_rng_state(self.dev) if self.dev.type == "cuda" else None,
        }
        tmp = self.ckpt.with_name(f".{self.ckpt.name}.{os.getpid()}.tmp")
        try:
            torch.save(state, tmp)
            os.replace(tmp, self.ckpt)  # atomic: a reader sees the old or the new file
        finally:
            tmp.unlink(missing_ok=True)

    def restore(self, state: dict[str, Any]) -> tuple[int, float, list[dict[str, Any]]]:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state["scaler"] is not None:
            self.scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng_cpu"])
        self.gen.set_state(state["rng_data"])
        if self.dev.type == "cuda" and state["rng_cuda"] is not None:
            torch.cuda.set_rng_state(state["rng_cuda"], self.dev)
        return state["epoch"], state["seconds"], list(state["history"])


# ---- parts --------------------------------------------------------------------------------


def _optimizer(model: nn.Module, r: Recipe, fused: bool = False) -> torch.optim.SGD:
    """SGD with (Nesterov) momentum; 1-D parameters (norm weights, biases) undecayed unless
    Recipe.decay_norm_and_bias. `fused` (CUDA): one kernel for all parameters, and with fp16
    the gradient scaler checks for overflow on the device instead of syncing every step."""
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim <= 1 and not r.decay_norm_and_bias else decay).append(p)
    groups = [{"params": ps, "weight_decay": wd}
              for ps, wd in ((decay, r.weight_decay), (no_decay, 0.0)) if ps]
    return torch.optim.SGD(groups, lr=r.lr, momentum=r.momentum, nesterov=r.nesterov,
                           fused=fused or None)


def _scheduler(opt: torch.optim.Optimizer, r: Recipe, steps_per_epoch: int):
    """Per-step schedule over the whole run, after an optional linear warm-up."""
    total = r.epochs * steps_per_epoch
    warmup = min(round(r.warmup_epochs * steps_per_epoch), total - 1)
    main_steps = total - warmup
    if r.schedule == "cosine":
        main = lr_scheduler.CosineAnnealingLR(opt, T_max=main_steps)
    elif r.schedule == "linear":
        main = lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.0,
                                     total_iters=main_steps)
    elif r.schedule == "multistep":
        # Milestones are fractions of the whole run; the main schedule counts from warm-up's end.
        ms = sorted({max(1, round(m * total) - warmup) for m in r.milestones})
        main = lr_scheduler.MultiStepLR(opt, milestones=ms, gamma=r.gamma)
    else:
        main = lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0)
    if warmup == 0:
        return main
    warm = lr_scheduler.LinearLR(opt, start_factor=1.0 / warmup, end_factor=1.0,
                                 total_iters=warmup)
    return lr_scheduler.SequentialLR(opt, [warm, main], milestones=[warmup])


def _device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a torch device; use 'cpu' or 'cuda'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available; use device='cpu'")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r}: only 'cpu' and 'cuda' are supported")
    return dev


def _checkpoint_file(checkpoint_dir: str | os.PathLike | None) -> Path | None:
    if checkpoint_dir is None:
        return None
    folder = Path(checkpoint_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(
            f"checkpoint_dir={str(folder)!r} cannot be created ({e.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise ValueError(f"checkpoint_dir={str(folder)!r} is not writable")
    return checkpoint_path(folder)


def _read_checkpoint(path: Path, identity: dict[str, Any]) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for a truncated or foreign file
        raise ValueError(f"checkpoint {path} cannot be read ({type(e).__name__}); "
                         "delete it to start over") from None
    theirs = state.get("identity", {})
    if theirs != identity:
        diff = sorted(k for k in identity if theirs.get(k) != identity[k])
        if "recipe" in diff:
            rec = theirs.get("recipe", {})
            diff = [f"recipe.{k}" for k, v in identity["recipe"].items() if rec.get(k) != v]
        raise ValueError(f"checkpoint {path} belongs to another run (differs in {diff}); "
                         "use another checkpoint_dir or delete it")
    return state


def _check_aux(net: Net, recipe: Recipe) -> None:
    own = getattr(net, "aux_weights", None)
    if recipe.aux_weights is not None and own is not None and len(own) != len(recipe.aux_weights):
        raise ValueError(f"Recipe.aux_weights={recipe.aux_weights} but the net has {len(own)} "
                         "auxiliary heads")


def adapt_net(net: Net, ds: datasets.Data, recipe: Recipe) -> Net:
    """The point adapted to loaded data (the contract's rule: trainers.contract.adapt)."""
    return adapt(net, ds.input_size, ds.num_classes, recipe)


def default_threads() -> int:
    """The cores this process may run on, capped by OMP_NUM_THREADS (Ray sets it per trial)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    omp = os.environ.get("OMP_NUM_THREADS", "")
    return min(n, int(omp)) if omp.isdigit() and int(omp) > 0 else n


@contextmanager
def _process_settings(dev: torch.device, recipe: Recipe, benchmark: bool):
    """Thread count and cudnn autotuning are process-wide: set them for the run, then restore
    them (Ray reuses worker processes across trials)."""
    threads, tuned = torch.get_num_threads(), torch.backends.cudnn.benchmark
    try:
        if dev.type == "cpu":
            torch.set_num_threads(recipe.threads or default_threads())
        torch.backends.cudnn.benchmark = benchmark
        yield
    finally:
        torch.set_num_threads(threads)
        torch.backends.cudnn.benchmark = tuned


@contextmanager
def _forked_rng(dev: torch.device):
    """Seeding inside `train` must not change the caller's random streams."""
    devices = [dev.index if dev.index is not None else torch.cuda.current_device()] \
        if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        yield

"""The trainer: recipe validation, augmentation, losses, schedules, and whole (tiny) runs:
determinism, divergence, resume from a checkpoint, reporting, adaptation to the data."""

from __future__ import annotations

import dataclasses
import importlib
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from search_space import PRESETS, Net, Stage, complexity
from trainers import EPOCH_KEYS, Recipe, augment, train
from trainers.contract import COST_METRICS, resolved_precision

T = importlib.import_module("trainers.loop")  # the training loop's module

# A tiny net on tiny synthetic data: a 2-epoch run takes well under a second on a 2-core CPU.
TINY = Net(stages=(Stage("basic", 1, 8, stride=2), Stage("basic", 1, 16, stride=2)), stem_width=8)
DATA = "synthetic:1x12x12,classes=4,train=320,test=96"
FAST = Recipe(epochs=2, batch_size=32, lr=0.05, max_train_images=256, max_val_images=48,
              crop_padding=0, flip=False, threads=1)
TIMING = ("images_per_second", "epoch_s", "peak_memory_mb")


def results(history):
    """Everything but the wall-clock figures, which differ between any two runs."""
    return [{k: v for k, v in h.items() if k not in TIMING} for h in history]


# ---- Recipe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value", [
    ("epochs", 0), ("batch_size", -1), ("lr", 0.0), ("lr", float("inf")), ("momentum", 1.0),
    ("weight_decay", -1e-4), ("schedule", "step"), ("milestones", (0.8, 0.5)),
    ("milestones", (1.5,)), ("gamma", 0.0), ("warmup_epochs", 10), ("label_smoothing", 1.0),
    ("crop_padding", -1), ("erasing", 1.5), ("precision", "fp8"), ("aux_weights", (-1.0,)),
    ("val_fraction", 1.0), ("max_train_images", 0), ("threads", 0), ("time_limit_s", 0),
    ("seed", -1), ("epochs", 2.5), ("flip", "yes"), ("lr", "fast"), ("precise_bn", -1),
])
def test_recipe_rejects_bad_values_naming_field_and_value(field, value):
    with pytest.raises(ValueError) as e:
        Recipe(**{field: value})
    message = str(e.value)
    assert f"Recipe.{field}=" in message and repr(value) in message and "\n" not in message


def test_recipe_round_trips_through_strings():
    r = Recipe(epochs=3, lr=0.2, milestones=(0.3, 0.6), aux_weights=(0.3, 0.3),
               max_train_images=500, channels_last=False, schedule="multistep")
    assert Recipe.from_dict(r.to_dict()) == r
    assert Recipe.from_dict({k: str(v) for k, v in r.to_dict().items()}) == r  # MLflow params
    with pytest.raises(ValueError, match="not a field"):
        Recipe.from_dict({"learning_rate": 0.1})
    assert r.replace(epochs=4).epochs == 4 and Recipe(nesterov=False, momentum=0).momentum == 0


# ---- augmentation -----------------------------------------------------------------------------


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_random_crop_is_a_shifted_window_of_the_padded_image():
    x = torch.randint(1, 256, (64, 2, 6, 7), dtype=torch.uint8)
    out = augment.random_crop(x, 2, _gen())
    assert out.shape == x.shape and out.dtype == torch.uint8
    assert out.is_contiguous(memory_format=torch.channels_last)
    padded = F.pad(x, (2, 2, 2, 2))
    offsets = set()
    for i in range(len(x)):
        found = [(dy, dx) for dy in range(5) for dx in range(5)
                 if torch.equal(out[i], padded[i, :, dy:dy + 6, dx:dx + 7])]
        assert found, f"image {i} is not a crop"
        offsets.add(found[0])
    assert len(offsets) > 10  # offsets vary
    assert torch.equal(augment.random_crop(x, 0, _gen()), x)
    assert torch.equal(out, augment.random_crop(x, 2, _gen()))  # seeded


def test_random_flip_flips_about_half():
    x = torch.randint(0, 256, (200, 1, 5, 5), dtype=torch.uint8)
    out = augment.random_flip(x, _gen())
    flipped = torch.tensor([torch.equal(o, xi.flip(2)) for o, xi in zip(out, x, strict=True)])
    kept = torch.tensor([torch.equal(o, xi) for o, xi in zip(out, x, strict=True)])
    assert bool((flipped | kept).all()) and 60 < int(flipped.sum()) < 140


def test_random_erasing_blanks_one_rectangle_per_image():
    x = torch.randn(100, 3, 16, 16) + 10  # no zeros before erasing
    out = augment.random_erasing(x, 1.0, _gen())
    assert out.shape == x.shape and out.dtype == x.dtype
    for i in range(len(x)):
        zero = out[i] == 0
        assert torch.equal(zero[0], zero[1])  # same rectangle in every channel
        rows, cols = zero[0].nonzero(as_tuple=True)
        assert len(rows) > 0
        area = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        assert area == len(rows)  # a full rectangle
        assert torch.equal(out[i][~zero], x[i][~zero])
    assert torch.equal(augment.random_erasing(x, 0.0, _gen()), x)
    some = augment.random_erasing(x, 0.5, _gen())
    assert 25 < sum(not torch.equal(s, xi) for s, xi in zip(some, x, strict=True)) < 75


def test_prepare_normalises_and_augments_on_the_device():
    run = _run(Recipe(crop_padding=2, flip=True, erasing=0.5, batch_size=16, threads=1))
    x = run.train_x[:16]
    out = run.prepare(x, training=True)
    assert out.shape == x.shape and out.dtype == torch.float32
    plain = run.prepare(x, training=False)
    assert not torch.equal(out, plain)  # augmentation changed the batch
    scale, shift = run.normalize.scale, run.normalize.shift
    assert torch.allclose(plain, x.float() * scale + shift)
    assert torch.allclose(run.prepare(run.train_x, False).mean(), torch.tensor(0.0), atol=0.05)


# ---- loss and aux heads -------------------------------------------------------------------


def test_aux_loss_adds_weighted_heads():
    y = torch.tensor([0, 1, 2])
    logits, a1, a2 = torch.randn(3, 3), torch.randn(3, 3), torch.randn(3, 3)
    loss, out = T.classification_loss((logits, (a1, a2)), y, 0.0, (0.3, 0.2))
    expected = F.cross_entropy(logits, y) + 0.3 * F.cross_entropy(a1, y) + 0.2 * F.cross_entropy(
        a2, y)
    assert torch.allclose(loss, expected) and out is logits
    smooth, _ = T.classification_loss(logits, y, 0.1)
    assert torch.allclose(smooth, F.cross_entropy(logits, y, label_smoothing=0.1))
    with pytest.raises(ValueError, match="2 auxiliary outputs"):
        T.classification_loss((logits, (a1, a2)), y, 0.0, (0.3,))


class TwoAuxHeads(Net):
    """A point that declares two auxiliary heads with the papers' weights, as GoogLeNet does."""

    aux_weights = property(lambda self: (0.3, 0.3))


def test_aux_weights_come_from_the_recipe_else_the_net():
    assert T.aux_weights(TINY, Recipe()) == ()
    net = TwoAuxHeads(**{f: getattr(TINY, f) for f in ("stages", "stem_width")})
    assert T.aux_weights(net, Recipe()) == (0.3, 0.3)
    assert T.aux_weights(net, Recipe(aux_weights=(1.0, 0.0))) == (1.0, 0.0)
    with pytest.raises(ValueError, match="2 auxiliary heads"):
        train(net, Recipe(aux_weights=(0.5,)), data=DATA)


class AuxNet(nn.Module):
    """Returns (logits, (aux,)) in training and logits in eval, as GoogLeNet does."""

    def __init__(self, net: Net):
        super().__init__()
        c, k = net.in_channels, net.num_classes
        self.body = nn.Sequential(nn.Conv2d(c, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc, self.aux = nn.Linear(8, k), nn.Linear(8, k)
        self.calls = {"train": 0, "eval": 0}

    def forward(self, x):
        h = self.body(x)
        self.calls["train" if self.training else "eval"] += 1
        return (self.fc(h), (self.aux(h),)) if self.training else self.fc(h)


def test_aux_head_is_trained_then_off_at_evaluation(monkeypatch):
    models, aux_before = [], []

    def build(net):
        models.append(AuxNet(net))
        aux_before.append(models[-1].aux.weight.detach().clone())
        return models[-1]

    monkeypatch.setattr(T, "build", build)
    # the net's own weights (0.3, 0.3) would not match AuxNet's one head: the recipe's rule
    monkeypatch.setattr(TwoAuxHeads, "aux_weights", property(lambda self: (0.4,)))
    net = TwoAuxHeads(**{f: getattr(TINY, f) for f in ("stages", "stem_width")})
    out = train(net, FAST, data=DATA)
    model = models[0]
    assert out["status"] == "ok" and math.isfinite(out["test_error"])
    assert model.calls["train"] == 2 * (256 // 32) and model.calls["eval"] > 0
    assert not torch.equal(aux_before[0], model.aux.weight)  # the aux head gets gradients
    with pytest.raises(ValueError, match="auxiliary outputs"):  # no weights for its head
        train(TINY, FAST, data=DATA)


def test_drop_path_is_on_in_training_and_off_in_evaluation():
    run = _run(Recipe(batch_size=16, threads=1), net=TINY.replace(drop_path=0.5))
    x = run.prepare(run.train_x[:16], training=False)
    run.model.train()
    assert not torch.equal(run.model(x), run.model(x))  # random residual drops
    first = run.evaluate(run.val_x, run.val_y)
    assert not run.model.training and first == run.evaluate(run.val_x, run.val_y)


# ---- schedules --------------------------------------------------------------------------------


def _lrs(recipe: Recipe, steps_per_epoch: int) -> list[float]:
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=recipe.lr)
    sched = T._scheduler(opt, recipe, steps_per_epoch)
    out = []
    for _ in range(recipe.epochs * steps_per_epoch):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_schedules_per_step():
    cos = _lrs(Recipe(epochs=2, lr=1.0, warmup_epochs=0.5), 10)  # 5 warm-up, 15 cosine steps
    assert cos[:5] == pytest.approx([0.2, 0.36, 0.52, 0.68, 0.84])
    assert cos[5:] == pytest.approx([(1 + math.cos(math.pi * i / 15)) / 2 for i in range(15)])
    multi = _lrs(Recipe(epochs=4, lr=1.0, schedule="multistep", milestones=(0.5, 0.75),
                        gamma=0.1), 5)
    assert multi == pytest.approx([1.0] * 10 + [0.1] * 5 + [0.01] * 5)
    lin = _lrs(Recipe(epochs=1, lr=1.0, schedule="linear"), 4)
    assert lin == pytest.approx([1.0, 0.75, 0.5, 0.25])
    assert _lrs(Recipe(epochs=1, lr=0.3, schedule="constant"), 3) == pytest.approx([0.3] * 3)


def test_no_weight_decay_on_norm_and_bias_unless_asked():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    groups = T._optimizer(model, Recipe(weight_decay=1e-3)).param_groups
    assert [(len(g["params"]), g["weight_decay"]) for g in groups] == [(1, 1e-3), (3, 0.0)]
    both = T._optimizer(model, Recipe(decay_norm_and_bias=True)).param_groups
    assert [len(g["params"]) for g in both] == [4] and both[0]["nesterov"]


# ---- whole runs ---------------------------------------------------------------------------


def _run(recipe: Recipe, net: Net = TINY, data: str = DATA) -> T._Run:
    from trainers import data as D

    ds = D.load(data)
    net = T.adapt_net(net, ds, recipe)
    tr, va = D.split_indices(len(ds.train_labels), recipe.val_fraction, recipe.split_seed,
                             recipe.max_train_images, recipe.max_val_images)
    return T._Run(net, recipe, ds, tr, va, torch.device("cpu"), None, None, {}, {})


def test_report_once_per_epoch_with_the_metrics():
    seen = []
    out = train(TINY, FAST.replace(epochs=3), data=DATA, report=seen.append)
    assert [m["epoch"] for m in seen] == [1, 2, 3]
    # every report: the epoch's metrics, then the point's cost (the result's params and MACs)
    assert all(tuple(m) == EPOCH_KEYS + COST_METRICS for m in seen)
    assert all((m["params"], m["macs"]) == (out["params"], out["macs"]) for m in seen)
    assert results(out["history"]) == results([{k: m[k] for k in EPOCH_KEYS} for m in seen])
    assert out["status"] == "ok" and out["reason"] == "" and out["epochs"] == 3
    assert out["precision"] == resolved_precision(FAST.precision, "cpu")
    assert 0 < out["setup_s"] < out["wall_s"]
    for key in ("test_error", "test_loss", "val_error", "wall_s", "images_per_second"):
        assert math.isfinite(out[key]), key
    assert 0 <= out["test_error"] <= 1 and all(m["images_per_second"] > 0 for m in seen)
    assert seen[0]["lr"] > seen[-1]["lr"] > 0  # cosine
    adapted = TINY.adapt(num_classes=4, in_channels=1, small_input=True)
    cx = complexity(adapted, (1, 12, 12))
    assert (out["params"], out["macs"]) == (cx.params, cx.macs)
    assert out["net_key"] == adapted.key() and out["input_size"] == [1, 12, 12]


def test_the_result_is_a_typed_record_that_reads_as_a_dict():
    from trainers.contract import STATUSES, TrainResult

    out = train(TINY, FAST.replace(epochs=1), data=DATA)
    assert isinstance(out, TrainResult) and out.status in STATUSES
    assert out["val_error"] == out.val_error and out.get("nothing") is None
    assert list({**out}) == [f.name for f in dataclasses.fields(TrainResult)]
    with pytest.raises(KeyError):
        out["nothing"]


def test_training_learns_the_synthetic_classes():
    out = train(TINY, FAST.replace(epochs=4, lr=0.1), data=DATA)
    assert out["test_error"] < 0.5  # chance is 0.75
    assert out["history"][-1]["train_loss"] < out["history"][0]["train_loss"]


def test_same_seed_same_metrics_other_seed_other_metrics():
    recipe = FAST.replace(crop_padding=2, flip=True, erasing=0.3, label_smoothing=0.1)
    net = TINY.replace(drop_path=0.2)
    a, b = (train(net, recipe, data=DATA) for _ in range(2))
    assert results(a["history"]) == results(b["history"])
    assert (a["test_loss"], a["test_error"]) == (b["test_loss"], b["test_error"])
    c = train(net, recipe.replace(seed=1), data=DATA)
    assert results(c["history"]) != results(a["history"])


def test_callers_rng_and_threads_are_left_alone():
    torch.manual_seed(123)
    state, threads = torch.get_rng_state(), torch.get_num_threads()
    train(TINY, FAST.replace(epochs=1), data=DATA)
    assert torch.equal(torch.get_rng_state(), state) and torch.get_num_threads() == threads


def test_non_finite_loss_ends_the_run_as_diverged():
    seen = []
    out = train(TINY, FAST.replace(epochs=3, lr=1e6, weight_decay=0), data=DATA,
                report=seen.append)
    assert out["status"] == "diverged" and len(seen) == len(out["history"]) <= 3
    assert not math.isfinite(seen[-1]["train_loss"]) or not math.isfinite(seen[-1]["val_loss"])
    assert math.isnan(out["test_error"]) and out["epochs"] == len(seen) - 1
    assert out["reason"].startswith("non-finite") and "\n" not in out["reason"]


def test_report_returning_true_stops_the_run():
    out = train(TINY, FAST.replace(epochs=3), data=DATA, report=lambda m: m["epoch"] == 2)
    assert out["status"] == "stopped" and out["epochs"] == 2 and math.isfinite(out["test_error"])


class Interrupt(Exception):
    pass


def _interrupt_after_first_epoch(metrics):
    if metrics["epoch"] == 1:
        raise Interrupt


def test_resume_after_an_interrupt_gives_the_uninterrupted_metrics(tmp_path):
    recipe = FAST.replace(epochs=3, crop_padding=2, erasing=0.2, warmup_epochs=0.5)
    net = TINY.replace(drop_path=0.2)
    full = train(net, recipe, data=DATA)
    with pytest.raises(Interrupt):
        train(net, recipe, data=DATA, checkpoint_dir=tmp_path, report=_interrupt_after_first_epoch)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # no temp files
    resumed_reports = []
    resumed = train(net, recipe, data=DATA, checkpoint_dir=tmp_path, report=resumed_reports.append)
    assert [m["epoch"] for m in resumed_reports] == [2, 3]
    assert resumed["resumed_from_epoch"] == 1 and full["resumed_from_epoch"] == 0
    assert results(resumed["history"]) == results(full["history"])
    assert (resumed["test_loss"], resumed["test_error"]) == (full["test_loss"], full["test_error"])


def test_time_limit_stops_and_a_resume_finishes_identically(tmp_path):
    full = train(TINY, FAST, data=DATA)
    cut = train(TINY, FAST.replace(time_limit_s=1e-6), data=DATA, checkpoint_dir=tmp_path)
    assert cut["status"] == "time_limit" and cut["epochs"] == 1 and "time_limit_s" in cut["reason"]
    done = train(TINY, FAST, data=DATA, checkpoint_dir=tmp_path)  # time limit may differ
    assert done["status"] == "ok" and results(done["history"]) == results(full["history"])
    assert done["test_error"] == full["test_error"]
    with pytest.raises(ValueError, match=r"recipe\.lr"):
        train(TINY, FAST.replace(lr=0.01), data=DATA, checkpoint_dir=tmp_path)


# ---- adaptation and input checks --------------------------------------------------------------


def test_the_net_adapts_to_the_data():
    from trainers import data as D

    cifar = D.load("synthetic:3x32x32,classes=100,train=10,test=10")
    net = T.adapt_net(PRESETS["resnet18"], cifar, Recipe())
    assert (net.in_channels, net.num_classes, net.stem) == (3, 100, "cifar")
    big = D.load("synthetic:3x96x96,classes=5,train=4,test=4")
    assert T.adapt_net(PRESETS["resnet18"], big, Recipe()).stem == "imagenet"
    assert T.adapt_net(PRESETS["resnet18"], cifar, Recipe(small_input=False)).stem == "imagenet"


# A VGG-style point: 2x2 max-pools floor a 2x2 image to nothing by the third stage.
POOLS = Net(stages=tuple(Stage("plain", 1, 8, stride=s) for s in (1, 2, 2)), stem="none")


@pytest.mark.parametrize("kwargs, match", [
    ({"data": "mnist"}, "unknown"),
    ({"device": "tpu"}, "device"),
    ({"recipe": FAST.replace(batch_size=1000)}, "batch_size"),
    ({"recipe": FAST.replace(precision="fp16")}, "fp16"),
    ({"net": POOLS, "data": "synthetic:1x2x2,train=64"}, "below 1 pixel"),
])
def test_bad_input_fails_before_any_compute(monkeypatch, kwargs, match):
    monkeypatch.setattr(T, "build", lambda net: pytest.fail("built a model"))
    args = {"net": TINY, "recipe": FAST, "data": DATA, **kwargs}
    with pytest.raises(ValueError, match=match) as e:
        train(**args)
    assert "\n" not in str(e.value)


def test_checkpoint_dir_must_be_writable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="checkpoint_dir"):
        train(TINY, FAST, data=DATA, checkpoint_dir=blocker / "sub")


# ---- bench and documented recipes ---------------------------------------------------------


def test_bench_prints_both_loops_and_the_ratio(capsys):
    from trainers import bench

    code = bench.main(["--device", "cpu", "--net", "resnet20", "--batch-size", "16",
                       "--steps", "2", "--workers", "0", "--repeats", "1",
                       "--data", "synthetic:1x12x12,classes=4,train=64,test=16"])
    out = capsys.readouterr().out
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("cpu "))
    trainer, reference, ratio = row.split()[-4:-1]
    assert float(trainer) > 0 and float(reference) > 0 and ratio.endswith("x")
    # the same run beside a busy neighbour, started and stopped by the benchmark
    busy = next(line for line in out.splitlines() if "with a busy neighbour" in line)
    assert "images/s against" in busy and "quiet" in busy
    assert float(busy.split("quiet, ")[1].split("x")[0]) > 0
    assert bench.main(["--device", "cpu", "--net", "nope"]) == 2
    assert "depthwise" not in out  # ResNet-20 has no depthwise convolutions


def test_bench_of_a_depthwise_net_adds_the_autocast_policy_row(capsys):
    from trainers import bench

    code = bench.main(["--device", "cpu", "--net", "mobilenet_v2_cifar", "--width-mult", "0.35",
                       "--stem", "mobilenet_v2", "--batch-size", "8", "--steps", "1",
                       "--workers", "0", "--repeats", "1", "--no-neighbour",
                       "--precision", "bf16",
                       "--data", "synthetic:1x16x16,classes=4,train=32,test=8"])
    out = capsys.readouterr().out
    assert code == 0
    row = next(line for line in out.splitlines() if "depthwise convolutions in fp32" in line)
    assert "images/s; in bf16: " in row and "fp32 throughout: " in row
    assert bench.main(["--device", "cpu", "--net", "mobilenet_v2_cifar", "--stem", "nope",
                       "--steps", "1", "--repeats", "1", "--no-neighbour"]) == 2


def test_documented_recipes_are_valid_points_and_recipes():
    from trainers import data as D
    from trainers.documented_setups import RECIPES

    assert set(RECIPES) == {"fashion_cpu_5min", "fashion_h100_60s"}
    for setup in RECIPES.values():
        shape = D.parse(setup.data).shape
        net = setup.net.adapt(num_classes=shape.num_classes, in_channels=shape.channels,
                              small_input=True)
        net.validate(shape.input_size)
        assert setup.recipe.val_fraction == 0.0 and setup.device in ("cpu", "cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_run_bf16_channels_last_and_resume(tmp_path):
    recipe = FAST.replace(crop_padding=2, flip=True, erasing=0.2, epochs=2)
    out = train(TINY.replace(drop_path=0.1), recipe, data=DATA, device="cuda",
                checkpoint_dir=tmp_path)
    assert out["status"] == "ok" and out["device"].startswith("cuda")
    assert math.isfinite(out["test_error"]) and out["history"][-1]["peak_memory_mb"] > 0
    again = train(TINY.replace(drop_path=0.1), recipe, data=DATA, device="cuda",
                  checkpoint_dir=tmp_path)  # already finished: restored, not retrained
    assert results(again["history"]) == results(out["history"])
    fp16 = train(TINY, FAST.replace(precision="fp16"), data=DATA, device="cuda")
    assert fp16["status"] == "ok"


def test_auto_precision_follows_the_cpu_flags(monkeypatch):
    from trainers import contract

    monkeypatch.setattr(contract, "cpu_accelerates_bf16", lambda: True)
    assert resolved_precision("auto", "cpu") == "bf16"
    monkeypatch.setattr(contract, "cpu_accelerates_bf16", lambda: False)
    assert resolved_precision("auto", "cpu") == "fp32"
    assert resolved_precision("auto", "cuda") == "bf16"
    assert resolved_precision("fp32", "cuda") == "fp32" and resolved_precision("bf16", "cpu") \
        == "bf16"
    out = train(TINY, FAST.replace(precision="auto"), data=DATA)
    assert out["precision"] == "fp32"  # what the trainer ran in, in its result
    # the kernel's flags, where torch reports no CPU capabilities
    assert contract.cpuinfo_has_bf16("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert contract.cpuinfo_has_bf16("flags\t: fpu amx_bf16 amx_tile\n")
    assert not contract.cpuinfo_has_bf16("flags\t: fpu avx2 avx512f avx512bw\n")


# ---- precise BatchNorm --------------------------------------------------------------------


def _batch_norms(run: T._Run) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in run.model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def test_precise_bn_is_the_plain_average_over_batches_of_the_evaluated_net():
    """Recomputed statistics: the mean over the batches of each BatchNorm's batch mean, taken
    with the net as evaluated (drop-path off, so every residual branch counts)."""
    recipe = FAST.replace(precise_bn=3)
    run = _run(recipe, net=TINY.replace(drop_path=0.9))
    run.train_epoch()
    norms = _batch_norms(run)
    seen: dict[int, list[torch.Tensor]] = {0: [], len(norms) - 1: []}
    hooks = [norms[i].register_forward_hook(
        lambda m, inp, out, i=i: seen[i].append(inp[0].float().mean(dim=(0, 2, 3))))
        for i in seen]
    run.recompute_batch_norm(epoch=1)
    for hook in hooks:
        hook.remove()
    for i, means in seen.items():  # the stem's BatchNorm and the last block's
        assert len(means) == 3
        torch.testing.assert_close(norms[i].running_mean, torch.stack(means).mean(0),
                                   rtol=1e-4, atol=1e-5)
        assert norms[i].momentum == 0.1 and int(norms[i].num_batches_tracked) == 3
    assert not run.model.training and not any(m.training for m in norms)
    # recomputing again gives the same statistics (nothing was left in train mode)
    before = [m.running_var.clone() for m in norms]
    run.recompute_batch_norm(epoch=1)
    for m, v in zip(norms, before, strict=True):
        torch.testing.assert_close(m.running_var, v)
    # the last BatchNorm's input is one drop-path changes: the evaluated net's differs from
    # the thinned training net's on the same images
    x = run.prepare(run.train_x[:32], training=False)
    inputs = []
    hook = norms[-1].register_forward_hook(lambda m, inp, out: inputs.append(inp[0].clone()))
    with torch.no_grad():
        run.model.eval()
        run.model(x)
        run.model.train()
        torch.manual_seed(0)
        run.model(x)
    hook.remove()
    assert not torch.allclose(inputs[0], inputs[1])


def test_precise_bn_changes_evaluation_only():
    """On or off, training draws the same batches and augmentations (the statistics' batches
    come from a generator of their own): the training curve is identical, the evaluation is
    not, for a net whose training and evaluated forms differ."""
    net = TINY.replace(drop_path=0.5)
    recipe = FAST.replace(crop_padding=2, flip=True)
    off = train(net, recipe, data=DATA)
    on = train(net, recipe.replace(precise_bn=4), data=DATA)
    assert [h["train_loss"] for h in on["history"]] == [h["train_loss"] for h in off["history"]]
    assert [h["val_loss"] for h in on["history"]] != [h["val_loss"] for h in off["history"]]


def test_precise_bn_off_leaves_every_trial_key_as_it_was():
    from trainers.contract import training_identity

    assert "precise_bn" not in training_identity(Recipe())
    assert training_identity(Recipe(precise_bn=8))["precise_bn"] == 8

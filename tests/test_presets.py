"""Presets are exact: torchvision's parameter counts and outputs, and the papers' CIFAR counts
as derived in ../shared/REFERENCE.md (the row is cited beside each number)."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from search_space import PRESET_INFO, PRESETS, build, complexity
from search_space.backbone import Backbone
from search_space.interop import load_torchvision
from search_space.presets import CATALOGUE, preact_bottleneck_resnet, resnext29, wrn
from search_space.registry import blocks

# Too large to build twice on a 2-core CPU in the suite (54M-645M parameters): both models are
# built on the meta device, and their parameter counts and every weighted layer's type and shape
# (load_torchvision's pairing check) must agree; the smaller RegNets also compare outputs.
# What each preset is checked against lives on its record (search_space.presets: its torchvision
# twin, else its exact parameter count from ../shared/REFERENCE.md, the row cited there).
TWINS = {name: p.torchvision for name, p in CATALOGUE.items() if p.torchvision}
CIFAR_PARAMS = {name: p.params for name, p in CATALOGUE.items()
                if p.params and p.input_size == (3, 32, 32)}
PAPER_PARAMS = {name: p.params for name, p in CATALOGUE.items()
                if p.params and p.input_size != (3, 32, 32)}
META_ONLY = {"regnet_x_16gf", "regnet_x_32gf", "regnet_y_16gf", "regnet_y_32gf",
             "regnet_y_128gf"}
INPUT_SIDE = {"inception_v3": 299, "inception_v3_no_aux": 96}  # aux head needs 17x17 at 6e


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def randomise_norm_layers(model: nn.Module) -> None:
    """torchvision initialises BN to the identity; random statistics and affine parameters make
    the output comparison notice a BN copied to the wrong place."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.2)
            m.running_mean.normal_(0, 0.2)
            m.running_var.uniform_(0.5, 1.5)


def test_every_torchvision_model_of_these_families_is_a_preset():
    families = ("vgg", "resnet", "wide_resnet", "resnext", "mobilenet_v2", "googlenet",
                "inception", "densenet", "shufflenet", "alexnet", "regnet")
    names = {n for n in torchvision.models.list_models(module=torchvision.models)
             if n.startswith(families)}
    assert names == {builder for builder, _ in TWINS.values()}
    assert names <= set(PRESETS)


def torchvision_twin(name: str) -> nn.Module:
    builder, kwargs = TWINS[name]
    torch.manual_seed(0)
    tv = torchvision.models.get_model(builder, **dict(kwargs))  # randomly initialised
    randomise_norm_layers(tv)
    return tv


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(TWINS) - META_ONLY))
def test_same_params_and_outputs_as_torchvision(name):
    tv = torchvision_twin(name)
    ours = build(PRESETS[name])
    assert n_params(ours) == n_params(tv)
    load_torchvision(ours, tv)
    ours.eval(), tv.eval()
    side = INPUT_SIDE.get(name, 64)
    x = torch.randn(2, 3, side, side, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff = (ours(x) - tv(x)).abs().max().item()
    assert diff <= 1e-5


@pytest.mark.parametrize("name", sorted(META_ONLY))
def test_the_largest_regnets_match_torchvision_on_the_meta_device(name, monkeypatch):
    import torchvision.models.regnet as tv_regnet

    # torchvision computes the widths with real tensors, so only its modules go on the meta device
    build_modules = tv_regnet.RegNet.__init__

    def on_meta(self, *args, **kwargs):
        with torch.device("meta"):
            build_modules(self, *args, **kwargs)

    monkeypatch.setattr(tv_regnet.RegNet, "__init__", on_meta)
    tv = torchvision.models.get_model(name)
    with torch.device("meta"):
        ours = Backbone(PRESETS[name])
    assert n_params(ours) == n_params(tv)
    load_torchvision(ours, tv)  # raises on the first layer whose type or shape differs


@pytest.mark.slow
@pytest.mark.parametrize("name", ["googlenet_aux", "inception_v3"])
def test_aux_heads_match_torchvision_in_training(name):
    tv = torchvision_twin(name)
    ours = load_torchvision(build(PRESETS[name]), tv)
    ours.train(), tv.train()
    side = INPUT_SIDE.get(name, 64)
    x = torch.randn(2, 3, side, side, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(5)  # the dropout masks are drawn in the same order in both
    logits, aux = ours(x)
    torch.manual_seed(5)
    theirs = tv(x)
    # torchvision returns (logits, aux2, aux1) for GoogLeNet and (logits, aux) for Inception-v3
    their_aux = [theirs[2], theirs[1]] if name == "googlenet_aux" else [theirs[1]]
    assert len(aux) == len(their_aux) == len(PRESETS[name].aux_weights)
    assert (logits - theirs[0]).abs().max() <= 1e-5
    for a, b in zip(aux, their_aux, strict=True):
        assert (a - b).abs().max() <= 1e-5
    ours.eval()
    assert isinstance(ours(x), torch.Tensor)  # aux heads are off at evaluation


def test_load_torchvision_refuses_another_architecture():
    with pytest.raises(ValueError, match="layer mismatch|architectures differ"):
        load_torchvision(build(PRESETS["resnet20"]), torchvision.models.resnet18())




def test_every_preset_is_checked_against_a_reference():
    checked = set(TWINS) | set(CIFAR_PARAMS) | set(PAPER_PARAMS)
    assert set(PRESETS) == checked
    assert not set(TWINS) & (set(CIFAR_PARAMS) | set(PAPER_PARAMS))  # one reference each


def test_a_presets_family_is_the_registry_family_of_its_blocks():
    for name, preset in CATALOGUE.items():
        modules = {blocks[s.block].module.__module__ for s in preset.net.stages}
        assert modules == {f"search_space.families.{preset.family}"}, name


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
def test_paper_preset_params(name):
    assert complexity(PRESETS[name], PRESET_INFO[name].input_size).params == PAPER_PARAMS[name]


def test_fractalnet_count_derivation():
    # Independent arithmetic for the FractalNet counts pinned above: a block of C columns has
    # 2^C - 1 3x3 convs (no bias), C of them reading the block input; BN adds 2 per channel.
    def count(columns: int) -> int:
        total, cin = 0, 3
        for w in (64, 128, 256, 512, 512):
            convs = 2**columns - 1
            total += columns * 9 * cin * w + (convs - columns) * 9 * w * w + convs * 2 * w
            cin = w
        return total + 512 * 10 + 10

    assert count(3) == CIFAR_PARAMS["fractalnet20"]
    assert count(4) == CIFAR_PARAMS["fractalnet40"]


def test_every_cifar_preset_has_a_pinned_count():
    cifar = {n for n, info in PRESET_INFO.items() if info.input_size == (3, 32, 32)}
    assert cifar == set(CIFAR_PARAMS)


@pytest.mark.parametrize("name", sorted(CIFAR_PARAMS))
def test_cifar_preset_params(name):
    assert complexity(PRESETS[name], (3, 32, 32)).params == CIFAR_PARAMS[name]


@pytest.mark.parametrize("name", ["resnet20", "wrn_16_8", "mobilenet_v2_cifar"])
def test_built_module_has_the_counted_params(name):
    # complexity counts on the meta device; a real build must agree
    assert n_params(build(PRESETS[name])) == CIFAR_PARAMS[name]


# 2.4 Table 4 (width vs depth), every row, "Exact params [D]"
WRN_TABLE = {(40, 1): 563_930, (40, 2): 2_243_546, (40, 4): 8_949_210, (40, 8): 35_748_314,
             (28, 10): 36_479_194, (28, 12): 52_517_850, (22, 8): 17_158_106,
             (22, 10): 26_797_914, (16, 8): 10_961_370, (16, 10): 17_116_634}


@pytest.mark.parametrize("depth, k", sorted(WRN_TABLE))
def test_wrn_width_vs_depth_table(depth, k):
    assert complexity(wrn(depth, k), (3, 32, 32)).params == WRN_TABLE[(depth, k)]


def test_wrn_40_10_and_preact_constructors():
    assert complexity(wrn(40, 10), (3, 32, 32)).params == 55_841_754  # 2.4 Table 5, WRN-40-10
    assert complexity(preact_bottleneck_resnet(164), (3, 32, 32)).params == 1_703_258
    assert complexity(resnext29(8, 64, num_classes=10), (3, 32, 32)).params == 34_426_698


def test_mobilenet_v2_width_1_4():
    # REFERENCE.md 1.2, "torchvision conventions ... [D]": 6,108,776 params, 582.2 M MACs
    cx = complexity(PRESETS["mobilenet_v2"].replace(width_mult=1.4), (3, 224, 224))
    assert cx.params == 6_108_776
    assert cx.macs / 1e6 == pytest.approx(582.2, abs=0.1)
    tv = torchvision.models.mobilenet_v2(width_mult=1.4)
    assert n_params(tv) == 6_108_776


def test_presets_adapt_to_a_dataset():
    net = PRESETS["resnet18"].adapt(num_classes=10, in_channels=1, small_input=True)
    model = build(net)
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    # the small-image stem keeps 28x28 at full resolution into stage 1
    assert complexity(net, (1, 28, 28)).layers[0].output_shape == (64, 28, 28)


def test_cifar_resnet_option_a_vs_b():
    # REFERENCE.md 2.1, option-B (1x1 projection) ResNet-20: 272,474
    from search_space.presets import cifar_resnet
    assert complexity(cifar_resnet(3, shortcut="B"), (3, 32, 32)).params == 272_474

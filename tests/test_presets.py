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
from search_space.presets import preact_bottleneck_resnet, resnext29, wrn

TORCHVISION = [
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "wide_resnet50_2", "wide_resnet101_2",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "mobilenet_v2",
    "googlenet", "inception_v3", "densenet121", "densenet161", "densenet169", "densenet201",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
    "alexnet",
    "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf",
    "regnet_x_16gf", "regnet_x_32gf",
    "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf",
    "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf",
]
# Too large to build twice on a 2-core CPU in the suite (54M-645M parameters): both models are
# built on the meta device, and their parameter counts and every weighted layer's type and shape
# (load_torchvision's pairing check) must agree; the smaller RegNets also compare outputs.
META_ONLY = {"regnet_x_16gf", "regnet_x_32gf", "regnet_y_16gf", "regnet_y_32gf",
             "regnet_y_128gf"}
# Our preset -> (torchvision builder, its keyword arguments): the auxiliary-head variants.
# torchvision's googlenet weights drop the aux heads, inception_v3's count them (REFERENCE 1.1).
TORCHVISION_VARIANTS = {
    "googlenet": ("googlenet", {"aux_logits": False, "init_weights": True}),
    "googlenet_aux": ("googlenet", {"aux_logits": True, "init_weights": True}),
    "inception_v3": ("inception_v3", {"aux_logits": True, "init_weights": True}),
    "inception_v3_no_aux": ("inception_v3", {"aux_logits": False, "init_weights": True}),
}
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
    assert names == set(TORCHVISION)
    assert names <= set(PRESETS)


def torchvision_twin(name: str) -> nn.Module:
    builder, kwargs = TORCHVISION_VARIANTS.get(name, (name, {}))
    torch.manual_seed(0)
    tv = torchvision.models.get_model(builder, **kwargs)  # randomly initialised
    randomise_norm_layers(tv)
    return tv


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted((set(TORCHVISION) | set(TORCHVISION_VARIANTS)) - META_ONLY))
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


# Exact parameter counts, ../shared/REFERENCE.md (row cited per entry).
CIFAR_PARAMS = {
    # 2.1 He et al. 2015 Table 6, "Exact params, option A [D]"
    "resnet20": 269_722, "resnet32": 464_154, "resnet44": 658_586, "resnet56": 853_018,
    "resnet110": 1_727_962, "resnet1202": 19_421_274,
    # 2.1: the plain nets are the same layers without shortcuts; option A has no parameters,
    # so plain-20/56 equal ResNet-20/56 (REFERENCE.md 2.1 rows ResNet-20 and ResNet-56).
    "plain20": 269_722, "plain56": 853_018,
    # 2.3 stochastic depth uses ResNet-110 (2.1 row ResNet-110); drop-path has no parameters.
    "resnet110_stochastic_depth": 1_727_962,
    # 2.2 Table 3 row "ResNet-110 1.7M": pre-activation moves BNs but keeps the same number:
    # stem BN (32) and the two narrower first-block BNs of stages 2/3 (-32, -64) are traded for
    # the final BN (128), so the count equals 2.1's 1,727,962.
    "preact_resnet110": 1_727_962,
    # 2.2 Table 3/4 rows ResNet-164 and ResNet-1001, "Exact params [D]"
    "preact_resnet164": 1_703_258, "preact_resnet1001": 10_327_706,
    # 2.4 Table 5 rows WRN-16-8, WRN-28-10, WRN-40-4
    "wrn_16_8": 10_961_370, "wrn_28_10": 36_479_194, "wrn_40_4": 8_949_210,
    # 2.5 Table 7 rows ResNeXt-29 8x64d and 16x64d
    "resnext29_8x64d": 34_426_698, "resnext29_16x64d": 68_155_210,
    # 2.8 "torchvision arch with a 10-class head": 2,236,682
    "mobilenet_v2_cifar": 2_236_682,
    # 2.6 rows DenseNet (L=40, k=12), DenseNet-BC (L=100, k=12), DenseNet-BC (L=250, k=24)
    "densenet40_k12": 1_019_722, "densenet_bc_100_k12": 769_162,
    "densenet_bc_250_k24": 15_324_406,
    # 2.7: the published 38.6M is unverified; these are derived from the paper's description
    # (see presets.fractalnet and test_fractalnet_count_derivation below)
    "fractalnet20": 33_724_618, "fractalnet40": 76_106_634,
}

# ImageNet presets from the papers, not in torchvision
PAPER_PARAMS = {
    # 1.1 note / 6.2: "With a true 5x5 branch: 7,005,832 params with BN convs"
    "googlenet_5x5": 7_005_832,
    # 1.3 "Params 1x [D], = osmr exact [V]" for g = 1, 2, 3, 4, 8; 0.5x and 0.25x for g = 3
    "shufflenet_v1_g1": 1_531_936, "shufflenet_v1_g2": 1_733_848, "shufflenet_v1_g3": 1_865_728,
    "shufflenet_v1_g4": 1_968_344, "shufflenet_v1_g8": 2_434_768,
    "shufflenet_v1_x0_5_g3": 718_324, "shufflenet_v1_x0_25_g3": 305_902,
}


def test_every_preset_is_checked_against_a_reference():
    checked = set(TORCHVISION) | set(TORCHVISION_VARIANTS) | set(CIFAR_PARAMS) | set(PAPER_PARAMS)
    assert set(PRESETS) == checked


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

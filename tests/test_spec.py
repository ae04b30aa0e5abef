"""The spec: validation names the bad field, serialisations round-trip, multipliers resolve."""

from __future__ import annotations

import json

import pytest

from search_space import PRESETS, BasicExtras, InvertedExtras, Net, Stage
from search_space.presets import wrn
from search_space.spec import GLOSSARY, make_divisible


def small(**changes) -> Net:
    base = Net(stages=(Stage("basic", depth=2, width=16), Stage("basic", 2, 32, stride=2)))
    return base.replace(**changes)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_round_trips(name):
    net = PRESETS[name]
    assert Net.from_json(net.to_json()) == net
    assert Net.from_flat(net.flat()) == net
    # MLflow gives params back as strings
    assert Net.from_flat({k: str(v) for k, v in net.flat().items()}) == net
    assert Net.from_json(net.to_json()).key() == net.key()


def test_key_is_stable_and_distinguishes_points():
    a = small()
    assert a.key() == small().key()
    assert len({a.key(), small(width_mult=0.5).key(), small(drop_path=0.1).key()}) == 3
    # the preset label is not part of the point
    assert a.replace(name="x").key() == a.key()
    # canonical form: sorted keys, so the hash does not depend on dict order
    assert a.to_json() == json.dumps(json.loads(a.to_json()), sort_keys=True, separators=(",", ":"))


def test_flat_is_scalar_and_dotted():
    flat = PRESETS["mobilenet_v2"].flat()
    assert all(isinstance(v, (int, float, str, bool)) for v in flat.values())
    assert flat["stages.1.expansion"] == 6.0
    assert flat["stages.1.extras.activation"] == "linear"
    assert flat["num_stages"] == 7


def test_extras_from_dict_are_typed():
    s = Stage("inverted", 1, 16, extras={"activation": "relu6"})
    assert s.extras == InvertedExtras(activation="relu6")
    assert Stage("basic", 1, 16).extras == BasicExtras()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Stage("basic", depth=0, width=16), "depth=0"),
        (lambda: Stage("basic", depth=1, width=0), "width=0"),
        (lambda: Stage("conv", depth=1, width=16), "block='conv'"),
        (lambda: Stage("basic", 1, 16, stride=3), "stride=3"),
        (lambda: Stage("basic", 1, 16, extras={"shortcut": "C"}), "extras.shortcut='C'"),
        (lambda: Stage("basic", 1, 16, extras={"colour": 1}), "colour"),
        (lambda: Stage("basic", 1, 16, extras=InvertedExtras()), "does not belong"),
        (lambda: Stage("basic", "two", 16), "depth='two'"),
        (lambda: small(drop_path=1.0), "drop_path=1.0"),
        (lambda: small(drop_path=-0.1), "drop_path=-0.1"),
        (lambda: small(stem="huge"), "stem='huge'"),
        (lambda: small(head="mlp"), "head='mlp'"),
        (lambda: small(num_classes=0), "num_classes=0"),
        (lambda: small(width_mult=0), "width_mult=0"),
        # 12 groups split 32 bottleneck channels unevenly
        (lambda: Net(stages=(Stage("bottleneck", 1, 128, groups=12, expansion=0.25),)),
         "groups=12"),
        # basic block groups split the 16-channel input of stage 0
        (lambda: Net(stages=(Stage("basic", 1, 64, groups=32),)), "groups=32"),
        (lambda: Net(stages=(Stage("inverted", 1, 16, groups=2),)), "groups=2"),
        # Inception branches must add up to the stage width (64 + 128 + 32 + 32 = 256)
        (lambda: Net(stages=(Stage("inception", 1, 250),)), "width=250"),
        (lambda: Stage("inception", 1, 256, extras={"b5_kernel": 7}), "b5_kernel=7"),
        (lambda: PRESETS["inception_v3"].replace(width_mult=0.5), "width_mult=0.5"),
        (lambda: PRESETS["googlenet"].replace(aux_after=(8,)), "aux_after"),
        (lambda: Net(stages=(Stage("shuffle", 1, 32, stride=2, groups=3, expansion=0.25),)),
         "groups=3"),
        (lambda: Net(stages=(Stage("dense", 2, 12, stride=2, extras={"compression": 0.0}),)),
         "compression=0.0"),
        (lambda: Net(stages=(Stage("fractal", 1, 8, extras={"columns": 9}),)), "columns=9"),
    ],
)
def test_invalid_points_name_the_field(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_from_flat_rejects_unknown_fields():
    flat = small().flat()
    with pytest.raises(ValueError, match="widht"):
        Net.from_flat({**flat, "stages.0.widht": 3})
    with pytest.raises(ValueError, match="not a field of Net"):
        Net.from_flat({**flat, "colour": "red"})


def test_validate_input_size():
    vgg = PRESETS["vgg16"]
    vgg.validate((3, 32, 32))  # five 2x2 pools: 32 -> 1
    with pytest.raises(ValueError, match="below 1 pixel at head vgg"):
        vgg.validate((3, 16, 16))
    with pytest.raises(ValueError, match="channels=1"):
        vgg.validate((1, 224, 224))
    vgg.adapt(in_channels=1).validate((1, 32, 32))
    resnet = PRESETS["resnet50"]
    resnet.validate((3, 32, 32))  # 3x3 convs pad, so 32 px survive 5 halvings at 1 px
    with pytest.raises(ValueError, match="below 1 pixel"):
        Net(stages=(Stage("plain", 1, 8, stride=2),) * 3, stem="none").validate((3, 4, 4))


def test_adapt_changes_only_the_dataset_fields():
    net = PRESETS["resnet18"].adapt(num_classes=10, in_channels=1, small_input=True)
    assert (net.num_classes, net.in_channels, net.stem) == (10, 1, "cifar")
    assert net.stages == PRESETS["resnet18"].stages
    assert PRESETS["mobilenet_v2"].adapt(small_input=True).stem == "mobilenet_v2_small"


def test_multipliers():
    half = small(depth_mult=0.5, width_mult=0.5)
    assert [(b.in_width, b.width) for b in half.blocks()] == [(8, 8), (8, 16)]
    # depth rounds up, never below 1
    assert len(small(depth_mult=0.1).blocks()) == 2
    # MobileNetV2 rounds scaled widths to multiples of 8 (torchvision _make_divisible)
    assert make_divisible(32 * 1.4, 8) == 48 and make_divisible(24 * 0.35, 8) == 8
    assert PRESETS["mobilenet_v2"].replace(width_mult=1.4).head_out == 1792
    assert PRESETS["mobilenet_v2"].replace(width_mult=0.5).head_out == 1280


def test_drop_path_linear_decay_huang():
    # Huang et al. 2016: block l of L drops with probability (l / L) * (1 - p_L)
    rates = [b.drop_path for b in PRESETS["resnet110_stochastic_depth"].blocks()]
    assert len(rates) == 54
    assert rates[-1] == pytest.approx(0.5)
    assert rates[0] == pytest.approx(0.5 / 54)
    assert all(b > a for a, b in zip(rates, rates[1:], strict=False))


def test_glossary_defines_every_stage_axis():
    for axis in ("block", "depth", "width", "stride", "groups", "expansion", "drop_path"):
        assert axis in GLOSSARY


def test_wrn_rejects_impossible_depth():
    with pytest.raises(ValueError, match="depth=17"):
        wrn(17, 2)


def test_tuple_and_int_literal_fields_survive_strings():
    net = PRESETS["googlenet_aux"].replace(stages=tuple(
        s.__class__(**{**s.__dict__, "extras": s.extras.__class__(
            **{**s.extras.__dict__, "b5_kernel": 5})}) for s in PRESETS["googlenet_aux"].stages
    ))
    flat = net.flat()
    assert flat["aux_after"] == "2,5" and flat["stages.0.extras.b5_kernel"] == 5
    back = Net.from_flat({k: str(v) for k, v in flat.items()})
    assert back == net and back.aux_after == (2, 5)
    assert back.stages[0].extras.b5_kernel == 5  # an int again, not "5"
    assert Net.from_json(net.to_json()) == net


def test_width_mult_scales_inception_branches():
    half = PRESETS["googlenet"].replace(width_mult=0.5)
    first = half.blocks()[0]
    assert (first.extras.b1, first.extras.b3, first.out_width) == (32, 64, 128)
    assert half.stem_out == 96  # 3 x (64 / 2)


def test_aux_weights_follow_the_papers():
    assert PRESETS["googlenet_aux"].aux_weights == (0.3, 0.3)
    assert PRESETS["inception_v3"].aux_weights == (0.4,)
    assert PRESETS["googlenet"].aux_weights == ()


def test_inception_v3_aux_needs_a_large_enough_input():
    PRESETS["inception_v3"].validate((3, 299, 299))
    PRESETS["inception_v3_no_aux"].validate((3, 160, 160))
    with pytest.raises(ValueError, match="too small for the aux head"):
        PRESETS["inception_v3"].validate((3, 160, 160))

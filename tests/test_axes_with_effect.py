"""An axis that changes a point's key must change what it builds: two points that build the
same net would count as two variants of an ablation. drop_path is refused on a net none of
whose blocks runs a residual branch (the forward pass on the meta device says so), and
head_width on a head that does not use it; every block type and every head is tried."""

from __future__ import annotations

import pytest
import torch

from search_space import PRESETS, build
from search_space.registry import blocks, heads

# One preset per block type, and whether drop-path can act on it (a residual branch to drop).
BY_BLOCK = {
    "basic": ("resnet20", True), "bottleneck": ("resnext29_8x64d", True),
    "inverted": ("mobilenet_v2_cifar", True), "regnet_x": ("regnet_x_400mf", True),
    "regnet_y": ("regnet_y_400mf", True), "plain": ("vgg11", False),
    "dense": ("densenet40_k12", False), "fractal": ("fractalnet20", False),
    "inception": ("googlenet", False), "inception_v3": ("inception_v3_no_aux", False),
    "shuffle": ("shufflenet_v1_g3", False), "shuffle_v2": ("shufflenet_v2_x0_5", False),
}


def test_every_block_type_is_tried():
    assert set(BY_BLOCK) == set(blocks)


def _shape(net):
    return (3, 299, 299) if "inception_v3" in {s.block for s in net.stages} else (3, 64, 64)


@pytest.mark.parametrize("block", sorted(BY_BLOCK))
def test_drop_path_is_refused_where_no_block_can_drop_a_branch(block):
    name, acts = BY_BLOCK[block]
    net = PRESETS[name].replace(drop_path=0.2)
    if acts:
        net.validate(_shape(net))
    else:
        with pytest.raises(ValueError, match=rf"drop_path=0.2 has no effect on this net: none "
                           rf"of its blocks \({block}\) runs a residual branch"):
            net.validate(_shape(net))


def test_a_plain_net_has_a_residual_block_type_but_no_branch_to_drop():
    """plain-20 is built of `basic` blocks without their shortcut: refused, though ResNet-20 of
    the same block type is not. The refusal is right: built anyway, its training forward pass
    is the same with drop_path 0.5 as without (same weights), while ResNet-20's is not."""
    plain = PRESETS["plain20"]
    with pytest.raises(ValueError, match="drop_path=0.5 has no effect"):
        plain.replace(drop_path=0.5).validate((3, 32, 32))
    x = torch.randn(4, 3, 32, 32)
    for net, differs in ((plain, False), (PRESETS["resnet20"], True)):
        without, with_ = build(net), build(net.replace(drop_path=0.5))
        with_.load_state_dict(without.state_dict())
        without.train(), with_.train()
        torch.manual_seed(0)
        a = without(x)
        torch.manual_seed(0)
        b = with_(x)
        assert (not torch.allclose(a, b)) == differs, net


@pytest.mark.parametrize("head", sorted(heads))
@pytest.mark.parametrize("value", [5, -5])
def test_head_width_is_refused_where_the_head_does_not_use_it(head, value):
    if heads[head].needs_head_width and value > 0:
        assert PRESETS["resnet20"].replace(head=head, head_width=value).head_width == value
        return
    with pytest.raises(ValueError, match=rf"head_width={value} (has no effect on head {head}|"
                       "must be >= 1)"):
        PRESETS["resnet20"].replace(head=head, head_width=value)


def _built(net) -> list:
    """What a built net is, module by module: type, scalar settings, parameter and buffer
    shapes (on the meta device: nothing allocated)."""
    with torch.device("meta"):
        model = build(net)
    out = []
    for name, module in model.named_modules():
        settings = sorted((k, v) for k, v in vars(module).items() if not k.startswith("_")
                          and isinstance(v, (int, float, bool, str, tuple)))
        out.append((name, type(module).__name__, settings))
    out += [(n, tuple(p.shape)) for n, p in model.named_parameters()]
    out += [(n, tuple(b.shape)) for n, b in model.named_buffers()]
    return out


def _changes(net) -> list[tuple[str, object]]:
    return [("stem_width", net.stem_width * 2), ("width_mult", 0.5), ("depth_mult", 0.5),
            ("depth_mult", 2.0), ("round_to", 3), ("round_to", 16)]


@pytest.mark.parametrize("block", sorted(BY_BLOCK))
def test_a_key_changes_exactly_when_what_is_built_changes(block):
    """For every field whose effect goes through the net's resolution (spec.RESOLVED_FIELDS),
    on one preset of every block type: two points have the same key if and only if they build
    the same modules. Catches a value the key ignores though a module reads it (two nets
    pooled as one) and a value that changes the key but nothing built (one net counted
    twice)."""
    from search_space.spec import RESOLVED_FIELDS

    net = PRESETS[BY_BLOCK[block][0]]
    assert {field for field, _ in _changes(net)} == set(RESOLVED_FIELDS)
    built = _built(net)
    for field, value in _changes(net):
        try:
            other = net.replace(**{field: value})
            other.validate(_shape(other))
        except ValueError:
            continue  # refused in one line: neither pooled nor counted twice
        same_modules = _built(other) == built
        assert (other.key() == net.key()) == same_modules, (block, field, value)


def test_a_value_without_effect_keeps_the_key_and_the_json():
    net = PRESETS["resnet20"]  # widths 16/32/64: already multiples of 16, depth 3 per stage
    assert net.replace(round_to=16).key() == net.key()
    assert net.replace(round_to=16).to_json() != net.to_json()  # the point is kept as given
    assert net.replace(round_to=16, width_mult=0.5).key() != net.replace(width_mult=0.5).key()
    single = PRESETS["googlenet"]  # one Inception module per stage
    assert single.replace(depth_mult=0.5).key() == single.key()
    assert single.replace(depth_mult=2.0).key() != single.key()


# Block extras that change the key but not the built modules, on the first two stages of one
# preset per block type: known, not fixed yet (each family would have to say which of its
# fields a resolved block leaves unused; the key counts them). A fix removes its line; a new
# case fails the test.
KNOWN_INERT_EXTRAS = {
    ("basic", 0, "shortcut", "B"),  # stage 0 of ResNet-20 needs no projection
    ("bottleneck", 0, "stride_on", "1x1"),  # a stride-1 stage
    ("dense", 0, "bn_size", 8), ("dense", 1, "bn_size", 8),  # no bottleneck in DenseNet-40
    ("dense", 0, "compression", 0.5),
    ("inception", 0, "pool", "2x2"), ("inception", 1, "pool", "2x2"),
    ("inception_v3", 0, "channels_7x7", 256), ("inception_v3", 1, "channels_7x7", 256),
    ("inverted", 0, "shortcut", "none"),  # stage 0's one block changes width: no shortcut
    ("plain", 0, "pool", "3x3"),
}


def _alternatives(value, hint) -> list:
    import typing

    if isinstance(value, bool):
        return [not value]
    if typing.get_origin(hint) is typing.Literal:
        return [a for a in typing.get_args(hint) if a != value]
    if isinstance(value, float):
        return [value * 0.5 if value else 0.2]
    if isinstance(value, int):
        return [value * 2 if value else 1]
    return []


@pytest.mark.slow
def test_block_extras_without_effect_are_the_known_ones():
    import dataclasses
    import typing

    inert = set()
    for block, (preset, _) in sorted(BY_BLOCK.items()):
        net = PRESETS[preset]
        built = _built(net)
        for i, stage in enumerate(net.stages[:2]):
            hints = typing.get_type_hints(type(stage.extras))
            for f in dataclasses.fields(stage.extras):
                for value in _alternatives(getattr(stage.extras, f.name), hints.get(f.name)):
                    changed = dataclasses.replace(
                        stage, extras=dataclasses.replace(stage.extras, **{f.name: value}))
                    try:
                        other = net.replace(stages=(*net.stages[:i], changed,
                                                    *net.stages[i + 1:]))
                        other.validate(_shape(other))
                    except ValueError:
                        continue
                    if other.key() != net.key() and _built(other) == built:
                        inert.add((block, i, f.name, value))
    assert inert == KNOWN_INERT_EXTRAS

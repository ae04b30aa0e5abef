"""An axis that changes a point's key must change what it builds: two points that build the
same net would count as two variants of an ablation. drop_path is refused on a net none of
whose blocks runs a residual branch (the forward pass on the meta device says so), and
head_width on a head that does not use it; every block type and every head is tried."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


@pytest.mark.slow
@pytest.mark.parametrize("block", sorted(BY_BLOCK))
def test_a_net_field_changes_the_key_exactly_when_what_is_built_changes(block):
    """Every stem, head and auxiliary head, dropout, classes and channels, auxiliary
    classifiers on or off, on one preset per block type: same key if and only if same
    modules (an aux_head without aux_after builds nothing)."""
    from search_space.registry import aux_heads, stems

    net = PRESETS[BY_BLOCK[block][0]]
    built, tried = _built(net), 0
    changes = [*(("aux_head", a) for a in aux_heads), *(("stem", s) for s in stems),
               *(("head", h) for h in heads), ("dropout", 0.3), ("dropout", 0.0),
               ("num_classes", 7), ("in_channels", 1), ("aux_after", (0,)), ("aux_after", ())]
    for name, value in changes:
        if getattr(net, name) == value:
            continue
        try:
            other = net.replace(**{name: value})
            other.validate(_shape(other))
        except ValueError:
            continue
        same_modules = _built(other) == built
        assert (other.key() == net.key()) == same_modules, (block, name, value)
        tried += 1
    assert tried


def test_a_value_without_effect_keeps_the_key_and_the_json():
    net = PRESETS["resnet20"]  # widths 16/32/64: already multiples of 16, depth 3 per stage
    assert net.replace(round_to=16).key() == net.key()
    assert net.replace(round_to=16).to_json() != net.to_json()  # the point is kept as given
    assert net.replace(round_to=16, width_mult=0.5).key() != net.replace(width_mult=0.5).key()
    single = PRESETS["googlenet"]  # one Inception module per stage
    assert single.replace(depth_mult=0.5).key() == single.key()
    assert single.replace(depth_mult=2.0).key() != single.key()


@pytest.mark.slow
@pytest.mark.parametrize("block", sorted(BY_BLOCK))
def test_a_block_extra_changes_the_key_exactly_when_what_is_built_changes(block):
    """Every extras field of every stage of one preset per block type, set to each other
    value: same key if and only if the same modules (each family's Extras.as_built declares
    what its blocks leave unused: shortcut B or A where no block changes shape, a pool or
    stride_on on a stride-1 stage, DenseNet's bn_size without bottleneck, ...)."""
    import dataclasses
    import typing

    net = PRESETS[BY_BLOCK[block][0]]
    built, tried = _built(net), 0
    for i, stage in enumerate(net.stages):
        hints = typing.get_type_hints(type(stage.extras))
        for f in dataclasses.fields(stage.extras):
            for value in _alternatives(getattr(stage.extras, f.name), hints.get(f.name)):
                changed = dataclasses.replace(
                    stage, extras=dataclasses.replace(stage.extras, **{f.name: value}))
                try:
                    other = net.replace(stages=(*net.stages[:i], changed, *net.stages[i + 1:]))
                    other.validate(_shape(other))
                except ValueError:
                    continue  # refused in one line
                same_modules = _built(other) == built
                assert (other.key() == net.key()) == same_modules, (block, i, f.name, value)
                tried += 1
    assert tried or not any(dataclasses.fields(s.extras) for s in net.stages)


@pytest.mark.slow
@pytest.mark.parametrize("block", sorted(BY_BLOCK))
def test_a_stage_field_changes_the_key_exactly_when_what_is_built_changes(block):
    """Every stage of one preset per block type with its expansion, groups, depth, stride or
    width changed: same key if and only if same modules (an expansion is read only by the
    blocks with an inner width: bottleneck, inverted, RegNet, ShuffleNet v1)."""
    import dataclasses

    net = PRESETS[BY_BLOCK[block][0]]
    built, tried = _built(net), 0
    for i, stage in enumerate(net.stages):
        for name, value in (("expansion", stage.expansion * 2), ("expansion", stage.expansion / 2),
                            ("groups", 2 if stage.groups == 1 else 1), ("depth", stage.depth + 1),
                            ("stride", 3 - stage.stride), ("width", stage.width * 2)):
            try:
                changed = dataclasses.replace(stage, **{name: value})
                other = net.replace(stages=(*net.stages[:i], changed, *net.stages[i + 1:]))
                other.validate(_shape(other))
            except ValueError:
                continue
            same_modules = _built(other) == built
            assert (other.key() == net.key()) == same_modules, (block, i, name, value)
            tried += 1
    assert tried


def test_an_unused_extra_takes_the_value_the_other_stages_agree_on():
    """ResNet-20 has shortcut A on every stage; its first stage changes no shape, so A and B
    build the same identity there. Both spellings get one key, and it is the key of the
    uniform point as written (stored trials of ResNet-20 keep theirs)."""
    import dataclasses

    net = PRESETS["resnet20"]
    assert {s.extras.shortcut for s in net.stages} == {"A"}
    first = net.stages[0]
    b_first = net.replace(stages=(
        dataclasses.replace(first, extras=dataclasses.replace(first.extras, shortcut="B")),
        *net.stages[1:]))
    assert b_first.key() == net.key()
    assert b_first.canonical() == net
    assert net.canonical() == net
    none_first = net.replace(stages=(
        dataclasses.replace(first, extras=dataclasses.replace(first.extras, shortcut="none")),
        *net.stages[1:]))
    assert none_first.key() != net.key()  # no shortcut at all is another net
    all_b = net.replace(stages=tuple(
        dataclasses.replace(s, extras=dataclasses.replace(s.extras, shortcut="B"))
        for s in net.stages))
    assert all_b.key() != net.key()  # the projecting stages differ
    assert all_b.canonical() == all_b


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


@st.composite
def _mutated(draw, preset: str):
    """The preset with up to four extras fields of random stages set to other values (None
    where the point is refused)."""
    import dataclasses
    import typing

    net = PRESETS[preset]
    stages = list(net.stages)
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(stages) - 1))
        fields = dataclasses.fields(stages[i].extras)
        if not fields:
            continue
        f = draw(st.sampled_from(fields))
        hint = typing.get_type_hints(type(stages[i].extras))[f.name]
        options = [getattr(stages[i].extras, f.name),
                   *_alternatives(getattr(stages[i].extras, f.name), hint)]
        value = draw(st.sampled_from(options))
        stages[i] = dataclasses.replace(
            stages[i], extras=dataclasses.replace(stages[i].extras, **{f.name: value}))
    try:
        return net.replace(stages=tuple(stages))
    except ValueError:
        return None  # refused in one line


# Presets whose stages disagree on what their blocks use (shapes, strides, groups, modules).
MIXED = ["resnet20", "resnet50", "alexnet", "googlenet_aux", "densenet40_k12",
         "densenet_bc_100_k12", "inception_v3_no_aux", "mobilenet_v2_cifar", "shufflenet_v1_g1",
         "shufflenet_v1_g3", "vgg11"]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MIXED).flatmap(lambda name: st.tuples(_mutated(name), _mutated(name))))
def test_two_points_of_one_preset_share_a_key_exactly_when_they_build_the_same(pair):
    """Several extras changed at once, on presets whose stages differ in what their blocks
    use: same key if and only if same modules, and a canonical form builds what its point
    builds (nothing a block reads was settled)."""
    built = []
    for net in pair:
        try:
            if net is None:
                return
            net.validate(_shape(net))
        except ValueError:
            return
        built.append(_built(net))
        assert _built(net.canonical()) == built[-1]
        assert net.canonical().canonical() == net.canonical()
    a, b = pair
    assert (a.key() == b.key()) == (built[0] == built[1])

"""The search space's promise, checked on random points (hypothesis): a point either is refused
with a ValueError (when it is built or validated at its input size), or it builds, runs forward
and backward at that size, and `complexity` counts exactly the module's parameters.

Values are drawn across every block, stem, head and extra, from the fields' own type hints, with
out-of-range values mixed in (zero and negative sizes, rates above 1, unknown choices)."""

from __future__ import annotations

import dataclasses
import typing

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from search_space import Net, Stage, build, complexity
from search_space.registry import BLOCK_EXTRAS, heads, stems

# Enough examples to reach every block with odd extras, few enough for CI (each example builds
# and trains a small net one step).
EXAMPLES = 120


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """A valid value nine times in ten: a point has a dozen fields, and each must be valid for
    the point to reach the build."""
    return st.integers(0, 9).flatmap(lambda roll: invalid if roll == 9 else valid)


def field_values(annotation) -> st.SearchStrategy:
    """Values for one extras field, from its type hint."""
    if typing.get_origin(annotation) is typing.Literal:
        return mostly(st.sampled_from(typing.get_args(annotation)), st.just("bogus"))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return mostly(st.integers(1, 48), st.integers(-2, 0))
    if annotation is float:
        return mostly(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]),
                      st.floats(-0.5, 1.5, allow_nan=False))
    raise AssertionError(f"no strategy for {annotation!r}")


@st.composite
def extras_of(draw, block: str) -> dict:
    cls = BLOCK_EXTRAS[block]
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    chosen = draw(st.sets(st.sampled_from(names))) if names else set()
    return {name: draw(field_values(hints[name])) for name in sorted(chosen)}


@st.composite
def stages(draw) -> dict:
    block = draw(st.sampled_from(sorted(BLOCK_EXTRAS)))
    return {"block": block,
            "depth": draw(mostly(st.integers(1, 3), st.just(0))),
            "width": draw(mostly(st.integers(1, 48), st.integers(-1, 0))),
            "stride": draw(mostly(st.sampled_from([1, 2]), st.just(3))),
            "groups": draw(mostly(st.sampled_from([1, 1, 1, 2, 4]), st.just(3))),
            "expansion": draw(mostly(st.sampled_from([0.25, 1.0, 4.0, 6.0]), st.just(0.0))),
            "extras": draw(extras_of(block))}


@st.composite
def points(draw) -> tuple[dict, object]:
    net = {
        "stages": draw(st.lists(stages(), min_size=1, max_size=3)),
        "stem": draw(st.sampled_from(sorted(stems))),
        "head": draw(st.sampled_from(sorted(heads))),
        "stem_width": draw(mostly(st.integers(1, 32), st.just(0))),
        "head_width": draw(st.sampled_from([0, 8, 64])),
        "dropout": draw(mostly(st.sampled_from([0.0, 0.2]), st.just(1.0))),
        "num_classes": draw(st.integers(1, 10)),
        "in_channels": draw(st.sampled_from([1, 3])),
        "width_mult": draw(st.sampled_from([0.25, 0.5, 1.0, 1.0, 1.5])),
        "depth_mult": draw(st.sampled_from([0.5, 1.0, 1.0, 2.0])),
        "round_to": draw(st.sampled_from([1, 1, 8])),
        "drop_path": draw(st.sampled_from([0.0, 0.0, 0.2])),
        "aux_after": draw(mostly(st.just(()), st.just((0,)))),
    }
    size = draw(st.one_of(st.sampled_from([16, 32, 64, 96]),
                          st.tuples(st.integers(8, 120), st.integers(8, 120)),
                          st.tuples(st.just(net["in_channels"]), st.integers(8, 120),
                                    st.integers(8, 120))))
    return net, size


def make(fields: dict) -> Net:
    stages_ = tuple(Stage(**s) for s in fields["stages"])
    return Net(**{**fields, "stages": stages_})


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(points())
def test_every_point_is_refused_or_trains_and_is_counted(point):
    fields, size = point
    try:
        net = make(fields)
        net.validate(size)
    except ValueError as e:
        assert str(e) and "\n" not in str(e)  # a refusal is one line naming what is wrong
        event("refused: " + str(e)[:40])
        return
    event("trained: " + ", ".join(sorted({s.block for s in net.stages})))
    c, h, w = net.input_shape(size)
    torch.manual_seed(0)
    model = build(net)
    model.train()
    out = model(torch.randn(2, c, h, w))
    outputs = [out[0], *out[1]] if isinstance(out, tuple) else [out]  # (logits, aux logits)
    assert outputs[0].shape == (2, net.num_classes)
    sum(o.float().sum() for o in outputs).backward()
    # some parameters get no gradient in a step by design (the columns FractalNet's drop-path
    # dropped, the blocks stochastic depth skipped), so only that the step reached the net
    assert any(p.grad is not None for p in model.parameters())
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(1, c, h, w)).shape == (1, net.num_classes)
    assert complexity(net, size).params == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("size", [28, (28, 28), (1, 28, 28)])
def test_one_input_size_convention_for_validate_and_complexity(size):
    from search_space import PRESETS

    net = PRESETS["resnet20"].adapt(in_channels=1)
    net.validate(size)
    assert complexity(net, size) == complexity(net, (1, 28, 28))


@pytest.mark.parametrize("size", [0, -3, (28,), (2, 28, 28), (1, 0, 28), "28", (28.0, 28), True])
def test_a_bad_input_size_is_one_value_error(size):
    from search_space import PRESETS

    net = PRESETS["resnet20"].adapt(in_channels=1)
    for check in (net.validate, lambda s: complexity(net, s)):
        with pytest.raises(ValueError) as e:
            check(size)
        assert "\n" not in str(e.value)

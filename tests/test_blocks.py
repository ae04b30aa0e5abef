"""Contract suite over every registered block and every combination of its typed extras.

A new block is tested by being registered (search_space.registry.blocks: its extras and module).
"""

from __future__ import annotations

import dataclasses
import itertools
import typing

import pytest
import torch
from torch import nn

from search_space import BLOCK_EXTRAS, BLOCKS
from search_space.registry import BlockType, blocks
from search_space.spec import ResolvedBlock

# Per block: (input width at stride 1, at stride 2, width, groups, expansion, extras fields) of a
# small but non-trivial instance. Shuffle units keep their width at stride 1 and grow at 2.
SHAPES = {
    "plain": (8, 8, 16, 1, 1.0, {}),
    "basic": (8, 8, 16, 2, 1.0, {}),
    "bottleneck": (16, 16, 32, 4, 0.5, {}),
    "inverted": (16, 16, 16, 1, 4.0, {}),
    "inception": (8, 8, 16, 1, 1.0,
                  {"b1": 4, "b3_reduce": 4, "b3": 6, "b5_reduce": 2, "b5": 4, "pool_proj": 2}),
    "inception_v3": (8, 8, 0, 1, 1.0, {"pool_features": 8, "channels_7x7": 8}),
    "dense": (8, 8, 4, 1, 1.0, {"bn_size": 2}),
    "shuffle": (16, 8, 16, 2, 0.25, {}),
    "shuffle_v2": (16, 8, 16, 1, 1.0, {}),
    "fractal": (8, 8, 16, 1, 1.0, {"columns": 3, "local_drop": 0.0, "global_drop": 0.0}),
    "regnet_x": (16, 16, 32, 4, 0.5, {}),
    "regnet_y": (16, 16, 32, 4, 0.5, {}),
}


def extras_variants(block: str) -> list:
    """Every combination of the Literal and bool fields of a block's extras."""
    cls = BLOCK_EXTRAS[block]
    hints = typing.get_type_hints(cls)
    choices = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if typing.get_origin(hint) is typing.Literal:
            choices[f.name] = typing.get_args(hint)
        elif hint is bool:
            choices[f.name] = (False, True)
    names = list(choices)
    fixed = SHAPES[block][-1]
    combos = itertools.product(*choices.values())
    return [cls(**fixed, **dict(zip(names, combo, strict=True))) for combo in combos]


def resolve(block, extras, stride, drop_path=0.0, **changes) -> ResolvedBlock:
    cin1, cin2, w, g, e, _ = SHAPES[block]
    rb = ResolvedBlock(0, 0, block, cin1 if stride == 1 else cin2, w, stride, g, e, extras,
                       drop_path)
    if block in ("inception", "inception_v3"):  # their width is what the branches give
        rb = dataclasses.replace(rb, width=rb.out_width)
    return dataclasses.replace(rb, **changes) if changes else rb


def make(block, extras, stride, drop_path=0.0):
    rb = resolve(block, extras, stride, drop_path)
    extras.check(rb)
    return BLOCKS[block](rb), rb


def is_valid(block, extras, stride) -> bool:
    try:
        extras.check(resolve(block, extras, stride))
        return True
    except ValueError:  # e.g. Inception-v3 B/D exist only at stride 2
        return False


CASES = [
    pytest.param(block, extras, stride, id=f"{block}-s{stride}-{extras}")
    for block in sorted(BLOCKS)
    for extras in extras_variants(block)
    for stride in (1, 2)
    if is_valid(block, extras, stride)
]
STRIDE1 = [p for p in CASES if p.values[2] == 1]


def test_every_spec_block_is_registered():
    assert set(BLOCKS) == set(BLOCK_EXTRAS) == set(SHAPES)


def test_registry_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        blocks.add(BlockType("basic", extras=BLOCK_EXTRAS["plain"], module=nn.Identity))


def test_every_block_has_valid_cases_at_both_strides():
    for block in BLOCKS:
        for stride in (1, 2):
            assert any(p.values[0] == block and p.values[2] == stride for p in CASES), (
                f"{block} has no valid contract case at stride {stride}"
            )


@pytest.mark.parametrize("block, extras, stride", CASES)
def test_shapes_and_gradients(block, extras, stride):
    torch.manual_seed(0)
    module, rb = make(block, extras, stride)
    module.train()
    x = torch.randn(2, rb.in_width, 9, 9, requires_grad=True)
    y = module(x)
    # stride 2 halves the map (9 -> 4 or 5, as the block pads), and the meta device, which
    # `Net.validate` runs the modules on, gives the same shape
    with torch.device("meta"):
        on_meta = BLOCKS[block](rb).eval()(torch.empty(2, rb.in_width, 9, 9))
    assert y.shape == on_meta.shape
    assert y.shape[:2] == (2, rb.out_width) and y.shape[2] == y.shape[3]
    assert y.shape[2] in ((9,) if stride == 1 else (4, 5))
    y.square().mean().backward()
    for name, p in module.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"{name} got no gradient"
    assert x.grad is not None


@pytest.mark.parametrize("block, extras, stride", STRIDE1)
def test_drop_path_is_identity_in_eval(block, extras, stride):
    torch.manual_seed(0)
    dropped, rb = make(block, extras, 1, drop_path=0.9)
    if block == "fractal":  # FractalNet's own drop-path knobs
        dropped, rb = make(block, dataclasses.replace(extras, local_drop=0.9, global_drop=0.9), 1)
    torch.manual_seed(0)
    plain, _ = make(block, extras, 1, drop_path=0.0)
    plain.load_state_dict(dropped.state_dict())
    x = torch.randn(4, rb.in_width, 6, 6)
    dropped.eval(), plain.eval()
    with torch.no_grad():
        assert torch.equal(dropped(x), plain(x))


def test_drop_path_drops_in_training():
    # a residual block with drop rate 0.9 returns exactly its shortcut for most samples
    module, rb = make("basic", BLOCK_EXTRAS["basic"](), 1, drop_path=0.9)
    module = BLOCKS["basic"](dataclasses.replace(rb, in_width=rb.out_width))
    module.train()
    torch.manual_seed(1)
    x = torch.randn(64, rb.out_width, 4, 4)
    with torch.no_grad():
        y = module(x)
    identical = [(y[i] == torch.relu(x[i])).all().item() for i in range(64)]
    assert 40 <= sum(identical) < 64  # ~90% dropped (binomial, seed fixed)


def inverted(shortcut: str, activation: str = "linear") -> tuple[nn.Module, int]:
    extras = BLOCK_EXTRAS["inverted"](shortcut=shortcut, activation=activation)
    module, rb = make("inverted", extras, 1)
    return module, rb.in_width


def test_inverted_shortcut_variants_differ():
    outs = {}
    for shortcut in ("bottleneck", "expansion", "none"):
        torch.manual_seed(0)
        module, cin = inverted(shortcut)
        module.eval()
        torch.manual_seed(1)
        with torch.no_grad():
            outs[shortcut] = module(torch.randn(2, cin, 5, 5))
    assert not torch.allclose(outs["bottleneck"], outs["none"])
    assert not torch.allclose(outs["expansion"], outs["none"])
    assert not torch.allclose(outs["expansion"], outs["bottleneck"])


def test_inverted_activation_is_applied_to_the_bottleneck():
    for activation, low, high in (("relu6", 0, 6), ("relu", 0, None)):
        module, cin = inverted("none", activation)
        y = module(torch.randn(2, cin, 5, 5) * 10)
        assert y.min() >= low and (high is None or y.max() <= high)
    module, cin = inverted("none", "linear")
    assert module(torch.randn(2, cin, 5, 5)).min() < 0


def test_fractal_global_drop_path_keeps_one_column():
    extras = BLOCK_EXTRAS["fractal"](columns=3, local_drop=0.0, global_drop=0.0)
    block, rb = make("fractal", extras, 1)
    block.train()
    x = torch.randn(2, rb.in_width, 5, 5)
    block.global_column = 0  # the shallowest column: a single conv
    assert torch.equal(block(x), block.cols[0][0](x))
    block.global_column = 2  # the deepest: four convs in a row
    deep = x
    for layer in block.cols[2]:
        deep = layer(deep)
    assert torch.equal(block(x), deep)


def test_fractal_net_samples_one_global_column_per_batch():
    from search_space import Net, Stage, build

    extras = BLOCK_EXTRAS["fractal"](columns=3, global_drop=0.5)
    net = Net(stages=(Stage("fractal", 1, 4, stride=2, extras=extras),) * 2, stem="none")
    model = build(net).train()
    fractal_blocks = [m for m in model.modules() if isinstance(m, BLOCKS["fractal"])]
    assert len(fractal_blocks) == 2
    torch.manual_seed(0)
    columns = []
    for _ in range(40):
        model(torch.randn(2, 3, 8, 8))
        chosen = {b.global_column for b in fractal_blocks}
        assert len(chosen) == 1  # every block follows the same column
        columns.append(chosen.pop())
    n_global = sum(c is not None for c in columns)
    assert 10 <= n_global <= 30  # about half the mini-batches (binomial, seed fixed)
    assert {c for c in columns if c is not None} == {0, 1, 2}
    model.eval()
    model(torch.randn(2, 3, 8, 8))
    assert all(b.global_column is None for b in fractal_blocks)

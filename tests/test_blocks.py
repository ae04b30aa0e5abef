"""Contract suite over every registered block and every combination of its typed extras.

A new block is tested by being registered in BLOCKS (with its extras in spec.BLOCK_EXTRAS).
"""

from __future__ import annotations

import dataclasses
import itertools
import typing

import pytest
import torch
from torch import nn

from search_space import BLOCK_EXTRAS, BLOCKS
from search_space.blocks import register
from search_space.spec import ResolvedBlock

# Per block: (in_width, width, groups, expansion) of a small but non-trivial instance.
SHAPES = {
    "plain": (8, 16, 1, 1.0),
    "basic": (8, 16, 2, 1.0),
    "bottleneck": (16, 32, 4, 0.5),
    "inverted": (16, 16, 1, 4.0),
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
    combos = itertools.product(*choices.values())
    return [cls(**dict(zip(names, combo, strict=True))) for combo in combos]


CASES = [
    pytest.param(block, extras, id=f"{block}-{extras}")
    for block in sorted(BLOCKS)
    for extras in extras_variants(block)
]


def make(block, extras, stride, drop_path=0.0, same_width=False):
    cin, w, g, e = SHAPES[block]
    if same_width:
        cin = w
    if getattr(extras, "shortcut", None) == "A" and cin > w:
        pytest.skip("option A cannot shrink channels")
    rb = ResolvedBlock(0, 0, block, cin, w, stride, g, e, extras, drop_path)
    return BLOCKS[block](rb), cin, w


def test_every_spec_block_is_registered():
    assert set(BLOCKS) == set(BLOCK_EXTRAS) == set(SHAPES)


def test_registry_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        register("basic")(nn.Identity)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("block, extras", CASES)
def test_shapes_and_gradients(block, extras, stride):
    torch.manual_seed(0)
    module, cin, w = make(block, extras, stride)
    module.train()
    x = torch.randn(2, cin, 9, 9, requires_grad=True)
    y = module(x)
    out_hw = 9 if stride == 1 else 5  # padded 3x3 conv or 2x2 max-pool (floors 9 -> 4)
    if block == "plain" and stride == 2:
        out_hw = 4
    assert y.shape == (2, w, out_hw, out_hw)
    y.square().mean().backward()
    for name, p in module.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"{name} got no gradient"
    assert x.grad is not None


@pytest.mark.parametrize("block, extras", CASES)
def test_drop_path_is_identity_in_eval(block, extras):
    torch.manual_seed(0)
    dropped, cin, _ = make(block, extras, 1, drop_path=0.9, same_width=True)
    torch.manual_seed(0)
    plain, _, _ = make(block, extras, 1, drop_path=0.0, same_width=True)
    plain.load_state_dict(dropped.state_dict())
    x = torch.randn(4, cin, 6, 6)
    dropped.eval(), plain.eval()
    with torch.no_grad():
        assert torch.equal(dropped(x), plain(x))


def test_drop_path_drops_in_training():
    # a residual block with drop rate 0.9 returns exactly its shortcut for most samples
    extras = BLOCK_EXTRAS["basic"]()
    module, cin, _ = make("basic", extras, 1, drop_path=0.9, same_width=True)
    module.train()
    torch.manual_seed(1)
    x = torch.randn(64, cin, 4, 4)
    with torch.no_grad():
        y = module(x)
    identical = [(y[i] == torch.relu(x[i])).all().item() for i in range(64)]
    assert 40 <= sum(identical) < 64  # ~90% dropped (binomial, seed fixed)


def test_inverted_shortcut_variants_differ():
    torch.manual_seed(0)
    outs = {}
    for shortcut in ("bottleneck", "expansion", "none"):
        extras = BLOCK_EXTRAS["inverted"](shortcut=shortcut)
        torch.manual_seed(0)
        module, cin, _ = make("inverted", extras, 1, same_width=True)
        module.eval()
        torch.manual_seed(1)
        with torch.no_grad():
            outs[shortcut] = module(torch.randn(2, cin, 5, 5))
    assert not torch.allclose(outs["bottleneck"], outs["none"])
    assert not torch.allclose(outs["expansion"], outs["none"])
    assert not torch.allclose(outs["expansion"], outs["bottleneck"])


def test_inverted_activation_is_applied_to_the_bottleneck():
    for activation, low, high in (("relu6", 0, 6), ("relu", 0, None)):
        extras = BLOCK_EXTRAS["inverted"](activation=activation, shortcut="none")
        module, cin, _ = make("inverted", extras, 1)
        y = module(torch.randn(2, cin, 5, 5) * 10)
        assert y.min() >= low and (high is None or y.max() <= high)
    extras = BLOCK_EXTRAS["inverted"](activation="linear", shortcut="none")
    module, cin, _ = make("inverted", extras, 1)
    assert module(torch.randn(2, cin, 5, 5)).min() < 0

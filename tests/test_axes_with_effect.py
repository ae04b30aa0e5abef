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

"""The registry and the family seam: a block is one registration (open to code outside the
package), the generic code names no family, and the registry itself imports none."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from torch import nn

from search_space import Net, Stage, build, complexity
from search_space.extras import Extras
from search_space.registry import BlockType, aux_heads, blocks, heads, stems

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class DoubleConvExtras(Extras):
    """A test block: 3x3 conv -> ReLU -> 3x3 conv, `scale` times the output."""

    scale: float = 1.0


class DoubleConv(nn.Module):
    def __init__(self, rb):
        super().__init__()
        self.scale = rb.extras.scale
        self.body = nn.Sequential(nn.Conv2d(rb.in_width, rb.out_width, 3, rb.stride, 1),
                                  nn.ReLU(), nn.Conv2d(rb.out_width, rb.out_width, 3, 1, 1))

    def forward(self, x):
        return self.scale * self.body(x)


@pytest.fixture
def double_conv():
    blocks.add(BlockType("double_conv", extras=DoubleConvExtras, module=DoubleConv))
    yield
    blocks.remove("double_conv")


def test_a_block_from_outside_the_package_is_one_registration(double_conv):
    net = Net(stages=(Stage("double_conv", 2, 8, stride=2, extras={"scale": "0.5"}),),
              in_channels=1)
    assert net.stages[0].extras == DoubleConvExtras(scale=0.5)  # coerced like any extras
    model = build(net)
    assert model(torch.randn(2, 1, 12, 12)).shape == (2, 10)
    assert complexity(net, 12).params == sum(p.numel() for p in model.parameters())
    net.validate(12)
    assert Net.from_json(net.to_json()) == net


def test_duplicates_are_refused_and_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match="already registered"):
        stems.add(stems["cifar"])
    with pytest.raises(ValueError, match=r"block='resnet' is unknown; choose one of \[.*'basic'"):
        Stage("resnet", 1, 8)
    with pytest.raises(ValueError, match="head='mlp' is unknown"):
        Net(stages=(Stage("basic", 1, 16),), head="mlp")
    with pytest.raises(ValueError, match="aux_head='v4' is unknown"):
        Net(stages=(Stage("basic", 1, 16),), aux_head="v4")
    with pytest.raises(ValueError, match="is not registered"):
        blocks.remove("no_such_block")


def test_every_registered_part_is_used_by_the_families_that_ship():
    assert {"regnet_x", "regnet_y", "basic", "inception_v3"} <= set(blocks)
    assert "regnet" in stems and "pool_fc" in heads and set(aux_heads) == {"googlenet",
                                                                             "inception_v3"}


def test_the_registry_and_the_points_import_no_family_and_no_torch():
    code = ("import sys, search_space.registry, search_space.spec; "
            "print(sorted(m for m in sys.modules if m.startswith('search_space.families') "
            "or m == 'torch'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def string_constants(path: Path) -> set[str]:
    return {node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_spec_and_backbone_name_no_family():
    """Families are looked up by name; the generic code holds no family's name, except the
    default point's parts (Net's stem, head and auxiliary-classifier defaults)."""
    names = set(blocks) | set(stems) | set(heads) | set(aux_heads)
    defaults = {Net.__dataclass_fields__[f].default for f in ("stem", "head", "aux_head")}
    for module in ("spec.py", "backbone.py", "geometry.py", "registry.py"):
        found = string_constants(ROOT / "search_space" / module) & names
        assert found <= defaults, f"{module} names {sorted(found - defaults)}"


def test_families_that_fail_to_import_say_why_at_every_lookup(tmp_path):
    """A family with a broken import is named with its own error, at the first lookup and every
    one after it (not as an 'unknown block' once the registry thinks it has loaded them)."""
    (tmp_path / "broken_families.py").write_text("import no_such_module_anywhere\n")
    code = ("import search_space.registry as r\n"
            "r.FAMILIES = 'broken_families'\n"
            "for _ in range(2):\n"
            "    try:\n"
            "        r.blocks.lookup('basic')\n"
            "    except r.FamiliesImportError as e:\n"
            "        print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True,
                         env={**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"}).stdout
    line = ("the block families (broken_families) failed to import: ModuleNotFoundError: No "
            "module named 'no_such_module_anywhere'")
    assert out.splitlines() == [line, line]

"""What every block's typed extras share: the base class and the helpers of its rules.

Each block family (search_space/families/) defines one frozen dataclass of small hashable
fields per block type, a subclass of `Extras`, with the block's channel rules, so the spec can
resolve and check a point without building modules:
- `out_width(in_width, width, stride)`: channels the block emits (`width` for most blocks; a
  dense layer appends `width` channels to its input);
- `check(rb)`: raise ValueError for an impossible combination (groups that don't divide, branch
  widths that don't add up to the stage width, ...);
- `as_built(rb)`: the extras as the block's module reads them, every value it leaves unused put
  back to its default (a shortcut choice on a block that needs no projection, a pool on a
  stride-1 block), so `Net.canonical` can tell two settings that build the same net apart from
  two that do not (tests/test_axes_with_effect.py builds every case to check the declarations).
Feature-map sizes are not predicted here: `Net.validate` runs the modules on the meta device.

Fields marked `WIDTH` are channel counts that the net's width multiplier scales.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

WIDTH = {"width": True}  # dataclass field metadata: scaled by Net.width_mult

Factorize = Literal["none", "stacked_3x3", "asymmetric", "separable"]
"""How a k x k conv (k > 1) is built: as is; as stacked 3x3 convs ((k-1)/2 of them, Inception-v3
Fig. 1); as 1xk then kx1 (Fig. 3); or depthwise-separable (depthwise k x k, then 1x1)."""


@dataclass(frozen=True)
class Extras:
    """Base: the rules most blocks share."""

    # Reference width of Stage.expansion: "output" (ResNet's bottleneck 0.25, ShuffleNet's 1/4)
    # or "input" (MobileNetV2's t).
    expansion_of: ClassVar[Literal["output", "input"]] = "output"
    # Why Net.width_mult cannot apply to this block, if it cannot (its inner widths are fixed).
    fixed_widths: ClassVar[str | None] = None
    # Whether the block's module reads Stage.expansion (through its inner width); a block that
    # does not builds the same at every expansion (Net.canonical settles it).
    reads_expansion: ClassVar[bool] = True

    def out_width(self, in_width: int, width: int, stride: int) -> int:
        return width

    def check(self, rb: Any) -> None:
        """Default: groups split the block's input and output channels."""
        for ch in (rb.in_width, rb.out_width):
            if ch % rb.groups:
                raise ValueError(f"{rb.where}.groups={rb.groups} does not divide {ch} channels")

    def as_built(self, rb: Any) -> Extras:
        """Default: the block's module reads every field."""
        return self

    def with_defaults(self, *names: str) -> Extras:
        """These extras with the named fields at their defaults (for `as_built`)."""
        defaults = {f.name: f.default for f in dataclasses.fields(self) if f.name in names}
        return dataclasses.replace(self, **defaults) if defaults else self


def check_factorize(rb: Any, kernel: int, factorize: str) -> None:
    if factorize == "stacked_3x3" and (kernel < 3 or kernel % 2 == 0):
        raise ValueError(
            f"{rb.where}.extras.factorize='stacked_3x3' needs an odd kernel >= 3, got {kernel}"
        )


def projects(rb: Any) -> bool:
    """Whether a residual block's shortcut must change the input's shape (its stride or its
    channels): only then does the choice between a projection (B) and padding (A) build
    anything."""
    return rb.stride != 1 or rb.in_width != rb.out_width


def no_groups(rb: Any) -> None:
    if rb.groups != 1:
        raise ValueError(f"{rb.where}.groups={rb.groups}: block {rb.block!r} takes no groups")


def at_least_one(rb: Any, extras: Any, names: tuple[str, ...]) -> None:
    """Raise unless every named integer field of `extras` is >= 1."""
    for name in names:
        if getattr(extras, name) < 1:
            raise ValueError(f"{rb.where}.extras.{name}={getattr(extras, name)} must be >= 1")

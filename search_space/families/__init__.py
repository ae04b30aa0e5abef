"""The families of the space, one module each; importing this package registers them all.

A family module holds, together, its blocks' typed extras and rules, their modules, the stems
and heads (and auxiliary classifiers) it brings, and any per-batch hook, and adds each to the
registry (search_space/registry.py) with one call. This list is the only place that names them.
"""

from . import dense, fractal, inception, mobilenet, plain, regnet, resnet, shuffle  # noqa: F401

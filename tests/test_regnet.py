"""RegNet's design space (Radosavovic et al. 2020): the six numbers -> a point, as torchvision
computes its regnet_x_* / regnet_y_* nets, and searchable with Optuna. (Parameter counts and
outputs against torchvision are in test_presets.py, with the other families.)"""

from __future__ import annotations

import optuna
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.models.regnet import BlockParams

from search_space import PRESETS, build, complexity
from search_space.families.regnet import regnet, regnet_stages


@settings(max_examples=200, deadline=None, derandomize=True)
@given(depth=st.integers(1, 40), w0=st.integers(1, 40).map(lambda n: 8 * n),
       wa=st.floats(0, 200, allow_nan=False), wm=st.floats(1.05, 3.5),
       group_width=st.sampled_from([1, 4, 8, 16, 24, 48, 56, 112, 232]),
       bottleneck_ratio=st.sampled_from([1.0, 2.0, 4.0]))
def test_stages_are_torchvisions(depth, w0, wa, wm, group_width, bottleneck_ratio):
    theirs = BlockParams.from_init_params(depth, w0, wa, wm, group_width,
                                          bottleneck_multiplier=1 / bottleneck_ratio)
    ours = regnet_stages(depth, w0, wa, wm, group_width, bottleneck_ratio)
    assert [s.depth for s in ours] == theirs.depths
    assert [s.width for s in ours] == theirs.widths
    # torchvision stores the group width; the space stores the groups of the 3x3 conv
    groups = [int(round(w / bottleneck_ratio)) // g
              for w, g in zip(theirs.widths, theirs.group_widths, strict=True)]
    assert [s.groups for s in ours] == groups


@pytest.mark.parametrize("name, value", [("w0", 20), ("w0", 0), ("wm", 1.0), ("wa", -1.0),
                                         ("depth", 0), ("group_width", 0)])
def test_design_parameters_outside_the_space_are_named(name, value):
    params = {"depth": 13, "w0": 24, "wa": 36.0, "wm": 2.5, "group_width": 8, name: value}
    with pytest.raises(ValueError, match=f"RegNet {name}="):
        regnet(**params)


def test_the_y_block_squeezes_to_a_quarter_of_its_input():
    model = build(PRESETS["regnet_y_400mf"])
    first = model.stages[0][0]  # 32 channels in (the stem), 48 out
    assert (first.se.fc1.in_channels, first.se.fc1.out_channels) == (48, 8)
    assert not hasattr(build(PRESETS["regnet_x_400mf"]).stages[0][0].se, "fc1")


def test_an_optuna_search_of_the_design_space_gives_points_that_build_and_count():
    """A study searches RegNet's six numbers as it would any space: every suggestion is a
    valid point (or a ValueError naming the bad number), counted on the meta device."""

    def objective(trial: optuna.Trial) -> float:
        net = regnet(depth=trial.suggest_int("depth", 6, 24),
                     w0=trial.suggest_int("w0", 16, 128, step=8),
                     wa=trial.suggest_float("wa", 8.0, 64.0),
                     wm=trial.suggest_float("wm", 1.5, 3.0),
                     group_width=trial.suggest_categorical("group_width", [8, 16, 24]),
                     se_ratio=trial.suggest_categorical("se_ratio", [0.0, 0.25]),
                     num_classes=10).adapt(in_channels=1)
        net.validate(28)
        return complexity(net, 28).macs / 1e6

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=12)
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert len({t.value for t in study.trials}) > 1  # the numbers move the cost


def test_a_small_regnet_trains_a_step_on_fashion_mnist_sized_input():
    net = regnet(depth=6, w0=16, wa=8.0, wm=2.0, group_width=8, se_ratio=0.25,
                 num_classes=10).adapt(in_channels=1)
    model = build(net).train()
    loss = model(torch.randn(4, 1, 28, 28)).logsumexp(1).mean()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


REGNETS = sorted(n for n in PRESETS if n.startswith("regnet_"))


@pytest.mark.parametrize("name", REGNETS)
def test_counts_are_torchvisions_published_figures(name):
    """Every weight's metadata (num_params, and _ops in GFLOPS, which are multiply-adds, to 3
    decimals, at the weight's crop size: 224, or 384 for the SWAG end-to-end weights) is a
    published figure, independent of building torchvision's model; counted on the meta device."""
    import torchvision

    for weights in torchvision.models.get_model_weights(name):
        size = weights.transforms.keywords["crop_size"]
        cx = complexity(PRESETS[name], size)
        assert cx.params == weights.meta["num_params"], weights
        assert abs(cx.macs / 1e9 - weights.meta["_ops"]) <= 0.0006, weights

"""ShuffleNet v1: pointwise group number and channel shuffle (Zhang et al. 2017)."""

from __future__ import annotations

from search_space import presets
from trainers import Recipe

from ..study import Budget, Pilot, Study, with_extras
from ._shared import CPU_PILOT, short_recipe

# ShuffleNet 0.5x (the paper's Tables 2 and 3 have 0.5x rows), built as presets.shufflenet_v1
# at 1x scaled by width_mult 0.5. Two adaptations, identical for every grid point:
# - stem: the ImageNet stem (3x3/2 conv + max-pool, stride 4) would leave 7 px for stage 2 and
#   1 px for stage 4 at 28 px, and Net.adapt(small_input=True) has no small-image twin for it;
#   the space uses the 3x3/1 "cifar" stem instead (as CIFAR ShuffleNets do), so the stages run
#   at 14/7/4 px.
# - rounding: scaled widths round to a multiple of g (round_to = g), so the groups divide every
#   channel count. That changes nothing for g = 1 and 3 (their 0.5x widths are already
#   multiples: g = 3 is exactly shufflenet_v1_x0_5_g3 but for the stem); for g = 8 the
#   24 * 0.5 = 12-channel stem becomes 16 (12 would leave 192 - 12 = 180 branch channels,
#   not divisible by 8). The paper does not publish its 0.5x rounding (REFERENCE.md 1.3).
# g = 2 and 4 are left out: at 0.5x their bottleneck (w/4: 25 and 34 channels) is not a
# multiple of g with this rule, and the claims of Tables 2 and 3 are carried by g = 1, 3, 8.
# For g = 1 the shuffle is a no-op: groups=1,shuffle=False builds the same net as
# groups=1,shuffle=True (one key), so it is left out; a tie it would show is the A/A study's.
SCALE = 0.5

# Quick budget, from a pilot on this project's 2-core CPU (bf16, one thread per trial, two trials
# at once, batch 64, seed 0; validation error after 2 epochs of 8,000 images, the recipe's
# linear decay from lr 0.125, flips, no crops; 8.8M-9.2M MACs/image):
#   g=1 0.474 (68 s, 247 images/s), g=8 without shuffle 0.282 (131 s, 126 images/s)
# Depthwise and shuffle layers make these nets slow per MAC (bf16 does not speed them up), and
# there were 6 variants (5 now: see above): 2 seeds of each, a 3rd while undecided, leave ~55 s
# per trial.
# Trials in the harness ran 25-45% longer than these in-process pilots (Ray, MLflow, the
# evaluation, two trials' memory traffic: densenet_growth, inception_reduction), so the
# budget trains 3,000 images (cosine lr 0.1, no flips: _shared.short_recipe). ShuffleNet
# cannot reach 0.15 in that time here: at 3,000 images the nets have barely started to learn,
# and 3 seeds resolve only differences of tens of points (its run:
# results/shufflenet_groups/budget_history.md).
def space(trial, base):
    groups = trial.suggest_categorical("groups", [1, 3, 8])
    shuffle = trial.suggest_categorical("shuffle", [True, False])
    net = presets.shufflenet_v1(groups, num_classes=base.num_classes)
    net = net.replace(width_mult=SCALE, round_to=groups, stem="cifar")
    return with_extras(net, shuffle=shuffle)


STUDY = Study(
    name="shufflenet_groups",
    claim="models with group convolutions (g > 1) consistently perform better than the "
    "counterparts without pointwise group convolutions (g = 1), and channel shuffle "
    "consistently boosts classification scores, more so for larger g (0.5x: g=8 42.3%, g=3 "
    "43.2%, g=1 45.1%; without shuffle g=3 45.7%, g=8 48.1% top-1 error)",
    source="Zhang et al. 2017, Table 2 (groups) and Table 3 (shuffle on/off), 0.5x rows "
    "(ImageNet; REFERENCE.md 1.3 and 4.2)",
    base="shufflenet_v1_x0_5_g3",
    space=space,
    grid={"groups": (1, 3, 8), "shuffle": (True, False)},
    leave_out=("groups=1,shuffle=False",),
    baseline="groups=1,shuffle=True",  # no pointwise group convolution
    # Tables 2 and 3 at 0.5x, best first.
    expected_order=("groups=8,shuffle=True", "groups=3,shuffle=True", "groups=1,shuffle=True",
                    "groups=3,shuffle=False", "groups=8,shuffle=False"),
    # Zhang et al.: linear decay from lr 0.5 to 0, wd 4e-5, batch 1024 (ImageNet). Here batch
    # 256 and lr 0.5 / 4, linearly to 0.
    recipe=Recipe(epochs=60, batch_size=256, lr=0.125, weight_decay=4e-5, schedule="linear",
                  crop_padding=2, flip=True),
    quick=Budget(recipe=short_recipe(3000, lr=0.1), seeds=2, max_seeds=3, seed_step=1,
                 pilot=Pilot(trial_s=60.0, metric_sd=0.08, machine=CPU_PILOT)),
    full=Budget(seeds=3, concurrency=8, gpus_per_trial=0.125),
)

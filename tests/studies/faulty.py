"""A study whose trials fail in three ways, for tests/test_reliability.py (run it from a file:
`python -m studies run tests/studies/faulty.py`).

The grid crosses a learning rate with a width multiplier:
- lr 1e30 overflows the weights: a non-finite loss, status "diverged";
- width_mult 2**18 makes a 3x3 conv of 4.2M channels, a 633 TB weight: the allocation fails
  (above the 128 TB a process can address, so on any machine), status "out_of_memory";
- lr 0.05 at width 1 trains ("ok"), unless the test corrupts that trial's checkpoint, which
  makes the trainer raise ("failed").
"""

from studies import Budget, Study
from trainers import Recipe


def space(trial, base):
    return base.replace(width_mult=trial.suggest_categorical("width_mult", [1.0, 2.0**18]))


STUDY = Study(
    name="faulty",
    claim="none: trials that fail must not stop a study",
    source="tests/test_reliability.py",
    base="resnet20",
    space=space,
    grid={"recipe.lr": (0.05, 1e30), "width_mult": (1.0, 2.0**18)},
    recipe=Recipe(epochs=1, batch_size=64, max_train_images=256, max_val_images=128,
                  max_test_images=128),
    quick=Budget(seeds=2, concurrency=2),
    full=Budget(seeds=2, concurrency=2),
)

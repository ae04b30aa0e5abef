"""`Study`: an ablation or a search, declared once as a frozen value.

A study names the claim it tests, the preset it starts from, and its space as an Optuna
define-by-run function `space(trial, base) -> Net` over the search-space axes. The same function
runs twice per trial: in the driver, where the sampler (Optuna, through Ray Tune) chooses the
values, and in the worker, replayed with `optuna.trial.FixedTrial` to rebuild the point. So the
point a trial trains is a pure function of its parameters, and MLflow can rebuild it too.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from search_space import PRESETS, Net
from search_space.coerce import coerce
from trainers import Recipe

from .host import machine_cores

if TYPE_CHECKING:  # optuna and torch load when a point is first built or counted
    import optuna

    from search_space import Complexity

KINDS = ("ablation", "search")
# Bounds on what one invocation plans, so a typo (seeds=1000000) is refused at once instead of
# enumerating millions of trials.
MAX_SEEDS = 1000
MAX_TRIALS = 10_000
OBJECTIVES = ("val_error", "test_error", "train_error", "macs", "params")


@dataclass(frozen=True)
class Pilot:
    """What a pilot run of a budget measured, for planning (`studies show`): the wall seconds
    of one trial with `concurrency` trials at once on the machine it names, and the
    seed-to-seed standard deviation of the study's metric for one variant, and, where the pilot
    measured it, the standard deviation of a claim pair's paired differences (two variants
    trained on the same seed share their initial weights' draw and data order, so their
    difference can vary less, or more, than two independent runs' would)."""

    trial_s: float
    metric_sd: float
    machine: str = ""
    paired_sd: float | None = None

    def __post_init__(self) -> None:
        if not (self.trial_s > 0 and self.metric_sd >= 0
                and (self.paired_sd is None or self.paired_sd >= 0)):
            raise ValueError(f"Pilot(trial_s={self.trial_s}, metric_sd={self.metric_sd}, "
                             f"paired_sd={self.paired_sd}) must be a positive time and "
                             "non-negative spreads")

    @property
    def difference_sd(self) -> float:
        """The spread of a claim pair's difference: measured, or two independent runs'."""
        return self.paired_sd if self.paired_sd is not None else self.metric_sd * math.sqrt(2)


@dataclass(frozen=True)
class Budget:
    """How much of a study to run. `recipe` overrides the study's recipe (epochs, subsets)."""

    recipe: tuple[tuple[str, Any], ...] = ()
    # an ablation's grid at this budget (same axes as the study's, other values); () = the study's
    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    # Net fields set on every point at this budget (e.g. width_mult=0.5 for a CPU budget)
    net: tuple[tuple[str, Any], ...] = ()
    seeds: int = 1  # replicates of every variant (ablations); searches train each point once
    # Sequential replication (ablations): train `seeds`, then `seed_step` more per round (default
    # `seeds`) while a claim pair is undecided, up to `max_seeds` (0: exactly `seeds`).
    max_seeds: int = 0
    seed_step: int = 0
    pilot: Pilot | None = None  # the figures the budget was chosen from, for planning
    trials: int = 0  # points a search tries; ignored by ablations (their grid decides)
    concurrency: int = 2  # trials at once
    # CPU cores a trial gets, and trains with as its threads; 0 = this machine's cores shared
    # out among the `concurrency` trials (a trial alone gets them all)
    cpus_per_trial: int = 0
    gpus_per_trial: float = 0.0  # a fraction lets several small trials share one GPU

    def __post_init__(self) -> None:
        if isinstance(self.recipe, Mapping):
            object.__setattr__(self, "recipe", tuple(sorted(self.recipe.items())))
        if isinstance(self.grid, Mapping):
            object.__setattr__(self, "grid", tuple((k, tuple(v)) for k, v in self.grid.items()))
        if isinstance(self.net, Mapping):
            object.__setattr__(self, "net", tuple(sorted(self.net.items())))
        net_fields = {f.name for f in dataclasses.fields(Net)} - {"stages", "name"}
        bad = sorted(k for k, _ in self.net if k not in net_fields)
        if bad:
            raise ValueError(f"Budget.net: {bad} not a field of Net; valid: {sorted(net_fields)}")
        for name in ("seeds", "concurrency"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 1):
                raise ValueError(f"Budget.{name}={getattr(self, name)!r} must be an integer >= 1")
        for name in ("max_seeds", "seed_step", "cpus_per_trial"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 0):
                raise ValueError(f"Budget.{name}={getattr(self, name)!r} must be an integer >= 0")
        if not (isinstance(self.trials, int) and self.trials >= 0):
            raise ValueError(f"Budget.trials={self.trials!r} must be an integer >= 0")
        for name, limit in (("seeds", MAX_SEEDS), ("max_seeds", MAX_SEEDS),
                            ("trials", MAX_TRIALS)):
            if getattr(self, name) > limit:
                raise ValueError(f"Budget.{name}={getattr(self, name)} is above the limit of "
                                 f"{limit}")
        if self.max_seeds and self.max_seeds < self.seeds:
            raise ValueError(f"Budget.max_seeds={self.max_seeds} is below seeds={self.seeds}; "
                             "set max_seeds >= seeds (or 0 for exactly `seeds`)")
        if self.max_seeds > self.seeds and self.seeds < 2:
            raise ValueError(f"Budget.seeds={self.seeds}: a sequential design (max_seeds="
                             f"{self.max_seeds}) tests after its first round; use seeds >= 2")
        if isinstance(self.gpus_per_trial, bool) or not (
                isinstance(self.gpus_per_trial, (int, float)) and 0 <= self.gpus_per_trial <= 8):
            raise ValueError(f"Budget.gpus_per_trial={self.gpus_per_trial!r} must be in [0, 8]")
        names = {f.name for f in dataclasses.fields(Recipe)}
        bad = sorted(k for k, _ in self.recipe if k not in names)
        if bad:
            raise ValueError(f"Budget.recipe: {bad} not a field of Recipe")

    def trial_cpus(self, cores: int | None = None) -> int:
        """The CPU cores (and threads) of one trial: `cpus_per_trial`, or, when that is 0, the
        `cores` (default: this machine's) shared out among `concurrency` trials, at least 1.
        Threads beyond a trial's share would contend with the trial beside it, and a CPU
        with more runnable threads than cores slows every one of them down."""
        return self.cpus_per_trial or max(1, (cores or machine_cores()) // self.concurrency)

    @property
    def seed_looks(self) -> tuple[int, ...]:
        """The seed counts after each round: (seeds,) for a fixed design; else seeds,
        seeds + step, ..., max_seeds."""
        last = max(self.seeds, self.max_seeds)
        step = self.seed_step or self.seeds
        return tuple(range(self.seeds, last, step)) + (last,)


Space = Callable[["optuna.Trial", Net], Net]


@dataclass(frozen=True)
class Study:
    """A claim, a base point, a space around it, how to train, and how much to run."""

    name: str
    claim: str  # the claim under test, as the paper states it
    source: str  # paper, table or figure
    base: str  # preset name
    space: Space  # define-by-run: suggest values with `trial`, return the point
    kind: Literal["ablation", "search"] = "ablation"
    # Ablations: the values of the one or two varied axes, by the parameter names `space`
    # suggests, or `recipe.<field>` for a recipe axis (the runner runs their product, times
    # the seeds).
    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    # Variants of the grid's product not run (labels as variant_label writes them), e.g. one
    # that builds the same net as another: two keys for one net would count it twice.
    leave_out: tuple[str, ...] = ()
    baseline: str = ""  # variant label the paired tests compare against
    expected_order: tuple[str, ...] = ()  # variants best first, as the claim has them
    # The (better, worse) pairs the claim states, when they are not a chain (e.g. a cost-matched
    # pair and a fixed-depth pair); default: each consecutive pair of expected_order.
    pairs: tuple[tuple[str, str], ...] = ()
    # A claim about design spaces (axis, better, worse): the grid samples models from spaces
    # (one grid axis names the space, another the draw) and the claim is that the error EDF
    # of `better`'s models lies above `worse`'s (verdicts.distributions).
    distribution_claim: tuple[str, ...] = ()
    recipe: Recipe = field(default_factory=Recipe)
    dataset: str = "fashion_mnist"
    objectives: tuple[str, ...] = ("val_error",)  # two -> NSGA-II (e.g. val_error, macs)
    max_params: int | None = None  # constraints, checked on the meta device before training
    max_macs: int | None = None
    quick: Budget = field(default_factory=Budget)  # CPU default: under 10 minutes on 2 cores
    full: Budget = field(default_factory=Budget)  # GPU
    # Budgets between quick and full, by name (e.g. one that can decide what quick cannot, on a
    # CPU in under an hour), in the order `studies show` lists them.
    between: tuple[tuple[str, Budget], ...] = ()
    pruner: Literal["asha", "none"] = "asha"  # early stopping for searches only

    def __post_init__(self) -> None:
        if isinstance(self.between, Mapping):
            object.__setattr__(self, "between", tuple(self.between.items()))
        self._check_types()
        if isinstance(self.grid, Mapping):
            object.__setattr__(self, "grid", tuple((k, tuple(v)) for k, v in self.grid.items()))
        object.__setattr__(self, "pairs", tuple(tuple(p) for p in self.pairs))
        if any(len(p) != 2 or p[0] == p[1] for p in self.pairs):
            raise ValueError(f"Study.pairs={self.pairs}: each must be (better, worse), two "
                             "different variants")
        if not self.name.isidentifier():
            raise ValueError(f"Study.name={self.name!r} must be a Python identifier")
        if self.kind not in KINDS:
            raise ValueError(f"Study.kind={self.kind!r} must be one of {list(KINDS)}")
        if self.base not in PRESETS:
            raise ValueError(f"Study.base={self.base!r} is not a preset; see `make zoo`")
        if not 1 <= len(self.objectives) <= 2 or any(o not in OBJECTIVES for o in self.objectives):
            raise ValueError(
                f"Study.objectives={self.objectives} must be one or two of {list(OBJECTIVES)}"
            )
        if self.kind == "ablation":
            if not 1 <= len(self.grid) <= 2:
                raise ValueError(f"Study.grid of ablation {self.name} must vary one or two axes")
            if len(self.objectives) != 1:
                raise ValueError(f"ablation {self.name} takes one objective")
            product = [variant_label(p) for p in grid_points(self.grid)]
            unknown = [label for label in self.leave_out if label not in product]
            if unknown:
                raise ValueError(f"Study {self.name}: leave_out {unknown} not in the grid; "
                                 f"its variants: {product}")
            if self.distribution_claim:
                axis, *spaces = (*self.distribution_claim, "", "")[:3]
                values = dict(self.grid).get(axis, ())
                if (len(self.distribution_claim) != 3 or not set(spaces) <= set(values)
                        or spaces[0] == spaces[1]):
                    raise ValueError(f"Study {self.name}: distribution_claim "
                                     f"{self.distribution_claim} must be (axis, better, worse),"
                                     f" a grid axis and two different values of it")
            for budget in self.budget_names:
                if len(self.budget(budget).seed_looks) > 1 and not self.claim_pairs:
                    raise ValueError(
                        f"Study {self.name}: the {budget} budget adds seeds while the claim is "
                        "undecided (max_seeds), but the study has no expected_order or pairs "
                        "to decide")
                grid = self.grid_for(budget)
                if [k for k, _ in grid] != [k for k, _ in self.grid]:
                    raise ValueError(f"Study {self.name}: the {budget} grid varies other axes")
                labels = set(self.variants(budget))
                for label in (self.baseline, *self.expected_order,
                              *(v for pair in self.pairs for v in pair)):
                    if label and label not in labels:
                        raise ValueError(
                            f"Study {self.name}: variant {label!r} is not in the {budget} grid; "
                            f"variants: {sorted(labels)}"
                        )
        elif self.grid or self.leave_out or self.distribution_claim:
            raise ValueError(f"search {self.name} takes no grid; its space samples the axes")

    def _check_types(self) -> None:
        """Every field has its declared type (a study file or `--set` may give anything)."""
        for name in ("name", "claim", "source", "base", "baseline", "dataset"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"Study.{name}={getattr(self, name)!r} must be a string")
        if not callable(self.space):
            raise ValueError(f"Study.space={self.space!r} must be a function (trial, base) -> Net")
        if not isinstance(self.recipe, Recipe):
            raise ValueError(f"Study.recipe={self.recipe!r} must be a trainers.Recipe")
        for name in ("quick", "full"):
            if not isinstance(getattr(self, name), Budget):
                raise ValueError(f"Study.{name}={getattr(self, name)!r} must be a Budget")
        if not (isinstance(self.between, (tuple, list)) and all(
                isinstance(b, (tuple, list)) and len(b) == 2 and isinstance(b[0], str)
                and b[0].isidentifier() and isinstance(b[1], Budget) for b in self.between)):
            raise ValueError(f"Study.between={self.between!r} must map names to Budgets")
        names = [name for name, _ in self.between]
        if len(set(names)) != len(names) or set(names) & {"quick", "full", "auto"}:
            raise ValueError(f"Study.between: names {names} must differ from each other and "
                             "from quick, full and auto")
        if self.pruner not in ("asha", "none"):
            raise ValueError(f"Study.pruner={self.pruner!r} must be 'asha' or 'none'")
        for name in ("max_params", "max_macs"):
            value = coerce(getattr(self, name), int | None, f"Study.{name}")
            if value is not None and value < 1:
                raise ValueError(f"Study.{name}={value} must be a positive integer (or None)")
            object.__setattr__(self, name, value)
        for name in ("expected_order", "objectives", "leave_out", "distribution_claim"):
            value = getattr(self, name)
            if not (isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value)):
                raise ValueError(f"Study.{name}={value!r} must be a tuple of strings")
            object.__setattr__(self, name, tuple(value))
        if not isinstance(self.grid, (Mapping, tuple, list)) or not isinstance(
                self.pairs, (tuple, list)):
            raise ValueError(f"Study {self.name}: grid must map axes to values and pairs be a "
                             "tuple of (better, worse)")

    # ---- points ---------------------------------------------------------------------------

    @property
    def metric(self) -> str:
        return self.objectives[0]

    @property
    def claim_pairs(self) -> list[tuple[str, str]]:
        """The (better, worse) pairs the claim check tests: `pairs`, or each consecutive pair
        of `expected_order`."""
        if self.pairs:
            return [tuple(p) for p in self.pairs]
        return list(zip(self.expected_order, self.expected_order[1:], strict=False))

    @property
    def base_net(self) -> Net:
        return PRESETS[self.base]

    def point(self, params: Mapping[str, Any], budget: str | Budget | None = None) -> Net:
        """The point a trial with these parameters trains (the seed is not a point axis), with
        the budget's Net overrides applied."""
        values = {k: v for k, v in params.items() if k != "seed"}
        import optuna

        net = self.space_point(optuna.trial.FixedTrial(values))
        if budget is not None:
            b = self.budget(budget)
            if b.net:
                net = net.replace(**dict(b.net))
        return net

    def space_point(self, trial: optuna.Trial) -> Net:
        """`space(trial, base)`, whatever the user's function does, as a Net or a ValueError
        that says what it did instead."""
        try:
            net = self.space(trial, self.base_net)
        except ValueError:
            raise
        except Exception as e:  # a bug in a user's space: named, not a traceback
            first = (str(e).splitlines() or [""])[0]
            raise ValueError(f"its space raised {type(e).__name__}: {first}") from e
        if not isinstance(net, Net):
            raise ValueError(f"its space returned {type(net).__name__}, not a Net")
        return net

    def grid_for(self, budget: str | Budget) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        return self.budget(budget).grid or self.grid

    def grid_points(self, budget: str | Budget = "quick") -> list[dict[str, Any]]:
        """Every parameter combination of an ablation's grid at a budget (without seeds), but
        those left out (`leave_out`)."""
        return [p for p in grid_points(self.grid_for(budget))
                if variant_label(p) not in self.leave_out]

    def variants(self, budget: str | Budget = "quick") -> list[str]:
        return [variant_label(p) for p in self.grid_points(budget)]

    @property
    def budget_names(self) -> tuple[str, ...]:
        """quick, the budgets between (`between`), full: cheapest first."""
        return ("quick", *(name for name, _ in self.between), "full")

    def budget(self, name: str | Budget) -> Budget:
        """The budget of this name (see budget_names); a Budget is returned as it is."""
        if isinstance(name, Budget):
            return name
        budgets = {"quick": self.quick, **dict(self.between), "full": self.full}
        if name not in budgets:
            raise ValueError(f"budget={name!r} is not a budget of study {self.name}; its "
                             f"budgets: {', '.join(self.budget_names)}")
        return budgets[name]

    def with_grid(self, budget_name: str, budget: Budget, *, keep_max_seeds: bool = False,
                  **changes: Any) -> Study:
        """This ablation with `budget` (whose grid narrows or changes the study's) as its
        `budget_name` budget and every other budget on the same grid. The claim keeps the
        variants the grid still has (its order, pairs and baseline); with no claim left to
        decide, each budget trains exactly its `seeds` (max_seeds 0), unless `keep_max_seeds`
        (the caller set it: then this budget is refused, as any undecidable sequential
        design is). Other fields `changes`, checked together with them."""
        labels = set(self.variants(budget))
        order = tuple(v for v in self.expected_order if v in labels)
        claim = {"expected_order": order if len(order) > 1 else (),
                 "pairs": tuple(p for p in self.pairs if set(p) <= labels),
                 "baseline": self.baseline if self.baseline in labels else "",
                 "distribution_claim": self._distribution_claim_in(budget.grid or self.grid)}
        budgets = {name: budget if name == budget_name
                   else dataclasses.replace(self.budget(name), grid=budget.grid)
                   for name in self.budget_names}
        if not claim["pairs"] and not claim["expected_order"]:
            budgets = {name: b if name == budget_name and keep_max_seeds
                       else dataclasses.replace(b, max_seeds=0) for name, b in budgets.items()}
        return self.with_budgets(budgets, **claim, **changes)

    def _distribution_claim_in(self, grid) -> tuple[str, ...]:
        """The distribution claim, if the grid still has both of its spaces."""
        if not self.distribution_claim:
            return ()
        axis, *spaces = self.distribution_claim
        return self.distribution_claim if set(spaces) <= set(dict(grid).get(axis, ())) else ()

    def with_budgets(self, budgets: Mapping[str, Budget], **changes: Any) -> Study:
        """This study with the budgets of these names replaced (and other fields `changes`,
        checked together with them)."""
        for name in budgets:
            self.budget(name)  # an unknown name is refused as budget() refuses it
        between = tuple((name, budgets.get(name, b)) for name, b in self.between)
        fixed = {k: v for k, v in budgets.items() if k in ("quick", "full")}
        return dataclasses.replace(self, between=between, **fixed, **changes)

    def recipe_for(self, budget: str | Budget) -> Recipe:
        return self.recipe.replace(**dict(self.budget(budget).recipe))

    def trial_recipe(self, params: Mapping[str, Any], budget: str | Budget) -> Recipe:
        """The recipe of the trial with these parameters: the budget's, with the point's
        `recipe.*` axes (e.g. `recipe.lr` in a learning-rate ablation) and its seed."""
        changes = recipe_axes(params)
        if "seed" in params:
            changes["seed"] = int(params["seed"])
        return self.recipe_for(budget).replace(**changes)

    def violation(self, net: Net, input_size: tuple[int, int, int]) -> str | None:
        """Why a point breaks the study's constraints (None if it does not), on the meta device."""
        if self.max_params is None and self.max_macs is None:
            return None
        from search_space import complexity

        return self.violation_of(complexity(net, input_size))

    def violation_of(self, cx: Complexity) -> str | None:
        """`violation` for a point whose complexity is already counted."""
        if self.max_params is not None and cx.params > self.max_params:
            return f"params {cx.params:,} > max_params {self.max_params:,}"
        if self.max_macs is not None and cx.macs > self.max_macs:
            return f"MACs {cx.macs:,} > max_macs {self.max_macs:,}"
        return None

    def retrain(self, params: Mapping[str, Any]) -> Study:
        """One point of this search (its parameters as the search sampled them) as an ablation
        of that one variant, named NAME_points: trained with a budget's seeds, so a point of
        the front gets an interval, in its own MLflow experiment (retrained points pool there
        for comparison, never with the search's own trials). ValueError names a parameter the
        point does not read, one it lacks, or a value outside its axis."""
        import optuna

        if self.kind != "search":
            raise ValueError(f"point= retrains a point of a search; {self.name} is an ablation "
                             "(narrow its grid with grid.AXIS=V instead)")
        import warnings

        fixed = optuna.trial.FixedTrial(dict(params))
        try:
            with warnings.catch_warnings():  # a value off its axis: refused below, by name
                warnings.simplefilter("ignore")
                self.space_point(fixed)
        except ValueError as e:
            raise ValueError(f"point: {_point_error(str(e), params)}") from None
        unread = sorted(set(params) - set(fixed.params))
        if unread:
            raise ValueError(f"point: {', '.join(unread)} not read by this point of "
                             f"{self.name}; it reads {', '.join(fixed.params)}")
        canonical = {}  # each value as its axis holds it (2.0 -> the choice 2), so a point
        for name, value in fixed.params.items():  # typed either way has one label
            dist = fixed.distributions[name]
            try:
                internal = dist.to_internal_repr(value)
                inside = dist._contains(internal)
            except ValueError:
                inside = False
            if not inside:
                raise ValueError(f"point: {name}={value!r} is outside its axis {dist}")
            canonical[name] = dist.to_external_repr(internal)
        label = variant_label(canonical)
        recipe = tuple(recipe_axes(canonical).items())
        budgets = {name: dataclasses.replace(self.budget(name),
                                             recipe=self.budget(name).recipe + recipe)
                   for name in self.budget_names}
        return self.with_budgets(
            budgets, name=f"{self.name}_points", kind="ablation",
            claim=f"one point of search {self.name}, retrained with seeds for an interval",
            space=FixedPoint(self.space, label, tuple(canonical.items())),
            grid=(("point", (label,)),),
            objectives=self.objectives[:1])

    def validate(self, budget: str | Budget = "quick", samples: int = 8) -> None:
        """Resolve every grid point of an ablation, or `samples` random points of a search
        (spec validation, no modules built), so a broken study fails before Ray starts."""
        if self.kind == "ablation":
            for params in self.grid_points(budget):
                try:
                    self.point(params, budget)
                    self.trial_recipe(params, budget)
                except ValueError as e:
                    raise ValueError(
                        f"study {self.name}, variant {variant_label(params)}: {e}") from e
            return
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "new study created" line
        probe = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0),
                                    directions=["minimize"] * len(self.objectives))
        for _ in range(samples):
            trial = probe.ask()
            try:
                net = self.space_point(trial)
                b = self.budget(budget)
                if b.net:
                    net.replace(**dict(b.net))
                self.trial_recipe(trial.params, budget)
            except ValueError as e:
                raise ValueError(f"study {self.name}, point {trial.params}: {e}") from e


def _point_error(message: str, params: Mapping[str, Any]) -> str:
    """Optuna's FixedTrial error on a point's parameters, naming the parameter."""
    import re

    missing = re.search(r"parameter '([^']+)' is not found", message)
    if missing:
        return (f"no value for {missing.group(1)}, which this point reads "
                f"(add {missing.group(1)}=VALUE)")
    choice = re.match(r"'(.*)' not in \((.*)\)", message)
    names = [k for k, v in params.items() if choice and str(v) == choice.group(1)]
    if names:
        return f"{names[0]}={choice.group(1)} is not one of its values ({choice.group(2)})"
    return message


@dataclass(frozen=True)
class FixedPoint:
    """A search's space at one of its points (`Study.retrain`): the ablation's single `point`
    axis names it, and the search's own space builds it from the parameters it sampled."""

    space: Space
    label: str
    params: tuple[tuple[str, Any], ...]

    def __call__(self, trial: optuna.Trial, base: Net) -> Net:
        import optuna

        trial.suggest_categorical("point", [self.label])
        return self.space(optuna.trial.FixedTrial(dict(self.params)), base)


def grid_points(grid: tuple[tuple[str, tuple[Any, ...]], ...]) -> list[dict[str, Any]]:
    names = [k for k, _ in grid]
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(v for _, v in grid))]


RECIPE_AXIS = "recipe."


def recipe_axes(params: Mapping[str, Any]) -> dict[str, Any]:
    """The `recipe.<field>` parameters of a point, as Recipe fields (a study may vary the
    recipe as well as the net: `trial.suggest_float("recipe.lr", ...)`, or a grid axis)."""
    return {k.removeprefix(RECIPE_AXIS): v for k, v in params.items()
            if k.startswith(RECIPE_AXIS)}


def variant_label(params: Mapping[str, Any]) -> str:
    """`axis=value` pairs (seed excluded), the name of a variant in tables and MLflow."""
    return ",".join(f"{k}={v}" for k, v in params.items() if k != "seed") or "base"


# ---- helpers for writing spaces ------------------------------------------------------------


def with_stages(net: Net, **changes: Any) -> Net:
    """`net` with the same change applied to every stage (e.g. extras of one block type)."""
    return net.replace(stages=tuple(dataclasses.replace(s, **changes) for s in net.stages))


def with_extras(net: Net, **changes: Any) -> Net:
    """`net` with these extras fields changed in every stage that has them."""
    stages = []
    for s in net.stages:
        names = {f.name for f in dataclasses.fields(s.extras)}
        mine = {k: v for k, v in changes.items() if k in names}
        stages.append(dataclasses.replace(s, extras=dataclasses.replace(s.extras, **mine))
                      if mine else s)
    return net.replace(stages=tuple(stages))

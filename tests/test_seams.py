"""The seams between trainers, studies and analysis: one trial contract, one MLflow owner, a
cheap `import studies`, a catalogue where one broken study breaks only itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from search_space import PRESETS
from trainers import Recipe
from trainers.contract import adapt, training_identity, uses_small_input

ROOT = Path(__file__).resolve().parent.parent
STUDIES_DIR = ROOT / "studies"


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_import_studies_loads_no_study_torch_optuna_or_mlflow():
    code = ("import sys, studies; heavy = [m for m in ('torch', 'optuna', 'mlflow', 'ray') "
            "if m in sys.modules]; cat = [m for m in sys.modules if "
            "m.startswith('studies.catalogue.')]; print(heavy, cat)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "[] []"


def test_only_tracking_imports_mlflow_and_only_schema_spells_tag_names():
    for path in _modules(STUDIES_DIR) + _modules(ROOT / "analysis"):
        if path.name != "tracking.py":
            assert not any(m.split(".")[0] == "mlflow" for m in _imports(path)), path
        if path.name != "schema.py":
            literals = [n.value for n in ast.walk(ast.parse(path.read_text()))
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                        and n.value.startswith("atlas.")]
            assert literals == [], (path, literals)


def test_studies_use_optuna_and_the_trainer_through_public_names():
    for path in _modules(STUDIES_DIR):
        text = path.read_text()
        assert "._storage" not in text and "._trial_id" not in text, path
        assert "checkpoint.pt" not in text, path  # the contract names the file
        assert not any(m.startswith("trainers.loop") for m in _imports(path)), path


def test_catalogue_modules_do_not_import_each_other():
    from studies.catalogue import names

    studies = set(names())
    for path in (STUDIES_DIR / "catalogue").glob("*.py"):
        relative = {m.lstrip(".") for m in _imports(path) if m.startswith(".")}
        assert not relative & studies, (path.name, relative & studies)


@pytest.mark.parametrize("small_input", [None, True, False])
def test_one_adaptation_rule_for_trainer_preflight_and_runner(small_input):
    from studies import STUDIES
    from studies.trial import Job
    from trainers.data import SHAPES
    from trainers.loop import adapt_net

    recipe = Recipe(small_input=small_input)
    net = PRESETS["resnet20"]
    shape = SHAPES["fashion_mnist"]
    expected = net.adapt(num_classes=10, in_channels=1,
                         small_input=True if small_input is None else small_input)
    assert adapt(net, shape.input_size, shape.num_classes, recipe) == expected

    class Loaded:  # what adapt_net reads of loaded data
        input_size, num_classes = shape.input_size, shape.num_classes

    assert adapt_net(net, Loaded, recipe) == expected
    study = STUDIES["width_vs_depth"]
    job = Job(study=study, budget_name="quick", budget=study.quick, recipe=recipe,
              tracking_uri="", experiment_id="", parent_id="", generation=0,
              checkpoint_root="", input_size=shape.input_size, num_classes=10)
    assert job.adapted(net) == expected
    assert uses_small_input(Recipe(), (3, 224, 224)) is False


def test_training_identity_leaves_out_only_run_only_fields():
    a, b = Recipe(threads=1, time_limit_s=5.0), Recipe(threads=2)
    assert training_identity(a) == training_identity(b)
    assert training_identity(a) != training_identity(Recipe(epochs=a.epochs + 1))


def test_a_broken_catalogue_module_breaks_only_its_own_study(tmp_path, monkeypatch, capsys):
    import studies
    import studies.catalogue as catalogue
    from studies.__main__ import main

    (tmp_path / "broken_study.py").write_text("raise RuntimeError('this study is broken')\n")
    monkeypatch.setattr(catalogue, "__path__", [*catalogue.__path__, str(tmp_path)])
    monkeypatch.setattr(studies, "STUDIES", catalogue.Catalogue())
    import studies.__main__ as cli

    monkeypatch.setattr(cli, "STUDIES", studies.STUDIES)
    assert "broken_study" not in studies.STUDIES
    assert "width_vs_depth" in studies.STUDIES
    assert studies.STUDIES.broken == {
        "broken_study": "broken_study.py: RuntimeError: this study is broken"}
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "width_vs_depth" in out and "broken_study" in out and "this study is broken" in out
    assert main(["show", "broken_study"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("error: study broken_study: broken_study.py: RuntimeError: this "
                           "study is broken")
    assert main(["show", "width_vs_depth"]) == 0

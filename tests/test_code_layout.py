"""The layout rules a reader relies on: the model (``sim``) never imports the analysis layer or the CLI, and no model
module grows past what one reads in a sitting (issue 10: no source module over about 400 lines)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIM_MODULES = sorted((ROOT / "sim").rglob("*.py"))
MAX_LINES = 420     # "about 400"


def imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports (absolute imports only: relative ones stay inside ``sim``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_import_check_sees_imports_of_analysis():
    """The detector itself: the CLI layer does import ``analysis``, so a model module doing so would be seen."""
    assert len(SIM_MODULES) > 30
    assert any("analysis" in imported_packages(p) for p in (ROOT / "pkosim").rglob("*.py"))


@pytest.mark.parametrize("path", SIM_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_model_never_imports_analysis_or_the_cli(path):
    assert not imported_packages(path) & {"analysis", "pkosim"}


@pytest.mark.parametrize("path", SIM_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_model_module_is_over_about_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concept"

"""The Python API (``import pkosim``): runs in memory or to a folder, DataFrames back, re-runnable cells, spawn-safe
from a session whose ``__main__`` cannot be re-imported, and the example notebook under docs/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pkosim
from sim.errors import PkosimError

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"

pytestmark = pytest.mark.slow


def short(folder: Path, name: str = "short", refusal: float = 0.5) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"extends: {BASE}\nname: {name}\nstart: 2023-07-01\nend: 2023-07-31\nreplications: 2\nseed: 3\n"
                    f"host_state:\n  flight_refusal_share: {refusal}\n")
    return path


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    return [short(folder, "short"), short(folder, "short_no_refusals", 0.0)]


@pytest.fixture(scope="module")
def in_memory(scenarios):
    return pkosim.run(scenarios, workers=1)


def test_the_api_is_reexported_and_keeps_the_version():
    assert pkosim.__version__ == "0.1.0"
    assert pkosim.run is pkosim.api.run
    assert callable(pkosim.load) and callable(pkosim.compare) and callable(pkosim.summarize)


def test_a_run_in_memory_leaves_no_folder_and_gives_dataframes(in_memory, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert in_memory.names == ["short", "short_no_refusals"]
    assert in_memory.folder is None
    yearly = in_memory.table("yearly")
    assert isinstance(yearly, pd.DataFrame) and set(yearly["scenario"]) == {"short", "short_no_refusals"}
    assert sorted(yearly["run"].unique()) == [0, 1]
    assert list(tmp_path.iterdir()) == []


def test_summary_compare_and_headlines_of_results(in_memory):
    assert set(in_memory.summary()["scenario"]) == {"short", "short_no_refusals"}
    effects = in_memory.compare()
    assert set(effects["scenario"]) == {"short_no_refusals"}
    assert (effects[effects["metric"] == "hostile_deaths"]["n_pairs"] == 2).all()
    assert in_memory.headlines()[0].startswith("short_no_refusals: ")
    assert pkosim.compare(in_memory, metrics=["wounded"])["metric"].unique().tolist() == ["wounded"]


def test_results_draw_figures_and_write_a_report(in_memory, tmp_path):
    assert in_memory.plot("compare")._suptitle.get_text().startswith("Effect of each scenario")
    page = in_memory.report(tmp_path / "report.html").read_text()
    assert 'id="headlines"' in page


def test_scenario_objects_run_as_well_as_paths(scenarios):
    changed = pkosim.with_overrides(pkosim.load_scenario(scenarios[0]), {"name": "renamed", "replications": 1})
    res = pkosim.run([changed], workers=1)
    assert res.names == ["renamed"] and res["renamed"].n_ok == 1


def test_rerunning_into_the_same_folder_needs_overwrite(scenarios, tmp_path):
    first = pkosim.run(scenarios[:1], tmp_path / "out", workers=1, replications=1)
    assert first.folder == tmp_path / "out" and (tmp_path / "out" / "short" / "manifest.json").is_file()
    with pytest.raises(PkosimError, match="overwrite=True"):
        pkosim.run(scenarios[:1], tmp_path / "out", workers=1, replications=1)
    again = pkosim.run(scenarios[:1], tmp_path / "out", workers=1, replications=2, overwrite=True)
    assert again["short"].n_ok == 2
    assert pkosim.load(tmp_path / "out").names == ["short"]


def test_a_bad_scenario_is_one_clear_error_before_anything_runs(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASE}\nname: bad\ncamps: {{strenght_scale: 1}}\n")
    with pytest.raises(PkosimError, match="strenght_scale"):
        pkosim.run([bad], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_several_workers_run_from_a_session_without_an_importable_main(scenarios, tmp_path):
    """`python -` (like a notebook) has a __main__ that worker processes cannot re-import: the pool used to die
    with BrokenProcessPool. The API runs the pool in a process of its own."""
    code = (f"import pkosim\nres = pkosim.run([{str(scenarios[0])!r}, {str(scenarios[1])!r}], workers=2)\n"
            "print(res.names, [b.n_ok for b in res.batches], [b.n_failed for b in res.batches])\n")
    done = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True, cwd=tmp_path,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['short', 'short_no_refusals'] [2, 2] [0, 0]"


def test_an_error_in_the_batch_process_comes_back_as_one(scenarios, tmp_path):
    (tmp_path / "out" / "short").mkdir(parents=True)
    (tmp_path / "out" / "short" / "manifest.json").write_text("{}")
    with pytest.raises(PkosimError, match="overwrite=True"):
        pkosim.run(scenarios[:1], tmp_path / "out", workers=2)


def test_the_example_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the dev extra")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the dev extra")
    pytest.importorskip("ipykernel", reason="ipykernel is in the dev extra")
    notebook = nbformat.read(ROOT / "docs" / "example_analysis.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "docs")}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "cf_barkhane_stays: " in text  # the headline sentence
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the figure
    assert not (ROOT / "docs" / "barkhane_drawdown_2021_2022").exists()  # in memory: nothing left in docs/

"""The analysis commands on a small real result set: two tiny scenarios run by ``pkosim run`` with the model.

Skipped until the model (``sim.simulation``) and ``scenarios/base.yaml`` are in the tree."""

from pathlib import Path

import pytest

from pkosim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not BASE.is_file(), reason="scenarios/base.yaml not in the tree yet"),
]


@pytest.fixture(scope="module")
def real_study(tmp_path_factory):
    pytest.importorskip("sim.simulation")
    folder = tmp_path_factory.mktemp("real")
    for name, refusal in (("tiny_base", 0.5), ("tiny_no_refusals", 0.0)):
        (folder / f"{name}.yaml").write_text(
            f"extends: {BASE}\nname: {name}\ndescription: analysis test, refusal share {refusal}\n"
            f"start: 2023-07-01\nend: 2023-08-31\nreplications: 5\nseed: 11\n"
            f"host_state:\n  flight_refusal_share: {refusal}\n")
    out = folder / "out"
    code = main(["run", str(folder / "tiny_base.yaml"), str(folder / "tiny_no_refusals.yaml"), "--out", str(out),
                 "--workers", "1", "--quiet"])
    assert code == 0
    return out


def test_commands_on_real_results(real_study, tmp_path, capsys):
    assert main(["summarize", str(real_study), "--out", str(tmp_path)]) == 0
    assert main(["compare", str(real_study / "tiny_base"), str(real_study / "tiny_no_refusals"),
                 "--out", str(tmp_path)]) == 0
    for kind in ("timeseries", "map", "breakdown", "compare", "convergence"):
        assert main(["plot", str(real_study / "tiny_base"), str(real_study / "tiny_no_refusals"), "--kind", kind,
                     "--out", str(tmp_path / f"{kind}.png")]) == 0
    assert main(["report", str(real_study / "tiny_base"), str(real_study / "tiny_no_refusals"),
                 "--out", str(tmp_path / "report.html")]) == 0
    html = (tmp_path / "report.html").read_text()
    assert "host_state.flight_refusal_share" in html and 'name="pkosim-provenance"' in html

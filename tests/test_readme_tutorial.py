"""The README tutorial runs as written and leads to a true conclusion: its code blocks are taken from README.md and
run in order in a copy of the repository's scenarios (nothing is left under the real scenarios/ or results/), and
the four-helicopter scenario differs from the shipped two-helicopter one (the old tutorial's change did not reach
the model: every number was identical)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from analysis.compare import compare

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# The README's run command reads ${REPLICATIONS:-100}; the test runs it as written with fewer replications.
REPLICATIONS = "5"
KEY_METRICS = ("hostile_deaths", "killed_in_action", "died_of_wounds", "wounded")

pytestmark = pytest.mark.slow


def tutorial_blocks(text: str) -> list[tuple[str, str, str | None]]:
    """(language, code, file to save it as) for each fenced block of the tutorial section, in order."""
    section = text[text.index("## Tutorial"):]
    section = section[:section.index("\n## ", 1)]
    blocks = []
    for match in re.finditer(r"^( *)```(\w+)\n(.*?)^\1```\n(.*?)(?=^ *```|\Z)", section, re.MULTILINE | re.DOTALL):
        indent, language, code, after = match.groups()
        save = re.search(r"Save it as `([^`]+)`", after)
        blocks.append((language, textwrap.dedent(code), save.group(1) if save else None))
    return blocks


def test_the_tutorial_has_a_scenario_to_save_and_commands_to_run():
    blocks = tutorial_blocks(README.read_text(encoding="utf-8"))
    assert [language for language, _code, _save in blocks] == ["yaml", "sh", "sh"]
    assert blocks[0][2] == "scenarios/my_helicopters.yaml"
    assert "${REPLICATIONS:-100}" in blocks[2][1]


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    """Follow the tutorial in a copy: scenarios/ copied, .venv linked, every block run as written."""
    work = tmp_path_factory.mktemp("tutorial")
    shutil.copytree(ROOT / "scenarios", work / "scenarios")
    (work / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "REPLICATIONS": REPLICATIONS}
    outputs = []
    for language, code, save in tutorial_blocks(README.read_text(encoding="utf-8")):
        if language == "yaml":
            (work / save).write_text(code, encoding="utf-8")
            continue
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=work, env=env, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, f"{code}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    return work, outputs


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "pkosim").is_file(), reason="needs the .venv that make creates")
def test_following_the_tutorial_leaves_nothing_in_the_repository(tutorial):
    work, _outputs = tutorial
    assert not (ROOT / "scenarios" / "my_helicopters.yaml").exists()
    assert not (ROOT / "results" / "helicopters").exists()
    assert (work / "results" / "helicopters_report.html").is_file()
    assert (work / "results" / "helicopters_effects.png").is_file()


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "pkosim").is_file(), reason="needs the .venv that make creates")
def test_the_diff_shows_only_the_helicopter_count(tutorial):
    _work, outputs = tutorial
    assert "air_support.providers.minusma_attack_helicopters.helicopters:" in outputs[0]
    assert "3 value(s) differ" in outputs[0]  # the count, the name and the description


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "pkosim").is_file(), reason="needs the .venv that make creates")
def test_four_helicopters_are_not_two(tutorial):
    """The four-helicopter effect is non-zero: on some key metric its interval excludes zero, or at least the
    paired runs differ (the old tutorial gave a difference of exactly zero in every replication)."""
    work, outputs = tutorial
    batches = work / "results" / "helicopters"
    table = compare([batches / "cf_minusma_attack_helicopters", batches / "my_helicopters"], KEY_METRICS)
    whole = table[table["year"] == "all"]
    assert set(whole["scenario"]) == {"my_helicopters"}
    clear = whole[(whole["ci_low"] > 0) | (whole["ci_high"] < 0)]
    differs = whole[(whole["sd_diff"] > 0) | (whole["diff"] != 0)]
    assert len(clear) or len(differs), whole.to_string()
    assert "Headline findings against cf_minusma_attack_helicopters:" in outputs[1]
    assert "no effect on peacekeepers killed: the same in every replication" not in outputs[1].lower()
    report = (work / "results" / "helicopters_report.html").read_text(encoding="utf-8")
    assert 'id="headlines"' in report and "my_helicopters" in report

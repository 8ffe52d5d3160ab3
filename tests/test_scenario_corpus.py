"""The bad-scenario corpus: every malformed file is rejected by ``pkosim validate`` with its exact located message.

Each ``tests/bad_scenarios/NAME.yaml`` starts with ``# expect: <line>`` (or has a ``NAME.expect`` sidecar when the
file cannot carry a comment: empty, binary). ``{file}`` in the line stands for the path given on the command line.
The tests run from inside the corpus folder, so paths in messages are the short relative ones users see.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from pkosim.cli import main

CORPUS = Path(__file__).parent / "bad_scenarios"
ROOT = Path(__file__).resolve().parent.parent
EXPECT_PREFIX = b"# expect: "


def expected_line(path: Path) -> str:
    sidecar = path.with_suffix(".expect")
    if sidecar.exists():
        return sidecar.read_text(encoding="utf-8").strip("\n")
    first = path.read_bytes().split(b"\n", 1)[0]
    assert first.startswith(EXPECT_PREFIX), f"{path.name}: first line must be '# expect: ...' (or add {sidecar.name})"
    return first[len(EXPECT_PREFIX):].decode("utf-8")


CASES = sorted(CORPUS.glob("*.yaml"))


def run_validate(capsys: pytest.CaptureFixture[str], name: str) -> tuple[int, list[str], list[str]]:
    code = main(["validate", name])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30, f"only {len(CASES)} corpus files"


def test_corpus_files_are_small() -> None:
    for path in CORPUS.rglob("*"):
        if path.is_file():
            assert path.stat().st_size <= 10_000, f"{path} is over 10 KB; generate big inputs at test time"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_scenario_is_rejected_with_its_message(path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    expected = expected_line(path).replace("{file}", path.name)
    code, out, err = run_validate(capsys, path.name)
    assert code == 2
    assert expected in err, f"expected line not printed.\nexpected: {expected}\ngot:\n" + "\n".join(err)
    assert err[-1] == "1 of 1 file(s) invalid"
    assert not any("Traceback" in line for line in out + err)
    for line in err[:-1]:
        assert "\n" not in line and line.isprintable(), f"message line is not one printable line: {line!r}"


def test_several_files_report_each_and_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    code = main(["validate", "range_zero_scale.yaml", "parents/base.yaml", "duplicate_key.yaml"])
    captured = capsys.readouterr()
    assert code == 2
    assert "parents/base.yaml: ok (parent, 2021-01-01..2022-12-31)" in captured.out
    assert captured.err.splitlines()[-1] == "2 of 3 file(s) invalid"


def test_huge_file_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("huge.yaml").write_text("name: huge\nstart: 2021-01-01\nend: 2022-12-31\ndescription: " + "x" * 1_100_000 + "\n")
    code, _, err = run_validate(capsys, "huge.yaml")
    assert code == 2
    assert "huge.yaml: file is 1,100,059 bytes; scenario files are limited to 1,000,000 bytes" in err


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.yaml").mkdir()
    code, _, err = run_validate(capsys, "nowhere.yaml")
    assert code == 2 and "nowhere.yaml: file not found" in err
    code, _, err = run_validate(capsys, "folder.yaml")
    assert code == 2 and "folder.yaml: is a directory, not a scenario file" in err
    code, _, err = run_validate(capsys, "x" * 5000 + ".yaml")
    assert code == 2 and err[0].endswith(": cannot read file: File name too long") and "Traceback" not in "".join(err)


@pytest.mark.parametrize("name", ["alias_bomb.yaml", "deep_nesting.yaml", "deep_nesting_block.yaml"])
def test_hostile_input_is_rejected_fast_and_small(name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    main(["validate", "parents/base.yaml"])  # warm up: import every sub-command's module outside the measurement
    capsys.readouterr()
    began = time.perf_counter()
    code = main(["validate", name])
    elapsed = time.perf_counter() - began
    tracemalloc.start()  # measured on a second run: tracing slows Python several-fold
    try:
        main(["validate", name])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    capsys.readouterr()
    assert code == 2
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
    assert peak < 200_000_000, f"{name} peaked at {peak / 1e6:.0f} MB"


def test_much_deeper_nesting_still_located(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Far past Python's recursion limit: no RecursionError, a located message."""
    monkeypatch.chdir(tmp_path)
    main(["validate", str(CORPUS / "parents/base.yaml")])
    capsys.readouterr()
    Path("deeper.yaml").write_text("name: " + "[" * 100_000 + "\n")
    began = time.perf_counter()
    code, _, err = run_validate(capsys, "deeper.yaml")
    assert time.perf_counter() - began < 1.0
    assert code == 2 and "deeper.yaml:1:57: nested more than 50 levels deep" in err


@pytest.mark.parametrize("name", ["syntax_unclosed_bracket.yaml", "python_object_tag.yaml", "alias_bomb.yaml"])
def test_real_subprocess_exits_2_without_traceback(name: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "pkosim.cli", "validate", name], cwd=CORPUS, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert expected_line(CORPUS / name).replace("{file}", name) in result.stderr.splitlines()
    assert "Traceback" not in result.stdout + result.stderr

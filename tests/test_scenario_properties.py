"""Property test: whatever is done to a valid scenario, loading it succeeds or raises ``ScenarioError`` with
one located line per problem, never another exception (KeyError, TypeError, RecursionError, ...)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "scenario_fixtures"
MESSAGE = re.compile(r"^[^:]+(:\d+(:\d+)?)?: .+")


def _sources() -> list[tuple[Path, dict[str, Any]]]:
    """Every fixture and every scenarios/*.yaml present now, read as plain data (files that do not parse are skipped)."""
    paths = sorted(FIXTURES.rglob("*.yaml")) + sorted((ROOT / "scenarios").glob("*.yaml"))
    out = []
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            continue
        if isinstance(data, dict):
            out.append((path, data))
    return out


SOURCES = _sources()

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x2FFFF, exclude_categories=("Cs",)), max_size=10),
    st.sampled_from(["2021-01-01", "2021-13-45", "yesterday", "Gao", "Ber", "camp_closes", "-1", "1e999", "", "~"]),
    st.dates().map(str),
    st.dates(),
    st.recursive(st.integers(-5, 5) | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, prefix + (index,))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, Any]:
    source, original = draw(st.sampled_from(SOURCES))
    data = yaml.safe_load(yaml.safe_dump(original))  # a deep copy
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(data, path), path[-1]
        kind = draw(st.sampled_from(["delete", "replace", "rename", "wrap", "negate", "stringify"]))
        if kind == "delete":
            del parent[last]
        elif kind == "replace":
            parent[last] = draw(junk)
        elif kind == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(st.text(min_size=1, max_size=12), st.just(str(last) + "x"), st.just(str(last)[:-1])))
            parent[new] = parent.pop(last)
        elif kind == "wrap":
            parent[last] = draw(st.sampled_from([[parent[last]], {"x": parent[last]}, [[[parent[last]]]]]))
        elif kind == "negate" and isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
            parent[last] = -parent[last] - draw(st.integers(0, 10**6))
        elif kind == "stringify":
            parent[last] = str(parent[last])
    return source, data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_scenarios_load_or_fail_with_located_messages(case: tuple[Path, Any]) -> None:
    source, data = case
    with tempfile.TemporaryDirectory() as folder:
        # alongside copies of the fixtures, so that 'extends: parent.yaml' still finds its parent
        for fixture in FIXTURES.rglob("*.yaml"):
            target = Path(folder) / fixture.relative_to(FIXTURES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fixture.read_bytes())
        path = Path(folder) / "mutated" / source.name
        path.parent.mkdir(exist_ok=True)
        if isinstance(data, dict) and isinstance(data.get("extends"), str):
            data["extends"] = str((source.parent / data["extends"]).resolve()) if not source.is_relative_to(FIXTURES) else str(Path(folder) / source.parent.relative_to(FIXTURES) / data["extends"])
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        try:
            load_scenario(path)
        except ScenarioError as error:
            assert error.lines(), "a ScenarioError without any message"
            for line in error.lines():
                assert MESSAGE.match(line), f"badly formed message: {line!r}"
                assert "\n" not in line and line.isprintable(), f"message is not one printable line: {line!r}"


def test_there_are_sources_to_mutate() -> None:
    assert any(path.is_relative_to(FIXTURES) for path, _ in SOURCES)


@st.composite
def mangled_text(draw: st.DrawFn) -> tuple[Path, str]:
    source, _ = draw(st.sampled_from(SOURCES))
    text = source.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["cut", "insert"]))
        if kind == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        else:
            text = text[:at] + draw(st.one_of(st.sampled_from(["[", "]", "{", ":", "\t", "&a ", "*a", "<<: ", "!!python/name:os.system ", "- ", "\n  ", "'", '"', "---\n", "%YAML 1.1\n", "? "]), st.text(max_size=8))) + text[at:]
    return source, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_text())
def test_mangled_yaml_text_fails_with_located_messages(case: tuple[Path, str]) -> None:
    source, text = case
    with tempfile.TemporaryDirectory() as folder:
        for fixture in FIXTURES.rglob("*.yaml"):
            target = Path(folder) / fixture.relative_to(FIXTURES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fixture.read_bytes())
        path = Path(folder) / (source.relative_to(FIXTURES) if source.is_relative_to(FIXTURES) else source.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_scenario(path)
        except ScenarioError as error:
            for line in error.lines():
                assert MESSAGE.match(line), f"badly formed message: {line!r}"
                assert "\n" not in line and line.isprintable(), f"message is not one printable line: {line!r}"

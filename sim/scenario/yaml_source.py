"""Reading a YAML file safely, remembering where every key and value came from.

PyYAML's composer gives nodes with line and column marks; we build plain Python data from them ourselves so that
(a) every key path maps to its position in the file, for error messages like ``x.yaml:12:5: air.speed: ...``,
(b) only plain data comes out (mappings, lists, strings, numbers, booleans, dates, null: no Python objects),
(c) hostile input fails fast: a size cap, a nesting cap, and a cap on nodes visited, which stops "billion laughs"
alias bombs (a few hundred bytes that expand to billions of nodes) before they exhaust memory,
(d) duplicate keys are errors rather than the last one silently winning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.errors import Problem, ScenarioError

MAX_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_NODES = 200_000

# Plain data only: any other tag (!!python/object, !!binary, custom !tags) is refused, whatever the node kind.
ALLOWED_TAGS = {
    f"tag:yaml.org,2002:{kind}" for kind in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
}

KeyPath = tuple[str | int, ...]


@dataclass
class Position:
    """Where a value was set: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class YamlDocument:
    """A file's data with the position of every key path (the key's mark for mappings, the item's for lists)."""

    file: str
    data: dict[str, Any]
    positions: dict[KeyPath, Position] = field(default_factory=dict)


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.positions: dict[KeyPath, Position] = {}
        self.nodes = 0
        self.scalars = SafeConstructor()

    def fail(self, node: Node, key: str, message: str) -> ScenarioError:
        mark = node.start_mark
        return ScenarioError([Problem(self.file, mark.line + 1, mark.column + 1, key, message)])

    def build(self, node: Node, path: KeyPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, dotted_path(path), f"more than {MAX_NODES:,} values (an alias bomb?); scenario files are small")
        if len(path) > MAX_DEPTH:
            raise self.fail(node, dotted_path(path), f"nested more than {MAX_DEPTH} levels deep")
        if node.tag not in ALLOWED_TAGS:
            raise self.fail(node, dotted_path(path), f"YAML tag {node.tag!r} is not allowed; scenario files hold plain values only")
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.positions[path + (index,)] = _position(self.file, item)
                items.append(self.build(item, path + (index,)))
            return items
        if isinstance(node, ScalarNode):
            try:
                return self.scalars.construct_object(node)
            except (ConstructorError, ValueError, OverflowError) as error:
                raise self.fail(node, dotted_path(path), f"cannot read value {node.value!r}: {error}") from None
        raise self.fail(node, dotted_path(path), "unsupported YAML node")

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, dotted_path(path), "YAML merge keys (<<) are not supported; use 'extends:' to build on another scenario")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, dotted_path(path), "a key must be a plain name, not a list or mapping")
            key = key_node.value
            if key in result:
                first = self.positions[path + (key,)]
                raise self.fail(key_node, dotted_path(path + (key,)), f"duplicate key (first set at line {first.line})")
            self.positions[path + (key,)] = _position(self.file, key_node)
            result[key] = self.build(value_node, path + (key,))
        return result


def _position(file: str, node: Node) -> Position:
    return Position(file, node.start_mark.line + 1, node.start_mark.column + 1)


def dotted_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_yaml(path: Path, display: str | None = None) -> YamlDocument:
    """Read one YAML file into a ``YamlDocument``; any problem is a ``ScenarioError`` with a position."""
    name = display or str(path)

    def problem(message: str, line: int | None = None, column: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(name, line, column, "", message)])

    if not path.exists():
        raise problem("file not found")
    if not path.is_file():
        raise problem("not a file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise problem(f"file is {size:,} bytes; scenario files are limited to {MAX_BYTES:,} bytes")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise problem("binary file (contains NUL bytes), not YAML text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise problem(f"not UTF-8 text (invalid byte at offset {error.start})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"YAML syntax error: {error.problem or error.context}"
        raise problem(message, mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise problem(f"YAML error: {error}") from None
    except RecursionError:
        raise problem(f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    if root is None:
        raise problem("file is empty; a scenario needs at least name, start and end (or extends)")
    builder = _Builder(name)
    data = builder.build(root, ())
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {data!r}"
        raise problem(f"a scenario must be a mapping of keys to values, got {kind}", root.start_mark.line + 1, root.start_mark.column + 1)
    builder.positions[()] = Position(name, 1, 1)
    return YamlDocument(name, data, builder.positions)

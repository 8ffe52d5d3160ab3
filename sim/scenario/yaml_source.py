"""Reading a YAML file safely, remembering where every key and value came from.

PyYAML's composer gives nodes with line and column marks; we build plain Python data from them ourselves so that
(a) every key path maps to its position in the file, for error messages like ``x.yaml:12:5: air.speed: ...``,
(b) only plain data comes out (mappings, lists, strings, numbers, booleans, dates, null: no Python objects),
(c) hostile input fails fast: a size cap, a nesting cap, and a cap on nodes visited, which stops "billion laughs"
alias bombs (a few hundred bytes that expand to billions of nodes) before they exhaust memory,
(d) duplicate keys are errors rather than the last one silently winning.

A value that cannot be read (a date that does not exist, a refused tag, a duplicate key) does not stop the reading:
it is recorded as a problem, left out of the data and its key path marked ``unreadable``, so that the rest of the file
is still checked and every problem is reported at once. What makes the file unreadable as a whole (a syntax error,
an alias bomb, nesting too deep, not a mapping) stops at once.
"""

from __future__ import annotations

import errno
import stat
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

MAX_SHOWN = 60  # longest value quoted in full in a message; longer ones are cut with "..."


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters (messages stay one readable line, whatever junk the file holds)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_value(value: object) -> str:
    """``repr`` of a value for a message: escapes control characters, cut when long."""
    return shorten(repr(value))


def _key_text(part: str) -> str:
    """A key as written, or its escaped ``repr`` if it holds characters that would break a one-line message."""
    return shorten(part if part.isprintable() else repr(part))


def _tag_text(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


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
    """A file's data with the position of every key path (the key's mark for mappings, the item's for lists), the
    problems met while reading it and the key paths of the values left out because they could not be read."""

    file: str
    data: dict[str, Any]
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unreadable: set[KeyPath] = field(default_factory=set)


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark):
        self.mark = mark


class _DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's composer recurses once per nesting level: stop at MAX_DEPTH, at the offending node's position,
    long before Python's recursion limit (``[[[[...`` a few thousand deep would otherwise be a RecursionError)."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a byte offset."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


class _Unreadable(Exception):
    """A value that could not be read (its problem is recorded): the mapping that holds it leaves its key out."""


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.positions: dict[KeyPath, Position] = {}
        self.nodes = 0
        self.scalars = SafeConstructor()
        self.problems: list[Problem] = []
        self.unreadable: set[KeyPath] = set()

    def fail(self, node: Node, key: str, message: str) -> ScenarioError:
        mark = node.start_mark
        return ScenarioError([Problem(self.file, mark.line + 1, mark.column + 1, key, message)])

    def skip(self, node: Node, key: str, message: str) -> _Unreadable:
        """Record a problem that leaves the rest of the file readable; the caller raises what this returns."""
        self.problems.extend(self.fail(node, key, message).problems)
        return _Unreadable()

    def build(self, node: Node, path: KeyPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, dotted_path(path), f"more than {MAX_NODES:,} values (an alias bomb?); scenario files are small")
        if len(path) > MAX_DEPTH:
            raise self.fail(node, dotted_path(path), f"nested more than {MAX_DEPTH} levels deep")
        if node.tag not in ALLOWED_TAGS:
            raise self.skip(node, dotted_path(path), f"YAML tag {show_value(_tag_text(node.tag))} is not allowed; scenario files hold plain values only")
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return self._sequence(node, path)
        if isinstance(node, ScalarNode):
            try:
                value = self.scalars.construct_object(node)
            except (ConstructorError, ValueError, OverflowError) as error:
                reason = "the number is too large" if "Exceeds the limit" in str(error) else shorten(str(error), 120)
                raise self.skip(node, dotted_path(path), f"cannot read value {show_value(node.value)}: {reason}") from None
            if isinstance(value, str) and _has_surrogate(value):
                raise self.skip(node, dotted_path(path), f"text {show_value(value)} holds an invalid unicode character (a lone surrogate)")
            return value
        raise self.fail(node, dotted_path(path), "unsupported YAML node")

    def _sequence(self, node: SequenceNode, path: KeyPath) -> list[Any]:
        """A list with an unreadable item is unreadable as a whole (leaving the item out would shift the others)."""
        items, readable = [], True
        for index, item in enumerate(node.value):
            self.positions[path + (index,)] = _position(self.file, item)
            try:
                items.append(self.build(item, path + (index,)))
            except _Unreadable:
                readable = False
        if not readable:
            raise _Unreadable()
        return items

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        """A mapping; a key that cannot be read makes the whole mapping unreadable (what it held is unknown), a
        value that cannot be read only leaves its key out."""
        result: dict[str, Any] = {}
        readable = True
        for key_node, value_node in node.value:
            try:
                key = self._key(key_node, path)
            except _Unreadable:
                readable = False
                continue
            if key in result or path + (key,) in self.unreadable:
                first = self.positions[path + (key,)]
                self.skip(key_node, dotted_path(path + (key,)), f"duplicate key (first set at line {first.line})")
                continue
            self.positions[path + (key,)] = _position(self.file, key_node)
            try:
                result[key] = self.build(value_node, path + (key,))
            except _Unreadable:
                self.unreadable.add(path + (key,))
        if not readable:
            raise _Unreadable()
        return result

    def _key(self, key_node: Node, path: KeyPath) -> str:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise self.skip(key_node, dotted_path(path), "YAML merge keys (<<) are not supported; use 'extends:' to build on another scenario")
        if not isinstance(key_node, ScalarNode):
            raise self.skip(key_node, dotted_path(path), "a key must be a plain name, not a list or mapping")
        if _has_surrogate(key_node.value):
            raise self.skip(key_node, dotted_path(path), f"key {show_value(key_node.value)} holds an invalid unicode character (a lone surrogate)")
        return key_node.value


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """How many values ``node`` becomes once aliases are expanded (capped just above MAX_NODES): counted on the
    composed graph, where an alias is the same node object again, so a bomb is measured without expanding it."""
    if id(node) not in memo:
        memo[id(node)] = MAX_NODES + 1  # provisional: a node reached again through itself can only be a bomb
        children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else (
            node.value if isinstance(node, SequenceNode) else [])
        total = 1
        for child in children:
            total = min(total + _expanded_size(child, memo), MAX_NODES + 1)
            if total > MAX_NODES:
                break
        memo[id(node)] = total
    return memo[id(node)]


def _refuse_alias_bombs(root: Node, file: str) -> None:
    memo: dict[int, int] = {}
    if _expanded_size(root, memo) <= MAX_NODES:
        return
    culprit, key = root, ""
    if isinstance(root, MappingNode):  # point at the top-level key whose value explodes, if there is one
        for key_node, value_node in root.value:
            if _expanded_size(value_node, memo) > MAX_NODES:
                culprit, key = key_node, _key_text(str(key_node.value))
                break
    mark = culprit.start_mark
    raise ScenarioError([Problem(file, mark.line + 1, mark.column + 1, key,
                                 f"expands to more than {MAX_NODES:,} values through YAML aliases (an alias bomb?); scenario files are small")])


def _position(file: str, node: Node) -> Position:
    return Position(file, node.start_mark.line + 1, node.start_mark.column + 1)


_SYNTAX_HINTS = {
    "mapping values are not allowed here": " (is a line indented too far, or a ':' in a value that needs quotes?)",
    "found character '\\t' that cannot start any token": " (YAML indents with spaces, not tabs)",
}


def _syntax_message(error: yaml.MarkedYAMLError) -> tuple[str, int | None, int | None]:
    """PyYAML's error as (message, line, column): the problem, a hint, and where the construct it broke began."""
    mark = error.problem_mark or error.context_mark
    problem = " ".join(str(error.problem or error.context or "invalid YAML").split())
    message = f"YAML syntax error: {problem}" + _SYNTAX_HINTS.get(problem, "")
    context, context_mark = error.context, error.context_mark
    if context and context != problem:
        context = " ".join(str(context).split())
        if context.startswith("while ") and context_mark is not None and context_mark is not mark:
            message += f" ({context} that starts at line {context_mark.line + 1}, column {context_mark.column + 1})"
        elif not context.startswith("while "):
            message = f"YAML syntax error: {context}, {problem}"
    return message, (mark.line + 1 if mark else None), (mark.column + 1 if mark else None)


def dotted_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        text = _key_text(str(part))
        out += f"[{part}]" if isinstance(part, int) else (f".{text}" if out else text)
    return out


def read_yaml(path: Path, display: str | None = None, *, keep_going: bool = False) -> YamlDocument:
    """Read one YAML file into a ``YamlDocument``; any problem is a ``ScenarioError`` with a position. With
    ``keep_going``, values that cannot be read are left out and their problems kept in the document (module
    docstring); without it, they are raised together once the whole file is read."""
    name = display or str(path)

    def problem(message: str, line: int | None = None, column: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(name, line, column, "", message)])

    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            raise problem("is a directory, not a scenario file")
        if not stat.S_ISREG(status.st_mode):
            raise problem("not a regular file")
        if status.st_size > MAX_BYTES:
            raise problem(f"file is {status.st_size:,} bytes; scenario files are limited to {MAX_BYTES:,} bytes")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # the file may have grown since stat()
    except FileNotFoundError:
        raise problem("file not found") from None
    except (OSError, ValueError) as error:  # unreadable, a symlink loop, name too long, a NUL in the name...
        reason = "a loop of symbolic links" if getattr(error, "errno", None) == errno.ELOOP else \
            shorten(getattr(error, "strerror", None) or str(error), 120)
        raise problem(f"cannot read file: {reason}") from None
    if len(raw) > MAX_BYTES:
        raise problem(f"file is more than {MAX_BYTES:,} bytes; scenario files are limited to {MAX_BYTES:,} bytes")
    if b"\x00" in raw:
        raise problem("binary file (contains NUL bytes), not YAML text", *_byte_position(raw, raw.index(b"\x00")))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = raw[error.start : error.start + 1].hex()
        raise problem(f"not UTF-8 text (byte 0x{byte}); save the file as UTF-8", *_byte_position(raw, error.start)) from None
    try:
        root = yaml.compose(text, Loader=_DepthLimitedLoader)
    except _TooDeep as error:
        raise problem(f"nested more than {MAX_DEPTH} levels deep", error.mark.line + 1, error.mark.column + 1) from None
    except yaml.MarkedYAMLError as error:
        raise problem(*_syntax_message(error)) from None
    except yaml.reader.ReaderError as error:  # a control character: PyYAML gives a character offset, not a mark
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise problem(f"character U+{error.character:04X} is not allowed in YAML text", line, column) from None
    except yaml.YAMLError as error:
        raise problem("YAML error: " + shorten(" ".join(str(error).split()), 200)) from None
    except RecursionError:
        raise problem(f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    if root is None:
        raise problem("file is empty; a scenario needs at least name, start and end (or extends)")
    _refuse_alias_bombs(root, name)
    builder = _Builder(name)
    try:
        data = builder.build(root, ())
    except _Unreadable:
        raise ScenarioError(builder.problems) from None
    if builder.problems and (not keep_going or not isinstance(data, dict)):
        raise ScenarioError(builder.problems)
    if not isinstance(data, dict):
        # Say what kind of value it is, never the value: a file that is not a scenario (extends: /etc/passwd) would
        # otherwise be printed whole.
        kind = "a list" if isinstance(data, list) else "text" if isinstance(data, str) else f"a single {type(data).__name__} value"
        raise problem(f"a scenario must be a mapping of keys to values, got {kind}", root.start_mark.line + 1, root.start_mark.column + 1)
    builder.positions[()] = Position(name, 1, 1)
    return YamlDocument(name, data, builder.positions, builder.problems, builder.unreadable)

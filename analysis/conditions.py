"""Conditions on outcomes, as users write them after ``--where``: a tiny grammar, parsed, never evaluated as code.

    condition := clause ("and" clause)*
    clause    := [metric] op number        e.g.  hostile_deaths > 20     <= -2     coverage >= 0.5
    op        := "<" | "<=" | ">" | ">="
    metric    := a yearly metric name (docs/results.md); omitted, it is the command's --metric
    number    := a decimal number, optionally signed, with an optional exponent (1e3)

What a metric stands for (a batch's value, or the paired difference between two batches) is the caller's choice;
this module only parses and evaluates. Errors are one line and point at the problem.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics import metric as metric_meta
from sim.errors import PkosimError

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
SLUG = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_TOKEN = re.compile(r"\s*(?:(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<op><=|>=|<|>)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>\S))")


@dataclass(frozen=True)
class Clause:
    metric: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class Condition:
    clauses: tuple[Clause, ...]
    text: str

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(c.metric for c in self.clauses))

    def __str__(self) -> str:
        return " and ".join(str(c) for c in self.clauses)

    def slug(self) -> str:
        """A file-name form: ``hostile_deaths_gt_20_and_coverage_lt_0p5``."""
        def number(x: float) -> str:
            return f"{x:g}".replace("-", "m").replace("+", "").replace(".", "p")
        return "_and_".join(f"{c.metric}_{SLUG[c.op]}_{number(c.threshold)}" for c in self.clauses)

    def evaluate(self, values: pd.DataFrame) -> np.ndarray:
        """True where every clause holds (``values`` has one column per metric); NaN never satisfies a clause."""
        result = np.ones(len(values), dtype=bool)
        for c in self.clauses:
            column = values[c.metric].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                result &= OPS[c.op](column, c.threshold) & ~np.isnan(column)
        return result


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "bad":
            raise PkosimError(f"--where {text!r}: unexpected {match.group(kind)!r}; write e.g. "
                              "\"hostile_deaths > 20 and coverage >= 0.5\"")
        out.append((kind, match.group(kind)))
    return out


def parse(text: str, default_metric: str | None = None) -> Condition:
    """The condition in ``text``; a clause without a metric uses ``default_metric`` (the command's --metric)."""
    if not text or not text.strip():
        raise PkosimError("--where: empty condition; write e.g. \"hostile_deaths > 20\"")
    tokens = _tokens(text)
    clauses, i = [], 0
    while True:
        metric = default_metric
        if i < len(tokens) and tokens[i][0] == "name":
            if tokens[i][1] == "and":
                raise PkosimError(f"--where {text!r}: 'and' must join two comparisons")
            metric = tokens[i][1]
            i += 1
        if metric is None:
            raise PkosimError(f"--where {text!r}: a comparison needs a metric first (or give --metric)")
        metric_meta(metric, "yearly")
        if i >= len(tokens) or tokens[i][0] != "op":
            got = f"{tokens[i][1]!r}" if i < len(tokens) else "the end"
            raise PkosimError(f"--where {text!r}: expected <, <=, > or >= after {metric!r}, got {got}")
        op = tokens[i][1]
        i += 1
        if i >= len(tokens) or tokens[i][0] != "number":
            got = f"{tokens[i][1]!r}" if i < len(tokens) else "the end"
            raise PkosimError(f"--where {text!r}: expected a number after {op!r}, got {got}")
        clauses.append(Clause(metric, op, float(tokens[i][1])))
        i += 1
        if i == len(tokens):
            break
        if tokens[i] != ("name", "and"):
            raise PkosimError(f"--where {text!r}: expected 'and' or the end after {clauses[-1]}, got {tokens[i][1]!r}")
        i += 1
        if i == len(tokens):
            raise PkosimError(f"--where {text!r}: nothing after 'and'")
    return Condition(tuple(clauses), text)

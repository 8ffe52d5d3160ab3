"""``pkosim attribute BASELINE.yaml TARGET.yaml``: how much of the difference between two scenarios each change
caused (Shapley values over combinations of the changes, with common random numbers).

The changes are read off the two resolved scenarios (everything ``pkosim show --diff`` lists, less the run
settings ``name``, ``description``, ``replications``, ``seed``, ``outputs`` and ``sweep``), grouped so that a
change is one thing a user would switch on or off:

- each event id that differs (``events.leave_gao``: added, removed or changed) is one change;
- an entry of a mapping that exists in one scenario only (a new air provider, armed group or contingent profile,
  e.g. ``air_support.providers.minusma_drones``) is one change, whole;
- any other differing value is one change per parameter path (``host_state.flight_refusal_share``); a list is one
  value (lists replace whole under ``extends``).

The two scenarios must share the theatre and the window (``start``, ``end``): a change of window is not a cause.
With k changes up to ``--max-exact`` (default 8, 256 combinations), every combination runs and the Shapley values
are exact. Above it, ``--permutations`` random orders of the changes (default 40) are sampled, and only the
combinations on their paths run (at most permutations x (k - 1) + 2). Every combination is the baseline with the
target's values for its changes, built with ``sim.scenario.with_overrides`` (so it is validated like any
scenario), run with the same root seed and replications (replication r has the same seed in every combination),
with daily and incident tables switched off. Before running, a pilot times one run and the command prints the
number of runs and the estimated time; above ``ASK_ABOVE_S`` (10 minutes) it runs only with ``--yes``.

Output folder (``--out``, default ``results/attribute/<target>_vs_<baseline>``): ``attribution.json`` (the changes,
the combinations and the orders), ``batches/<combination>/`` (result files, docs/results.md; the empty combination
is named after the baseline, the full one after the target), and what ``analysis.attribution`` writes:
``attribution.csv``, ``attribution.md`` and ``attribution_<metric>.png`` (waterfall).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from analysis.attribution import DEFAULT_METRICS, PLAN_FILE, display_table, summary_lines, write_attribution
from analysis.metrics import parse_metrics
from analysis.summary import to_text
from sim.errors import PkosimError
from sim.files import atomic_write_text
from sim.scenario import Scenario, load_scenario, with_overrides

RUN_SETTINGS = ("name", "description", "replications", "seed", "outputs", "sweep")
MUST_MATCH = ("theatre", "start", "end")
MAX_EXACT = 8
PERMUTATIONS = 40
ASK_ABOVE_S = 600.0
_ABSENT = object()


@dataclass(frozen=True)
class Change:
    path: tuple[str, ...]
    kind: str            # event | added | removed | parameter
    baseline: Any        # the value in the baseline (None when absent)
    target: Any          # the value in the target (None when absent: the change removes it)
    in_target: bool = True

    @property
    def key(self) -> str:
        return ".".join(self.path)

    def to_json(self) -> dict:
        return {"key": self.key, "path": list(self.path), "kind": self.kind, "baseline": self.baseline,
                "target": self.target}


def _data(scenario: Scenario) -> dict:
    return scenario.model_dump(mode="json", exclude_none=True)


def _walk(a: Any, b: Any, path: tuple[str, ...], out: list[Change]) -> None:
    if path == ("events",):
        for event in sorted(set(a) | set(b)):
            va, vb = a.get(event, _ABSENT), b.get(event, _ABSENT)
            if va != vb:
                out.append(Change(path + (event,), "event", None if va is _ABSENT else va,
                                  None if vb is _ABSENT else vb, vb is not _ABSENT))
        return
    if isinstance(a, dict) and isinstance(b, dict) and path:
        for key in list(a) + [k for k in b if k not in a]:
            va, vb = a.get(key, _ABSENT), b.get(key, _ABSENT)
            if va == vb:
                continue
            if va is _ABSENT or vb is _ABSENT:
                kind = ("added" if va is _ABSENT else "removed") if isinstance(va if vb is _ABSENT else vb, dict) \
                    else "parameter"
                out.append(Change(path + (key,), kind, None if va is _ABSENT else va, None if vb is _ABSENT else vb,
                                  vb is not _ABSENT))
            else:
                _walk(va, vb, path + (key,), out)
        return
    out.append(Change(path, "parameter", a, b))


def changes_between(baseline: Scenario, target: Scenario) -> list[Change]:
    """The changes that turn ``baseline`` into ``target`` (see the module docstring): parameters and entries in
    the scenario's order, then events by date."""
    a, b = _data(baseline), _data(target)
    for key in MUST_MATCH:
        if a.get(key) != b.get(key):
            raise PkosimError(f"{key}: {b.get(key)} in {target.name} but {a.get(key)} in {baseline.name}; attribution "
                              f"compares scenarios over the same window and theatre (make {key} equal)")
    out: list[Change] = []
    for key in list(a) + [k for k in b if k not in a]:
        if key in RUN_SETTINGS or key in MUST_MATCH:
            continue
        va, vb = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if va == vb:
            continue
        if va is _ABSENT or vb is _ABSENT:
            out.append(Change((key,), "parameter", None if va is _ABSENT else va, None if vb is _ABSENT else vb,
                              vb is not _ABSENT))
        else:
            _walk(va, vb, (key,), out)
    if not out:
        raise PkosimError(f"{baseline.name} and {target.name} do not differ (besides run settings): nothing to "
                          "attribute")
    events = sorted((c for c in out if c.kind == "event"),
                    key=lambda c: (str((c.target if c.in_target else c.baseline).get("date")), c.key))
    return [c for c in out if c.kind != "event"] + events


def combination(baseline: Scenario, changes: Sequence[Change], members: frozenset, name: str) -> Scenario:
    """The baseline with the target's values for the changes in ``members`` (daily and incident tables off)."""
    data = _data(baseline)
    touched = set()
    for j in sorted(members):
        change = changes[j]
        node = data
        for part in change.path[:-1]:
            node = node.setdefault(part, {})
        if change.in_target:
            node[change.path[-1]] = copy.deepcopy(change.target)
        else:
            node.pop(change.path[-1], None)
        touched.add(change.path[0])
    overrides = {key: data[key] for key in touched if key in data}
    overrides.update({"name": name, "outputs": {"daily": False, "incidents": False},
                      "description": f"{baseline.name} with: " + (", ".join(changes[j].key for j in sorted(members))
                                                                   or "no change")})
    try:
        return with_overrides(baseline, overrides)
    except PkosimError as error:
        labels = ", ".join(changes[j].key for j in sorted(members))
        raise PkosimError(f"the baseline with {labels} is not a valid scenario: {error.lines()[0]}") from None


def plan_coalitions(k: int, max_exact: int = MAX_EXACT, permutations: int = PERMUTATIONS,
                    seed: int = 0) -> tuple[str, list[list[int]], list[frozenset]]:
    """(method, sampled orders, combinations to run): every combination for k <= max_exact, else the prefixes of
    ``permutations`` random orders."""
    if k <= max_exact:
        coalitions = [frozenset(s) for size in range(k + 1) for s in itertools.combinations(range(k), size)]
        return "exact", [], coalitions
    if permutations < 1:
        raise PkosimError(f"--permutations {permutations}: needs at least 1")
    rng = np.random.default_rng(seed)
    orders = [[int(j) for j in rng.permutation(k)] for _ in range(permutations)]
    seen = dict.fromkeys(frozenset(order[:i]) for order in orders for i in range(k + 1))
    return "permutations", orders, sorted(seen, key=lambda s: (len(s), sorted(s)))


def _name(i: int, members: frozenset, k: int, baseline: Scenario, target: Scenario) -> str:
    if not members:
        return baseline.name
    if len(members) == k:
        return target.name if target.name != baseline.name else f"{target.name}-target"
    bits = "".join("1" if j in members else "0" for j in range(k))
    name = f"c{i:04d}_{bits}"
    return name if len(name) <= 80 else f"c{i:04d}"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def pilot_seconds(scenario: Scenario, seed: int, run_fn: Callable) -> float:
    """Seconds per run, timed on two runs of ``scenario`` in this process (the first also pays for imports)."""
    from sim.runner import run_seed

    timings = []
    for _ in range(2):
        started = time.perf_counter()
        run_fn(scenario, run_seed(seed, 0))
        timings.append(time.perf_counter() - started)
    return min(timings)


def run_attribution(baseline_file, target_file, out=None, *, metrics: Sequence[str] | None = None,
                    replications: int | None = None, seed: int | None = None, workers: int | None = None,
                    max_exact: int = MAX_EXACT, permutations: int = PERMUTATIONS, yes: bool = False,
                    dry_run: bool = False, quiet: bool = True, run_fn: Callable | None = None,
                    echo: Callable[[str], None] = print) -> Path | None:
    """Derive the changes, run the combinations, write the attribution; return the folder (None on a dry run)."""
    from sim.runner import run_batch
    from sim.runner.executors import default_workers

    metrics = parse_metrics(metrics, default=DEFAULT_METRICS)
    baseline, target = load_scenario(baseline_file), load_scenario(target_file)
    if baseline.sweep is not None or target.sweep is not None:
        raise PkosimError("attribute compares two single scenarios; remove the sweep: block (or attribute one design "
                          "point at a time)")
    changes = changes_between(baseline, target)
    k = len(changes)
    root_seed = int(seed if seed is not None else baseline.seed)
    reps = int(replications if replications is not None else baseline.replications)
    if reps < 2:
        raise PkosimError(f"--replications {reps}: attribution needs at least 2 replications for intervals")
    method, orders, coalitions = plan_coalitions(k, max_exact, permutations, seed=root_seed)
    names = [_name(i, m, k, baseline, target) for i, m in enumerate(coalitions)]
    scenarios = [combination(baseline, changes, m, n) for m, n in zip(coalitions, names)]
    workers = int(workers or default_workers())
    runs = len(scenarios) * reps
    if run_fn is None:
        from sim.simulation import simulate as run_fn
    per_run = pilot_seconds(scenarios[-1], root_seed, run_fn)
    estimate = runs * per_run / workers
    echo("\n".join(f"  change {j + 1}: {c.key} ({c.kind})" for j, c in enumerate(changes)))
    how = "every combination" if method == "exact" else f"{permutations} random orders (above {max_exact} changes)"
    echo(f"attribute: {k} change(s), {how}: {len(scenarios)} combinations x {reps} replications = {runs} runs; "
         f"~{per_run:.2f} s per run (pilot), about {_duration(estimate)} with {workers} worker(s)")
    if seed is None and target.seed != baseline.seed:
        echo(f"note: every combination runs with the baseline's root seed {root_seed} (the target's is {target.seed})")
    if dry_run:
        return None
    if estimate > ASK_ABOVE_S and not yes:
        raise PkosimError(f"attribute: about {_duration(estimate)} of runs (over {_duration(ASK_ABOVE_S)}); rerun with "
                          "--yes to go ahead, or with fewer --replications or a lower --max-exact")
    out = Path(out) if out else Path("results") / "attribute" / f"{target.name}_vs_{baseline.name}"
    if (out / PLAN_FILE).exists():
        raise PkosimError(f"{out}: already holds an attribution; choose another --out")
    plan = {"baseline": baseline.name, "target": target.name, "baseline_file": str(baseline_file),
            "target_file": str(target_file), "root_seed": root_seed, "replications": reps, "method": method,
            "changes": [c.to_json() for c in changes], "orders": orders,
            "coalitions": [{"name": n, "members": sorted(m)} for n, m in zip(names, coalitions)]}
    atomic_write_text(out / PLAN_FILE, json.dumps(plan, indent=1) + "\n")
    results = run_batch(scenarios, out / "batches", replications=reps, seed=root_seed, workers=workers, quiet=quiet,
                        run_fn=run_fn)
    failed = sum(r.failed for r in results)
    if failed:
        echo(f"warning: {failed} run(s) failed (failures/ in each batch); replications that did not finish in every "
             "combination are left out")
    table, paths = write_attribution(out, metrics)
    from analysis.attribution import read_plan

    echo("\n".join(summary_lines(read_plan(out), table)) + "\n")
    echo(to_text(display_table(table)))
    echo(f"wrote {out / PLAN_FILE}, {', '.join(paths.values())}")
    return out


def _run_fn(spec: str | None):
    if not spec:
        return None
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise PkosimError(f"--run-fn {spec}: cannot import it ({error})") from None


def _run(args: argparse.Namespace) -> int:
    run_attribution(args.baseline, args.target, args.out, metrics=args.metric, replications=args.replications,
                    seed=args.seed, workers=args.workers, max_exact=args.max_exact, permutations=args.permutations,
                    yes=args.yes, dry_run=args.dry_run, quiet=args.quiet, run_fn=_run_fn(args.run_fn))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "attribute", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="what caused the difference between two scenarios: each change's Shapley share, as a waterfall",
        description="Derive the changes between BASELINE and TARGET (event ids, added or removed entries, parameter "
                    "paths), run combinations of them with common random numbers, and report each change's Shapley "
                    "share of the difference in each metric, with 95%% intervals over replications (docs/explore.md).")
    p.add_argument("baseline", metavar="BASELINE.yaml")
    p.add_argument("target", metavar="TARGET.yaml")
    p.add_argument("--metric", action="append", metavar="M,...", help="yearly metrics (repeatable; default: "
                   f"{', '.join(DEFAULT_METRICS)})")
    p.add_argument("--replications", type=int, metavar="N", help="replications per combination (default: the "
                   "baseline's)")
    p.add_argument("--seed", type=int, metavar="S", help="root seed of every combination (default: the baseline's)")
    p.add_argument("--workers", type=int, metavar="W", help="parallel runs (default: number of cores)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: results/attribute/<target>_vs_<baseline>)")
    p.add_argument("--max-exact", type=int, default=MAX_EXACT, metavar="K", help="run every combination up to K "
                   "changes; above, sample orders")
    p.add_argument("--permutations", type=int, default=PERMUTATIONS, metavar="M", help="random orders sampled above "
                   "--max-exact changes")
    p.add_argument("--yes", action="store_true", help=f"run even when the estimate exceeds {ASK_ABOVE_S / 60:.0f} "
                   "minutes")
    p.add_argument("--dry-run", action="store_true", help="list the changes and estimate the runs, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--run-fn", metavar="MODULE:FUNCTION", help=argparse.SUPPRESS)  # tests
    p.set_defaults(func=_run)

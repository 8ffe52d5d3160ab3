"""The batch engine: many seeded runs of scenarios, executed locally or on a cluster, written as result files.

A *batch* is one scenario's design points x replications, written to ``OUT/<scenario name>/`` in the format of
docs/results.md (``manifest.json``, the status log ``status.jsonl``, and Parquet tables as directories of part
files). One module per concept:

- ``seeds``: run k's seed is ``SeedSequence(root_seed, spawn_key=(k,))`` (common random numbers);
- ``design``: sweep design points from SALib (grid, Latin hypercube, Sobol/Saltelli, Morris), counted first;
- ``task``: one run, executed on a worker, failures returned as data; ``chunk``: several runs as one unit of
  work, whose worker writes their tables itself (``parts``), so that a cluster sees few tasks;
- ``executors``: in-process, local process pool, or Dask; workers die with their parent;
- ``scenarios``: the two kinds of scenario (a fixed registry: ``pkosim``, ``fake``), stored and rebuilt by name;
- ``plan``: what to run and where, decided and checked before anything is written (sizes, folders, a batch to
  resume read as untrusted input);
- ``store``: the folder layout and committed Parquet parts; ``status``: the status log; ``manifest``: what the
  batch is; ``lock``: one writer per batch; ``writer``: laying out, committing and closing a batch;
- ``batch``: the run loop, interruption and resume; ``progress``, ``report``, ``cli``.

Python API (what ``pkosim run`` calls, and what calibration and studies use)::

    from sim.runner import run_batch, resume_batches

    results = run_batch(["scenarios/base.yaml", scenario_object], "results", replications=50, seed=None,
                        workers=None, executor="process", scheduler=None, quiet=True, run_fn=None, yes=False)
    # -> list[BatchResult(scenario, directory, runs, ok, failed, pending, status, elapsed_s)]
    results = resume_batches(["results/base"])   # run only what is pending or failed

``scenarios`` are YAML paths or validated scenario objects; ``replications`` / ``seed`` are the batch's (the
scenario object is not rewritten with them; the manifest's ``root_seed`` and ``replications`` are their only
authority); ``workers`` defaults to the number of cores (1 = in this process, no pool); ``executor`` is
``"process"`` or ``"dask"`` (``scheduler`` = a Dask scheduler address, or None for a local cluster); ``run_fn(scenario,
SeedSequence) -> RunOutput`` defaults to the scenario kind's model (``sim.simulation.simulate``); ``yes`` confirms a
call of more than ``plan.CONFIRM_RUNS`` runs. A batch folder must be new or empty; one that holds a batch is never
overwritten (``PkosimError``): finish it with ``resume_batches``. Each batch is locked while it runs: a second
writer gets ``PkosimEnvironmentError``. Failed runs do not raise: see ``BatchResult.failed`` and ``failures/``.
Ctrl-C or SIGTERM raises ``BatchInterrupted`` (a ``KeyboardInterrupt``) after writing what finished. Read the
results with ``pandas.read_parquet(directory / "yearly.parquet")``.

Local worker processes start with ``forkserver`` (safe with threads, and the default from Python 3.14): a script
that calls ``run_batch`` with ``workers > 1`` must guard its entry point with ``if __name__ == "__main__":``, and a
custom ``run_fn`` must be importable (defined at module level), as with any ``multiprocessing`` code.
"""

from .batch import BatchInterrupted, BatchResult, execute_plans, find_batches, resume_batches, run_batch
from .design import Design, design_of
from .plan import plan_batches, plan_resume
from .seeds import run_seed, seed_label

__all__ = ["BatchInterrupted", "BatchResult", "Design", "design_of", "execute_plans", "find_batches", "plan_batches",
           "plan_resume", "resume_batches", "run_batch", "run_seed", "seed_label"]

"""The batch engine: many seeded runs of scenarios, executed locally or on a cluster, written as result files.

A *batch* is one scenario's design points x replications, written to ``OUT/<scenario name>/`` in the format of
docs/results.md (``manifest.json`` and Parquet tables as directories of part files). One module per concept:

- ``seeds``: run k's seed is ``SeedSequence(root_seed, spawn_key=(k,))`` (common random numbers);
- ``design``: sweep design points from SALib (grid, Latin hypercube, Sobol/Saltelli, Morris);
- ``task``: one run as a unit of work, executed on a worker, failures returned as data;
- ``executors``: in-process, local process pool, or Dask;
- ``store``: atomic Parquet parts and failure records; ``manifest``: the batch ledger;
- ``batch``: planning, the run loop, flushing, interruption and resume; ``progress``, ``report``, ``cli``.

Python API (what ``pkosim run`` calls, and what calibration and studies use)::

    from sim.runner import run_batch, resume_batches

    results = run_batch(["scenarios/base.yaml", scenario_object], "results", replications=50, seed=None,
                        workers=None, executor="process", scheduler=None, quiet=True, run_fn=None)
    # -> list[BatchResult(scenario, directory, runs, ok, failed, pending, status, elapsed_s)]
    results = resume_batches(["results/base"])   # run only what is pending or failed

``scenarios`` are YAML paths or validated scenario objects; ``replications`` / ``seed`` override the scenario's;
``workers`` defaults to the number of cores (1 = in this process, no pool); ``executor`` is ``"process"`` or
``"dask"`` (``scheduler`` = a Dask scheduler address, or None for a local cluster); ``run_fn(scenario,
SeedSequence) -> RunOutput`` defaults to ``sim.simulation.simulate``. A batch directory that already holds a
manifest is never overwritten (``PkosimError``); finish it with ``resume_batches``. Failed runs do not raise: see
``BatchResult.failed`` and ``failures/``. Ctrl-C raises ``BatchInterrupted`` (a ``KeyboardInterrupt``) after
writing what finished. Read the results with ``pandas.read_parquet(directory / "yearly.parquet")``.

Local worker processes start with ``forkserver`` (safe with threads, and the default from Python 3.14): a script
that calls ``run_batch`` with ``workers > 1`` must guard its entry point with ``if __name__ == "__main__":``, and a
custom ``run_fn`` must be importable (defined at module level), as with any ``multiprocessing`` code.
"""

from .batch import BatchInterrupted, BatchResult, find_batches, resume_batches, run_batch
from .design import Design, design_of
from .seeds import run_seed, seed_label

__all__ = ["BatchInterrupted", "BatchResult", "Design", "design_of", "find_batches", "resume_batches", "run_batch",
           "run_seed", "seed_label"]

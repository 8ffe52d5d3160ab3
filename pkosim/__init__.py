"""pkosim: the command-line tool (``pkosim.cli``), studies (``pkosim.study``) and the Python API for notebooks and
scripts (``pkosim.api``, re-exported here)::

    import pkosim
    res = pkosim.run(["scenarios/barkhane_drawdown_2021_2022.yaml", "scenarios/cf_barkhane_stays.yaml"],
                     replications=20)
    res.headlines(); res.compare(); res.summary(); res.table("yearly"); res.plot("compare"); res.report("r.html")

It joins the ``sim`` and ``analysis`` layers; neither imports it. The API is imported on first use, so the command
line starts without loading pandas.
"""

from sim import __version__

__all__ = ["Results", "ScenarioWarning", "__version__", "compare", "load", "load_scenario", "run", "summarize",
           "validate", "with_overrides"]


def __getattr__(name: str):
    if name in __all__:
        from pkosim import api

        return getattr(api, name)
    raise AttributeError(f"module 'pkosim' has no attribute {name!r}")

"""Calibration: fit the model's uncertain parameters to the observed record 2014-2020 (``pkosim calibrate``).

One concept per module:

- ``targets``: the observed figures with their sources (a YAML file), validated, and the target patterns they imply;
- ``config``: the calibration file (scenario, targets, priors of the fitted parameters, trials, replications, seed);
- ``patterns``: pure functions from result tables (yearly, incidents) to the simulated patterns of each run;
- ``objective``: the weighted sum of squared standardised errors between simulated and observed patterns;
- ``fit``: the optuna study (TPE, seeded) whose trials run batches through ``sim.runner.run_batch``;
- ``paramfile``: the fitted values written as a partial scenario (``scenarios/params/calibrated.yaml``);
- ``report``: observed against simulated, target by target (``check_batch``, ``write_check``, the fit report);
- ``cli``: ``pkosim calibrate``.

See docs/calibration.md for the method and the result of the fit.
"""

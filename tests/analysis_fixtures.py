"""Synthetic result directories for the analysis tests, written exactly as docs/results.md describes.

Each scenario gets ``runs`` replications; replication k of every scenario draws from the same random stream
(seed ``<root_seed>/k``), and scenario effects only scale the rates, so paired differences remove most of the
run-to-run noise (common random numbers), as in real pkosim batches. Daily counts are drawn first (inverse CDF
from shared uniforms) and the yearly and incident tables are built from them, so the tables agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats as sps

# Approximate positions for the fixture's incidents (tests only; the map takes real positions from the theatre).
POINTS = {
    "Gao": (16.27, -0.04), "Kidal": (18.44, 1.41), "Tessalit": (20.20, 1.01), "Aguelhok": (19.46, 0.86),
    "Menaka": (15.92, 2.40), "Ansongo": (15.66, 0.50), "Timbuktu": (16.77, -3.01), "Mopti-Sevare": (14.53, -4.09),
    "Douentza": (15.00, -2.95), "Anefis": (18.05, 0.60),
}
LEGS = [("Gao", "Anefis"), ("Anefis", "Kidal"), ("Kidal", "Aguelhok"), ("Aguelhok", "Tessalit"),
        ("Gao", "Ansongo"), ("Ansongo", "Menaka"), ("Douentza", "Mopti-Sevare"), ("Douentza", "Timbuktu")]
SECTOR = {"Gao": "East", "Kidal": "North", "Tessalit": "North", "Aguelhok": "North", "Menaka": "East",
          "Ansongo": "East", "Timbuktu": "West", "Mopti-Sevare": "Centre", "Douentza": "Centre", "Anefis": "North"}
CONTINGENTS = ["Chad", "Egypt", "Bangladesh", "Germany", "Niger"]
KINDS = ["ied_detonation", "ied_found", "ambush", "indirect_fire", "complex_attack"]
KIND_P = np.array([0.35, 0.3, 0.12, 0.18, 0.05])
CAUSE = {"ied_detonation": "deaths_ied", "ambush": "deaths_ambush", "indirect_fire": "deaths_indirect_fire",
         "complex_attack": "deaths_complex_attack"}
KILLED_MEAN = {"ied_detonation": 0.8, "ied_found": 0.0, "ambush": 1.0, "indirect_fire": 0.3, "complex_attack": 3.0}

DEFAULT_SCENARIOS = {
    "baseline": {"effect": 1.0, "description": "Barkhane leaves in 2022 as it did; flight refusals from 2022.",
                 "params": {"camps": {"strength_scale": 0.75}, "host_state": {"flight_refusal_share": 0.3}}},
    "barkhane_stays": {"effect": 0.7, "description": "Counterfactual: Barkhane stays in Gao to the end.",
                       "params": {"camps": {"strength_scale": 0.75}, "host_state": {"flight_refusal_share": 0.3}}},
    "own_drones": {"effect": 0.85, "description": "MINUSMA buys its own surveillance drones in 2021.",
                   "params": {"camps": {"strength_scale": 0.75}, "host_state": {"flight_refusal_share": 0.3},
                              "air_support": {"un_drones": 4}}},
}


def _write_parts(folder: Path, frame: pd.DataFrame, parts: int = 2) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    chunks = np.array_split(np.arange(len(frame)), parts) if len(frame) else [np.arange(0)]
    for i, idx in enumerate(chunks):
        table = pa.Table.from_pandas(frame.iloc[idx].reset_index(drop=True), preserve_index=False)
        pq.write_table(table, folder / f"part-{i:05d}.parquet")


def _run(name: str, k: int, root_seed: int, effect: float, dates: pd.DatetimeIndex, seed_key: str):
    """Daily table and incidents of one run; randomness depends only on (root_seed, k)."""
    rng = np.random.default_rng([root_seed, k])
    n = len(dates)
    run_mult = float(np.exp(rng.normal(0.0, 0.35)))  # shared per-run noise: the thing pairing removes
    u_inc = rng.random(n)
    lam = 0.06 * run_mult * (1.0 + 0.5 * np.isin(dates.month, [1, 2, 3, 10, 11, 12])) * effect
    n_inc = sps.poisson.ppf(u_inc, lam).astype(int)
    day_idx = np.repeat(np.arange(n), n_inc)
    m = day_idx.size
    u_kind, u_kill, u_wound, u_leg, u_pos, u_cont = (rng.random(m) for _ in range(6))
    # Draw a full stream for an upper bound of incidents so the draws do not shift with the effect.
    kinds = np.array(KINDS)[np.searchsorted(np.cumsum(KIND_P), u_kind, side="right").clip(0, len(KINDS) - 1)]
    kill_mean = np.array([KILLED_MEAN[x] for x in kinds])
    killed = sps.poisson.ppf(u_kill, kill_mean).astype(int)
    wounded = sps.poisson.ppf(u_wound, kill_mean * 3.8 + (kinds != "ied_found") * 0.5).astype(int)
    dow = (wounded * 0.1 * rng.random(m) > 0.25).astype(int)
    legs = [LEGS[i] for i in (u_leg * len(LEGS)).astype(int)]
    lat = np.array([POINTS[a][0] + (POINTS[b][0] - POINTS[a][0]) * t for (a, b), t in zip(legs, u_pos)])
    lon = np.array([POINTS[a][1] + (POINTS[b][1] - POINTS[a][1]) * t for (a, b), t in zip(legs, u_pos)])
    place = [a for a, _ in legs]
    incidents = pd.DataFrame({
        "scenario": name, "point": 0, "run": k, "seed": seed_key,
        "date": dates[day_idx].date if m else pd.Series([], dtype="object"),
        "lat": lat, "lon": lon, "place": place, "sector": [SECTOR[p] for p in place], "kind": kinds,
        "group": np.where(lon > 1.5, "ISGS", "JNIM"),
        "contingent": np.array(CONTINGENTS)[(u_cont * len(CONTINGENTS)).astype(int)],
        "target": np.where(kinds == "indirect_fire", "camp", "convoy"),
        "killed": killed, "wounded": wounded, "died_of_wounds": dow,
        "support_arrival_minutes": np.where(u_pos > 0.5, 30 + 90 * u_pos, np.nan),
        "time_to_surgery_minutes": np.where(wounded > 0, 45 + 200 * u_kill, np.nan),
    })
    deaths = np.bincount(day_idx, weights=killed + dow, minlength=n)
    kia = np.bincount(day_idx, weights=killed, minlength=n)
    wnd = np.bincount(day_idx, weights=wounded, minlength=n)
    found = np.bincount(day_idx, weights=kinds == "ied_found", minlength=n)
    deton = np.bincount(day_idx, weights=kinds == "ied_detonation", minlength=n)
    u = rng.random((6, n))
    convoys = sps.poisson.ppf(u[0], 3.0).astype(int)
    daily = pd.DataFrame({
        "scenario": name, "point": 0, "run": k, "seed": seed_key, "date": dates.date,
        "hostile_deaths": deaths.astype(int), "killed_in_action": kia.astype(int),
        "died_of_wounds": (deaths - kia).astype(int), "wounded": wnd.astype(int),
        "ied_laid": sps.poisson.ppf(u[1], 0.3 * run_mult).astype(int), "ied_found": found.astype(int),
        "ied_detonated": deton.astype(int), "ieds_emplaced": (5 + 10 * run_mult * u[2]).round().astype(int),
        "convoys_sent": convoys, "convoys_arrived": np.maximum(convoys - (u[3] < 0.1), 0),
        "convoys_en_route": (4 * u[4]).round().astype(int), "convoy_km": convoys * 300.0,
        "patrol_km": 400 + 200 * u[5], "coverage": 0.3 + 0.2 * u[5] * (2 - effect),
        "open_camps": 12, "personnel_in_theatre": 13000, "camp_days_below_critical": (u[3] < 0.05).astype(int),
        "flight_refusal_share": 0.3,
    })
    return daily, incidents, run_mult


def _yearly(daily: pd.DataFrame, incidents: pd.DataFrame, run_mult: float, effect: float) -> pd.DataFrame:
    d = daily.assign(year=pd.to_datetime(daily["date"]).dt.year)
    g = d.groupby("year")
    y = g.agg(days=("date", "size"), hostile_deaths=("hostile_deaths", "sum"),
              killed_in_action=("killed_in_action", "sum"), died_of_wounds=("died_of_wounds", "sum"),
              wounded=("wounded", "sum"), ied_laid=("ied_laid", "sum"), ied_found=("ied_found", "sum"),
              ied_detonated=("ied_detonated", "sum"), convoys_sent=("convoys_sent", "sum"),
              convoys_arrived=("convoys_arrived", "sum"), convoy_km=("convoy_km", "sum"),
              patrol_km=("patrol_km", "sum"), coverage=("coverage", "mean"),
              camp_days_below_critical=("camp_days_below_critical", "sum")).reset_index()
    inc = incidents.assign(year=pd.to_datetime(incidents["date"]).dt.year,
                           deaths=incidents["killed"] + incidents["died_of_wounds"])
    for kind, col in CAUSE.items():
        s = inc[inc["kind"] == kind].groupby("year")["deaths"].sum()
        y[col] = y["year"].map(s).fillna(0).astype(int)
    fatal = inc[inc["deaths"] > 0].groupby("year")
    y["fatal_incidents"] = y["year"].map(fatal.size()).fillna(0).astype(int)
    y["largest_incident_deaths"] = y["year"].map(fatal["deaths"].max()).fillna(0).astype(int)
    north = inc[inc["sector"] == "North"].groupby("year")["deaths"].sum()
    y["deaths_north"] = y["year"].map(north).fillna(0).astype(int)
    y["deaths_north_share"] = y["deaths_north"] / y["hostile_deaths"].replace(0, np.nan)
    y["ied_met"] = y["ied_found"] + y["ied_detonated"]
    y["convoys_delayed"] = (y["convoys_sent"] * 0.1).round().astype(int)
    y["convoys_attacked"] = y["year"].map(inc[inc["target"] == "convoy"].groupby("year").size()).fillna(0).astype(int)
    y["convoy_transit_days"] = 2.0 + run_mult
    y["convoy_transit_days_sum"] = y["convoy_transit_days"] * y["convoys_arrived"]
    y["tonnage_delivered"] = y["convoys_arrived"] * 40.0
    y["vehicles_lost"] = y["ied_detonated"]
    y["road_casualties"] = y["killed_in_action"] + y["wounded"]
    y["casualties_per_1000_km"] = y["road_casualties"] / (y["convoy_km"] + y["patrol_km"]) * 1000
    y["air_requests"] = (y["days"] * 0.1).round().astype(int)
    y["air_served"] = (y["air_requests"] * 0.7).round().astype(int)
    y["air_refused"] = y["air_requests"] - y["air_served"]
    y["close_support_served"] = (y["air_served"] * 0.4).round().astype(int)
    y["air_response_minutes"] = 60 * run_mult * effect
    y["close_support_minutes_sum"] = y["air_response_minutes"] * y["close_support_served"]
    y["wounded_in_surgery_1h"] = (y["wounded"] * 0.3 / run_mult ** 0.5 * (2 - effect) / 2).round().astype(int)
    y["wounded_in_surgery_2h"] = (y["wounded"] * np.minimum(0.6 / run_mult ** 0.5 * (2 - effect) / 2, 1)).round().astype(int)
    y["medevac_within_1h_share"] = y["wounded_in_surgery_1h"] / y["wounded"].replace(0, np.nan)
    y["medevac_within_2h_share"] = y["wounded_in_surgery_2h"] / y["wounded"].replace(0, np.nan)
    y["personnel_withdrawn"] = np.where(y["year"] == 2023, 5000, 0)
    y["equipment_withdrawn_t"] = np.where(y["year"] == 2023, 2000.0, 0.0)
    y["equipment_left_t"] = np.where(y["year"] == 2023, 300.0 * effect * run_mult, 0.0)
    ident = daily[["scenario", "point", "run", "seed"]].iloc[:1]
    y = ident.merge(y, how="cross")
    return y


def write_batch(root: Path, name: str, *, runs: int = 20, root_seed: int = 20140101, effect: float = 1.0,
                start: str = "2021-01-01", end: str = "2023-06-30", description: str = "", params: dict | None = None,
                seed_override: dict[int, str] | None = None, failed_runs: tuple[int, ...] = ()) -> Path:
    """Write one batch directory ``root/name`` and return its path."""
    batch = Path(root) / name
    dates = pd.date_range(start, end, freq="D")
    dailies, yearlies, incs, summaries, statuses = [], [], [], [], []
    for k in range(runs):
        seed_key = (seed_override or {}).get(k, f"{root_seed}/{k}")
        if k in failed_runs:
            statuses.append({"point": 0, "run": k, "seed": seed_key, "status": "failed", "elapsed_s": 0.1,
                             "error": "ValueError: synthetic failure"})
            continue
        daily, incidents, run_mult = _run(name, k, root_seed, effect, dates, seed_key)
        yearly = _yearly(daily, incidents, run_mult, effect)
        dailies.append(daily)
        yearlies.append(yearly)
        incs.append(incidents)
        summ = {"scenario": name, "point": 0, "run": k, "seed": seed_key, "status": "ok", "elapsed_s": 0.5}
        for col in yearly.columns[5:]:
            summ[f"total_{col}"] = float(yearly[col].sum())
        summ["coverage"] = float(daily["coverage"].mean())
        summaries.append(summ)
        statuses.append({"point": 0, "run": k, "seed": seed_key, "status": "ok", "elapsed_s": 0.5, "error": None})
    _write_parts(batch / "daily.parquet", pd.concat(dailies, ignore_index=True))
    _write_parts(batch / "yearly.parquet", pd.concat(yearlies, ignore_index=True))
    _write_parts(batch / "incidents.parquet", pd.concat(incs, ignore_index=True))
    _write_parts(batch / "runs.parquet", pd.DataFrame(summaries))
    events = {"close_aguelhok": {"action": "camp_closes", "date": "2023-03-31", "camp": "Aguelhok", "note": ""}}
    if effect >= 0.8:
        events["leave_gao"] = {"action": "french_base_left", "date": "2022-08-15", "base": "Gao", "note": ""}
    scenario = {"name": name, "description": description, "extends": "base.yaml", "start": start, "end": end,
                "replications": runs, "seed": root_seed, "theatre": "mali", "events": events, **(params or {})}
    manifest = {
        "pkosim_version": "0.1.0", "scenario": scenario, "scenario_hash": f"sha256:{abs(hash(name)):016x}",
        "scenario_file": f"scenarios/{name}.yaml", "root_seed": root_seed, "replications": runs,
        "design": {"method": "none", "points": 1},
        "packages": {"python": "3.12.3", "mesa": "3.5.0", "numpy": np.__version__, "pandas": pd.__version__,
                     "pyarrow": pa.__version__},
        "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": False}, "host": "fixture",
        "started": "2024-01-01T10:00:00+00:00", "finished": "2024-01-01T10:05:00+00:00", "runs": statuses,
    }
    (batch / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return batch


def write_study(root: Path, scenarios: dict | None = None, **kwargs) -> dict[str, Path]:
    """Write several batches under ``root`` (default: baseline, barkhane_stays, own_drones)."""
    scenarios = scenarios or DEFAULT_SCENARIOS
    return {name: write_batch(root, name, effect=spec["effect"], description=spec.get("description", ""),
                              params=spec.get("params"), **kwargs)
            for name, spec in scenarios.items()}


def study_dir(tmp_path_factory) -> Path:
    """The default three-scenario study, written once per test session under pytest's base temp dir."""
    root = Path(tmp_path_factory.getbasetemp()) / "analysis_study"
    if not (root / "own_drones" / "manifest.json").is_file():
        write_study(root)
    return root

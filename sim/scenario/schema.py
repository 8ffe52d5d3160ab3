"""The scenario: one YAML file, validated once into this typed, immutable object.

Model code reads only these objects, never raw dicts. Each section's parameter class lives in the module of the actor
that uses it (``sim.camp.CampParams``, ``sim.ied.IedParams``, ...); this file only assembles them. Cross-references
to the theatre (camp and base names) are checked by ``sim.scenario.references`` because they need the theatre's data.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, WithJsonSchema, field_validator, model_validator

from sim.air_provider import AirProviderParams
from sim.air_support import AirSupportParams
from sim.armed_group import ArmedGroupParams
from sim.camp import CampParams
from sim.contingent import ContingentParams
from sim.convoy import ConvoyParams
from sim.host_state import HostStateParams
from sim.ied import IedParams
from sim.medical import MedicalParams
from sim.parameters import StrictModel
from sim.logistics import LogisticsParams
from sim.patrol import PatrolParams
from sim.posture import PostureParams
from sim.roads import RoadParams
from sim.withdrawal import WithdrawalParams
from sim.scenario.events import Event
from sim.scenario.posterior import PosteriorDraws

#: Every parameter class with the key path it sits under in a scenario (the ODD table and tests walk these).
PARAMETER_SECTIONS = (("roads", RoadParams), ("camps", CampParams), ("patrols", PatrolParams),
                      ("posture", PostureParams), ("convoys", ConvoyParams), ("logistics", LogisticsParams),
                      ("withdrawal", WithdrawalParams), ("ieds", IedParams), ("armed_groups.<id>", ArmedGroupParams),
                      ("air_support", AirSupportParams), ("air_support.providers.<id>", AirProviderParams),
                      ("medical", MedicalParams), ("host_state", HostStateParams),
                      ("contingents.<country>", ContingentParams))


class ParamRange(StrictModel):
    """The range of one swept parameter: ``low``/``high`` for sampled designs, ``values`` for a grid."""

    low: float | None = Field(None, description="Lower bound (latin_hypercube, sobol, morris).")
    high: float | None = Field(None, description="Upper bound (latin_hypercube, sobol, morris).")
    values: tuple[float, ...] | None = Field(None, min_length=1, description="Values to try (grid).")

    @model_validator(mode="after")
    def _bounds(self) -> ParamRange:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.low is None and self.values is None:
            raise ValueError("give low and high, or values")
        return self


class Sweep(StrictModel):
    """A design over bounded parameters; each design point runs every replication (SALib samplers)."""

    method: Literal["grid", "latin_hypercube", "sobol", "morris"] = Field(..., description="Design: grid of values, Latin hypercube, Sobol (Saltelli) or Morris samples.")
    samples: int = Field(16, ge=1, le=100_000, description="Latin hypercube: points; Sobol: base sample N (N*(2D+2) points); Morris: trajectories. Ignored by grid.")
    seed: int = Field(0, ge=0, description="Seed of the design sampler (not of the runs).")
    parameters: dict[str, ParamRange] = Field(..., min_length=1, description="Dotted path of a numeric scenario parameter (e.g. ieds.base_detection_probability) -> range.")

    @model_validator(mode="after")
    def _ranges_fit_method(self) -> Sweep:
        for path, spec in self.parameters.items():
            if self.method == "grid" and spec.values is None:
                raise ValueError(f"{path}: a grid needs 'values'")
            if self.method != "grid" and spec.low is None:
                raise ValueError(f"{path}: method {self.method} needs 'low' and 'high'")
        return self


class Outputs(StrictModel):
    """Which tables a run writes (yearly and runs tables are always written)."""

    daily: bool = Field(True, description="Write daily.parquet (one row per run and day).")
    incidents: bool = Field(True, description="Write incidents.parquet (one row per incident).")
    convoys: bool = Field(True, description="Write convoys.parquet (one row per convoy).")


class Scenario(StrictModel):
    """A scenario: a window, parameters by subsystem, dated events, and how many seeded replications to run."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80, description="Short identifier; names the result directory.")
    description: str = Field("", description="What the scenario represents and why (shown in reports).")
    extends: str | None = Field(None, exclude=True, description="Parent scenario file (path relative to this file) whose values this one overrides: mappings merge key by key, lists and scalars replace, null removes an inherited key.")
    theatre: str = Field("mali", description="Theatre data set (sim/theatres/<theatre>/).")
    start: date = Field(..., description="First simulated day.")
    end: date = Field(..., description="Last simulated day (inclusive).")
    warmup_days: int = Field(0, ge=0, le=3650, description="Days simulated before start and not recorded, so that a run starts from a warmed-up state (armed groups that have learned the traffic, devices on the roads, stocks and convoys under way). Events dated before the warm-up are applied when the model is built; warm-up days before the theatre's data use its first recorded year's garrisons.")
    replications: int = Field(20, ge=1, le=100_000, description="Seeded replications per design point.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed; replication k gets SeedSequence(seed, spawn_key=(k,)).")
    roads: RoadParams = Field(default_factory=RoadParams)
    camps: CampParams = Field(default_factory=CampParams)
    patrols: PatrolParams = Field(default_factory=PatrolParams)
    posture: PostureParams = Field(default_factory=PostureParams)
    convoys: ConvoyParams = Field(default_factory=ConvoyParams)
    logistics: LogisticsParams = Field(default_factory=LogisticsParams)
    withdrawal: WithdrawalParams = Field(default_factory=WithdrawalParams)
    ieds: IedParams = Field(default_factory=IedParams)
    armed_groups: dict[str, ArmedGroupParams] = Field(default_factory=dict, description="Armed groups by id (e.g. jnim, isgs).")
    air_support: AirSupportParams = Field(default_factory=AirSupportParams)
    medical: MedicalParams = Field(default_factory=MedicalParams)
    host_state: HostStateParams = Field(default_factory=HostStateParams)
    contingents: dict[str, ContingentParams] = Field(default_factory=dict, description="Changes to contingent profiles by contributing country.")
    events: dict[str, Event] = Field(default_factory=dict, description="Dated events by id; the action key selects the kind.")
    sweep: Sweep | None = Field(None, description="Optional parameter sweep (grid, latin_hypercube, sobol, morris).")
    outputs: Outputs = Field(default_factory=Outputs)
    # In a file, a path; in the validated scenario, the draws it names (the loader reads them).
    posterior: Annotated[PosteriorDraws | None, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]})] = Field(
        None, description="Posterior file (posterior.yaml, path relative to this file) whose equally weighted draws "
                          "the replications take their parameters from: replication k runs with draw k and seed k, so "
                          "paired comparisons stay paired in parameters too. null: fixed parameters (chance only).")

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"must not be before start ({start}), got {end}")
        return end

    def for_replication(self, run: int) -> Scenario:
        """The scenario replication ``run`` runs: with the posterior's draw ``run`` (modulo the number of draws) applied,
        except to parameters its sweep varies; itself when it has no posterior (``sim.scenario.posterior``)."""
        if self.posterior is None:
            return self
        from sim.scenario.loader import with_overrides
        from sim.scenario.posterior import replication_values

        return with_overrides(self, {**replication_values(self, run), "posterior": None})

    def events_in_order(self) -> list[tuple[str, Event]]:
        """Events sorted by date, then id: the order the model applies them in, the same on every machine."""
        return sorted(self.events.items(), key=lambda item: (item[1].date, item[0]))

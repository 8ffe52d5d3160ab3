"""Model parameters, grouped by the subsystem that uses them.

Each group is one section of a scenario file (``camps:``, ``convoys:``, ...). Defaults here are the model's
documented defaults; ``scenarios/base.yaml`` restates them with comments so users see every value in one file.
Figures that are not known from sources are marked "assumption" with a rationale and a plausible range in the
ODD parameter table; calibration (``pkosim calibrate``) narrows the uncertain ones.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from sim.scenario.base import StrictModel, param, share

ASSUMPTION = "assumption (calibrated or varied in sensitivity analysis)"


class Roads(StrictModel):
    """How the road network is discretised and how fast vehicles move on it."""

    segment_max_km: float = param(
        25.0, unit="km", ge=1, le=500,
        description="Road legs are cut into segments no longer than this, so that threat can differ along a road.",
        source="MODEL.md (segments of at most ~25 km)",
    )
    speed_paved_km_per_day: float = param(
        250.0, unit="km/day", gt=0,
        description="Convoy progress on paved national roads (RN*) in the dry season, halts included.",
        source="Kidal-Gao (352 km) normally a one-day drive (shared/data README); convoys slower than single vehicles",
    )
    speed_track_km_per_day: float = param(
        120.0, unit="km/day", gt=0,
        description="Convoy progress on unpaved tracks in the dry season.",
        source="assumption: about half the paved speed; Barkhane took 7 days for ~600 km Gao-Tessalit (Oct 2021)",
    )
    rainy_season_months: tuple[int, ...] = param(
        (6, 7, 8, 9), unit="month numbers",
        description="Months of the rainy season, when road moves and helicopters slow down.",
        source="MODEL.md (June-September)",
    )
    rainy_season_speed_factor: float = param(
        0.6, unit="factor", gt=0, le=1,
        description="Multiplier on road speeds in the rainy season.",
        source="Timbuktu-Ber 57 km took 51 hours in Aug 2023 (routes.csv); assumption for the average",
    )


class Camps(StrictModel):
    """Garrisons, supplies, rotations and closing moves of MINUSMA camps."""

    strength_scale: float = param(
        0.75, unit="factor", gt=0, le=2,
        description="Multiplier on Geo-PKO garrison estimates, which run above real strength.",
        source="Geo-PKO totals run 20-50% above real strength (shared/data README): 1/1.33",
    )
    supply_kg_per_person_day: float = param(
        25.0, unit="kg/person/day", gt=0,
        description="Supplies (fuel, food, ammunition, spares) a camp consumes per person and day.",
        source="assumption: water produced locally; typical expeditionary consumption 20-40 kg/person/day",
    )
    initial_stock_days: float = param(
        45.0, unit="days", ge=0,
        description="Stock a camp holds at the start of the run.",
        source="assumption: UN camps hold 30-60 days of reserve",
    )
    reorder_stock_days: float = param(
        30.0, unit="days", ge=0,
        description="A camp orders a resupply convoy when its stock plus what is en route falls below this.",
        source="assumption",
    )
    critical_stock_days: float = param(
        10.0, unit="days", ge=0,
        description="Stock below this counts as a camp-day below critical stock (a reported metric).",
        source="assumption",
    )
    target_stock_days: float = param(
        45.0, unit="days", gt=0,
        description="A resupply order tops the camp up to this many days of stock (stock + en route).",
        source="assumption: same as the initial reserve",
    )
    resupply_hubs: tuple[str, ...] = param(
        ("Gao", "Mopti-Sevare", "Bamako"), unit="camp names",
        description="Logistics hubs that send resupply convoys; each camp is served by the nearest one by road.",
        source="MODEL.md (hubs Gao, Mopti-Sevare, Bamako)",
    )
    rotation_interval_days: float = param(
        180.0, unit="days", gt=0,
        description="Interval between troop rotations of a camp's contingents, each a road move from the hub.",
        source="assumption: UN contingents rotate every 6-12 months",
    )
    rotation_share_by_air: float = share(
        0.5, description="Share of rotating troops flown rather than driven (when flights are allowed).",
        source="assumption",
    )
    equipment_tonnes_per_person: float = param(
        3.0, unit="tonnes/person", ge=0,
        description="Equipment (vehicles, containers) a camp must move out when it closes, per person of its garrison.",
        source="assumption: Barkhane moved ~400 containers with 300 troops from Gossi (barkhane.csv)",
    )
    withdrawal_lead_days: float = param(
        60.0, unit="days", ge=0,
        description="How long before its closing date a camp starts moving people and equipment out.",
        source="assumption: 2023 closures were announced 4-10 weeks ahead",
    )
    withdrawal_convoy_interval_days: float = param(
        7.0, unit="days", gt=0,
        description="Interval between withdrawal convoys leaving a closing camp.",
        source="assumption",
    )
    airlift_personnel_share: float = share(
        0.6, description="Share of a closing camp's people flown out (when flights are allowed; the rest go by road).",
        source="assumption",
    )


class Patrols(StrictModel):
    """Patrols from open camps: exposure to threats, and coverage of civilian-threat hotspots."""

    patrols_per_1000_troops_per_day: float = param(
        2.0, unit="patrols/1000 troops/day", ge=0,
        description="Patrols a camp sends out per day per 1,000 troops of its garrison.",
        source="assumption",
    )
    persons_per_patrol: float = param(
        30.0, unit="persons", gt=0,
        description="Personnel in one patrol: the people exposed when a patrol is ambushed or hits an IED.",
        source="assumption: a reinforced platoon in 6-8 vehicles",
    )
    patrol_length_km: float = param(
        40.0, unit="km", gt=0,
        description="Distance driven by one patrol (out and back).",
        source="assumption",
    )
    patrol_reach_km: float = param(
        50.0, unit="km", gt=0,
        description="Hotspot cells within this distance of an open camp count as covered.",
        source="assumption: a day's patrol radius",
    )
    reference_patrol_km_per_day: float = param(
        200.0, unit="km/day", gt=0,
        description="Patrol effort at which a camp's coverage of its hotspots is full; less effort covers proportionally less.",
        source="assumption",
    )
    ied_exposure_factor: float = param(
        0.1, unit="factor", ge=0, le=1,
        description="Patrols meet IEDs on the segments near their camp at this fraction of a convoy's per-km rate.",
        source="assumption: patrols vary routes and move in fewer vehicles",
    )
    hotspot_kinds: tuple[str, ...] = param(
        ("violence_against_civilians",), unit="event kinds",
        description="Kinds of conflict events (hotspots.csv) that mark a civilian-threat hotspot.",
        source="MODEL.md (civilian-threat hotspots)",
    )


class Convoys(StrictModel):
    """Road convoys: size, protection, clearance and crew."""

    tonnes_per_truck: float = param(
        20.0, unit="tonnes", gt=0, description="Cargo per truck.", source="assumption: standard 20 t truck",
    )
    max_trucks_per_convoy: int = param(
        100, unit="trucks", gt=0,
        description="A larger order is split into several convoys.",
        source="Menaka convoys of about 50 vehicles (routes.csv); Gao-Kidal convoys of ~100 trucks (press)",
    )
    escort_vehicles_per_10_trucks: float = param(
        2.0, unit="vehicles", ge=0,
        description="Armed escort vehicles per 10 trucks.",
        source="assumption",
    )
    crew_per_vehicle: float = param(
        3.0, unit="persons", gt=0,
        description="Personnel per vehicle (drivers, escorts): people exposed in an attack.",
        source="assumption",
    )
    passengers_per_truck: float = param(
        20.0, unit="persons", gt=0,
        description="Troops carried per truck on rotation and withdrawal moves.",
        source="assumption: troop-carrying truck",
    )
    incident_delay_days: float = param(
        1.0, unit="days", ge=0,
        description="Days a convoy is held after an IED detonation or an ambush (recovery, investigation).",
        source="assumption",
    )
    vehicle_loss_probability: float = share(
        0.5, description="Chance that an unprotected vehicle is destroyed when a device goes off under it (mine-protected: reduced by ieds.protection_casualty_reduction).",
        source="assumption",
    )
    route_clearance_share: float = share(
        0.5, description="Share of convoys led by route-clearance engineers (raises IED detection).",
        source="assumption",
    )
    min_days_between_convoys: float = param(
        7.0, unit="days", ge=0,
        description="A camp orders at most one resupply convoy in this many days.",
        source="assumption",
    )
    delay_threshold_days: float = param(
        2.0, unit="days", ge=0,
        description="A convoy that arrives this much later than its planned transit counts as delayed.",
        source="assumption",
    )


class Ieds(StrictModel):
    """The IED field: devices on road segments, how they are met, found or set off, and what they do."""

    encounter_probability: float = share(
        0.4, description="Chance that a convoy passing a segment meets one given device on it.",
        source="assumption",
    )
    base_detection_probability: float = share(
        0.3, description="Chance an IED met is found before it goes off, with no training, clearance or surveillance.",
        source="prior: about half of IEDs met were found in 2021 (calibration_targets.yaml)",
    )
    training_detection_bonus: float = share(
        0.25, description="Added detection chance at full counter-IED training (scaled by the contingent's training 0-1).",
        source=ASSUMPTION,
    )
    clearance_detection_bonus: float = share(
        0.2, description="Added detection chance when route-clearance engineers lead the convoy.", source=ASSUMPTION,
    )
    surveillance_detection_bonus: float = share(
        0.15, description="Added detection chance at full air surveillance of the segment.", source=ASSUMPTION,
    )
    max_detection_probability: float = share(
        0.9, description="Ceiling on the chance of finding a device met, whatever the training, clearance and surveillance.",
        source="assumption: even the best-equipped forces miss some devices",
    )
    decay_per_day: float = share(
        0.01, description="Daily chance that an emplaced device is lost (washed out, removed, recovered).",
        source="assumption: devices last months",
    )
    killed_per_detonation: float = param(
        0.5, unit="persons", ge=0,
        description="Mean killed when a device goes off under an unprotected vehicle (negative binomial, see killed_dispersion).",
        source="assumption; calibrated to deaths per year and UNMAS victims (calibration_targets.yaml)",
    )
    killed_dispersion: float = param(
        0.5, unit="negative binomial k", gt=0,
        description="Dispersion of deaths per detonation (negative binomial); smaller k = fewer fatal detonations, more deaths in each.",
        source="deaths cluster in few incidents: 3-10 fatal incidents a year, up to 10 deaths (calibration_targets.yaml)",
    )
    wounded_per_detonation: float = param(
        3.0, unit="persons", ge=0,
        description="Mean wounded when a device goes off under an unprotected vehicle (Poisson).",
        source="about 3.6-4.3 wounded per death (calibration_targets.yaml)",
    )
    protection_casualty_reduction: float = share(
        0.7, description="Share of casualties avoided when the vehicle hit is mine-protected.",
        source="assumption: MRAP-class vehicles cut IED lethality several-fold",
    )


class ArmedGroup(StrictModel):
    """An armed group: where it operates, what it can do, and how it chooses and adapts."""

    name: str = Field("", description="Display name.")
    sectors: tuple[str, ...] = Field(
        ..., min_length=1, description="Sectors of its area of operation (North, East, West, Centre, HQ).",
    )
    active_from: date | None = Field(None, description="First day the group acts (default: start of the run).")
    sector_weights: dict[str, float] = Field(
        default_factory=dict,
        description="Relative weight of the group's effort (IEDs, ambushes, camp attacks) in each of its sectors; "
                    "a sector not listed weighs 1. Unit: relative weight. Source: assumption, set per group in the "
                    "scenario (e.g. JNIM strongest around Kidal, where most deaths fell: calibration_targets.yaml).",
        json_schema_extra={"unit": "relative weight", "source": "assumption"},
    )
    ieds_per_week: float = param(0.5, unit="devices/week", ge=0, description="IEDs laid per week at capacity 1.", source=ASSUMPTION)
    ambushes_per_month: float = param(0.2, unit="attacks/month", ge=0, description="Ambushes on convoys per month at capacity 1.", source=ASSUMPTION)
    indirect_fire_per_month: float = param(2.0, unit="attacks/month", ge=0, description="Rocket or mortar attacks on camps per month at capacity 1.", source="assumption: Kidal and Aguelhok were shelled often (camps.csv)")
    complex_attacks_per_year: float = param(1.5, unit="attacks/year", ge=0, description="Complex (ground assault) attacks on camps per year at capacity 1.", source="e.g. Aguelhok 2019-01-20, Timbuktu 2018-04-14 (camps.csv)")
    capacity_growth_per_year: float = param(0.0, unit="share/year", ge=-1, le=5, description="Relative change of capacity per year (0.1 = +10%/year).", source=ASSUMPTION)
    traffic_memory_days: float = param(30.0, unit="days", gt=0, description="Time scale over which the group learns where traffic passes (exponential memory).", source=ASSUMPTION)
    traffic_preference: float = param(1.0, unit="exponent", ge=0, le=5, description="How strongly IED placement follows learned traffic (0: uniform over the area).", source=ASSUMPTION)
    surveillance_deterrence: float = share(0.6, description="Share of emplacement deterred on a segment under full air surveillance.", source=ASSUMPTION)
    surveillance_relocation_share: float = share(0.5, description="Share of the devices deterred by surveillance that the group lays on unwatched segments instead (the rest are not laid).", source=ASSUMPTION)
    traffic_prior: float = param(0.2, unit="passes/day", ge=0, description="Traffic the group assumes on every segment before it has seen any (keeps untravelled segments possible targets).", source=ASSUMPTION)
    garrison_defence_max: float = share(0.8, description="Ceiling on the share of complex-attack casualties a large garrison avoids.", source=ASSUMPTION)
    air_attrition_per_sortie: float = share(0.002, description="Capacity lost per close-air-support sortie flown against the group.", source=ASSUMPTION)
    ambush_killed_mean: float = param(1.0, unit="persons", ge=0, description="Mean killed in an ambush without air support (negative binomial, see ambush_killed_dispersion).", source=ASSUMPTION)
    ambush_killed_dispersion: float = param(0.5, unit="negative binomial k", gt=0, description="Dispersion of deaths in an ambush (negative binomial); smaller k = heavier tail.", source="deaths cluster in few incidents (calibration_targets.yaml)")
    ambush_wounded_mean: float = param(3.5, unit="persons", ge=0, description="Mean wounded in an ambush without air support (Poisson).", source=ASSUMPTION)
    indirect_fire_killed_mean: float = param(0.03, unit="persons", ge=0, description="Mean killed by one rocket or mortar attack (Poisson).", source="assumption: most attacks cause no casualties")
    indirect_fire_wounded_mean: float = param(0.4, unit="persons", ge=0, description="Mean wounded by one rocket or mortar attack (Poisson).", source=ASSUMPTION)
    complex_attack_killed_mean: float = param(3.5, unit="persons", ge=0, description="Mean killed in a complex attack without air support (negative binomial).", source="fatal incidents with up to 10 deaths (calibration_targets.yaml)")
    complex_attack_killed_dispersion: float = param(1.0, unit="negative binomial k", gt=0, description="Dispersion of deaths in a complex attack; smaller k = heavier tail.", source=ASSUMPTION)
    complex_attack_wounded_per_killed: float = param(3.5, unit="persons/person", ge=0, description="Mean wounded per person killed in a complex attack.", source="about 3.6-4.3 wounded per death (calibration_targets.yaml)")
    garrison_defence_per_1000: float = share(0.2, description="Share of complex-attack casualties avoided per 1,000 troops in the camp (capped at 0.8).", source=ASSUMPTION)


class AirProvider(StrictModel):
    """A provider of air support: surveillance, close air support / quick reaction, medevac."""

    operator: str = Field(..., pattern="^(france|un|contracted)$", description="Who flies: france, un or contracted.")
    active_from: date | None = Field(None, description="First day the provider flies (default: start of the run).")
    active_until: date | None = Field(None, description="Last day the provider flies (default: end of the run).")
    helicopter_bases: tuple[str, ...] = Field((), description="Camps or French bases where its helicopters stand; a base stops serving when it is left or closes.")
    fixed_wing_bases: tuple[str, ...] = Field((), description="Camps or French bases its fighters and drones fly from (may be outside Mali, e.g. Niamey).")
    helicopters: int = param(0, unit="aircraft", ge=0, description="Helicopters stationed per helicopter base; each is serviceable on a given day with helicopter_availability, and a close-air-support mission needs helicopters_per_close_support of them, a medevac flight one.", source=ASSUMPTION)
    helicopter_availability: float = share(0.7, description="Chance that one stationed helicopter is serviceable (mission-capable) on a given day.", source="assumption: military helicopter fleets report mission-capable rates of about 60-75%")
    helicopters_per_close_support: int = param(2, unit="aircraft", ge=1, description="Helicopters one close-air-support or quick-reaction mission needs (attack helicopters fly in pairs).", source="doctrine: attack helicopters operate as a pair (lead and wingman)")
    helicopter_speed_kmh: float = param(230.0, unit="km/h", gt=0, description="Cruise speed of its helicopters.", source="NH90/Tigre/Puma class cruise speeds 230-280 km/h")
    helicopter_readiness_minutes: float = param(30.0, unit="minutes", ge=0, description="Time from request to take-off for a helicopter.", source="assumption: 30-minute alert posture")
    helicopter_range_km: float = param(400.0, unit="km", gt=0, description="Farthest incident a helicopter serves from its base.", source="assumption: combat radius with reserve")
    close_air_support: bool = Field(False, description="Whether it flies close air support / quick reaction for troops in contact.")
    fighter_speed_kmh: float = param(750.0, unit="km/h", gt=0, description="Transit speed of its fighters.", source="Mirage 2000D transit speed")
    fighter_readiness_minutes: float = param(20.0, unit="minutes", ge=0, description="Time from request to take-off for a fighter.", source=ASSUMPTION)
    fighters: bool = Field(False, description="Whether it has fighters on alert at its fixed-wing bases.")
    medevac: bool = Field(False, description="Whether its helicopters fly casualty evacuation.")
    surveillance_sorties_per_day: float = param(0.0, unit="sorties/day", ge=0, description="Drone or aircraft surveillance sorties per day.", source="Barkhane flew 5-6 MQ-9 Reapers from Niamey (french_bases.csv)")
    segments_per_sortie: int = param(8, unit="segments", ge=1, description="Road segments one surveillance sortie watches for a day.", source=ASSUMPTION)
    surveillance_range_km: float = param(1000.0, unit="km", gt=0, description="Farthest segment a surveillance sortie reaches from its base.", source="MQ-9 class endurance")
    subject_to_host_refusal: bool = Field(True, description="Whether the host state's flight refusals and groundings apply to it.")
    approval_share_when_outside: float = share(1.0, description="Share of requests granted once it has no base left in Mali (France after Aug 2022: support only on request).", source="assumption; UNSC res. 2640 renewed MINUSMA without French air support")
    approval_delay_minutes_when_outside: float = param(60.0, unit="minutes", ge=0, description="Extra delay for approval once it has no base left in Mali.", source=ASSUMPTION)

    @model_validator(mode="after")
    def _window_in_order(self) -> AirProvider:
        if self.active_from and self.active_until and self.active_until < self.active_from:
            raise ValueError(f"active_until {self.active_until} is before active_from {self.active_from}")
        return self


class AirSupport(StrictModel):
    """Air providers and how air support changes the outcome of an attack."""

    providers: dict[str, AirProvider] = Field(default_factory=dict, description="Air providers by id (e.g. barkhane, minusma_aviation).")
    casualties_before_support_share: float = share(
        0.5, description="Share of an attack's casualties suffered before any support could arrive.",
        source="assumption: the first minutes of contact are the deadliest",
    )
    support_window_minutes: float = param(
        180.0, unit="minutes", gt=0,
        description="Support arriving later than this after the start of an attack no longer reduces casualties (the factor rises linearly from casualties_before_support_share at arrival 0 to 1 at this time).",
        source="Timbuktu camp attack 2018-04-14 lasted over 4 hours with French air support (shared/data README)",
    )
    rainy_season_helicopter_speed_factor: float = param(
        0.85, unit="factor", gt=0, le=1,
        description="Multiplier on helicopter block speed in the rainy season (storms, dust, detours).",
        source="MODEL.md (rainy season slows helicopters); assumption for the size",
    )
    surveillance_priority_memory_days: float = param(
        30.0, unit="days", gt=0,
        description="Surveillance is allocated to the segments with most MINUSMA traffic, remembered over this time scale.",
        source="assumption",
    )


class Medical(StrictModel):
    """The medical chain: from wounding to surgery, and the chance of dying of wounds on the way."""

    dow_max_probability: float = share(
        0.3, description="Chance of dying of wounds for a wounded person who never reaches surgery (curve ceiling).",
        source="calibrated against Kotwal et al. 2016 (golden hour): case fatality 13.7% -> 7.6% as transport fell 90 -> 43 min",
    )
    dow_time_constant_minutes: float = param(
        240.0, unit="minutes", gt=0,
        description="Time constant of p(die of wounds) = max * (1 - exp(-t / tau)), t = minutes to surgery.",
        source="Kotwal et al., JAMA Surgery 2016; UN 10-1-2 standard (surgery within 2 h)",
    )
    ground_evacuation_speed_kmh: float = param(
        40.0, unit="km/h", gt=0, description="Road evacuation speed to the nearest surgical unit.", source=ASSUMPTION,
    )
    ground_route_factor: float = param(
        1.3, unit="factor", ge=1,
        description="Road km per straight-line km for ground evacuation.",
        source="routes.csv: straight-line x 1.1-1.2 where not sourced; tracks wind more",
    )
    request_minutes: float = param(
        15.0, unit="minutes", ge=0, description="Time to raise and approve a medevac request inside the mission.",
        source="assumption; NH90 medevac approval delays of hours were reported (shared/data README)",
    )
    medical_capability_effect: float = share(
        0.3, description="Share of the dying-of-wounds risk removed at full contingent medical capability (first aid, damage control).",
        source=ASSUMPTION,
    )


class HostState(StrictModel):
    """The host state's hold over movement: refused flights, groundings, road restrictions (events change these)."""

    flight_refusal_share: float = share(
        0.0, description="Share of flight requests refused at the start of the run (events change it).",
        source="24.1% refused in early 2023 (timeline.csv, UN SG report)",
    )
    refusal_delay_minutes: float = param(
        0.0, unit="minutes", ge=0, description="Extra delay on approved flights from host-state clearance.", source=ASSUMPTION,
    )


class ContingentOverride(StrictModel):
    """Scenario changes to a contingent's profile (e.g. training and protected vehicles for the most exposed)."""

    vehicle_protection_share: float | None = Field(None, ge=0, le=1, description="Share of mine-protected vehicles (0-1).")
    counter_ied_training: float | None = Field(None, ge=0, le=1, description="Counter-IED training level (0-1).")
    medical_capability: float | None = Field(None, ge=0, le=1, description="Medical capability (0-1).")

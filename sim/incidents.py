"""Incidents: what happens when a device goes off, a convoy or patrol is ambushed, or a camp is attacked.

Each incident draws casualties (killed in action, wounded), asks the air providers for close support where it
can help, evacuates the wounded (time to surgery -> died of wounds, ``medical.py``) and writes one row of the
incident log. Casualties never exceed the people exposed (convoy crew and passengers, patrol, garrison).

Air support factor on an attack's casualties (``air_support_factor``): a share ``casualties_before_support_share``
happens before anyone could arrive; the rest is avoided in proportion to how early support arrives inside
``support_window_minutes``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.air_support import Response
from sim.armed_group import camp_attack_weights, garrison_defence_factor
from sim.ied import detection_probability, detonation_casualty_means, meet_probability
from sim.medical import air_medevac_minutes, ground_minutes, p_die_of_wounds
from sim.roads import km_between

MINUTES_1H, MINUTES_2H = 60.0, 120.0


def clustered_deaths(rng: np.random.Generator, mean: float, dispersion: float) -> int:
    """Deaths in one incident: negative binomial with mean ``mean`` and shape ``dispersion`` (k).

    The record's deaths are clustered: 3-10 fatal incidents a year, the worst with up to 10 deaths. A Poisson draw
    spreads the same mean over many one-death incidents; a small k makes most incidents harmless and a few deadly
    (variance mean + mean^2 / k).
    """
    if mean <= 0:
        return 0
    return int(rng.negative_binomial(dispersion, dispersion / (dispersion + mean)))


def air_support_factor(arrival_minutes: float | None, *, before_share: float, window_minutes: float) -> float:
    """Multiplier on an attack's casualties given when support arrives (None/NaN: no support, factor 1)."""
    if arrival_minutes is None or math.isnan(arrival_minutes):
        return 1.0
    return before_share + (1.0 - before_share) * min(1.0, arrival_minutes / window_minutes)


class IncidentResolver:
    def __init__(self, model):
        self.m = model
        self.rng_convoys = model.streams["convoys"]
        self.rng_patrols = model.streams["patrols"]
        self.rng_groups = model.streams["armed_groups"]
        self.rng_air = model.streams["air"]
        self.rng_medical = model.streams["medical"]
        self.segment_group = np.full(model.roads.n, "", dtype=object)
        for group in model.groups:
            self.segment_group[group.segments] = group.group_id

    # --- air ----------------------------------------------------------------------------------------------------
    def request_support(self, lat: float, lon: float, group) -> float:
        """Close air support / quick reaction: minutes until the fastest granted provider arrives (NaN: none)."""
        m, rec = self.m, self.m.recorder
        best, best_provider, refused = None, None, False
        for provider in m.air:
            response = provider.close_support(lat, lon, m.today, m.rainy, self.rng_air)
            if response is None:
                continue
            if math.isnan(response.minutes):
                refused = True
            elif best is None or response.minutes < best.minutes:
                best, best_provider = response, provider
        if best is None and not refused:
            return float("nan")               # nobody could have come: not a request
        rec.add("air_requests", 1)
        if best is None:
            rec.add("air_refused", 1)
            return float("nan")
        best_provider.task(best)
        rec.add("air_served", 1)
        rec.add("air_response_minutes_sum", best.minutes)
        rec.add("air_response_count", 1)
        if group is not None:
            group.attrite(1)
        return best.minutes

    def surgical_units(self) -> list[tuple[float, float]]:
        m = self.m
        units = [(c.lat, c.lon) for c in m.camps if c.medical_unit and c.is_open(m.today)]
        gao = m.theatre.french_bases.get("Gao")
        if gao is not None and "Gao" not in m.french_bases_left and any(
                p.french and p.active(m.today) for p in m.air):
            units.append((gao.lat, gao.lon))          # French Role 2 at Gao while France is there
        return units

    def evacuate(self, lat: float, lon: float, wounded: int, capability: float) -> tuple[int, float]:
        """Evacuate the wounded of one incident: (died of wounds, minutes to surgery)."""
        if wounded <= 0:
            return 0, float("nan")
        m, rec, med = self.m, self.m.recorder, self.m.params.medical
        units = self.surgical_units()
        if units:
            ulat = np.array([u[0] for u in units])
            ulon = np.array([u[1] for u in units])
            dist = km_between(lat, lon, ulat, ulon)
            nearest = int(np.argmin(dist))
            to_surgery_km = float(dist[nearest])
            minutes = ground_minutes(to_surgery_km, speed_kmh=med.ground_evacuation_speed_kmh,
                                     route_factor=med.ground_route_factor, request_minutes=med.request_minutes)
        else:
            to_surgery_km, minutes = float("nan"), float("inf")
        if units:
            requested = False
            for provider in m.air:
                options = provider.medevac_options(lat, lon, m.today, m.rainy)
                if not options:
                    continue
                requested = True
                granted, delay = provider._granted(m.today, True, self.rng_air)
                if not granted:
                    continue
                base, km, speed = min(options, key=lambda o: (o[1], o[0].name))
                by_air = air_medevac_minutes(km, to_surgery_km, speed_kmh=speed,
                                             readiness_minutes=provider.spec.helicopter_readiness_minutes,
                                             request_minutes=med.request_minutes, extra_delay_minutes=delay)
                provider.task(Response(provider.provider_id, base, by_air, helicopters=1))
                rec.add("air_served", 1)
                minutes = min(minutes, by_air)
                break
            else:
                if requested:
                    rec.add("air_refused", 1)
            if requested:
                rec.add("air_requests", 1)
        if math.isinf(minutes):
            p = med.dow_max_probability * (1.0 - med.medical_capability_effect * capability)
        else:
            p = p_die_of_wounds(minutes, max_probability=med.dow_max_probability,
                                time_constant_minutes=med.dow_time_constant_minutes, medical_capability=capability,
                                capability_effect=med.medical_capability_effect)
        died = int(self.rng_medical.binomial(wounded, p))
        if minutes <= MINUTES_1H:
            rec.add("medevac_within_1h", wounded)
        if minutes <= MINUTES_2H:
            rec.add("medevac_within_2h", wounded)
        return died, (minutes if not math.isinf(minutes) else float("nan"))

    def record(self, *, kind: str, target: str, lat: float, lon: float, place: str, sector: str, group: str,
               contingent: str, killed: int, wounded: int, support: float, home_sector: str) -> None:
        capability = self.m.profile(contingent).medical_capability
        died, minutes = self.evacuate(lat, lon, wounded, capability)
        self.m.recorder.incident(self.m.today, lat, lon, place, sector, kind, group, contingent, target, killed,
                                 wounded, died, support, minutes, north=home_sector == "North")

    # --- IEDs ---------------------------------------------------------------------------------------------------
    def _detonation(self, rng, protection: float, exposed: float) -> tuple[int, int, bool]:
        p = self.m.params.ieds
        protected = bool(rng.random() < protection)
        k_mean, w_mean = detonation_casualty_means(killed_mean=p.killed_per_detonation,
                                                   wounded_mean=p.wounded_per_detonation, protected=protected,
                                                   protection_reduction=p.protection_casualty_reduction)
        killed = min(clustered_deaths(rng, k_mean, p.killed_dispersion), int(exposed))
        wounded = min(int(rng.poisson(w_mean)), int(exposed) - killed)
        return killed, wounded, protected

    def ied_outcomes(self, convoy, segs: np.ndarray, found: np.ndarray, detonated: np.ndarray) -> None:
        m, rec, roads = self.m, self.m.recorder, self.m.roads
        for i in np.flatnonzero(found + detonated):
            s = int(segs[i])
            place, lat, lon, sector = roads.name[s], float(roads.lat[s]), float(roads.lon[s]), roads.sector[s]
            group = self.segment_group[s]
            rec.add("ied_met", int(found[i] + detonated[i]))
            for _ in range(int(found[i])):
                rec.add("ied_found", 1)
                self.record(kind="ied_found", target="convoy", lat=lat, lon=lon, place=place, sector=sector,
                            group=group, contingent=convoy.contingent, killed=0, wounded=0, support=float("nan"),
                            home_sector=convoy.camp.sector)
            for _ in range(int(detonated[i])):
                rec.add("ied_detonated", 1)
                killed, wounded, protected = self._detonation(self.rng_convoys, convoy.profile.vehicle_protection_share,
                                                              convoy.persons)
                p_loss = m.params.convoys.vehicle_loss_probability
                if protected:
                    p_loss *= 1.0 - m.params.ieds.protection_casualty_reduction
                if self.rng_convoys.random() < p_loss:
                    rec.add("vehicles_lost", convoy.lose_vehicles(1))
                convoy.persons -= killed
                convoy.hold()
                if not convoy.attacked:
                    convoy.attacked = True
                    rec.add("convoys_attacked", 1)
                self.record(kind="ied_detonation", target="convoy", lat=lat, lon=lon, place=place, sector=sector,
                            group=group, contingent=convoy.contingent, killed=killed, wounded=wounded,
                            support=float("nan"), home_sector=convoy.camp.sector)

    def patrols_meet_ieds(self, patrol_km: np.ndarray, passes: np.ndarray) -> None:
        """Patrol passes near camps meet devices; each outcome is attributed to a camp by its share of the passes."""
        m, p = self.m, self.m.params
        segs = np.flatnonzero(passes > 0)
        if not m.ieds.count[segs].any():
            return
        p_meet = meet_probability(p.ieds.encounter_probability * p.patrols.ied_exposure_factor, passes[segs])
        by_camp = patrol_km[:, None] * m.patrols.share[:, segs]            # camp x segment patrol-km

        def p_detect():
            training = np.array([c.training for c in m.camps])
            seg_training = (training @ by_camp) / np.maximum(by_camp.sum(axis=0), 1e-12)
            return detection_probability(
                base=p.ieds.base_detection_probability, training=seg_training,
                training_bonus=p.ieds.training_detection_bonus, clearance=False, clearance_bonus=0.0,
                surveillance=m.surveillance[segs], surveillance_bonus=p.ieds.surveillance_detection_bonus,
                maximum=p.ieds.max_detection_probability)
        found, detonated = m.ieds.meet(segs, p_meet, p_detect)
        rec, roads = m.recorder, m.roads
        for i in np.flatnonzero(found + detonated):
            s = int(segs[i])
            weights = by_camp[:, i]
            camp = m.camps[int(self.rng_patrols.choice(len(m.camps), p=weights / weights.sum()))]
            contingent = camp.pick_contingent()
            profile = m.profile(contingent)
            place, lat, lon, sector = roads.name[s], float(roads.lat[s]), float(roads.lon[s]), roads.sector[s]
            rec.add("ied_met", int(found[i] + detonated[i]))
            for _ in range(int(found[i])):
                rec.add("ied_found", 1)
                self.record(kind="ied_found", target="patrol", lat=lat, lon=lon, place=place, sector=sector,
                            group=self.segment_group[s], contingent=contingent, killed=0, wounded=0,
                            support=float("nan"), home_sector=camp.sector)
            for _ in range(int(detonated[i])):
                rec.add("ied_detonated", 1)
                killed, wounded, _ = self._detonation(self.rng_patrols, profile.vehicle_protection_share,
                                                      p.patrols.persons_per_patrol)
                self.record(kind="ied_detonation", target="patrol", lat=lat, lon=lon, place=place, sector=sector,
                            group=self.segment_group[s], contingent=contingent, killed=killed, wounded=wounded,
                            support=float("nan"), home_sector=camp.sector)

    # --- attacks ------------------------------------------------------------------------------------------------
    def ambush(self, group) -> None:
        """Ambush a convoy on the road in the group's area today; failing that, a patrol near a camp in its area."""
        m, rng, spec = self.m, self.rng_groups, group.spec
        in_area = [c for c in m.convoys if len(c.today_segments) and
                   (self.segment_group[c.today_segments] == group.group_id).any()]
        if in_area:
            w = np.array([group.camp_weight.get(c.camp.name, 1.0) if c.camp in group.camps else 1.0 for c in in_area])
            convoy = in_area[int(rng.choice(len(in_area), p=w / w.sum()))]
            segs = convoy.today_segments[self.segment_group[convoy.today_segments] == group.group_id]
            s = int(segs[int(rng.integers(len(segs)))])
            lat, lon = float(m.roads.lat[s]), float(m.roads.lon[s])
            place, sector, exposed, contingent = m.roads.name[s], m.roads.sector[s], convoy.persons, convoy.contingent
            home, target = convoy.camp.sector, "convoy"
            if not convoy.attacked:
                convoy.attacked = True
                m.recorder.add("convoys_attacked", 1)
            convoy.hold()
        else:
            camps = [(i, c) for i, c in enumerate(m.camps) if c in group.camps and c.is_open(m.today)
                     and m.patrol_km_by_camp[i] > 0]
            if not camps:
                return
            weights = np.array([m.patrol_km_by_camp[i] * group.camp_weight[c.name] for i, c in camps])
            _, camp = camps[int(rng.choice(len(camps), p=weights / weights.sum()))]
            lat, lon, place, sector = camp.lat, camp.lon, camp.name, camp.sector
            exposed, contingent, home, target = m.params.patrols.persons_per_patrol, camp.pick_contingent(), camp.sector, "patrol"
        support = self.request_support(lat, lon, group)
        air = m.params.air_support
        factor = air_support_factor(support, before_share=air.casualties_before_support_share,
                                    window_minutes=air.support_window_minutes)
        killed = min(int(rng.binomial(clustered_deaths(rng, spec.ambush_killed_mean, spec.ambush_killed_dispersion), factor)),
                     int(exposed))
        wounded = min(int(rng.poisson(spec.ambush_wounded_mean * factor)), int(exposed) - killed)
        self.record(kind="ambush", target=target, lat=lat, lon=lon, place=place, sector=sector, group=group.group_id,
                    contingent=contingent, killed=killed, wounded=wounded, support=support, home_sector=home)

    def camp_attack(self, group, kind: str) -> None:
        """Indirect fire (rockets, mortars) or a complex attack on an open camp in the group's area."""
        m, rng, spec = self.m, self.rng_groups, group.spec
        camps = [(i, c) for i, c in enumerate(m.camps) if c in group.camps and c.is_open(m.today) and c.persons >= 1]
        if not camps:
            return
        garrison = np.array([c.persons for _, c in camps])
        watch = np.array([m.camp_surveillance(i) for i, _ in camps])
        weights = camp_attack_weights(garrison, watch, spec.surveillance_deterrence, prefer_small=kind == "complex_attack")
        weights = weights * np.array([group.camp_weight[c.name] for _, c in camps])
        if weights.sum() <= 0:
            return
        _, camp = camps[int(rng.choice(len(camps), p=weights / weights.sum()))]
        exposed = int(camp.persons)
        if kind == "indirect_fire":
            support = float("nan")
            killed = min(int(rng.poisson(spec.indirect_fire_killed_mean)), exposed)
            wounded = min(int(rng.poisson(spec.indirect_fire_wounded_mean)), exposed - killed)
        else:
            support = self.request_support(camp.lat, camp.lon, group)
            air = m.params.air_support
            factor = air_support_factor(support, before_share=air.casualties_before_support_share,
                                        window_minutes=air.support_window_minutes)
            factor *= garrison_defence_factor(camp.persons, spec.garrison_defence_per_1000, spec.garrison_defence_max)
            base = clustered_deaths(rng, spec.complex_attack_killed_mean, spec.complex_attack_killed_dispersion)
            killed = min(int(rng.binomial(base, factor)), exposed)
            wounded = min(int(rng.poisson(base * spec.complex_attack_wounded_per_killed * factor)), exposed - killed)
        if killed == 0 and wounded == 0 and kind == "indirect_fire":
            return                                    # harmless shelling: not logged as an incident
        self.record(kind=kind, target="camp", lat=camp.lat, lon=camp.lon, place=camp.name, sector=camp.sector,
                    group=group.group_id, contingent=camp.pick_contingent(), killed=killed, wounded=wounded,
                    support=support, home_sector=camp.sector)

"""Attacks by armed groups: ambushes on convoys and patrols, indirect fire and complex attacks on camps.

The group decides how many attacks it mounts today (``armed_group.py``); this module resolves each one with the
group's own random numbers (decisions ``<group>.ambush``, ``<group>.indirect_fire``, ``<group>.complex_attack``, a
block per event: the group's k-th attack draws the same numbers in every scenario, ``streams.py``): the target,
close air support (``AirSupport.close_support``), and the casualties. The target of an ambush is an exponential race
among today's convoys and patrols in the area, each drawing from its own block of ``<group>.ambush_target`` (keyed by
the day and the convoy or the patrolling camp), so that the same convoy is hit in two scenarios that both have it on
the road, whatever other traffic they have.

- Ambush: on a convoy or a patrol, in proportion to the ambush rate each kind of traffic carries
  (``armed_group.plan_ambushes``): a convoy on the road in the group's area today, weighted by the sector-weighted
  km it drove there, at one of those segments; or a patrol of an open camp of the area that patrolled yesterday,
  weighted by its patrol-km x sector weight. Killed ~ Binomial(NegBin(mean, k), air factor), wounded ~
  Poisson(mean x air factor), capped by the people exposed.
- Indirect fire: an open camp, less watched camps preferred; killed and wounded ~ Poisson. Harmless shelling is
  not logged.
- Complex attack: an open camp, less watched and smaller garrisons preferred; deaths ~ NegBin(mean, k) thinned by
  the air factor and the garrison's defence, wounded ~ Poisson(deaths x wounded per killed x factors).

Air factor: ``air_support.air_support_factor`` (the share of casualties avoided grows as support arrives earlier).
"""

from __future__ import annotations

import math

import numpy as np

from sim.air_support import air_support_factor
from sim.armed_group import camp_attack_weights, garrison_defence_factor, race, race_winner
from sim.incidents import at_camp, at_segment, clustered_deaths, poisson_count, thinned
from sim.streams import entity_code


class Attacks:
    """Resolves the attacks armed groups mount (see module docstring)."""

    def __init__(self, model):
        self.model = model
        self.segment_group = np.full(model.roads.n, "", dtype=object)
        for group in model.groups:
            self.segment_group[group.segments] = group.group_id
        # Indices (in model.camps) of each group's camps: both lists are fixed when the model is built.
        self.camps_of = {group.group_id: [i for i, c in enumerate(model.camps) if c in group.camps]
                         for group in model.groups}

    def _support(self, lat: float, lon: float, group) -> tuple[float, float]:
        """(arrival minutes or NaN, casualty factor): close air support over the attack, attriting the group."""
        m = self.model
        arrival = m.air.close_support(lat, lon)
        if arrival == arrival:
            group.attrite(1)
        air = m.params.air_support
        return arrival, air_support_factor(arrival, before_share=air.casualties_before_support_share,
                                           window_minutes=air.support_window_minutes)

    def ambush(self, group) -> None:
        m, spec = self.model, group.spec
        targets = []                                  # (weight, block, convoy or None, its segments or camp)
        for convoy in m.logistics.convoys:
            mine = convoy.today_segments[self.segment_group[convoy.today_segments] == group.group_id]
            if len(mine):
                km = float(m.roads.length_km[mine] @ group.segment_weight_of(mine))
                targets.append((km * spec.ambushes_per_1000_convoy_km, convoy.key, convoy, mine))
        for i in self.camps_of[group.group_id]:
            camp = m.camps[i]
            if camp.open and m.patrols.km_by_camp[i] > 0:
                km = m.patrols.km_by_camp[i] * group.camp_weight[camp.name]
                targets.append((km * spec.ambushes_per_1000_patrol_km, entity_code("patrol", camp.name), None, camp))
        target = self._race(group.ambush_target, [t[:2] for t in targets])
        if target is None:
            return
        _, block, convoy, place = targets[target]
        pick_rng = group.ambush_target.generator(block)   # the winner's block, where its race draw left it
        if convoy is not None:
            where = at_segment(m, int(place[int(pick_rng.integers(len(place)))]), group.group_id)
            exposed, contingent, camp, kind = convoy.persons, convoy.contingent, convoy.camp, "convoy"
            convoy.ambushed()
        else:
            camp = place
            where = at_camp(camp, group.group_id)
            exposed, contingent, kind = m.params.patrols.persons_per_patrol, camp.pick_contingent(pick_rng), "patrol"
        rng, incident = group.ambush_draws.next_event_and_code()   # the group's k-th ambush: its casualties
        support, factor = self._support(where.lat, where.lon, group)
        killed = min(thinned(rng, clustered_deaths(rng, spec.ambush_killed_mean, spec.ambush_killed_dispersion),
                             factor), int(exposed))
        wounded = min(poisson_count(rng, spec.ambush_wounded_mean * factor), int(exposed) - killed)
        deaths = m.incidents.record(kind="ambush", target=kind, where=where, contingent=contingent, killed=killed,
                                    wounded=wounded, camp=camp, incident=incident, support=support)
        if convoy is not None:
            convoy.casualties(killed, deaths, wounded, incident)

    @staticmethod
    def _race(decision, candidates: list[tuple[float, int]]) -> int | None:
        """The index of the candidate (weight, block) that wins today's exponential race, each candidate drawing
        from its own block of ``decision`` (``streams.py``): a convoy that is on the road in both scenarios keeps
        its number, so the same convoy is ambushed unless the change concerns it or a closer rival. None when no
        candidate has weight."""
        weights = [weight for weight, _ in candidates]
        clocks = [decision.generator(block).exponential() if weight > 0 else math.inf for weight, block in candidates]
        return race_winner(clocks, weights)

    def _target_camp(self, group, rng, prefer_small: bool):
        """The camp attacked: an exponential race over every camp of the theatre (weight 0 for those closed, empty or
        outside the group's area), so that the same numbers pick the same camp unless the change concerns it."""
        m = self.model
        camps = m.camps
        eligible = [i for i in self.camps_of[group.group_id] if camps[i].open and camps[i].persons >= 1]
        if not eligible:
            return None
        weights = np.zeros(len(camps))
        garrison = np.array([camps[i].persons for i in eligible])
        surveillance = m.air.surveillance
        watch = np.array([m.patrols.camp_surveillance(i, surveillance) for i in eligible])
        weights[eligible] = (camp_attack_weights(garrison, watch, group.spec.surveillance_deterrence, prefer_small)
                             * group.camp_weights_by_index[eligible])
        if weights.sum() <= 0:
            return None
        return m.camps[race(rng, weights)]

    def indirect_fire(self, group) -> None:
        m, spec = self.model, group.spec
        rng, incident = group.fire_draws.next_event_and_code()   # the group's k-th attack of this kind
        camp = self._target_camp(group, rng, prefer_small=False)
        if camp is None:
            return
        exposed = int(camp.persons)
        killed = min(poisson_count(rng, spec.indirect_fire_killed_mean), exposed)
        wounded = min(poisson_count(rng, spec.indirect_fire_wounded_mean), exposed - killed)
        if killed == 0 and wounded == 0:
            return                                    # harmless shelling: not logged as an incident
        m.incidents.record(kind="indirect_fire", target="camp", where=at_camp(camp, group.group_id),
                           contingent=camp.pick_contingent(rng), killed=killed, wounded=wounded, camp=camp,
                           incident=incident)

    def complex_attack(self, group) -> None:
        m, spec = self.model, group.spec
        rng, incident = group.assault_draws.next_event_and_code()   # the group's k-th attack of this kind
        camp = self._target_camp(group, rng, prefer_small=True)
        if camp is None:
            return
        exposed = int(camp.persons)
        support, factor = self._support(camp.lat, camp.lon, group)
        factor *= garrison_defence_factor(camp.persons, spec.garrison_defence_per_1000, spec.garrison_defence_max)
        base = clustered_deaths(rng, spec.complex_attack_killed_mean, spec.complex_attack_killed_dispersion)
        killed = min(thinned(rng, base, factor), exposed)
        wounded = min(poisson_count(rng, base * spec.complex_attack_wounded_per_killed * factor), exposed - killed)
        m.incidents.record(kind="complex_attack", target="camp", where=at_camp(camp, group.group_id),
                           contingent=camp.pick_contingent(rng), killed=killed, wounded=wounded, camp=camp,
                           incident=incident, support=support)

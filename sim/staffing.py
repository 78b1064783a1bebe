"""The staffing calculator: the smallest roster per half-hour that meets a service-level target.

A workforce planner's method (the stationary independent period-by-period approach): take each
half-hour of the week on its own, treat it as the textbook queue with that half-hour's mean arrival
rate, and find the fewest agents whose exact Erlang A figures (Erlang C without patience) meet the
target: service level P(answered within the threshold) at least the target, and optionally
P(abandon) at most a maximum. Shrinkage then turns agents needed on the phones into agents to
roster: the smallest N with round(N x (1 - shrinkage)) >= agents needed.

From a scenario, per agent group:

- demand: every reason's mean rate in that half-hour (daily volume x weekday weight x intraday
  share; no busyness, it has mean 1; nothing while the centre is closed). With a customer
  population the daily volume is the expected first contacts of the reason's root causes and value
  demand (rate per 1000 x customers x mean segment factor x contact probability, less web
  deflection; new defects at their expected number half-way through the run); incidents, repeat
  contacts and redials are not planned for, as a planner would not;
- each queue is planned by its *primary* group: the group that lists it first in ``serves`` (or,
  if none does, the first group that serves it); a group plans its primary queues pooled;
- handle time: the rate-weighted mean over the reasons of talk (``handle_time_by_reason`` or
  ``handle_time``), plus the mean consult hold and after-call work, as Erlang's exponential AHT;
- patience: the rate-weighted mean patience of the callers, as Erlang A's exponential patience
  (Erlang C if any of them never abandons).

Simulating the plan then shows the gap between Erlang's idealisation and reality (overdispersed
days, lognormal handle times, Weibull patience, skills and rosters that change on the half-hour).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.calendar import DAYS, SLOT, SLOTS_PER_DAY, OpeningHours, intraday_shares, weekday_weights
from sim.erlang import erlang_a, erlang_c
from sim.roster import available_agents
from sim.scenario import Scenario
from sim.units import DAY, HOUR


@dataclass(frozen=True)
class Target:
    """What the plan must meet in every half-hour with demand."""

    service_level: float
    """Share answered within the threshold."""
    threshold_s: float
    """The threshold, seconds."""
    max_abandon: float | None = None
    """Maximum Erlang A abandonment, or ``None``."""


_NEEDED: dict[tuple, int] = {}
"""Answers by ``(rate, aht_s, patience_s, target)``, shared by :func:`agents_needed` and
:func:`agents_needed_for` (emptied when it holds 65,536)."""


def _remember(key: tuple, answer: int) -> int:
    if len(_NEEDED) >= 65536:
        _NEEDED.clear()
    _NEEDED[key] = answer
    return answer


def agents_needed(rate: float, aht_s: float, patience_s: float, target: Target, limit: int = 100_000) -> int:
    """The fewest agents on the phones meeting *target* for Poisson *rate* (per second), mean
    handle time *aht_s* and mean patience *patience_s* (``inf``: Erlang C)."""
    key = (rate, aht_s, patience_s, target)
    answer = _NEEDED.get(key)
    return answer if answer is not None else _remember(key, _fewest_agents(rate, aht_s, patience_s, target, 0, limit))


def _fewest_agents(rate: float, aht_s: float, patience_s: float, target: Target, lower: int,
                   limit: int = 100_000) -> int:
    """:func:`agents_needed`, given that at least *lower* agents are needed (the search does not
    look below it)."""
    if rate <= 0:
        return 0
    load = rate * aht_s
    # start near the square-root staffing rule (load + beta sqrt(load), beta about 1 for 80/20):
    # a step or two from the answer, instead of ten
    agents = max(1, int(load + 0.5 * math.sqrt(load)))
    if not math.isfinite(patience_s):
        agents = max(agents, int(math.floor(load)) + 1)
    floor = max(int(math.floor(load)) + 1 if not math.isfinite(patience_s) else 1, lower)
    agents = max(agents, floor)

    def meets(n: int) -> bool:
        if math.isfinite(patience_s):
            figures = erlang_a(rate, aht_s, n, patience_s, target.threshold_s)
            if target.max_abandon is not None and figures.p_abandon > target.max_abandon:
                return False
        else:
            figures = erlang_c(rate, aht_s, n, target.threshold_s)
        return figures.service_level >= target.service_level - 1e-12

    if meets(agents):
        while agents > floor and meets(agents - 1):
            agents -= 1
        return agents
    agents += 1
    while not meets(agents):
        agents += 1
        if agents > limit:
            raise ValueError(f"no staffing up to {limit} agents meets the target")
    return agents


def agents_needed_for(rates, aht_s: float, patience_s: float, target: Target) -> list[int]:
    """:func:`agents_needed` of each of *rates*, in about half the Erlang evaluations: the rates
    are taken in increasing order, and more demand never needs fewer agents (the service level
    falls and abandonment rises with the arrival rate), so each search starts from the answer
    of the rate below."""
    needed = [0] * len(rates)
    lower = 0
    for index in sorted(range(len(rates)), key=lambda i: rates[i]):
        rate = float(rates[index])
        if rate <= 0:
            continue
        key = (rate, aht_s, patience_s, target)
        answer = _NEEDED.get(key)
        if answer is None:
            answer = _remember(key, _fewest_agents(rate, aht_s, patience_s, target, lower))
        needed[index] = answer
        lower = max(lower, answer)
    return needed


def rostered_for(needed: int, shrinkage: float) -> int:
    """The fewest rostered agents leaving *needed* on the phones after shrinkage."""
    if needed <= 0:
        return 0
    rostered = max(needed, int(math.floor(needed / (1 - shrinkage))) - 1)
    while available_agents(rostered, shrinkage) < needed:
        rostered += 1
    while rostered > 0 and available_agents(rostered - 1, shrinkage) >= needed:
        rostered -= 1
    return rostered


@dataclass
class GroupPlan:
    """The plan of one agent group."""

    group: str
    queues: list[str]
    """Queues this group plans for (its primary queues)."""
    rate: np.ndarray = field(repr=False)
    """7 x 48 arrival rates per second."""
    aht_s: float
    patience_s: float
    needed: np.ndarray = field(repr=False)
    """7 x 48 agents needed on the phones."""
    rostered: np.ndarray = field(repr=False)
    """7 x 48 agents to roster."""

    def rostered_hours_per_week(self) -> float:
        return float(self.rostered.sum()) * SLOT / HOUR


@dataclass
class StaffingPlan:
    """A staffing plan for every group of a scenario."""

    target: Target
    groups: dict[str, GroupPlan]
    unplanned: list[str]
    """Groups that are no queue's primary group (their roster is left as it is)."""
    fte_hours_per_week: float

    def fte(self, group: str) -> float:
        return self.groups[group].rostered_hours_per_week() / self.fte_hours_per_week

    def fte_total(self) -> float:
        return sum(self.fte(name) for name in self.groups)


def primary_group(scenario: Scenario, queue: str) -> str:
    """The group that plans *queue*: the first listing it first, else the first serving it."""
    for name, group in scenario.agents.items():
        if group.serves[0] == queue:
            return name
    for name, group in scenario.agents.items():
        if queue in group.serves:
            return name
    raise ValueError(f"no group serves queue {queue!r}")  # pragma: no cover - validated earlier


def daily_volume(scenario: Scenario, reason: str) -> float:
    """Expected first contacts of *reason* on a day of weight 1: its own rate, or, with customers,
    what its root causes, new defects and value demand produce at the start of the run."""
    if scenario.customers is None:
        return scenario.demand[reason].daily_volume
    customers = scenario.customers
    segments = customers.segments
    factor = 1.0 if segments is None else sum(s.share * s.problem_factor for s in segments.values())
    per_day = customers.count / 1000 * factor
    volume = 0.0
    for cause in scenario.root_causes.values():
        if cause.reason == reason and cause.appears < scenario.horizon:
            volume += cause.per_1000_per_day * cause.contact_probability
    web = scenario.web_self_service.deflection.get(reason, 0.0)
    for value in scenario.value_demand.values():
        if value.reason == reason:
            volume += value.per_1000_per_day * value.contact_probability * (1 - web)
    template = scenario.new_causes
    if template is not None and reason in template.reasons and sum(template.reasons.values()) > 0:
        expected_alive = template.per_30_days * scenario.horizon / (30 * DAY) / 2
        share = template.reasons[reason] / sum(template.reasons.values())
        volume += expected_alive * share * template.per_1000_per_day.mean_value * template.contact_probability
    return volume * per_day


def half_hour_rates(scenario: Scenario, reason: str) -> np.ndarray:
    """7 x 48 mean arrival rates per second of *reason* (zero while the centre is closed)."""
    spec = scenario.demand[reason]
    calendar = scenario.calendar
    intraday = spec.intraday if spec.intraday is not None else calendar.intraday
    weekday = spec.weekday if spec.weekday is not None else calendar.weekday
    rates = daily_volume(scenario, reason) * np.outer(weekday_weights(weekday), intraday_shares(intraday)) / SLOT
    if calendar.opening_hours is not None:
        hours = OpeningHours(calendar.opening_hours)
        open_share = np.array([[_open_share(hours, day * DAY + slot * SLOT) for slot in range(SLOTS_PER_DAY)]
                               for day in range(7)])
        rates = rates * open_share
    return rates


def _open_share(hours: OpeningHours, start: float, steps: int = 30) -> float:
    """Share of the half-hour from *start* during which the centre is open (minute resolution)."""
    return sum(hours.is_open(start + (k + 0.5) * SLOT / steps) for k in range(steps)) / steps


def plan(scenario: Scenario, target: Target | None = None) -> StaffingPlan:
    """The staffing plan of *scenario* for *target* (default: the scenario's ``staffing``)."""
    if target is None:
        target = Target(scenario.staffing.service_level, scenario.threshold(), scenario.staffing.max_abandon)
    planned: dict[str, list[str]] = {}
    for queue in scenario.queue_names:
        planned.setdefault(primary_group(scenario, queue), []).append(queue)
    groups = {}
    for name, queues in planned.items():
        spec = scenario.agents[name]
        reasons = [reason for reason in scenario.demand if scenario.queue_of(reason) in queues]
        if not reasons:
            continue  # its queues get no demand of their own (escalations, callbacks): left as it is
        rates = {reason: half_hour_rates(scenario, reason) for reason in reasons}
        weights = np.array([rates[reason].sum() for reason in reasons])
        total = weights.sum()
        if total <= 0:
            weights = np.ones(len(reasons))
            total = float(len(reasons))
        extra = 0.0
        if spec.hold is not None:
            extra += spec.hold.probability * spec.hold.duration.mean_value
        if spec.after_call_work is not None:
            extra += spec.after_call_work.mean_value
        talk = sum(w * spec.handle_time_by_reason.get(r, spec.handle_time).mean_value
                   for w, r in zip(weights, reasons)) / total
        patience = [scenario.patience_of(reason) for reason in reasons]
        if any(p is None for p in patience) or not reasons:
            patience_s = math.inf
        else:
            patience_s = sum(w * p.mean_value for w, p in zip(weights, patience)) / total
        rate = sum(rates.values()) if reasons else np.zeros((7, SLOTS_PER_DAY))
        aht = talk + extra
        needed = np.array([[agents_needed(rate[d, k], aht, patience_s, target) for k in range(SLOTS_PER_DAY)]
                           for d in range(7)])
        rostered = np.vectorize(lambda n: rostered_for(int(n), spec.shrinkage))(needed)
        groups[name] = GroupPlan(name, queues, rate, aht, patience_s, needed, rostered.astype(int))
    unplanned = [name for name in scenario.agents if name not in groups]
    return StaffingPlan(target, groups, unplanned, scenario.staffing.fte_hours_per_week)


def schedule_of(group_plan: GroupPlan) -> dict[str, list[int]]:
    """The plan as a scenario ``schedule`` (days with nobody rostered are left out)."""
    return {DAYS[day]: [int(n) for n in group_plan.rostered[day]]
            for day in range(7) if group_plan.rostered[day].any()}

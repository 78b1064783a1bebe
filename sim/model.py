"""The model: one replication of one strategy, built from a validated scenario and run.

:func:`simulate` wires the pieces (:mod:`sim.arrivals`, :mod:`sim.queues`, :mod:`sim.agents`,
:mod:`sim.journey`) on a fresh SimPy environment, with random streams keyed by (seed, replication,
component), runs to the horizon and returns a :class:`RunResult`: the contact log as a table and
what metrics need besides it. Nothing here reads files or prints.

The run pauses Python's cyclic garbage collector: a run allocates millions of short-lived contacts
and events that reference counting frees at once (the journey keeps no reference cycles per
contact: a contact drops its pending abandonment when its wait ends), and the collector would
only scan them for nothing, about a tenth of the run time.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from simpy import Environment

from sim.agents import AgentGroup
from sim.arrivals import Arrivals, ReasonArrivals, daily_busyness, rate_of
from sim.calendar import OpeningHours
from sim.customers import Population
from sim.incidents import Incidents
from sim.operations import Operations
from sim.problems import Problems
from sim.ivr import IvrTree
from sim.journey import Journey, JourneyPolicy
from sim.queues import WaitingLine
from sim.records import ContactLog, ConversationLog
from sim.replanning import Replanner
from sim.roster import LiveRoster, roster, weekly_roster
from sim.scenario import Scenario
from sim.streams import Streams, uniforms
from sim.units import DAY
from sim.wakeups import Clock, Recurring


@dataclass
class RunResult:
    """What one replication produced."""

    scenario: Scenario
    replication: int
    contacts: pd.DataFrame
    """The contact log (see :mod:`sim.records`)."""
    conversations: pd.DataFrame
    """The conversation log (see :mod:`sim.records`)."""
    staffing: dict[str, list[tuple[float, int, int]]]
    """Group name -> steps ``(from time, rostered, on duty)``."""
    reasons: list[str]
    """Reason names by code."""
    queues: list[str]
    """Queue names by code."""
    groups: list[str]
    """Group names by code."""
    trace: list | None = field(default=None)
    """The event log ``(time, step, contact, detail)`` when traced."""
    prevention: Prevention | None = None
    """Customers, problems, causes, fixes and incidents, when customers are modelled."""
    plans: list | None = None
    """Staffing re-plans (``staffing.policy: replan``): one row per group and re-plan."""


@dataclass
class Prevention:
    """What a run with a customer population produced besides contacts."""

    problems: pd.DataFrame
    """The problem log (see :class:`~sim.records.ProblemLog`)."""
    causes: pd.DataFrame
    """One row per cause (:meth:`~sim.problems.Problems.cause_table`)."""
    fixes: pd.DataFrame
    """One row per fix started (:class:`~sim.operations.Operations`)."""
    population: Population
    """The customers (who joined and left when)."""
    operations: Operations | None
    """The operations team (hours worked), if any."""
    web_uses: np.ndarray
    """Instants of web self-service resolutions."""
    visits: np.ndarray
    """``(instant, cost)`` rows of technician visits."""
    notices: np.ndarray
    """Instants of proactive notices."""
    incidents: list
    """``(incident, start, customers hit, notices)`` of each incident."""


def _group(name: str, index: int, spec, reason_names: list[str], streams: Streams, env: Environment) -> AgentGroup:
    """The runtime agent group of scenario group *spec*, with its samplers."""
    quantiles = {}
    handle_time = []
    for reason in reason_names:
        dist = spec.handle_time_by_reason.get(reason, spec.handle_time)
        if id(dist) not in quantiles:
            quantiles[id(dist)] = dist.from_normal()
        handle_time.append(quantiles[id(dist)])
    steps = weekly_roster(spec)
    group = AgentGroup(name, index, steps[0][1], spec.shrinkage, handle_time=handle_time,
                       hourly_cost=spec.hourly_cost, resolve_probability=spec.resolve_probability,
                       new_step=lambda: Recurring(env))
    if spec.after_call_work is not None:
        group.after_call_work = spec.after_call_work.sampler(streams(f"after_call_work/{name}"))
    if spec.hold is not None and spec.hold.probability > 0:
        group.hold_probability = spec.hold.probability
        group.hold_chance = uniforms(streams(f"hold/{name}"))
        group.hold_duration = spec.hold.duration.sampler(streams(f"hold_time/{name}"))
    group.wraps_up = group.after_call_work is not None or group.hold_chance is not None
    group.resolve_draw = uniforms(streams(f"resolve/{name}"))
    if spec.drop_probability > 0:
        group.drop_probability = spec.drop_probability
        group.drop_draw = uniforms(streams(f"drop/{name}"))
    group.call_back_dropped = spec.call_back_dropped
    return group


def _mean_agent_time(scenario: Scenario, queue: str) -> float:
    """Mean agent time per contact in *queue* (talk + hold + after-call work of its serving groups,
    averaged): the ``position`` wait estimate's handle time."""
    times = []
    for spec in scenario.agents.values():
        if queue in spec.serves:
            extra = (spec.after_call_work.mean_value if spec.after_call_work is not None else 0.0)
            if spec.hold is not None:
                extra += spec.hold.probability * spec.hold.duration.mean_value
            times.append(spec.handle_time.mean_value + extra)
    return sum(times) / len(times) if times else 0.0


def _policy(scenario: Scenario, streams: Streams, queue_index: dict[str, int]) -> JourneyPolicy:
    """The journey's settings and samplers."""
    calendar = scenario.calendar
    outbound = scenario.outbound
    policy = JourneyPolicy(
        ivr=IvrTree(scenario.ivr, list(scenario.demand), queue_index, streams) if scenario.ivr else None,
        ivr_draw=uniforms(streams("ivr/choices")),
        self_service_draw=uniforms(streams("ivr/self_service")),
        opening_hours=OpeningHours(calendar.opening_hours) if calendar.opening_hours is not None else None,
        outside_hours=calendar.outside_hours,
        accept_draw=uniforms(streams("callbacks/accept")),
        reach_probability=outbound.reach_probability,
        reach_draw=uniforms(streams("callbacks/reach")),
        attempts=outbound.attempts,
        retry_delay=outbound.retry_delay.sampler(streams("callbacks/retry_delay")),
        dial_time=outbound.dial_time.sampler(streams("callbacks/dial_time")),
        transfer_mode=scenario.transfers.mode,
        discovery=scenario.transfers.discovery.sampler(streams("transfers/discovery")),
        handover=scenario.transfers.handover.sampler(streams("transfers/handover")),
        again_resolve=uniforms(streams("again/resolve")),
    )
    for name in scenario.demand:
        patience = scenario.patience_of(name)
        policy.again_patience.append(
            patience.sampler(streams(f"again/patience/{name}")) if patience is not None else (lambda: math.inf))
    if scenario.redial is not None:
        policy.redial_probability = scenario.redial.probability
        policy.redial_draw = uniforms(streams("redial/decide"))
        policy.redial_delay = scenario.redial.delay.sampler(streams("redial/delay"))
    if scenario.call_again is not None:
        policy.repeat_probability = scenario.call_again.probability
        policy.repeat_draw = uniforms(streams("call_again/decide"))
        policy.repeat_delay = scenario.call_again.delay.sampler(streams("call_again/delay"))
    return policy


def build(scenario: Scenario, replication: int, trace: bool = False) -> tuple[Environment, Journey, list]:
    """Assemble the model of *scenario* for *replication* and start its processes;
    return ``(env, journey, reasons)``."""
    env = Clock()
    streams = Streams(scenario.seed, replication)
    reason_names = list(scenario.demand)
    queue_names = scenario.queue_names
    queues = [WaitingLine(name, index) for index, name in enumerate(queue_names)]
    queue_index = {name: index for index, name in enumerate(queue_names)}
    right_queue = [queue_index[scenario.queue_of(r)] for r in reason_names]
    groups = []
    for index, (name, spec) in enumerate(scenario.agents.items()):
        group = _group(name, index, spec, reason_names, streams, env)
        group.serves = [queues[queue_index[queue]] for queue in spec.serves]
        group.handles = [right_queue[code] in {queue.index for queue in group.serves}
                         for code in range(len(reason_names))]
        if spec.escalation is not None:
            group.escalate_to = queue_index[spec.escalation.to]
            group.escalate_after = spec.escalation.after_failed_contacts
        for queue in group.serves:
            queue.groups.append(group)
        groups.append(group)
    for name, spec in (scenario.queues or {}).items():
        queue = queues[queue_index[name]]
        if spec.callback is not None or spec.announce:
            queue.estimate = spec.estimate
            queue.recent = spec.estimate == "recent"
            queue.mean_handle_s = _mean_agent_time(scenario, name)
        if spec.callback is not None:
            queue.offer = spec.callback
            if spec.callback.queue is not None:
                queue.callback_queue = queues[queue_index[spec.callback.queue]]
    journey = Journey(env, queues, groups, right_queue, log=ContactLog(journey=scenario.uses_journey),
                      conversations=ConversationLog(), policy=_policy(scenario, streams, queue_index),
                      trace=[] if trace else None)
    reasons = []
    calendar = scenario.calendar
    for code, (name, spec) in enumerate(scenario.demand.items()):
        fixed = np.sort(np.asarray(spec.arrival_times or [], dtype=float))
        reasons.append(ReasonArrivals(
            code=code,
            rate=rate_of(spec, calendar),
            fixed_times=fixed,
            times_rng=streams(f"arrivals/{name}"),
            attributes_rng=streams(f"contact/{name}"),
            patience=scenario.patience_of(name),
        ))
    busyness = daily_busyness(calendar.busyness_cv, streams("busyness"))
    if scenario.has_population:
        days = int(math.ceil(scenario.horizon / DAY)) + 1
        factors = np.array([next(busyness) for _ in range(days)])
        busyness = iter(factors.tolist())
        problems = Problems(env, scenario, streams, factors,
                            {name: code for code, name in enumerate(scenario.demand)})
        journey.attach_problems(problems)
        if scenario.operations is not None:
            problems.attach_operations(Operations(env, scenario.operations, problems.causes, streams))
        problems.incidents = Incidents(env, scenario, problems, streams)
        problems.start()
    journey.arrivals = Arrivals(env, reasons, scenario.horizon, journey.arrive, busyness, journey.planner)
    live_rosters = {}
    for group, spec in zip(groups, scenario.agents.values()):
        steps = weekly_roster(spec)
        change = (lambda rostered, group=group: journey.roster_changes(group, rostered))
        if scenario.staffing.policy == "replan":
            live_rosters[group.name] = LiveRoster(env, steps, scenario.horizon, change)
        elif len(steps) > 1:
            env.process(roster(env, steps, scenario.horizon, change))
    if scenario.staffing.policy == "replan":
        journey.replanner = Replanner(env, scenario, groups, queues, live_rosters, journey.conversations)
    return env, journey, reasons


def simulate(scenario: Scenario, replication: int = 0, trace: bool = False) -> RunResult:
    """Run replication *replication* of *scenario* to its horizon."""
    env, journey, _ = build(scenario, replication, trace)
    # The run makes no reference cycles worth collecting on the way, and the collector would walk
    # every object in flight again and again: it is off during the run. What the run leaves alive is
    # then frozen (set aside, not walked) until the result is built, so turning the collector back on
    # does not walk the whole run's state at the next allocation (2-3% of a run).
    collecting = gc.isenabled()
    gc.disable()
    try:
        env.run(until=scenario.horizon)
    finally:
        if collecting:
            gc.freeze()
            gc.enable()
    try:
        return _result(scenario, replication, env, journey)
    finally:
        if collecting:
            gc.unfreeze()  # into the oldest generation, collected as usual from now on


def _result(scenario: Scenario, replication: int, env, journey) -> RunResult:
    """The run's tables, once the clock has reached the horizon."""
    journey.close(scenario.horizon, journey.arrivals.undelivered())
    prevention = None
    problems = journey.problems
    if problems is not None:
        problems.close(scenario.horizon)
        operations = problems.operations
        prevention = Prevention(
            problems=problems.log.frame(),
            causes=pd.DataFrame(problems.cause_table()),
            fixes=pd.DataFrame(operations.fixes if operations is not None else [],
                               columns=["cause", "started_s", "finished_s", "engineer_hours",
                                        "per_1000_per_day_before", "per_1000_per_day_after"]),
            population=problems.population,
            operations=operations,
            web_uses=np.asarray(problems.web_uses, dtype=float),
            visits=np.asarray(problems.visits, dtype=float).reshape(-1, 2),
            notices=np.asarray(problems.notices, dtype=float),
            incidents=list(problems.incidents.occurrences),
        )
    return RunResult(
        scenario=scenario,
        replication=replication,
        contacts=journey.log.frame(),
        conversations=journey.conversations.frame(),
        staffing={group.name: list(group.staffing) for group in journey.groups},
        reasons=list(scenario.demand),
        queues=scenario.queue_names,
        groups=list(scenario.agents),
        # the IVR logs a caller's menus when they start walking: order the log by time (stable)
        trace=sorted(journey.trace, key=lambda entry: entry[0]) if journey.trace is not None else None,
        prevention=prevention,
        plans=journey.replanner.plans if journey.replanner is not None else None,
    )

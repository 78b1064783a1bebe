"""The model: one replication of one strategy, built from a validated scenario and run.

:func:`simulate` wires the pieces (:mod:`sim.arrivals`, :mod:`sim.queues`, :mod:`sim.agents`,
:mod:`sim.journey`) on a fresh SimPy environment, with random streams keyed by (seed, replication,
component), runs to the horizon and returns a :class:`RunResult`: the contact log as a table and
what metrics need besides it. Nothing here reads files or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
from simpy import Environment

from sim.agents import AgentGroup
from sim.arrivals import ReasonArrivals, arrivals, daily_busyness, rate_of
from sim.calendar import OpeningHours
from sim.journey import Journey
from sim.roster import roster, weekly_roster
from sim.queues import WaitingLine
from sim.records import ContactLog
from sim.scenario import Scenario
from sim.streams import Streams


@dataclass
class RunResult:
    """What one replication produced."""

    scenario: Scenario
    replication: int
    contacts: pd.DataFrame
    """The contact log (see :mod:`sim.records`)."""
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


def _group(name: str, index: int, spec, reason_names: list[str], streams: Streams) -> AgentGroup:
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
                       hourly_cost=spec.hourly_cost, resolve_probability=spec.resolve_probability)
    if spec.after_call_work is not None:
        group.after_call_work = spec.after_call_work.sampler(streams(f"after_call_work/{name}"))
    if spec.hold is not None and spec.hold.probability > 0:
        rng = streams(f"hold/{name}")
        group.hold_probability = spec.hold.probability
        group.hold_chance = chain.from_iterable(iter(lambda: rng.random(4096).tolist(), None)).__next__
        group.hold_duration = spec.hold.duration.sampler(streams(f"hold_time/{name}"))
    group.wraps_up = group.after_call_work is not None or group.hold_chance is not None
    return group


def build(scenario: Scenario, replication: int, trace: bool = False) -> tuple[Environment, Journey, list]:
    """Assemble the model of *scenario* for *replication* and start its processes;
    return ``(env, journey, reasons)``."""
    env = Environment()
    streams = Streams(scenario.seed, replication)
    reason_names = list(scenario.demand)
    queue_names = scenario.queue_names
    queues = [WaitingLine(name, index) for index, name in enumerate(queue_names)]
    queue_index = {name: index for index, name in enumerate(queue_names)}
    groups = []
    for index, (name, spec) in enumerate(scenario.agents.items()):
        group = _group(name, index, spec, reason_names, streams)
        group.serves = [queues[queue_index[queue]] for queue in spec.serves]
        for queue in group.serves:
            queue.groups.append(group)
        groups.append(group)
    calendar = scenario.calendar
    hours = OpeningHours(calendar.opening_hours) if calendar.opening_hours is not None else None
    journey = Journey(env, queues, groups,
                      queue_of_reason=[queue_index[scenario.queue_of(r)] for r in reason_names],
                      log=ContactLog(), trace=[] if trace else None,
                      opening_hours=hours, outside_hours=calendar.outside_hours)
    reasons = []
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
    env.process(arrivals(env, reasons, scenario.horizon, journey.arrive, busyness))
    for group, spec in zip(groups, scenario.agents.values()):
        steps = weekly_roster(spec)
        if len(steps) > 1:
            env.process(roster(env, steps, scenario.horizon,
                               lambda rostered, group=group: journey.roster_changes(group, rostered)))
    return env, journey, reasons


def simulate(scenario: Scenario, replication: int = 0, trace: bool = False) -> RunResult:
    """Run replication *replication* of *scenario* to its horizon."""
    env, journey, _ = build(scenario, replication, trace)
    env.run(until=scenario.horizon)
    journey.close(scenario.horizon)
    return RunResult(
        scenario=scenario,
        replication=replication,
        contacts=journey.log.frame(),
        staffing={group.name: list(group.staffing) for group in journey.groups},
        reasons=list(scenario.demand),
        queues=scenario.queue_names,
        groups=list(scenario.agents),
        trace=journey.trace,
    )

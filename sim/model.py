"""The model: one replication of one strategy, built from a validated scenario and run.

:func:`simulate` wires the pieces (:mod:`sim.arrivals`, :mod:`sim.queues`, :mod:`sim.agents`,
:mod:`sim.journey`) on a fresh SimPy environment, with random streams keyed by (seed, replication,
component), runs to the horizon and returns a :class:`RunResult`: the contact log as a table and
what metrics need besides it. Nothing here reads files or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from simpy import Environment

from sim.agents import AgentGroup
from sim.arrivals import ConstantRate, ReasonArrivals, arrivals
from sim.journey import Journey
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
    """Group name -> steps ``(from time, rostered, available)``."""
    reasons: list[str]
    """Reason names by code."""
    queues: list[str]
    """Queue names by code."""
    groups: list[str]
    """Group names by code."""
    trace: list | None = field(default=None)
    """The event log ``(time, step, contact, detail)`` when traced."""


def build(scenario: Scenario, replication: int, trace: bool = False) -> tuple[Environment, Journey, list]:
    """Assemble the model of *scenario* for *replication*; return ``(env, journey, reasons)``."""
    env = Environment()
    streams = Streams(scenario.seed, replication)
    reason_names = list(scenario.demand)
    queue_names = scenario.queue_names
    queues = [WaitingLine(name, index) for index, name in enumerate(queue_names)]
    queue_index = {name: index for index, name in enumerate(queue_names)}
    groups = []
    first_agent = 0
    for index, (name, spec) in enumerate(scenario.agents.items()):
        quantile = spec.handle_time.from_normal()
        group = AgentGroup(name, index, spec.headcount, first_agent,
                           handle_time=[quantile for _ in reason_names],
                           hourly_cost=spec.hourly_cost,
                           resolve_probability=spec.resolve_probability)
        first_agent += spec.headcount
        group.serves = [queues[queue_index[queue]] for queue in spec.serves]
        for queue in group.serves:
            queue.groups.append(group)
        groups.append(group)
    journey = Journey(env, queues, groups,
                      queue_of_reason=[queue_index[scenario.queue_of(r)] for r in reason_names],
                      log=ContactLog(), trace=[] if trace else None)
    reasons = []
    for code, (name, spec) in enumerate(scenario.demand.items()):
        fixed = np.sort(np.asarray(spec.arrival_times or [], dtype=float))
        reasons.append(ReasonArrivals(
            code=code,
            rate=ConstantRate(spec.arrivals_per_hour) if spec.arrivals_per_hour > 0 else None,
            fixed_times=fixed,
            times_rng=streams(f"arrivals/{name}"),
            attributes_rng=streams(f"contact/{name}"),
            patience=scenario.patience_of(name),
        ))
    return env, journey, reasons


def simulate(scenario: Scenario, replication: int = 0, trace: bool = False) -> RunResult:
    """Run replication *replication* of *scenario* to its horizon."""
    env, journey, reasons = build(scenario, replication, trace)
    env.process(arrivals(env, reasons, scenario.horizon, journey.arrive))
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

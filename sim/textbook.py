"""The textbook reference of a scenario: when a scenario *is* the Erlang queue, its exact figures.

A scenario reduces to M/M/n+M (Erlang A), or to M/M/n (Erlang C) without patience, when it has
one reason with a constant Poisson rate, one queue, one agent group serving it with an exponential
handle time, and exponential patience (or none). The run command then prints the exact figures
beside the simulated ones, so anyone can see the simulator agree with the formula.
"""

from __future__ import annotations

from sim.distributions import Exponential
from sim.erlang import QueueFigures, erlang_a, erlang_c
from sim.scenario import Calendar, Scenario


def textbook_figures(scenario: Scenario) -> QueueFigures | None:
    """Exact Erlang A/C figures if *scenario* reduces to that queue, else ``None``."""
    if len(scenario.demand) != 1 or len(scenario.agents) != 1 or len(scenario.queue_names) != 1:
        return None
    (reason_name, reason), = scenario.demand.items()
    (group,) = scenario.agents.values()
    if reason.arrival_times or reason.daily_volume <= 0 or group.headcount is None or group.headcount < 1:
        return None  # (a schedule or shifts is not a constant number of agents)
    if (scenario.uses_journey or scenario.calendar != Calendar() or reason.intraday is not None
            or reason.weekday is not None or scenario.staffing.policy != "fixed"):
        return None  # a rhythm, opening hours, a journey or re-planned rosters: not a stationary queue
    if (not isinstance(group.handle_time, Exponential) or group.handle_time_by_reason or group.shrinkage > 0
            or group.after_call_work is not None or group.hold is not None):
        return None
    patience = scenario.patience_of(reason_name)
    rate = reason.daily_volume / 86400
    threshold = scenario.service_level_threshold
    if patience is None:
        return erlang_c(rate, group.handle_time.mean, group.headcount, threshold)
    if not isinstance(patience, Exponential):
        return None
    return erlang_a(rate, group.handle_time.mean, group.headcount, patience.mean, threshold)

"""Metrics: the numbers a contact-center analyst reads, as pure functions of a run's records.

Flow metrics count the contacts that arrive in the measured window ``[warmup, horizon)``; money is
counted over the same window. Definitions (DESIGN.md section 4):

- ``calls``: every inbound attempt (redials included); ``offered``: contacts that join an agent
  queue from outside (a transfer is not a new offer);
- a *wait* runs from a contact's first entry into an agent queue until an agent answers (an
  abandoned contact's wait runs until it abandons; one still waiting at the horizon, until then);
- ``p_abandon`` = abandoned / offered; ``p_wait`` = share of offered not answered at once;
  ``asa_s`` = mean wait of answered contacts; ``mean_wait_s`` = mean wait of all offered;
  ``service_level`` = answered within the threshold / offered;
- ``occupancy`` = busy agent time / available agent time (agent time is clipped to the window);
- ``fcr`` = problems resolved on their first contact / problems that led to a contact;
  ``contacts_per_problem`` = contacts / problems that led to a contact.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.model import RunResult
from sim.records import Outcome
from sim.units import DAY, HOUR

SUMMARY_COLUMNS: list[str] = [
    "strategy", "replication", "calls", "offered", "answered", "abandoned", "waiting_at_horizon",
    "p_abandon", "p_wait", "asa_s", "mean_wait_s", "service_level", "occupancy", "fcr",
    "contacts_per_problem", "problems", "churned", "cost_agents", "cost_ops", "cost_telephony",
    "cost_callbacks", "cost_notifications", "cost_service_total", "revenue_lost_churn",
    "cost_total",
]
"""Columns of ``summary.csv``, in order."""

SUMMARY_DOCS: dict[str, str] = {
    "calls": "inbound contacts arriving in the window (redials included)",
    "offered": "contacts that joined an agent queue from outside",
    "answered": "offered contacts an agent answered",
    "abandoned": "offered contacts that hung up while waiting",
    "waiting_at_horizon": "offered contacts still waiting when the run ended",
    "p_abandon": "abandoned / offered",
    "p_wait": "share of offered not answered at once",
    "asa_s": "average speed of answer: mean wait of answered contacts (s)",
    "mean_wait_s": "mean wait of all offered, abandoned ones until they abandoned (s)",
    "service_level": "answered within service_level_threshold / offered",
    "occupancy": "busy agent time / available agent time",
    "fcr": "problems resolved on their first contact / problems that led to a contact",
    "contacts_per_problem": "contacts / problems that led to a contact",
    "problems": "problems whose first contact arrived in the window",
    "churned": "customers lost in the window (0 until churn is modelled)",
    "cost_agents": "rostered agent hours x hourly cost",
    "cost_ops": "operations engineers (0 until the operations loop is modelled)",
    "cost_telephony": "minutes in queue and talking x telephony_per_minute",
    "cost_callbacks": "outbound callback minutes (0 until callbacks are modelled)",
    "cost_notifications": "proactive notices (0 until incidents are modelled)",
    "cost_service_total": "every cost of running service above",
    "revenue_lost_churn": "revenue churned customers would have paid until the horizon",
    "cost_total": "cost_service_total + revenue_lost_churn",
}

TIMESERIES_COLUMNS: list[str] = [
    "strategy", "replication", "day", "calls", "offered", "answered", "abandoned", "asa_s",
    "service_level", "occupancy", "problems", "open_root_causes", "churned_to_date",
    "cost_to_date",
]
"""Columns of ``timeseries.csv``: one row per strategy x replication x day of the window."""


def staffed_seconds(steps: list[tuple[float, int, int]], start: float, end: float) -> tuple[float, float]:
    """Rostered and available agent-seconds of a staffing step function within ``[start, end)``."""
    rostered = available = 0.0
    for position, (since, on_roster, on_duty) in enumerate(steps):
        until = steps[position + 1][0] if position + 1 < len(steps) else math.inf
        overlap = min(until, end) - max(since, start)
        if overlap > 0:
            rostered += on_roster * overlap
            available += on_duty * overlap
    return rostered, available


def _busy_seconds(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Busy seconds of intervals ``[starts, ends)`` within each bin ``[edges[k], edges[k+1])``."""
    result = np.zeros(len(edges) - 1)
    if len(starts) == 0:
        return result
    first = np.searchsorted(edges, starts, side="right") - 1
    last = np.searchsorted(edges, ends, side="right") - 1
    inside = (first == last) & (first >= 0) & (first < len(result))
    np.add.at(result, first[inside], ends[inside] - starts[inside])
    for start, end, low, high in zip(starts[~inside], ends[~inside], first[~inside], last[~inside]):
        for k in range(max(low, 0), min(high, len(result) - 1) + 1):
            overlap = min(end, edges[k + 1]) - max(start, edges[k])
            if overlap > 0:
                result[k] += overlap
    return result


def _window(result: RunResult) -> tuple[float, float]:
    return result.scenario.warmup, result.scenario.horizon


def _wait_stats(contacts: pd.DataFrame, threshold: float) -> dict[str, float]:
    offered_mask = contacts["t_queue"].notna().to_numpy()
    offered = contacts[offered_mask]
    answered_mask = offered["t_answer"].notna().to_numpy()
    waits = np.where(answered_mask, offered["t_answer"], offered["t_end"]) - offered["t_queue"]
    answered_waits = waits[answered_mask]
    count = len(offered)
    return {
        "offered": count,
        "answered": int(answered_mask.sum()),
        "abandoned": int((offered["outcome"] == Outcome.ABANDONED).sum()),
        "waiting_at_horizon": int((offered["outcome"] == Outcome.WAITING_AT_HORIZON).sum()),
        "p_wait": float(np.mean(~answered_mask | (waits > 0))) if count else math.nan,
        "asa_s": float(answered_waits.mean()) if len(answered_waits) else math.nan,
        "mean_wait_s": float(waits.mean()) if count else math.nan,
        "service_level": float(np.sum(answered_waits <= threshold) / count) if count else math.nan,
        "wait_seconds": float(waits.sum()),
    }


def summarize(result: RunResult, strategy: str) -> dict:
    """The ``summary.csv`` row of one replication."""
    scenario = result.scenario
    start, end = _window(result)
    contacts = result.contacts
    measured = contacts[(contacts["t_arrive"] >= start) & (contacts["t_arrive"] < end)]
    waits = _wait_stats(measured, scenario.service_level_threshold)
    offered = waits["offered"]
    problems = measured.groupby("problem", sort=False)
    first_resolved = problems["resolved"].first()
    problem_count = len(first_resolved)

    answered = contacts[contacts["t_answer"].notna()]
    busy = _busy_seconds(answered["t_answer"].to_numpy(),
                         (answered["t_answer"] + answered["talk_s"]).to_numpy(),
                         np.array([start, end]))[0]
    available = cost_agents = 0.0
    for name, spec in scenario.agents.items():
        on_roster, on_duty = staffed_seconds(result.staffing[name], start, end)
        available += on_duty
        cost_agents += on_roster / HOUR * spec.hourly_cost
    talk_seconds = float(measured["talk_s"].sum())
    cost_telephony = (waits["wait_seconds"] + talk_seconds) / 60 * scenario.costs.telephony_per_minute
    cost_ops = cost_callbacks = cost_notifications = 0.0
    cost_service = cost_agents + cost_ops + cost_telephony + cost_callbacks + cost_notifications
    revenue_lost = 0.0
    row = {
        "strategy": strategy,
        "replication": result.replication,
        "calls": len(measured),
        "offered": offered,
        "answered": waits["answered"],
        "abandoned": waits["abandoned"],
        "waiting_at_horizon": waits["waiting_at_horizon"],
        "p_abandon": waits["abandoned"] / offered if offered else math.nan,
        "p_wait": waits["p_wait"],
        "asa_s": waits["asa_s"],
        "mean_wait_s": waits["mean_wait_s"],
        "service_level": waits["service_level"],
        "occupancy": busy / available if available else math.nan,
        "fcr": float(first_resolved.mean()) if problem_count else math.nan,
        "contacts_per_problem": len(measured) / problem_count if problem_count else math.nan,
        "problems": problem_count,
        "churned": 0,
        "cost_agents": cost_agents,
        "cost_ops": cost_ops,
        "cost_telephony": cost_telephony,
        "cost_callbacks": cost_callbacks,
        "cost_notifications": cost_notifications,
        "cost_service_total": cost_service,
        "revenue_lost_churn": revenue_lost,
        "cost_total": cost_service + revenue_lost,
    }
    return row


def timeseries(result: RunResult, strategy: str) -> pd.DataFrame:
    """Daily rows of one replication, over the days of the measured window."""
    scenario = result.scenario
    start, end = _window(result)
    threshold = scenario.service_level_threshold
    first_day, last_day = int(start // DAY), int(math.ceil(end / DAY))
    days = np.arange(first_day, last_day)
    edges = np.clip(np.append(days, last_day) * DAY, start, end)
    contacts = result.contacts
    measured = contacts[(contacts["t_arrive"] >= start) & (contacts["t_arrive"] < end)]
    day_of = (measured["t_arrive"].to_numpy() // DAY).astype(np.int64) - first_day
    count = len(days)

    def per_day(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(day_of[mask], weights=None if weights is None else weights[mask],
                           minlength=count)[:count]

    offered = measured["t_queue"].notna().to_numpy()
    answered = measured["t_answer"].notna().to_numpy()
    waits = (measured["t_answer"] - measured["t_queue"]).to_numpy()
    abandoned = (measured["outcome"] == Outcome.ABANDONED).to_numpy()
    offered_count = per_day(offered)
    answered_count = per_day(answered)
    wait_sum = per_day(answered, np.nan_to_num(waits))
    within = per_day(answered & (waits <= threshold))
    first_contact = ~measured["problem"].duplicated().to_numpy()

    served = contacts[contacts["t_answer"].notna()]
    busy = _busy_seconds(served["t_answer"].to_numpy(),
                         (served["t_answer"] + served["talk_s"]).to_numpy(), edges)
    available = np.zeros(count)
    cost = np.zeros(count)
    for name, spec in scenario.agents.items():
        for k in range(count):
            on_roster, on_duty = staffed_seconds(result.staffing[name], edges[k], edges[k + 1])
            available[k] += on_duty
            cost[k] += on_roster / HOUR * spec.hourly_cost
    minutes = (np.where(answered, waits, (measured["t_end"] - measured["t_queue"]).to_numpy())
               + measured["talk_s"].to_numpy()) / 60
    cost += per_day(offered, np.nan_to_num(minutes)) * scenario.costs.telephony_per_minute
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "strategy": strategy,
            "replication": result.replication,
            "day": days,
            "calls": per_day(np.ones(len(measured), dtype=bool)),
            "offered": offered_count,
            "answered": answered_count,
            "abandoned": per_day(abandoned),
            "asa_s": wait_sum / answered_count,
            "service_level": within / offered_count,
            "occupancy": busy / available,
            "problems": per_day(first_contact),
            "open_root_causes": 0,
            "churned_to_date": 0,
            "cost_to_date": np.cumsum(cost),
        })
    return table[TIMESERIES_COLUMNS]

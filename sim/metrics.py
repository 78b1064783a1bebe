"""Metrics: the numbers a contact-center analyst reads, as pure functions of a run's records.

Flow metrics count the contacts that arrive in the measured window ``[warmup, horizon)``; agent
time and money are counted over the same window. Definitions (DESIGN.md section 4):

- ``calls``: every inbound attempt (redials included); ``offered``: contacts that join an agent
  queue from outside (a transfer is not a new offer); ``closed``: calls that arrived outside
  opening hours and left;
- a *wait* runs from a contact's first entry into an agent queue until an agent answers (an
  abandoned contact's wait runs until it abandons; one still waiting at the horizon, until then);
- ``p_abandon`` = abandoned / offered; ``p_wait`` = share of offered not answered at once;
  ``asa_s`` = mean wait of answered contacts; ``mean_wait_s`` = mean wait of all offered;
  ``p90_wait_s``, ``p95_wait_s`` = percentiles of the waits of answered contacts;
  ``service_level`` = answered within the threshold / offered;
- ``aht_s`` = mean talk + hold + after-call work of answered contacts;
- ``occupancy`` = busy agent time / on-duty agent time (on duty: available after shrinkage, plus
  agents finishing a call past the end of their shift), both clipped to the window;
- ``fcr`` = problems resolved on their first contact / problems that led to a contact;
  ``contacts_per_problem`` = contacts / problems that led to a contact;
- ``fte_rostered`` = rostered agent hours / (FTE hours per week x weeks in the window).

:func:`measure` computes every table of one replication at once (in the worker that ran it);
:func:`combine_intraday` pools the per-replication half-hour sums into ``intraday.csv``, and
:func:`combine_occupancy` the per-group ones into ``occupancy.csv``. The report's own tables come
from here too, so that a run folder alone can rebuild it: the wait distribution (:func:`wait_percentiles`),
where calls went (:func:`call_flows`, the edges of a Sankey diagram: entry, IVR menus by level,
self-service and hang-ups, queues, callbacks, transfers, escalations, outcome) and the contacts each
root cause made month by month (:func:`causes_by_month`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calendar import DAYS, SLOT, SLOTS_PER_DAY
from sim.model import RunResult
from sim.customers import AFTER_PROBLEM, SILENT
from sim.records import RESOLVED_OUTCOMES, Conversation, Origin, Outcome, ProblemOutcome
from sim.units import DAY, HOUR, WEEK

SUMMARY_COLUMNS: list[str] = [
    "strategy", "replication", "calls", "offered", "answered", "abandoned", "abandoned_in_transfer",
    "waiting_at_horizon", "closed", "p_abandon", "p_wait", "asa_s", "mean_wait_s", "p90_wait_s", "p95_wait_s",
    "service_level", "aht_s", "mean_talk_s", "mean_hold_s", "mean_acw_s", "occupancy",
    "fte_rostered", "fcr", "contacts_per_problem", "problems", "ivr_self_served", "ivr_hangups",
    "misroutes", "transfers", "escalations", "callbacks_offered", "callbacks_accepted",
    "callbacks_failed", "dropped", "redials", "repeat_contacts", "mean_ivr_s", "mean_on_hold_s",
    "mean_time_in_system_s", "silent_problems", "follow_on_problems", "failure_demand_share",
    "mean_time_to_resolution_h", "web_deflected", "field_visits", "notifications", "fixes_completed",
    "ops_hours", "customers_start", "customers_acquired", "customers_left", "customers_end", "churned",
    "churned_service", "word_of_mouth_reach", "customer_hours_lost",
    "cost_agents", "cost_ops", "cost_telephony", "cost_callbacks", "cost_notifications", "cost_field",
    "cost_web", "cost_service_total", "cost_per_contact", "cost_per_problem", "transition_cost",
    "revenue_lost_churn", "clv_lost", "cost_total", "break_even_day",
]
"""Columns of ``summary.csv``, in order."""

SUMMARY_DOCS: dict[str, str] = {
    "calls": "inbound contacts arriving in the window (redials included)",
    "offered": "contacts that joined an agent queue from outside",
    "answered": "offered contacts an agent answered",
    "abandoned": "offered contacts that hung up while waiting, before any agent answered",
    "abandoned_in_transfer": "contacts that hung up waiting after a transfer or escalation",
    "waiting_at_horizon": "offered contacts never answered, still waiting when the run ended",
    "closed": "calls that arrived outside opening hours and left",
    "p_abandon": "abandoned / offered",
    "p_wait": "share of offered not answered at once",
    "asa_s": "average speed of answer: mean wait of answered contacts (s)",
    "mean_wait_s": "mean wait of all offered, abandoned ones until they abandoned (s)",
    "p90_wait_s": "90th percentile of the waits of answered contacts (s)",
    "p95_wait_s": "95th percentile of the waits of answered contacts (s)",
    "service_level": "answered within service_level_threshold / offered",
    "aht_s": "average handle time: talk + hold + after-call work per conversation (s)",
    "mean_talk_s": "mean talk time per conversation (s)",
    "mean_hold_s": "mean consult hold per conversation (s)",
    "mean_acw_s": "mean after-call work per conversation (s)",
    "occupancy": "busy agent time / on-duty agent time",
    "fte_rostered": "rostered agent hours / (staffing.fte_hours_per_week x weeks in the window)",
    "fcr": "problems resolved on their first contact / problems that led to a contact",
    "contacts_per_problem": "contacts / problems that led to a contact",
    "problems": "problems that began in the window (with customers); else problems whose first contact arrived in it",
    "ivr_self_served": "contacts resolved by IVR self-service",
    "ivr_hangups": "contacts that hung up in the IVR",
    "misroutes": "contacts the IVR sent to a queue other than their reason's",
    "transfers": "transfers of misrouted contacts to the right queue",
    "escalations": "escalations to a higher tier",
    "callbacks_offered": "contacts offered a callback",
    "callbacks_accepted": "contacts that accepted the callback",
    "callbacks_failed": "callback contacts lost after every outbound attempt failed",
    "dropped": "conversations that dropped mid-way",
    "redials": "contacts that were redials (after abandoning, hanging up in the IVR or a drop)",
    "repeat_contacts": "contacts made again after 'call us again later'",
    "mean_ivr_s": "mean time a call spent in the IVR (s)",
    "mean_on_hold_s": "mean time an offered contact spent on hold on the line: queue waits over every hop and consult holds, callback waits excluded (s)",
    "mean_time_in_system_s": "mean time from arrival to the end of contacts that ended before the horizon (s)",
    "silent_problems": "problems that began in the window and never led to a contact (silent sufferers)",
    "follow_on_problems": "problems in the window set off by an earlier problem",
    "failure_demand_share": "contacts about failure demand (root causes, incidents) / contacts about any problem",
    "mean_time_to_resolution_h": "mean time from a problem's onset (else its first contact) to its resolution, over resolved problems (h)",
    "web_deflected": "value-demand requests resolved on the web before any contact",
    "field_visits": "technician visits in the window",
    "notifications": "proactive notices sent in the window",
    "fixes_completed": "root-cause fixes that landed in the window",
    "ops_hours": "engineer-hours spent on fixes in the window",
    "customers_start": "active customers at the start of the window",
    "customers_acquired": "customers who joined in the window",
    "customers_left": "customers who left in the window (customers_end = start + acquired - left)",
    "customers_end": "active customers at the horizon",
    "churned": "customers who left in the window, for any reason",
    "churned_service": "customers who left in the window after a problem (its effort) or a problem suffered in silence",
    "word_of_mouth_reach": "people reached by the negative word of mouth of churned_service (expected: x share who tell x people reached)",
    "customer_hours_lost": "customers' own hours in IVRs, waiting on hold, talking and on consult hold, over every contact (redials included)",
    "cost_agents": "rostered agent hours x hourly cost",
    "cost_ops": "engineer-hours spent on fixes x operations.hourly_cost",
    "cost_telephony": "inbound minutes in the IVR, in queue and talking x telephony_per_minute",
    "cost_callbacks": "outbound callback minutes (dialling and talking) x outbound_per_minute",
    "cost_notifications": "proactive notices x notifications.cost_per_notice",
    "cost_field": "technician visits x their cost",
    "cost_web": "web self-service resolutions x web_self_service.cost_per_use",
    "cost_service_total": "every cost of running service above (agents, ops, telephony, callbacks, notices, visits, web)",
    "cost_per_contact": "cost_service_total / calls",
    "cost_per_problem": "cost_service_total / problems",
    "transition_cost": "the strategy's one-off transition cost (costs.transition)",
    "revenue_lost_churn": "revenue customers who left in the window would have paid from leaving until the horizon",
    "clv_lost": "lifetime value of churned_service: monthly revenue x margin x expected lifetime (1 / baseline monthly churn, at most 120 months)",
    "cost_total": "cost_service_total + transition_cost + revenue_lost_churn",
    "break_even_day": "first day from which this strategy's cumulative total cost stays below the first strategy's until the horizon (empty: never, or the first strategy)",
}

COST_COMPONENTS: list[str] = ["agents", "ops", "telephony", "callbacks", "notifications", "field", "web",
                               "transition", "revenue_lost"]
"""The parts of the total cost, each with a ``cost_<part>_to_date`` column in ``timeseries.csv``."""

TIMESERIES_COLUMNS: list[str] = [
    "strategy", "replication", "day", "calls", "offered", "answered", "abandoned", "asa_s",
    "service_level", "occupancy", "problems", "failure_demand_share", "fixes_completed",
    "open_root_causes", "rostered_agents", "churned_to_date",
    *[f"cost_{part}_to_date" for part in COST_COMPONENTS], "cost_to_date",
]
"""Columns of ``timeseries.csv``: one row per strategy x replication x day of the window."""

QUEUE_COLUMNS: list[str] = [
    "strategy", "replication", "queue", "offered", "answered", "abandoned", "p_abandon", "asa_s",
    "service_level", "mean_talk_s", "mean_hold_s", "mean_acw_s",
]
"""Columns of ``by_queue.csv``: one row per strategy x replication x queue."""

GROUP_COLUMNS: list[str] = [
    "strategy", "replication", "group", "answered", "asa_s", "service_level", "occupancy",
    "rostered_hours", "on_duty_hours", "conversations", "talk_hours", "hold_hours", "acw_hours",
    "mean_talk_s", "mean_hold_s", "mean_acw_s", "cost_agents",
]
"""Columns of ``by_group.csv``: one row per strategy x replication x agent group. ``answered``,
``asa_s`` and ``service_level`` are of the contacts this group answered first (service level here:
the share that waited at most the threshold); ``conversations`` and the talk figures count every
conversation the group had (transfers and escalations included, dial attempts not)."""

INTRADAY_COLUMNS: list[str] = [
    "strategy", "weekday", "time", "half_hour_of_week", "calls", "offered", "answered", "abandoned",
    "asa_s", "service_level", "rostered", "on_duty", "occupancy",
]
"""Columns of ``intraday.csv``: one row per strategy x half-hour of the week, pooled over
replications and weeks (counts are means per occurrence of that half-hour)."""

_SUMS = ["calls", "offered", "answered", "abandoned", "wait_sum", "within", "measured_s",
         "rostered_s", "on_duty_s", "busy_s"]


@dataclass
class Measured:
    """Every table of one replication."""

    summary: dict
    daily: pd.DataFrame
    by_queue: pd.DataFrame
    by_group: pd.DataFrame
    intraday_sums: pd.DataFrame
    """Per half-hour of the week: sums to pool over replications (see :func:`combine_intraday`)."""
    root_causes: pd.DataFrame | None = None
    """Per cause (customer population runs): ``root_causes.csv`` rows."""
    fixes: pd.DataFrame | None = None
    """Per fix started: ``fixes.csv`` rows."""
    plans: pd.DataFrame | None = None
    """Staffing re-plans: ``staffing_plans.csv`` rows."""
    contact_log: pd.DataFrame | None = None
    problem_log: pd.DataFrame | None = None
    """The contact log with its steps, when asked for (``--log contacts``)."""
    waits: pd.DataFrame | None = None
    """Percentiles 0..100 of the answered waits (``waits.csv`` rows)."""
    flows: pd.DataFrame | None = None
    """Where calls went, as counted edges of the call-flow diagram (``flows.csv`` rows)."""
    occupancy_sums: pd.DataFrame | None = None
    """Per agent group x half-hour of the week: sums to pool (see :func:`combine_occupancy`)."""
    causes_by_month: pd.DataFrame | None = None
    """Per cause x month of the window (customer population runs): ``causes_by_month.csv`` rows."""


# ------------------------------------------------------------------------------ time integrals


def step_area(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Integral from ``times[0]`` to each of *at* of the step function equal to ``values[i]`` on
    ``[times[i], times[i+1])`` (and to the last value after the last time)."""
    times = np.asarray(times, dtype=float)
    values = np.asarray(values, dtype=float)
    cumulative = np.concatenate(([0.0], np.cumsum(values[:-1] * np.diff(times))))
    index = np.clip(np.searchsorted(times, at, side="right") - 1, 0, None)
    return cumulative[index] + values[index] * (np.asarray(at, dtype=float) - times[index])


def staffed_seconds(steps: list[tuple[float, int, int]], edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rostered and on-duty agent-seconds of a staffing step function in each bin of *edges*."""
    table = np.asarray(steps, dtype=float)
    rostered = np.diff(step_area(table[:, 0], table[:, 1], edges))
    on_duty = np.diff(step_area(table[:, 0], table[:, 2], edges))
    return rostered, on_duty


def busy_seconds(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Busy seconds of intervals ``[starts, ends)`` within each bin of *edges* (vectorised: the
    busy area up to x is the sum of (x - start) over started intervals minus (x - end) over
    ended ones). *starts* and *ends* are each sorted (see :class:`_BusyIntervals`). The two areas are
    large sums; their difference strays a hair below 0 where nobody was busy, so it is clipped at 0."""
    edges = np.asarray(edges, dtype=float)

    def area(points: np.ndarray, x: np.ndarray) -> np.ndarray:
        count = np.searchsorted(points, x, side="left")
        prefix = np.concatenate(([0.0], np.cumsum(points)))
        return count * x - prefix[count]

    return np.maximum(np.diff(area(starts, edges) - area(ends, edges)), 0.0)


# ------------------------------------------------------------------------------------ measures


def _waits(contacts: pd.DataFrame) -> np.ndarray:
    """Each offered contact's wait until first answered (or until it ended, if never answered);
    NaN for contacts never offered."""
    answered = contacts["t_answer"].notna().to_numpy()
    return np.where(answered, contacts["t_answer"], contacts["t_end"]) - contacts["t_queue"].to_numpy()


def _safe(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else math.nan


def _occupancy(busy, on_duty):
    """Busy over on-duty agent time, in [0, 1] (the integrals' rounding strays a hair outside it, and
    a hair of busy time where nobody was on duty made +-inf); NaN where nobody was on duty."""
    busy, on_duty = np.asarray(busy, dtype=float), np.asarray(on_duty, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(on_duty > 0, np.clip(busy / on_duty, 0.0, 1.0), np.nan)
    return float(ratio) if ratio.ndim == 0 else ratio


def _mean(values) -> float:
    values = np.asarray(values, dtype=float)
    return float(values.mean()) if len(values) else math.nan


HANDLED = (Conversation.RESOLVED, Conversation.UNRESOLVED, Conversation.ESCALATED, Conversation.DROPPED,
           Conversation.TRANSFERRED, Conversation.UNFINISHED, Conversation.DISPATCHED)
"""Conversation results that count as handling a contact (outbound dial attempts do not)."""


def _flow(contacts: pd.DataFrame, conversations: pd.DataFrame, threshold: float) -> dict[str, float]:
    """Flow figures of a set of contacts (arrived in the window) and of their conversations."""
    offered = contacts["t_queue"].notna().to_numpy()
    answered = contacts["t_answer"].notna().to_numpy()
    waits = _waits(contacts)
    answered_waits = waits[answered]
    offered_count = int(offered.sum())
    outcome = contacts["outcome"].to_numpy()
    handled = conversations[conversations["result"].isin(HANDLED)]
    talk, hold, acw = (handled[column].to_numpy() for column in ("talk_s", "hold_s", "acw_s"))
    return {
        "calls": len(contacts),
        "offered": offered_count,
        "answered": int(answered.sum()),
        "abandoned": int(((outcome == Outcome.ABANDONED) & ~answered).sum()),
        "abandoned_in_transfer": int(((outcome == Outcome.ABANDONED) & answered).sum()),
        "waiting_at_horizon": int(((outcome == Outcome.WAITING_AT_HORIZON) & offered & ~answered).sum()),
        "closed": int((outcome == Outcome.CLOSED).sum()),
        "p_wait": _safe(np.sum(offered & (~answered | (waits > 0))), offered_count),
        "asa_s": _mean(answered_waits),
        "mean_wait_s": _mean(waits[offered]),
        "p90_wait_s": float(np.percentile(answered_waits, 90)) if len(answered_waits) else math.nan,
        "p95_wait_s": float(np.percentile(answered_waits, 95)) if len(answered_waits) else math.nan,
        "service_level": _safe(np.sum(answered_waits <= threshold), offered_count),
        "aht_s": _mean(talk + hold + acw),
        "mean_talk_s": _mean(talk),
        "mean_hold_s": _mean(hold),
        "mean_acw_s": _mean(acw),
    }


def _busy_intervals(conversations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    starts = conversations["t_start"].to_numpy()
    return starts, starts + (conversations["talk_s"] + conversations["hold_s"] + conversations["acw_s"]).to_numpy()


class _BusyIntervals:
    """The agents' busy intervals of one replication, sorted once per agent group (and for all
    groups) however many tables integrate them."""

    def __init__(self, conversations: pd.DataFrame):
        self.conversations = conversations[["group", "t_start", "talk_s", "hold_s", "acw_s"]]
        self.sorted: dict[int | None, tuple[np.ndarray, np.ndarray]] = {}

    def seconds(self, edges: np.ndarray, group: int | None = None) -> np.ndarray:
        """Busy seconds in each bin of *edges*, of *group* (a code), or of every group."""
        if group not in self.sorted:
            table = self.conversations
            if group is not None:
                mine = (table["group"] == group).to_numpy()
                if mine.all():  # one group handled every conversation: its intervals are everybody's
                    group = None
                else:
                    table = table[mine]
            if group not in self.sorted:
                # (a stable sort is a merge sort: fast on times that are nearly in order, as logged)
                starts, ends = _busy_intervals(table)
                self.sorted[group] = (np.sort(np.asarray(starts, dtype=float), kind="stable"),
                                      np.sort(np.asarray(ends, dtype=float), kind="stable"))
        return busy_seconds(*self.sorted[group], edges)


def _telephony_minutes(contacts: pd.DataFrame) -> np.ndarray:
    """Inbound minutes on the line per contact: IVR, queue waits, inbound talk and hold."""
    return contacts["line_s"].to_numpy() / 60


def measure(result: RunResult, strategy: str) -> Measured:
    """Every table of one replication."""
    scenario = result.scenario
    start, end = scenario.warmup, scenario.horizon
    threshold = scenario.service_level_threshold
    contacts = result.contacts
    conversations = result.conversations
    in_window = ((contacts["t_arrive"] >= start) & (contacts["t_arrive"] < end)).to_numpy()
    measured = contacts if in_window.all() else contacts[in_window]
    ids = contacts["contact"].to_numpy()
    if len(ids) and ids[0] == 0 and ids[-1] == len(ids) - 1 and np.all(np.diff(ids) == 1):
        # contact ids are the rows' positions: a conversation is measured if its contact is
        talks_in = in_window[conversations["contact"].to_numpy()]
    else:
        talks_in = conversations["contact"].isin(measured["contact"]).to_numpy()
    measured_talks = conversations if talks_in.all() else conversations[talks_in]
    window = np.array([start, end])
    busy_intervals = _BusyIntervals(conversations)
    linked = _problem_contacts(result, measured) if result.prevention is not None else None
    waits_of = measured[["group", "t_answer", "t_end", "t_queue"]]
    talks_of = measured_talks[["group", "result", "talk_s", "hold_s", "acw_s"]]

    # agents, per group, over the window
    group_rows = []
    rostered_total = on_duty_total = busy_total = cost_agents = 0.0
    for code, (name, spec) in enumerate(scenario.agents.items()):
        rostered, on_duty = staffed_seconds(result.staffing[name], window)
        busy = busy_intervals.seconds(window, code)[0]
        cost = rostered[0] / HOUR * spec.hourly_cost
        rostered_total += rostered[0]
        on_duty_total += on_duty[0]
        busy_total += busy
        cost_agents += cost
        firsts = waits_of[waits_of["group"] == code]
        waits = _waits(firsts)
        talks = talks_of[(talks_of["group"] == code) & talks_of["result"].isin(HANDLED)]
        group_rows.append({
            "strategy": strategy, "replication": result.replication, "group": name,
            "answered": len(firsts),
            "asa_s": _mean(waits),
            "service_level": _safe(np.sum(waits <= threshold), len(firsts)),
            "occupancy": _occupancy(busy, on_duty[0]),
            "rostered_hours": rostered[0] / HOUR, "on_duty_hours": on_duty[0] / HOUR,
            "conversations": len(talks),
            "talk_hours": talks["talk_s"].sum() / HOUR, "hold_hours": talks["hold_s"].sum() / HOUR,
            "acw_hours": talks["acw_s"].sum() / HOUR,
            "mean_talk_s": _mean(talks["talk_s"]), "mean_hold_s": _mean(talks["hold_s"]),
            "mean_acw_s": _mean(talks["acw_s"]),
            "cost_agents": cost,
        })

    flow = _flow(measured, measured_talks, threshold)
    # each problem's first contact in the window: resolved there, or not (first contact resolution)
    problems = measured["resolved"].to_numpy()[~measured["problem"].duplicated().to_numpy()]
    problem_count = len(problems)
    costs = scenario.costs
    cost_telephony = float(_telephony_minutes(measured).sum()) * costs.telephony_per_minute
    cost_callbacks = float(measured["outbound_s"].sum()) / 60 * costs.outbound_per_minute
    beyond = _beyond_the_phone(result, measured, linked)
    cost_service = (cost_agents + beyond["cost_ops"] + cost_telephony + cost_callbacks
                    + beyond["cost_notifications"] + beyond["cost_field"] + beyond["cost_web"])
    revenue_lost = beyond["revenue_lost_churn"]
    transition = scenario.costs.transition
    problems_total = beyond.pop("problems", problem_count)
    weeks = (end - start) / WEEK
    outcome = measured["outcome"].to_numpy()
    offered_mask = measured["t_queue"].notna().to_numpy()
    ended = ~np.isin(outcome, [Outcome.WAITING_AT_HORIZON, Outcome.IN_SERVICE_AT_HORIZON, Outcome.IN_IVR_AT_HORIZON])
    summary = {
        "strategy": strategy,
        "replication": result.replication,
        **{key: flow[key] for key in ("calls", "offered", "answered", "abandoned", "abandoned_in_transfer",
                                       "waiting_at_horizon", "closed")},
        "p_abandon": _safe(flow["abandoned"], flow["offered"]),
        **{key: flow[key] for key in ("p_wait", "asa_s", "mean_wait_s", "p90_wait_s", "p95_wait_s",
                                       "service_level", "aht_s", "mean_talk_s", "mean_hold_s",
                                       "mean_acw_s")},
        "occupancy": _occupancy(busy_total, on_duty_total),
        "fte_rostered": rostered_total / HOUR / (scenario.staffing.fte_hours_per_week * weeks),
        "fcr": float(problems.mean()) if problem_count else math.nan,
        "contacts_per_problem": _safe(len(measured), problem_count),
        "problems": problems_total,
        "ivr_self_served": int((outcome == Outcome.SELF_SERVED).sum()),
        "ivr_hangups": int((outcome == Outcome.IVR_HANGUP).sum()),
        "misroutes": int(measured["misrouted"].sum()),
        "transfers": int(measured["transfers"].sum()),
        "escalations": int(measured["escalations"].sum()),
        "callbacks_offered": int(measured["callback_offered"].sum()),
        "callbacks_accepted": int(measured["callback_accepted"].sum()),
        "callbacks_failed": int((outcome == Outcome.CALLBACK_FAILED).sum()),
        "dropped": int((measured_talks["result"] == Conversation.DROPPED).sum()),
        "redials": int((measured["origin"] == Origin.REDIAL).sum()),
        "repeat_contacts": int((measured["origin"] == Origin.REPEAT).sum()),
        "mean_ivr_s": _mean(measured["ivr_s"]),
        "mean_on_hold_s": _mean((measured["wait_s"] + measured["hold_s"]).to_numpy()[offered_mask]),
        "mean_time_in_system_s": _mean((measured["t_end"] - measured["t_arrive"]).to_numpy()[ended]),
        **{key: beyond[key] for key in ("silent_problems", "follow_on_problems", "failure_demand_share",
                                         "mean_time_to_resolution_h", "web_deflected", "field_visits",
                                         "notifications", "fixes_completed", "ops_hours", "customers_start",
                                         "customers_acquired", "customers_left", "customers_end")},
        "churned": beyond["churned"],
        "churned_service": beyond["churned_service"],
        "word_of_mouth_reach": beyond["word_of_mouth_reach"],
        "customer_hours_lost": float((measured["ivr_s"] + measured["wait_s"] + measured["talk_s"]
                                      + measured["hold_s"]).sum()) / HOUR,
        "cost_agents": cost_agents,
        "cost_ops": beyond["cost_ops"],
        "cost_telephony": cost_telephony,
        "cost_callbacks": cost_callbacks,
        "cost_notifications": beyond["cost_notifications"],
        "cost_field": beyond["cost_field"],
        "cost_web": beyond["cost_web"],
        "cost_service_total": cost_service,
        "cost_per_contact": _safe(cost_service, len(measured)),
        "cost_per_problem": _safe(cost_service, problems_total),
        "transition_cost": transition,
        "revenue_lost_churn": revenue_lost,
        "clv_lost": beyond["clv_lost"],
        "cost_total": cost_service + transition + revenue_lost,
        "break_even_day": math.nan,
    }

    queue_rows = []
    flow_of = measured[["queue", "t_queue", "t_answer", "t_end", "outcome"]]
    flow_talks_of = measured_talks[["queue", "result", "talk_s", "hold_s", "acw_s"]]
    for code, name in enumerate(result.queues):
        mine = flow_of[flow_of["queue"] == code]
        figures = _flow(mine, flow_talks_of[flow_talks_of["queue"] == code], threshold)
        queue_rows.append({
            "strategy": strategy, "replication": result.replication, "queue": name,
            **{key: figures[key] for key in ("offered", "answered", "abandoned")},
            "p_abandon": _safe(figures["abandoned"], figures["offered"]),
            **{key: figures[key] for key in ("asa_s", "service_level", "mean_talk_s", "mean_hold_s",
                                              "mean_acw_s")},
        })

    root_causes, fixes = _cause_tables(result, strategy, linked)
    plans = None
    if result.plans is not None:
        plans = pd.DataFrame(result.plans, columns=["group", "at_s", "contacts_seen", "aht_s",
                                                    "rostered_hours_per_week"])
        plans.insert(0, "replication", result.replication)
        plans.insert(0, "strategy", strategy)
        plans.insert(4, "at_day", plans.pop("at_s") / DAY)
        plans["fte"] = plans["rostered_hours_per_week"] / scenario.staffing.fte_hours_per_week
    return Measured(
        summary=summary,
        waits=wait_percentiles(measured, strategy, result.replication),
        flows=call_flows(result, strategy, measured),
        occupancy_sums=_occupancy_sums(result, strategy, busy_intervals),
        causes_by_month=causes_by_month(result, strategy, measured, linked),
        daily=_daily(result, strategy, measured, busy_intervals, linked),
        by_queue=pd.DataFrame(queue_rows, columns=QUEUE_COLUMNS),
        by_group=pd.DataFrame(group_rows, columns=GROUP_COLUMNS),
        intraday_sums=_intraday_sums(result, strategy, measured, busy_intervals),
        root_causes=root_causes,
        fixes=fixes,
        plans=plans,
    )


PLAN_COLUMNS: list[str] = ["strategy", "replication", "group", "at_day", "contacts_seen", "aht_s",
                           "rostered_hours_per_week", "fte"]
"""Columns of ``staffing_plans.csv``: one row per strategy x replication x group x re-plan (the
contacts that joined the group's queues in the period before, the handle time seen, the roster)."""


def break_even_day(own: np.ndarray, reference: np.ndarray, days: np.ndarray) -> float:
    """The first day from which cumulative cost *own* stays below *reference* until the end
    (NaN if it never does)."""
    above = np.flatnonzero(own >= reference)
    if len(above) == 0:
        return float(days[0]) if len(days) else math.nan
    if above[-1] == len(days) - 1:
        return math.nan
    return float(days[above[-1] + 1])


def break_even_days(summary: pd.DataFrame, timeseries: pd.DataFrame) -> list[float]:
    """``break_even_day`` of every summary row: against the first strategy, replication by
    replication (NaN for the first strategy itself)."""
    strategies = list(dict.fromkeys(summary["strategy"]))
    reference = {rep: table for rep, table in timeseries[timeseries["strategy"] == strategies[0]]
                 .groupby("replication")}
    values = []
    for strategy, replication in zip(summary["strategy"], summary["replication"]):
        if strategy == strategies[0] or replication not in reference:
            values.append(math.nan)
            continue
        own = timeseries[(timeseries["strategy"] == strategy) & (timeseries["replication"] == replication)]
        ref = reference[replication]
        values.append(break_even_day(own["cost_to_date"].to_numpy(), ref["cost_to_date"].to_numpy(),
                                     own["day"].to_numpy()))
    return values


ROOT_CAUSE_COLUMNS: list[str] = [
    "strategy", "replication", "cause", "kind", "reason", "preventable", "born_day", "per_1000_per_day",
    "per_1000_per_day_after_fix", "problems", "silent_problems", "contacted_problems", "contacts",
    "tagged", "fix_effort_h", "fix_started_day", "fixed_at_day",
]
"""Columns of ``root_causes.csv``: one row per strategy x replication x cause (root causes, new
defects, value demand and incidents); counts over the window; times in days since the start
(empty when it never happened)."""

FIX_COLUMNS: list[str] = [
    "strategy", "replication", "cause", "started_day", "finished_day", "engineer_hours",
    "per_1000_per_day_before", "per_1000_per_day_after",
]
"""Columns of ``fixes.csv``: one row per strategy x replication x fix started (``finished_day``
empty if it had not landed by the horizon)."""


def _problem_contacts(result: RunResult, measured: pd.DataFrame) -> pd.DataFrame:
    """The measured contacts with their problem's cause code and kind."""
    problems = result.prevention.problems[["problem", "cause", "kind"]]
    ids = problems["problem"].to_numpy()
    wanted = measured["problem"].to_numpy()
    place = np.searchsorted(ids, wanted)
    if len(ids) and np.all(np.diff(ids) > 0) and np.all(ids[np.minimum(place, len(ids) - 1)] == wanted):
        # the problem log is sorted by id and holds every contact's problem: look them up
        return pd.DataFrame({"problem": wanted, "tagged": measured["tagged"].to_numpy(),
                             "cause": problems["cause"].to_numpy()[place],
                             "kind": problems["kind"].to_numpy()[place]})
    return measured[["problem", "tagged"]].merge(problems, on="problem", how="left")


def _beyond_the_phone(result: RunResult, measured: pd.DataFrame, linked: pd.DataFrame | None) -> dict:
    """Summary figures of customers, problems, causes, fixes, incidents and visits (zeros, or the
    contact-log figures, without a customer population)."""
    scenario = result.scenario
    start, end = scenario.warmup, scenario.horizon
    figures = dict.fromkeys(("silent_problems", "follow_on_problems", "web_deflected", "field_visits",
                             "notifications", "fixes_completed", "customers_start", "customers_acquired",
                             "customers_left", "customers_end", "churned", "churned_service"), 0)
    figures.update(failure_demand_share=0.0, ops_hours=0.0, cost_ops=0.0, cost_notifications=0.0,
                   cost_field=0.0, cost_web=0.0, word_of_mouth_reach=0.0, revenue_lost_churn=0.0, clv_lost=0.0)
    prevention = result.prevention
    if prevention is None:
        # each problem's first contact to the end of the contact that resolved it
        resolving = measured["resolved"].to_numpy() == 1
        first = measured.groupby("problem", sort=False)["t_arrive"].min()
        figures["failure_demand_share"] = _safe(0, len(measured))  # no causes: none of the contacts, if any
        figures["mean_time_to_resolution_h"] = _mean(
            (measured["t_end"].to_numpy()[resolving]
             - first.reindex(measured["problem"].to_numpy()[resolving]).to_numpy()) / HOUR)
        return figures
    problems = prevention.problems
    onset = problems["t_onset"].to_numpy()
    window = problems[["t_onset", "t_end", "outcome", "parent"]][(onset >= start) & (onset < end)]
    outcome = window["outcome"].to_numpy()
    resolved = np.isin(outcome, [int(o) for o in RESOLVED_OUTCOMES])
    kind = linked["kind"].to_numpy()
    visits = prevention.visits
    visits_in = visits[(visits[:, 0] >= start) & (visits[:, 0] < end)] if len(visits) else visits
    notices = prevention.notices
    notices_in = int(np.sum((notices >= start) & (notices < end)))
    fixes = prevention.fixes
    landed = int(np.sum((fixes["finished_s"] >= start) & (fixes["finished_s"] < end))) if len(fixes) else 0
    web = int(np.sum((prevention.web_uses >= start) & (prevention.web_uses < end)))
    operations = prevention.operations
    ops_hours = operations.hours_worked(start, end) if operations is not None else 0.0
    figures.update(
        problems=len(window),
        silent_problems=int(np.sum(outcome == ProblemOutcome.SILENT)),
        follow_on_problems=int(np.sum(window["parent"].to_numpy() >= 0)),
        failure_demand_share=_safe(np.sum(kind != 0), len(kind)),
        mean_time_to_resolution_h=_mean((window["t_end"] - window["t_onset"]).to_numpy()[resolved] / HOUR),
        web_deflected=web,
        field_visits=len(visits_in),
        notifications=notices_in,
        fixes_completed=landed,
        ops_hours=ops_hours,
        cost_ops=ops_hours * scenario.operations.hourly_cost if scenario.operations is not None else 0.0,
        cost_notifications=notices_in * scenario.notifications.cost_per_notice,
        cost_field=float(visits_in[:, 1].sum()) if len(visits_in) else 0.0,
        cost_web=web * scenario.web_self_service.cost_per_use,
        **prevention.population.counts(start, end),
        **_churn_figures(result),
    )
    return figures


def _churned(result: RunResult) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Customers who left in the window: leaving times, whether service drove them away, revenue
    per second and monthly revenue."""
    scenario = result.scenario
    population = result.prevention.population
    left = np.asarray(population.left, dtype=float)
    reason = np.asarray(population.left_reason)
    inside = (left >= scenario.warmup) & (left < scenario.horizon)
    segment = np.asarray(population.segment, dtype=np.int64)[inside]
    service = np.isin(reason[inside], (AFTER_PROBLEM, SILENT))
    return (left[inside], service, np.asarray(population.revenue_per_second)[segment],
            np.asarray(population.monthly_revenue)[segment])


def _churn_figures(result: RunResult) -> dict:
    """Churn, word of mouth, revenue and lifetime value lost."""
    scenario = result.scenario
    left, service, per_second, monthly = _churned(result)
    churn = scenario.churn
    if churn is None:
        return {"churned": len(left), "churned_service": 0, "word_of_mouth_reach": 0.0,
                "revenue_lost_churn": float(np.sum(per_second * (scenario.horizon - left))), "clv_lost": 0.0}
    lifetime_months = min(1 / churn.baseline_per_month, 120.0) if churn.baseline_per_month > 0 else 120.0
    mouth = churn.word_of_mouth
    return {
        "churned": len(left),
        "churned_service": int(service.sum()),
        "word_of_mouth_reach": float(service.sum() * mouth.share_who_tell * mouth.people_reached),
        "revenue_lost_churn": float(np.sum(per_second * (scenario.horizon - left))),
        "clv_lost": float(np.sum(monthly[service]) * scenario.customers.margin * lifetime_months),
    }


def revenue_lost_by(result: RunResult, instants: np.ndarray) -> np.ndarray:
    """Revenue lost to churn (in the window) up to each of *instants*: what customers who left paid
    no more from leaving until then."""
    if result.prevention is None:
        return np.zeros(len(instants))
    left, _, per_second, _ = _churned(result)
    order = np.argsort(left)
    left, per_second = left[order], per_second[order]
    rate_sum = np.concatenate(([0.0], np.cumsum(per_second)))
    weighted = np.concatenate(([0.0], np.cumsum(per_second * left)))
    count = np.searchsorted(left, instants, side="left")
    return instants * rate_sum[count] - weighted[count]


def _day(seconds) -> float:
    return seconds / DAY if math.isfinite(seconds) else math.nan


def _cause_tables(result: RunResult, strategy: str, linked: pd.DataFrame | None):
    """``root_causes.csv`` and ``fixes.csv`` rows of one replication (``None`` without customers);
    *linked*: the measured contacts with their causes (:func:`_problem_contacts`)."""
    prevention = result.prevention
    if prevention is None:
        return None, None
    scenario = result.scenario
    start, end = scenario.warmup, scenario.horizon
    problems = prevention.problems
    onset = problems["t_onset"].to_numpy()
    window = problems[["cause", "outcome", "contacts"]][(onset >= start) & (onset < end)]
    causes = prevention.causes
    cause_of = window["cause"].to_numpy().astype(np.int64)
    counted = len(causes)

    def per_cause(codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=counted)[:counted].astype(int)

    linked_cause = linked["cause"].to_numpy()
    known = ~pd.isna(linked_cause)
    linked_cause = linked_cause[known].astype(np.int64)
    counts = {
        "problems": per_cause(cause_of),
        "silent_problems": per_cause(cause_of[window["outcome"].to_numpy() == ProblemOutcome.SILENT]),
        "contacted_problems": per_cause(cause_of[window["contacts"].to_numpy() > 0]),
        "contacts": per_cause(linked_cause),
        "tagged": per_cause(linked_cause, linked["tagged"].to_numpy()[known].astype(float)),
    }
    rows = pd.DataFrame({
        "strategy": strategy, "replication": result.replication, "cause": causes["cause"],
        "kind": causes["kind"], "reason": causes["reason"], "preventable": causes["preventable"],
        "born_day": causes["born_s"] / DAY, "per_1000_per_day": causes["per_1000_per_day"],
        "per_1000_per_day_after_fix": causes["per_1000_per_day_after_fix"],
    })
    for column in ("problems", "silent_problems", "contacted_problems", "contacts", "tagged"):
        rows[column] = counts[column]
    rows["fix_effort_h"] = causes["fix_effort_h"]
    rows["fix_started_day"] = [_day(t) for t in causes["fix_started_s"]]
    rows["fixed_at_day"] = [_day(t) if t < end else math.nan for t in causes["fixed_at_s"]]
    fixes = prevention.fixes
    fix_rows = pd.DataFrame({
        "strategy": strategy, "replication": result.replication, "cause": fixes["cause"],
        "started_day": fixes["started_s"] / DAY,
        "finished_day": [_day(t) for t in fixes["finished_s"]],
        "engineer_hours": fixes["engineer_hours"],
        "per_1000_per_day_before": fixes["per_1000_per_day_before"],
        "per_1000_per_day_after": fixes["per_1000_per_day_after"],
    }, columns=FIX_COLUMNS)
    return rows[ROOT_CAUSE_COLUMNS], fix_rows


def _per_bin(bins: np.ndarray, count: int, mask: np.ndarray | None = None,
             weights: np.ndarray | None = None) -> np.ndarray:
    if mask is None:
        mask = np.ones(len(bins), dtype=bool)
    inside = mask & (bins >= 0) & (bins < count)
    return np.bincount(bins[inside], weights=None if weights is None else weights[inside],
                       minlength=count)[:count].astype(float)


def _daily(result: RunResult, strategy: str, measured: pd.DataFrame, busy_intervals: _BusyIntervals,
           linked: pd.DataFrame | None) -> pd.DataFrame:
    """Daily rows over the days of the measured window."""
    scenario = result.scenario
    start, end = scenario.warmup, scenario.horizon
    threshold = scenario.service_level_threshold
    first_day, last_day = int(start // DAY), int(math.ceil(end / DAY))
    days = np.arange(first_day, last_day)
    count = len(days)
    edges = np.clip(np.append(days, last_day) * DAY, start, end)
    day_of = (measured["t_arrive"].to_numpy() // DAY).astype(np.int64) - first_day
    offered = measured["t_queue"].notna().to_numpy()
    answered = measured["t_answer"].notna().to_numpy()
    waits = _waits(measured)
    offered_count = _per_bin(day_of, count, offered)
    answered_count = _per_bin(day_of, count, answered)
    busy = busy_intervals.seconds(edges)
    on_duty = np.zeros(count)
    rostered = np.zeros(count)
    cost = {part: np.zeros(count) for part in COST_COMPONENTS}
    for name, spec in scenario.agents.items():
        rostered_s, on_duty_s = staffed_seconds(result.staffing[name], edges)
        on_duty += on_duty_s
        rostered += rostered_s
        cost["agents"] += rostered_s / HOUR * spec.hourly_cost
    costs = scenario.costs
    cost["telephony"] = _per_bin(day_of, count, None, _telephony_minutes(measured)) * costs.telephony_per_minute
    cost["callbacks"] = (_per_bin(day_of, count, None, measured["outbound_s"].to_numpy() / 60)
                         * costs.outbound_per_minute)
    if count:
        cost["transition"][0] = costs.transition
    churned = np.zeros(count)
    problems = _per_bin(day_of, count, ~measured["problem"].duplicated().to_numpy())
    failure = np.zeros(len(measured), dtype=bool)  # no causes: no contact is about failure demand
    fixes_completed = np.zeros(count)
    open_causes = np.zeros(count)
    prevention = result.prevention
    if prevention is not None:
        log = prevention.problems
        onset_day = (log["t_onset"].to_numpy() // DAY).astype(np.int64) - first_day
        problems = _per_bin(onset_day, count)
        failure = (linked["kind"].to_numpy() != 0)
        fixes = prevention.fixes
        if len(fixes):
            finished = fixes["finished_s"].to_numpy()
            done = np.isfinite(finished)
            fixes_completed = _per_bin((finished[done] // DAY).astype(np.int64) - first_day, count)
        causes = prevention.causes
        failure_causes = causes[(causes["kind"] == "failure") & causes["preventable"]]
        day_ends = edges[1:]
        born = failure_causes["born_s"].to_numpy()
        fixed = failure_causes["fixed_at_s"].to_numpy()
        open_causes = np.array([np.sum((born <= t) & (fixed > t)) for t in day_ends], dtype=float)
        if prevention.operations is not None:
            hours = np.array([prevention.operations.hours_worked(low, high) for low, high in zip(edges[:-1], edges[1:])])
            cost["ops"] = hours * scenario.operations.hourly_cost
        notices = prevention.notices
        cost["notifications"] = (_per_bin((notices // DAY).astype(np.int64) - first_day, count)
                                 * scenario.notifications.cost_per_notice)
        visits = prevention.visits
        if len(visits):
            cost["field"] = _per_bin((visits[:, 0] // DAY).astype(np.int64) - first_day, count, None, visits[:, 1])
        web = prevention.web_uses
        cost["web"] = (_per_bin((web // DAY).astype(np.int64) - first_day, count)
                       * scenario.web_self_service.cost_per_use)
        lost = revenue_lost_by(result, edges[1:])
        cost["revenue_lost"] = np.diff(np.concatenate(([0.0], lost)))
        left, _, _, _ = _churned(result)
        churned = _per_bin((left // DAY).astype(np.int64) - first_day, count)
    with np.errstate(invalid="ignore", divide="ignore"):
        failure_share = _per_bin(day_of, count, failure) / _per_bin(day_of, count)  # NaN on a day without contacts
        table = pd.DataFrame({
            "strategy": strategy,
            "replication": result.replication,
            "day": days,
            "calls": _per_bin(day_of, count).astype(int),
            "offered": offered_count.astype(int),
            "answered": answered_count.astype(int),
            "abandoned": _per_bin(day_of, count, (measured["outcome"] == Outcome.ABANDONED).to_numpy()
                                  & ~answered).astype(int),
            "asa_s": _per_bin(day_of, count, answered, np.nan_to_num(waits)) / answered_count,
            "service_level": _per_bin(day_of, count, answered & (waits <= threshold)) / offered_count,
            "occupancy": _occupancy(busy, on_duty),
            "problems": problems.astype(int),
            "failure_demand_share": failure_share,
            "fixes_completed": fixes_completed.astype(int),
            "open_root_causes": open_causes.astype(int),
            "rostered_agents": rostered / np.diff(edges),
            "churned_to_date": np.cumsum(churned).astype(int),
            **{f"cost_{part}_to_date": np.cumsum(cost[part]) for part in COST_COMPONENTS},
            "cost_to_date": np.cumsum(sum(cost.values())),
        })
    return table[TIMESERIES_COLUMNS]


def _intraday_sums(result: RunResult, strategy: str, measured: pd.DataFrame,
                   busy_intervals: _BusyIntervals) -> pd.DataFrame:
    """Per half-hour of the week: counts and seconds summed over the window."""
    scenario = result.scenario
    start, end = scenario.warmup, scenario.horizon
    threshold = scenario.service_level_threshold
    slots = 7 * SLOTS_PER_DAY
    first, last = int(start // SLOT), int(math.ceil(end / SLOT))
    edges = np.clip(np.arange(first, last + 1) * SLOT, start, end)
    slot_of_bin = np.arange(first, last) % slots
    arrival_slot = ((measured["t_arrive"].to_numpy() % WEEK) // SLOT).astype(np.int64)
    offered = measured["t_queue"].notna().to_numpy()
    answered = measured["t_answer"].notna().to_numpy()
    waits = _waits(measured)

    def fold(per_bin: np.ndarray) -> np.ndarray:
        return np.bincount(slot_of_bin, weights=per_bin, minlength=slots)

    rostered = np.zeros(len(slot_of_bin))
    on_duty = np.zeros(len(slot_of_bin))
    for name in scenario.agents:
        rostered_s, on_duty_s = staffed_seconds(result.staffing[name], edges)
        rostered += rostered_s
        on_duty += on_duty_s
    sums = {
        "calls": _per_bin(arrival_slot, slots),
        "offered": _per_bin(arrival_slot, slots, offered),
        "answered": _per_bin(arrival_slot, slots, answered),
        "abandoned": _per_bin(arrival_slot, slots, (measured["outcome"] == Outcome.ABANDONED).to_numpy() & ~answered),
        "wait_sum": _per_bin(arrival_slot, slots, answered, np.nan_to_num(waits)),
        "within": _per_bin(arrival_slot, slots, answered & (waits <= threshold)),
        "measured_s": fold(np.diff(edges)),
        "rostered_s": fold(rostered),
        "on_duty_s": fold(on_duty),
        "busy_s": fold(busy_intervals.seconds(edges)),
    }
    table = pd.DataFrame(sums)
    table.insert(0, "half_hour_of_week", np.arange(slots))
    table.insert(0, "strategy", strategy)
    return table


def combine_intraday(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``intraday.csv``: per strategy x half-hour of the week, pooled over replications and weeks."""
    pooled = pd.concat(parts).groupby(["strategy", "half_hour_of_week"], sort=False)[_SUMS].sum().reset_index()
    occurrences = pooled["measured_s"] / SLOT
    slot = pooled["half_hour_of_week"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "strategy": pooled["strategy"],
            "weekday": [DAYS[k // SLOTS_PER_DAY] for k in slot],
            "time": [f"{(k % SLOTS_PER_DAY) // 2:02d}:{30 * (k % 2):02d}" for k in slot],
            "half_hour_of_week": slot,
            "calls": pooled["calls"] / occurrences,
            "offered": pooled["offered"] / occurrences,
            "answered": pooled["answered"] / occurrences,
            "abandoned": pooled["abandoned"] / occurrences,
            "asa_s": pooled["wait_sum"] / pooled["answered"],
            "service_level": pooled["within"] / pooled["offered"],
            "rostered": pooled["rostered_s"] / pooled["measured_s"],
            "on_duty": pooled["on_duty_s"] / pooled["measured_s"],
            "occupancy": _occupancy(pooled["busy_s"], pooled["on_duty_s"]),
        })
    return table[INTRADAY_COLUMNS]


def summarize(result: RunResult, strategy: str) -> dict:
    """The ``summary.csv`` row of one replication."""
    return measure(result, strategy).summary


def timeseries(result: RunResult, strategy: str) -> pd.DataFrame:
    """The daily rows of one replication."""
    return measure(result, strategy).daily


# ------------------------------------------------------------------------- the report's tables

WAIT_COLUMNS: list[str] = ["strategy", "replication", "percentile", "wait_s"]
"""Columns of ``waits.csv``: per strategy x replication, the percentiles 0, 1, ..., 100 of the waits
of answered contacts that arrived in the window (``np.percentile``, linear interpolation: percentile 90
is ``p90_wait_s`` of ``summary.csv``); ``wait_s`` is empty when no contact was answered."""

PERCENTILES = np.arange(101)
"""The percentiles ``waits.csv`` keeps."""


def wait_percentiles(measured: pd.DataFrame, strategy: str, replication: int) -> pd.DataFrame:
    """``waits.csv`` rows of one replication: the wait distribution of answered contacts."""
    answered = measured["t_answer"].notna().to_numpy()
    waits = _waits(measured)[answered]
    values = np.percentile(waits, PERCENTILES) if len(waits) else np.full(len(PERCENTILES), math.nan)
    return pd.DataFrame({"strategy": strategy, "replication": replication, "percentile": PERCENTILES,
                         "wait_s": values}, columns=WAIT_COLUMNS)


FLOW_COLUMNS: list[str] = ["strategy", "replication", "source", "target", "count"]
"""Columns of ``flows.csv``: per strategy x replication, the contacts (arrived in the window) that went
from node ``source`` to node ``target`` of the call-flow diagram (see :func:`call_flows`)."""

FLOW_NODES: dict[str, str] = {
    "new": "New contacts", "redial": "Redials", "repeat": "Repeat contacts",
    "closed": "Closed (outside hours)", "ivr_hangup": "Hung up in the IVR",
    "self_served": "Self-served in the IVR", "in_ivr": "In the IVR at the horizon", "zero_out": "Pressed 0",
    "callback": "Callback", "abandoned": "Abandoned in queue", "waiting": "Waiting at the horizon",
    "callback_failed": "Callback failed", "transferred": "Transferred (misrouted)", "escalated": "Escalated",
    "resolved": "Resolved", "unresolved": "Not resolved", "abandoned_later": "Abandoned after transfer",
    "dropped": "Dropped", "in_service": "In service at the horizon", "other": "Other",
}
"""Node names of the call-flow diagram (besides ``IVR: <menu>`` and ``Queue: <queue>``)."""

FLOW_TERMINALS: list[str] = [FLOW_NODES[key] for key in (
    "closed", "ivr_hangup", "self_served", "in_ivr", "abandoned", "waiting", "callback_failed", "resolved",
    "unresolved", "abandoned_later", "dropped", "in_service", "other")]
"""Nodes where contacts end, in the order the report names them."""


def ivr_levels(ivr) -> list[str]:
    """Node names of the IVR's levels: level k holds the menus a caller can hear k-th (``IVR: main``;
    a level with several menus is ``IVR level 2: a / b``)."""
    if ivr is None:
        return []
    names, level = [], [ivr.entry]
    while level:
        menus = list(dict.fromkeys(level))
        if len(menus) == 1:
            names.append(f"IVR: {menus[0]}")
        elif len(menus) <= 3:
            names.append(f"IVR level {len(names) + 1}: {' / '.join(menus)}")
        else:
            names.append(f"IVR level {len(names) + 1} ({len(menus)} menus)")
        level = [option.menu for name in menus for option in ivr.menus[name].options.values()
                 if option.menu is not None]
    return names


def call_flows(result: RunResult, strategy: str, measured: pd.DataFrame) -> pd.DataFrame:
    """``flows.csv`` rows of one replication: every contact that arrived in the window walks a path
    of nodes and adds one to each edge of it:

    why it called (new, redial, repeat) -> closed, or the IVR's menus level by level (hung up,
    self-served, still there at the horizon, pressed 0) -> the first agent queue -> callback (if
    called back) -> abandoned, waiting at the horizon, callback failed, or answered: transferred
    after a misroute, escalated -> how it ended (resolved, not resolved, abandoned after a transfer,
    dropped, in service at the horizon).
    """
    count = len(measured)
    levels = ivr_levels(result.scenario.ivr)
    names: list[str] = []
    index: dict[str, int] = {}

    def node(name: str) -> int:
        if name not in index:
            index[name] = len(names)
            names.append(name)
        return index[name]

    def stage(choices: list[tuple[np.ndarray, str]]) -> np.ndarray:
        codes = np.full(count, -1, dtype=np.int64)
        for mask, name in choices:
            codes[mask & (codes < 0)] = node(name)
        return codes

    outcome = measured["outcome"].to_numpy()
    origin = measured["origin"].to_numpy()
    queue = measured["queue"].to_numpy()
    answered = measured["t_answer"].notna().to_numpy()
    menus = measured["ivr_menus"].to_numpy()
    every = np.ones(count, dtype=bool)
    ended = np.zeros(count, dtype=bool)
    stages = [stage([(origin == Origin.REDIAL, FLOW_NODES["redial"]), (origin == Origin.REPEAT, FLOW_NODES["repeat"]),
                     (every, FLOW_NODES["new"])])]
    closed = outcome == Outcome.CLOSED
    stages.append(stage([(closed, FLOW_NODES["closed"])]))
    ended |= closed
    for level, name in enumerate(levels, start=1):
        stages.append(stage([(~ended & (menus >= level), name)]))
    ivr_end = stage([(outcome == Outcome.IVR_HANGUP, FLOW_NODES["ivr_hangup"]),
                     (outcome == Outcome.SELF_SERVED, FLOW_NODES["self_served"]),
                     (outcome == Outcome.IN_IVR_AT_HORIZON, FLOW_NODES["in_ivr"])])
    stages.append(ivr_end)
    ended |= ivr_end >= 0
    stages.append(stage([(~ended & (measured["zero_out"].to_numpy() == 1), FLOW_NODES["zero_out"])]))
    queued = ~ended & (queue >= 0)
    stages.append(stage([(queued & (queue == code), f"Queue: {name}") for code, name in enumerate(result.queues)]))
    stages.append(stage([(queued & (measured["callback"].to_numpy() == 1), FLOW_NODES["callback"])]))
    unanswered = stage([(~ended & ~answered & (outcome == Outcome.ABANDONED), FLOW_NODES["abandoned"]),
                        (~ended & ~answered & (outcome == Outcome.WAITING_AT_HORIZON), FLOW_NODES["waiting"]),
                        (~ended & ~answered & (outcome == Outcome.CALLBACK_FAILED), FLOW_NODES["callback_failed"]),
                        (~ended & ~answered, FLOW_NODES["other"])])
    stages.append(unanswered)
    ended |= unanswered >= 0
    stages.append(stage([(~ended & (measured["transfers"].to_numpy() > 0), FLOW_NODES["transferred"])]))
    stages.append(stage([(~ended & (measured["escalations"].to_numpy() > 0), FLOW_NODES["escalated"])]))
    resolved = measured["resolved"].to_numpy() == 1
    answered_end = outcome == Outcome.ANSWERED
    stages.append(stage([(~ended & answered_end & resolved, FLOW_NODES["resolved"]),
                         (~ended & answered_end, FLOW_NODES["unresolved"]),
                         (~ended & (outcome == Outcome.ABANDONED), FLOW_NODES["abandoned_later"]),
                         (~ended & (outcome == Outcome.DROPPED), FLOW_NODES["dropped"]),
                         (~ended & (outcome == Outcome.IN_SERVICE_AT_HORIZON), FLOW_NODES["in_service"]),
                         (~ended & (outcome == Outcome.WAITING_AT_HORIZON), FLOW_NODES["waiting"]),
                         (~ended & (outcome == Outcome.CALLBACK_FAILED), FLOW_NODES["callback_failed"]),
                         (~ended, FLOW_NODES["other"])]))
    width = max(len(names), 1)
    tally = np.zeros(width * width, dtype=np.int64)  # edge source x target -> contacts
    last = stages[0]
    for codes in stages[1:]:
        step = codes >= 0
        tally += np.bincount(last[step] * width + codes[step], minlength=width * width)
        last = np.where(step, codes, last)
    edges = np.flatnonzero(tally)
    counts = tally[edges]
    return pd.DataFrame({
        "strategy": strategy, "replication": result.replication,
        "source": [names[code] for code in edges // width], "target": [names[code] for code in edges % width],
        "count": counts,
    }, columns=FLOW_COLUMNS)


OCCUPANCY_COLUMNS: list[str] = [
    "strategy", "group", "weekday", "time", "half_hour_of_week", "rostered", "on_duty", "busy", "occupancy",
]
"""Columns of ``occupancy.csv``: per strategy x agent group x half-hour of the week, pooled over
replications and weeks: rostered, on-duty and busy agents (means per occurrence of that half-hour)
and occupancy = busy / on duty (empty when nobody was on duty)."""


def _occupancy_sums(result: RunResult, strategy: str, busy_intervals: _BusyIntervals) -> pd.DataFrame:
    """Per agent group x half-hour of the week: measured, rostered, on-duty and busy seconds over the
    window (like :func:`_intraday_sums`, one group at a time)."""
    scenario = result.scenario
    start, end = scenario.warmup, scenario.horizon
    slots = 7 * SLOTS_PER_DAY
    first, last = int(start // SLOT), int(math.ceil(end / SLOT))
    edges = np.clip(np.arange(first, last + 1) * SLOT, start, end)
    slot_of_bin = np.arange(first, last) % slots

    def fold(per_bin: np.ndarray) -> np.ndarray:
        return np.bincount(slot_of_bin, weights=per_bin, minlength=slots)

    measured_s = fold(np.diff(edges))
    parts = []
    for code, name in enumerate(scenario.agents):
        rostered, on_duty = staffed_seconds(result.staffing[name], edges)
        busy = busy_intervals.seconds(edges, code)
        parts.append(pd.DataFrame({
            "strategy": strategy, "group": name, "half_hour_of_week": np.arange(slots),
            "measured_s": measured_s, "rostered_s": fold(rostered), "on_duty_s": fold(on_duty),
            "busy_s": fold(busy),
        }))
    return pd.concat(parts, ignore_index=True)


def combine_occupancy(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``occupancy.csv``: per strategy x group x half-hour of the week, pooled over replications and weeks."""
    sums = ["measured_s", "rostered_s", "on_duty_s", "busy_s"]
    pooled = (pd.concat(parts).groupby(["strategy", "group", "half_hour_of_week"], sort=False)[sums]
              .sum().reset_index())
    slot = pooled["half_hour_of_week"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "strategy": pooled["strategy"],
            "group": pooled["group"],
            "weekday": [DAYS[k // SLOTS_PER_DAY] for k in slot],
            "time": [f"{(k % SLOTS_PER_DAY) // 2:02d}:{30 * (k % 2):02d}" for k in slot],
            "half_hour_of_week": slot,
            "rostered": pooled["rostered_s"] / pooled["measured_s"],
            "on_duty": pooled["on_duty_s"] / pooled["measured_s"],
            "busy": pooled["busy_s"] / pooled["measured_s"],
            "occupancy": _occupancy(pooled["busy_s"], pooled["on_duty_s"]),
        })
    return table[OCCUPANCY_COLUMNS]


MONTH_DAYS = 30
"""A report month: 30 days of the window, counted from its first day (the last may be shorter)."""

CAUSE_MONTH_COLUMNS: list[str] = ["strategy", "replication", "cause", "kind", "month", "first_day", "days",
                                  "problems", "contacts"]
"""Columns of ``causes_by_month.csv`` (customer population runs): per strategy x replication x cause x
month of the window (month 1 starts on the window's first day, ``first_day``, and lasts ``days``
days, 30 but the last): problems that began in it and contacts about the cause that arrived in it."""


def month_edges(scenario) -> tuple[np.ndarray, np.ndarray]:
    """``(first_days, edges_s)`` of the report months of the window: month k starts on day
    ``first_days[k]`` (days since the start; the window's first day is the day its warm-up ends) and
    covers ``[edges_s[k], edges_s[k + 1])`` in seconds."""
    start, end = scenario.warmup, scenario.horizon
    first_day, last_day = int(start // DAY), int(math.ceil(end / DAY))
    first_days = np.arange(first_day, last_day, MONTH_DAYS)
    edges = np.clip(np.append(first_days * DAY, last_day * DAY), start, end)
    return first_days, edges


def causes_by_month(result: RunResult, strategy: str, measured: pd.DataFrame,
                    linked: pd.DataFrame | None) -> pd.DataFrame | None:
    """``causes_by_month.csv`` rows of one replication (``None`` without customers): every cause x month,
    zeros included, so that means over replications count the months a cause made nothing; *linked*:
    the measured contacts with their causes (:func:`_problem_contacts`)."""
    prevention = result.prevention
    if prevention is None:
        return None
    first_days, edges = month_edges(result.scenario)
    months = len(first_days)
    causes = prevention.causes
    problems = prevention.problems
    onset = problems["t_onset"].to_numpy()
    inside = (onset >= edges[0]) & (onset < edges[-1])
    onset_month = np.searchsorted(edges, onset[inside], side="right") - 1
    cells = len(causes) * months  # (cause, month) -> count, by bincount on the flat cell index
    made = np.bincount(problems["cause"].to_numpy()[inside].astype(np.int64) * months + onset_month,
                       minlength=cells)[:cells].reshape(len(causes), months)
    cause = linked["cause"].to_numpy()
    known = ~pd.isna(cause)
    contact_month = np.searchsorted(edges, measured["t_arrive"].to_numpy()[known], side="right") - 1
    contacts = np.bincount(cause[known].astype(np.int64) * months + np.clip(contact_month, 0, months - 1),
                           minlength=cells)[:cells].reshape(len(causes), months)
    return pd.DataFrame({
        "strategy": strategy, "replication": result.replication,
        "cause": np.repeat(causes["cause"].to_numpy(), months),
        "kind": np.repeat(causes["kind"].to_numpy(), months),
        "month": np.tile(np.arange(1, months + 1), len(causes)),
        "first_day": np.tile(first_days, len(causes)),
        "days": np.tile(np.diff(edges) / DAY, len(causes)),
        "problems": made.ravel().astype(int),
        "contacts": contacts.ravel().astype(int),
    }, columns=CAUSE_MONTH_COLUMNS)

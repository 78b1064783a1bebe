"""Staffing that follows demand: rosters re-planned every period, as a workforce planner would.

With ``staffing.policy: replan``, every ``staffing.replan_every`` (monthly by default) each agent
group's roster is planned anew with the staffing calculator (:mod:`sim.staffing`): for every
half-hour of the week, the fewest rostered agents whose exact Erlang A figures meet the target,
from what the last period showed:

- **volume**: the contacts that joined the group's primary queues (its first skill; see
  :func:`sim.staffing.primary_group`) in each half-hour of the week during the last period,
  averaged over that half-hour's occurrences in the period; transfers and escalations count where
  they join;
- **handle time**: the group's mean talk + consult hold + after-call work over the conversations
  it handled in the last period (the scenario's figure while it has handled none);
- **patience**: the scenario's mean patience of the callers of those queues (a planner does not
  see patience; Erlang C if they never abandon).

The new roster applies from the re-planning instant until the next one (:class:`LiveRoster`).
Without this, prevention could never save agent cost: demand that stops arriving would leave the
same agents idle. With it, the saving shows as fewer rostered hours, a period late.
"""

from __future__ import annotations

import math

import numpy as np
from simpy import Environment

from sim.calendar import SLOT, SLOTS_PER_DAY
from sim.records import CONVERSATION_COLUMNS, Conversation
from sim.roster import LiveRoster, steps_of_grid
from sim.scenario import Scenario
from sim.staffing import Target, agents_needed_for, primary_group, rostered_for


SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
_HANDLED = [int(c) for c in (Conversation.RESOLVED, Conversation.UNRESOLVED, Conversation.ESCALATED,
                             Conversation.DROPPED, Conversation.TRANSFERRED, Conversation.DISPATCHED)]


def occurrences(start: float, end: float) -> np.ndarray:
    """Seconds of ``[start, end)`` in each half-hour of the week, in half-hours (a count of that
    half-hour's occurrences, fractional at the ends)."""
    first, last = int(start // SLOT), int(math.ceil(end / SLOT))
    counts = np.zeros(SLOTS_PER_WEEK)
    for slot in range(first, last):
        low, high = max(slot * SLOT, start), min((slot + 1) * SLOT, end)
        if high > low:
            counts[slot % SLOTS_PER_WEEK] += (high - low) / SLOT
    return counts


class Replanner:
    """Re-plans every group's roster each period from what the last period showed."""

    def __init__(self, env: Environment, scenario: Scenario, groups, queues, rosters: dict[str, LiveRoster],
                 conversations):
        self.env = env
        self.scenario = scenario
        self.groups = groups
        self.queues = queues
        self.rosters = rosters
        self.conversations = conversations
        """The conversation log (its packed rows since the last re-plan give handle times)."""
        staffing = scenario.staffing
        self.target = Target(staffing.service_level, scenario.threshold(), staffing.max_abandon)
        self.every = staffing.replan_every
        queue_index = {queue.name: queue.index for queue in queues}
        self.primary: dict[int, list[int]] = {}
        """Group code -> codes of the queues it plans for."""
        for queue in scenario.queue_names:
            name = primary_group(scenario, queue)
            code = list(scenario.agents).index(name)
            self.primary.setdefault(code, []).append(queue_index[queue])
        self.patience_s: dict[int, float] = {}
        for code, queue_codes in self.primary.items():
            names = {queues[q].name for q in queue_codes}
            patience = [scenario.patience_of(r) for r in scenario.demand if scenario.queue_of(r) in names]
            if not patience:  # escalations and transfers only: the callers keep their patience
                patience = [scenario.patience_of(r) for r in scenario.demand]
            if any(p is None for p in patience):
                self.patience_s[code] = math.inf
            else:
                self.patience_s[code] = float(np.mean([p.mean_value for p in patience]))
        self.plans: list[dict] = []
        """One row per group and re-plan: when, the volume and AHT it saw, the FTE it rostered."""
        self._offset = 0
        for queue in queues:
            queue.joins = [0] * SLOTS_PER_WEEK
        env.process(self.run())

    def run(self):
        env = self.env
        last = 0.0
        while True:
            yield env.timeout(self.every)
            self.replan(last, env.now)
            last = env.now

    def _handle_times(self) -> dict[int, float]:
        """Mean handle time per group over the conversations logged since the last re-plan."""
        buffer = self.conversations.buffer
        dtype = np.dtype([(name, "<" + code) for name, code in CONVERSATION_COLUMNS.items()])
        rows = np.frombuffer(bytes(buffer[self._offset:]), dtype=dtype)
        self._offset = len(buffer)
        handled = rows[np.isin(rows["result"], _HANDLED)]
        times = {}
        for code in self.primary:
            mine = handled[handled["group"] == code]
            if len(mine):
                times[code] = float(np.mean(mine["talk_s"] + mine["hold_s"] + mine["acw_s"]))
        return times

    def replan(self, start: float, now: float) -> None:
        """Plan every group's roster for the next period from ``[start, now)``."""
        seen = occurrences(start, now)
        handle = self._handle_times()
        for code, queue_codes in self.primary.items():
            group = self.groups[code]
            spec = self.scenario.agents[group.name]
            joins = np.sum([self.queues[q].joins for q in queue_codes], axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                rates = np.where(seen > 0, joins / np.maximum(seen, 1e-12) / SLOT, 0.0)
            aht = handle.get(code, _scenario_aht(spec))
            grid = np.zeros((7, SLOTS_PER_DAY), dtype=int)
            needed = agents_needed_for(rates.tolist(), aht, self.patience_s[code], self.target)
            for slot in range(SLOTS_PER_WEEK):
                grid[slot // SLOTS_PER_DAY, slot % SLOTS_PER_DAY] = rostered_for(needed[slot], spec.shrinkage)
            self.rosters[group.name].replace(steps_of_grid(grid))
            self.plans.append({"group": group.name, "at_s": now, "contacts_seen": int(joins.sum()),
                               "aht_s": aht, "rostered_hours_per_week": float(grid.sum()) * SLOT / 3600})
        for queue in self.queues:
            queue.joins = [0] * SLOTS_PER_WEEK


def _scenario_aht(spec) -> float:
    """The scenario's mean agent time per contact of a group (talk + hold + after-call work)."""
    aht = spec.handle_time.mean_value
    if spec.hold is not None:
        aht += spec.hold.probability * spec.hold.duration.mean_value
    if spec.after_call_work is not None:
        aht += spec.after_call_work.mean_value
    return aht




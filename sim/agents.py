"""Agents: groups of interchangeable people who answer queues.

An :class:`AgentGroup` is a pool, not a list of SimPy resources: it keeps the ids of its idle
agents in a line ordered by how long they have been idle, so that

- an arriving contact goes to the *longest-idle* agent among the groups that serve its queue, and
- a freed agent takes the longest-waiting contact of the highest-priority queue it serves.

Taking or freeing an agent costs O(1) whatever the headcount (``simpy.Resource`` scans its users on
every release, which slows large centres down). The roster can change at any time
(:mod:`sim.roster`): agents start, idle agents leave, busy agents finish their call first. Each
group keeps its staffing over time as a step function (rostered and on-duty agents from a time
on), for agent cost and occupancy.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from sim.roster import available_agents

if TYPE_CHECKING:
    from sim.queues import WaitingLine
    from sim.wakeups import Recurring

NO_AGENT: Final = -1
"""Agent id recorded for a contact nobody answered."""



class AgentGroup:
    """The runtime state of one group of agents."""

    __slots__ = ("name", "index", "idle", "idle_since", "serves", "handle_time", "hourly_cost",
                 "resolve_probability", "shrinkage", "rostered", "on_duty", "leaving", "next_agent",
                 "staffing", "after_call_work", "hold_probability", "hold_chance", "hold_duration",
                 "wraps_up", "handles", "resolve_draw", "drop_probability", "drop_draw", "escalate_to",
                 "escalate_after", "call_back_dropped", "steps", "new_step")

    def __init__(self, name: str, index: int, rostered: int, shrinkage: float,
                 handle_time: list[Callable[[float], float]], hourly_cost: float,
                 resolve_probability: float = 1.0, new_step: Callable[[], Recurring] | None = None):
        self.name = name
        """Name from the scenario."""
        self.index = index
        """Position in the scenario's ``agents`` (the code recorded per contact)."""
        self.idle: deque[int] = deque()
        """Ids of idle agents, longest idle first."""
        self.idle_since: deque[float] = deque()
        """When each agent in ``idle`` became idle (same order)."""
        self.serves: list[WaitingLine] = []
        """Queues (:class:`~sim.queues.WaitingLine`) this group answers, highest priority first."""
        self.handle_time = handle_time
        """Per reason code: ``f(z)`` turning a contact's normal score into its talk time here."""
        self.hourly_cost = hourly_cost
        """Cost per rostered agent hour."""
        self.resolve_probability = resolve_probability
        """Chance that a conversation here resolves the caller's problem."""
        self.shrinkage = shrinkage
        """Share of rostered agents off the phones."""
        self.rostered = 0
        """Agents rostered (paid) now."""
        self.on_duty = 0
        """Agents present now: idle or busy (including those finishing a call past their shift)."""
        self.leaving = 0
        """Busy agents who leave when their call is done (the roster went down)."""
        self.next_agent = 0
        """Id of the next agent to start (ids are per group)."""
        self.after_call_work: Any = None
        """Sampler of wrap-up time, or ``None``."""
        self.hold_probability = 0.0
        """Share of conversations with a consult hold."""
        self.hold_chance: Any = None
        """Uniform sampler deciding a hold."""
        self.hold_duration: Any = None
        """Sampler of hold time."""
        self.wraps_up = False
        """True if conversations here can have a consult hold or after-call work (set by the model)."""
        self.handles: list[bool] = []
        """Per reason code: can this group handle it (does it serve that reason's queue)?"""
        self.resolve_draw: Any = None
        """Uniform sampler for the resolution of a contact's second and later conversations."""
        self.drop_probability = 0.0
        """Chance a conversation drops."""
        self.drop_draw: Any = None
        """Uniform sampler: whether a call drops, and when."""
        self.escalate_to: int | None = None
        """Queue code of the higher tier, or ``None``."""
        self.escalate_after = 0
        """Escalate only once the problem failed this many contacts before."""
        self.call_back_dropped = False
        """Policy: call back customers whose call dropped."""
        self.staffing: list[tuple[float, int, int]] = []
        """Steps ``(from time, rostered, on duty)`` of the group's staffing."""
        self.new_step = new_step
        """Makes an agent's reusable wake-up event (:class:`~sim.wakeups.Recurring`), if given."""
        self.steps: list[Recurring] = []
        """Per agent id: the event that wakes the agent for their next step (one is ever pending)."""
        self.set_roster(rostered, 0.0)
        for agent in range(self.next_agent):
            self.make_idle(agent, 0.0)

    def longest_idle_since(self) -> float:
        """When the longest-idle agent became idle (``inf`` if nobody is idle)."""
        return self.idle_since[0] if self.idle else float("inf")

    def take_longest_idle(self) -> int:
        """Remove and return the longest-idle agent."""
        self.idle_since.popleft()
        return self.idle.popleft()

    def make_idle(self, agent: int, now: float) -> None:
        """Agent *agent* has nothing to do from *now* on."""
        self.idle.append(agent)
        self.idle_since.append(now)

    def set_roster(self, rostered: int, now: float) -> list[int]:
        """The roster changes to *rostered* at *now*; return the ids of agents who start now.

        Going down, idle agents leave first (the most recently idle), then busy agents are marked
        to leave when their call is done. Going up, agents marked to leave stay, then new ones start.
        """
        self.rostered = rostered
        target = available_agents(rostered, self.shrinkage)
        present = self.on_duty - self.leaving
        starting: list[int] = []
        if target > present:
            staying = min(self.leaving, target - present)
            self.leaving -= staying
            for _ in range(target - present - staying):
                starting.append(self.next_agent)
                self.next_agent += 1
                if self.new_step is not None:
                    self.steps.append(self.new_step())
            self.on_duty += len(starting)
        elif target < present:
            surplus = present - target
            while surplus and self.idle:
                self.idle.pop()
                self.idle_since.pop()
                self.on_duty -= 1
                surplus -= 1
            self.leaving += surplus
        self.staffing.append((now, rostered, self.on_duty))
        return starting

    def leave_after_call(self, now: float) -> bool:
        """True if an agent who just finished must leave (the roster went down); records it."""
        if not self.leaving:
            return False
        self.leaving -= 1
        self.on_duty -= 1
        self.staffing.append((now, self.rostered, self.on_duty))
        return True


def longest_idle_group(groups: list[AgentGroup]) -> AgentGroup | None:
    """Among *groups*, the one whose longest-idle agent has waited longest (``None``: all busy)."""
    best = None
    best_since = float("inf")
    for group in groups:
        if group.idle:
            since = group.idle_since[0]
            if since < best_since:
                best, best_since = group, since
    return best

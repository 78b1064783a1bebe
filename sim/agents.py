"""Agents: groups of interchangeable people who answer queues.

An :class:`AgentGroup` is a pool, not a list of SimPy resources: it keeps the ids of its idle
agents in a line ordered by how long they have been idle, so that

- an arriving contact goes to the *longest-idle* agent among the groups that serve its queue, and
- a freed agent takes the longest-waiting contact of the highest-priority queue it serves.

Taking or freeing an agent costs O(1) whatever the headcount (``simpy.Resource`` scans its users on
every release, which slows large centres down). Each group also keeps its staffing over time as a
step function (rostered and available agents from a time on), for occupancy and agent cost.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

NO_AGENT = -1
"""Agent id recorded for a contact nobody answered."""


class AgentGroup:
    """The runtime state of one group of agents."""

    __slots__ = ("name", "index", "idle", "idle_since", "serves", "handle_time", "hourly_cost",
                 "staffing", "first_agent", "resolve_probability")

    def __init__(self, name: str, index: int, headcount: int, first_agent: int,
                 handle_time: list[Callable[[float], float]], hourly_cost: float,
                 resolve_probability: float = 1.0):
        self.name = name
        """Name from the scenario."""
        self.index = index
        """Position in the scenario's ``agents`` (the code recorded per contact)."""
        self.first_agent = first_agent
        """Id of this group's first agent; ids are unique across groups."""
        self.idle: deque[int] = deque(range(first_agent, first_agent + headcount))
        """Ids of idle agents, longest idle first."""
        self.idle_since: deque[float] = deque(0.0 for _ in range(headcount))
        """When each agent in ``idle`` became idle (same order)."""
        self.serves: list = []
        """Queues (:class:`~sim.queues.WaitingLine`) this group answers, highest priority first."""
        self.handle_time = handle_time
        """Per reason code: ``f(z)`` turning a contact's normal score into its talk time here."""
        self.hourly_cost = hourly_cost
        """Cost per rostered agent hour."""
        self.resolve_probability = resolve_probability
        """Chance that a conversation here resolves the caller's problem."""
        self.staffing: list[tuple[float, int, int]] = [(0.0, headcount, headcount)]
        """Steps ``(from time, rostered, available)`` of the group's staffing."""

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

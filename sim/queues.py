"""Queues: the line callers wait in, first come, first served, until answered or out of patience.

A :class:`WaitingLine` holds contacts in arrival order. A caller who abandons leaves the line at the
moment their patience runs out (their abandonment is a scheduled event, so redials, announced
waits and queue lengths see it at its real time); to keep that O(1), the abandoned entry stays in
the deque, marked, and is skipped when it reaches the head. ``waiting`` counts the callers really
in line.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.agents import AgentGroup
    from sim.journey import Contact


class WaitingLine:
    """One queue's runtime state."""

    __slots__ = ("name", "index", "line", "waiting", "groups", "offer", "estimate", "recent_wait", "joins",
                 "mean_handle_s", "callback_queue", "recent")

    def __init__(self, name: str, index: int):
        self.name = name
        """Name from the scenario."""
        self.index = index
        """Position among the scenario's queues (the code recorded per contact)."""
        self.line: deque[Contact] = deque()
        """Contacts in arrival order; abandoned ones stay until they reach the head."""
        self.waiting = 0
        """Contacts really waiting (abandoned ones excluded)."""
        self.groups: list[AgentGroup] = []
        """Agent groups (:class:`~sim.agents.AgentGroup`) that serve this queue."""
        self.offer: Any = None
        """Callback offer settings (:class:`~sim.scenario.CallbackOffer`), or ``None``."""
        self.joins: list[int] | None = None
        """Contacts that joined, per half-hour of the week, since the last staffing re-plan (only
        counted when rosters are re-planned)."""
        self.estimate: str | None = None
        """``position``, ``recent``, or ``None`` when nobody needs the estimated wait."""
        self.recent = False
        """True if answered waits feed a ``recent`` estimate."""
        self.recent_wait = 0.0
        """Smoothed recent waits (``recent`` estimates)."""
        self.mean_handle_s = 0.0
        """Mean agent time per contact here (for ``position`` estimates)."""
        self.callback_queue: WaitingLine | None = None
        """Where scheduled callback requests go."""

    def join(self, contact: Contact) -> None:
        """*contact* starts waiting at the back of the line."""
        self.line.append(contact)
        self.waiting += 1

    def join_front(self, contact: Contact) -> None:
        """*contact* is put at the front of the line (a warm transfer)."""
        self.line.appendleft(contact)
        self.waiting += 1

    def leave(self) -> None:
        """A waiting contact abandoned; it is marked ``waiting=False`` by the caller."""
        self.waiting -= 1

    def next_contact(self) -> Contact | None:
        """Remove and return the longest-waiting contact still waiting, or ``None``."""
        line = self.line
        if not self.waiting:
            line.clear()
            return None
        while line:
            contact = line.popleft()
            if contact.waiting:
                self.waiting -= 1
                return contact
        return None

"""Callbacks: "we'll call you back" instead of holding.

When a caller must wait, the queue can estimate the wait, announce it, and above a threshold offer
a callback, which a share of callers accept (FIGURES.md: 37%). Two ways to keep the promise:

- **virtual hold**: the caller hangs up but keeps their place in line; when an agent would have
  answered them, the agent calls them instead;
- **scheduled callback**: the request joins a callback queue (served like any queue: by an outbound
  group, or by inbound agents at a lower priority), within a promised window.

Either way the agent dials (``outbound.dial_time``); the attempt reaches the customer with
``outbound.reach_probability``; after a failed attempt the request waits ``retry_delay`` and joins
the line again, until ``attempts`` have failed: the contact is then lost, its problem unresolved. A
dropped call can also be called back, if the answering group's policy says so.

Estimating the wait, two classic ways:

- ``position``: (callers ahead + 1) x mean agent time per contact / agents on duty;
- ``recent``: an exponentially smoothed average of the waits of the last answered callers.
"""

from __future__ import annotations

from typing import Final

from sim.queues import WaitingLine

RECENT_WEIGHT: Final = 0.1
"""Weight of the newest answered wait in the ``recent`` estimate (about the last ten callers)."""


def estimated_wait(queue: WaitingLine) -> float:
    """The wait a caller joining *queue* now would be told (seconds)."""
    if queue.estimate == "recent":
        return queue.recent_wait
    on_duty = 0
    for group in queue.groups:
        on_duty += group.on_duty - group.leaving
    return (queue.waiting + 1) * queue.mean_handle_s / (on_duty if on_duty > 1 else 1)


def note_answered_wait(queue: WaitingLine, wait: float) -> None:
    """Feed an answered caller's wait into a ``recent`` estimate."""
    queue.recent_wait += RECENT_WEIGHT * (wait - queue.recent_wait)

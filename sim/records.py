"""Records: one flat row per contact, kept in columns, turned into a table once.

A contact's row is written exactly once, when the contact ends: answered and finished, abandoned,
or, for contacts still in the system when the horizon comes, with an ``*_AT_HORIZON`` outcome. The
``outcome`` column is the discriminator. Every field is a typed ``array`` (8 bytes a number), so a
million contacts cost tens of megabytes, not the gigabyte a dict per contact would.

Instants end in ``t_`` (seconds since the start, a Monday 00:00); durations end in ``_s``. A time
that does not apply is ``NaN`` (``t_answer`` of an abandoned contact), a code that does not apply
is ``-1`` (``group`` of an abandoned contact).
"""

from __future__ import annotations

import math
from array import array
from enum import IntEnum

import numpy as np
import pandas as pd

NAN = math.nan


class Outcome(IntEnum):
    """How a contact ended (the ``outcome`` column)."""

    ANSWERED = 1
    """An agent answered and the conversation ended."""
    ABANDONED = 2
    """The caller hung up while waiting in a queue."""
    WAITING_AT_HORIZON = 3
    """Still waiting in a queue when the run ended."""
    IN_SERVICE_AT_HORIZON = 4
    """Answered, conversation still going when the run ended."""


COLUMNS: dict[str, str] = {
    "contact": "q",
    "problem": "q",
    "reason": "h",
    "queue": "h",
    "group": "h",
    "agent": "l",
    "outcome": "b",
    "resolved": "b",
    "t_arrive": "d",
    "t_queue": "d",
    "t_answer": "d",
    "t_end": "d",
    "talk_s": "d",
}
"""The columns of the contact log and their ``array`` type codes."""

COLUMN_DOCS: dict[str, str] = {
    "contact": "contact id, unique in the run",
    "problem": "problem id (each contact is its own problem until customers exist)",
    "reason": "reason code (position in the scenario's demand)",
    "queue": "code of the first queue joined (position in the scenario's queues)",
    "group": "code of the answering agent group, -1 if not answered",
    "agent": "id of the answering agent, -1 if not answered",
    "outcome": "how the contact ended, see Outcome",
    "resolved": "1 if the conversation resolved the problem",
    "t_arrive": "arrival instant (s)",
    "t_queue": "first entry into an agent queue (s)",
    "t_answer": "answer instant (s), NaN if not answered",
    "t_end": "end instant: conversation end, abandonment, or the horizon (s)",
    "talk_s": "talk time (s), 0 if not answered",
}


class ContactLog:
    """Contact rows, kept as one flat buffer of doubles (one ``extend`` per row: the fastest
    way to write a row from Python), split into typed columns once by :meth:`frame`."""

    def __init__(self):
        self.rows = array("d")
        """Row after row, ``len(COLUMNS)`` numbers each (ids below 2**53 are exact)."""
        self._extend = self.rows.extend

    def write(self, contact, outcome: int, t_end: float) -> None:
        """Write *contact*'s row (once, when it ends)."""
        self._extend((contact.id, contact.problem, contact.reason, contact.queue, contact.group,
                      contact.agent, outcome, contact.resolved, contact.t_arrive, contact.t_queue,
                      contact.t_answer, t_end, contact.talk_s))

    def __len__(self) -> int:
        return len(self.rows) // len(COLUMNS)

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame sorted by contact id (built once, at the end of a run)."""
        table = np.frombuffer(self.rows, dtype=np.float64).reshape(-1, len(COLUMNS))
        order = np.argsort(table[:, 0], kind="stable")
        return pd.DataFrame({
            name: table[order, position].astype(np.dtype(code))
            for position, (name, code) in enumerate(COLUMNS.items())
        })

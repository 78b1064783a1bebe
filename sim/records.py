"""Records: one flat row per contact, kept in columns, turned into a table once.

A contact's row is written exactly once, when the contact ends: answered and finished, abandoned,
or, for contacts still in the system when the horizon comes, with an ``*_AT_HORIZON`` outcome. The
``outcome`` column is the discriminator. Rows are packed binary (about 100 bytes a contact), so a
million contacts cost a hundred megabytes, not the gigabyte a dict per contact would.

Instants end in ``t_`` (seconds since the start, a Monday 00:00); durations end in ``_s``. A time
that does not apply is ``NaN`` (``t_answer`` of an abandoned contact), a code that does not apply
is ``-1`` (``group`` of an abandoned contact).
"""

from __future__ import annotations

import math
import struct
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
    """Still waiting (in a queue, or for the opening) when the run ended."""
    IN_SERVICE_AT_HORIZON = 4
    """Answered, conversation still going when the run ended."""
    CLOSED = 5
    """Arrived outside opening hours, heard the closed message and hung up."""


COLUMNS: dict[str, str] = {
    "contact": "q",
    "customer": "q",
    "problem": "q",
    "reason": "h",
    "queue": "h",
    "group": "h",
    "agent": "q",
    "outcome": "b",
    "resolved": "b",
    "callback": "b",
    "t_arrive": "d",
    "t_queue": "d",
    "t_answer": "d",
    "t_end": "d",
    "talk_s": "d",
    "hold_s": "d",
    "acw_s": "d",
}
"""The columns of the contact log and their ``struct`` codes (q: 64-bit integer, h: 16-bit,
b: 8-bit, d: double)."""

COLUMN_DOCS: dict[str, str] = {
    "contact": "contact id, unique in the run",
    "customer": "customer id (a fresh customer per new problem until a customer population exists)",
    "problem": "problem id; a repeat contact about the same problem carries the same id",
    "reason": "reason code (position in the scenario's demand)",
    "queue": "code of the first queue joined (position in the scenario's queues)",
    "group": "code of the answering agent group, -1 if not answered",
    "agent": "id of the answering agent, -1 if not answered",
    "outcome": "how the contact ended, see Outcome",
    "resolved": "1 if the conversation resolved the problem",
    "callback": "1 if the customer left a callback request (closed hours)",
    "t_arrive": "arrival instant (s)",
    "t_queue": "first entry into an agent queue (s)",
    "t_answer": "answer instant (s), NaN if not answered",
    "t_end": "end instant: conversation end, abandonment, or the horizon (s)",
    "talk_s": "talk time (s), 0 if not answered",
    "hold_s": "mid-call consult hold (s)",
    "acw_s": "after-call work of the agent (s)",
}


class ContactLog:
    """Contact rows packed into one growing byte buffer (``struct``: the fastest way to write a
    row from Python), read back as typed columns with one numpy view by :meth:`frame`."""

    def __init__(self):
        self.row = struct.Struct("<" + "".join(COLUMNS.values()))
        """The binary layout of a row (little-endian, no padding)."""
        self.dtype = np.dtype([(name, "<" + code) for name, code in COLUMNS.items()])
        """The same layout as a numpy record type."""
        self.buffer = bytearray()
        """Row after row."""
        self._pack = self.row.pack

    def write(self, contact, outcome: int, t_end: float) -> None:
        """Write *contact*'s row (once, when it ends)."""
        self.buffer += self._pack(
            contact.id, contact.customer, contact.problem, contact.reason, contact.queue,
            contact.group, contact.agent, outcome, contact.resolved, contact.callback,
            contact.t_arrive, contact.t_queue, contact.t_answer, t_end, contact.talk_s,
            contact.hold_s, contact.acw_s)

    def __len__(self) -> int:
        return len(self.buffer) // self.row.size

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame sorted by contact id (built once, at the end of a run)."""
        table = np.frombuffer(bytes(self.buffer), dtype=self.dtype)
        table = table[np.argsort(table["contact"], kind="stable")]
        return pd.DataFrame({name: table[name].astype(table.dtype[name].newbyteorder("="))
                             for name in COLUMNS})

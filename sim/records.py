"""Records: flat rows kept in packed buffers, turned into tables once.

Two logs, each row written exactly once:

- the **contact log**, one row per contact, written when the contact ends (answered and done,
  abandoned, hung up in the IVR, self-served, ...; contacts still in the system at the horizon are
  written then, with an ``*_AT_HORIZON`` outcome). ``outcome`` is the discriminator. A run whose
  scenario uses no journey feature (IVR, transfers, escalation, callbacks, redials, drops) writes
  only the core columns; the journey columns then take their defaults in :meth:`ContactLog.frame`.
- the **conversation log**, one row per time an agent handles a contact (an inbound answer, a
  transfer's second conversation, an escalation, an outbound callback attempt): what agent groups
  did, for occupancy, handle times and per-group figures.

Rows are packed binary (``struct``), about 100 bytes a contact, so a million contacts cost a
hundred megabytes, not the gigabyte a dict per contact would. Instants start ``t_`` (seconds since
the start, a Monday 00:00); durations end ``_s``. A time that does not apply is ``NaN``, a code
that does not apply is ``-1``.
"""

from __future__ import annotations

import math
import struct
from enum import IntEnum
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.journey import Contact
    from sim.problems import Problem

NAN: Final = math.nan


class Outcome(IntEnum):
    """How a contact ended (the ``outcome`` column)."""

    ANSWERED = 1
    """An agent answered and the conversation ended (resolved or not: see ``resolved``)."""
    ABANDONED = 2
    """The caller hung up while waiting in a queue."""
    WAITING_AT_HORIZON = 3
    """Still waiting (in a queue, for the opening, or for a callback) when the run ended."""
    IN_SERVICE_AT_HORIZON = 4
    """Answered, conversation still going when the run ended."""
    CLOSED = 5
    """Arrived outside opening hours, heard the closed message and hung up."""
    IVR_HANGUP = 6
    """Hung up in the IVR."""
    IN_IVR_AT_HORIZON = 7
    """Still in the IVR when the run ended."""
    SELF_SERVED = 8
    """Resolved by an IVR self-service leaf, no agent."""
    DROPPED = 9
    """The call dropped mid-conversation."""
    CALLBACK_FAILED = 10
    """Every callback attempt failed to reach the customer: the contact is lost."""


class Origin(IntEnum):
    """Why a contact was made (the ``origin`` column)."""

    NEW = 0
    """The first contact about a problem."""
    REDIAL = 1
    """Calling again after abandoning, hanging up in the IVR, or a dropped call."""
    REPEAT = 2
    """Contacting again after "call us again later"."""


class ProblemOutcome(IntEnum):
    """How a problem ended (the ``outcome`` column of the problem log)."""

    RESOLVED = 1
    """Resolved by an agent."""
    SELF_SERVED = 2
    """Resolved by IVR self-service."""
    WEB = 3
    """Value demand resolved on the web before any contact."""
    FIELD = 4
    """Resolved by a technician's visit."""
    SILENT = 5
    """The customer never contacted service (a silent sufferer)."""
    GAVE_UP = 6
    """Contacted, never resolved: the customer stopped trying."""
    OPEN_AT_HORIZON = 7
    """Still open when the run ended (a contact pending, in progress, or a visit due)."""
    CUSTOMER_LEFT = 8
    """The customer had left before the contact they were about to make."""


RESOLVED_OUTCOMES = (ProblemOutcome.RESOLVED, ProblemOutcome.SELF_SERVED, ProblemOutcome.WEB,
                     ProblemOutcome.FIELD)
"""Problem outcomes that count as resolved."""


class Conversation(IntEnum):
    """What an agent did in one conversation (the ``result`` column of the conversation log)."""

    RESOLVED = 1
    UNRESOLVED = 2
    """Not resolved and not escalated (told to call again, or the customer gives up)."""
    TRANSFERRED = 3
    """Misrouted: sent on to the right queue."""
    ESCALATED = 4
    """Passed to a higher tier."""
    DROPPED = 5
    NOT_REACHED = 6
    """An outbound callback attempt that failed to reach the customer."""
    UNFINISHED = 7
    """Still going at the horizon."""
    DIALLED = 8
    """An outbound callback attempt that reached the customer (the conversation follows in its
    own row)."""
    DISPATCHED = 9
    """The agent booked a technician's visit (the problem needs one): the contact ends, the
    problem is resolved at the visit, or not."""


CORE_COLUMNS: dict[str, str] = {
    "contact": "q",
    "customer": "q",
    "problem": "q",
    "reason": "h",
    "queue": "h",
    "group": "h",
    "outcome": "b",
    "resolved": "b",
    "callback": "b",
    "t_arrive": "d",
    "t_queue": "d",
    "t_answer": "d",
    "t_end": "d",
    "wait_s": "d",
    "talk_s": "d",
    "hold_s": "d",
    "line_s": "d",
}
"""Columns every run writes, and their ``struct`` codes (q: 64-bit, h: 16-bit, b: 8-bit integer,
d: double)."""

JOURNEY_COLUMNS: dict[str, str] = {
    "origin": "b",
    "attempt": "h",
    "ivr_s": "d",
    "ivr_menus": "h",
    "zero_out": "b",
    "misrouted": "b",
    "hops": "h",
    "transfers": "h",
    "escalations": "h",
    "callback_offered": "b",
    "callback_accepted": "b",
    "callback_attempts": "h",
    "callback_wait_s": "d",
    "outbound_s": "d",
    "announced_wait_s": "d",
    "callback_within_window": "b",
    "tagged": "b",
}
"""Columns written when the scenario uses journey features (defaults otherwise)."""

JOURNEY_DEFAULTS: dict[str, float] = {
    "origin": 0, "attempt": 1, "ivr_s": 0.0, "ivr_menus": 0, "zero_out": 0, "misrouted": 0, "hops": 0,
    "transfers": 0, "escalations": 0, "callback_offered": 0, "callback_accepted": 0,
    "callback_attempts": 0, "callback_wait_s": 0.0, "outbound_s": 0.0, "announced_wait_s": NAN, "callback_within_window": 0,
    "tagged": 0,
}

COLUMN_DOCS: dict[str, str] = {
    "contact": "contact id, unique in the run",
    "customer": "customer id (a fresh customer per new problem until a customer population exists)",
    "problem": "problem id; redials and repeat contacts about the same problem carry the same id",
    "reason": "reason code (position in the scenario's demand)",
    "queue": "code of the first agent queue joined (position in the scenario's queues), -1 if none",
    "group": "code of the first answering agent group, -1 if not answered",
    "outcome": "how the contact ended, see Outcome",
    "resolved": "1 if the problem was resolved in this contact (by an agent or self-service)",
    "callback": "1 if the customer was called back (a callback request: closed hours or an accepted offer)",
    "t_arrive": "arrival instant (s)",
    "t_queue": "first entry into an agent queue (s), NaN if never queued",
    "t_answer": "first answer by an agent, for a callback the connection (s), NaN if never",
    "t_end": "end instant: last conversation's end, abandonment, hang-up, or the horizon (s)",
    "wait_s": "total time waiting in agent queues on the line, over every hop (s)",
    "talk_s": "total talk time over every conversation (s)",
    "hold_s": "total consult hold (s)",
    "line_s": "inbound time on the line: IVR, queue waits, inbound talk and hold (telephony) (s)",
    "origin": "0 new problem, 1 redial (after abandoning, hanging up or a drop), 2 repeat (call us again)",
    "attempt": "contact number for this problem (1 = first)",
    "ivr_s": "time in the IVR (s)",
    "ivr_menus": "IVR menus passed",
    "zero_out": "1 if the caller pressed 0 for an operator",
    "misrouted": "1 if the contact reached a queue whose agents could not handle its reason",
    "hops": "agent queues joined (1 = no transfer)",
    "transfers": "transfers to the right queue after a misroute",
    "escalations": "escalations to a higher tier",
    "callback_offered": "1 if offered a callback",
    "callback_accepted": "1 if the offer was accepted",
    "callback_attempts": "outbound attempts to reach the customer",
    "callback_wait_s": "time waiting for a callback, off the line (s)",
    "outbound_s": "outbound agent time: dialling and talking on callbacks (s)",
    "announced_wait_s": "estimated wait when the contact joined its first queue (s)",
    "callback_within_window": "1 if a scheduled callback connected within its promised window",
    "tagged": "1 if an agent tagged the contact with its root cause (customer population runs)",
}

CONVERSATION_COLUMNS: dict[str, str] = {
    "contact": "q",
    "reason": "h",
    "queue": "h",
    "group": "h",
    "agent": "q",
    "result": "b",
    "outbound": "b",
    "t_start": "d",
    "talk_s": "d",
    "hold_s": "d",
    "acw_s": "d",
}
"""Columns of the conversation log."""

CONVERSATION_DOCS: dict[str, str] = {
    "contact": "contact id", "reason": "reason code", "queue": "queue code the contact was taken from",
    "group": "agent group code", "agent": "agent id within the group", "result": "see Conversation",
    "outbound": "1 for an outbound callback (attempt or conversation)", "t_start": "answer instant (s)",
    "talk_s": "talk (for an outbound attempt: dialling) (s)", "hold_s": "consult hold (s)",
    "acw_s": "after-call work (s)",
}


_BLOCK_ROWS: Final = 4096
"""Rows of a packed log turned into columns at a time (a block stays in the processor's cache)."""


class _Buffer:
    """Rows of fixed binary layout appended to a byte buffer."""

    def __init__(self, columns: dict[str, str]):
        self.columns = columns
        self.row = struct.Struct("<" + "".join(columns.values()))
        self.dtype = np.dtype([(name, "<" + code) for name, code in columns.items()])
        self.buffer = bytearray()

    def __len__(self) -> int:
        return len(self.buffer) // self.row.size

    def table(self, sort_by: str | None = None) -> pd.DataFrame:
        rows = np.frombuffer(self.buffer, dtype=self.dtype)  # a view: released when this returns
        rank = None
        if sort_by is not None:
            # each row's place in the sorted table
            rank = np.empty(len(rows), dtype=np.int64)
            rank[np.argsort(rows[sort_by], kind="stable")] = np.arange(len(rows))
        # the columns are cut a block of rows at a time, so each block is read from memory once, not
        # once per column, and each row goes straight to its sorted place (fresh memory costs as
        # much as the copying: one copy, and pandas keeps the arrays as they are)
        columns = {name: np.empty(len(rows), dtype=rows.dtype[name].newbyteorder("=")) for name in self.columns}
        for low in range(0, len(rows), _BLOCK_ROWS):
            block = rows[low:low + _BLOCK_ROWS]
            if rank is None:
                for name, values in columns.items():
                    values[low:low + len(block)] = block[name]
            else:
                places = rank[low:low + len(block)]
                for name, values in columns.items():
                    values[places] = block[name]
        return pd.DataFrame(columns, copy=False)


class ContactLog:
    """The contact log: core columns always, journey columns when *journey* is true."""

    def __init__(self, journey: bool = False):
        self.journey = journey
        """True if rows carry the journey columns."""
        self._rows = _Buffer({**CORE_COLUMNS, **JOURNEY_COLUMNS} if journey else CORE_COLUMNS)
        self._pack = self._rows.row.pack
        self.write = self._write_journey if journey else self._write_core
        """``write(contact, outcome, t_end)``: the contact's row (once, when it ends)."""

    def _write_core(self, c: Contact, outcome: int, t_end: float) -> None:
        self._rows.buffer += self._pack(
            c.id, c.customer, c.problem, c.reason, c.queue, c.group, outcome, c.resolved, c.callback,
            c.t_arrive, c.t_queue, c.t_answer, t_end, c.wait_s, c.talk_s, c.hold_s, c.line_s)

    def _write_journey(self, c: Contact, outcome: int, t_end: float) -> None:
        self._rows.buffer += self._pack(
            c.id, c.customer, c.problem, c.reason, c.queue, c.group, outcome, c.resolved, c.callback,
            c.t_arrive, c.t_queue, c.t_answer, t_end, c.wait_s, c.talk_s, c.hold_s, c.line_s,
            c.origin, c.attempt, c.ivr_s, c.ivr_menus, c.zero_out, c.misrouted, c.hops, c.transfers,
            c.escalations, c.callback_offered, c.callback_accepted, c.callback_attempts,
            c.callback_wait_s, c.outbound_s, c.announced_wait_s, c.callback_within_window, c.tagged)

    def about_problems(self, callback_failed: int) -> None:
        """Customers are modelled: each row written also adds the contact to its problem (contacts,
        IVR, wait and talk time, transfers, failed callbacks), in the same call."""
        pack = self._pack
        rows = self._rows

        def write(c: Contact, outcome: int, t_end: float) -> None:
            rows.buffer += pack(
                c.id, c.customer, c.problem, c.reason, c.queue, c.group, outcome, c.resolved, c.callback,
                c.t_arrive, c.t_queue, c.t_answer, t_end, c.wait_s, c.talk_s, c.hold_s, c.line_s,
                c.origin, c.attempt, c.ivr_s, c.ivr_menus, c.zero_out, c.misrouted, c.hops, c.transfers,
                c.escalations, c.callback_offered, c.callback_accepted, c.callback_attempts,
                c.callback_wait_s, c.outbound_s, c.announced_wait_s, c.callback_within_window, c.tagged)
            problem = c.case
            if problem is not None:
                problem.contacts += 1
                problem.ivr_s += c.ivr_s
                problem.wait_s += c.wait_s
                problem.talk_s += c.talk_s
                problem.transfers += c.transfers
                if outcome == callback_failed:
                    problem.callbacks_failed += 1

        self.write = write

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame sorted by contact id, every column present."""
        table = self._rows.table("contact")
        if not self.journey:
            for name, value in JOURNEY_DEFAULTS.items():
                table[name] = np.full(len(table), value, dtype=np.dtype(JOURNEY_COLUMNS[name]))
            table["hops"] = table["t_queue"].notna().astype(np.int16)
        return table


class ConversationLog:
    """The conversation log. The hot path appends ``pack(contact, reason, queue, group, agent,
    result, outbound, t_start, talk, hold, acw)`` to ``buffer`` itself (a call saved per
    conversation); :meth:`write` does the same."""

    def __init__(self):
        self._rows = _Buffer(CONVERSATION_COLUMNS)
        self.buffer = self._rows.buffer
        """The packed rows."""
        self.pack = self._rows.row.pack
        """Packs one row."""

    def write(self, contact_id: int, reason: int, queue: int, group: int, agent: int, result: int,
              outbound: int, t_start: float, talk: float, hold: float, acw: float) -> None:
        self.buffer += self.pack(contact_id, reason, queue, group, agent, result, outbound,
                                 t_start, talk, hold, acw)

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        return self._rows.table()


PROBLEM_COLUMNS: dict[str, str] = {
    "problem": "q",
    "customer": "q",
    "segment": "h",
    "cause": "h",
    "kind": "b",
    "parent": "q",
    "outcome": "b",
    "t_onset": "d",
    "t_first_contact": "d",
    "t_end": "d",
    "contacts": "h",
    "field_visits": "h",
    "tagged": "h",
    "ivr_s": "d",
    "wait_s": "d",
    "talk_s": "d",
    "transfers": "h",
    "callbacks_failed": "h",
    "effort": "d",
    "churned": "b",
}
"""Columns of the problem log (customer population runs): one row per problem, written when it
ends (resolved, given up, silent) or at the horizon."""

PROBLEM_DOCS: dict[str, str] = {
    "problem": "problem id", "customer": "customer id", "segment": "customer segment code",
    "cause": "cause code (position in the run's causes: root causes, new defects, value demand, incidents)",
    "kind": "0 value demand, 1 failure demand (a root cause), 2 an incident",
    "parent": "the problem that set this one off (a follow-on), -1 if none",
    "outcome": "see ProblemOutcome", "t_onset": "when the problem began (s)",
    "t_first_contact": "first contact's arrival (s), NaN if none",
    "t_end": "resolution, giving up, or the horizon (s)", "contacts": "contacts about it",
    "field_visits": "technician visits", "tagged": "contacts tagged with the root cause",
    "ivr_s": "time in the IVR over its contacts (s)", "wait_s": "time waiting on the line (s)",
    "talk_s": "talk time (s)", "transfers": "transfers", "callbacks_failed": "callback contacts lost",
    "effort": "effort score when it ended (churn modelled), NaN if no decision was made",
    "churned": "1 if the customer left because of it (at its end; a silent sufferer at its onset)",
}


class ProblemLog:
    """The problem log: one packed row per problem."""

    def __init__(self):
        self._rows = _Buffer(PROBLEM_COLUMNS)
        self._pack = self._rows.row.pack

    def write(self, p: Problem, segment: int, kind: int, outcome: int, t_end: float, effort: float = NAN,
              churned: int = 0) -> None:
        """The row of problem *p* (a :class:`~sim.problems.Problem`), once, when it ends."""
        self._rows.buffer += self._pack(
            p.id, p.customer, segment, p.cause.index, kind, p.parent, outcome, p.t_onset,
            p.t_first_contact, t_end, p.contacts, p.visits, p.tagged, p.ivr_s, p.wait_s, p.talk_s,
            p.transfers, p.callbacks_failed, effort, churned)

    def write_plain(self, problem_id: int, customer: int, segment: int, cause: int, kind: int, parent: int,
                    outcome: int, t_onset: float, t_end: float, effort: float = NAN, churned: int = 0) -> None:
        """The row of a problem nobody contacted service about (silent, or resolved on the web)."""
        self._rows.buffer += self._pack(problem_id, customer, segment, cause, kind, parent, outcome, t_onset,
                                        NAN, t_end, 0, 0, 0, 0.0, 0.0, 0.0, 0, 0, effort, churned)

    def write_quiet(self, problem_id, customer, segment, cause, kind, parent, outcome, t_onset) -> None:
        """The rows of problems nobody contacted service about (arrays, one row each), ended at their
        onset: :meth:`write_plain` of each, in one go."""
        rows = np.zeros(len(problem_id), dtype=self._rows.dtype)
        for name, values in (("problem", problem_id), ("customer", customer), ("segment", segment),
                             ("cause", cause), ("kind", kind), ("parent", parent), ("outcome", outcome),
                             ("t_onset", t_onset), ("t_end", t_onset)):
            rows[name] = values
        rows["t_first_contact"] = NAN
        rows["effort"] = NAN
        self._rows.buffer += rows.tobytes()

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        return self._rows.table("problem")


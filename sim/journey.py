"""The caller's journey: arrive, wait in line, be answered or give up, talk, hang up.

This module is the hot path of the simulator, written as callbacks on SimPy events rather than one
process per caller (DESIGN.md section 7: about five times faster), yet read top to bottom it is the
journey in the caller's words:

1. :meth:`Journey.arrive` - a contact arrives with its reason, a normal score ``z`` (how complex it
   is, drawn at arrival so every agent group derives its handle time from the same score) and its
   patience (also drawn at arrival: common random numbers across strategies).
2. :meth:`Journey.join_queue` - the longest-idle agent among the groups serving the queue answers at
   once; otherwise the caller waits, and their abandonment is scheduled at the moment their
   patience runs out.
3. :meth:`Journey.give_up` - patience ran out before an agent came: the caller abandons. (If an
   agent came first, the scheduled abandonment finds the caller no longer waiting and does nothing:
   cancelled in effect.)
4. :meth:`Journey.answer` - an agent takes the call; the conversation's end is scheduled.
5. :meth:`Journey.hang_up` - the conversation ends; the agent takes the longest-waiting caller of
   the highest-priority queue they serve, or becomes idle.

Every contact ends exactly once: its row is written to the :class:`~sim.records.ContactLog` when it
ends, and contacts still in the system at the horizon are written by :meth:`Journey.close`.
"""

from __future__ import annotations

import math

from simpy import Environment
from simpy.events import Event

from sim.callbacks import Wake
from sim.agents import NO_AGENT, AgentGroup, longest_idle_group
from sim.queues import WaitingLine
from sim.records import NAN, ContactLog, Outcome


class Contact:
    """One contact in flight (a call, from arrival until it ends)."""

    __slots__ = ("id", "problem", "reason", "queue", "z", "patience", "u_resolve", "t_arrive",
                 "t_queue", "t_answer", "waiting", "group", "agent", "talk_s", "resolved")

    def __init__(self, contact_id: int, problem: int, reason: int, z: float, patience: float,
                 u_resolve: float, now: float):
        self.id = contact_id
        self.problem = problem
        self.reason = reason
        self.queue = -1
        self.z = z
        """Standard normal complexity score: every group's handle time is a quantile of it."""
        self.patience = patience
        """How long this caller will wait in a queue before hanging up (``inf``: forever)."""
        self.u_resolve = u_resolve
        """Uniform draw: the conversation resolves the problem if it is below the group's chance."""
        self.t_arrive = now
        self.t_queue = NAN
        self.t_answer = NAN
        self.waiting = False
        """True while in a queue's line (abandonment checks it)."""
        self.group = NO_AGENT
        self.agent = NO_AGENT
        self.talk_s = 0.0
        self.resolved = 0


class Journey:
    """Moves contacts through queues and agents; owns the contacts in flight."""

    def __init__(self, env: Environment, queues: list[WaitingLine], groups: list[AgentGroup],
                 queue_of_reason: list[int], log: ContactLog, trace: list | None = None):
        self.env = env
        self.queues = queues
        """Queues by code."""
        self.groups = groups
        """Agent groups by code."""
        self.queue_of_reason = queue_of_reason
        """Reason code -> queue code."""
        self.log = log
        self.trace = trace
        """If a list, every step is appended as ``(time, step, contact id, detail)``."""
        self.live: dict[int, Contact] = {}
        """Contacts in flight by id."""
        self.arrived = 0
        """Contacts created so far (the next contact id)."""

    # -- the journey -------------------------------------------------------------------------

    def arrive(self, reason: int, z: float, patience: float, u_resolve: float) -> None:
        """A new contact about *reason* arrives now."""
        now = self.env._now
        contact_id = self.arrived
        self.arrived = contact_id + 1
        contact = Contact(contact_id, contact_id, reason, z, patience, u_resolve, now)
        self.live[contact_id] = contact
        if self.trace is not None:
            self.trace.append((now, "arrive", contact_id, reason))
        self.join_queue(contact, self.queues[self.queue_of_reason[reason]])

    def join_queue(self, contact: Contact, queue: WaitingLine) -> None:
        """*contact* enters *queue*: answered by the longest-idle eligible agent, or waits."""
        now = self.env._now
        if contact.queue < 0:
            contact.queue = queue.index
            contact.t_queue = now
        groups = queue.groups
        group = (groups[0] if groups[0].idle else None) if len(groups) == 1 else longest_idle_group(groups)
        if self.trace is not None:
            self.trace.append((now, "queue", contact.id, queue.name))
        if group is not None:
            self.answer(contact, group, group.take_longest_idle())
            return
        contact.waiting = True
        queue.join(contact)
        if contact.patience < math.inf:
            Wake(self.env, contact.patience, self.give_up, contact)

    def give_up(self, event: Event) -> None:
        """The caller's patience ran out: abandon, unless an agent answered first."""
        contact = event._value
        if not contact.waiting:
            return
        contact.waiting = False
        self.queues[contact.queue].leave()
        if self.trace is not None:
            self.trace.append((self.env._now, "abandon", contact.id, None))
        self.end(contact, Outcome.ABANDONED)

    def answer(self, contact: Contact, group: AgentGroup, agent: int) -> None:
        """*agent* of *group* answers *contact* now; the conversation's end is scheduled."""
        now = self.env._now
        contact.t_answer = now
        contact.group = group.index
        contact.agent = agent
        talk = group.handle_time[contact.reason](contact.z)
        contact.talk_s = talk
        if self.trace is not None:
            self.trace.append((now, "answer", contact.id, f"{group.name}#{agent}"))
        Wake(self.env, talk, self.hang_up, contact)

    def hang_up(self, event: Event) -> None:
        """The conversation ends, resolving the problem or not, and the agent is free."""
        contact = event._value
        group = self.groups[contact.group]
        contact.resolved = contact.u_resolve < group.resolve_probability
        if self.trace is not None:
            self.trace.append((self.env._now, "end", contact.id, None))
        self.end(contact, Outcome.ANSWERED)
        self.agent_free(group, contact.agent)

    def agent_free(self, group: AgentGroup, agent: int) -> None:
        """*agent* takes the longest-waiting caller of the highest-priority queue, or idles."""
        for queue in group.serves:
            if queue.waiting:
                contact = queue.next_contact()
                contact.waiting = False
                self.answer(contact, group, agent)
                return
        group.make_idle(agent, self.env._now)

    # -- bookkeeping -------------------------------------------------------------------------

    def end(self, contact: Contact, outcome: int) -> None:
        """*contact* leaves the system: its row is written (a second end raises ``KeyError``)."""
        del self.live[contact.id]
        self.log.write(contact, outcome, self.env._now)

    def close(self, horizon: float) -> None:
        """At the horizon, write the rows of contacts still in the system."""
        for contact in list(self.live.values()):
            if contact.agent != NO_AGENT:
                del self.live[contact.id]
                self.log.write(contact, Outcome.IN_SERVICE_AT_HORIZON, contact.t_answer + contact.talk_s)
            else:
                del self.live[contact.id]
                self.log.write(contact, Outcome.WAITING_AT_HORIZON, horizon)

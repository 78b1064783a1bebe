"""The caller's journey: arrive, wait in line, be answered or give up, talk, hang up.

This module is the hot path of the simulator, written as callbacks on SimPy events rather than one
process per caller (DESIGN.md section 7: about five times faster), yet read top to bottom it is the
journey in the caller's words:

1. :meth:`Journey.arrive` - a contact arrives with its reason, a normal score ``z`` (how complex it
   is, drawn at arrival so every agent group derives its handle time from the same score) and its
   patience (also drawn at arrival: common random numbers across strategies). Outside opening
   hours it hears the closed message and leaves, holds until the opening, or leaves a callback
   request (:meth:`Journey.closed`).
2. :meth:`Journey.join_queue` - the longest-idle agent among the groups serving the queue answers at
   once; otherwise the caller waits, and their abandonment is scheduled at the moment their
   patience runs out.
3. :meth:`Journey.give_up` - patience ran out before an agent came: the caller abandons. (If an
   agent came first, the scheduled abandonment finds the caller no longer waiting and does nothing:
   cancelled in effect.)
4. :meth:`Journey.answer` - an agent takes the call: talk, perhaps a consult hold; the caller's
   hang-up is scheduled.
5. :meth:`Journey.hang_up` - the conversation ends, resolving the problem or not; the agent wraps
   up (after-call work) and then (:meth:`Journey.agent_free`) takes the longest-waiting caller of
   the highest-priority queue they serve, becomes idle, or goes home if the roster went down.

Every contact ends exactly once: its row is written to the :class:`~sim.records.ContactLog` when it
ends, and contacts still in the system at the horizon are written by :meth:`Journey.close`.
(``env._now`` is read directly: it is SimPy's clock, and the property costs a call per read.)
"""

from __future__ import annotations

import math

from simpy import Environment
from simpy.events import Event

from sim.agents import NO_AGENT, AgentGroup, longest_idle_group
from sim.calendar import OpeningHours
from sim.wakeups import Wake
from sim.queues import WaitingLine
from sim.records import NAN, ContactLog, Outcome


class Contact:
    """One contact in flight (a call, from arrival until it ends)."""

    __slots__ = ("id", "customer", "problem", "reason", "queue", "z", "patience", "u_resolve",
                 "t_arrive", "t_queue", "t_answer", "waiting", "group", "agent", "talk_s", "hold_s",
                 "acw_s", "resolved", "callback")

    def __init__(self, contact_id: int, customer: int, problem: int, reason: int, z: float,
                 patience: float, u_resolve: float, now: float):
        self.id = contact_id
        self.customer = customer
        """Who calls; a later contact about the same problem carries the same customer."""
        self.problem = problem
        """What the call is about; a repeat contact carries the same problem."""
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
        self.hold_s = 0.0
        self.acw_s = 0.0
        self.resolved = 0
        self.callback = 0
        """1 if the customer left a callback request (the agent calls them)."""


class Journey:
    """Moves contacts through queues and agents; owns the contacts in flight."""

    def __init__(self, env: Environment, queues: list[WaitingLine], groups: list[AgentGroup],
                 queue_of_reason: list[int], log: ContactLog, trace: list | None = None,
                 opening_hours: OpeningHours | None = None, outside_hours: str = "leave"):
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
        self.opening_hours = None if opening_hours is None or opening_hours.always_open else opening_hours
        """When contacts are taken (``None``: always)."""
        self.outside_hours = outside_hours
        """What a contact does when closed: ``leave``, ``wait`` or ``callback``."""
        self.live: dict[int, Contact] = {}
        """Contacts in flight by id."""
        self.arrived = 0
        """Contacts created so far (the next contact id)."""

    # -- the journey -------------------------------------------------------------------------

    def arrive(self, reason: int, z: float, patience: float, u_resolve: float) -> None:
        """A new contact about a new problem of *reason* arrives now."""
        now = self.env._now
        contact_id = self.arrived
        self.arrived = contact_id + 1
        # a new problem of a new customer: both take the contact's id (ids stay unique, and a
        # repeat contact carries its first contact's ids)
        contact = Contact(contact_id, contact_id, contact_id, reason, z, patience, u_resolve, now)
        self.live[contact_id] = contact
        if self.trace is not None:
            self.trace.append((now, "arrive", contact_id, reason))
        if self.opening_hours is not None and not self.opening_hours.is_open(now):
            self.closed(contact)
            return
        self.join_queue(contact, self.queues[self.queue_of_reason[reason]])

    def closed(self, contact: Contact) -> None:
        """The centre is closed: leave, hold until the opening, or leave a callback request."""
        now = self.env._now
        if self.trace is not None:
            self.trace.append((now, "closed", contact.id, self.outside_hours))
        if self.outside_hours == "leave":
            self.end(contact, Outcome.CLOSED)
            return
        if self.outside_hours == "callback":
            contact.callback = 1
            contact.patience = math.inf
        opening = self.opening_hours.next_opening(now)
        if opening < math.inf:
            Wake(self.env, opening - now, self._opened, contact)

    def _opened(self, event: Event) -> None:
        contact = event._value
        self.join_queue(contact, self.queues[self.queue_of_reason[contact.reason]])

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
            group.idle_since.popleft()
            self.answer(contact, group, group.idle.popleft())
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
        """*agent* of *group* answers *contact* now; the caller's hang-up is scheduled."""
        now = self.env._now
        contact.t_answer = now
        contact.group = group.index
        contact.agent = agent
        talk = group.handle_time[contact.reason](contact.z)
        contact.talk_s = talk
        if group.wraps_up:
            if group.hold_chance is not None and group.hold_chance() < group.hold_probability:
                talk += group.hold_duration()
                contact.hold_s = talk - contact.talk_s
            if group.after_call_work is not None:
                contact.acw_s = group.after_call_work()
        if self.trace is not None:
            self.trace.append((now, "answer", contact.id, f"{group.name}#{agent}"))
        Wake(self.env, talk, self.hang_up, contact)

    def hang_up(self, event: Event) -> None:
        """The conversation ends, resolving the problem or not; the agent wraps up, then is free."""
        contact = event._value
        group = self.groups[contact.group]
        contact.resolved = contact.u_resolve < group.resolve_probability
        if self.trace is not None:
            self.trace.append((self.env._now, "end", contact.id, None))
        self.end(contact, Outcome.ANSWERED)
        if contact.acw_s > 0:
            Wake(self.env, contact.acw_s, self._wrapped_up, contact)
        else:
            self.agent_free(group, contact.agent)

    def _wrapped_up(self, event: Event) -> None:
        contact = event._value
        if self.trace is not None:
            self.trace.append((self.env._now, "wrapped", contact.id, None))
        self.agent_free(self.groups[contact.group], contact.agent)

    def agent_free(self, group: AgentGroup, agent: int) -> None:
        """*agent* takes the longest-waiting caller of the highest-priority queue, idles, or
        goes home if the roster went down."""
        if group.leaving and group.leave_after_call(self.env._now):
            if self.trace is not None:
                self.trace.append((self.env._now, "agent leaves", -1, f"{group.name}#{agent}"))
            return
        for queue in group.serves:
            if queue.waiting:
                contact = queue.next_contact()
                contact.waiting = False
                self.answer(contact, group, agent)
                return
        group.idle.append(agent)
        group.idle_since.append(self.env._now)

    def roster_changes(self, group: AgentGroup, rostered: int) -> None:
        """The roster of *group* changes now; agents who start take waiting callers."""
        now = self.env._now
        starting = group.set_roster(rostered, now)
        if self.trace is not None:
            self.trace.append((now, "roster", -1, f"{group.name}={rostered}"))
        for agent in starting:
            self.agent_free(group, agent)

    # -- bookkeeping -------------------------------------------------------------------------

    def end(self, contact: Contact, outcome: int) -> None:
        """*contact* leaves the system: its row is written (a second end raises ``KeyError``)."""
        del self.live[contact.id]
        self.log.write(contact, outcome, self.env._now)

    def close(self, horizon: float) -> None:
        """At the horizon, write the rows of contacts still in the system."""
        for contact in list(self.live.values()):
            del self.live[contact.id]
            if contact.agent != NO_AGENT:
                end = contact.t_answer + contact.talk_s + contact.hold_s
                self.log.write(contact, Outcome.IN_SERVICE_AT_HORIZON, end)
            else:
                self.log.write(contact, Outcome.WAITING_AT_HORIZON, horizon)

"""The caller's journey: arrive, walk the phone tree, wait, talk, and what happens next.

This module is the hot path of the simulator, written as callbacks on SimPy events rather than one
process per caller (DESIGN.md section 7: about five times faster), yet read top to bottom it is the
journey in the caller's words. Each step is a method; the ones a scenario does not use cost a
check at most.

1. :meth:`Journey.arrive` - a contact arrives with its reason, a normal score ``z`` (how complex
   the problem is: every agent group's handle time is a quantile of it, so it is drawn once, at
   arrival), its patience, and a uniform draw for the first conversation's resolution (common
   random numbers across strategies). Outside opening hours: :meth:`Journey.closed`.
2. :meth:`Journey.plan_walk` / :meth:`Journey.leave_ivr` - the IVR: a prompt per menu, then hang
   up, press 0, or pick an option by the *true* reason (misroutes), on to a menu, a queue, or a
   self-service leaf. The walk depends on nothing else in the centre, so it is decided when the
   caller arrives (:meth:`Journey.plan_entry`), and the contact is delivered when it leaves the
   IVR: one event instead of one per menu and one for the arrival.
3. :meth:`Journey.join_queue` - the longest-idle agent among the groups serving the queue answers
   at once; else the caller may hear the estimated wait and be offered a callback
   (:meth:`Journey.offer_callback`), and waits: abandonment is scheduled when patience runs out.
4. :meth:`Journey.give_up` - patience ran out before an agent came: abandon (and perhaps redial).
5. :meth:`Journey.answer` - an agent takes the contact. A callback request is dialled
   (:meth:`Journey.dialled`). A contact this group cannot handle (misrouted) is transferred after a
   short discovery (:meth:`Journey.transfer`). Otherwise talk, perhaps a consult hold, perhaps a
   dropped line, and the hang-up is scheduled.
6. :meth:`Journey.hang_up` - the conversation ends: resolved; or escalated to a higher tier; or
   "call us again later" (perhaps a repeat contact); or dropped. The agent wraps up, then
   (:meth:`Journey.agent_free`) takes the next caller, idles, or goes home.
7. :meth:`Journey.contact_again` - a redial or a repeat contact: a new contact about the same
   problem of the same customer.

Every contact ends exactly once: its row is written to the contact log when it ends, and contacts
still in the system at the horizon are written by :meth:`Journey.close`. Every conversation is a
row of the conversation log. (``env._now`` is read directly: it is SimPy's clock, and the
``now`` property costs a call per read.)
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

from simpy import Environment

from sim.agents import NO_AGENT, AgentGroup, longest_idle_group
from sim.calendar import OpeningHours
from sim.callbacks import estimated_wait, note_answered_wait
from sim.ivr import HANG_UP, ZERO_OUT, IvrTree, SelfServiceLeaf
from sim.queues import WaitingLine
from sim.records import NAN, ContactLog, Conversation, ConversationLog, Origin, Outcome, ProblemOutcome
from sim.wakeups import Wake, Wakeup

if TYPE_CHECKING:
    from sim.problems import Problem

_INF: Final = math.inf
_WEEK: Final = 7 * 86400.0
_SLOT: Final = 1800.0

# plain ints: an enum member lookup costs tens of nanoseconds, and these sit on the hot path
_DIALLED: Final = int(Conversation.DIALLED)
_DISPATCHED: Final = int(Conversation.DISPATCHED)
_CONVERSATION_DROPPED: Final = int(Conversation.DROPPED)
_ESCALATED: Final = int(Conversation.ESCALATED)
_NOT_REACHED: Final = int(Conversation.NOT_REACHED)
_RESOLVED: Final = int(Conversation.RESOLVED)
_TRANSFERRED: Final = int(Conversation.TRANSFERRED)
_UNFINISHED: Final = int(Conversation.UNFINISHED)
_UNRESOLVED: Final = int(Conversation.UNRESOLVED)
_NEW: Final = int(Origin.NEW)
_REDIAL: Final = int(Origin.REDIAL)
_REPEAT: Final = int(Origin.REPEAT)
_ABANDONED: Final = int(Outcome.ABANDONED)
_ANSWERED: Final = int(Outcome.ANSWERED)
_CALLBACK_FAILED: Final = int(Outcome.CALLBACK_FAILED)
_CLOSED: Final = int(Outcome.CLOSED)
_OUTCOME_DROPPED: Final = int(Outcome.DROPPED)
_IN_IVR_AT_HORIZON: Final = int(Outcome.IN_IVR_AT_HORIZON)
_IN_SERVICE_AT_HORIZON: Final = int(Outcome.IN_SERVICE_AT_HORIZON)
_IVR_HANGUP: Final = int(Outcome.IVR_HANGUP)
_SELF_SERVED: Final = int(Outcome.SELF_SERVED)
_WAITING_AT_HORIZON: Final = int(Outcome.WAITING_AT_HORIZON)
_P_RESOLVED: Final = int(ProblemOutcome.RESOLVED)
_P_SELF_SERVED: Final = int(ProblemOutcome.SELF_SERVED)
_P_GAVE_UP: Final = int(ProblemOutcome.GAVE_UP)


class Contact:
    """One contact in flight (a call, from arrival until it ends).

    The hot path pays for what it uses: ``__init__`` sets only what every contact needs; the
    per-conversation fields (``at``, ``t_enqueue``, ``timer``, ``agent_group``, ``agent``,
    ``t_start``, ``conversation_*``, ``result``, ``follow_up``) are set by the step that starts
    them, before anything reads them; and the journey columns (IVR, transfers, callbacks, ...) exist only
    if *journey* is true, as it is for every contact of a scenario that uses those features.
    """

    __slots__ = (
        # identity and draws made at arrival
        "id", "customer", "problem", "case", "reason", "z", "patience", "u_resolve", "t_arrive",
        # the core columns
        "queue", "group", "t_queue", "t_answer", "wait_s", "talk_s", "hold_s", "line_s", "resolved",
        "callback",
        # state
        "hops", "in_ivr", "waiting", "virtual", "talking", "wrong_queue", "conversations",
        # the current conversation (set before use)
        "at", "t_enqueue", "timer", "agent_group", "agent", "t_start", "conversation_talk",
        "conversation_hold", "conversation_acw", "result", "follow_up", "settles_at_wrap_up",
        # the journey columns (if journey)
        "origin", "attempt", "ivr_s", "ivr_menus", "zero_out", "misrouted", "transfers", "escalations",
        "callback_offered", "callback_accepted", "callback_attempts", "callback_wait_s", "outbound_s",
        "announced_wait_s",
        "callback_within_window", "tagged", "menu", "deadline",
    )

    # declared for the type checker and mypyc (a compiled class has a field per name, typed)
    id: int
    customer: int
    problem: int
    case: Problem | None
    reason: int
    z: float
    patience: float
    u_resolve: float
    t_arrive: float
    queue: int
    group: int
    t_queue: float
    t_answer: float
    wait_s: float
    talk_s: float
    hold_s: float
    line_s: float
    resolved: int
    callback: int
    hops: int
    in_ivr: bool
    waiting: bool
    virtual: bool
    talking: bool
    wrong_queue: bool
    conversations: int
    at: WaitingLine
    t_enqueue: float
    timer: Any
    agent_group: AgentGroup
    agent: int
    t_start: float
    conversation_talk: float
    conversation_hold: float
    conversation_acw: float
    result: int
    follow_up: float
    settles_at_wrap_up: bool
    origin: int
    attempt: int
    ivr_s: float
    ivr_menus: int
    zero_out: int
    misrouted: int
    transfers: int
    escalations: int
    callback_offered: int
    callback_accepted: int
    callback_attempts: int
    callback_wait_s: float
    outbound_s: float
    announced_wait_s: float
    callback_within_window: int
    tagged: int
    menu: Any
    deadline: float

    def __init__(self, contact_id: int, customer: int, problem: int, reason: int, z: float,
                 patience: float, u_resolve: float, now: float, journey: bool = False):
        self.id = contact_id
        self.customer = customer
        """Who calls; a later contact about the same problem carries the same customer."""
        self.problem = problem
        """What the call is about; redials and repeat contacts carry the same problem."""
        self.case = None
        """The problem in flight (:class:`~sim.problems.Problem`) when customers are modelled."""
        self.reason = reason
        self.z = z
        """Standard normal complexity score: every group's handle time is a quantile of it."""
        self.patience = patience
        """How long this caller waits in a queue before hanging up (``inf``: forever)."""
        self.u_resolve = u_resolve
        """Uniform draw deciding whether the first conversation resolves the problem."""
        self.t_arrive = now
        self.queue = -1
        """First agent queue joined (code)."""
        self.group = NO_AGENT
        """First answering group (code)."""
        self.t_queue = NAN
        self.t_answer = NAN
        self.wait_s = 0.0
        """Time waiting in agent queues on the line (a callback wait is not on the line)."""
        self.talk_s = 0.0
        self.hold_s = 0.0
        self.line_s = 0.0
        """Inbound time on the line: IVR, queue waits, inbound talk and consult hold (telephony)."""
        self.resolved = 0
        self.callback = 0
        """1 once the customer is to be called back (the agent dials them)."""
        self.hops = 0
        """Agent queues joined."""
        self.in_ivr = False
        self.waiting = False
        """True while in a queue's line (abandonment checks it)."""
        self.virtual = False
        """True while the customer is not on the line but waits for a call back."""
        self.talking = False
        """True while an agent is on the line with the contact (or dialling it)."""
        self.wrong_queue = False
        """True from a misroute until the first answer, where the agent discovers it."""
        self.conversations = 0
        if journey:
            # the journey columns (only runs whose scenario uses journey features record them)
            self.origin = _NEW
            self.attempt = 1
            self.ivr_s = 0.0
            self.ivr_menus = 0
            self.zero_out = 0
            self.misrouted = 0
            self.transfers = 0
            self.escalations = 0
            self.callback_offered = 0
            self.callback_accepted = 0
            self.callback_attempts = 0
            self.callback_wait_s = 0.0
            self.outbound_s = 0.0
            self.announced_wait_s = NAN
            self.callback_within_window = 0
            self.tagged = 0
            self.menu = None
            self.deadline = math.inf


CLOSED: Final = "closed"
"""Entry plan of a contact that arrives while the centre is closed."""


IvrWalk = tuple
"""A caller's walk through the IVR, decided when they enter it: a plain tuple (a named tuple costs
four times as much to make, on a path taken by every caller)
``(duration, starts, names, choice, detail, leaf_start)``:

- ``duration``: from entering the IVR to leaving it;
- ``starts``, ``names``: when each menu started (after entering) and its name;
- ``choice``: ``HANG_UP``, ``ZERO_OUT``, the last option's :class:`~sim.ivr.Destination`, or the
  :class:`~sim.ivr.SelfServiceLeaf` reached;
- ``detail``: the last menu (hang-up, zero-out, queue), or whether self-service resolved the problem;
- ``leaf_start``: when self-service started (after entering).
"""


@dataclass
class JourneyPolicy:
    """Everything the journey decides with besides queues and agents: settings and samplers."""

    ivr: IvrTree | None = None
    ivr_draw: Any = None
    self_service_draw: Any = None
    opening_hours: OpeningHours | None = None
    outside_hours: str = "leave"
    accept_draw: Any = None
    reach_probability: float = 1.0
    reach_draw: Any = None
    attempts: int = 1
    retry_delay: Any = None
    dial_time: Any = None
    transfer_mode: str = "cold"
    discovery: Any = None
    handover: Any = None
    redial_probability: float = 0.0
    redial_draw: Any = None
    redial_delay: Any = None
    repeat_probability: float = 0.0
    repeat_draw: Any = None
    repeat_delay: Any = None
    again_patience: list[Any] = field(default_factory=list)
    """Per reason code: sampler of a new contact's patience (redials and repeats)."""
    again_resolve: Any = None
    """Uniform sampler: a new contact's first-conversation resolve draw."""


class Journey:
    """Moves contacts through the IVR, queues and agents; owns the contacts in flight."""

    def __init__(self, env: Environment, queues: list[WaitingLine], groups: list[AgentGroup],
                 right_queue: list[int], log: ContactLog, conversations: ConversationLog,
                 policy: JourneyPolicy, trace: list | None = None):
        self.env = env
        self.queues = queues
        """Queues by code."""
        self.groups = groups
        """Agent groups by code."""
        self.right_queue = right_queue
        """Reason code -> the queue whose agents handle it."""
        self.log = log
        self.conversations = conversations
        self.conversation_rows = conversations.buffer
        self.pack_conversation = conversations.pack
        self.policy = policy
        self.ivr: Any = policy.ivr
        self.opening_hours: Any = (None if policy.opening_hours is None or policy.opening_hours.always_open
                              else policy.opening_hours)
        self.trace = trace
        """If a list, every step is appended as ``(time, step, contact id, detail)``."""
        self.live: dict[int, Contact] = {}
        """Contacts in flight by id."""
        self.tracks_journey = log.journey
        """True if contacts record the journey columns."""
        self.pending: dict[int, tuple] = {}
        """Redials and repeat contacts scheduled but not yet delivered (see :meth:`again_later`)."""
        self.planner = None if self.opening_hours is None and self.ivr is None else self.plan_entry
        """What the arrivals ask for each arrival's entry plan (``None``: every arrival goes
        straight to its queue)."""
        self.arrived = 0
        """Contacts created so far (the next contact id)."""
        self.replanner: Any = None
        """The staffing re-planner (``staffing.policy: replan``), or ``None``."""
        self.problems: Any = None
        """The customers' problems (:class:`~sim.problems.Problems`) when customers are modelled:
        contacts report to it as they end, are handled, resolve or give up."""
        self.log_write = log.write
        """Writes a contact's row (and, with problems, adds the contact to its problem)."""
        self.arrivals: Any = None
        """The arrivals (:class:`~sim.arrivals.Arrivals`, set by the model)."""
        # the steps the hot path schedules, bound once: reading a method off the instance makes a
        # new bound method at every read, two or three times per contact (compiled with mypyc, the
        # class has no instance dictionary: nothing to bind)
        if hasattr(self, "__dict__"):
            for step in ("give_up", "hang_up", "wrapped_up", "_wrapped_up", "transfer", "dialled", "_retry",
                         "contact_again"):
                setattr(self, step, getattr(self, step))

    def attach_problems(self, problems) -> None:
        """Customers are modelled: contacts come from *problems* and report back to it."""
        self.problems = problems
        problems.journey = self
        self.log.about_problems(_CALLBACK_FAILED)
        self.log_write = self.log.write

    # -- arriving ------------------------------------------------------------------------------

    def plan_entry(self, instant: float, reason: int):
        """What happens to a contact arriving at *instant* before anything depends on the rest of
        the centre: ``(delay, plan)``. The plan is ``None`` (straight to its queue), ``CLOSED``
        (the centre is closed), or an :class:`IvrWalk` decided now; the contact is delivered
        *delay* after arriving, when its first step that depends on the centre comes."""
        if self.opening_hours is not None and not self.opening_hours.is_open(instant):
            return 0.0, CLOSED
        if self.ivr is not None:
            walk = self.plan_walk(reason)
            return walk[0], walk
        return 0.0, None

    def arrive(self, item: tuple, plan) -> None:
        """A new contact about a new problem: ``item = (instant, reason, z, patience, u_resolve)``,
        delivered now, after what *plan* (see :meth:`plan_entry`) says happened since *instant*."""
        instant, reason, z, patience, u_resolve = item
        contact_id = self.arrived
        self.arrived = contact_id + 1
        # a new problem of a new customer: both take the contact's id (ids stay unique, and a
        # redial or repeat contact carries its first contact's ids)
        contact = Contact(contact_id, contact_id, contact_id, reason, z, patience, u_resolve, instant,
                          self.tracks_journey)
        self.live[contact_id] = contact
        if self.trace is not None:
            self.trace.append((instant, "arrive", contact_id, reason))
        if plan is None:
            self.join_queue(contact, self.queues[self.right_queue[reason]])
        else:
            self.enter(contact, plan)

    def arrive_about(self, problem: Problem, instant: float, plan, patience: float, u_resolve: float) -> None:
        """A customer's first contact about *problem* (customers modelled), delivered now, after
        what *plan* (see :meth:`plan_entry`) says happened since *instant*."""
        contact_id = self.arrived
        self.arrived = contact_id + 1
        reason = problem.cause.reason
        contact = Contact(contact_id, problem.customer, problem.id, reason, problem.z, patience, u_resolve,
                          instant, True)
        contact.case = problem
        problem.attempts += 1  # Problems.contact_started, inlined: this runs once per problem
        problem.last_contact = contact_id
        if problem.attempts == 1:
            problem.t_first_contact = instant
        self.live[contact_id] = contact
        if self.trace is not None:
            self.trace.append((instant, "arrive", contact_id, reason))
        if plan is CLOSED:  # self.enter, inlined: this runs once per problem
            self.closed(contact)
        elif plan is None:
            self.join_queue(contact, self.queues[self.right_queue[reason]])
        else:
            self.leave_ivr(contact, plan)

    def enter(self, contact: Contact, plan) -> None:
        """Carry out an entry plan: the closed message, or the end of the IVR walk."""
        if plan is CLOSED:
            self.closed(contact)
        elif plan is None:
            self.join_queue(contact, self.queues[self.right_queue[contact.reason]])
        else:
            self.leave_ivr(contact, plan)

    def closed(self, contact: Contact) -> None:
        """The centre is closed: leave, hold until the opening, or leave a callback request."""
        now = self.env._now
        mode = self.policy.outside_hours
        self._log(now, "closed", contact, mode)
        if mode == "leave":
            self.end(contact, _CLOSED)
            if contact.case is not None:
                self.problems.finish(contact.case, _P_GAVE_UP, now)
            return
        opening = self.opening_hours.next_opening(now)
        if mode == "retry":
            self.end(contact, _CLOSED)
            delay = self.policy.redial_delay() if self.policy.redial_delay is not None else 0.0
            self.again_later(contact, opening - now + delay, _REDIAL, now)
            return
        if mode == "callback":
            contact.callback = 1
            contact.virtual = True
        if opening < math.inf:
            Wake(self.env, opening - now, self._opened, contact)

    def _opened(self, event: Wakeup) -> None:
        contact: Contact = event._value
        if contact.callback or self.ivr is None:
            self.join_queue(contact, self.queues[self.right_queue[contact.reason]])
            return
        walk = self.plan_walk(contact.reason)
        contact.in_ivr = True
        contact.menu = [self.env._now + offset for offset in walk[1]]
        Wake(self.env, walk[0], self._walked, (contact, walk))

    def _walked(self, event: Wakeup) -> None:
        contact: Contact
        contact, walk = event._value
        self.leave_ivr(contact, walk)

    # -- the IVR -------------------------------------------------------------------------------

    def plan_walk(self, reason: int) -> IvrWalk:
        """The caller's walk through the phone tree. Nothing in it depends on the rest of the
        centre, so the whole walk is decided at once: each menu's prompt, then hang up, press 0,
        or pick an option by the true reason; a self-service leaf's time and result."""
        menu = self.ivr.entry
        draw = self.policy.ivr_draw
        starts = []
        names: list[str] | None = [] if self.trace is not None else None  # menu names only matter to the log
        t = 0.0
        while True:
            starts.append(t)
            if names is not None:
                names.append(menu.name)
            t += menu.prompt()
            bounds, outcomes = menu.outcomes[reason]  # sim.ivr.decide, inlined
            choice = outcomes[bisect_right(bounds, draw())]
            if choice is HANG_UP or choice is ZERO_OUT or choice.menu is None:
                break
            menu = choice.menu
        if choice is HANG_UP or choice is ZERO_OUT or choice.queue is not None:
            return (t, starts, names, choice, menu, t)
        leaf = choice.leaf
        leaf_start = t
        t += leaf.duration()
        resolved = self.policy.self_service_draw() < leaf.resolves[reason]
        return (t, starts, names, leaf, resolved, leaf_start)

    def leave_ivr(self, contact: Contact, walk: IvrWalk) -> None:
        """The caller leaves the IVR now: hung up, self-served, or on to a queue."""
        now = self.env._now
        duration, starts, names, choice, detail, leaf_start = walk
        contact.in_ivr = False
        contact.ivr_s = duration
        contact.ivr_menus = len(starts)
        contact.line_s += duration
        if self.trace is not None:
            entered = now - duration
            for offset, name in zip(starts, names):
                self.trace.append((entered + offset, "menu", contact.id, name))
            if isinstance(choice, SelfServiceLeaf):
                self.trace.append((entered + leaf_start, "self-service", contact.id, choice.name))
        if choice is HANG_UP:
            self._log(now, "ivr hang-up", contact, detail.name)
            self.end(contact, _IVR_HANGUP)
            self.maybe_redial(contact)
        elif choice is ZERO_OUT:
            contact.zero_out = 1
            operator = self.ivr.operator
            self.routed(contact, operator if operator is not None else self.right_queue[contact.reason])
        elif isinstance(choice, SelfServiceLeaf):
            if detail:
                contact.resolved = 1
                self.end(contact, _SELF_SERVED)
                if contact.case is not None:
                    self.problems.finish(contact.case, _P_SELF_SERVED, now)
            else:
                self.routed(contact, choice.queue if choice.queue is not None
                            else self.right_queue[contact.reason])
        else:
            queue = choice.queue
            if queue != self.right_queue[contact.reason]:
                self.routed(contact, queue)
            else:
                self.join_queue(contact, self.queues[queue])

    def routed(self, contact: Contact, queue: int) -> None:
        """The IVR sends the caller to *queue*; a queue other than their reason's is a misroute."""
        if queue != self.right_queue[contact.reason]:
            contact.misrouted = 1
            contact.wrong_queue = True
            self._log(self.env._now, "misrouted", contact, self.queues[queue].name)
        self.join_queue(contact, self.queues[queue])

    # -- waiting -------------------------------------------------------------------------------

    def join_queue(self, contact: Contact, queue: WaitingLine, front: bool = False) -> None:
        """*contact* enters *queue*: answered by the longest-idle eligible agent, or waits."""
        now = self.env._now
        if contact.queue < 0:
            contact.queue = queue.index
            contact.t_queue = now
        contact.hops += 1
        contact.at = queue
        contact.t_enqueue = now
        if queue.joins is not None:
            queue.joins[int(now % _WEEK // _SLOT)] += 1
        if self.trace is not None:
            self.trace.append((now, "queue", contact.id, queue.name))
        groups = queue.groups
        group = (groups[0] if groups[0].idle else None) if len(groups) == 1 else longest_idle_group(groups)
        if group is not None:
            group.idle_since.popleft()
            self.answer(contact, group, group.idle.popleft())
            return
        if queue.estimate is not None and not contact.virtual and contact.hops == 1:
            wait = estimated_wait(queue)
            contact.announced_wait_s = wait
            if queue.offer is not None and wait > queue.offer.offer_above and self.offer_callback(contact, queue):
                return
        contact.waiting = True
        if front:
            queue.join_front(contact)
        else:
            queue.join(contact)
        if contact.patience < math.inf and not contact.virtual:
            contact.timer = Wake(self.env, contact.patience, self.give_up, contact)

    def offer_callback(self, contact: Contact, queue: WaitingLine) -> bool:
        """Offer a callback; True if the caller accepted and the request is placed."""
        contact.callback_offered = 1
        offer = queue.offer
        if self.policy.accept_draw() >= offer.accept:
            self._log(self.env._now, "callback declined", contact, queue.name)
            return False
        contact.callback_accepted = 1
        contact.callback = 1
        contact.virtual = True
        self._log(self.env._now, "callback accepted", contact, offer.mode)
        if offer.mode == "scheduled":
            contact.deadline = self.env._now + offer.window
            target = queue.callback_queue
            if target is None:
                contact.waiting = True
                queue.join(contact)
            else:
                self.join_queue(contact, target)  # an idle agent there dials at once
            return True
        contact.waiting = True
        queue.join(contact)
        return True

    def give_up(self, event: Wakeup) -> None:
        """The caller's patience ran out: abandon, unless an agent answered first."""
        contact: Contact = event._value
        if contact.timer is not event or not contact.waiting:
            return
        contact.timer = None
        contact.waiting = False
        queue = contact.at
        queue.leave()
        now = self.env._now
        waited = now - contact.t_enqueue
        if contact.virtual:
            contact.callback_wait_s += waited
        else:
            contact.wait_s += waited
            contact.line_s += waited
        if self.trace is not None:
            self.trace.append((now, "abandon", contact.id, None))
        self.end(contact, _ABANDONED)
        self.maybe_redial(contact)

    # -- talking -------------------------------------------------------------------------------

    def answer(self, contact: Contact, group: AgentGroup, agent: int) -> None:
        """*agent* of *group* takes *contact* now."""
        now = self.env._now
        waited = now - contact.t_enqueue
        contact.agent_group = group
        contact.agent = agent
        contact.t_start = now
        if contact.virtual:
            contact.callback_wait_s += waited
            self.dial(contact)
            return
        contact.wait_s += waited
        contact.line_s += waited
        if contact.group < 0:
            contact.group = group.index
            contact.t_answer = now
        if contact.at.recent:
            note_answered_wait(contact.at, waited)
        if self.trace is not None:
            self.trace.append((now, "answer", contact.id, f"{group.name}#{agent}"))
        if contact.wrong_queue:
            contact.wrong_queue = False
            if not group.handles[contact.reason]:
                self.misrouted(contact)
                return
        self.talk(contact, group)

    def misrouted(self, contact: Contact) -> None:
        """The agent finds the caller in the wrong queue: a short discovery, then a transfer."""
        talk = self.policy.discovery()
        contact.conversation_talk = talk
        contact.conversation_hold = contact.conversation_acw = 0.0
        contact.talk_s += talk
        contact.line_s += talk
        contact.talking = True
        contact.settles_at_wrap_up = False
        contact.agent_group.steps[contact.agent].again(talk, contact, self.transfer)

    def talk(self, contact: Contact, group: AgentGroup) -> None:
        """The conversation: talk, perhaps a consult hold, perhaps a dropped line, then wrap-up.

        How it ends is decided now (the draws depend on nothing that happens meanwhile): resolved,
        escalated, unresolved ("call us again later", perhaps a repeat contact after a delay), or
        dropped (perhaps a redial). When nothing has to happen at the hang-up itself (no escalation
        or call-back to start, no follow-up due before the wrap-up ends), one wake-up at the end
        of the wrap-up settles both the caller's side, as of the hang-up, and the agent's."""
        talk = group.handle_time[contact.reason](contact.z)
        hold = acw = 0.0
        if group.wraps_up:
            if group.hold_chance is not None and group.hold_chance() < group.hold_probability:
                hold = group.hold_duration()
            if group.after_call_work is not None:
                acw = group.after_call_work()
        conversations = contact.conversations = contact.conversations + 1
        follow_up = _INF
        if group.drop_probability and group.drop_draw() < group.drop_probability:
            talk *= group.drop_draw()
            hold = 0.0
            result = _CONVERSATION_DROPPED
            if not group.call_back_dropped:
                follow_up = self.redial_delay()
        elif (contact.u_resolve if conversations == 1 else group.resolve_draw()) < group.resolve_probability:
            result = _DISPATCHED if contact.case is not None and contact.case.needs_visit else _RESOLVED
        elif group.escalate_to is not None and contact.attempt > group.escalate_after:
            result = _ESCALATED
        else:
            result = _UNRESOLVED
            follow_up = self.repeat_delay()
        contact.result = result
        contact.follow_up = follow_up
        contact.conversation_talk = talk
        contact.conversation_hold = hold
        contact.conversation_acw = acw
        contact.talking = True
        contact.talk_s += talk
        contact.hold_s += hold
        if contact.callback:
            contact.outbound_s += talk + hold
        else:
            contact.line_s += talk + hold
        if acw > 0 and follow_up >= acw and result != _ESCALATED and not (
                result == _CONVERSATION_DROPPED and group.call_back_dropped):
            contact.settles_at_wrap_up = True
            group.steps[contact.agent].again(talk + hold + acw, contact, self.wrapped_up)
        else:
            contact.settles_at_wrap_up = False
            group.steps[contact.agent].again(talk + hold, contact, self.hang_up)

    def hang_up(self, event: Wakeup) -> None:
        """The caller hangs up (or is passed on) now; the agent wraps up, then is free."""
        contact: Contact = event._value
        group, agent, acw = contact.agent_group, contact.agent, contact.conversation_acw
        self.conversation_ends(contact, self.env._now)
        if acw > 0:
            group.steps[agent].again(acw, (group, agent), self._wrapped_up)
        else:
            self.agent_free(group, agent)

    def wrapped_up(self, event: Wakeup) -> None:
        """The wrap-up is done: the caller hung up ``conversation_acw`` ago; the agent is free."""
        contact: Contact = event._value
        group, agent = contact.agent_group, contact.agent
        self.conversation_ends(contact, self.env._now - contact.conversation_acw)
        if self.trace is not None:
            self.trace.append((self.env._now, "wrapped", -1, f"{group.name}#{agent}"))
        self.agent_free(group, agent)

    def conversation_ends(self, contact: Contact, t_end: float) -> None:
        """The caller's side of a conversation that ended at *t_end*: resolved, escalated,
        unresolved (perhaps a repeat contact), or dropped (a call-back, or perhaps a redial)."""
        group = contact.agent_group
        result = contact.result
        contact.talking = False
        self.conversation_rows += self.pack_conversation(
            contact.id, contact.reason, contact.at.index, group.index, contact.agent, result,
            contact.callback, contact.t_start, contact.conversation_talk, contact.conversation_hold,
            contact.conversation_acw)
        if self.trace is not None:
            self.trace.append((t_end, "end", contact.id, Conversation(result).name.lower()))
        if contact.case is not None and contact.case.cause.kind:  # value demand is never tagged
            self.problems.handled(contact, t_end)
        if result == _RESOLVED:
            contact.resolved = 1
            del self.live[contact.id]
            self.log_write(contact, _ANSWERED, t_end)
            if contact.case is not None:
                self.problems.finish(contact.case, _P_RESOLVED, t_end)
        elif result == _DISPATCHED:
            self.end(contact, _ANSWERED, t_end)
            self.problems.dispatch(contact.case, t_end)
        elif result == _UNRESOLVED:
            self.end(contact, _ANSWERED, t_end)
            self.again_later(contact, contact.follow_up, _REPEAT, t_end)
        elif result == _ESCALATED:
            contact.escalations += 1
            self.join_queue(contact, self.queues[cast(int, group.escalate_to)])
        elif group.call_back_dropped:
            contact.callback = 1
            contact.virtual = True
            self._log(t_end, "call back dropped", contact, None)
            self.join_queue(contact, contact.at)
        else:
            self.end(contact, _OUTCOME_DROPPED, t_end)
            self.again_later(contact, contact.follow_up, _REDIAL, t_end)

    def _wrapped_up(self, event: Wakeup) -> None:
        group: AgentGroup
        agent: int
        group, agent = event._value
        if self.trace is not None:
            self.trace.append((self.env._now, "wrapped", -1, f"{group.name}#{agent}"))
        self.agent_free(group, agent)

    def transfer(self, event: Wakeup) -> None:
        """A misrouted contact goes to the queue of its reason (cold: back of the line; warm:
        front, the first agent staying on for the hand-over)."""
        contact: Contact = event._value
        group, agent = contact.agent_group, contact.agent
        now = self.env._now
        contact.talking = False
        contact.transfers += 1
        warm = self.policy.transfer_mode == "warm"
        handover = self.policy.handover() if warm else 0.0
        self.conversations.write(contact.id, contact.reason, contact.at.index, group.index, agent,
                                 _TRANSFERRED, contact.callback, contact.t_start,
                                 contact.conversation_talk, 0.0, handover)
        self._log(now, "transfer", contact, self.policy.transfer_mode)
        self.join_queue(contact, self.queues[self.right_queue[contact.reason]], front=warm)
        if warm:
            group.steps[agent].again(handover, (group, agent), self._wrapped_up)
        else:
            self.agent_free(group, agent)

    # -- calling back --------------------------------------------------------------------------

    def dial(self, contact: Contact) -> None:
        """The agent calls a customer who asked for a callback."""
        dial = self.policy.dial_time()
        contact.callback_attempts += 1
        contact.outbound_s += dial
        contact.conversation_talk = dial
        contact.conversation_hold = contact.conversation_acw = 0.0
        contact.talking = True
        contact.settles_at_wrap_up = False
        self._log(self.env._now, "dial", contact, f"{contact.agent_group.name}#{contact.agent}")
        contact.agent_group.steps[contact.agent].again(dial, contact, self.dialled)

    def dialled(self, event: Wakeup) -> None:
        """The customer answers the callback, or not (retry later, or the contact is lost)."""
        contact: Contact = event._value
        group, agent = contact.agent_group, contact.agent
        now = self.env._now
        contact.talking = False
        reached = self.policy.reach_draw() < self.policy.reach_probability
        self.conversations.write(contact.id, contact.reason, contact.at.index, group.index, agent,
                                 _DIALLED if reached else _NOT_REACHED, 1,
                                 contact.t_start, contact.conversation_talk, 0.0, 0.0)
        if reached:
            contact.virtual = False
            if contact.group < 0:
                contact.group = group.index
                contact.t_answer = now
            if now <= contact.deadline:
                contact.callback_within_window = 1
            self._log(now, "reached", contact, f"{group.name}#{agent}")
            contact.t_start = now
            self.talk(contact, group)
            return
        self._log(now, "not reached", contact, contact.callback_attempts)
        if contact.callback_attempts >= self.policy.attempts:
            self.end(contact, _CALLBACK_FAILED)
            if contact.case is not None:
                self.problems.finish(contact.case, _P_GAVE_UP, now)
        else:
            Wake(self.env, self.policy.retry_delay(), self._retry, contact)
        self.agent_free(group, agent)

    def _retry(self, event: Wakeup) -> None:
        contact: Contact = event._value
        contact.hops -= 1  # a retry is the same hop
        self.join_queue(contact, contact.at)

    # -- agents --------------------------------------------------------------------------------

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
                assert contact is not None  # someone is waiting
                contact.waiting = False
                contact.timer = None  # its pending abandonment now does nothing; no cycle kept
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

    # -- contacting again ----------------------------------------------------------------------

    def redial_delay(self) -> float:
        """After abandoning, hanging up in the IVR or a dropped call: how long until the customer
        calls again (``inf``: they do not)."""
        policy = self.policy
        if policy.redial_probability and policy.redial_draw() < policy.redial_probability:
            return policy.redial_delay()
        return math.inf

    def repeat_delay(self) -> float:
        """After "call us again later": how long until the customer contacts again (``inf``: never)."""
        policy = self.policy
        if policy.repeat_probability and policy.repeat_draw() < policy.repeat_probability:
            return policy.repeat_delay()
        return math.inf

    def maybe_redial(self, contact: Contact) -> None:
        """After abandoning or hanging up in the IVR: perhaps call again later."""
        self.again_later(contact, self.redial_delay(), _REDIAL, self.env._now)

    def again_later(self, contact: Contact, delay: float, origin: int, since: float) -> None:
        """The customer contacts again *delay* after *since* (not if *delay* is infinite); like a
        new arrival, the contact is delivered when its first step that depends on the centre
        comes (:meth:`plan_entry`). With customers modelled, a repeat contact's delay ("call us
        again later", a day or so) counts on the reason's demand clock, like a first contact's: the
        customer calls back at the hours people call (a redial, minutes later, stays in real time)."""
        if delay < math.inf:
            instant = since + delay
            if origin == _REPEAT and self.problems is not None:
                instant = max(self.problems.clock_of_reason[contact.reason].later(since, delay), since)
            entry_delay, plan = self.plan_entry(instant, contact.reason)
            # keep only what the next contact needs, not the contact itself (many wait for days)
            before = (contact.id, contact.customer, contact.problem, contact.reason, contact.z, contact.attempt,
                      contact.case)
            # typed Any: compiled, a tuple of known length is kept unboxed, and id() would see a new box
            again: Any = (before, origin, instant, plan)
            self.pending[id(again)] = again
            Wake(self.env, max(instant + entry_delay - self.env._now, 0.0), self.contact_again, again)
        elif contact.case is not None:
            self.problems.finish(contact.case, _P_GAVE_UP, since)

    def contact_again_about(self, problem: Problem, now: float) -> None:
        """After a failed technician's visit: the customer contacts again (``call_again``), or
        gives up."""
        delay = self.repeat_delay()
        if delay == math.inf:
            self.problems.finish(problem, _P_GAVE_UP, now)
            return
        instant = max(self.problems.clock_of_reason[problem.cause.reason].later(now, delay), now)
        entry_delay, plan = self.plan_entry(instant, problem.cause.reason)
        before = (problem.last_contact, problem.customer, problem.id, problem.cause.reason, problem.z,
                  problem.attempts, problem)
        again: Any = (before, _REPEAT, instant, plan)
        self.pending[id(again)] = again
        Wake(self.env, max(instant + entry_delay - now, 0.0), self.contact_again, again)

    def contact_again(self, event: Wakeup) -> None:
        """The same customer contacts again about the same problem (unless they have left)."""
        again = event._value
        del self.pending[id(again)]
        before, origin, instant, plan = again
        case = before[6]
        if case is not None and not self.problems.population.is_active(case.customer, instant):
            self.problems.customer_left(case, instant)
            return
        contact = self._again(before, origin, instant)
        self.enter(contact, plan)

    def _again(self, before: tuple, origin: int, instant: float) -> Contact:
        before_id, customer, problem, reason, z, attempt, case = before
        contact_id = self.arrived
        self.arrived = contact_id + 1
        patience = self.policy.again_patience[reason]()
        contact = Contact(contact_id, customer, problem, reason, z,
                          patience if case is None else patience * case.patience_factor,
                          self.policy.again_resolve(), instant, True)
        contact.origin = origin
        contact.attempt = attempt + 1
        if case is not None:
            contact.case = case
            self.problems.contact_started(case, contact_id, instant)
        self.live[contact_id] = contact
        self._log(instant, "redial" if origin == _REDIAL else "repeat", contact, before_id)
        return contact

    # -- bookkeeping ---------------------------------------------------------------------------

    def _still_walking(self, contact: Contact, walk: IvrWalk, horizon: float, registered: bool = False) -> None:
        """A contact that arrived before *horizon* and was still in the IVR at it."""
        if registered:
            del self.live[contact.id]
        contact.ivr_s = horizon - contact.t_arrive
        contact.ivr_menus = sum(contact.t_arrive + offset < horizon for offset in walk[1])
        contact.line_s += contact.ivr_s
        self.log_write(contact, _IN_IVR_AT_HORIZON, horizon)

    def still_walking_about(self, problem: Problem, instant: float, walk: IvrWalk, patience: float, u_resolve: float,
                            horizon: float) -> None:
        """A first contact about *problem* that arrived before *horizon* and was still in the IVR."""
        contact_id = self.arrived
        self.arrived = contact_id + 1
        contact = Contact(contact_id, problem.customer, problem.id, problem.cause.reason, problem.z, patience,
                          u_resolve, instant, True)
        contact.case = problem
        self.problems.contact_started(problem, contact_id, instant)
        self._still_walking(contact, walk, horizon)

    def _log(self, now: float, step: str, contact: Contact, detail) -> None:
        if self.trace is not None:
            self.trace.append((now, step, contact.id, detail))

    def end(self, contact: Contact, outcome: int, t_end: float | None = None) -> None:
        """*contact* leaves the system (now, or at *t_end*): its row is written (a second end
        raises ``KeyError``)."""
        del self.live[contact.id]
        self.log_write(contact, outcome, self.env._now if t_end is None else t_end)

    def close(self, horizon: float, undelivered=()) -> None:
        """At the horizon, write the rows of contacts still in the system: those in flight, and
        those that arrived but were still walking the IVR (*undelivered* new arrivals as
        ``(item, plan)``, and redials and repeats not yet delivered)."""
        for item, plan in undelivered:
            instant, reason, z, patience, u_resolve = item
            contact_id = self.arrived
            self.arrived = contact_id + 1
            contact = Contact(contact_id, contact_id, contact_id, reason, z, patience, u_resolve, instant,
                              self.tracks_journey)
            self._still_walking(contact, plan, horizon)
        for before, origin, instant, plan in list(self.pending.values()):
            if instant < horizon:
                self._still_walking(self._again(before, origin, instant), plan, horizon, registered=True)
        self.pending.clear()
        for contact in list(self.live.values()):
            del self.live[contact.id]
            if contact.in_ivr:
                contact.ivr_s = horizon - contact.menu[0]
                contact.ivr_menus = sum(start < horizon for start in contact.menu)
                contact.line_s += contact.ivr_s
                self.log_write(contact, _IN_IVR_AT_HORIZON, horizon)
            elif contact.talking and contact.settles_at_wrap_up and \
                    contact.t_start + contact.conversation_talk + contact.conversation_hold < horizon:
                # the caller hung up before the horizon; only the agent's wrap-up was left
                self.live[contact.id] = contact
                self.conversation_ends(contact, contact.t_start + contact.conversation_talk
                                       + contact.conversation_hold)
            elif contact.talking:
                group = contact.agent_group
                end = contact.t_start + contact.conversation_talk + contact.conversation_hold
                self.conversations.write(contact.id, contact.reason, contact.at.index, group.index,
                                         contact.agent, _UNFINISHED, contact.callback,
                                         contact.t_start, contact.conversation_talk,
                                         contact.conversation_hold, contact.conversation_acw)
                self.log_write(contact, _IN_SERVICE_AT_HORIZON, end)
            else:
                if contact.waiting and contact.virtual:
                    contact.callback_wait_s += horizon - contact.t_enqueue
                elif contact.waiting:
                    contact.wait_s += horizon - contact.t_enqueue
                    contact.line_s += horizon - contact.t_enqueue
                self.log_write(contact, _WAITING_AT_HORIZON, horizon)

"""Problems: what happens to customers before, and beyond, the phone call.

A contact is not where demand starts. A customer *has a problem* (a confusing invoice, a plan
change that broke their service, an outage), or *needs something* (a question, an order). Some of
them contact service about it, after a while; the rest suffer in silence. Service is the detector
of failure demand: when agents tag contacts with their root cause, operations can fix the cause
and the problems stop arriving.

Sources of problems (each a :class:`Cause` at run time):

- **root causes** (failure demand): a rate per 1000 active customers per day, a contact reason,
  whether a fix is possible, its effort and effectiveness, when the defect appears; a problem can
  set off a follow-on problem later, or need a technician's visit;
- **new defects**: root causes drawn from a template that appear at random times over the run;
- **value demand**: requests no defect caused; some are resolved on the web before any contact;
- **incidents** (:mod:`sim.incidents`): bursts that hit a share of the customers at once.

How problems are generated (common random numbers, DESIGN.md section 2): each cause's candidate
problems are a Poisson process uniform on its reason's demand clock (:mod:`sim.demand_clock`) at
a *fixed maximal rate*: the cause's rate x every customer id of the run x the largest segment
factor. Every candidate carries its own draws (customer id, acceptance, contact decision, delay,
complexity, patience, ...) from the cause's own stream, generated a day at a time. At its onset a
candidate becomes a problem only if its customer is active, and its acceptance draw is below the
customer's segment factor (over the largest) times the cause's remaining rate (1, or 1 minus the
effectiveness once a fix has landed). So two strategies see exactly the same problems while their
fixes and customers agree, and the same candidates afterwards.

A problem's life: onset -> (web self-service | silent | contact after a delay) -> contacts
through the journey (:mod:`sim.journey`), each accumulated into the problem -> resolved (by an
agent, IVR self-service, or a visit), or given up, or still open at the horizon. Every problem is
one row of the problem log (:class:`~sim.records.ProblemLog`), written once, when it ends.
"""

from __future__ import annotations

import math

import numpy as np
from simpy import Environment
from simpy.events import Event

from sim.arrivals import DayFeed
from sim.calendar import intraday_shares, weekday_weights
from sim.customers import Population
from sim.demand_clock import DemandClock
from sim.records import NAN, Outcome, ProblemLog, ProblemOutcome
from sim.scenario import Scenario
from sim.streams import Streams, uniforms
from sim.units import DAY
from sim.wakeups import Wake

VALUE, FAILURE, INCIDENT = 0, 1, 2
"""Kinds of cause (the problem log's ``kind``)."""
KIND_NAMES = ("value", "failure", "incident")

_INF = math.inf
_RESOLVED = int(ProblemOutcome.RESOLVED)
_SELF_SERVED = int(ProblemOutcome.SELF_SERVED)
_WEB = int(ProblemOutcome.WEB)
_FIELD = int(ProblemOutcome.FIELD)
_SILENT = int(ProblemOutcome.SILENT)
_GAVE_UP = int(ProblemOutcome.GAVE_UP)
_OPEN = int(ProblemOutcome.OPEN_AT_HORIZON)
_CUSTOMER_LEFT = int(ProblemOutcome.CUSTOMER_LEFT)
_CALLBACK_FAILED = int(Outcome.CALLBACK_FAILED)


class Cause:
    """A source of problems at run time: a root cause, a new defect, value demand or an incident."""

    __slots__ = (
        "index", "name", "kind", "reason", "per_1000_per_day", "preventable", "contact_probability",
        "delay", "born", "effort_s", "effectiveness", "remaining", "follow_on", "follow_probability",
        "follow_delay", "visit", "fix_started", "fixed_at", "known_at", "first_contact_at",
        "tagged_recent", "tagged", "rng", "clock", "patience",
    )

    def __init__(self, index: int, name: str, kind: int, reason: int, per_1000_per_day: float,
                 contact_probability: float, delay, born: float = 0.0, preventable: bool = False,
                 effort_s: float = 0.0, effectiveness: float = 0.0):
        self.index = index
        self.name = name
        self.kind = kind
        """``VALUE``, ``FAILURE`` or ``INCIDENT``."""
        self.reason = reason
        """Contact reason code."""
        self.per_1000_per_day = per_1000_per_day
        self.preventable = preventable
        self.contact_probability = contact_probability
        self.delay = delay
        """Contact delay distribution (clock-seconds)."""
        self.born = born
        """When the cause starts producing problems."""
        self.effort_s = effort_s
        """Engineer working-seconds its fix takes (drawn once, from the cause's own stream)."""
        self.effectiveness = effectiveness
        self.remaining = 1.0 - effectiveness
        """Share of its rate left once fixed."""
        self.follow_on: Cause | None = None
        self.follow_probability = 0.0
        self.follow_delay = None
        self.visit = None
        """:class:`~sim.scenario.FieldVisit` settings, or ``None``."""
        self.fix_started = _INF
        self.fixed_at = _INF
        """When its fix lands (known when the fix starts); ``inf`` if never."""
        self.known_at = _INF
        """When operations learned of it without tags (detection delay)."""
        self.first_contact_at = _INF
        """When an agent first handled one of its contacts."""
        self.tagged_recent = 0
        """Tagged contacts since the last operations review."""
        self.tagged = 0
        """Tagged contacts in all."""
        self.rng = None
        self.clock: DemandClock | None = None
        self.patience = None

    def rate_at(self, t: float) -> float:
        """Problems per 1000 active customers per day (weight 1) at time *t*."""
        return self.per_1000_per_day * (self.remaining if t >= self.fixed_at else 1.0)


class Problem:
    """A customer's problem (or request) in flight: from its onset until it ends."""

    __slots__ = (
        "id", "customer", "cause", "t_onset", "parent", "z", "u_visit", "u_churn", "patience_factor",
        "contacts", "t_first_contact", "visits", "tagged", "tagged_contact", "ivr_s", "wait_s",
        "talk_s", "transfers", "callbacks_failed", "last_contact", "attempts",
    )

    def __init__(self, problem_id: int, customer: int, cause: Cause, t_onset: float, parent: int,
                 z: float, u_visit: float, u_churn: float, patience_factor: float):
        self.id = problem_id
        self.customer = customer
        self.cause = cause
        self.t_onset = t_onset
        self.parent = parent
        """The problem that set this one off, -1 if none."""
        self.z = z
        """Complexity score: every contact about it has the same handle-time quantile."""
        self.u_visit = u_visit
        """Uniform draw: does it need a technician's visit (below the cause's share)."""
        self.u_churn = u_churn
        """Uniform draw reserved for the customer's decision after the problem."""
        self.patience_factor = patience_factor
        self.contacts = 0
        self.t_first_contact = NAN
        self.visits = 0
        self.tagged = 0
        self.tagged_contact = -1
        self.ivr_s = 0.0
        self.wait_s = 0.0
        self.talk_s = 0.0
        self.transfers = 0
        self.callbacks_failed = 0
        self.last_contact = -1
        self.attempts = 0
        """Contacts made so far (delivered)."""

    @property
    def needs_visit(self) -> bool:
        """True while an agent cannot resolve it on the phone: it needs a (successful) visit."""
        visit = self.cause.visit
        return visit is not None and self.u_visit < visit.probability


def _clock_key(intraday, weekday) -> tuple:
    return (repr(intraday), repr(weekday))


class Problems:
    """Every problem of one replication: generation, life, and the problem log."""

    def __init__(self, env: Environment, scenario: Scenario, streams: Streams, busyness: np.ndarray,
                 reason_codes: dict[str, int]):
        self.env = env
        self.scenario = scenario
        self.horizon = scenario.horizon
        self.population = Population(scenario.customers, scenario.horizon, streams)
        self.log = ProblemLog()
        self.open: dict[int, Problem] = {}
        """Problems in flight by id."""
        self.next_id = 0
        self.journey = None
        """The journey contacts are handed to (set by the model)."""
        self.operations = None
        """The operations team (:mod:`sim.operations`), or ``None``."""
        self.incidents = None
        """The incidents (:mod:`sim.incidents`)."""
        self.streams = streams
        calendar = scenario.calendar
        clocks: dict[tuple, DemandClock] = {}
        self.clock_of_reason: list[DemandClock] = []
        for name, reason in scenario.demand.items():
            intraday = reason.intraday if reason.intraday is not None else calendar.intraday
            weekday = reason.weekday if reason.weekday is not None else calendar.weekday
            key = _clock_key(intraday, weekday)
            if key not in clocks:
                clocks[key] = DemandClock(intraday_shares(intraday), weekday_weights(weekday), busyness)
            self.clock_of_reason.append(clocks[key])
        self.reason_codes = reason_codes
        self.patience_of_reason = [scenario.patience_of(name) for name in scenario.demand]
        self.causes: list[Cause] = []
        self._build_causes(scenario, streams)
        self.web_share = [scenario.web_self_service.deflection.get(name, 0.0) for name in scenario.demand]
        self.web_uses: list[float] = []
        """Instants of web resolutions."""
        self.visits: list[tuple[float, float]] = []
        """``(instant, cost)`` of each technician visit."""
        self.notices: list[float] = []
        """Instants of proactive notices (one per notified customer)."""
        self.visit_draw = uniforms(streams("field_visits/resolve"))
        self.visit_time = {}
        self.follow_streams = {}

    # -- the catalogue -------------------------------------------------------------------------

    def _add(self, cause: Cause) -> Cause:
        cause.rng = self.streams(f"problems/{cause.name}")
        cause.clock = self.clock_of_reason[cause.reason]
        cause.patience = self.patience_of_reason[cause.reason]
        self.causes.append(cause)
        return cause

    def _build_causes(self, scenario: Scenario, streams: Streams) -> None:
        codes = self.reason_codes
        by_name: dict[str, Cause] = {}
        for name, spec in scenario.root_causes.items():
            effort = float(spec.fix_effort.sample(streams(f"fix_effort/{name}"), 1)[0])
            cause = self._add(Cause(len(self.causes), name, FAILURE, codes[spec.reason], spec.per_1000_per_day,
                                    spec.contact_probability, spec.contact_delay, spec.appears,
                                    spec.preventable, effort, spec.fix_effectiveness))
            cause.visit = spec.field_visit
            by_name[name] = cause
        for name, spec in scenario.root_causes.items():
            if spec.follow_on is not None:
                cause = by_name[name]
                cause.follow_on = by_name[spec.follow_on.cause]
                cause.follow_probability = spec.follow_on.probability
                cause.follow_delay = spec.follow_on.delay.sampler(streams(f"follow_on_delay/{name}"))
        template = scenario.new_causes
        if template is not None and template.per_30_days > 0:
            rng = streams("new_causes")
            count = int(rng.poisson(template.per_30_days * self.horizon / (30 * DAY)))
            births = np.sort(rng.uniform(0.0, self.horizon, count))
            names = list(template.reasons)
            weights = np.array(list(template.reasons.values()), dtype=float)
            for number, born in enumerate(births.tolist(), start=1):
                reason = names[int(rng.choice(len(names), p=weights / weights.sum()))]
                rate = float(template.per_1000_per_day.sample(rng, 1)[0])
                preventable = bool(rng.random() < template.preventable)
                name = f"new-{number}"
                effort = float(template.fix_effort.sample(streams(f"fix_effort/{name}"), 1)[0])
                self._add(Cause(len(self.causes), name, FAILURE, codes[reason], rate,
                                template.contact_probability, template.contact_delay, born,
                                preventable, effort, template.fix_effectiveness))
        for name, spec in scenario.value_demand.items():
            self._add(Cause(len(self.causes), name, VALUE, codes[spec.reason], spec.per_1000_per_day,
                            spec.contact_probability, spec.contact_delay))
        for name, spec in scenario.incidents.items():
            self._add(Cause(len(self.causes), name, INCIDENT, codes[spec.reason], 0.0,
                            spec.contact_probability, spec.contact_delay))

    # -- generation ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the daily generation of problem candidates."""
        self.env.process(self._days())

    def _days(self):
        env = self.env
        day = 0
        while day * DAY < self.horizon:
            start, end = day * DAY, min((day + 1) * DAY, self.horizon)
            items = self.candidates(start, end)
            if items:
                DayFeed(env, items, self.onset)
            day += 1
            if end > env.now:
                yield env.timeout(end - env.now)

    def candidates(self, start: float, end: float) -> list[tuple]:
        """Every cause's candidate problems with onset in ``[start, end)``, in time order, each
        ``(onset, cause, customer, u_accept, u_contact, t_contact, z, patience, u_resolve,
        u_follow, u_visit, u_web, u_churn)``."""
        population = self.population
        columns: list[list[np.ndarray]] = [[] for _ in range(13)]
        for cause in self.causes:
            if cause.kind == INCIDENT or cause.per_1000_per_day <= 0 or cause.born >= end:
                continue
            begin = max(start, cause.born)
            clock = cause.clock
            low, high = clock.clock(begin), clock.clock(end)
            if not high > low:
                continue
            rng = cause.rng
            peak = cause.per_1000_per_day / 1000 / DAY * population.size * population.max_problem_factor
            count = int(rng.poisson(peak * (high - low)))
            if count == 0:
                continue
            on_clock = np.sort(rng.uniform(low, high, count))
            onsets = np.maximum(clock.real_many(on_clock), begin)
            draws = self.attributes(cause, rng, count)
            contact = np.maximum(clock.real_many(on_clock + draws["delay"]), onsets)
            values = (onsets, np.full(count, cause.index), rng.integers(0, population.size, count),
                      draws["accept"], draws["contact"], contact, draws["z"], draws["patience"],
                      draws["resolve"], draws["follow"], draws["visit"], draws["web"], draws["churn"])
            for column, value in zip(columns, values):
                column.append(value)
        if not columns[0]:
            return []
        merged = [np.concatenate(column) for column in columns]
        order = np.argsort(merged[0], kind="stable")
        return list(zip(*(values[order].tolist() for values in merged)))

    def attributes(self, cause: Cause, rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
        """Per-problem draws of *count* problems of *cause*, from *rng* in a fixed order."""
        accept = rng.random(count)
        contact = rng.random(count)
        delay = cause.delay.sample(rng, count)
        z = rng.standard_normal(count)
        patience = (cause.patience.sample(rng, count) if cause.patience is not None
                    else np.full(count, _INF))
        resolve, follow, visit, web, churn = (rng.random(count) for _ in range(5))
        return {"accept": accept, "contact": contact, "delay": delay, "z": z, "patience": patience,
                "resolve": resolve, "follow": follow, "visit": visit, "web": web, "churn": churn}

    # -- onset ---------------------------------------------------------------------------------

    def onset(self, item: tuple, _plan=None) -> None:
        """A candidate's onset: it becomes a problem if its customer is active and it survives
        thinning; then it is resolved on the web, suffered in silence, or contacted about."""
        (t, cause_index, customer, u_accept, u_contact, t_contact, z, patience, u_resolve, u_follow,
         u_visit, u_web, u_churn) = item
        population = self.population
        if not population.joined[customer] <= t < population.left[customer]:
            return
        cause = self.causes[cause_index]
        segment = population.segment[customer]
        keep = population.acceptance[segment]
        if t >= cause.fixed_at:
            keep *= cause.remaining
        if u_accept >= keep:
            return
        problem = self.new_problem(cause, customer, t, -1, z, u_visit, u_churn)
        if cause.follow_on is not None and u_follow < cause.follow_probability:
            Wake(self.env, cause.follow_delay(), self._follow_on, problem)
        self.after_onset(problem, u_web, u_contact, t_contact, patience, u_resolve)

    def new_problem(self, cause: Cause, customer: int, t: float, parent: int, z: float,
                    u_visit: float, u_churn: float) -> Problem:
        """A new problem in flight."""
        population = self.population
        problem = Problem(self.next_id, customer, cause, t, parent, z, u_visit, u_churn,
                          population.patience_factor[population.segment[customer]])
        self.next_id += 1
        self.open[problem.id] = problem
        return problem

    def after_onset(self, problem: Problem, u_web: float, u_contact: float, t_contact: float,
                    patience: float, u_resolve: float, contact_probability: float | None = None) -> None:
        """Web self-service, silence, or a contact at *t_contact*."""
        cause = problem.cause
        t = problem.t_onset
        if cause.kind == VALUE and u_web < self.web_share[cause.reason]:
            self.web_uses.append(t)
            self.finish(problem, _WEB, t)
            return
        chance = cause.contact_probability if contact_probability is None else contact_probability
        if u_contact >= chance:
            self.finish(problem, _SILENT, t)
            return
        self.contact_at(problem, t_contact, patience * problem.patience_factor, u_resolve)

    def contact_at(self, problem: Problem, instant: float, patience: float, u_resolve: float) -> None:
        """The customer contacts service about *problem* at *instant*."""
        journey = self.journey
        delay, plan = journey.plan_entry(instant, problem.cause.reason)
        Wake(self.env, max(instant + delay - self.env._now, 0.0), self._deliver,
             (problem, instant, plan, patience, u_resolve))

    def _deliver(self, event: Event) -> None:
        problem, instant, plan, patience, u_resolve = event._value
        if not self.population.is_active(problem.customer, instant):
            self.finish(problem, _CUSTOMER_LEFT, instant)
            return
        self.journey.arrive_about(problem, instant, plan, patience, u_resolve)

    def _follow_on(self, event: Event) -> None:
        """A problem sets off a follow-on problem of another cause, for the same customer."""
        parent = event._value
        cause = parent.cause.follow_on
        now = self.env._now
        if not self.population.is_active(parent.customer, now):
            return
        rng = self.follow_streams.get(cause.index)
        if rng is None:
            rng = self.follow_streams[cause.index] = self.streams(f"follow_on/{cause.name}")
        draws = {key: values[0] for key, values in self.attributes(cause, rng, 1).items()}
        if now >= cause.fixed_at and draws["accept"] >= cause.remaining:
            return
        problem = self.new_problem(cause, parent.customer, now, parent.id, draws["z"], draws["visit"],
                                   draws["churn"])
        t_contact = max(cause.clock.later(now, draws["delay"]), now)
        self.after_onset(problem, draws["web"], draws["contact"], t_contact, draws["patience"],
                         draws["resolve"])

    # -- what contacts do to a problem ---------------------------------------------------------

    def contact_started(self, problem: Problem, contact_id: int, instant: float) -> None:
        """A contact about *problem* begins."""
        problem.attempts += 1
        problem.last_contact = contact_id
        if problem.attempts == 1:
            problem.t_first_contact = instant

    def contact_ended(self, contact, outcome: int) -> None:
        """A contact about a problem ended (its row was written): add it to the problem."""
        problem = contact.case
        problem.contacts += 1
        problem.ivr_s += contact.ivr_s
        problem.wait_s += contact.wait_s
        problem.talk_s += contact.talk_s
        problem.transfers += contact.transfers
        if outcome == _CALLBACK_FAILED:
            problem.callbacks_failed += 1

    def handled(self, contact, now: float) -> None:
        """An agent handled a contact: perhaps tag it with its root cause; a failure cause's first
        handled contact starts its detection delay."""
        problem = contact.case
        cause = problem.cause
        if cause.kind == VALUE:
            return
        operations = self.operations
        if cause.first_contact_at == _INF:
            cause.first_contact_at = now
            if operations is not None:
                operations.first_contact(cause, now)
        if operations is not None and problem.tagged_contact != contact.id and operations.tags():
            problem.tagged_contact = contact.id
            problem.tagged += 1
            contact.tagged = 1
            cause.tagged_recent += 1
            cause.tagged += 1

    def resolved(self, problem: Problem, now: float, self_served: bool = False) -> None:
        self.finish(problem, _SELF_SERVED if self_served else _RESOLVED, now)

    def gave_up(self, problem: Problem, now: float) -> None:
        self.finish(problem, _GAVE_UP, now)

    def customer_left(self, problem: Problem, now: float) -> None:
        """The customer left before making the contact they were about to make."""
        self.finish(problem, _CUSTOMER_LEFT, now)

    def dispatch(self, problem: Problem, now: float) -> None:
        """The agent books a technician: the visit comes after the response time."""
        visit = problem.cause.visit
        sampler = self.visit_time.get(problem.cause.index)
        if sampler is None:
            sampler = self.visit_time[problem.cause.index] = visit.response.sampler(
                self.streams(f"field_visits/response/{problem.cause.name}"))
        Wake(self.env, max(now + sampler() - self.env._now, 0.0), self._visit, problem)

    def _visit(self, event: Event) -> None:
        problem = event._value
        now = self.env._now
        visit = problem.cause.visit
        problem.visits += 1
        self.visits.append((now, visit.cost))
        if self.visit_draw() < visit.resolve_probability:
            self.finish(problem, _FIELD, now)
        else:
            self.journey.contact_again_about(problem, now)

    def finish(self, problem: Problem, outcome: int, t_end: float) -> None:
        """*problem* ends: its row is written (a second end raises ``KeyError``)."""
        del self.open[problem.id]
        self.log.write(problem, self.population.segment[problem.customer], problem.cause.kind, outcome, t_end)

    def close(self, horizon: float) -> None:
        """At the horizon, write the problems still open."""
        for problem in list(self.open.values()):
            self.finish(problem, _OPEN, horizon)

    # -- tables --------------------------------------------------------------------------------

    def cause_table(self) -> list[dict]:
        """One row per cause: what it is and what happened to it."""
        rows = []
        for cause in self.causes:
            rows.append({
                "cause": cause.name, "kind": KIND_NAMES[cause.kind],
                "reason": list(self.scenario.demand)[cause.reason],
                "preventable": cause.preventable, "born_s": cause.born,
                "per_1000_per_day": cause.per_1000_per_day,
                "per_1000_per_day_after_fix": cause.per_1000_per_day * cause.remaining,
                "fix_effort_h": cause.effort_s / 3600, "fix_started_s": cause.fix_started,
                "fixed_at_s": cause.fixed_at, "first_contact_s": cause.first_contact_at,
                "known_s": cause.known_at, "tagged_total": cause.tagged,
            })
        return rows

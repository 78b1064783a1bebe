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
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from simpy import Environment

from sim.arrivals import DayFeed
from sim.calendar import intraday_shares, weekday_weights
from sim.churn import ChurnModel
from sim.customers import AFTER_PROBLEM, SILENT, Population
from sim.demand_clock import DemandClock
from sim.records import NAN, Outcome, ProblemLog, ProblemOutcome
from sim.scenario import MAX_RATE_PER_1000_PER_DAY, Scenario
from sim.streams import Streams, uniforms
from sim.units import DAY
from sim.wakeups import Wake, Wakeup

if TYPE_CHECKING:
    from sim.journey import Contact

VALUE: Final = 0
FAILURE: Final = 1
INCIDENT: Final = 2
"""Kinds of cause (the problem log's ``kind``)."""
KIND_NAMES: Final = ("value", "failure", "incident")

_INF: Final = math.inf
_RESOLVED: Final = int(ProblemOutcome.RESOLVED)
_SELF_SERVED: Final = int(ProblemOutcome.SELF_SERVED)
_WEB: Final = int(ProblemOutcome.WEB)
_FIELD: Final = int(ProblemOutcome.FIELD)
_SILENT: Final = int(ProblemOutcome.SILENT)
_GAVE_UP: Final = int(ProblemOutcome.GAVE_UP)
_OPEN: Final = int(ProblemOutcome.OPEN_AT_HORIZON)
_CUSTOMER_LEFT: Final = int(ProblemOutcome.CUSTOMER_LEFT)
_CALLBACK_FAILED: Final = int(Outcome.CALLBACK_FAILED)

BATCH: Final = 28 * DAY
"""Candidates are generated four weeks at a time (numpy pays per call, not per candidate; acceptance
is decided at each onset or contact all the same)."""


class Cause:
    """A source of problems at run time: a root cause, a new defect, value demand or an incident."""

    __slots__ = (
        "index", "name", "kind", "reason", "per_1000_per_day", "preventable", "contact_probability",
        "delay", "born", "effort_s", "effectiveness", "remaining", "follow_on", "follow_probability",
        "follow_delay", "visit", "fix_started", "fixed_at", "known_at", "first_contact_at",
        "tagged_recent", "tagged", "rng", "clock", "patience", "follow_rng", "follow_delay_rng", "chain_delay_rng",
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
        self.follow_delay: Any = None
        self.follow_delay_rng: Any = None
        """Stream of the delays of the follow-ons it sets off."""
        self.chain_delay_rng: Any = None
        """Stream of the delays of the follow-ons it sets off from its own follow-on problems (a chain)."""
        self.follow_rng: Any = None
        """Stream of the attributes of its own problems set off as follow-ons."""
        self.visit: Any = None
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
        self.rng: Any = None
        self.clock: Any = None
        """Its reason's :class:`~sim.demand_clock.DemandClock`."""
        self.patience: Any = None

    def rate_at(self, t: float) -> float:
        """Problems per 1000 active customers per day (weight 1) at time *t*."""
        return self.per_1000_per_day * (self.remaining if t >= self.fixed_at else 1.0)


class Problem:
    """A customer's problem (or request) in flight: from its onset until it ends."""

    __slots__ = (
        "id", "customer", "cause", "t_onset", "parent", "z", "needs_visit", "u_churn", "patience_factor",
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
        visit = cause.visit
        self.needs_visit = visit is not None and u_visit < visit.probability
        """True if an agent cannot resolve it on the phone: it needs a (successful) visit (its
        uniform draw *u_visit* is below the cause's share)."""
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


def _clock_key(intraday, weekday) -> tuple:
    return (repr(intraday), repr(weekday))


class Problems:
    """Every problem of one replication: generation, life, and the problem log."""

    def __init__(self, env: Environment, scenario: Scenario, streams: Streams, busyness: np.ndarray,
                 reason_codes: dict[str, int]):
        self.env = env
        self.scenario = scenario
        self.horizon = scenario.horizon
        assert scenario.customers is not None  # problems are modelled only with customers
        self.population = Population(scenario.customers, scenario.horizon, streams, scenario.churn)
        self.churn = ChurnModel(scenario.churn) if scenario.churn is not None else None
        """The churn model, or ``None`` (nobody leaves after a problem)."""
        self.log = ProblemLog()
        self._write = self.log.write
        self.open: dict[int, Problem] = {}
        """Problems in flight by id."""
        self.next_id = 0
        self.journey: Any = None
        """The journey contacts are handed to (set by the model)."""
        self.operations: Any = None
        """The operations team (:mod:`sim.operations`), or ``None``."""
        self.tag_accuracy = 0.0
        """Chance an agent tags a handled contact with its root cause (the team's)."""
        self.tag_draw: Any = None
        self.incidents: Any = None
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
        self.visit_time: dict[int, Any] = {}
        self.feeds: list[DayFeed] = []
        """Feeds of contacts to come (and some spent ones, see :meth:`_feed`)."""
        self._prune_at = 64
        self.quiet: list[tuple[np.ndarray, ...]] = []
        """Candidates that contact nobody, recorded once their onset has passed: batches of arrays
        ``(onset, id, cause, customer, acceptance draw, web, parent)``."""
        self._joined = np.asarray(self.population.joined)
        self._segment = self.population.segment
        # the population's lists, read once per contact (each is updated in place, never replaced)
        self._left = self.population.left
        self._joined_at = self.population.joined
        self._segment_acceptance = self.population.acceptance
        self._patience_factor = self.population.patience_factor
        self._segment_codes = np.asarray(self.population.segment, dtype=np.int64)
        self._cause_arrays = {
            "contact_probability": np.array([c.contact_probability for c in self.causes], dtype=float),
            "reason": np.array([c.reason for c in self.causes], dtype=np.int64),
            "kind": np.array([c.kind for c in self.causes], dtype=np.int64),
            "web_share": np.array([self.web_share[c.reason] for c in self.causes], dtype=float),
            "follow_probability": np.array([c.follow_probability for c in self.causes], dtype=float),
        }
        """Per cause code, what routing needs, as arrays."""
        self._acceptance = np.asarray(self.population.acceptance)[np.asarray(self.population.segment, dtype=np.int64)]

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
                cause.follow_delay = spec.follow_on.delay
                cause.follow_delay_rng = streams(f"follow_on_delay/{name}")
                cause.chain_delay_rng = streams(f"follow_on_delay/{name}/chained")
                cause.follow_on.follow_rng = streams(f"follow_on/{spec.follow_on.cause}")
        template = scenario.new_causes
        if template is not None and template.per_30_days > 0:
            rng = streams("new_causes")
            count = int(rng.poisson(template.per_30_days * self.horizon / (30 * DAY)))
            births = np.sort(rng.uniform(0.0, self.horizon, count))
            names = list(template.reasons)
            weights = np.array(list(template.reasons.values()), dtype=float)
            for number, born in enumerate(births.tolist(), start=1):
                reason = names[int(rng.choice(len(names), p=weights / weights.sum()))]
                rate = min(float(template.per_1000_per_day.sample(rng, 1)[0]), MAX_RATE_PER_1000_PER_DAY)
                preventable = bool(rng.random() < template.preventable)
                name = f"new-{number}"
                effort = float(template.fix_effort.sample(streams(f"fix_effort/{name}"), 1)[0])
                self._add(Cause(len(self.causes), name, FAILURE, codes[reason], rate,
                                template.contact_probability, template.contact_delay, born,
                                preventable, effort, template.fix_effectiveness))
        for name, value in scenario.value_demand.items():
            self._add(Cause(len(self.causes), name, VALUE, codes[value.reason], value.per_1000_per_day,
                            value.contact_probability, value.contact_delay))
        for name, incident in scenario.incidents.items():
            self._add(Cause(len(self.causes), name, INCIDENT, codes[incident.reason], 0.0,
                            incident.contact_probability, incident.contact_delay))

    # -- generation ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the daily generation of problem candidates."""
        self.env.process(self._days())

    def _days(self):
        """Every :data:`BATCH`, the candidates of the coming batch; the quiet ones whose onset has
        passed are recorded."""
        env = self.env
        start = 0.0
        while start < self.horizon:
            end = min(start + BATCH, self.horizon)
            self.record_quiet(start)
            self.route(self.candidates(start, end))
            start = end
            if end > env.now:
                yield env.timeout(end - env.now)

    def candidates(self, start: float, end: float) -> dict[str, np.ndarray]:
        """Every cause's candidate problems with onset in ``[start, end)``, thinned already where
        the outcome cannot change: the customer's segment factor, customers who join later, and
        fixes that landed before *start*. Columns of equal length (see :meth:`attributes`), plus
        ``onset``, ``cause``, ``customer``, ``t_contact`` and ``id``."""
        population = self.population
        parts: list[dict[str, np.ndarray]] = []
        joined = self._joined
        acceptance = self._acceptance
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
            customers = rng.integers(0, population.size, count)
            draws = self.attributes(cause, rng, count)
            follow_delay = (cause.follow_delay.sample(cause.follow_delay_rng, count)
                            if cause.follow_on is not None else None)
            keep = acceptance[customers]
            if cause.fixed_at <= start:
                keep = keep * cause.remaining
            kept = draws["accept"] < keep
            on_clock = on_clock[kept]
            both = clock.real_many(np.concatenate((on_clock, on_clock + draws["delay"][kept])))
            onsets = np.maximum(both[:len(on_clock)], begin)
            joined_before = joined[customers[kept]] <= onsets
            kept[kept] = joined_before
            if not kept.any():
                continue
            part = {key: values[kept] for key, values in draws.items()}
            part["onset"] = onsets[joined_before]
            part["cause"] = np.full(int(kept.sum()), cause.index)
            part["customer"] = customers[kept]
            part["t_contact"] = np.maximum(both[len(on_clock):][joined_before], part["onset"])
            part["follow_delay"] = follow_delay[kept] if follow_delay is not None else np.full(len(part["onset"]), _INF)
            parts.append(part)
        if not parts:
            return {}
        merged = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
        order = np.argsort(merged["onset"], kind="stable")
        merged = {key: values[order] for key, values in merged.items()}
        merged["id"] = np.arange(self.next_id, self.next_id + len(order))
        self.next_id += len(order)
        return merged

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

    def route(self, batch: dict[str, np.ndarray], contact_probability: float | None = None,
              parent: int = -1) -> None:
        """Send a batch of candidates on their way. Those who will contact service go to a feed
        that delivers each contact at its time (:meth:`_deliver`, one event per contact); the
        others (web self-service, silent) are recorded once their onset has passed
        (:meth:`record_quiet`); follow-on problems are set off at their time."""
        if not batch:
            return
        table = self._cause_arrays
        cause_of = batch["cause"]
        chance = table["contact_probability"][cause_of] if contact_probability is None \
            else np.full(len(cause_of), contact_probability)
        reason = table["reason"][cause_of]
        web = (table["kind"][cause_of] == VALUE) & (batch["web"] < table["web_share"][cause_of])
        contacts = ~web & (batch["contact"] < chance)
        parents = np.full(len(cause_of), parent, dtype=np.int64)
        if contacts.any():
            index = np.flatnonzero(contacts)
            index = index[np.argsort(batch["t_contact"][index], kind="stable")]  # a feed delivers in time order
            columns = [batch[key][index].tolist() for key in
                       ("t_contact", "id", "onset", "customer", "accept", "z", "patience", "resolve", "visit", "churn")]
            items = list(zip(columns[0], reason[index].tolist(), columns[1], columns[2], cause_of[index].tolist(),
                             columns[3], columns[4], columns[5], columns[6], columns[7], columns[8], columns[9],
                             parents[index].tolist()))
            self._feed(items)
        quiet = ~contacts
        if self.churn is not None:
            # the quiet problems whose customer would leave at the onset act then (an event each)
            churn = self.churn
            is_value = table["kind"][cause_of] == VALUE
            chance = np.where(web, churn.web_probability if churn.value_demand else 0.0,
                              np.where(is_value & (not churn.value_demand), 0.0, churn.silent))
            leaving = quiet & (batch["churn"] < chance)
            for row in np.flatnonzero(leaving).tolist():
                Wake(self.env, batch["onset"][row] - self.env._now, self._quiet_onset,
                     (float(batch["onset"][row]), int(batch["id"][row]), int(cause_of[row]),
                      int(batch["customer"][row]), float(batch["accept"][row]), bool(web[row]),
                      int(parents[row])))
            quiet &= ~leaving
        quiet = np.flatnonzero(quiet)
        if len(quiet):
            self.quiet.append((batch["onset"][quiet], batch["id"][quiet], cause_of[quiet], batch["customer"][quiet],
                               batch["accept"][quiet], web[quiet], parents[quiet]))
        follows = np.flatnonzero(batch["follow"] < table["follow_probability"][cause_of])
        for row in follows.tolist():
            Wake(self.env, batch["onset"][row] + batch["follow_delay"][row] - self.env._now,
                 self._follow_on, (int(batch["id"][row]), float(batch["onset"][row]), int(cause_of[row]),
                                   int(batch["customer"][row]), float(batch["accept"][row])))

    def _feed(self, items: list[tuple]) -> None:
        """A feed delivers *items* (in time order) to :meth:`_deliver`. Spent feeds are dropped
        now and then (not at every new feed: follow-ons make a feed of one contact each)."""
        feeds = self.feeds
        if len(feeds) >= self._prune_at:
            feeds = self.feeds = [feed for feed in feeds if feed.next < len(feed.entries)]
            self._prune_at = 2 * len(feeds) + 64
        feeds.append(DayFeed(self.env, items, self._deliver, self.journey.planner))

    def _route_one(self, cause: Cause, draws: dict[str, np.ndarray], problem_id: int, onset: float, customer: int,
                   t_contact: float, parent: int) -> None:
        """:meth:`route` of a single candidate (a follow-on), without numpy's per-call costs: the
        same decisions on the same draws (its acceptance draw is 0: accepted at its onset)."""
        u_contact, u_web, u_churn = float(draws["contact"][0]), float(draws["web"][0]), float(draws["churn"][0])
        web = cause.kind == VALUE and u_web < self.web_share[cause.reason]
        z, u_visit = float(draws["z"][0]), float(draws["visit"][0])
        if not web and u_contact < cause.contact_probability:
            self._feed([(t_contact, cause.reason, problem_id, onset, cause.index, customer, 0.0, z,
                         float(draws["patience"][0]), float(draws["resolve"][0]), u_visit, u_churn, parent)])
        else:
            churn, leaving = self.churn, False
            if churn is not None:
                if web:
                    chance = churn.web_probability if churn.value_demand else 0.0
                else:
                    chance = 0.0 if cause.kind == VALUE and not churn.value_demand else churn.silent
                leaving = u_churn < chance
            if leaving:
                Wake(self.env, onset - self.env._now, self._quiet_onset,
                     (onset, problem_id, cause.index, customer, 0.0, web, parent))
            else:
                self.quiet.append((np.array([onset]), np.array([problem_id]), np.array([cause.index]),
                                   np.array([customer]), np.array([0.0]), np.array([web]), np.array([parent])))
        if float(draws["follow"][0]) < cause.follow_probability:
            # a chain of causes (a -> b -> c): the follow-on's own follow-on, its delay from a stream of its own
            delay = float(cause.follow_delay.sample(cause.chain_delay_rng, 1)[0])
            Wake(self.env, max(onset + delay - self.env._now, 0.0), self._follow_on,
                 (problem_id, onset, cause.index, customer, 0.0))

    def accepted(self, cause: Cause, customer: int, onset: float, u_accept: float) -> bool:
        """Is a candidate a real problem: its customer active at the onset, and its acceptance
        draw below the segment's share times the cause's remaining rate then? (Exact whenever it
        is asked after the onset: a customer's leaving time and a fix's landing time are known
        once they happen, or before.)"""
        population = self.population
        if not population.joined[customer] <= onset < population.left[customer]:
            return False
        keep = population.acceptance[population.segment[customer]]
        if onset >= cause.fixed_at:
            keep *= cause.remaining
        return u_accept < keep

    def _deliver(self, item: tuple, plan) -> None:
        """A candidate's first contact is due: if it is a real problem (see :meth:`accepted`,
        inlined), the customer calls, unless they left meanwhile."""
        (instant, _, problem_id, onset, cause_index, customer, u_accept, z, patience, u_resolve, u_visit,
         u_churn, parent) = item
        left = self._left[customer]
        if not self._joined_at[customer] <= onset < left:
            return
        cause: Cause = self.causes[cause_index]
        segment = self._segment[customer]
        keep = self._segment_acceptance[segment]
        if onset >= cause.fixed_at:
            keep *= cause.remaining
        if u_accept >= keep:
            return
        factor = self._patience_factor[segment]
        problem = Problem(problem_id, customer, cause, onset, parent, z, u_visit, u_churn, factor)
        self.open[problem_id] = problem
        if left <= instant:
            self.finish(problem, _CUSTOMER_LEFT, instant)
            return
        self.journey.arrive_about(problem, instant, plan, patience * factor, u_resolve)

    def record_quiet(self, now: float) -> None:
        """Record the candidates that contact nobody (web self-service, silent) whose onset has
        passed, if they are real problems (:meth:`accepted`, a batch at a time)."""
        if not self.quiet:
            return
        pending = []
        left = np.asarray(self.population.left)  # as of now: who has left by now is known
        acceptance = np.asarray(self.population.acceptance)
        fixed_at = np.array([cause.fixed_at for cause in self.causes])
        remaining = np.array([cause.remaining for cause in self.causes])
        kind = self._cause_arrays["kind"]
        for columns in self.quiet:
            due = columns[0] < now
            if not due.all():
                pending.append(tuple(values[~due] for values in columns))
                if not due.any():
                    continue
                columns = tuple(values[due] for values in columns)
            onset, problem_id, cause, customer, u_accept, web, parent = columns
            segment = self._segment_codes[customer]
            keep = acceptance[segment] * np.where(onset >= fixed_at[cause], remaining[cause], 1.0)
            real = (self._joined[customer] <= onset) & (onset < left[customer]) & (u_accept < keep)
            if not real.any():
                continue
            self.web_uses.extend(onset[real & web].tolist())
            self.log.write_quiet(problem_id[real], customer[real], segment[real], cause[real], kind[cause[real]],
                                 parent[real], np.where(web[real], _WEB, _SILENT), onset[real])
        self.quiet = pending

    def _quiet_onset(self, event: Wakeup) -> None:
        """A quiet problem whose customer leaves at its onset (a silent sufferer, or a request
        resolved on the web with churn for value demand on), if it is a real problem."""
        onset, problem_id, cause_index, customer, u_accept, web, parent = event._value
        cause = self.causes[cause_index]
        if not self.accepted(cause, customer, onset, u_accept):
            return
        if web:
            self.web_uses.append(onset)
        self.population.leave(customer, onset, SILENT if not web else AFTER_PROBLEM)
        self.log.write_plain(problem_id, customer, self._segment[customer], cause_index, cause.kind, parent,
                             _WEB if web else _SILENT, onset, onset, effort=0.0, churned=1)

    def new_problem(self, problem_id: int, cause: Cause, customer: int, t: float, parent: int, z: float,
                    u_visit: float, u_churn: float) -> Problem:
        """A problem in flight."""
        population = self.population
        problem = Problem(problem_id, customer, cause, t, parent, z, u_visit, u_churn,
                          population.patience_factor[population.segment[customer]])
        self.open[problem_id] = problem
        return problem

    def contact_at(self, batch: dict[str, np.ndarray], contact_probability: float | None = None,
                   parent: int = -1) -> None:
        """Route candidates created during the run (follow-ons, incidents): ids are given now."""
        count = len(batch["onset"])
        batch["id"] = np.arange(self.next_id, self.next_id + count)
        self.next_id += count
        batch.setdefault("follow_delay", np.full(count, _INF))
        self.route(batch, contact_probability, parent)

    def _follow_on(self, event: Wakeup) -> None:
        """A problem sets off a follow-on problem of another cause, for the same customer, if the
        parent was a real problem and the customer is still here."""
        parent_id, parent_onset, cause_index, customer, u_accept = event._value
        parent_cause = self.causes[cause_index]
        now = self.env._now
        if not self.accepted(parent_cause, customer, parent_onset, u_accept):
            return
        if not self.population.is_active(customer, now):
            return
        cause = parent_cause.follow_on
        draws = self.attributes(cause, cause.follow_rng, 1)
        if now >= cause.fixed_at and draws["accept"][0] >= cause.remaining:
            return
        # accepted now (a segment factor does not apply to follow-ons); routed as route() would
        problem_id = self.next_id
        self.next_id += 1
        self._route_one(cause, draws, problem_id, now, customer,
                        float(max(cause.clock.later(now, float(draws["delay"][0])), now)), parent_id)

    # -- what contacts do to a problem ---------------------------------------------------------

    def contact_started(self, problem: Problem, contact_id: int, instant: float) -> None:
        """A contact about *problem* begins."""
        problem.attempts += 1
        problem.last_contact = contact_id
        if problem.attempts == 1:
            problem.t_first_contact = instant

    def handled(self, contact: Contact, now: float) -> None:
        """An agent handled a contact: perhaps tag it with its root cause; a failure cause's first
        handled contact starts its detection delay."""
        problem = contact.case
        assert problem is not None  # the journey asks only about contacts with a problem
        cause = problem.cause
        if cause.kind == VALUE:
            return
        if cause.first_contact_at == _INF:
            cause.first_contact_at = now
            if self.operations is not None:
                self.operations.first_contact(cause, now)
        if self.tag_accuracy and problem.tagged_contact != contact.id and self.tag_draw() < self.tag_accuracy:
            problem.tagged_contact = contact.id
            problem.tagged += 1
            contact.tagged = 1
            cause.tagged_recent += 1
            cause.tagged += 1

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

    def _visit(self, event: Wakeup) -> None:
        problem: Problem = event._value
        now = self.env._now
        visit = problem.cause.visit
        problem.visits += 1
        self.visits.append((now, visit.cost))
        if self.visit_draw() < visit.resolve_probability:
            self.finish(problem, _FIELD, now)
        else:
            self.journey.contact_again_about(problem, now)

    def finish(self, problem: Problem, outcome: int, t_end: float) -> None:
        """*problem* ends: the customer decides to stay or leave (:mod:`sim.churn`), and its row is
        written (a second end raises ``KeyError``)."""
        del self.open[problem.id]
        churn = self.churn
        kind = problem.cause.kind
        if churn is not None and churn.decides(outcome, kind):
            effort = churn.effort(problem, outcome, t_end)
            left = churn.leaves(effort, problem.u_churn)
            if left:
                self.population.leave(problem.customer, t_end, AFTER_PROBLEM)
            self._write(problem, self._segment[problem.customer], kind, outcome, t_end, effort, left)
            return
        self._write(problem, self._segment[problem.customer], kind, outcome, t_end)

    def attach_operations(self, operations) -> None:
        """The operations team that tags and fixes (see :mod:`sim.operations`)."""
        self.operations = operations
        self.tag_accuracy = operations.accuracy
        self.tag_draw = operations.tag_draw

    def close(self, horizon: float) -> None:
        """At the horizon: contacts whose caller was still in the IVR, candidates that contact
        nobody, and every problem still open are written."""
        for feed in self.feeds:
            for item, plan in feed.undelivered():
                (instant, _, problem_id, onset, cause_index, customer, u_accept, z, patience, u_resolve,
                 u_visit, u_churn, parent) = item
                cause = self.causes[cause_index]
                if onset >= horizon or not self.accepted(cause, customer, onset, u_accept):
                    continue
                problem = self.new_problem(problem_id, cause, customer, onset, parent, z, u_visit, u_churn)
                if instant < horizon and self.population.left[customer] > instant:
                    self.journey.still_walking_about(problem, instant, plan, patience * problem.patience_factor,
                                                     u_resolve, horizon)
        self.feeds = []
        self.record_quiet(horizon)
        self.quiet = []
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

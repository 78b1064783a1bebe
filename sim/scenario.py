"""The scenario: one frozen, validated description of a contact center and how it is run.

A scenario file is YAML; :mod:`sim.loader` reads it, deep-merges each strategy's patch over the
base, and validates every result into a :class:`Scenario`. Nothing inside the simulation reads a
raw dict: the model is built from these objects only.

Collections are mappings keyed by name (``demand.billing``, ``agents.frontline``) so that a
strategy can patch one member without repeating the others. Unknown keys are errors.

The smallest useful scenario (the Erlang A textbook queue)::

    name: Erlang A check
    horizon: 20d
    warmup: 1d
    replications: 5
    seed: 7
    demand:
      general:
        arrivals_per_hour: 114
    agents:
      frontline:
        headcount: 10
        serves: [general]
        handle_time: {dist: exponential, mean: 5m}
    patience: {dist: exponential, mean: 2m}
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.calendar import (DAY_KEYS, INTRADAY_PRESETS, SLOTS_PER_DAY, WEEKDAY_PRESETS, parse_ranges,
                          parse_time_of_day)
from sim.distributions import Constant, Distribution, NonNegativeSeconds, PositiveSeconds
from sim.units import format_duration

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$")]
"""A name for a reason, queue, group or strategy: letters, digits, ``_ - .`` and spaces."""

MAX_RATE_PER_1000_PER_DAY = 1e6
"""Upper bound of every cause's rate (root causes, value demand, new causes' draws)."""
MAX_HORIZON = 3650 * 86400.0
"""Upper bound of ``horizon``: ten years."""
MIN_REPLAN_EVERY = 7 * 86400.0
"""Lower bound of ``staffing.replan_every``: a week, every half-hour of the week seen once."""
_LOCATION_PARAMETERS = ("mean", "median", "scale", "value", "low", "high", "values")
"""The parameters of a distribution that place its values (those that accept durations)."""

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
DayKey = Literal[DAY_KEYS]  # type: ignore[valid-type]
"""``mon`` ... ``sun``, ``weekdays``, ``weekend`` or ``daily``."""


class Part(BaseModel):
    """Base of every scenario section: frozen, unknown keys rejected, types strict."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class CrossCheckError(ValueError):
    """Raised by a section's cross-field check; carries ``(key path, message)`` pairs."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def number_text(value: float) -> str:
    """A number as an error message shows it: ``1000000``, ``0.5``, ``1e+308``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) and abs(value) >= 1e15 else str(value)


def suggestion(word: str, choices: list[str]) -> str:
    """``" (did you mean 'x'?)"`` when *word* is close to one of *choices*, else ``""``."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_intraday(value):
    if isinstance(value, str):
        if value not in INTRADAY_PRESETS:
            names = list(INTRADAY_PRESETS)
            raise ValueError(f"a preset ({', '.join(names)}) or {SLOTS_PER_DAY} half-hour weights "
                             f"(got {value!r}){suggestion(value, names)}")
    elif value is not None:
        if len(value) != SLOTS_PER_DAY or sum(value) <= 0:
            raise ValueError(f"{SLOTS_PER_DAY} half-hour weights from 00:00, not all zero "
                             f"(got {len(value)} weights)")
    return value


def _check_weekday(value):
    if isinstance(value, str) and value not in WEEKDAY_PRESETS:
        names = list(WEEKDAY_PRESETS)
        raise ValueError(f"a preset ({', '.join(names)}) or weights by day like {{mon: 1.25, sat: 0.5}} "
                         f"(got {value!r}){suggestion(value, names)}")
    return value


def _check_ranges(value: str) -> str:
    parse_ranges(value)
    return value


def _check_range(value: str) -> str:
    try:
        ranges = parse_ranges(value)
    except ValueError:
        ranges = []
    if len(ranges) != 1:
        raise ValueError(f"one time range like '08:00-12:00' (got {value!r})")
    return value


TimeRanges = Annotated[str, AfterValidator(_check_ranges)]
"""``"08:00-20:00"``, several separated by commas, or ``"closed"``."""
TimeRange = Annotated[str, AfterValidator(_check_range)]
"""One range ``"08:00-12:00"``."""

IntradayProfile = str | Annotated[list[NonNegative], Field(min_length=1)]
WeekdayWeights = str | dict[DayKey, NonNegative]


class Calendar(Part):
    """When contacts come: the intraday and weekly rhythm, busy days, and opening hours."""

    intraday: IntradayProfile | None = None
    """Share of a day's contacts per half-hour from 00:00: a preset (``bank_weekday``, ``flat``) or
    48 weights (normalised to sum to 1). Omitted: flat."""
    weekday: WeekdayWeights | None = None
    """Day-of-week multipliers of the daily volume: a preset (``western``, ``flat``) or weights by
    day (days not given weigh 1). Omitted: flat."""
    busyness_cv: Annotated[NonNegative, Field(le=3)] = 0.0
    """CV of a daily gamma factor (mean 1) multiplying every reason's rate that day: a busy day is
    busy everywhere (FIGURES.md: 0.15 for the bank; 0 = plain Poisson)."""
    opening_hours: dict[DayKey, TimeRanges] | None = None
    """Open time ranges by day (``{weekdays: "08:00-20:00", sat: "09:00-13:00"}``); days not given
    are closed. Omitted: always open."""
    outside_hours: Literal["leave", "retry", "wait", "callback"] = "leave"
    """A contact when closed: ``leave`` (hears the closed message and hangs up for good), ``retry``
    (hears it and calls again after the opening, a ``redial`` delay later), ``wait`` (holds until
    the opening), or ``callback`` (leaves a request; an agent calls back at the opening)."""

    @field_validator("intraday")
    @classmethod
    def _intraday(cls, value):
        return _check_intraday(value)

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value):
        return _check_weekday(value)



class Reason(Part):
    """One reason customers contact (a kind of demand), with its Poisson arrival rate."""

    arrivals_per_hour: Annotated[NonNegative, Field(le=1e6)] = 0.0
    """Mean Poisson arrival rate, contacts per hour over a whole day of weight 1 (0 means none;
    at most a million). Give this or ``per_day``."""
    per_day: Annotated[NonNegative, Field(le=24e6)] | None = None
    """Mean contacts per day of weight 1 (``arrivals_per_hour`` x 24); spread by the intraday profile."""
    intraday: IntradayProfile | None = None
    """This reason's intraday profile, instead of the calendar's."""
    weekday: WeekdayWeights | None = None
    """This reason's day-of-week weights, instead of the calendar's."""
    arrival_times: list[NonNegativeSeconds] | None = None
    """Exact arrival instants instead of a Poisson stream (for traces and scheduled batches)."""
    queue: Name | None = None
    """The queue these contacts join; by default the queue named like the reason."""
    patience: Distribution | None = None
    """Patience of these callers; overrides the scenario's ``patience``."""

    @field_validator("intraday")
    @classmethod
    def _intraday(cls, value):
        return _check_intraday(value)

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value):
        return _check_weekday(value)

    @model_validator(mode="after")
    def _one_source(self) -> Reason:
        if self.per_day is not None and self.arrivals_per_hour > 0:
            raise ValueError("give either arrivals_per_hour or per_day, not both")
        if self.arrival_times is not None and (self.arrivals_per_hour > 0 or self.per_day):
            raise ValueError("give either a rate (arrivals_per_hour, per_day) or arrival_times, not both")
        return self

    @property
    def daily_volume(self) -> float:
        """Mean contacts on a day of weight 1."""
        return self.per_day if self.per_day is not None else self.arrivals_per_hour * 24


class CallbackOffer(Part):
    """Offer waiting callers a callback when the estimated wait is long."""

    offer_above: NonNegativeSeconds
    """Offer when the estimated wait exceeds this (FIGURES.md: 180 s; the seed's advice: 2m)."""
    accept: Probability = 0.37
    """Share of callers who accept (FIGURES.md: 0.37, Hathaway, Emadi & Deshpande)."""
    mode: Literal["virtual_hold", "scheduled"] = "virtual_hold"
    """``virtual_hold``: keep the place in line, called back when an agent would have answered;
    ``scheduled``: a request served by outbound capacity (``queue``) with its own priority."""
    queue: Name | None = None
    """Scheduled callbacks: the queue the request joins (served like any queue, e.g. by an
    outbound group, or by inbound agents at a lower priority). Default: this queue."""
    window: PositiveSeconds = 10800.0
    """Scheduled callbacks: the promised window (FIGURES.md: within 3 h); reported as met or not."""


class Queue(Part):
    """A waiting line that agents serve first come, first served."""

    estimate: Literal["position", "recent"] = "position"
    """How the expected wait is estimated: ``position`` (callers ahead x mean handle time / agents
    on duty), or ``recent`` (smoothed waits of the last answered callers)."""
    announce: bool = False
    """Announce the estimated wait to callers who must wait (recorded as ``announced_wait_s``;
    a queue with callback offers always estimates)."""
    callback: CallbackOffer | None = None
    """Callback offers in this queue (omitted: none)."""


class Option(Part):
    """Where an IVR option leads: exactly one of another menu, a queue, or a self-service leaf."""

    menu: Name | None = None
    queue: Name | None = None
    self_service: Name | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Option:
        given = [key for key in ("menu", "queue", "self_service") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError("exactly one of menu, queue or self_service "
                             f"(got {', '.join(given) if given else 'none'})")
        return self


class Menu(Part):
    """One IVR menu: a prompt, then the caller picks an option (or hangs up, or presses 0)."""

    prompt: Distribution
    """How long the menu takes (prompt and choice)."""
    options: Annotated[dict[str, Option], Field(min_length=1)]
    """Options by key (``"1"``, ``"2"``, ...)."""
    choice: dict[Name, dict[str, Probability]]
    """Per true reason, the chance of picking each option (a row of the confusion matrix; rows sum
    to 1). That is how misroutes happen: a billing caller who picks the tech option."""
    hangup: Probability | None = None
    """Chance to hang up in this menu; omitted: the IVR's ``hangup`` x ``hangup_growth`` ^ depth."""
    zero_out: Probability = 0.0
    """Chance to press 0 for an operator (FIGURES.md: 0.20, an estimate)."""

    @model_validator(mode="after")
    def _rows(self) -> Menu:
        problems = []
        for reason, row in self.choice.items():
            for option in row:
                if option not in self.options:
                    problems.append((("choice", reason, option),
                                     f"an option of this menu: one of {', '.join(self.options)} "
                                     f"(got '{option}'){suggestion(option, list(self.options))}"))
            if abs(sum(row.values()) - 1) > 1e-6:
                problems.append((("choice", reason), f"chances that sum to 1 (got {sum(row.values()):g})"))
        if problems:
            raise CrossCheckError(problems)
        return self


class SelfService(Part):
    """An IVR leaf that resolves some reasons without an agent."""

    duration: Distribution
    """Time spent in self-service."""
    resolves: dict[Name, Probability] = {}
    """Per reason, the chance self-service resolves it (reasons not listed: 0)."""
    queue: Name | None = None
    """Where the unresolved continue; omitted: the queue of their reason."""


class Ivr(Part):
    """The phone tree callers go through before reaching a queue."""

    entry: Name
    """The first menu."""
    menus: Annotated[dict[Name, Menu], Field(min_length=1)]
    self_service: dict[Name, SelfService] = {}
    operator: Name | None = None
    """The queue a caller who presses 0 joins; omitted: the queue of their reason."""
    hangup: Probability = 0.0
    """Chance to hang up in a first-level menu (FIGURES.md: IVR abandonment about 0.05 overall)."""
    hangup_growth: Annotated[float, Field(ge=0, le=10)] = 1.0
    """Each level deeper multiplies the hang-up chance by this (capped at 1)."""


class Outbound(Part):
    """Calling customers back: how attempts go."""

    reach_probability: Probability = 0.9
    """Chance an attempt reaches the customer (FIGURES.md: no answer 0.10, an estimate)."""
    attempts: Annotated[int, Field(ge=1, le=20)] = 3
    """Attempts before the contact is lost and the problem left unresolved."""
    retry_delay: Distribution = Constant(value=900.0)
    """Delay before the next attempt."""
    dial_time: Distribution = Constant(value=20.0)
    """Agent time per attempt until the customer answers or the attempt fails."""


class Retrial(Part):
    """A customer contacting again about the same problem."""

    probability: Probability
    """Chance they contact again."""
    delay: Distribution
    """After how long."""


class Transfers(Part):
    """How a misrouted contact reaches the right queue."""

    mode: Literal["cold", "warm"] = "cold"
    """``cold``: back of the right queue's line; ``warm``: front of it, the first agent staying on
    for the hand-over."""
    discovery: Distribution = Constant(value=65.0)
    """First agent's talk before transferring (FIGURES.md: about 65 s per blind transfer)."""
    handover: Distribution = Constant(value=30.0)
    """Warm transfers: the first agent's extra time handing over."""


class Escalation(Part):
    """When a group may pass an unresolved contact to a higher tier."""

    to: Name
    """The higher tier's queue."""
    after_failed_contacts: Annotated[int, Field(ge=0, le=100)] = 0
    """0: right away; N: only once the problem has failed N contacts before this one."""


class Shift(Part):
    """Agents rostered on given days between two times of day."""

    days: DayKey | list[DayKey] = "daily"
    """Days the shift runs (``weekdays``, ``[mon, tue]``, ...)."""
    start: str
    """Start, ``"HH:MM"``."""
    end: str
    """End, ``"HH:MM"``; at or before the start, the shift runs past midnight."""
    agents: Annotated[int, Field(ge=0)]
    """Agents on this shift."""

    @field_validator("start", "end")
    @classmethod
    def _times(cls, value):
        parse_time_of_day(value)
        return value


HalfHourHeadcounts = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=SLOTS_PER_DAY,
                                                                          max_length=SLOTS_PER_DAY)]
RangeHeadcounts = dict[TimeRange, Annotated[int, Field(ge=0)]]


class Hold(Part):
    """Mid-call consult hold: the agent puts the caller on hold to ask someone."""

    probability: Probability
    """Share of conversations with a consult hold."""
    duration: Distribution
    """How long the caller is on hold."""


class AgentGroup(Part):
    """A group of interchangeable agents (a tier or a department)."""

    headcount: Annotated[int, Field(ge=0)] | None = None
    """Agents rostered all the time. Give exactly one of ``headcount``, ``schedule`` or ``shifts``."""
    schedule: dict[DayKey, HalfHourHeadcounts | RangeHeadcounts] | None = None
    """Rostered agents by day: 48 half-hour headcounts from 00:00, or ``{"08:00-12:00": 5, ...}``
    (times not listed: 0). Days not given: nobody. ``run_sim.py staff --write`` writes this."""
    shifts: dict[Name, Shift] | None = None
    """Rostered agents as shifts; overlapping shifts add up."""
    shrinkage: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    """Share of rostered time not available for contacts (breaks, training, absence): available =
    round(rostered x (1 - shrinkage)); paid = rostered (FIGURES.md: 0.30 typical, 0.15-0.40)."""
    serves: Annotated[list[Name], Field(min_length=1)]
    """Queues this group answers, highest priority first (its skills)."""
    handle_time: Distribution
    """Talk time of a contact (lognormal by mean and cv is the realistic choice)."""
    handle_time_by_reason: dict[Name, Distribution] = {}
    """Talk time of given reasons' contacts, instead of ``handle_time``."""
    after_call_work: Distribution | None = None
    """Wrap-up after the caller hangs up; the agent stays busy (FIGURES.md: about 30 s)."""
    hold: Hold | None = None
    """Mid-call consult hold (caller on hold, agent busy)."""
    hourly_cost: NonNegative = 42.0
    """Fully loaded cost per paid agent hour (FIGURES.md: $42/h, an estimate from BLS wages)."""
    resolve_probability: Probability = 1.0
    """Chance that a conversation with this group resolves the caller's problem (knowledge and
    authority); FIGURES.md: FCR about 0.70 in a reactive baseline."""
    escalation: Escalation | None = None
    """Where unresolved contacts go (a higher tier), and when; omitted: never escalated."""
    drop_probability: Probability = 0.0
    """Chance a conversation drops mid-way (the problem stays unresolved)."""
    call_back_dropped: bool = False
    """Policy: this group calls back customers whose call dropped (else nobody does)."""

    @model_validator(mode="after")
    def _one_roster(self) -> AgentGroup:
        given = [key for key in ("headcount", "schedule", "shifts") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError("exactly one of headcount, schedule or shifts "
                             f"(got {', '.join(given) if given else 'none'})")
        return self


class StaffingTarget(Part):
    """What a workforce planner staffs for (``run_sim.py staff``), and what an FTE is."""

    service_level: Probability = 0.8
    """Share of contacts to answer within the threshold (the 80 of 80/20)."""
    threshold: NonNegativeSeconds | None = None
    """The 20 of 80/20; omitted: the scenario's ``service_level_threshold``."""
    max_abandon: Probability | None = None
    """Also keep the Erlang A abandonment at or below this share."""
    fte_hours_per_week: Annotated[float, Field(gt=0, le=168)] = 40.0
    """Paid hours of one full-time equivalent per week."""
    policy: Literal["fixed", "replan"] = "fixed"
    """``fixed``: every group keeps its roster; ``replan``: every ``replan_every`` each group's
    roster is planned anew (the staffing calculator, Erlang A) for the volume and handle time seen
    in the last period, to hold this target."""
    replan_every: PositiveSeconds = 30 * 86400.0
    """How often rosters are re-planned (``policy: replan``; default monthly); at least
    :data:`MIN_REPLAN_EVERY`, a week: a re-plan plans every half-hour of the week from the last
    period, and a shorter period would leave half-hours it never saw, planned for nobody."""

    @field_validator("replan_every")
    @classmethod
    def _a_week_at_least(cls, value: float) -> float:
        if value < MIN_REPLAN_EVERY:
            raise ValueError(f"must be >= {format_duration(MIN_REPLAN_EVERY)}: a re-plan plans every half-hour of "
                             "the week from the last period, and a shorter one leaves half-hours unseen "
                             f"(got {format_duration(value)})")
        return value


class Costs(Part):
    """Prices of what service consumes besides agents."""

    currency: str = "USD"
    """Label of the money columns."""
    telephony_per_minute: NonNegative = 0.025
    """Telephony per minute in the IVR, in queue or talking (FIGURES.md: $0.025/min, vendor rate cards)."""
    outbound_per_minute: NonNegative = 0.025
    """Telephony per minute of an outbound callback (dialling and talking)."""
    transition: NonNegative = 0.0
    """One-off cost of adopting this strategy (training, moving people), counted at the start of
    the measured window."""


class Segment(Part):
    """A kind of customer with its own revenue, patience and problem rate."""

    share: Probability
    """Share of the customers in this segment (the shares sum to 1)."""
    monthly_revenue: NonNegative | None = None
    """Revenue per customer per month; omitted: ``customers.monthly_revenue``."""
    patience_factor: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] = 1.0
    """Multiplies these customers' patience (FIGURES.md: high-value customers 1.5-2x as patient)."""
    problem_factor: Annotated[NonNegative, Field(le=100)] = 1.0
    """Multiplies the rate of every root cause, new defect and value demand for these customers (not
    who an incident hits: that is ``affected`` of every active customer)."""


class Customers(Part):
    """The customer population: who has problems, contacts, and leaves."""

    count: Annotated[int, Field(ge=1, le=10_000_000)]
    """Active customers at the start."""
    monthly_revenue: NonNegative = 50.0
    """Revenue per customer per month (FIGURES.md: telecom ARPU $58-62)."""
    segments: dict[Name, Segment] | None = None
    """Optional segments; omitted: one segment of everybody."""
    acquisition_per_day: Annotated[NonNegative, Field(le=1e6)] = 0.0
    """New customers per day (Poisson); they start active and produce problems like the others."""
    margin: Probability = 0.5
    """Share of revenue that is margin (for the lifetime value lost)."""

    @model_validator(mode="after")
    def _shares(self) -> Customers:
        if self.segments is not None and abs(sum(s.share for s in self.segments.values()) - 1) > 1e-6:
            raise CrossCheckError([(("segments",), "shares that sum to 1 (got "
                                    f"{sum(s.share for s in self.segments.values()):g})")])
        return self


class EffortWeights(Part):
    """How much each part of a problem's journey adds to the customer's effort score."""

    ivr_minutes: NonNegative = 0.05
    """Per minute in IVRs."""
    hold_minutes: NonNegative = 0.1
    """Per minute waiting on hold (queue waits on the line)."""
    transfers: NonNegative = 0.5
    """Per transfer."""
    contacts: NonNegative = 0.75
    """Per contact beyond the first (redials, repeat contacts)."""
    failed_callbacks: NonNegative = 1.0
    """Per callback that never reached the customer."""
    days_to_resolve: NonNegative = 0.2
    """Per day from the onset until resolved (or until the customer gave up)."""
    unresolved: NonNegative = 2.0
    """Once, if the problem was never resolved."""


class Logistic(Part):
    """``P = 1 / (1 + exp(-(intercept + slope x effort)))``."""

    intercept: Annotated[float, Field(ge=-50, le=50, allow_inf_nan=False)] = -4.0
    slope: Annotated[float, Field(ge=0, le=50, allow_inf_nan=False)] = 0.8


class WordOfMouth(Part):
    """Churned customers tell others (FIGURES.md: 56% tell about bad service, to 24 people on average,
    American Express 2012)."""

    share_who_tell: Probability = 0.56
    people_reached: Annotated[NonNegative, Field(le=1000)] = 24.0
    """People each teller reaches (at most 1000)."""


class Churn(Part):
    """Customers leave: after a problem, as a function of the effort it cost them; in silence; and for
    reasons service does not affect."""

    effort: EffortWeights = EffortWeights()
    """Weights of the effort score of a problem."""
    probability: Logistic = Logistic()
    """Chance to leave after a problem, a logistic function of its effort."""
    silent: Probability = 0.0
    """Chance a silent sufferer (a problem nobody contacted service about) leaves."""
    baseline_per_month: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.0
    """Monthly hazard of leaving for reasons service does not affect (FIGURES.md: 1%/month)."""
    value_demand: bool = False
    """Whether requests (value demand) lead to a churn decision too (by default only problems do:
    failure demand and incidents)."""
    word_of_mouth: WordOfMouth = WordOfMouth()
    """People reached by the negative word of mouth of customers service drove away."""


class FollowOn(Part):
    """A problem that sets off another one later (a plan change that cuts service produces, weeks
    later, a wrong bill)."""

    cause: Name
    """The root cause of the follow-on problem."""
    probability: Probability
    """Chance a problem of this cause sets one off."""
    delay: Distribution
    """From this problem's onset to the follow-on's onset."""


class FieldVisit(Part):
    """Problems an agent cannot fix on the phone: a technician visits."""

    probability: Probability
    """Share of this cause's problems that need a visit."""
    response: Distribution = Constant(value=86400.0)
    """From dispatch (the conversation that would have resolved it) to the visit (default 24 h)."""
    cost: NonNegative = 150.0
    """Cost of one visit (an estimate: a technician's loaded hour plus travel)."""
    resolve_probability: Probability = 0.9
    """Chance a visit resolves the problem; otherwise the customer contacts again (``call_again``)."""


class RootCause(Part):
    """A defect upstream that produces failure demand: problems for customers, some of whom
    contact service about them."""

    reason: Name
    """The contact reason its problems lead to (a key of ``demand``)."""
    per_1000_per_day: Annotated[NonNegative, Field(le=MAX_RATE_PER_1000_PER_DAY)]
    """Problems per 1000 active customers per day (on a day of weight 1)."""
    preventable: bool = True
    """Whether operations can fix it; a cause that is not preventable is never fixed."""
    contact_probability: Probability = 1.0
    """Chance a problem leads to a contact; the others suffer in silence."""
    contact_delay: Distribution = Constant(value=0.0)
    """From the problem's onset to the first contact, counted on the reason's demand clock (the
    intraday and weekday profiles shape when contacts are made)."""
    fix_effort: Distribution = Constant(value=40 * 3600.0)
    """Engineer-hours a fix takes (written as a duration, ``40h``; FIGURES.md: 40 h, an estimate)."""
    fix_effectiveness: Probability = 0.8
    """Share of the cause's problems a finished fix removes."""
    appears: NonNegativeSeconds = 0.0
    """When the defect appears (before that it produces nothing)."""
    follow_on: FollowOn | None = None
    """A follow-on problem it can set off."""
    field_visit: FieldVisit | None = None
    """Some of its problems need a technician's visit."""


class ValueDemand(Part):
    """Questions and requests no defect caused: not fixable, only deflectable by self-service."""

    reason: Name
    """The contact reason (a key of ``demand``)."""
    per_1000_per_day: Annotated[NonNegative, Field(le=MAX_RATE_PER_1000_PER_DAY)]
    """Requests per 1000 active customers per day (on a day of weight 1)."""
    contact_probability: Probability = 1.0
    """Chance a request leads to a contact (when not deflected on the web)."""
    contact_delay: Distribution = Constant(value=0.0)
    """From the need to the contact, on the reason's demand clock."""


class NewCauses(Part):
    """New defects keep appearing (releases, price changes, new products), drawn from a template."""

    per_30_days: Annotated[NonNegative, Field(le=1000)]
    """New root causes per 30 days (Poisson)."""
    reasons: Annotated[dict[Name, NonNegative], Field(min_length=1)]
    """The contact reasons new causes lead to, with relative weights."""
    per_1000_per_day: Distribution
    """Rate of a new cause, problems per 1000 active customers per day (a plain-number
    distribution, e.g. ``{dist: lognormal, mean: 0.3, cv: 1}``; its values at most
    :data:`MAX_RATE_PER_1000_PER_DAY`, and a draw above that counts as that)."""
    preventable: Probability = 1.0
    """Chance a new cause is preventable."""
    contact_probability: Probability = 0.7
    contact_delay: Distribution = Constant(value=0.0)
    fix_effort: Distribution = Constant(value=40 * 3600.0)
    fix_effectiveness: Probability = 0.8

    @field_validator("per_1000_per_day", mode="before")
    @classmethod
    def _plain_numbers(cls, value):
        # a distribution's location parameters accept durations ('3h' is 10800 s): not for a rate
        problems = []
        if isinstance(value, dict):
            for key, given in value.items():
                items = enumerate(given) if key == "values" and isinstance(given, list) else [(None, given)]
                for index, item in items:
                    if key in _LOCATION_PARAMETERS and isinstance(item, str):
                        path = (key,) if index is None else (key, index)
                        try:
                            hint = f"; YAML reads it as text: write {float(item):.1e}"
                        except ValueError:
                            hint = ""
                        problems.append((path, "a plain number (a rate per 1000 customers per day, not a "
                                               f"duration or text{hint}) (got {item!r})"))
        if problems:
            raise CrossCheckError(problems)
        return value

    @field_validator("per_1000_per_day")
    @classmethod
    def _at_most(cls, value):
        # the bound of root_causes.NAME.per_1000_per_day, on every parameter that places the values
        problems = []
        for key in _LOCATION_PARAMETERS:
            given = getattr(value, key, None)
            for index, item in (enumerate(given) if isinstance(given, list) else [(None, given)]):
                if item is not None and item > MAX_RATE_PER_1000_PER_DAY:
                    path = (key,) if index is None else (key, index)
                    problems.append((path, f"must be <= {number_text(MAX_RATE_PER_1000_PER_DAY)} "
                                           f"(got {number_text(item)})"))
        if problems:
            raise CrossCheckError(problems)
        return value


class Operations(Part):
    """The operations team that fixes root causes, and how it learns about them."""

    engineers: Annotated[int, Field(ge=0, le=10_000)] = 0
    """Engineers available for fixes; a fix occupies one engineer for its effort."""
    hourly_cost: NonNegative = 90.0
    """Loaded cost per engineer-hour spent on fixes (FIGURES.md: $90/h, an estimate)."""
    working_hours: dict[DayKey, TimeRanges] = {"weekdays": "09:00-17:00"}
    """When engineers work (a fix's effort counts working hours only)."""
    review_every: PositiveSeconds = 7 * 86400.0
    """The review period: the team ranks causes and starts fixes this often."""
    first_review: NonNegativeSeconds | None = None
    """The first review; omitted: one review period after the start."""
    tagging_accuracy: Probability = 0.0
    """Chance an agent tags a handled contact with its true root cause (high for staff embedded in
    operations, low or none for a reactive department)."""
    min_tagged: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    """Tagged contacts (since the last review) a cause needs to be seen by tagging."""
    detection_delay: Distribution | None = None
    """Without tags, operations learns of a cause this long after its first contact (complaints,
    escalations, audits); omitted: causes surface only through tags."""


class Notifications(Part):
    """Proactive notice: customers hit by an incident are told before they call."""

    cost_per_notice: NonNegative = 0.05
    """Cost of one notice (SMS or e-mail; an estimate)."""
    contact_reduction: Probability = 0.5
    """Share of notified customers who would have contacted service but do not (an estimate)."""


class Incident(Part):
    """A burst of failure demand: an outage, a billing run that sends a confusing invoice."""

    at: NonNegativeSeconds | None = None
    """When it starts (give ``at`` or ``per_30_days``)."""
    per_30_days: Annotated[NonNegative, Field(le=1000)] | None = None
    """Random incidents of this kind: how many per 30 days (Poisson)."""
    duration: PositiveSeconds
    """How long it lasts; affected customers notice it at a uniform moment within it."""
    affected: Probability
    """Share of active customers it hits, whatever their segment's ``problem_factor``."""
    reason: Name
    """The contact reason its problems lead to."""
    contact_probability: Probability = 0.5
    """Chance an affected customer contacts service (without notice)."""
    contact_delay: Distribution = Constant(value=0.0)
    """From noticing to contacting, on the reason's demand clock."""
    notify: bool = False
    """Proactive notice: affected customers are told (``notifications``), and fewer of them call."""

    @model_validator(mode="after")
    def _when(self) -> Incident:
        if (self.at is None) == (self.per_30_days is None):
            raise ValueError("exactly one of at (a scheduled incident) or per_30_days (random ones) "
                             f"(got {'both' if self.at is not None else 'neither'})")
        return self


class WebSelfService(Part):
    """Self-service on the web: value demand resolved before anyone calls."""

    deflection: dict[Name, Probability] = {}
    """Per contact reason, the share of value-demand requests resolved on the web."""
    cost_per_use: NonNegative = 0.10
    """Cost of one web resolution (FIGURES.md: $0.10 per self-service contact, Gartner)."""


def _follow_on_cycle_problems(causes: dict[str, RootCause]) -> list:
    """Follow-on cycles that could set off problems forever at one instant.

    Each cause has at most one follow-on, so a problem starts one chain, never a tree. A cycle
    (``a -> a``, ``a -> b -> a``) ends almost surely if one of its links has a probability below 1
    (a geometric number of laps), and cannot run faster than one lap per the sum of its delays'
    smallest values if that sum is positive (a number of laps linear in simulated time). A cycle
    with every probability 1 and delays that can all be 0 (or come arbitrarily close: exponential,
    lognormal, gamma, Weibull) has neither guarantee, and is rejected."""
    problems: list = []
    reported: set[str] = set()
    for start in causes:
        trail: list[str] = []
        name: str | None = start
        while name is not None and name in causes and name not in trail and name not in reported:
            trail.append(name)
            follow_on = causes[name].follow_on
            name = follow_on.cause if follow_on is not None else None
        if name is None or name not in trail:
            continue  # the chain ends, leaves the catalogue, or joins a cycle already seen
        cycle = trail[trail.index(name):]
        reported.update(cycle)
        links = [causes[member].follow_on for member in cycle]
        if all(link.probability == 1 for link in links) and sum(link.delay.lowest_value for link in links) == 0:
            shown = " -> ".join(cycle + [cycle[0]])
            problems.append((("root_causes", cycle[0], "follow_on"),
                             "a follow-on cycle that ends: a link with a probability below 1, or a delay that "
                             "is never near 0 (constant, uniform with low > 0, empirical without 0) "
                             f"(got {shown}: every probability 1, every delay can be 0)"))
    return problems


def _ivr_problems(ivr: Ivr, reasons: list[str], check_queue) -> list:
    """Cross-checks of the phone tree: names resolve, menus form no loop, and every reason that
    can reach a menu has a choice row there."""
    problems: list = []
    menus = list(ivr.menus)
    if ivr.entry not in ivr.menus:
        problems.append((("ivr", "entry"), f"a menu: one of {', '.join(menus)} (got '{ivr.entry}')"
                                           f"{suggestion(ivr.entry, menus)}"))
        return problems
    check_queue(("ivr", "operator"), ivr.operator)
    for name, leaf in ivr.self_service.items():
        check_queue(("ivr", "self_service", name, "queue"), leaf.queue)
        for reason in leaf.resolves:
            if reason not in reasons:
                problems.append((("ivr", "self_service", name, "resolves", reason),
                                 f"a reason of demand: one of {', '.join(reasons)} (got '{reason}')"
                                 f"{suggestion(reason, reasons)}"))
    leaves = list(ivr.self_service)
    for name, menu in ivr.menus.items():
        for key, option in menu.options.items():
            path = ("ivr", "menus", name, "options", key)
            if option.menu is not None and option.menu not in ivr.menus:
                problems.append((path + ("menu",), f"a menu: one of {', '.join(menus)} (got '{option.menu}')"
                                                   f"{suggestion(option.menu, menus)}"))
            check_queue(path + ("queue",), option.queue)
            if option.self_service is not None and option.self_service not in ivr.self_service:
                problems.append((path + ("self_service",),
                                 f"a self_service leaf: one of {', '.join(leaves) or '(none defined)'} "
                                 f"(got '{option.self_service}'){suggestion(option.self_service, leaves)}"))
        for reason in menu.choice:
            if reason not in reasons:
                problems.append((("ivr", "menus", name, "choice", reason),
                                 f"a reason of demand: one of {', '.join(reasons)} (got '{reason}')"
                                 f"{suggestion(reason, reasons)}"))
    if problems:
        return problems
    # no loops: depth-first search over menu -> menu options
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for option in ivr.menus[name].options.values():
            if option.menu is None:
                continue
            if state.get(option.menu) == 1:
                problems.append((("ivr", "menus", name), "menus without loops (got "
                                 f"{' -> '.join(trail + [name, option.menu])})"))
            elif option.menu not in state:
                visit(option.menu, trail + [name])
        state[name] = 2

    visit(ivr.entry, [])
    if problems:
        return problems
    # every reason that can reach a menu needs a row there
    for reason in reasons:
        frontier, seen = [ivr.entry], set()
        while frontier:
            name = frontier.pop()
            if name in seen:
                continue
            seen.add(name)
            row = ivr.menus[name].choice.get(reason)
            if row is None:
                problems.append((("ivr", "menus", name, "choice"),
                                 f"a row for every reason that can reach this menu (no row for '{reason}')"))
                continue
            for key, chance in row.items():
                option = ivr.menus[name].options[key]
                if chance > 0 and option.menu is not None:
                    frontier.append(option.menu)
    return problems


class Sweep(Part):
    """The ``sweep:`` section at the top of a file: what ``run_sim.py sweep`` varies when the command
    line gives no ``--vary`` (``run`` ignores it; ``validate`` checks it). :mod:`sim.sweep` reads it::

        sweep:
          vary:
            operations.engineers: [1, 2, 3]
            root_causes.confusing_invoice.fix_effort.mean: 20h:80h:20h
          samples: 10          # optional: a Latin hypercube of 10 points instead of the grid
    """

    samples: Annotated[int, Field(ge=1)] | None = None
    """A Latin hypercube of this many points over the ranges and lists, instead of the full grid."""
    seed: Annotated[int, Field(ge=0)] | None = None
    """Seed of the Latin hypercube (default: the scenario's seed); needs ``samples``."""
    vary: Annotated[dict[str, Any], Field(min_length=1)]
    """Key path (as in ``--set``; ``strategies.NAME.`` for one strategy) -> a list of values
    ``[1, 2, 3]`` or a range ``'low:high:step'`` (numbers, or durations with units)."""

    @field_validator("vary")
    @classmethod
    def _factors(cls, vary: dict[str, Any], info) -> dict[str, Any]:
        from sim.sweep import factor_problems

        problems = factor_problems(vary, info.data.get("samples"))
        if problems:
            raise CrossCheckError([((path,), message) for path, message in problems])
        return vary

    @model_validator(mode="after")
    def _seed_needs_samples(self) -> Sweep:
        if self.seed is not None and self.samples is None:
            raise CrossCheckError([(("seed",), f"only with samples: it seeds the Latin hypercube (got seed "
                                               f"{self.seed} without samples)")])
        return self


class Scenario(Part):
    """A whole scenario: demand, queues, agents, patience, horizon; one strategy's view of it."""

    name: str = "unnamed scenario"
    """A title for reports."""
    description: str = ""
    """Free text for reports."""
    horizon: PositiveSeconds
    """Simulated time; flow metrics count contacts arriving in [warmup, horizon); at most
    :data:`MAX_HORIZON`, ten years."""
    warmup: NonNegativeSeconds = 0.0
    """Time simulated before measuring starts, so the queue is in its steady state."""
    replications: Annotated[int, Field(ge=1)] = 10
    """Independent runs per strategy; confidence intervals are over these."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Root of every random stream (with the replication and the component's name)."""
    service_level_threshold: NonNegativeSeconds = 20.0
    """``service_level`` counts contacts answered within this wait (80/20 means 20s)."""
    calendar: Calendar = Calendar()
    """Intraday and weekly rhythm, busy days, opening hours (omitted: flat, always open)."""
    demand: Annotated[dict[Name, Reason], Field(min_length=1)]
    """Contact reasons by name."""
    queues: dict[Name, Queue] | None = None
    """Queues by name; omitted, each reason's ``queue`` (default: its own name) makes one."""
    agents: Annotated[dict[Name, AgentGroup], Field(min_length=1)]
    """Agent groups by name."""
    patience: Distribution | None = None
    """How long callers wait before abandoning; omitted, they never abandon (Erlang C)."""
    ivr: Ivr | None = None
    """The phone tree; omitted, callers go straight to the queue of their reason."""
    outbound: Outbound = Outbound()
    """How callback attempts go (virtual hold, scheduled callbacks, dropped-call callbacks)."""
    redial: Retrial | None = None
    """After abandoning (in queue or IVR) or a dropped call, the customer calls again (FIGURES.md:
    about 35% within an hour, median delay 40 min); omitted: nobody redials."""
    call_again: Retrial | None = None
    """After an unresolved conversation that was not escalated ("call us again later"), the
    customer contacts again; omitted: they give up."""
    transfers: Transfers = Transfers()
    """How misrouted contacts are transferred."""
    costs: Costs = Costs()
    """Prices besides agents."""
    staffing: StaffingTarget = StaffingTarget()
    """The staffing target (``run_sim.py staff``) and the FTE definition."""
    customers: Customers | None = None
    """The customer population; with it, demand comes from ``root_causes``, ``value_demand`` and
    ``incidents`` (per active customer), not from ``demand`` rates."""
    root_causes: dict[Name, RootCause] = {}
    """Defects that produce failure demand (needs ``customers``)."""
    value_demand: dict[Name, ValueDemand] = {}
    """Questions and requests no defect caused (needs ``customers``)."""
    new_causes: NewCauses | None = None
    """New defects appearing over time (needs ``customers``)."""
    operations: Operations | None = None
    """The team that fixes root causes; omitted: nothing is ever fixed."""
    incidents: dict[Name, Incident] = {}
    """Outages and other bursts of failure demand (needs ``customers``)."""
    notifications: Notifications = Notifications()
    """Proactive notice of incidents (an incident's ``notify`` turns it on)."""
    web_self_service: WebSelfService = WebSelfService()
    """Web self-service that deflects value demand."""
    churn: Churn | None = None
    """How customers leave (needs ``customers``); omitted: nobody leaves."""

    @field_validator("horizon")
    @classmethod
    def _ten_years_at_most(cls, value: float) -> float:
        if value > MAX_HORIZON:
            raise ValueError(f"must be <= {format_duration(MAX_HORIZON)}, ten years (got {format_duration(value)})")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.warmup >= self.horizon:
            problems.append(
                (("warmup",), f"must be shorter than the horizon ({format_duration(self.horizon)}) "
                 f"(got {format_duration(self.warmup)})")
            )
        queue_names = self.queue_names
        if self.queues is not None:
            for reason_name, reason in self.demand.items():
                queue = reason.queue or reason_name
                if queue not in self.queues:
                    path = ("demand", reason_name, "queue") if reason.queue else ("demand", reason_name)
                    problems.append(
                        (path, f"joins queue '{queue}', which is not in queues; queues are: "
                         f"{', '.join(queue_names)}{suggestion(queue, queue_names)}")
                    )
        served: set[str] = set()
        for group_name, group in self.agents.items():
            for index, queue in enumerate(group.serves):
                if queue not in queue_names:
                    problems.append(
                        (("agents", group_name, "serves", index),
                         f"an existing queue: one of {', '.join(queue_names)} "
                         f"(got '{queue}'){suggestion(queue, queue_names)}")
                    )
                served.add(queue)
            if len(set(group.serves)) != len(group.serves):
                problems.append(
                    (("agents", group_name, "serves"), f"each queue once (got {group.serves})")
                )
            reasons = list(self.demand)
            for reason in group.handle_time_by_reason:
                if reason not in self.demand:
                    problems.append(
                        (("agents", group_name, "handle_time_by_reason", reason),
                         f"a reason of demand: one of {', '.join(reasons)} (got '{reason}')"
                         f"{suggestion(reason, reasons)}")
                    )
        for queue in queue_names:
            if queue not in served:
                problems.append(
                    (("agents",), f"some group must serve queue '{queue}' (no group does)")
                )

        def check_queue(path, queue):
            if queue is not None and queue not in queue_names:
                problems.append((path, f"an existing queue: one of {', '.join(queue_names)} "
                                       f"(got '{queue}'){suggestion(queue, queue_names)}"))

        for group_name, group in self.agents.items():
            if group.escalation is not None:
                check_queue(("agents", group_name, "escalation", "to"), group.escalation.to)
                if group.escalation.to in group.serves:
                    problems.append((("agents", group_name, "escalation", "to"),
                                     f"a queue this group does not serve itself (got '{group.escalation.to}')"))
        for queue_name, queue in (self.queues or {}).items():
            if queue.callback is not None:
                check_queue(("queues", queue_name, "callback", "queue"), queue.callback.queue)
        if self.ivr is not None:
            problems.extend(_ivr_problems(self.ivr, list(self.demand), check_queue))
        problems.extend(self._population_problems())
        if problems:
            raise CrossCheckError(problems)
        return self

    def _population_problems(self) -> list:
        """Cross-checks of customers, causes, incidents and web self-service."""
        problems: list = []
        reasons = list(self.demand)

        def check_reason(path, reason):
            if reason not in self.demand:
                problems.append((path, f"a reason of demand: one of {', '.join(reasons)} (got '{reason}')"
                                       f"{suggestion(reason, reasons)}"))

        for name, cause in self.root_causes.items():
            check_reason(("root_causes", name, "reason"), cause.reason)
            if cause.follow_on is not None and cause.follow_on.cause not in self.root_causes:
                causes = list(self.root_causes)
                problems.append((("root_causes", name, "follow_on", "cause"),
                                 f"a root cause: one of {', '.join(causes)} (got '{cause.follow_on.cause}')"
                                 f"{suggestion(cause.follow_on.cause, causes)}"))
        problems.extend(_follow_on_cycle_problems(self.root_causes))
        for name, value in self.value_demand.items():
            check_reason(("value_demand", name, "reason"), value.reason)
        for name, incident in self.incidents.items():
            check_reason(("incidents", name, "reason"), incident.reason)
        if self.new_causes is not None:
            for reason in self.new_causes.reasons:
                check_reason(("new_causes", "reasons", reason), reason)
            if sum(self.new_causes.reasons.values()) <= 0:
                problems.append((("new_causes", "reasons"), "weights not all zero (got all zero)"))
        # one name per cause: root causes, value demand, incidents and new defects share the outputs' rows
        catalogues = {"root_causes": self.root_causes, "value_demand": self.value_demand, "incidents": self.incidents}
        first_place: dict[str, str] = {}
        for key, members in catalogues.items():
            for name in members:
                if name in first_place:
                    problems.append(((key, name), "a name no other cause has: root_causes, value_demand and "
                                                  "incidents share the outputs' rows by name (got "
                                                  f"'{name}', also {first_place[name]}.{name})"))
                else:
                    first_place[name] = key
                if self.new_causes is not None and re.fullmatch(r"new-\d+", name):
                    problems.append(((key, name), "a name not of the form new-<number>: new_causes names the "
                                                  f"defects it creates new-1, new-2, ... (got '{name}')"))
        for reason in self.web_self_service.deflection:
            check_reason(("web_self_service", "deflection", reason), reason)
        population = {"root_causes": self.root_causes, "value_demand": self.value_demand,
                      "incidents": self.incidents, "new_causes": self.new_causes, "churn": self.churn}
        if self.customers is None:
            for key, section in population.items():
                if section:
                    problems.append(((key,), "needs a customers section (rates are per 1000 active "
                                              "customers)"))
        else:
            for name, reason in self.demand.items():
                if reason.daily_volume > 0 or reason.arrival_times is not None:
                    problems.append((("demand", name),
                                     "no arrivals_per_hour, per_day or arrival_times when customers are "
                                     "modelled: contacts come from root_causes, value_demand and incidents "
                                     f"(got {'arrival_times' if reason.arrival_times is not None else 'a rate'})"))
        return problems

    @property
    def uses_journey(self) -> bool:
        """True if any journey feature is on (IVR, redials, repeat contacts, escalation, drops,
        callbacks): then every contact records the journey columns."""
        return bool(
            self.ivr is not None or self.redial is not None or self.call_again is not None
            or any(g.escalation is not None or g.drop_probability > 0 for g in self.agents.values())
            or any(q.callback is not None or q.announce for q in (self.queues or {}).values())
            or (self.calendar.opening_hours is not None and self.calendar.outside_hours in ("callback", "retry"))
            or self.customers is not None
        )

    @property
    def has_population(self) -> bool:
        """True if customers are modelled: problems, root causes and their contacts."""
        return self.customers is not None

    @property
    def queue_names(self) -> list[str]:
        """Queue names in order: the ``queues`` section, or the reasons' queues as they appear."""
        if self.queues is not None:
            return list(self.queues)
        names: list[str] = []
        for reason_name, reason in self.demand.items():
            queue = reason.queue or reason_name
            if queue not in names:
                names.append(queue)
        return names

    def queue_of(self, reason_name: str) -> str:
        """The queue a reason's contacts join."""
        return self.demand[reason_name].queue or reason_name

    def threshold(self) -> float:
        """The service-level threshold the staffing target uses."""
        return self.staffing.threshold if self.staffing.threshold is not None else self.service_level_threshold

    def patience_of(self, reason_name: str):
        """The patience distribution of a reason's callers, or ``None`` (infinite patience)."""
        return self.demand[reason_name].patience or self.patience

"""Arrivals: when contacts come, reason by reason.

Each reason's contacts form a Poisson process whose rate is a function of time. A rate function
here is piecewise constant over the slots of a day (one slot for a constant rate, 48 half-hours for
an intraday profile), which makes the generation exact: the number of arrivals in a slot is
Poisson with mean rate x slot length, and given that number their instants are independent and
uniform in the slot. No thinning, no wasted events.

The rate of reason r in half-hour k of day d is ``volume_r x weekday_r[d] x share_r[k] / 1800 s x
B_d``: the reason's daily volume, its day-of-week weight, its intraday share, and a daily busyness
factor ``B_d`` (gamma, mean 1, CV from the calendar) common to every reason, so a busy day is busy
everywhere and daily counts are overdispersed: Var = E + CV^2 E^2 (a mixed Poisson).

The :class:`Arrivals` process wakes once a day, generates the day's arrivals of every reason from
that reason's own random streams, merges them in time order and feeds them to the journey one
event at a time (a callback chain: a SimPy event per arrival, one process wake-up per day).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
from simpy import Environment

from sim.calendar import SLOT, intraday_shares, weekday_weights
from sim.wakeups import Recurring
from sim.scenario import Calendar, Reason
from sim.units import DAY, HOUR


class ConstantRate:
    """A rate that never changes: one slot a day."""

    def __init__(self, per_hour: float):
        self.per_second = per_hour / 3600.0
        """Arrivals per second."""

    def slot_rates(self, day: int) -> np.ndarray:
        """Arrival rates (per second) of each equal slot of day *day*."""
        return np.array([self.per_second])


class ProfileRate:
    """A daily volume spread over the half-hours by an intraday profile, scaled by day of week."""

    def __init__(self, daily_volume: float, shares: np.ndarray, weekday: np.ndarray):
        self.half_hour_rates = daily_volume * np.outer(weekday, shares) / SLOT
        """7 x 48 arrival rates per second, Monday first."""

    def slot_rates(self, day: int) -> np.ndarray:
        """Arrival rates (per second) of the 48 half-hours of day *day*."""
        return self.half_hour_rates[day % 7]


def rate_of(reason: Reason, calendar: Calendar) -> ConstantRate | ProfileRate | None:
    """The rate function of a reason: constant when no profile shapes it, else by half-hour."""
    volume = reason.daily_volume
    if volume <= 0:
        return None
    intraday = reason.intraday if reason.intraday is not None else calendar.intraday
    weekday = reason.weekday if reason.weekday is not None else calendar.weekday
    shares, weights = intraday_shares(intraday), weekday_weights(weekday)
    if np.allclose(shares, shares[0]) and np.allclose(weights, 1.0):
        return ConstantRate(volume / 24)
    return ProfileRate(volume, shares, weights)


def daily_busyness(cv: float, rng: np.random.Generator):
    """Daily busyness factors: gamma with mean 1 and the given CV (1 every day if CV is 0)."""
    if cv <= 0:
        while True:
            yield 1.0
    while True:
        yield float(rng.gamma(1 / cv**2, cv**2))


def poisson_instants(slot_rates: np.ndarray, start: float, length: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Sorted instants of a Poisson process with rate ``slot_rates[k]`` in slot ``k`` of
    ``[start, start + length)`` (slots of equal width)."""
    slots = len(slot_rates)
    width = length / slots
    counts = rng.poisson(slot_rates * width)
    total = int(counts.sum())
    if total == 0:
        return np.empty(0)
    offsets = np.repeat(np.arange(slots) * width, counts)
    instants = start + offsets + rng.uniform(0.0, width, total)
    instants.sort()
    return instants


@dataclass
class ReasonArrivals:
    """How one reason's contacts arrive, and the streams that draw them."""

    code: int
    """Reason code."""
    rate: ConstantRate | ProfileRate | None
    """Poisson rate function, or ``None``."""
    fixed_times: np.ndarray
    """Exact arrival instants (sorted) instead of, or besides, the Poisson stream."""
    times_rng: np.random.Generator
    """Stream of arrival instants."""
    attributes_rng: np.random.Generator
    """Stream of per-contact attributes drawn at arrival (complexity score, patience)."""
    patience: Any
    """Patience distribution, or ``None`` for callers who never abandon."""

    def day(self, start: float, end: float, busyness: float = 1.0) -> tuple[np.ndarray, ...]:
        """Instants and per-contact draws (complexity score, patience, resolve draw) of this
        reason's arrivals in ``[start, end)`` (a day, or its part before the horizon), the rate
        multiplied by the day's *busyness*."""
        parts = []
        if self.rate is not None:
            instants = poisson_instants(self.rate.slot_rates(int(start // DAY)) * busyness, start,
                                        DAY, self.times_rng)
            parts.append(instants[instants < end])
        if len(self.fixed_times):
            fixed = self.fixed_times
            parts.append(fixed[(fixed >= start) & (fixed < end)])
        if not parts:
            instants = np.empty(0)
        else:
            instants = np.sort(np.concatenate(parts)) if len(parts) > 1 else parts[0]
        count = len(instants)
        scores = self.attributes_rng.standard_normal(count)
        if self.patience is None:
            patience = np.full(count, np.inf)
        else:
            patience = self.patience.sample(self.attributes_rng, count)
        resolve_draws = self.attributes_rng.random(count)
        return instants, scores, patience, resolve_draws


def merged_day(reasons: list[ReasonArrivals], start: float, end: float,
               busyness: float = 1.0) -> list[tuple]:
    """The day's arrivals of all reasons as ``(instant, reason, score, patience, resolve draw)``
    in time order."""
    columns: list[list[np.ndarray]] = [[], [], [], [], []]
    for reason in reasons:
        instants, scores, patience, resolve_draws = reason.day(start, end, busyness)
        codes = np.full(len(instants), reason.code, dtype=np.int64)
        for column, values in zip(columns, (instants, codes, scores, patience, resolve_draws)):
            column.append(values)
    merged = [np.concatenate(column) for column in columns]
    order = np.argsort(merged[0], kind="stable")
    return list(zip(*(values[order].tolist() for values in merged)))


class DayFeed:
    """Delivers a batch of arrivals, one event at a time (each schedules the next, reusing one
    event object).

    Without a *planner*, an arrival is delivered at its instant, as ``arrive(item, None)``. With
    one (the journey's :meth:`~sim.journey.Journey.plan_entry`), each arrival's entry plan is
    decided first, and the arrival is delivered when its first step that depends on the rest of
    the centre comes (after the IVR, say), as ``arrive(item, plan)``; deliveries are then in that
    order."""

    def __init__(self, env: Environment, items: list[tuple], arrive, planner=None):
        self._env = env
        self._arrive = arrive
        self.next = 0
        """Index of the next entry to deliver."""
        if planner is None:
            self.entries = items
            """Items (no planner), or ``(delivery time, item, plan)``."""
            self.planned = False
            deliver = self._deliver_at_arrival
            first = items[0][0] if items else None
        else:
            entries = []
            for item in items:
                delay, plan = planner(item[0], item[1])
                entries.append((item[0] + delay, item, plan))
            entries.sort(key=itemgetter(0))
            self.entries = entries
            self.planned = True
            deliver = self._deliver_planned
            first = entries[0][0] if entries else None
        if first is not None:
            Recurring(env, deliver).again(first - env._now, None)

    def _deliver_at_arrival(self, event: Recurring) -> None:
        items, index = self.entries, self.next
        self.next = index + 1
        self._arrive(items[index], None)
        if index + 1 < len(items):
            event.again(items[index + 1][0] - self._env._now, None)

    def _deliver_planned(self, event: Recurring) -> None:
        entries, index = self.entries, self.next
        _, item, plan = entries[index]
        self.next = index + 1
        self._arrive(item, plan)
        if index + 1 < len(entries):
            event.again(entries[index + 1][0] - self._env._now, None)

    def undelivered(self) -> list[tuple]:
        """``(item, plan)`` of the arrivals not delivered yet."""
        rest = self.entries[self.next:]
        if not self.planned:
            return [(item, None) for item in rest]
        return [(item, plan) for _, item, plan in rest]


class Arrivals:
    """Every day, the day's arrivals of every reason, delivered to ``arrive(item, plan)``."""

    def __init__(self, env: Environment, reasons: list[ReasonArrivals], horizon: float, arrive,
                 busyness=None, planner=None):
        self.feeds: list[DayFeed] = []
        """The day feeds started so far."""
        self.process = env.process(self._days(env, reasons, horizon, arrive, busyness, planner))

    def _days(self, env, reasons, horizon, arrive, busyness, planner):
        if not any(reason.rate is not None or len(reason.fixed_times) for reason in reasons):
            return  # no reason has arrivals of its own (customers modelled: problems make them)
            yield  # a generator all the same
        day = 0
        while day * DAY < horizon:
            start = day * DAY
            end = min(start + DAY, horizon)
            factor = next(busyness) if busyness is not None else 1.0
            items = merged_day(reasons, start, end, factor)
            if planner is None:
                self._start(DayFeed(env, items, arrive))
            else:
                # plan an hour at a time: entry plans are made just before they are needed, and
                # only an hour's worth of them is held at once
                instants = [item[0] for item in items]
                hour = start
                while hour < end:
                    if hour > env.now:
                        yield env.timeout(hour - env.now)
                    low = bisect.bisect_left(instants, hour)
                    high = bisect.bisect_left(instants, hour + HOUR)
                    self._start(DayFeed(env, items[low:high], arrive, planner))
                    hour += HOUR
            day += 1
            if end > env.now:
                yield env.timeout(end - env.now)

    def _start(self, feed: DayFeed) -> None:
        self.feeds = [f for f in self.feeds if f.next < len(f.entries)] + [feed]

    def undelivered(self) -> list[tuple]:
        """Arrivals (before the horizon) not delivered yet: callers still in the IVR."""
        return [entry for feed in self.feeds for entry in feed.undelivered()]

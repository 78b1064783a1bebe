"""The week: how the time of day and the day of the week shape demand, opening hours and rosters.

Simulated time 0 is a Monday 00:00, so ``t % WEEK`` is the time within the week and
``(t // DAY) % 7`` the weekday (0 = Monday). A contact centre lives by the half-hour: demand
profiles and rosters have one value per half-hour of the day, 48 in all.

Days are written ``mon`` ... ``sun``; a mapping keyed by days may also use ``weekdays`` (Monday to
Friday), ``weekend`` and ``daily``; a named day beats its group, which beats ``daily``. Times of
day are ``"HH:MM"`` and ranges ``"08:00-20:00"`` (``"22:00-06:00"`` runs past midnight,
``"00:00-24:00"`` is the whole day).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from sim.units import DAY, HOUR, MINUTE, WEEK

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names, Monday first (simulated time 0 is a Monday 00:00)."""

DAY_GROUPS: dict[str, tuple[str, ...]] = {
    "daily": DAYS, "weekdays": DAYS[:5], "weekend": DAYS[5:],
}
"""Day-group keys and the days they stand for."""

DAY_KEYS: tuple[str, ...] = DAYS + tuple(DAY_GROUPS)
"""Every key a day-keyed mapping accepts."""

SLOTS_PER_DAY: Final = 48
SLOT: Final = 30 * MINUTE
"""A half-hour, the planning interval."""

BANK_WEEKDAY: tuple[float, ...] = (
    0.0020, 0.0013, 0.0008, 0.0005, 0.0003, 0.0003, 0.0002, 0.0001, 0.0002, 0.0001, 0.0002, 0.0005,
    0.0010, 0.0029, 0.0109, 0.0150, 0.0231, 0.0325, 0.0354, 0.0426, 0.0457, 0.0434, 0.0397, 0.0380,
    0.0357, 0.0341, 0.0360, 0.0375, 0.0392, 0.0385, 0.0387, 0.0389, 0.0377, 0.0365, 0.0303, 0.0295,
    0.0271, 0.0241, 0.0218, 0.0198, 0.0172, 0.0202, 0.0186, 0.0199, 0.0181, 0.0167, 0.0156, 0.0113,
)
"""Share of a weekday's calls in each half-hour from 00:00: the Anonymous Bank, August 1999,
Sunday-Thursday (Brown et al. 2005; FIGURES.md). Peak at 10:00, plateau 13:30-16:30."""

INTRADAY_PRESETS: dict[str, tuple[float, ...]] = {
    "bank_weekday": BANK_WEEKDAY,
    "flat": (1 / SLOTS_PER_DAY,) * SLOTS_PER_DAY,
}
"""Named intraday profiles."""

WEEKDAY_PRESETS: dict[str, dict[str, float]] = {
    "western": {"mon": 1.25, "tue": 1.0, "wed": 1.0, "thu": 1.0, "fri": 1.05, "sat": 0.5, "sun": 0.3},
    "flat": dict.fromkeys(DAYS, 1.0),
}
"""Named day-of-week weights; ``western`` is FIGURES.md's default (an estimate anchored on
published ranges: Monday 1.2-1.4, weekend 0.3-0.8)."""

_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_time_of_day(text: str) -> float:
    """``"08:30"`` -> seconds after midnight (``"24:00"`` allowed as the end of the day)."""
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"a time of day like 08:30 (got {text!r})")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"a time of day between 00:00 and 24:00 (got {text!r})")
    return hours * HOUR + minutes * MINUTE


def parse_ranges(text: str) -> list[tuple[float, float]]:
    """``"08:00-12:00, 13:00-17:00"`` -> ``[(start, end), ...]`` in seconds after midnight; an end
    at or before its start runs past midnight (the end is then beyond ``DAY``); ``"closed"`` -> []."""
    if not isinstance(text, str):
        raise ValueError(f"time ranges like '08:00-20:00' or 'closed' (got {text!r})")
    if text.strip().lower() == "closed":
        return []
    ranges = []
    for part in text.split(","):
        start_text, sep, end_text = part.partition("-")
        if not sep:
            raise ValueError(f"time ranges like '08:00-20:00' or 'closed' (got {text!r})")
        start, end = parse_time_of_day(start_text), parse_time_of_day(end_text)
        if start >= DAY:
            raise ValueError(f"a range starting before 24:00 (got {part.strip()!r})")
        if end <= start:
            end += DAY
        ranges.append((start, end))
    return ranges


def by_day(mapping: Mapping[str, Any], default: Any = None) -> list[Any]:
    """Expand a day-keyed mapping to the seven days (a named day beats its group, which beats
    ``daily``); days not covered get *default*."""
    values = [default] * 7
    for key in ("daily", "weekdays", "weekend", *DAYS):
        if key in mapping:
            for day in DAY_GROUPS.get(key, (key,)):
                values[DAYS.index(day)] = mapping[key]
    return values


def intraday_shares(profile: str | list[float] | None) -> np.ndarray:
    """The 48 half-hour shares of a day's contacts (a preset name or weights), summing to 1."""
    weights = np.asarray(INTRADAY_PRESETS[profile] if isinstance(profile, str)
                         else (profile if profile is not None else INTRADAY_PRESETS["flat"]), dtype=float)
    return weights / weights.sum()


def weekday_weights(weights: str | dict[str, float] | None) -> np.ndarray:
    """Seven day-of-week multipliers, Monday first (a preset name or a day-keyed mapping;
    days not given weigh 1)."""
    if weights is None:
        return np.ones(7)
    if isinstance(weights, str):
        weights = WEEKDAY_PRESETS[weights]
    return np.asarray(by_day(weights, 1.0), dtype=float)


class OpeningHours:
    """When the centre takes calls: a weekly set of open intervals."""

    def __init__(self, hours: dict[str, str]):
        intervals = []
        for day, text in enumerate(by_day(hours, "closed")):
            for start, end in parse_ranges(text):
                intervals.append((day * DAY + start, day * DAY + end))
        merged: list[list[float]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        # an interval running past Sunday midnight continues on Monday
        if merged and merged[-1][1] > WEEK:
            overflow = merged[-1][1] - WEEK
            merged[-1][1] = WEEK
            if merged[0][0] <= overflow:
                merged[0] = [0.0, max(merged[0][1], overflow)]
            else:
                merged.insert(0, [0.0, overflow])
        self.starts = [start for start, _ in merged]
        """Start of each open interval, seconds within the week."""
        self.ends = [end for _, end in merged]
        """End of each open interval."""
        self.always_open = merged == [[0.0, WEEK]]
        """True if the centre never closes."""
        self._from, self._until, self._open = 0.0, 0.0, False

    def is_open(self, t: float) -> bool:
        """True if the centre is open at time *t*."""
        if self.always_open:
            return True
        # simulated time only moves forward: first try the stretch (open or closed) last found
        if self._from <= t < self._until:
            return self._open
        within = t % WEEK
        week_start = t - within
        position = bisect.bisect_right(self.starts, within) - 1
        if position >= 0 and within < self.ends[position]:
            self._from, self._until, self._open = week_start + self.starts[position], week_start + self.ends[position], True
        else:
            following = self.starts[position + 1] if position + 1 < len(self.starts) else WEEK
            self._from = week_start + (self.ends[position] if position >= 0 else 0.0)
            self._until = week_start + following
            self._open = False
        return self._open

    def next_opening(self, t: float) -> float:
        """The first instant at or after *t* when the centre is open (*t* itself if open)."""
        if not self.starts:
            return float("inf")
        if self.is_open(t):
            return t
        week_start = t - t % WEEK
        within = t % WEEK
        position = bisect.bisect_right(self.starts, within)
        if position < len(self.starts):
            return week_start + self.starts[position]
        return week_start + WEEK + self.starts[0]

    def open_seconds(self, t: float) -> float:
        """Open seconds from time 0 until *t* (working time elapsed: an engineer's hours)."""
        weeks, within = divmod(t, WEEK)
        per_week = sum(end - start for start, end in zip(self.starts, self.ends))
        done = 0.0
        for start, end in zip(self.starts, self.ends):
            if within <= start:
                break
            done += min(within, end) - start
        return weeks * per_week + done

    def after_open_seconds(self, t: float, amount: float) -> float:
        """The instant when *amount* open seconds have passed since *t* (a fix of *amount* working
        seconds started at *t* finishes then); ``inf`` if the centre never opens."""
        per_week = sum(end - start for start, end in zip(self.starts, self.ends))
        if amount <= 0:
            return t
        if per_week <= 0:
            return float("inf")
        target = self.open_seconds(t) + amount
        weeks, rest = divmod(target, per_week)
        if rest == 0:  # exactly at the end of the week's last open interval
            weeks -= 1
            rest = per_week
        done = 0.0
        for start, end in zip(self.starts, self.ends):
            length = end - start
            if done + length >= rest:
                return weeks * WEEK + start + (rest - done)
            done += length
        return weeks * WEEK + self.ends[-1]  # pragma: no cover - rounding guard


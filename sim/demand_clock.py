"""The demand clock: time as the rhythm of the week counts it.

Customers do not contact a centre evenly: the intraday profile, the weekday weights and the day's
busyness factor say how much of a day's demand falls in each half-hour. A reason's *demand clock*
runs at that rhythm: in a half-hour that carries a share ``w`` of a day of weight 1 (times the
weekday weight and the day's busyness), the clock advances ``w`` days. A day of weight 1 is one
clock-day; a quiet night hardly moves the clock; a busy Monday morning moves it fast.

Two things are counted on it:

- **Problem onsets.** A root cause produces problems as a Poisson process that is uniform on the
  clock, so in real time they follow the rhythm exactly. Generating them at a fixed maximal rate
  per clock-second and thinning (by the cause's current rate, the customers still active) keeps
  them exact and gives common random numbers across strategies.
- **Contact delays.** A problem's contact comes when the clock has moved the delay on from the
  onset ("a day later" lands around the same time of the next day; a delay that starts on a
  Saturday night waits for Monday's rhythm). Shifting the points of a Poisson process by
  independent delays leaves it Poisson with the same intensity (the displacement theorem), so
  contacts follow the intraday and weekday profiles exactly, whatever the delays.

Clock times are in seconds (a clock-day is 86,400 clock-seconds) and the table covers the horizon
plus a margin; later instants map to infinity (they never happen within the run).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Final

import numpy as np

from sim.calendar import SLOT
from sim.units import DAY

_INF: Final = float("inf")


class DemandClock:
    """The demand clock of one rhythm (an intraday profile and weekday weights) over a run."""

    def __init__(self, shares: np.ndarray, weekday: np.ndarray, busyness: np.ndarray):
        days = len(busyness)
        day_weight = weekday[np.arange(days) % 7] * busyness
        lengths = (day_weight[:, None] * np.asarray(shares)[None, :]).ravel() * DAY
        self.slot_lengths = lengths
        """Clock-seconds each half-hour slot of the run carries."""
        self.starts = np.concatenate(([0.0], np.cumsum(lengths)))
        """Clock time at the start of each slot (and at the end of the last)."""
        self._starts = self.starts.tolist()
        self._lengths = lengths.tolist()
        self.slots = len(lengths)
        self.end = days * DAY
        """Real time the table ends (later instants are beyond the run)."""

    def clock(self, t: float) -> float:
        """Clock time at real time *t*."""
        slot = int(t // SLOT)
        if slot >= self.slots:
            return _INF
        return self._starts[slot] + self._lengths[slot] * (t - slot * SLOT) / SLOT

    def real(self, c: float) -> float:
        """The real time at which the clock reads *c* (the first such instant)."""
        slot = bisect_right(self._starts, c) - 1
        if slot >= self.slots:
            return _INF
        length = self._lengths[slot]
        return slot * SLOT + (SLOT * (c - self._starts[slot]) / length if length > 0 else 0.0)

    def clock_many(self, t: np.ndarray) -> np.ndarray:
        """:meth:`clock` of many instants."""
        t = np.asarray(t, dtype=float)
        slot = np.minimum((t // SLOT).astype(np.int64), self.slots)
        inside = slot < self.slots
        result = np.full(len(t), _INF)
        s = slot[inside]
        result[inside] = self.starts[s] + self.slot_lengths[s] * (t[inside] - s * SLOT) / SLOT
        return result

    def real_many(self, c: np.ndarray) -> np.ndarray:
        """:meth:`real` of many clock times."""
        c = np.asarray(c, dtype=float)
        slot = np.searchsorted(self.starts, c, side="right") - 1
        inside = (slot < self.slots) & np.isfinite(c)
        result = np.full(len(c), _INF)
        s = slot[inside]
        lengths = self.slot_lengths[s]
        with np.errstate(invalid="ignore", divide="ignore"):
            offset = np.where(lengths > 0, SLOT * (c[inside] - self.starts[s]) / lengths, 0.0)
        result[inside] = s * SLOT + offset
        return result

    def later(self, t: float, delay: float) -> float:
        """The real time a *delay* (clock-seconds) after real time *t*."""
        return self.real(self.clock(t) + delay)


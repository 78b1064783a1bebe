"""Rosters: how many agents a group has on duty through the week, and the process that applies it.

A group's roster is given as a constant ``headcount``, a ``schedule`` (headcounts by half-hour and
day) or ``shifts`` (agents on given days between two times). :func:`weekly_roster` turns any of
them into one weekly step function: ``(second of the week, rostered agents)`` change points.

Rostered agents are paid; ``shrinkage`` (breaks, training, absence) takes a share of them off the
phones: available = round(rostered x (1 - shrinkage)), halves rounded up.

The :func:`roster` process walks the change points through the horizon. When the headcount rises,
new agents start at once (and take waiting callers); when it falls, idle agents leave first and
busy ones finish the call in hand before leaving.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from simpy import Environment

from sim.calendar import DAYS, DAY_GROUPS, SLOT, SLOTS_PER_DAY, by_day, parse_ranges, parse_time_of_day
from sim.scenario import AgentGroup as GroupSpec
from sim.units import DAY, WEEK

WeeklySteps = list[tuple[float, int]]
"""``(second of the week, rostered agents)``, sorted, the first at 0."""


def available_agents(rostered: int, shrinkage: float) -> int:
    """Agents on the phones out of *rostered*: ``round(rostered x (1 - shrinkage))``, halves up."""
    return int(math.floor(rostered * (1.0 - shrinkage) + 0.5 + 1e-9))


def _add(deltas: dict[float, int], start: float, end: float, agents: int) -> None:
    """Add *agents* over ``[start, end)`` of the week, wrapping past Sunday midnight."""
    if agents == 0 or end <= start:
        return
    start %= WEEK
    end = start + (end - start)
    if end > WEEK:
        _add(deltas, start, WEEK, agents)
        _add(deltas, 0.0, end - WEEK, agents)
        return
    deltas[start] = deltas.get(start, 0) + agents
    deltas[end] = deltas.get(end, 0) - agents


def weekly_roster(group: GroupSpec) -> WeeklySteps:
    """The group's rostered headcount through the week as change points."""
    if group.headcount is not None:
        return [(0.0, group.headcount)]
    deltas: dict[float, int] = {0.0: 0}
    if group.schedule is not None:
        for day, plan in enumerate(by_day(group.schedule)):
            if plan is None:
                continue
            if isinstance(plan, dict):
                for text, agents in plan.items():
                    ((start, end),) = parse_ranges(text)
                    _add(deltas, day * DAY + start, day * DAY + end, agents)
            else:
                for slot, agents in enumerate(plan):
                    start = day * DAY + slot * SLOT
                    _add(deltas, start, start + SLOT, agents)
    for shift in (group.shifts or {}).values():
        days = [shift.days] if isinstance(shift.days, str) else shift.days
        covered = {d for key in days for d in DAY_GROUPS.get(key, (key,))}
        start, end = parse_time_of_day(shift.start), parse_time_of_day(shift.end)
        if end <= start:
            end += DAY
        for day_name in covered:
            offset = DAYS.index(day_name) * DAY
            _add(deltas, offset + start, offset + end, shift.agents)
    steps: WeeklySteps = []
    level = 0
    for time in sorted(deltas):
        level += deltas[time]
        if time >= WEEK:
            break
        if steps and steps[-1][1] == level:
            continue
        steps.append((time, level))
    return steps


def rostered_at(steps: WeeklySteps, t: float) -> int:
    """Rostered agents at time *t*."""
    within = t % WEEK
    value = steps[0][1]
    for time, level in steps:
        if time > within:
            break
        value = level
    return value


def half_hour_grid(steps: WeeklySteps) -> list[list[int]]:
    """Rostered agents at the start of each half-hour, 7 days x 48 (for printing and checks)."""
    return [[rostered_at(steps, day * DAY + slot * SLOT) for slot in range(SLOTS_PER_DAY)]
            for day in range(7)]


def roster(env: Environment, steps: WeeklySteps, horizon: float, change: Callable[[int], None]):
    """SimPy process: call ``change(rostered)`` at every change point after time 0 until the horizon."""
    if len(steps) < 2:
        return
    week = 0
    while True:
        for time, level in steps:
            at = week * WEEK + time
            if at <= 0:
                continue
            if at >= horizon:
                return
            yield env.timeout(at - env.now)
            change(level)
        week += 1


def next_change(steps: WeeklySteps, t: float) -> tuple[float, int] | None:
    """The first change point strictly after *t*: ``(instant, rostered)``, or ``None`` if the
    roster never changes."""
    if len(steps) < 2:
        return None
    week_start = t - t % WEEK
    within = t - week_start
    for time, level in steps:
        if time > within:
            return week_start + time, level
    return week_start + WEEK + steps[0][0], steps[0][1]


class LiveRoster:
    """A roster that can be replaced while the run goes on (staffing re-planned every period).

    It applies its weekly change points as callbacks; :meth:`replace` swaps the weekly roster at
    once (the level changes now if it differs) and the pending change of the old roster is
    ignored (each scheduled change carries the roster's version)."""

    def __init__(self, env: Environment, steps: WeeklySteps, horizon: float, change: Callable[[int], None]):
        from sim.wakeups import Wake

        self._wake = Wake
        self.env = env
        self.steps = steps
        """The weekly roster now in force."""
        self.horizon = horizon
        self.change = change
        self.version = 0
        self.level = rostered_at(steps, 0.0)
        """Rostered agents now."""
        self._schedule()

    def replace(self, steps: WeeklySteps) -> None:
        """From now on, roster by *steps*."""
        self.steps = steps
        self.version += 1
        level = rostered_at(steps, self.env.now)
        if level != self.level:
            self.level = level
            self.change(level)
        self._schedule()

    def _schedule(self) -> None:
        upcoming = next_change(self.steps, self.env.now)
        if upcoming is not None and upcoming[0] < self.horizon:
            self._wake(self.env, upcoming[0] - self.env.now, self._fire, (self.version, upcoming[1]))

    def _fire(self, event) -> None:
        version, level = event._value
        if version != self.version:
            return
        if level != self.level:
            self.level = level
            self.change(level)
        self._schedule()


def steps_of_grid(grid) -> WeeklySteps:
    """Weekly change points of a 7 x 48 grid of rostered agents per half-hour."""
    steps: WeeklySteps = []
    for day in range(7):
        for slot in range(SLOTS_PER_DAY):
            level = int(grid[day][slot])
            if not steps or steps[-1][1] != level:
                steps.append((day * DAY + slot * SLOT, level))
    if steps[0][0] != 0.0:  # pragma: no cover - the grid starts at 0
        steps.insert(0, (0.0, 0))
    return steps

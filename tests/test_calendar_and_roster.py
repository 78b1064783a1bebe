"""The week: opening hours, day-keyed mappings, and rosters compiled from schedules and shifts."""

import pytest

from sim.calendar import DAYS, OpeningHours, by_day, intraday_shares, parse_ranges, parse_time_of_day, weekday_weights
from sim.roster import available_agents, half_hour_grid, rostered_at, weekly_roster
from sim.units import DAY, HOUR, WEEK

from conftest import scenario_from


def test_time_of_day_and_ranges():
    assert parse_time_of_day("08:30") == 8.5 * HOUR
    assert parse_time_of_day("24:00") == DAY
    assert parse_ranges("08:00-12:00, 13:00-17:30") == [(8 * HOUR, 12 * HOUR), (13 * HOUR, 17.5 * HOUR)]
    assert parse_ranges("22:00-06:00") == [(22 * HOUR, 30 * HOUR)]
    assert parse_ranges("closed") == []
    for bad in ("8", "25:00", "08:60", "08:00", "nine-five"):
        with pytest.raises(ValueError):
            parse_ranges(bad)


def test_by_day_precedence():
    values = by_day({"daily": 1, "weekdays": 2, "fri": 3})
    assert values == [2, 2, 2, 2, 3, 1, 1]
    assert by_day({"weekend": 5}, 0) == [0, 0, 0, 0, 0, 5, 5]


def test_profiles_normalise():
    assert intraday_shares([1] * 48).sum() == pytest.approx(1)
    assert intraday_shares("bank_weekday").argmax() == 20  # 10:00
    assert list(weekday_weights("western")) == [1.25, 1.0, 1.0, 1.0, 1.05, 0.5, 0.3]
    assert list(weekday_weights({"sat": 0.5})) == [1, 1, 1, 1, 1, 0.5, 1]


def test_opening_hours():
    hours = OpeningHours({"weekdays": "08:00-20:00", "sat": "09:00-13:00"})
    monday_7am = 7 * HOUR
    assert not hours.is_open(monday_7am)
    assert hours.next_opening(monday_7am) == 8 * HOUR
    assert hours.is_open(8 * HOUR) and not hours.is_open(20 * HOUR)
    friday_night = 4 * DAY + 21 * HOUR
    assert hours.next_opening(friday_night) == 5 * DAY + 9 * HOUR
    saturday_noon_later = 5 * DAY + 14 * HOUR
    assert hours.next_opening(saturday_noon_later) == WEEK + 8 * HOUR  # Monday next week
    assert hours.next_opening(2 * WEEK + 3 * HOUR) == 2 * WEEK + 8 * HOUR


def test_opening_hours_past_midnight_and_always():
    night = OpeningHours({"sun": "22:00-06:00"})
    assert night.is_open(6 * DAY + 23 * HOUR)
    assert night.is_open(WEEK + 5 * HOUR)  # Monday 05:00, carried over from Sunday
    assert not night.is_open(WEEK + 7 * HOUR)
    assert OpeningHours({"daily": "00:00-24:00"}).always_open


def _group(text):
    return scenario_from(f"""
horizon: 1d
demand: {{q: {{arrivals_per_hour: 1}}}}
agents:
  g:
    serves: [q]
    handle_time: {{dist: constant, value: 1m}}
{text}
""").agents["g"]


def test_roster_from_shifts_with_overnight_wrap():
    group = _group("""    shifts:
      day: {days: weekdays, start: "08:00", end: "16:00", agents: 5}
      late: {days: [mon, sun], start: "12:00", end: "20:00", agents: 2}
      night: {days: sun, start: "22:00", end: "06:00", agents: 1}""")
    steps = weekly_roster(group)
    assert rostered_at(steps, 7 * HOUR) == 0
    assert rostered_at(steps, 9 * HOUR) == 5
    assert rostered_at(steps, 13 * HOUR) == 7
    assert rostered_at(steps, 17 * HOUR) == 2
    assert rostered_at(steps, DAY + 13 * HOUR) == 5
    assert rostered_at(steps, 6 * DAY + 23 * HOUR) == 1
    assert rostered_at(steps, 5 * HOUR) == 1  # Sunday's night shift, into Monday
    assert steps[0][0] == 0


def test_roster_from_schedule_lists_and_ranges():
    group = _group("""    schedule:
      weekdays: {"08:00-12:00": 4, "12:00-18:30": 6}
      sat: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]""")
    grid = half_hour_grid(weekly_roster(group))
    assert grid[0][15] == 0 and grid[0][16] == 4 and grid[0][24] == 6 and grid[0][36] == 6 and grid[0][37] == 0
    assert grid[5][18] == 3 and grid[5][26] == 0
    assert grid[6] == [0] * 48


def test_available_after_shrinkage_rounds_half_up():
    assert available_agents(10, 0.3) == 7
    assert available_agents(20, 0.3) == 14
    assert available_agents(5, 0.3) == 4  # 3.5 -> 4
    assert available_agents(3, 0.3) == 2
    assert available_agents(7, 0.0) == 7


def test_opening_hours_cache_agrees_with_a_plain_lookup():
    import random

    hours = OpeningHours({"weekdays": "07:00-12:00, 13:00-22:00", "sat": "08:00-18:00", "sun": "23:00-02:00"})
    plain = OpeningHours({"weekdays": "07:00-12:00, 13:00-22:00", "sat": "08:00-18:00", "sun": "23:00-02:00"})
    draw = random.Random(5)
    times = sorted(draw.uniform(0, 3 * WEEK) for _ in range(3000)) + [draw.uniform(0, 3 * WEEK) for _ in range(3000)]
    for t in times:
        fresh = OpeningHours({"weekdays": "07:00-12:00, 13:00-22:00", "sat": "08:00-18:00", "sun": "23:00-02:00"})
        assert hours.is_open(t) == fresh.is_open(t), t
        assert plain.next_opening(t) == fresh.next_opening(t)

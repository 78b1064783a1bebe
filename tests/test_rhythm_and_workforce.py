"""Demand rhythm and the workforce: exact traces (skills priority, a schedule change mid-call,
closed hours, after-call work), the demand generator against its laws, conservation with
rosters, and the staffing calculator against published Erlang staffing."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.metrics import measure
from sim.model import simulate
from sim.records import Outcome
from sim.staffing import Target, agents_needed, plan, rostered_for
from sim.units import DAY, HOUR

from conftest import scenario_from


def steps(trace, *kinds):
    return [(t, step, c, d) for t, step, c, d in trace if step in kinds]


def test_trace_skills_priority():
    """A freed agent takes its highest-priority queue first, even if another queue waited longer;
    an arriving contact goes to the longest-idle eligible agent."""
    text = """
horizon: 1h
demand:
  sales: {arrival_times: [0s, 10s, 30s]}
  service: {arrival_times: [5s, 20s]}
agents:
  sellers: {headcount: 1, serves: [sales, service], handle_time: {dist: constant, value: 60s}}
  helpers: {headcount: 1, serves: [service, sales], handle_time: {dist: constant, value: 100s}}
"""
    result = simulate(scenario_from(text), trace=True)
    # ids: sales 0 (0s), service 1 (5s), sales 2 (10s), service 3 (20s), sales 4 (30s)
    assert steps(result.trace, "answer") == [
        (0.0, "answer", 0, "sellers#0"),   # both idle since 0: the first listed group
        (5.0, "answer", 1, "helpers#0"),
        (60.0, "answer", 2, "sellers#0"),  # sellers: sales first (2 and 4 wait; 3 waited longer)
        (105.0, "answer", 3, "helpers#0"),  # helpers: service first
        (120.0, "answer", 4, "sellers#0"),
    ]


def test_trace_schedule_change_mid_call():
    """The roster drops while an agent talks: they finish the call, then leave; callers wait
    for the agent who comes back on at the next change."""
    text = """
horizon: 2h
demand: {q: {arrival_times: [10m, 20m, 25m]}}
agents:
  a:
    serves: [q]
    handle_time: {dist: constant, value: 15m}
    shifts:
      first: {start: "00:00", end: "00:30", agents: 1}
      second: {start: "00:50", end: "02:00", agents: 1}
"""
    result = simulate(scenario_from(text), trace=True)
    assert steps(result.trace, "answer", "end", "roster", "agent leaves") == [
        (600.0, "answer", 0, "a#0"),
        (1500.0, "end", 0, "resolved"),
        (1500.0, "answer", 1, "a#0"),       # contact 1 waited 10 minutes
        (1800.0, "roster", -1, "a=0"),      # the shift ends mid-call
        (2400.0, "end", 1, "resolved"),
        (2400.0, "agent leaves", -1, "a#0"),  # finished the call, then left
        (3000.0, "roster", -1, "a=1"),      # a new agent starts and takes the waiting caller
        (3000.0, "answer", 2, "a#1"),
        (3900.0, "end", 2, "resolved"),
    ]
    staffing = result.staffing["a"]
    # (from, rostered, on duty): paid time ends at 00:30, the agent stays on duty until 00:40
    assert staffing == [(0.0, 1, 1), (1800.0, 0, 1), (2400.0, 0, 0), (3000.0, 1, 1)]
    row = measure(result, "base").summary
    assert row["occupancy"] <= 1


def test_trace_closed_hours():
    base = """
horizon: 1d
demand: {q: {arrival_times: [7h, 9h]}}
calendar: {opening_hours: {daily: "08:00-18:00"}, outside_hours: %s}
agents: {a: {headcount: 1, serves: [q], handle_time: {dist: constant, value: 5m}}}
patience: {dist: constant, value: 1m}
"""
    leave = simulate(scenario_from(base % "leave"), trace=True)
    assert steps(leave.trace, "closed", "queue", "answer") == [
        (7 * HOUR, "closed", 0, "leave"), (9 * HOUR, "queue", 1, "q"), (9 * HOUR, "answer", 1, "a#0")]
    assert list(leave.contacts["outcome"]) == [Outcome.CLOSED, Outcome.ANSWERED]
    wait = simulate(scenario_from(base % "wait"), trace=True)
    assert steps(wait.trace, "closed", "queue", "answer") == [
        (7 * HOUR, "closed", 0, "wait"), (8 * HOUR, "queue", 0, "q"), (8 * HOUR, "answer", 0, "a#0"),
        (9 * HOUR, "queue", 1, "q"), (9 * HOUR, "answer", 1, "a#0")]
    callback = simulate(scenario_from(base % "callback" + "outbound: {reach_probability: 1}\n"), trace=True)
    assert list(callback.contacts["callback"]) == [1, 0]
    # the request joins the queue at the opening; the agent dials (20 s by default) and connects
    assert steps(callback.trace, "closed", "queue", "dial", "reached", "answer") == [
        (7 * HOUR, "closed", 0, "callback"), (8 * HOUR, "queue", 0, "q"), (8 * HOUR, "dial", 0, "a#0"),
        (8 * HOUR + 20, "reached", 0, "a#0"), (9 * HOUR, "queue", 1, "q"), (9 * HOUR, "answer", 1, "a#0")]
    first = callback.contacts.loc[0]
    assert first["t_queue"] == 8 * HOUR and first["t_answer"] == 8 * HOUR + 20 and first["outbound_s"] == 20 + 300
    row = measure(leave, "base").summary
    assert row["calls"] == 2 and row["closed"] == 1 and row["offered"] == 1
    # retry: the closed message, then the caller calls again a redial delay after the opening
    retry = simulate(scenario_from(base % "retry" + "redial: {probability: 0.1, delay: {dist: constant, value: 10m}}\n"),
                     trace=True)
    assert steps(retry.trace, "closed", "redial", "queue", "answer") == [
        (7 * HOUR, "closed", 0, "retry"), (8 * HOUR + 600, "redial", 1, 0), (8 * HOUR + 600, "queue", 1, "q"),
        (8 * HOUR + 600, "answer", 1, "a#0"), (9 * HOUR, "queue", 2, "q"), (9 * HOUR, "answer", 2, "a#0")]
    assert list(retry.contacts.set_index("contact")["origin"]) == [0, 1, 0]


def test_trace_after_call_work_and_hold():
    text = """
horizon: 1h
demand: {q: {arrival_times: [0s, 1s]}}
agents:
  a:
    headcount: 1
    serves: [q]
    handle_time: {dist: constant, value: 60s}
    after_call_work: {dist: constant, value: 30s}
    hold: {probability: 1, duration: {dist: constant, value: 20s}}
"""
    result = simulate(scenario_from(text), trace=True)
    assert steps(result.trace, "answer", "end", "wrapped") == [
        (0.0, "answer", 0, "a#0"), (80.0, "end", 0, "resolved"), (110.0, "wrapped", -1, "a#0"),
        (110.0, "answer", 1, "a#0"), (190.0, "end", 1, "resolved"), (220.0, "wrapped", -1, "a#0")]
    log = result.conversations
    assert list(log["talk_s"]) == [60, 60] and list(log["hold_s"]) == [20, 20] and list(log["acw_s"]) == [30, 30]
    row = measure(result, "base").summary
    assert row["aht_s"] == 110 and row["mean_hold_s"] == 20 and row["mean_acw_s"] == 30
    assert row["asa_s"] == pytest.approx(109 / 2)


def test_identity_each_new_problem_has_its_own_customer():
    log = simulate(scenario_from("""
horizon: 1d
demand: {q: {arrivals_per_hour: 30}}
agents: {a: {headcount: 2, serves: [q], handle_time: {dist: exponential, mean: 2m}}}
""")).contacts
    assert log["problem"].is_unique and log["customer"].is_unique
    assert (log["contact"] == log["problem"]).all()


# --------------------------------------------------------------------------- demand generator

def test_counts_per_half_hour_follow_the_profile():
    text = """
horizon: 28d
seed: 3
calendar: {intraday: bank_weekday}
demand: {q: {per_day: 2000}}
agents: {a: {headcount: 200, serves: [q], handle_time: {dist: constant, value: 1s}}}
"""
    scenario = scenario_from(text)
    arrivals = simulate(scenario).contacts["t_arrive"].to_numpy()
    observed = np.bincount(((arrivals % DAY) // 1800).astype(int), minlength=48)
    from sim.calendar import intraday_shares

    expected = intraday_shares("bank_weekday") * len(arrivals)
    # pool the thin night half-hours so every expected count is at least 5
    keep = expected >= 5
    if not keep.all():
        observed = np.append(observed[keep], observed[~keep].sum())
        expected = np.append(expected[keep], expected[~keep].sum())
    chi2 = stats.chisquare(observed, expected)
    assert chi2.pvalue > 0.001, chi2


def test_weekday_weights_and_busy_days_follow_the_mixed_poisson_law():
    """Daily counts N_d ~ Poisson(E B_d), B_d ~ Gamma(mean 1, CV c): Var = E + c^2 E^2."""
    cv, volume = 0.15, 400
    text = f"""
horizon: 700d
seed: 5
calendar: {{busyness_cv: {cv}, weekday: {{sat: 0.5, sun: 0.5}}}}
demand: {{q: {{per_day: {volume}}}, r: {{per_day: {volume}}}}}
agents: {{a: {{headcount: 50, serves: [q, r], handle_time: {{dist: constant, value: 1s}}}}}}
"""
    log = simulate(scenario_from(text)).contacts
    day = (log["t_arrive"] // DAY).astype(int)
    counts = np.bincount(day[log["reason"] == 0], minlength=700)
    other = np.bincount(day[log["reason"] == 1], minlength=700)
    weekdays = np.arange(700) % 7 < 5
    for mask, expected in ((weekdays, volume), (~weekdays, volume / 2)):
        sample = counts[mask]
        assert abs(sample.mean() - expected) < 4 * math.sqrt((expected + cv**2 * expected**2) / len(sample))
        law = expected + cv**2 * expected**2
        # the sample variance of n normal-ish values: (n-1) s^2 / law ~ chi2(n-1)
        n = len(sample)
        statistic = (n - 1) * sample.var(ddof=1) / law
        assert stats.chi2.ppf(0.0005, n - 1) < statistic < stats.chi2.ppf(0.9995, n - 1), (sample.var(ddof=1), law)
        assert sample.var(ddof=1) > 2 * expected  # clearly more than the Poisson variance alone
    # a busy day is busy everywhere: the two reasons' daily counts are correlated
    assert np.corrcoef(counts[weekdays], other[weekdays])[0, 1] > 0.5


# -------------------------------------------------------------------------------- properties

roster_groups = st.lists(
    st.fixed_dictionaries({
        "start": st.integers(0, 47), "length": st.integers(1, 48), "agents": st.integers(0, 5),
        "days": st.sampled_from(["daily", "weekdays", "weekend", "mon"]),
    }), min_size=1, max_size=3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shifts=roster_groups, seed=st.integers(0, 1000), shrinkage=st.sampled_from([0, 0.3]),
       rate=st.floats(5, 120), hours=st.sampled_from([None, {"weekdays": "07:00-19:00"}]),
       outside=st.sampled_from(["leave", "wait", "callback"]), acw=st.booleans())
def test_conservation_and_occupancy_with_rosters(shifts, seed, shrinkage, rate, hours, outside, acw):
    def clock(slot):
        return f"{(slot % 48) // 2:02d}:{30 * (slot % 2):02d}"

    group = {
        "serves": ["q"], "shrinkage": shrinkage,
        "handle_time": {"dist": "lognormal", "mean": 240, "cv": 1},
        "shifts": {f"s{k}": {"days": s["days"], "start": clock(s["start"]), "end": clock(s["start"] + s["length"]),
                             "agents": s["agents"]} for k, s in enumerate(shifts)},
    }
    if acw:
        group["after_call_work"] = {"dist": "exponential", "mean": 30}
    document = {"horizon": "3d", "seed": seed, "calendar": {"intraday": "bank_weekday", "outside_hours": outside},
                "demand": {"q": {"arrivals_per_hour": rate}}, "agents": {"a": group},
                "patience": {"dist": "weibull", "shape": 0.66, "scale": 300}}
    if hours:
        document["calendar"]["opening_hours"] = hours
    result = simulate(scenario_from(yaml.safe_dump(document)))
    log = result.contacts
    assert list(log["contact"]) == list(range(len(log)))
    row = measure(result, "base").summary
    assert row["calls"] == row["offered"] + row["closed"] + ((log["outcome"] == Outcome.WAITING_AT_HORIZON)
                                                            & log["t_queue"].isna()).sum()
    never = log["t_queue"].notna() & log["t_answer"].isna()
    dialling = int((never & (log["outcome"] == Outcome.IN_SERVICE_AT_HORIZON)).sum())  # a callback being dialled
    assert row["offered"] == row["answered"] + row["abandoned"] + row["waiting_at_horizon"] + row["callbacks_failed"] \
        + dialling
    assert math.isnan(row["occupancy"]) or 0 <= row["occupancy"] <= 1 + 1e-9
    waits = (log["t_answer"] - log["t_queue"]).dropna()
    assert (waits >= 0).all()
    for (t0, r0, on0), (t1, r1, on1) in zip(result.staffing["a"], result.staffing["a"][1:]):
        assert t1 >= t0 and on1 >= 0


# ------------------------------------------------------------------------- staffing calculator

def test_staffing_matches_the_published_erlang_c_example():
    """Call Centre Helper, "Erlang C formula - made simple with an easy worked example": 100 calls
    per half hour, AHT 180 s, 80% in 20 s needs 14 agents (SL 88.8%); with 30% shrinkage, 20."""
    target = Target(0.8, 20)
    assert agents_needed(100 / 1800, 180, math.inf, target) == 14
    assert rostered_for(14, 0.3) == 20


def test_staffing_is_minimal_and_erlang_a_needs_no_more_than_erlang_c():
    from sim.erlang import erlang_a, erlang_c

    for rate, aht, patience in ((114 / 3600, 300, 120), (0.5, 240, 300), (0.02, 600, 60), (3.0, 300, 180)):
        target = Target(0.8, 20)
        a = agents_needed(rate, aht, patience, target)
        c = agents_needed(rate, aht, math.inf, target)
        assert a <= c
        assert erlang_a(rate, aht, a, patience).service_level >= 0.8
        assert erlang_a(rate, aht, a - 1, patience).service_level < 0.8 or a == 1
        assert erlang_c(rate, aht, c).service_level >= 0.8 > erlang_c(rate, aht, c - 1).service_level
        capped = agents_needed(rate, aht, patience, Target(0.8, 20, max_abandon=0.01))
        assert capped >= a and erlang_a(rate, aht, capped, patience).p_abandon <= 0.01


def test_staffing_many_rates_at_once_gives_each_rate_its_own_answer():
    from sim.staffing import _NEEDED, agents_needed_for

    draw = np.random.default_rng(5)
    # a week of half-hours: closed ones, a quiet night, a busy day, repeated values
    rates = np.concatenate((np.zeros(40), draw.uniform(0, 0.002, 60), draw.lognormal(-3.5, 1.2, 220),
                            np.full(16, 0.05)))
    draw.shuffle(rates)
    for aht, patience, target in ((300, 600, Target(0.8, 20)), (420, math.inf, Target(0.9, 30)),
                                  (240, 120, Target(0.8, 20, max_abandon=0.02)), (900, 60, Target(0.5, 10))):
        _NEEDED.clear()  # the two share their answers: each side searches on its own
        many = agents_needed_for(rates.tolist(), aht, patience, target)
        one_by_one = []
        for rate in rates:
            _NEEDED.clear()
            one_by_one.append(agents_needed(float(rate), aht, patience, target))
        assert many == one_by_one


def test_plan_of_a_scenario():
    text = """
horizon: 7d
calendar: {intraday: bank_weekday, weekday: western, opening_hours: {weekdays: "08:00-20:00"}}
demand:
  billing: {per_day: 1600}
  tech: {per_day: 400}
agents:
  front: {headcount: 1, serves: [billing, tech], shrinkage: 0.3, handle_time: {dist: exponential, mean: 3m}}
  tier2: {headcount: 1, serves: [tech], handle_time: {dist: exponential, mean: 8m}}
  spare: {headcount: 1, serves: [tech, billing], handle_time: {dist: exponential, mean: 8m}}
patience: {dist: exponential, mean: 5m}
"""
    scenario = scenario_from(text)
    staffing = plan(scenario)
    assert set(staffing.groups) == {"front", "tier2"}  # tier2 is the first group listing tech first
    assert staffing.unplanned == ["spare"]
    front = staffing.groups["front"]
    assert front.queues == ["billing"]
    assert (front.rostered[5:] == 0).all()  # closed at the weekend
    assert (front.rostered[0, :16] == 0).all() and front.rostered[0, 20] > front.rostered[1, 20]  # Monday peak
    rate = 1600 * 1.25 * 0.0457 / 0.9989 / 1800  # Monday 10:00 (the shares sum to 0.9989)
    needed = agents_needed(rate, 180, 300, Target(0.8, 20))
    assert front.needed[0, 20] == needed and front.rostered[0, 20] == rostered_for(needed, 0.3)
    assert staffing.fte("front") == pytest.approx(front.rostered.sum() * 0.5 / 40)


def test_staff_command_writes_the_schedule_and_keeps_comments(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("""\
# my comment
horizon: 7d
calendar: {intraday: bank_weekday, opening_hours: {weekdays: "08:00-18:00"}}
demand:
  q: {per_day: 500}   # volume
agents:
  a:
    headcount: 3      # old roster
    serves: [q]
    shrinkage: 0.25
    handle_time: {dist: exponential, mean: 4m}
patience: {dist: exponential, mean: 3m}
""")
    status, out, err = cli("staff", path, "--write")
    assert status == 0, err
    assert "FTE" in out and "wrote the schedules of a" in out
    text = path.read_text()
    assert "# my comment" in text and "# volume" in text and "headcount" not in text
    assert "schedule:  # written by run_sim.py staff: 80% answered within 20 s" in text
    from sim.loader import load_study

    scenario = load_study(path).first
    group = scenario.agents["a"]
    assert set(group.schedule) == {"mon", "tue", "wed", "thu", "fri"}
    assert group.schedule["mon"] == [int(n) for n in plan(scenario).groups["a"].rostered[0]]
    status, _, _ = cli("run", path, "--out", tmp_path / "out", "--quiet", "--replications", "2", "--jobs", "1")
    assert status == 0
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert summary["fte_rostered"].iloc[0] == pytest.approx(plan(scenario).fte("a"))
    assert (summary["closed"] > 0).all()
    # writing again replaces the schedule block and nothing after it (the key that follows stays)
    status, _, err = cli("staff", path, "--write")
    assert status == 0, err
    again = path.read_text()
    assert again.count("schedule:") == 1 and "shrinkage: 0.25" in again and "handle_time" in again
    assert load_study(path).first.agents["a"].shrinkage == 0.25


def test_staff_command_options_and_errors(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("""\
horizon: 7d
demand: {q: {arrivals_per_hour: 200}}
agents: {a: {headcount: 3, serves: [q], handle_time: {dist: exponential, mean: 3m}}}
""")
    status, out, _ = cli("staff", path, "--service-level", "0.9", "--threshold", "10s")
    assert status == 0 and "Erlang C" in out and "90% answered within 10 s" in out
    status, _, err = cli("staff", path, "--write")
    assert status == 2 and "flow style" in err
    assert "headcount: 3" in path.read_text()
    status, _, err = cli("staff", path, "--strategy", "nope")
    assert status == 2 and "--strategy" in err


def test_intraday_and_group_outputs(cli, tmp_path):
    status, _, err = cli("run", "scenarios/weekday_rhythm.yaml", "--out", tmp_path / "w", "--quiet",
                         "--replications", "2", "--jobs", "1")
    assert status == 0, err
    intraday = pd.read_csv(tmp_path / "w" / "intraday.csv")
    assert len(intraday) == 336 and list(intraday["weekday"].unique()) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    monday = intraday[intraday["weekday"] == "mon"].set_index("time")
    assert monday.loc["10:00", "calls"] > monday.loc["07:00", "calls"] > 0 == monday.loc["03:00", "offered"]
    assert monday.loc["10:00", "rostered"] > 0 == monday.loc["03:00", "rostered"]
    groups = pd.read_csv(tmp_path / "w" / "by_group.csv")
    summary = pd.read_csv(tmp_path / "w" / "summary.csv")
    assert set(groups["group"]) == {"generalists", "tech_specialists"}
    assert groups.groupby("replication")["cost_agents"].sum().to_numpy() == pytest.approx(summary["cost_agents"].to_numpy())
    queues = pd.read_csv(tmp_path / "w" / "by_queue.csv")
    assert queues.groupby("replication")["offered"].sum().tolist() == summary["offered"].tolist()
    for column in ("p90_wait_s", "p95_wait_s", "aht_s", "mean_talk_s", "mean_hold_s", "mean_acw_s", "fte_rostered"):
        assert summary[column].notna().all()
    assert (summary["p95_wait_s"] >= summary["p90_wait_s"]).all()

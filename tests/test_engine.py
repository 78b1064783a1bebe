"""The engine: exact event logs on tiny deterministic set-ups, conservation, and the properties
that must hold on any scenario (hypothesis)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.metrics import summarize
from sim.model import simulate
from sim.records import Outcome

from conftest import scenario_from

ONE_AGENT = """
horizon: 1h
demand: {general: {arrival_times: [0s, 10s, 20s, 30s]}}
agents: {a: {headcount: 1, serves: [general], handle_time: {dist: constant, value: 25s}}}
patience: {dist: constant, value: 30s}
"""


def test_trace_one_agent_constant_times():
    result = simulate(scenario_from(ONE_AGENT), trace=True)
    assert result.trace == [
        (0.0, "arrive", 0, 0), (0.0, "queue", 0, "general"), (0.0, "answer", 0, "a#0"),
        (10.0, "arrive", 1, 0), (10.0, "queue", 1, "general"),
        (20.0, "arrive", 2, 0), (20.0, "queue", 2, "general"),
        (25.0, "end", 0, "resolved"), (25.0, "answer", 1, "a#0"),
        (30.0, "arrive", 3, 0), (30.0, "queue", 3, "general"),
        # contact 2's patience (scheduled at 20 s) and contact 1's end (scheduled at 25 s) fall at
        # the same instant: events at one instant happen in the order they were scheduled.
        (50.0, "abandon", 2, None),
        (50.0, "end", 1, "resolved"), (50.0, "answer", 3, "a#0"),
        (75.0, "end", 3, "resolved"),
    ]
    log = result.contacts.set_index("contact")
    assert list(log["outcome"]) == [Outcome.ANSWERED, Outcome.ANSWERED, Outcome.ABANDONED, Outcome.ANSWERED]
    assert list(log["t_answer"].fillna(-1)) == [0.0, 25.0, -1, 50.0]
    assert list(log["t_end"]) == [25.0, 50.0, 50.0, 75.0]
    # time on the line (telephony): the wait plus the talk; the abandoned caller's 30 s once
    assert list(log["line_s"]) == [25.0, 15.0 + 25.0, 30.0, 20.0 + 25.0]


def test_trace_longest_idle_agent_answers_and_priority_queue_first():
    text = """
horizon: 1h
demand:
  vip: {arrival_times: [40s]}
  general: {arrival_times: [0s, 5s, 30s, 35s]}
agents:
  a: {headcount: 2, serves: [vip, general], handle_time: {dist: constant, value: 50s}}
"""
    result = simulate(scenario_from(text), trace=True)
    answers = [(t, c, who) for t, step, c, who in result.trace if step == "answer"]
    # contact ids: 0 at 0s, 1 at 5s (general), 2 at 30s, 3 at 35s (general), 4 at 40s (vip)
    # agents 0 and 1 start idle: agent 0 has been idle longest and takes contact 0, agent 1 takes 1.
    # At 50s agent 0 frees: the vip contact (4) comes before the longer-waiting general ones.
    # At 55s agent 1 takes the longest-waiting general contact (2), at 100s agent 0 takes 3.
    assert answers == [(0.0, 0, "a#0"), (5.0, 1, "a#1"), (50.0, 4, "a#0"), (55.0, 2, "a#1"),
                       (100.0, 3, "a#0")]


def test_trace_arriving_contact_goes_to_longest_idle_agent_across_groups():
    text = """
horizon: 1h
demand: {general: {arrival_times: [0s, 1s, 100s]}}
agents:
  first: {headcount: 1, serves: [general], handle_time: {dist: constant, value: 10s}}
  second: {headcount: 1, serves: [general], handle_time: {dist: constant, value: 60s}}
"""
    result = simulate(scenario_from(text), trace=True)
    answers = [(t, c, who) for t, step, c, who in result.trace if step == "answer"]
    # both idle since 0: the first group (listed first) wins the tie; contact 1 goes to second
    # (agent ids are per group).
    # At 100s first#0 has been idle since 10s, second#0 since 61s: first#0 answers.
    assert answers == [(0.0, 0, "first#0"), (1.0, 1, "second#0"), (100.0, 2, "first#0")]


def test_handle_time_is_per_group():
    text = """
horizon: 1h
demand: {general: {arrival_times: [0s, 0s]}}
agents:
  fast: {headcount: 1, serves: [general], handle_time: {dist: constant, value: 10s}}
  slow: {headcount: 1, serves: [general], handle_time: {dist: constant, value: 90s}}
"""
    log = simulate(scenario_from(text)).contacts
    assert sorted(log["talk_s"]) == [10.0, 90.0]


def test_contacts_still_in_the_system_at_the_horizon_end_there():
    text = """
horizon: 100s
demand: {general: {arrival_times: [0s, 10s, 95s]}}
agents: {a: {headcount: 1, serves: [general], handle_time: {dist: constant, value: 60s}}}
"""
    log = simulate(scenario_from(text)).contacts.set_index("contact")
    assert list(log["outcome"]) == [Outcome.ANSWERED, Outcome.IN_SERVICE_AT_HORIZON, Outcome.WAITING_AT_HORIZON]
    assert log.loc[1, "t_end"] == 120.0  # known end of the conversation under way
    assert log.loc[2, "t_end"] == 100.0


def test_warmup_excludes_early_arrivals_from_flow_metrics():
    text = """
horizon: 1h
warmup: 30m
demand: {general: {arrival_times: [0s, 10m, 40m, 50m]}}
agents: {a: {headcount: 1, serves: [general], handle_time: {dist: constant, value: 1m}}}
"""
    result = simulate(scenario_from(text))
    row = summarize(result, "base")
    assert row["calls"] == row["offered"] == row["answered"] == 2
    assert row["occupancy"] == pytest.approx(2 * 60 / 1800)
    assert row["cost_agents"] == pytest.approx(42.0 * 0.5)


def test_resolve_probability_sets_fcr():
    text = """
horizon: 2d
demand: {general: {arrivals_per_hour: 60}}
agents: {a: {headcount: 3, serves: [general], handle_time: {dist: exponential, mean: 1m}, resolve_probability: 0.7}}
"""
    row = summarize(simulate(scenario_from(text)), "base")
    answered_share = row["answered"] / row["problems"]
    assert row["contacts_per_problem"] == 1.0
    # 2,880 problems: 0.7 within 4 standard errors
    assert abs(row["fcr"] - 0.7 * answered_share) < 4 * math.sqrt(0.21 / row["problems"])


# --------------------------------------------------------------------------------- properties

dists = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(5, 600)),
    st.builds(lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv}, st.floats(5, 600), st.floats(0.1, 2)),
    st.builds(lambda v: {"dist": "constant", "value": v}, st.floats(0, 300)),
    st.builds(lambda k, s: {"dist": "weibull", "shape": k, "scale": s}, st.floats(0.4, 3), st.floats(5, 600)),
)


def _scenario(seed, headcounts, rates, handle, patience, horizon_h, warmup_h):
    groups = {f"g{i}": {"headcount": n, "serves": ["q0", "q1"][: 1 + i % 2][::-1] if i else ["q0", "q1"],
                        "handle_time": handle} for i, n in enumerate(headcounts)}
    text = {
        "horizon": f"{horizon_h}h", "warmup": f"{warmup_h}h", "seed": seed,
        "demand": {"r0": {"arrivals_per_hour": rates[0], "queue": "q0"},
                   "r1": {"arrivals_per_hour": rates[1], "queue": "q1"}},
        "agents": groups,
    }
    if patience is not None:
        text["patience"] = patience
    import yaml
    return scenario_from(yaml.safe_dump(text))


scenarios = st.builds(
    _scenario,
    seed=st.integers(0, 10_000),
    headcounts=st.lists(st.integers(0, 6), min_size=1, max_size=3).filter(lambda h: h[0] >= 0),
    rates=st.tuples(st.floats(0, 200), st.floats(0, 100)),
    handle=dists,
    patience=st.one_of(st.none(), dists),
    horizon_h=st.integers(2, 30),
    warmup_h=st.integers(0, 1),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios)
def test_conservation_waits_and_occupancy(scenario):
    result = simulate(scenario, 0)
    log = result.contacts
    # every contact ends exactly once, in one recorded outcome
    assert log["contact"].is_unique
    assert list(log["contact"]) == list(range(len(log)))
    assert set(log["outcome"]) <= {o.value for o in Outcome}
    answered = log["t_answer"].notna()
    assert (answered == log["outcome"].isin([Outcome.ANSWERED, Outcome.IN_SERVICE_AT_HORIZON])).all()
    waits = np.where(answered, log["t_answer"], log["t_end"]) - log["t_queue"]
    assert (waits >= 0).all()
    if scenario.patience is None:
        assert not (log["outcome"] == Outcome.ABANDONED).any()
    row = summarize(result, "base")
    never = log["t_queue"].notna() & log["t_answer"].isna()
    dialling = int((never & (log["outcome"] == Outcome.IN_SERVICE_AT_HORIZON)).sum())  # a callback being dialled
    assert row["offered"] == row["answered"] + row["abandoned"] + row["waiting_at_horizon"] + row["callbacks_failed"] \
        + dialling
    if not math.isnan(row["occupancy"]):
        assert 0 <= row["occupancy"] <= 1 + 1e-12
    for key in ("p_abandon", "p_wait", "service_level", "fcr"):
        assert math.isnan(row[key]) or 0 <= row[key] <= 1


@settings(max_examples=10, deadline=None)
@given(scenario=scenarios, replication=st.integers(0, 5))
def test_same_seed_same_summary(scenario, replication):
    first = summarize(simulate(scenario, replication), "base")
    again = summarize(simulate(scenario, replication), "base")
    assert pd.Series(first).equals(pd.Series(again))


handle_times = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(30, 600)),
    st.builds(lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv}, st.floats(30, 600), st.floats(0.1, 2)),
    st.builds(lambda v: {"dist": "constant", "value": v}, st.floats(30, 300)),
)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), agents=st.integers(1, 8), load=st.floats(0.3, 1.3),
       handle=handle_times)
def test_one_more_agent_never_raises_any_callers_wait(seed, agents, load, handle):
    """Without abandonment, FCFS, handle times drawn at arrival (common random numbers)."""
    from sim.distributions import Distribution
    from pydantic import TypeAdapter

    mean = TypeAdapter(Distribution).validate_python(handle).mean_value
    rate = load * agents / mean * 3600
    text = f"""
horizon: 12h
seed: {seed}
demand: {{general: {{arrivals_per_hour: {rate}}}}}
agents: {{a: {{headcount: {agents}, serves: [general], handle_time: {handle}}}}}
"""
    def waits(headcount):
        log = simulate(scenario_from(text, f"agents.a.headcount={headcount}")).contacts
        return (np.where(log["t_answer"].notna(), log["t_answer"], log["t_end"]) - log["t_queue"]).to_numpy()

    fewer, more = waits(agents), waits(agents + 1)
    assert len(fewer) == len(more)
    assert (more <= fewer + 1e-9).all()


def test_strategies_share_arrivals_and_caller_draws():
    """Common random numbers: a strategy that changes staffing sees the same callers."""
    text = """
horizon: 1d
seed: 3
demand: {general: {arrivals_per_hour: 100}}
agents: {a: {headcount: 8, serves: [general], handle_time: {dist: lognormal, mean: 4m, cv: 1}}}
patience: {dist: exponential, mean: 3m}
"""
    base = simulate(scenario_from(text)).contacts
    more = simulate(scenario_from(text, "agents.a.headcount=9")).contacts
    assert base["t_arrive"].equals(more["t_arrive"])
    both = base["talk_s"].gt(0) & more["talk_s"].gt(0)
    assert both.sum() > 1000
    assert np.allclose(base.loc[both, "talk_s"], more.loc[both, "talk_s"])


def test_wake_events_share_simpys_clock_and_order():
    """Wake schedules on the environment's own queue: ties run in scheduling order, with timeouts."""
    import simpy

    from sim.wakeups import Wake

    env = simpy.Environment()
    log = []
    env.timeout(5).callbacks.append(lambda e: log.append(("timeout", env.now)))
    Wake(env, 5, lambda e: log.append((e.value, env.now)), "wake")
    Wake(env, 2, lambda e: log.append((e.value, env.now)), "early")

    def process(env):
        yield env.timeout(5)
        log.append(("process", env.now))

    env.process(process(env))
    env.run()
    assert log == [("early", 2), ("timeout", 5), ("wake", 5), ("process", 5)]


def _clock_story(env):
    """What a small model of processes, timeouts, a resource and wake-ups does on *env* until 10."""
    import simpy

    from sim.wakeups import Wake

    seen = []
    desk = simpy.Resource(env, capacity=1)

    def caller(name, arrive, work):
        yield env.timeout(arrive)
        with desk.request() as request:
            yield request
            seen.append((env.now, name, "start"))
            yield env.timeout(work)
            seen.append((env.now, name, "end"))

    for k, (arrive, work) in enumerate([(0, 3), (1, 2), (1, 4), (6, 4), (10, 1)]):
        env.process(caller(f"c{k}", arrive, work))
    Wake(env, 5, lambda event: seen.append((env.now, event.value, "wake")), "w5")
    Wake(env, 10, lambda event: seen.append((env.now, event.value, "wake")), "w10")
    env.run(until=10)
    return seen, env.now


def test_the_lean_clock_runs_a_model_exactly_as_simpy_does():
    import simpy

    from sim.wakeups import Clock

    story, now = _clock_story(Clock())
    assert (story, now) == _clock_story(simpy.Environment())
    assert now == 10 and all(t < 10 for t, _, _ in story)  # what is due at the end is not run
    assert (9, "c3", "start") in story and (5, "w5", "wake") in story


def test_the_lean_clock_raises_what_a_process_raised_and_refuses_a_past_end():
    from sim.wakeups import Clock

    env = Clock()

    def broken():
        yield env.timeout(1)
        raise KeyError("lost")

    env.process(broken())
    with pytest.raises(KeyError, match="lost"):
        env.run(until=5)
    with pytest.raises(ValueError, match="must be greater"):
        env.run(until=0.5)

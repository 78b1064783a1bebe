"""The caller's journey: exact traces of the IVR, misroutes and transfers, callbacks, redials and
escalation on tiny deterministic set-ups, and conservation with every outcome type."""

import math

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.metrics import measure
from sim.model import simulate
from sim.records import Conversation, Origin, Outcome

from conftest import scenario_from


def steps(trace, *kinds):
    return [(t, step, c, d) for t, step, c, d in trace if step in kinds]


TWO_QUEUES = """
horizon: 2h
demand:
  billing: {arrival_times: %s}
  tech: {arrival_times: %s}
agents:
  billers: {headcount: 1, serves: [billing], handle_time: {dist: constant, value: 100s}}
  techies: {headcount: 1, serves: [tech], handle_time: {dist: constant, value: 200s}}
"""

IVR = """
ivr:
  entry: main
  menus:
    main:
      prompt: {dist: constant, value: 20s}
      options: {"1": {menu: accounts}, "2": {queue: tech}}
      choice: {billing: {"1": 1}, tech: {"1": 1}}
    accounts:
      prompt: {dist: constant, value: 15s}
      options: {"1": {queue: billing}, "2": {queue: tech}}
      choice: {billing: {"1": 1}, tech: {"1": 1}}
"""


def test_trace_ivr_routing():
    text = TWO_QUEUES % ("[0s]", "[]") + IVR
    result = simulate(scenario_from(text), trace=True)
    assert steps(result.trace, "arrive", "menu", "queue", "answer", "end") == [
        (0.0, "arrive", 0, 0), (0.0, "menu", 0, "main"), (20.0, "menu", 0, "accounts"),
        (35.0, "queue", 0, "billing"), (35.0, "answer", 0, "billers#0"), (135.0, "end", 0, "resolved")]
    row = result.contacts.iloc[0]
    assert row["ivr_s"] == 35 and row["ivr_menus"] == 2 and row["misrouted"] == 0 and row["t_queue"] == 35


@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_trace_misroute_then_transfer(mode):
    """A tech caller picks the billing option (the confusion matrix says so): the biller finds out
    after the discovery talk and transfers to tech. Warm: to the front of the line, the biller
    staying on for the hand-over; cold: to the back."""
    text = (TWO_QUEUES % ("[]", "[0s, 1s, 2s]") + IVR
            + f"transfers: {{mode: {mode}, discovery: {{dist: constant, value: 65s}}, "
              "handover: {dist: constant, value: 30s}}\n")
    # contact 0 is misrouted to billing; 1 and 2 are misrouted too; make them go to tech directly
    text = text.replace('choice: {billing: {"1": 1}, tech: {"1": 1}}\n    accounts',
                        'choice: {billing: {"1": 1}, tech: {"1": 1}}\n    accounts', 1)
    scenario = scenario_from(text, "demand.tech.arrival_times=[0s]", "demand.billing.arrival_times=[]",
                             "demand.tech.queue=tech")
    result = simulate(scenario, trace=True)
    # contact 0: IVR 35 s, billing queue, biller answers at 35, discovers by 100, transfers
    assert steps(result.trace, "misrouted", "queue", "answer", "transfer", "end", "wrapped") == [
        (35.0, "misrouted", 0, "billing"), (35.0, "queue", 0, "billing"), (35.0, "answer", 0, "billers#0"),
        (100.0, "transfer", 0, mode), (100.0, "queue", 0, "tech"), (100.0, "answer", 0, "techies#0"),
        *([(130.0, "wrapped", -1, "billers#0")] if mode == "warm" else []),
        (300.0, "end", 0, "resolved")]
    row = result.contacts.iloc[0]
    assert (row["misrouted"], row["transfers"], row["hops"]) == (1, 1, 2)
    assert row["t_answer"] == 35 and row["wait_s"] == 0 and row["talk_s"] == 65 + 200
    talks = result.conversations
    assert list(talks["result"]) == [Conversation.TRANSFERRED, Conversation.RESOLVED]
    assert list(talks["acw_s"]) == ([30.0, 0.0] if mode == "warm" else [0.0, 0.0])


def test_warm_transfer_goes_to_the_front_cold_to_the_back():
    """A tech caller (contact 1) waits for the busy tech agent; a confused caller (contact 2)
    picks the billing option, is found out and transferred to tech: warm, ahead of contact 1;
    cold, behind."""
    text = """
horizon: 2h
queues: {billing: {}, tech: {}}
demand:
  tech: {arrival_times: [0s, 10s]}
  confused: {arrival_times: [12s], queue: tech}
agents:
  billers: {headcount: 1, serves: [billing], handle_time: {dist: constant, value: 100s}}
  techies: {headcount: 1, serves: [tech], handle_time: {dist: constant, value: 200s}}
ivr:
  entry: main
  menus:
    main:
      prompt: {dist: constant, value: 5s}
      options: {"1": {queue: billing}, "2": {queue: tech}}
      choice: {tech: {"2": 1}, confused: {"1": 1}}
transfers: {mode: %s, discovery: {dist: constant, value: 20s}}
"""
    for mode, order in (("warm", [0, 2, 1]), ("cold", [0, 1, 2])):
        result = simulate(scenario_from(text % mode), trace=True)
        answers = [(t, c) for t, step, c, who in result.trace if step == "answer" and who == "techies#0"]
        assert [c for _, c in answers] == order, mode
        assert answers[1][0] == 205.0 and answers[2][0] == 405.0
        assert steps(result.trace, "transfer") == [(37.0, "transfer", 2, mode)]


def test_trace_virtual_hold_keeps_its_place():
    text = """
horizon: 2h
demand: {q: {arrival_times: [0s, 10s, 20s]}}
agents: {a: {headcount: 1, serves: [q], handle_time: {dist: constant, value: 60s}}}
patience: {dist: constant, value: 15s}
queues:
  q:
    callback: {offer_above: 30s, accept: 1, mode: virtual_hold}
outbound: {reach_probability: 1, dial_time: {dist: constant, value: 5s}}
"""
    result = simulate(scenario_from(text), trace=True)
    # contact 0 is answered at once; 1 and 2 are told a wait above 30 s and accept; with a
    # patience of 15 s they would have hung up, but a callback keeps their place in line:
    # contact 1 is dialled when the agent frees at 60 s, contact 2 after contact 1's call.
    assert steps(result.trace, "callback accepted", "dial", "reached", "abandon", "end") == [
        (10.0, "callback accepted", 1, "virtual_hold"), (20.0, "callback accepted", 2, "virtual_hold"),
        (60.0, "end", 0, "resolved"), (60.0, "dial", 1, "a#0"), (65.0, "reached", 1, "a#0"),
        (125.0, "end", 1, "resolved"), (125.0, "dial", 2, "a#0"), (130.0, "reached", 2, "a#0"),
        (190.0, "end", 2, "resolved")]
    log = result.contacts.set_index("contact")
    assert list(log["callback_accepted"]) == [0, 1, 1]
    assert log.loc[1, "t_answer"] == 65 and log.loc[1, "outbound_s"] == 65
    row = measure(result, "base").summary
    assert row["callbacks_offered"] == 2 and row["callbacks_accepted"] == 2 and row["abandoned"] == 0
    assert row["cost_callbacks"] == pytest.approx(130 / 60 * 0.025)


def test_trace_failed_outbound_callback():
    text = """
horizon: 1d
demand: {q: {arrival_times: [0s, 1s]}}
agents: {a: {headcount: 1, serves: [q], handle_time: {dist: constant, value: 60s}}}
queues:
  q:
    callback: {offer_above: 0s, accept: 1, mode: scheduled, window: 1h}
outbound: {reach_probability: 0, attempts: 2, retry_delay: {dist: constant, value: 10m},
           dial_time: {dist: constant, value: 30s}}
"""
    result = simulate(scenario_from(text), trace=True)
    assert steps(result.trace, "dial", "not reached") == [
        (60.0, "dial", 1, "a#0"), (90.0, "not reached", 1, 1),
        (690.0, "dial", 1, "a#0"), (720.0, "not reached", 1, 2)]
    log = result.contacts.set_index("contact")
    assert log.loc[1, "outcome"] == Outcome.CALLBACK_FAILED and log.loc[1, "resolved"] == 0
    assert log.loc[1, "callback_attempts"] == 2 and log.loc[1, "outbound_s"] == 60
    assert list(result.conversations["result"]) == [Conversation.RESOLVED, Conversation.NOT_REACHED,
                                                    Conversation.NOT_REACHED]
    assert measure(result, "base").summary["callbacks_failed"] == 1


def test_trace_redial_after_abandonment():
    text = """
horizon: 1h
demand: {q: {arrival_times: [0s, 5s]}}
agents: {a: {headcount: 1, serves: [q], handle_time: {dist: constant, value: 10m}}}
patience: {dist: constant, value: 1m}
redial: {probability: 1, delay: {dist: constant, value: 5m}}
"""
    result = simulate(scenario_from(text), trace=True)
    assert steps(result.trace, "abandon", "redial", "answer") == [
        (0.0, "answer", 0, "a#0"), (65.0, "abandon", 1, None), (365.0, "redial", 2, 1),
        (425.0, "abandon", 2, None), (725.0, "redial", 3, 2), (725.0, "answer", 3, "a#0")]
    log = result.contacts.set_index("contact")
    assert list(log["problem"]) == [0, 1, 1, 1] and list(log["customer"]) == [0, 1, 1, 1]
    assert list(log["origin"]) == [Origin.NEW, Origin.NEW, Origin.REDIAL, Origin.REDIAL]
    assert list(log["attempt"]) == [1, 1, 2, 3]
    row = measure(result, "base").summary
    assert row["redials"] == 2 and row["problems"] == 2 and row["contacts_per_problem"] == 2


def test_trace_escalation_only_after_n_failed_contacts():
    text = """
horizon: 1d
demand: {q: {arrival_times: [0s]}}
agents:
  front:
    headcount: 1
    serves: [q]
    handle_time: {dist: constant, value: 5m}
    resolve_probability: 0
    escalation: {to: tier2, after_failed_contacts: 1}
  experts: {headcount: 1, serves: [tier2], handle_time: {dist: constant, value: 20m}}
queues: {q: {}, tier2: {}}
call_again: {probability: 1, delay: {dist: constant, value: 1h}}
"""
    result = simulate(scenario_from(text), trace=True)
    assert steps(result.trace, "answer", "end", "repeat", "queue") == [
        (0.0, "queue", 0, "q"), (0.0, "answer", 0, "front#0"), (300.0, "end", 0, "unresolved"),
        (3900.0, "repeat", 1, 0), (3900.0, "queue", 1, "q"), (3900.0, "answer", 1, "front#0"),
        (4200.0, "end", 1, "escalated"), (4200.0, "queue", 1, "tier2"), (4200.0, "answer", 1, "experts#0"),
        (5400.0, "end", 1, "resolved")]
    log = result.contacts.set_index("contact")
    assert list(log["resolved"]) == [0, 1] and list(log["escalations"]) == [0, 1]
    assert list(log["origin"]) == [Origin.NEW, Origin.REPEAT]
    row = measure(result, "base").summary
    assert row["escalations"] == 1 and row["repeat_contacts"] == 1 and row["fcr"] == 0


def test_trace_ivr_hangup_self_service_and_zero_out():
    text = """
horizon: 1h
demand:
  faq: {arrival_times: [0s]}
  lost: {arrival_times: [1s]}
  impatient: {arrival_times: [2s]}
queues: {general: {}, operator: {}}
agents:
  a: {headcount: 2, serves: [general, operator], handle_time: {dist: constant, value: 60s}}
ivr:
  entry: main
  operator: operator
  menus:
    main:
      prompt: {dist: constant, value: 10s}
      options: {"1": {self_service: answers}, "2": {queue: general}}
      choice: {faq: {"1": 1}, lost: {"2": 1}, impatient: {"2": 1}}
  self_service:
    answers: {duration: {dist: constant, value: 30s}, resolves: {faq: 1}}
"""
    for reason, settings_ in (("faq", []), ("lost", ["ivr.menus.main.zero_out=1"]),
                              ("impatient", ["ivr.menus.main.hangup=1"])):
        scenario = scenario_from(text, *settings_, "demand.faq.queue=general", "demand.lost.queue=general",
                                 "demand.impatient.queue=general")
        log = simulate(scenario).contacts.set_index("reason")  # reason codes: faq 0, lost 1, impatient 2
        if reason == "faq":
            assert log.loc[0, "outcome"] == Outcome.SELF_SERVED and log.loc[0, "resolved"] == 1
            assert log.loc[0, "ivr_s"] == 40 and np.isnan(log.loc[0, "t_queue"])
        elif reason == "lost":
            assert (log["zero_out"] == 1).all() and (log["queue"] == 1).all()  # the operator queue
        else:
            assert (log["outcome"] == Outcome.IVR_HANGUP).all() and (log["ivr_s"] == 10).all()


def test_dropped_calls_and_the_call_back_policy():
    base = """
horizon: 1d
demand: {q: {arrivals_per_hour: 20}}
agents: {a: {headcount: 3, serves: [q], handle_time: {dist: exponential, mean: 4m}, drop_probability: 0.2%s}}
outbound: {reach_probability: 1}
"""
    plain = measure(simulate(scenario_from(base % "")), "base").summary
    assert plain["dropped"] > 0
    log = simulate(scenario_from(base % "")).contacts
    assert (log["outcome"] == Outcome.DROPPED).sum() == plain["dropped"]
    policy = simulate(scenario_from(base % ", call_back_dropped: true"))
    log = policy.contacts
    assert not (log["outcome"] == Outcome.DROPPED).any()  # every drop is called back
    talks = policy.conversations
    dropped_contacts = set(talks[talks["result"] == Conversation.DROPPED]["contact"])
    assert dropped_contacts and dropped_contacts <= set(log[log["callback"] == 1]["contact"])
    outbound = talks[talks["outbound"] == 1]
    assert set(outbound["contact"]) <= dropped_contacts


# ------------------------------------------------------------------------------- conservation

@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), hangup=st.floats(0, 0.3), zero=st.floats(0, 0.3),
       confusion=st.floats(0, 0.5), resolve=st.floats(0, 1), callback=st.booleans(),
       mode=st.sampled_from(["virtual_hold", "scheduled"]), redial=st.floats(0, 1),
       again=st.floats(0, 1), drop=st.floats(0, 0.2), transfer=st.sampled_from(["cold", "warm"]),
       escalate_after=st.integers(0, 2), reach=st.floats(0, 1), agents=st.integers(1, 4))
def test_conservation_with_every_outcome_type(seed, hangup, zero, confusion, resolve, callback, mode,
                                               redial, again, drop, transfer, escalate_after, reach, agents):
    document = {
        "horizon": "12h", "seed": seed,
        "demand": {"billing": {"arrivals_per_hour": 30}, "tech": {"arrivals_per_hour": 20}},
        "queues": {"billing": {}, "tech": {}, "tier2": {}, "callbacks": {}},
        "agents": {
            "front": {"headcount": agents, "serves": ["billing", "callbacks"],
                      "handle_time": {"dist": "lognormal", "mean": 240, "cv": 1},
                      "after_call_work": {"dist": "constant", "value": 15},
                      "resolve_probability": resolve, "drop_probability": drop,
                      "escalation": {"to": "tier2", "after_failed_contacts": escalate_after}},
            "tech": {"headcount": agents, "serves": ["tech", "callbacks"],
                     "handle_time": {"dist": "exponential", "mean": 300}, "resolve_probability": resolve,
                     "call_back_dropped": True, "drop_probability": drop},
            "experts": {"headcount": 1, "serves": ["tier2"], "handle_time": {"dist": "exponential", "mean": 600}},
        },
        "patience": {"dist": "weibull", "shape": 0.66, "scale": 200},
        "ivr": {"entry": "main", "operator": "billing", "hangup": hangup, "hangup_growth": 1.5, "menus": {
            "main": {"prompt": {"dist": "constant", "value": 15}, "zero_out": zero,
                     "options": {"1": {"queue": "billing"}, "2": {"menu": "tech"}, "3": {"self_service": "faq"}},
                     "choice": {"billing": {"1": 1 - confusion, "2": confusion / 2, "3": confusion / 2},
                                "tech": {"1": confusion, "2": 1 - confusion}}},
            "tech": {"prompt": {"dist": "exponential", "mean": 20},
                     "options": {"1": {"queue": "tech"}, "2": {"queue": "billing"}},
                     "choice": {"billing": {"2": 1}, "tech": {"1": 1 - confusion, "2": confusion}}}},
            "self_service": {"faq": {"duration": {"dist": "constant", "value": 40}, "resolves": {"billing": 0.5}}}},
        "outbound": {"reach_probability": reach, "attempts": 2,
                     "retry_delay": {"dist": "constant", "value": 600}},
        "transfers": {"mode": transfer},
        "redial": {"probability": redial, "delay": {"dist": "exponential", "mean": 900}},
        "call_again": {"probability": again, "delay": {"dist": "exponential", "mean": 3600}},
    }
    if callback:
        document["queues"]["billing"] = {"callback": {"offer_above": 30, "accept": 0.5, "mode": mode,
                                                      "queue": "callbacks"}}
    result = simulate(scenario_from(yaml.safe_dump(document)))
    log, talks = result.contacts, result.conversations
    assert list(log["contact"]) == list(range(len(log)))  # every contact ends exactly once
    assert set(talks["contact"]) <= set(log["contact"])
    outcome = log["outcome"]
    assert set(outcome) <= {o.value for o in Outcome}
    offered = log["t_queue"].notna()
    # contacts that never reached a queue ended in the IVR, closed, or are still in the IVR
    assert outcome[~offered].isin([Outcome.IVR_HANGUP, Outcome.SELF_SERVED, Outcome.IN_IVR_AT_HORIZON]).all()
    assert (log["wait_s"] >= -1e-9).all() and (talks["talk_s"] >= 0).all()
    assert ((log["t_end"] - log["t_arrive"]) >= -1e-9).all()
    resolved_problems = log[log["resolved"] == 1]["problem"]
    assert resolved_problems.is_unique  # a problem is resolved at most once
    later = log[log["origin"] != Origin.NEW]
    first = log.drop_duplicates("problem").set_index("problem")
    assert (later["customer"].to_numpy() == first.loc[later["problem"], "customer"].to_numpy()).all()
    row = measure(result, "base").summary
    never = log["t_answer"].isna() & offered
    assert row["offered"] - row["answered"] == int(never.sum())
    # never answered: abandoned, still waiting, every callback attempt failed, or being dialled
    assert row["abandoned"] + row["waiting_at_horizon"] + int((never & outcome.isin(
        [Outcome.CALLBACK_FAILED, Outcome.IN_SERVICE_AT_HORIZON])).sum()) == int(never.sum())
    assert row["abandoned_in_transfer"] == int(((outcome == Outcome.ABANDONED) & ~never & offered).sum())
    assert row["calls"] == row["offered"] + row["ivr_hangups"] + row["ivr_self_served"] \
        + int((outcome == Outcome.IN_IVR_AT_HORIZON).sum())
    assert math.isnan(row["occupancy"]) or 0 <= row["occupancy"] <= 1 + 1e-9
    for group in result.groups:
        code = result.groups.index(group)
        busy = talks[talks["group"] == code]
        # an agent is never in two conversations at once
        for _, agent_rows in busy.groupby("agent"):
            starts = agent_rows["t_start"].to_numpy()
            ends = starts + (agent_rows["talk_s"] + agent_rows["hold_s"] + agent_rows["acw_s"]).to_numpy()
            order = np.argsort(starts)
            assert (starts[order][1:] >= ends[order][:-1] - 1e-6).all()


def test_log_contacts_writes_every_step_to_parquet(cli, tmp_path):
    import pandas as pd

    status, out, err = cli("run", "scenarios/ivr_maze_vs_callback.yaml", "--out", tmp_path / "o", "--quiet",
                           "--replications", "1", "--jobs", "1", "--set", "horizon=2d", "--log", "contacts")
    assert status == 0, err
    assert "The journey" in out and "Misroutes" in out
    log = pd.read_parquet(tmp_path / "o" / "contacts.parquet")
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    assert set(log["strategy"]) == {"maze", "flat_callback"}
    assert len(log) == log.groupby("strategy").size().sum() and log["contact"].notna().all()
    transferred = log[log["transfers"] > 0].iloc[0]
    steps = list(transferred["steps"])
    assert steps[0].startswith("arrive") and any(s.startswith("transfer") for s in steps)
    assert steps[-1].startswith("end") and len(transferred["step_times"]) == len(steps)
    assert list(transferred["step_times"]) == sorted(transferred["step_times"])
    maze = summary[summary["strategy"] == "maze"].iloc[0]
    assert maze["transfers"] == log[(log["strategy"] == "maze") & (log["t_arrive"] >= 0)]["transfers"].sum()


def test_callers_still_in_the_ivr_at_the_horizon_are_recorded():
    text = """
horizon: 10m
demand: {q: {arrival_times: [0s, 9m50s]}}
agents: {a: {headcount: 1, serves: [q], handle_time: {dist: constant, value: 1m}}}
patience: {dist: constant, value: 1s}
redial: {probability: 1, delay: {dist: constant, value: 8m}}
ivr:
  entry: main
  menus:
    main:
      prompt: {dist: constant, value: 30s}
      options: {"1": {menu: second}}
      choice: {q: {"1": 1}}
    second:
      prompt: {dist: constant, value: 30s}
      options: {"1": {queue: q}}
      choice: {q: {"1": 1}}
"""
    scenario = scenario_from(text.replace("9m50s", "9.85m"), "agents.a.handle_time.value=10m")
    result = simulate(scenario, trace=True)
    log = result.contacts.set_index("contact")
    # contact 0 reaches the agent at 1m; the one arriving at 9m51s is still in the first menu at
    # the horizon
    in_ivr = log[log["outcome"] == Outcome.IN_IVR_AT_HORIZON]
    assert len(in_ivr) == 1 and in_ivr.iloc[0]["ivr_menus"] == 1
    assert in_ivr.iloc[0]["ivr_s"] == pytest.approx(600 - 591)
    assert len(log) == 2


def test_a_redial_still_in_the_ivr_at_the_horizon_is_recorded():
    text = """
horizon: 10m
demand: {q: {arrival_times: [0s, 10s]}}
agents: {a: {headcount: 1, serves: [q], handle_time: {dist: constant, value: 20m}}}
patience: {dist: constant, value: 30s}
redial: {probability: 1, delay: {dist: constant, value: 8m}}
ivr:
  entry: main
  menus:
    main:
      prompt: {dist: constant, value: 30s}
      options: {"1": {queue: q}}
      choice: {q: {"1": 1}}
"""
    result = simulate(scenario_from(text), trace=True)
    log = result.contacts.set_index("contact")
    # contact 1 enters the queue at 40s and abandons at 70s; it redials at 9m10s, is in the IVR
    # until 9m40s, and still waits at the horizon
    assert list(log["origin"]) == [Origin.NEW, Origin.NEW, Origin.REDIAL]
    assert log.loc[2, "t_arrive"] == 70 + 480
    assert log.loc[2, "outcome"] == Outcome.WAITING_AT_HORIZON
    late = scenario_from(text, "redial.delay.value=8.7m")
    log = simulate(late).contacts
    assert (log["outcome"] == Outcome.IN_IVR_AT_HORIZON).sum() == 1
    assert log["contact"].tolist() == [0, 1, 2]


def test_scheduled_callback_served_by_an_outbound_group_within_its_window():
    text = """
horizon: 1d
queues: {q: {callback: {offer_above: 0s, accept: 1, mode: scheduled, queue: callbacks, window: 10m}},
         callbacks: {}}
demand: {q: {arrival_times: [0s, 1s]}}
agents:
  inbound: {headcount: 1, serves: [q], handle_time: {dist: constant, value: 5m}}
  outbound: {headcount: 1, serves: [callbacks], handle_time: {dist: constant, value: 4m}}
outbound: {reach_probability: 1, dial_time: {dist: constant, value: 10s}}
"""
    result = simulate(scenario_from(text), trace=True)
    assert steps(result.trace, "callback accepted", "dial", "reached", "answer") == [
        (0.0, "answer", 0, "inbound#0"), (1.0, "callback accepted", 1, "scheduled"),
        (1.0, "dial", 1, "outbound#0"), (11.0, "reached", 1, "outbound#0")]
    log = result.contacts.set_index("contact")
    assert log.loc[1, "callback_within_window"] == 1 and log.loc[1, "t_answer"] == 11
    late = simulate(scenario_from(text, "queues.q.callback.window=5s")).contacts.set_index("contact")
    assert late.loc[1, "callback_within_window"] == 0


def test_estimated_wait_position_and_recent():
    from sim.agents import AgentGroup
    from sim.callbacks import estimated_wait, note_answered_wait
    from sim.queues import WaitingLine

    queue = WaitingLine("q", 0)
    queue.groups = [AgentGroup("a", 0, 4, 0.0, [lambda z: 1.0], 42.0)]
    queue.mean_handle_s = 300.0
    queue.estimate = "position"
    assert estimated_wait(queue) == 300.0 / 4  # first in line: one handle time over four agents
    queue.waiting = 7
    assert estimated_wait(queue) == 8 * 300.0 / 4
    queue.estimate = "recent"
    for wait in [100.0] * 200:
        note_answered_wait(queue, wait)
    assert estimated_wait(queue) == pytest.approx(100.0)

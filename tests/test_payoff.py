"""The payoff: effort and churn, full cost, staffing re-planned on demand, and the direction of the
flagship and of the scenario where prevention does not pay."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.churn import ChurnModel, churn_probability
from sim.customers import AFTER_PROBLEM, BASELINE, MONTH, SILENT
from sim.loader import ScenarioError, load_study, load_text
from sim.metrics import COST_COMPONENTS, break_even_day, measure
from sim.model import simulate
from sim.problems import Problem
from sim.records import ProblemOutcome
from sim.scenario import Churn
from sim.staffing import plan
from sim.stats import t_interval
from sim.units import DAY, HOUR

from conftest import SIZE, scenario_from

BUSINESS = """
horizon: {horizon}
warmup: {warmup}
seed: 3
customers: {{count: {customers}, monthly_revenue: 30, margin: 0.5}}
demand: {{billing: {{}}, general: {{}}}}
agents:
  desk: {{headcount: {agents}, serves: [billing, general], handle_time: {{dist: exponential, mean: 5m}},
          resolve_probability: 0.7}}
patience: {{dist: exponential, mean: 5m}}
call_again: {{probability: 0.6, delay: {{dist: exponential, mean: 1d}}}}
root_causes:
  invoice: {{reason: billing, per_1000_per_day: 6, contact_probability: 0.7, contact_delay: {{dist: exponential, mean: 1d}}}}
value_demand:
  questions: {{reason: general, per_1000_per_day: 4}}
"""


def business(horizon="60d", warmup="0s", customers=10000, agents=6, extra=""):
    return BUSINESS.format(horizon=horizon, warmup=warmup, customers=customers, agents=agents) + extra


# ------------------------------------------------------------------------- the churn function


def test_churn_probability_is_the_logistic_of_effort():
    assert churn_probability(0.0, 0.0, 1.0) == 0.5
    assert churn_probability(2.0, -4.0, 2.0) == 0.5
    assert churn_probability(1.0, -4.0, 0.8) == pytest.approx(1 / (1 + math.exp(3.2)))
    assert churn_probability(1e6, -4.0, 0.8) == 1.0
    assert churn_probability(-1e6, 0.0, 1.0) == 0.0  # no overflow either way
    values = [churn_probability(e, -4.0, 0.72) for e in np.linspace(0, 20, 50)]
    assert all(b >= a for a, b in zip(values, values[1:]))


def test_effort_score_adds_up_its_parts():
    from sim.problems import Cause

    model = ChurnModel(Churn(effort={"ivr_minutes": 0.1, "hold_minutes": 0.2, "transfers": 0.5, "contacts": 0.75,
                                     "failed_callbacks": 1.0, "days_to_resolve": 0.3, "unresolved": 2.0}))
    cause = Cause(0, "c", 1, 0, 1.0, 1.0, None)
    problem = Problem(0, 0, cause, 10.0, -1, 0.0, 1.0, 0.5, 1.0)
    problem.ivr_s, problem.wait_s, problem.transfers, problem.contacts, problem.callbacks_failed = 120, 300, 1, 3, 1
    resolved = model.effort(problem, int(ProblemOutcome.RESOLVED), 10.0 + 2 * DAY)
    assert resolved == pytest.approx(0.1 * 2 + 0.2 * 5 + 0.5 + 0.75 * 2 + 1.0 + 0.3 * 2)
    gave_up = model.effort(problem, int(ProblemOutcome.GAVE_UP), 10.0 + 2 * DAY)
    assert gave_up == pytest.approx(resolved + 2.0)
    assert model.decides(int(ProblemOutcome.GAVE_UP), 1) and not model.decides(int(ProblemOutcome.OPEN_AT_HORIZON), 1)
    assert not model.decides(int(ProblemOutcome.RESOLVED), 0)  # value demand: no decision by default


# ---------------------------------------------------------------------- churn in the engine


def test_certain_churn_makes_every_decided_problem_lose_its_customer():
    result = simulate(scenario_from(business(extra="churn: {probability: {intercept: 50, slope: 0}}\n")), 0)
    problems = result.prevention.problems
    decided = problems[(problems["kind"] == 1) & problems["outcome"].isin(
        [int(ProblemOutcome.RESOLVED), int(ProblemOutcome.GAVE_UP)])]
    assert len(decided) > 100 and (decided["churned"] == 1).all()
    population = result.prevention.population
    left = np.asarray(population.left)
    reason = np.asarray(population.left_reason)
    customers = decided["customer"].to_numpy()
    assert (reason[customers] == AFTER_PROBLEM).all()
    assert np.allclose(left[customers], decided["t_end"].to_numpy())
    # a customer who left has no problem that begins afterwards
    merged = problems.merge(pd.DataFrame({"customer": customers, "gone": left[customers]}), on="customer")
    assert (merged["t_onset"] <= merged["gone"]).all()
    # value demand never churns by default
    assert (problems.loc[problems["kind"] == 0, "churned"] == 0).all()


def test_no_churn_with_a_very_low_intercept_and_silent_sufferers_leave_at_their_onset():
    text = business(extra="churn: {probability: {intercept: -50, slope: 0}, silent: 1}\n")
    result = simulate(scenario_from(text), 0)
    problems = result.prevention.problems
    failure = problems[problems["kind"] == 1]
    silent = failure[failure["outcome"] == ProblemOutcome.SILENT]
    spoke = failure[failure["outcome"] != ProblemOutcome.SILENT]
    assert len(silent) > 100 and (silent["churned"] == 1).all()
    assert (spoke["churned"] == 0).all()
    population = result.prevention.population
    left = np.asarray(population.left)
    assert np.allclose(left[silent["customer"].to_numpy()], silent["t_onset"].to_numpy())
    assert (np.asarray(population.left_reason)[silent["customer"].to_numpy()] == SILENT).all()


def test_customers_are_conserved_with_churn_and_acquisition():
    text = business(horizon="90d", warmup="10d", extra="""
churn: {baseline_per_month: 0.02, silent: 0.1, probability: {intercept: -3, slope: 0.8}}
""")
    for replication in range(2):
        result = simulate(scenario_from(text, "customers.acquisition_per_day=30"), replication)
        summary = measure(result, "x").summary
        assert summary["customers_end"] == (summary["customers_start"] + summary["customers_acquired"]
                                            - summary["customers_left"])
        assert summary["churned"] == summary["customers_left"]
        assert 0 < summary["churned_service"] < summary["churned"]


def test_baseline_churn_happens_at_its_monthly_hazard():
    text = business(horizon="90d", customers=30000, extra="churn: {baseline_per_month: 0.02}\n")
    shares = []
    for replication in range(int(6 * SIZE)):
        population = simulate(scenario_from(text), replication).prevention.population
        reason = np.asarray(population.left_reason)
        shares.append(np.mean(reason == BASELINE))
    expected = 1 - (1 - 0.02) ** 3  # three months of a 2% monthly hazard
    mean, low, high = t_interval(shares)
    assert low <= expected <= high and high - low < 0.1 * expected


def test_revenue_lost_clv_and_word_of_mouth_follow_from_who_left_when():
    text = business(horizon="60d", warmup="10d", extra="""
churn:
  baseline_per_month: 0.01
  probability: {intercept: -2, slope: 0.5}
  word_of_mouth: {share_who_tell: 0.5, people_reached: 10}
""")
    result = simulate(scenario_from(text), 0)
    summary = measure(result, "x").summary
    population = result.prevention.population
    left = np.asarray(population.left)
    reason = np.asarray(population.left_reason)
    inside = (left >= 10 * DAY) & (left < 60 * DAY)
    assert summary["churned"] == inside.sum()
    assert summary["revenue_lost_churn"] == pytest.approx(np.sum(30 / MONTH * (60 * DAY - left[inside])))
    service = inside & np.isin(reason, [AFTER_PROBLEM, SILENT])
    assert summary["churned_service"] == service.sum()
    assert summary["word_of_mouth_reach"] == pytest.approx(service.sum() * 0.5 * 10)
    assert summary["clv_lost"] == pytest.approx(service.sum() * 30 * 0.5 * 100)  # 1 / 1% = 100 months
    assert summary["cost_total"] == pytest.approx(summary["cost_service_total"] + summary["transition_cost"]
                                                  + summary["revenue_lost_churn"])


def test_timeseries_costs_add_up_to_the_summary_and_the_transition_comes_first():
    text = business(horizon="40d", warmup="5d", extra="""
churn: {baseline_per_month: 0.02, probability: {intercept: -3, slope: 0.8}}
costs: {transition: 5000}
operations: {engineers: 1, tagging_accuracy: 0.9}
""")
    result = simulate(scenario_from(text), 0)
    measured = measure(result, "x")
    daily, summary = measured.daily, measured.summary
    parts = daily[[f"cost_{part}_to_date" for part in COST_COMPONENTS]]
    assert np.allclose(parts.sum(axis=1), daily["cost_to_date"])
    assert daily["cost_transition_to_date"].iloc[0] == 5000
    assert daily["cost_to_date"].iloc[-1] == pytest.approx(summary["cost_total"], rel=1e-9)
    assert daily["cost_revenue_lost_to_date"].iloc[-1] == pytest.approx(summary["revenue_lost_churn"])
    assert daily["churned_to_date"].iloc[-1] == summary["churned"]
    assert daily["rostered_agents"].iloc[0] == pytest.approx(6)
    assert summary["customer_hours_lost"] > 0
    assert summary["cost_per_contact"] == pytest.approx(summary["cost_service_total"] / summary["calls"])
    assert summary["cost_per_problem"] == pytest.approx(summary["cost_service_total"] / summary["problems"])


def test_break_even_is_the_first_day_from_which_the_cost_stays_below():
    days = np.arange(10, 15)
    assert break_even_day(np.array([5, 6, 3, 2, 1.0]), np.full(5, 4.0), days) == 12
    assert break_even_day(np.array([1, 1, 1, 1, 1.0]), np.full(5, 2.0), days) == 10
    assert math.isnan(break_even_day(np.array([1, 5, 1, 1, 5.0]), np.full(5, 4.0), days))


# ----------------------------------------------------------------- staffing that follows demand


STEP = """
horizon: 90d
seed: 8
customers: {count: 20000}
demand: {general: {}}
agents:
  desk: {headcount: 30, serves: [general], handle_time: {dist: exponential, mean: 5m}, shrinkage: 0.3}
patience: {dist: exponential, mean: 5m}
value_demand:
  questions: {reason: general, per_1000_per_day: 8}
root_causes:
  surge: {reason: general, per_1000_per_day: 8, appears: 30d, preventable: false}
staffing: {policy: replan, replan_every: 30d}
"""


def test_replanned_staffing_tracks_a_step_change_in_demand_within_one_period():
    result = simulate(scenario_from(STEP), 0)
    plans = pd.DataFrame(result.plans)
    assert list(plans["at_s"]) == [30 * DAY, 60 * DAY]
    # what a planner would roster for the demand before and after the step (Erlang A, same target)
    before = plan(scenario_from(STEP, "root_causes.surge.per_1000_per_day=0", "staffing.policy=fixed"))
    after = plan(scenario_from(STEP, "root_causes.surge.appears=0s", "staffing.policy=fixed"))
    hours_before = before.groups["desk"].rostered_hours_per_week()
    hours_after = after.groups["desk"].rostered_hours_per_week()
    assert hours_after > 1.15 * hours_before  # twice the calls, fewer than twice the agents (scale)
    # the plan at day 30 saw the old demand, the one at day 60 a whole period of the new one
    assert plans["rostered_hours_per_week"][0] == pytest.approx(hours_before, rel=0.1)
    assert plans["rostered_hours_per_week"][1] == pytest.approx(hours_after, rel=0.1)
    # and the roster in force follows: rostered agents by day
    daily = measure(result, "x").daily
    assert daily.loc[daily["day"].between(35, 55), "rostered_agents"].mean() == pytest.approx(hours_before / 168, rel=0.1)
    assert daily.loc[daily["day"].between(65, 85), "rostered_agents"].mean() == pytest.approx(hours_after / 168, rel=0.1)


@pytest.mark.parametrize("override, expected", [
    ("staffing.replan_every=1d",
     "test.yaml: --set staffing.replan_every=1d: staffing.replan_every: must be >= 7d: a re-plan plans every "
     "half-hour of the week from the last period, and a shorter one leaves half-hours unseen (got 1d)"),
    ("churn.word_of_mouth.people_reached=1.0e+308",
     "test.yaml: --set churn.word_of_mouth.people_reached=1.0e+308: churn.word_of_mouth.people_reached: "
     "must be <= 1000 (got 1e+308)"),
])
def test_bad_payoff_input_gets_one_clear_line(override, expected):
    with pytest.raises(ScenarioError) as error:
        scenario_from(STEP, override)
    assert error.value.lines == [expected]
    scenario_from(STEP, "staffing.replan_every=7d", "churn.word_of_mouth.people_reached=1000")  # the bounds


def test_fixed_staffing_keeps_its_roster():
    result = simulate(scenario_from(STEP, "staffing.policy=fixed"), 0)
    assert result.plans is None
    daily = measure(result, "x").daily
    assert (daily["rostered_agents"] == 30).all()


# -------------------------------------------------------------- the flagship and its opposite


def _reduced(path: str):
    """A scenario at reduced size for CI: a third of the customers, six measured months."""
    return load_study(path, ["customers.count=20000", "horizon=210d", "warmup=30d",
                             f"replications={max(4, int(4 * SIZE))}"])


def _paired(path: str) -> pd.DataFrame:
    from sim.runner import run_study

    return run_study(_reduced(path), jobs=2).comparison.query("strategy == 'embedded'").set_index("metric")


@pytest.mark.slow
def test_the_flagship_embedded_costs_less_in_total_and_loses_fewer_customers():
    diff = _paired("scenarios/reactive_vs_embedded.yaml")
    for metric in ("cost_total", "churned", "revenue_lost_churn", "calls"):
        assert diff.loc[metric, "diff_ci_high"] < 0, (metric, diff.loc[metric].to_dict())


@pytest.mark.slow
def test_where_prevention_does_not_pay_embedded_costs_more():
    diff = _paired("scenarios/prevention_does_not_pay.yaml")
    for metric in ("cost_total", "cost_service_total"):
        assert diff.loc[metric, "diff_ci_low"] > 0, (metric, diff.loc[metric].to_dict())

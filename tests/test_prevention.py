"""Prevention mechanics: customers, root causes and their fixes, value demand, follow-on problems,
incidents and proactive notice, field visits, and common random numbers across strategies."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.calendar import OpeningHours, intraday_shares
from sim.demand_clock import DemandClock
from sim.loader import ScenarioError, load_text
from sim.metrics import measure
from sim.model import simulate
from sim.records import ProblemOutcome
from sim.stats import t_interval
from sim.units import DAY, HOUR

from conftest import SIZE, scenario_from

BASE = """
horizon: {horizon}
seed: 11
customers: {{count: {customers}}}
demand:
  billing: {{}}
  general: {{}}
agents:
  frontline:
    headcount: 30
    serves: [billing, general]
    handle_time: {{dist: exponential, mean: 4m}}
patience: {{dist: exponential, mean: 10m}}
"""


def base(horizon="28d", customers=10000, extra=""):
    return BASE.format(horizon=horizon, customers=customers) + extra


def study(text, *overrides):
    return load_text(text, "test.yaml", overrides)


# ------------------------------------------------------------------------------ the fix loop


FIXED = base(horizon="56d", extra="""
root_causes:
  invoice:
    reason: billing
    per_1000_per_day: 10
    contact_probability: 1
    fix_effort: {dist: constant, value: 16h}
    fix_effectiveness: 0.6
operations:
  engineers: 1
  tagging_accuracy: 1
  review_every: 7d
""")


def test_a_finished_fix_cuts_the_rate_per_active_customer_day_by_its_effectiveness():
    scenario = scenario_from(FIXED)
    before, after = [], []
    for replication in range(int(8 * SIZE)):
        result = simulate(scenario, replication)
        fixes = result.prevention.fixes
        assert len(fixes) == 1 and fixes["cause"][0] == "invoice"
        # reviewed at day 7 (a Monday 00:00); 16 working hours from then: Tuesday 17:00
        landed = fixes["finished_s"][0]
        assert landed == pytest.approx(8 * DAY + 17 * HOUR)
        onsets = result.prevention.problems["t_onset"].to_numpy()
        customers = 10000
        before.append(np.sum(onsets < landed) / (customers * landed / DAY) * 1000)
        after.append(np.sum(onsets >= landed) / (customers * (56 * DAY - landed) / DAY) * 1000)
    mean, low, high = t_interval(before)
    assert low <= 10 <= high, (mean, low, high)
    mean, low, high = t_interval(after)
    assert low <= 4 <= high, (mean, low, high)
    assert (high - low) / 2 < 0.1 * 4  # narrow enough to mean something


def test_segments_scale_the_rate_by_their_problem_factor():
    text = FIXED.replace("customers: {count: 10000}", """customers:
  count: 10000
  segments:
    consumer: {share: 0.7}
    business: {share: 0.3, problem_factor: 2, monthly_revenue: 200}""") + "\n"
    scenario = scenario_from(text, "operations=null")
    rates = []
    for replication in range(int(5 * SIZE)):
        problems = simulate(scenario, replication).prevention.problems
        per_segment = problems.groupby("segment").size()
        rates.append(len(problems) / (10000 * 56) * 1000)
        # business customers (30%) have twice the rate: 0.6 / (0.7 + 0.6) of the problems
        assert per_segment[1] / len(problems) == pytest.approx(0.6 / 1.3, abs=0.03)
    mean, low, high = t_interval(rates)
    assert low <= 10 * 1.3 <= high, (mean, low, high)


def test_tagging_accuracy_zero_means_no_fixes():
    scenario = scenario_from(FIXED, "operations.tagging_accuracy=0", "operations.engineers=5")
    result = simulate(scenario, 0)
    assert len(result.prevention.fixes) == 0
    assert result.contacts["tagged"].sum() == 0
    assert measure(result, "x").summary["fixes_completed"] == 0


def test_without_tags_a_detection_delay_still_surfaces_causes_late():
    scenario = scenario_from(FIXED, "operations.tagging_accuracy=0",
                             "operations.detection_delay={dist: constant, value: 20d}")
    fixes = simulate(scenario, 0).prevention.fixes
    assert len(fixes) == 1
    # first contact on day 0, known on day 20, fixed at the review of day 21
    assert fixes["started_s"][0] == 21 * DAY


def test_reviews_rank_causes_by_tagged_volume_and_fix_while_engineers_are_free():
    text = base(horizon="15d", extra="""
root_causes:
  small: {reason: billing, per_1000_per_day: 1}
  large: {reason: billing, per_1000_per_day: 8}
  medium: {reason: general, per_1000_per_day: 4}
  fate: {reason: general, per_1000_per_day: 6, preventable: false}
operations:
  engineers: 2
  tagging_accuracy: 1
""")
    fixes = simulate(scenario_from(text), 0).prevention.fixes
    # two engineers at the day-7 review: the two most tagged preventable causes, largest first;
    # 'fate' is more tagged than 'medium' but cannot be fixed
    assert list(fixes["cause"][:2]) == ["large", "medium"]
    assert list(fixes["started_s"][:2]) == [7 * DAY, 7 * DAY]
    # 40 working hours each: both land on Friday 17:00, so at the day-14 review an engineer takes
    # the last one; the other stays free
    assert list(fixes["finished_s"][:2]) == [11 * DAY + 17 * HOUR] * 2
    assert list(fixes["cause"][2:]) == ["small"] and fixes["started_s"][2] == 14 * DAY
    assert math.isinf(fixes["finished_s"][2])  # lands after the horizon


# ---------------------------------------------------------------- common random numbers


STRATEGIES = base(extra="""
root_causes:
  invoice: {reason: billing, per_1000_per_day: 4, contact_probability: 0.7,
            contact_delay: {dist: exponential, mean: 1d}}
  outage_bug: {reason: general, per_1000_per_day: 2, contact_probability: 0.5,
               follow_on: {cause: invoice, probability: 0.4, delay: {dist: exponential, mean: 5d}}}
value_demand:
  questions: {reason: general, per_1000_per_day: 5}
strategies:
  few_agents: {agents: {frontline: {headcount: 6}}}
  many_agents: {agents: {frontline: {headcount: 40}}, operations: {engineers: 0, tagging_accuracy: 0.9}}
""")


def test_with_no_fixes_and_nobody_leaving_strategies_see_identical_problem_arrivals():
    loaded = study(STRATEGIES)
    frames = []
    for name, scenario in loaded.strategies.items():
        problems = simulate(scenario, 3).prevention.problems
        frames.append(problems[["problem", "customer", "cause", "parent", "t_onset"]].reset_index(drop=True))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert len(frames[0]) > 1000


def test_a_catalogue_without_defects_gives_equal_demand_under_every_strategy():
    text = base(extra="""
value_demand:
  questions: {reason: general, per_1000_per_day: 5}
  orders: {reason: billing, per_1000_per_day: 3, contact_delay: {dist: exponential, mean: 2h}}
strategies:
  reactive: {operations: {engineers: 2, tagging_accuracy: 0.1}}
  embedded: {operations: {engineers: 6, tagging_accuracy: 0.95}}
""")
    loaded = study(text)
    summaries = [measure(simulate(scenario, 1), name).summary for name, scenario in loaded.strategies.items()]
    for key in ("problems", "calls", "offered", "answered", "silent_problems"):
        assert summaries[0][key] == summaries[1][key], key
    assert summaries[0]["failure_demand_share"] == 0
    assert summaries[1]["fixes_completed"] == 0


# ------------------------------------------------------------------------------ customers


def test_customers_are_conserved_and_new_ones_produce_problems():
    text = base(horizon="30d", customers=2000, extra="""
warmup: 5d
value_demand:
  questions: {reason: general, per_1000_per_day: 20}
""")
    result = simulate(scenario_from(text, "customers.acquisition_per_day=50"), 0)
    summary = measure(result, "x").summary
    assert summary["customers_end"] == (summary["customers_start"] + summary["customers_acquired"]
                                        - summary["customers_left"])
    population = result.prevention.population
    assert population.size == len(population.joined) > 2000
    assert summary["customers_start"] == pytest.approx(2000 + 50 * 5, rel=0.05)
    assert summary["customers_acquired"] == pytest.approx(50 * 25, rel=0.1)
    problems = result.prevention.problems
    acquired = problems[problems["customer"] >= 2000]
    assert len(acquired) > 0
    joined = np.asarray(population.joined)
    assert np.all(acquired["t_onset"].to_numpy() >= joined[acquired["customer"].to_numpy()])


def test_every_problem_ends_once_and_every_contact_belongs_to_a_problem():
    text = STRATEGIES.split("strategies:")[0] + """
incidents:
  outage: {at: 3d, duration: 6h, affected: 0.2, reason: general, contact_probability: 0.6}
call_again: {probability: 0.5, delay: {dist: exponential, mean: 1d}}
redial: {probability: 0.3, delay: {dist: exponential, mean: 30m}}
"""
    result = simulate(scenario_from(text, "agents.frontline.headcount=5"), 0)
    problems = result.prevention.problems
    assert problems["problem"].is_unique
    assert set(problems["problem"]) == set(range(len(problems)))
    contacts = result.contacts
    assert set(contacts["problem"]) <= set(problems["problem"])
    per_problem = contacts.groupby("problem").size()
    recorded = problems.set_index("problem")["contacts"]
    assert (recorded.reindex(per_problem.index) == per_problem).all()
    silent = problems[problems["outcome"] == ProblemOutcome.SILENT]
    assert (silent["contacts"] == 0).all()
    resolved = problems[problems["outcome"] == ProblemOutcome.RESOLVED]
    assert (resolved["t_end"] >= resolved["t_onset"]).all()
    assert contacts["customer"].isin(problems["customer"]).all()


# ------------------------------------------------------------------- follow-ons, web, visits


def test_follow_on_problems_come_a_delay_after_their_parent_for_the_same_customer():
    text = base(extra="""
root_causes:
  plan_change:
    reason: billing
    per_1000_per_day: 3
    follow_on: {cause: wrong_bill, probability: 0.5, delay: {dist: constant, value: 7d}}
  wrong_bill: {reason: billing, per_1000_per_day: 0}
""")
    problems = simulate(scenario_from(text), 0).prevention.problems.set_index("problem")
    children = problems[problems["parent"] >= 0]
    parents = problems.loc[children["parent"]]
    assert (children["customer"].to_numpy() == parents["customer"].to_numpy()).all()
    assert np.allclose(children["t_onset"].to_numpy() - parents["t_onset"].to_numpy(), 7 * DAY)
    due = problems[(problems["cause"] == 0) & (problems["t_onset"] < 21 * DAY)]
    assert len(children) == pytest.approx(0.5 * len(due), rel=0.15)
    summary = measure(simulate(scenario_from(text), 0), "x").summary
    assert summary["follow_on_problems"] == len(children)


def test_follow_on_problems_chain_a_follow_on_sets_off_its_own():
    # a plan change breaks the bill a week later, and a wrong bill cuts the service three days after
    text = base(extra="""
root_causes:
  plan_change:
    reason: billing
    per_1000_per_day: 3
    follow_on: {cause: wrong_bill, probability: 1, delay: {dist: constant, value: 7d}}
  wrong_bill:
    reason: billing
    per_1000_per_day: 0
    follow_on: {cause: cut_off, probability: 0.5, delay: {dist: constant, value: 3d}}
  cut_off: {reason: general, per_1000_per_day: 0}
""")
    problems = simulate(scenario_from(text), 0).prevention.problems.set_index("problem")
    bills = problems[problems["cause"] == 1]
    cuts = problems[problems["cause"] == 2]
    assert len(cuts) > 0 and (problems.loc[cuts["parent"], "cause"] == 1).all()
    parents = problems.loc[cuts["parent"]]
    assert (cuts["customer"].to_numpy() == parents["customer"].to_numpy()).all()
    assert np.allclose(cuts["t_onset"].to_numpy() - parents["t_onset"].to_numpy(), 3 * DAY)
    due = bills[bills["t_onset"] < 25 * DAY]  # their cut-offs come before the 28-day horizon
    assert len(cuts) == pytest.approx(0.5 * len(due), rel=0.2)


def test_failure_demand_share_is_undefined_without_contacts():
    # every problem silent: no contact, so no share (not 0%), in the summary and on every day
    text = base(horizon="7d", extra="root_causes: {bug: {reason: billing, per_1000_per_day: 5, contact_probability: 0}}\n")
    measured = measure(simulate(scenario_from(text), 0), "x")
    assert measured.summary["problems"] > 0 and math.isnan(measured.summary["failure_demand_share"])
    assert measured.daily["failure_demand_share"].isna().all()
    # contacts, some about a defect: a share; a day without contacts has none
    text = base(horizon="7d", extra="""
root_causes: {bug: {reason: billing, per_1000_per_day: 5, appears: 3d}}
value_demand: {faq: {reason: general, per_1000_per_day: 5}}
""")
    measured = measure(simulate(scenario_from(text), 0), "x")
    assert 0 < measured.summary["failure_demand_share"] < 1
    daily = measured.daily
    assert (daily.loc[daily["day"] < 3, "failure_demand_share"] == 0).all()
    assert (daily.loc[daily["day"] > 3, "failure_demand_share"] > 0).all()
    # without customers, no contact is about a defect: 0, or undefined when there was no contact
    text = base().replace("customers: {count: 10000}\n", "").replace("billing: {}", "billing: {arrivals_per_hour: 0}")
    summary = measure(simulate(scenario_from(text), 0), "x").summary
    assert summary["calls"] == 0 and math.isnan(summary["failure_demand_share"])
    summary = measure(simulate(scenario_from(text.replace("arrivals_per_hour: 0", "arrivals_per_hour: 5")), 0),
                      "x").summary
    assert summary["calls"] > 0 and summary["failure_demand_share"] == 0


def test_web_self_service_deflects_its_share_of_value_demand_before_any_contact():
    text = base(extra="""
value_demand:
  questions: {reason: general, per_1000_per_day: 10}
web_self_service: {deflection: {general: 0.3}, cost_per_use: 0.5}
""")
    result = simulate(scenario_from(text), 0)
    problems = result.prevention.problems
    web = problems["outcome"] == ProblemOutcome.WEB
    assert web.mean() == pytest.approx(0.3, abs=0.02)
    assert (problems.loc[web, "contacts"] == 0).all()
    summary = measure(result, "x").summary
    assert summary["web_deflected"] == web.sum()
    assert summary["cost_web"] == pytest.approx(0.5 * web.sum())


def test_field_visits_resolve_problems_after_their_response_time():
    text = base(extra="""
root_causes:
  wrong_part:
    reason: billing
    per_1000_per_day: 2
    field_visit: {probability: 0.5, response: {dist: constant, value: 24h}, cost: 100, resolve_probability: 1}
""")
    result = simulate(scenario_from(text), 0)
    problems = result.prevention.problems
    field = problems[problems["outcome"] == ProblemOutcome.FIELD]
    phone = problems[problems["outcome"] == ProblemOutcome.RESOLVED]
    assert len(field) == pytest.approx(len(problems) * 0.5, rel=0.15)
    assert (field["field_visits"] == 1).all()
    assert (field["t_end"] - field["t_first_contact"] >= 24 * HOUR).all()
    summary = measure(result, "x").summary
    visits_in = field[field["t_end"] < 28 * DAY]
    assert summary["field_visits"] == len(visits_in)
    assert summary["cost_field"] == 100 * len(visits_in)
    assert summary["mean_time_to_resolution_h"] > (phone["t_end"] - phone["t_onset"]).mean() / HOUR


# ------------------------------------------------------------------------------ incidents


INCIDENT = base(horizon="14d", customers=20000, extra="""
incidents:
  outage: {at: 3d, duration: 6h, affected: 0.2, reason: general, contact_probability: 0.6,
           contact_delay: {dist: exponential, mean: 20m}}
notifications: {cost_per_notice: 0.04, contact_reduction: 0.5}
strategies:
  silent: {}
  notify: {incidents: {outage: {notify: true}}}
""")


def test_proactive_notice_costs_a_notice_per_customer_hit_and_spares_would_be_callers():
    loaded = study(INCIDENT)
    results = {name: simulate(scenario, 0) for name, scenario in loaded.strategies.items()}
    silent, notify = (results[name].prevention.problems for name in ("silent", "notify"))
    # the same customers are hit at the same moments
    pd.testing.assert_series_equal(silent["customer"], notify["customer"])
    hit = len(silent)
    assert hit == pytest.approx(0.2 * 20000, rel=0.05)
    assert silent["t_onset"].between(3 * DAY, 3 * DAY + 6 * HOUR).all()
    called_silent = silent["contacts"] > 0
    called_notify = notify["contacts"] > 0
    assert called_silent.mean() == pytest.approx(0.6, abs=0.03)
    assert called_notify.mean() == pytest.approx(0.3, abs=0.03)
    # common random numbers: everyone who calls after a notice would have called without one
    assert not (called_notify & ~called_silent).any()
    summaries = {name: measure(result, name).summary for name, result in results.items()}
    assert summaries["silent"]["notifications"] == 0
    assert summaries["notify"]["notifications"] == hit
    assert summaries["notify"]["cost_notifications"] == pytest.approx(0.04 * hit)


def test_an_incident_hits_its_share_of_every_segment_and_tells_exactly_those_hit():
    # problem_factor scales causes' rates, not an incident's reach: a segment with factor 0 was told of
    # an outage that gave its customers no problem
    text = INCIDENT.replace("customers: {count: 20000}", "customers: {count: 20000, segments: {calm: "
                            "{share: 0.5, problem_factor: 0}, busy: {share: 0.5, problem_factor: 2}}}")
    loaded = study(text)
    results = {name: simulate(scenario, 0) for name, scenario in loaded.strategies.items()}
    silent, notify = (results[name].prevention.problems for name in ("silent", "notify"))
    pd.testing.assert_series_equal(silent["customer"], notify["customer"])  # the same customers hit
    segment = np.asarray(results["silent"].prevention.population.segment)
    for code in (0, 1):
        hit = np.sum(segment[silent["customer"].to_numpy()] == code)
        assert hit == pytest.approx(0.2 * np.sum(segment == code), rel=0.08)
    assert len(results["notify"].prevention.notices) == len(notify)


def test_random_incidents_happen_at_their_rate():
    text = base(horizon="300d", customers=1000, extra="""
incidents:
  glitch: {per_30_days: 2, duration: 1h, affected: 0.01, reason: general, contact_probability: 0}
""")
    counts = []
    for replication in range(int(6 * SIZE)):
        counts.append(len(simulate(scenario_from(text), replication).prevention.incidents))
    mean, low, high = t_interval(counts)
    assert low <= 20 <= high


# ---------------------------------------------------------------------- the demand clock


def test_contacts_follow_the_intraday_profile_whatever_the_delay():
    from scipy import stats

    text = base(horizon="28d", customers=20000, extra="""
calendar: {intraday: bank_weekday}
value_demand:
  questions: {reason: general, per_1000_per_day: 10, contact_delay: {dist: exponential, mean: 1.7d}}
""")
    contacts = simulate(scenario_from(text), 0).contacts
    first = contacts[(contacts["t_arrive"] >= 3 * DAY)]
    slot = ((first["t_arrive"] % DAY) // 1800).astype(int)
    observed = np.bincount(slot, minlength=48)
    shares = intraday_shares("bank_weekday")
    expected = shares * observed.sum()
    keep = expected >= 5
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 0.001


def test_demand_clock_maps_real_time_and_back():
    clock = DemandClock(intraday_shares("bank_weekday"), np.array([1.25, 1, 1, 1, 1.05, 0.5, 0.3]),
                        np.ones(21))
    for t in (0.0, 3.7 * HOUR, 10 * HOUR + 5, 5 * DAY + 12 * HOUR, 13 * DAY):
        assert clock.real(clock.clock(t)) == pytest.approx(t) or clock.slot_lengths[int(t // 1800)] == 0
    # a day of weight 1 is one clock-day: a day's delay from Tuesday 10:00 lands on Wednesday 10:00
    assert clock.later(DAY + 10 * HOUR, DAY) == pytest.approx(2 * DAY + 10 * HOUR)
    many = np.array([0.5, 2.0, 3.5]) * DAY
    assert np.allclose(clock.real_many(clock.clock_many(many)), many)


def test_working_hours_count_only_open_time():
    hours = OpeningHours({"weekdays": "09:00-17:00"})
    assert hours.open_seconds(7 * DAY) == 40 * HOUR
    assert hours.after_open_seconds(0.0, 40 * HOUR) == 4 * DAY + 17 * HOUR
    assert hours.after_open_seconds(4 * DAY + 16 * HOUR, 2 * HOUR) == 7 * DAY + 10 * HOUR
    assert hours.after_open_seconds(5 * DAY, HOUR) == 7 * DAY + 10 * HOUR


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("extra, expected", [
    ("root_causes: {x: {reason: billing, per_1000_per_day: 1}}\n", "root_causes: needs a customers section"),
    ("customers: {count: 10}\nroot_causes: {x: {reason: biling, per_1000_per_day: 1}}\n",
     "root_causes.x.reason: a reason of demand: one of billing (got 'biling') (did you mean 'billing'?)"),
    ("customers: {count: 10}\nroot_causes: {x: {reason: billing, per_1000_per_day: -1}}\n",
     "root_causes.x.per_1000_per_day: must be >= 0 (got -1)"),
    ("customers: {count: 10}\nroot_causes: {x: {reason: billing, per_1000_per_day: 1, "
     "follow_on: {cause: y, probability: 0.5, delay: {dist: constant, value: 1d}}}}\n",
     "root_causes.x.follow_on.cause: a root cause: one of x (got 'y')"),
    ("customers: {count: 10, segments: {a: {share: 0.5}, b: {share: 0.4}}}\n",
     "customers.segments: shares that sum to 1 (got 0.9)"),
    ("customers: {count: 10}\nincidents: {o: {at: 1d, per_30_days: 1, duration: 1h, affected: 0.1, "
     "reason: billing}}\n", "incidents.o: exactly one of at (a scheduled incident) or per_30_days"),
    ("customers: {count: 10}\noperations: {tagging_accuracy: 1.5}\n",
     "operations.tagging_accuracy: must be <= 1 (got 1.5)"),
    # one name per cause across the catalogues, none like the names new defects get
    ("customers: {count: 10}\nroot_causes: {x: {reason: billing, per_1000_per_day: 1}}\n"
     "value_demand: {x: {reason: billing, per_1000_per_day: 1}}\n",
     "bad.yaml:7:16: value_demand.x: a name no other cause has: root_causes, value_demand and incidents share "
     "the outputs' rows by name (got 'x', also root_causes.x)"),
    ("customers: {count: 10}\nvalue_demand: {x: {reason: billing, per_1000_per_day: 1}}\n"
     "incidents: {x: {at: 1d, duration: 1h, affected: 0.1, reason: billing}}\n",
     "bad.yaml:7:13: incidents.x: a name no other cause has: root_causes, value_demand and incidents share "
     "the outputs' rows by name (got 'x', also value_demand.x)"),
    ("customers: {count: 10}\nroot_causes: {new-3: {reason: billing, per_1000_per_day: 1}}\n"
     "new_causes: {per_30_days: 1, reasons: {billing: 1}, per_1000_per_day: {dist: constant, value: 1}}\n",
     "bad.yaml:6:15: root_causes.new-3: a name not of the form new-<number>: new_causes names the defects it "
     "creates new-1, new-2, ... (got 'new-3')"),
    # new causes' rates: the root causes' bound, and plain numbers (a duration is not a rate)
    ("customers: {count: 10}\nnew_causes: {per_30_days: 1, reasons: {billing: 1}, "
     "per_1000_per_day: {dist: constant, value: 1000000000}}\n",
     "bad.yaml:6:95: new_causes.per_1000_per_day.value: must be <= 1000000 (got 1000000000)"),
    ("customers: {count: 10}\nnew_causes: {per_30_days: 1, reasons: {billing: 1}, "
     "per_1000_per_day: {dist: empirical, values: [1, 2000000.0]}}\n",
     "new_causes.per_1000_per_day.values[1]: must be <= 1000000 (got 2000000)"),
    ("customers: {count: 10}\nnew_causes: {per_30_days: 1, reasons: {billing: 1}, "
     "per_1000_per_day: {dist: lognormal, mean: 3h, cv: 1}}\n",
     "bad.yaml:6:95: new_causes.per_1000_per_day.mean: a plain number (a rate per 1000 customers per day, "
     "not a duration or text) (got '3h')"),
])
def test_bad_prevention_input_gets_one_clear_line(extra, expected):
    text = """
horizon: 10d
demand: {billing: {}}
agents: {a: {headcount: 1, serves: [billing], handle_time: {dist: constant, value: 1m}}}
""" + extra
    with pytest.raises(ScenarioError) as error:
        load_text(text, "bad.yaml")
    assert any(expected in line for line in error.value.lines), error.value.lines


def test_a_new_cause_drawn_above_the_rate_bound_counts_at_the_bound():
    text = base(horizon="1d", customers=1, extra="""
new_causes: {per_30_days: 600, reasons: {billing: 1}, contact_probability: 0,
             per_1000_per_day: {dist: lognormal, median: 300000, sigma: 3}}
""")
    causes = simulate(scenario_from(text), 0).prevention.causes
    assert len(causes) > 5 and causes["per_1000_per_day"].max() == 1e6 > causes["per_1000_per_day"].min()


def test_follow_on_cycles_must_end():
    head = """
horizon: 10d
customers: {count: 10}
demand: {billing: {}}
agents: {a: {headcount: 1, serves: [billing], handle_time: {dist: constant, value: 1m}}}
root_causes:
"""

    def cycle(first_delay, second_delay, probability=1):
        return head + (
            f"  a: {{reason: billing, per_1000_per_day: 1, follow_on: {{cause: b, probability: {probability}, "
            f"delay: {first_delay}}}}}\n"
            f"  b: {{reason: billing, per_1000_per_day: 1, follow_on: {{cause: a, probability: 1, "
            f"delay: {second_delay}}}}}\n")

    zero, exponential = "{dist: constant, value: 0}", "{dist: exponential, mean: 1d}"
    # every probability 1 and delays that can all be 0 (or come arbitrarily close): could never end
    for text in (cycle(zero, zero), cycle(zero, exponential),
                 head + "  a: {reason: billing, per_1000_per_day: 1, follow_on: {cause: a, probability: 1, "
                        "delay: {dist: uniform, low: 0, high: 1d}}}\n"):
        with pytest.raises(ScenarioError) as error:
            load_text(text, "bad.yaml")
        assert len(error.value.lines) == 1
        assert error.value.lines[0].startswith("bad.yaml:7:")
        assert "root_causes.a.follow_on: a follow-on cycle that ends: a link with a probability below 1, or a " \
               "delay that is never near 0" in error.value.lines[0]
        assert "(got a -> b -> a: every probability 1" in error.value.lines[0] or "(got a -> a:" in error.value.lines[0]
    # a link below 1, or a delay with a positive smallest value, ends (or laps at most once per that time)
    load_text(cycle(zero, zero, probability=0.5), "ok.yaml")
    load_text(cycle(zero, "{dist: constant, value: 1h}"), "ok.yaml")
    load_text(cycle(zero, "{dist: empirical, values: [1h, 2h]}"), "ok.yaml")


def test_with_customers_demand_has_no_rates_of_its_own():
    text = """
horizon: 10d
customers: {count: 10}
demand: {billing: {arrivals_per_hour: 5}}
agents: {a: {headcount: 1, serves: [billing], handle_time: {dist: constant, value: 1m}}}
"""
    with pytest.raises(ScenarioError) as error:
        load_text(text, "bad.yaml")
    assert "bad.yaml:4:" in error.value.lines[0] and "demand.billing: no arrivals_per_hour" in error.value.lines[0]


# ---------------------------------------------------------------------------- the run folder


def test_run_writes_root_causes_fixes_and_the_problem_log(cli, tmp_path):
    scenario = tmp_path / "fix.yaml"
    scenario.write_text(FIXED.replace("horizon: 56d", "horizon: 21d\nreplications: 2"))
    out = tmp_path / "out"
    status, stdout, stderr = cli("run", scenario, "--out", out, "--jobs", "1", "--quiet", "--log", "problems")
    assert status == 0, stderr
    assert "Problems and prevention" in stdout
    causes = pd.read_csv(out / "root_causes.csv")
    assert list(causes["cause"]) == ["invoice", "invoice"]
    assert np.allclose(causes["fixed_at_day"], 8 + 17 / 24)
    fixes = pd.read_csv(out / "fixes.csv")
    assert list(fixes.columns) == ["strategy", "replication", "cause", "started_day", "finished_day",
                                   "engineer_hours", "per_1000_per_day_before", "per_1000_per_day_after"]
    assert list(fixes["per_1000_per_day_after"]) == [4.0, 4.0]
    problems = pd.read_parquet(out / "problems.parquet")
    summary = pd.read_csv(out / "summary.csv")
    assert len(problems[problems["replication"] == 0]) == summary["problems"][0]
    assert set(problems["outcome"]) <= {"resolved", "gave_up", "open_at_horizon"}
    assert summary["fixes_completed"].tolist() == [1, 1]
    assert summary["ops_hours"].tolist() == [16.0, 16.0]
    assert summary["cost_ops"].tolist() == [16 * 90.0] * 2


def test_root_causes_count_every_contact_of_the_window_even_of_problems_that_began_before_it():
    # problems of the first days are contacted about five days later, inside the window; the
    # outage's problems all begin before it
    text = base(horizon="12d", customers=5000, extra="""
warmup: 5d
root_causes:
  invoice: {reason: billing, per_1000_per_day: 4, contact_probability: 1,
            contact_delay: {dist: constant, value: 5d}}
value_demand:
  questions: {reason: general, per_1000_per_day: 2}
incidents:
  outage: {at: 2d, duration: 2h, affected: 0.05, reason: billing, contact_probability: 0.5,
           contact_delay: {dist: constant, value: 4d}}
""")
    result = simulate(scenario_from(text), 0)
    measured = measure(result, "base")
    causes = measured.root_causes.set_index("cause")
    contacts = result.contacts[result.contacts["t_arrive"] >= 5 * DAY]
    log = result.prevention.problems.set_index("problem")
    of_cause = log.loc[contacts["problem"], "cause"].to_numpy()
    for code, name in enumerate(["invoice", "questions", "outage"]):
        assert causes.loc[name, "contacts"] == np.sum(of_cause == code) > 0
    assert causes["contacts"].sum() == measured.summary["calls"] == len(contacts)
    # problems begun before the window are not counted, their contacts in it are
    assert causes.loc["outage", "problems"] == 0
    assert causes.loc["invoice", "problems"] < causes.loc["invoice", "contacts"]


def test_log_problems_needs_customers(cli, tmp_path):
    scenario = tmp_path / "plain.yaml"
    scenario.write_text("""
horizon: 1d
demand: {general: {arrivals_per_hour: 10}}
agents: {a: {headcount: 2, serves: [general], handle_time: {dist: exponential, mean: 5m}}}
""")
    status, _, stderr = cli("run", scenario, "--out", tmp_path / "out", "--log", "problems")
    assert status == 2 and "needs a scenario with customers" in stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------ properties (hypothesis)

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
import yaml  # noqa: E402


@settings(max_examples=int(12 * SIZE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), contact=st.floats(0, 1), accuracy=st.floats(0, 1),
       engineers=st.integers(0, 3), web=st.floats(0, 1), visit=st.floats(0, 1), again=st.floats(0, 1),
       redial=st.floats(0, 1), agents=st.integers(1, 6), acquisition=st.floats(0, 20),
       notify=st.booleans(), ivr=st.booleans(), resolve=st.floats(0.2, 1))
def test_problems_and_customers_are_conserved_whatever_happens(seed, contact, accuracy, engineers, web, visit,
                                                                again, redial, agents, acquisition, notify,
                                                                ivr, resolve):
    document = {
        "horizon": "16d", "warmup": "2d", "seed": seed,
        "calendar": {"intraday": "bank_weekday", "weekday": "western"},
        "customers": {"count": 3000, "acquisition_per_day": acquisition,
                      "segments": {"a": {"share": 0.7}, "b": {"share": 0.3, "problem_factor": 2, "patience_factor": 2}}},
        "demand": {"billing": {}, "tech": {}},
        "agents": {"front": {"headcount": agents, "serves": ["billing", "tech"], "resolve_probability": resolve,
                             "handle_time": {"dist": "lognormal", "mean": 300, "cv": 1},
                             "after_call_work": {"dist": "constant", "value": 20}}},
        "patience": {"dist": "exponential", "mean": 300},
        "root_causes": {
            "bug": {"reason": "tech", "per_1000_per_day": 3, "contact_probability": contact,
                    "contact_delay": {"dist": "exponential", "mean": 43200},
                    "fix_effort": {"dist": "constant", "value": 36000},
                    "field_visit": {"probability": visit, "response": {"dist": "constant", "value": 7200},
                                    "resolve_probability": 0.7}},
            "invoice": {"reason": "billing", "per_1000_per_day": 2, "contact_probability": contact,
                        "follow_on": {"cause": "bug", "probability": 0.5, "delay": {"dist": "constant", "value": 86400}}},
        },
        "value_demand": {"faq": {"reason": "billing", "per_1000_per_day": 4}},
        "web_self_service": {"deflection": {"billing": web}},
        "new_causes": {"per_30_days": 4, "reasons": {"billing": 1, "tech": 1},
                       "per_1000_per_day": {"dist": "exponential", "mean": 1}},
        "operations": {"engineers": engineers, "tagging_accuracy": accuracy, "review_every": "3d"},
        "incidents": {"outage": {"at": "5d", "duration": "4h", "affected": 0.1, "reason": "tech",
                                 "contact_probability": 0.5, "notify": notify}},
        "call_again": {"probability": again, "delay": {"dist": "exponential", "mean": 20000}},
        "redial": {"probability": redial, "delay": {"dist": "exponential", "mean": 1800}},
    }
    if ivr:
        document["ivr"] = {"entry": "main", "hangup": 0.05, "menus": {"main": {
            "prompt": {"dist": "constant", "value": 20},
            "options": {"1": {"queue": "billing"}, "2": {"queue": "tech"}},
            "choice": {"billing": {"1": 0.9, "2": 0.1}, "tech": {"1": 0.2, "2": 0.8}}}}}
    result = simulate(scenario_from(yaml.safe_dump(document)))
    problems, contacts = result.prevention.problems, result.contacts
    # every problem ends exactly once; every contact is about a recorded problem of its customer
    assert problems["problem"].is_unique
    assert list(contacts["contact"]) == list(range(len(contacts)))
    owner = problems.set_index("problem")["customer"]
    assert (owner.reindex(contacts["problem"]).to_numpy() == contacts["customer"].to_numpy()).all()
    recorded = problems.set_index("problem")["contacts"]
    per_problem = contacts.groupby("problem").size()
    assert (recorded.reindex(per_problem.index) == per_problem).all()
    assert (recorded.drop(per_problem.index) == 0).all()
    # times are ordered, resolution only after the onset
    assert (problems["t_end"] >= problems["t_onset"]).all()
    first = problems.dropna(subset=["t_first_contact"])
    assert (first["t_first_contact"] >= first["t_onset"]).all()
    # a landed fix only ever lowers a rate; tags only with accuracy
    assert contacts["tagged"].sum() == 0 or accuracy > 0
    summary = measure(result, "x").summary
    assert summary["customers_end"] == summary["customers_start"] + summary["customers_acquired"] - summary["customers_left"]
    assert 0 <= summary["occupancy"] <= 1
    assert summary["fixes_completed"] <= engineers * 16

"""The simulator against the exact Erlang A / Erlang C formulas (sim/erlang.py).

For each parameter set (small and large n, under- and overload, short and long patience, and no
patience at all), the exact value must lie inside the 99% confidence interval of the replications
for P(abandon), ASA and service level, and each interval must be narrow enough to mean something:
half-width under 10% of the exact value, or under 0.005 for a probability.

Each of the 18 checks has a 1% false-alarm rate, so about one seed in six would fail one check by
chance; the seed is fixed (2026). A deeper run (``CONTACTSIM_TEST_SIZE=20``: 200 replications) of
the reference case showed no bias: every metric within 1.2 standard errors of the exact value.
"""

import math

import numpy as np
import pytest
import yaml
from scipy import stats

from sim.runner import Task, run_tasks
from sim.textbook import textbook_figures

from conftest import SIZE, scenario_from

CASES = {
    "reference_114_per_hour_10_agents": dict(rate=114, aht="5m", n=10, patience="2m", horizon="20d", warmup="1d"),
    "two_agents_long_patience": dict(rate=27, aht="4m", n=2, patience="10m", horizon="60d", warmup="1d"),
    "250_agents_critical_load": dict(rate=3000, aht="5m", n=250, patience="3m", horizon="2d", warmup="2h"),
    "overload_1.3_short_patience": dict(rate=260, aht="6m", n=20, patience="1m", horizon="5d", warmup="2h"),
    "erlang_c_no_patience": dict(rate=204, aht="3m", n=12, patience=None, horizon="20d", warmup="1d"),
    "50_agents_patience_30m": dict(rate=582, aht="5m", n=50, patience="30m", horizon="10d", warmup="1d"),
}
REPLICATIONS = max(5, round(10 * SIZE))


def _scenario(case):
    document = {
        "horizon": case["horizon"], "warmup": case["warmup"], "seed": 2026,
        "demand": {"calls": {"arrivals_per_hour": case["rate"]}},
        "agents": {"desk": {"headcount": case["n"], "serves": ["calls"],
                            "handle_time": {"dist": "exponential", "mean": case["aht"]}}},
    }
    if case["patience"]:
        document["patience"] = {"dist": "exponential", "mean": case["patience"]}
    return scenario_from(yaml.safe_dump(document))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_simulation_agrees_with_exact_formula(name):
    scenario = _scenario(CASES[name])
    exact = textbook_figures(scenario)
    assert exact is not None
    rows = [r.summary for r in run_tasks([Task(name, k, scenario) for k in range(REPLICATIONS)], jobs=2)]
    quantile = stats.t.ppf(0.995, REPLICATIONS - 1)
    for metric, probability in (("p_abandon", True), ("asa_s", False), ("service_level", True)):
        values = np.array([row[metric] for row in rows])
        value = getattr(exact, metric)
        if metric == "p_abandon" and value == 0:
            assert (values == 0).all()
            continue
        mean = values.mean()
        half = quantile * values.std(ddof=1) / math.sqrt(len(values))
        assert abs(mean - value) <= half, f"{metric}: exact {value:.5f} outside {mean:.5f} +- {half:.5f}"
        assert half < 0.1 * value or (probability and half < 0.005), (
            f"{metric}: 99% CI half-width {half:.5f} too wide to mean anything (exact {value:.5f})")


def test_textbook_reference_only_for_textbook_scenarios():
    base = CASES["reference_114_per_hour_10_agents"]
    assert textbook_figures(_scenario(base)).p_abandon == pytest.approx(0.13124100059, rel=1e-9)
    lognormal = _scenario(base).model_copy(update={})
    text = yaml.safe_dump({"horizon": "1d", "demand": {"c": {"arrivals_per_hour": 10}},
                           "agents": {"d": {"headcount": 2, "serves": ["c"],
                                            "handle_time": {"dist": "lognormal", "mean": 60, "cv": 1}}}})
    assert textbook_figures(scenario_from(text)) is None
    assert lognormal is not None

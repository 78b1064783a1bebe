"""Durations and distributions: parsing, parameters, exact draws and normal-score quantiles."""

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from sim.distributions import Distribution
from sim.units import format_duration, parse_duration

DIST = TypeAdapter(Distribution)


@pytest.mark.parametrize("text, seconds", [
    (90, 90.0), (2.5, 2.5), ("45s", 45.0), ("5m", 300.0), ("2.5h", 9000.0), ("30d", 2592000.0),
    ("1.5d", 129600.0), ("2w", 1209600.0), (" 7 m ", 420.0), ("0", 0.0), ("1e3s", 1000.0),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5x", "m", "", "5 minutes", True, None, [1], "nan", "inf"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="a duration"):
        parse_duration(text)


@pytest.mark.parametrize("seconds, text", [
    (300, "5m"), (20, "20s"), (86400, "1d"), (129600, "1.5d"), (9000, "2.5h"), (604800, "7d"), (0, "0s"),
])
def test_format_duration_round_trips(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(format_duration(seconds)) == seconds


CASES = [
    ({"dist": "exponential", "mean": "5m"}, 300.0, 300.0),
    ({"dist": "lognormal", "mean": 180, "cv": 0.9}, 180.0, 162.0),
    ({"dist": "lognormal", "median": 40, "sigma": 0.6}, 40 * math.exp(0.18), None),
    ({"dist": "gamma", "mean": 60, "cv": 0.5}, 60.0, 30.0),
    ({"dist": "weibull", "shape": 0.66, "scale": 630}, 630 * math.gamma(1 + 1 / 0.66), None),
    ({"dist": "constant", "value": "1m"}, 60.0, 0.0),
    ({"dist": "uniform", "low": 10, "high": 30}, 20.0, 20 / math.sqrt(12)),
    ({"dist": "empirical", "values": [10, 20, 60]}, 30.0, None),
]


@pytest.mark.parametrize("spec, mean, sd", CASES)
def test_sampler_and_from_normal_agree_with_the_distribution(spec, mean, sd):
    dist = DIST.validate_python(spec)
    assert dist.mean_value == pytest.approx(mean)
    rng = np.random.default_rng(3)
    draw = dist.sampler(rng)
    sample = np.array([draw() for _ in range(40_000)])
    from_z = dist.from_normal()
    mapped = np.array([from_z(z) for z in np.random.default_rng(4).standard_normal(40_000)])
    for values in (sample, mapped):
        # mean within 5 standard errors (or exact for constants)
        spread = values.std() / math.sqrt(len(values))
        assert abs(values.mean() - mean) <= 5 * spread + 1e-9
        if sd is not None:
            assert values.std() == pytest.approx(sd, rel=0.05, abs=1e-9)
    if spec["dist"] not in ("constant", "empirical"):
        # the two ways draw the same distribution (two-sample Kolmogorov-Smirnov)
        assert stats.ks_2samp(sample, mapped).pvalue > 0.001


def test_from_normal_is_monotone_so_a_complex_call_is_long_everywhere():
    for spec, _, _ in CASES:
        f = DIST.validate_python(spec).from_normal()
        values = [f(z) for z in np.linspace(-6, 6, 101)]
        assert all(b >= a for a, b in zip(values, values[1:])), spec


def test_exponential_from_normal_is_exact_in_the_tail():
    f = DIST.validate_python({"dist": "exponential", "mean": 1}).from_normal()
    # P(X > x) = exp(-x): z = Phi^-1(1 - exp(-30)) maps to 30
    z = stats.norm.isf(math.exp(-30))
    assert f(z) == pytest.approx(30, rel=1e-9)
    assert math.isfinite(f(40.0))


@pytest.mark.parametrize("spec, fragment", [
    ({"dist": "exponential", "mean": 0}, "greater than 0"),
    ({"dist": "exponential", "mean": "-5m"}, "greater than 0"),
    ({"dist": "lognormal", "mean": 10}, "exactly one of 'cv' or 'sigma'"),
    ({"dist": "lognormal", "mean": 10, "median": 5, "cv": 1}, "exactly one of 'mean' or 'median'"),
    ({"dist": "gamma", "mean": 10, "cv": -1}, "greater than 0"),
    ({"dist": "weibull", "shape": 0, "scale": 10}, "greater than 0"),
    ({"dist": "uniform", "low": 30, "high": 10}, "low <= high"),
    ({"dist": "empirical", "values": []}, "at least 1"),
    ({"dist": "exponential", "mean": 5, "cv": 1}, "Extra inputs"),
    ({"dist": "poisson", "mean": 5}, "does not match any of the expected tags"),
])
def test_each_distribution_validates_its_parameters(spec, fragment):
    with pytest.raises(ValidationError, match=fragment):
        DIST.validate_python(spec)

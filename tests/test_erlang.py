"""Tests for sim.erlang: published Erlang B/C values, and Erlang A against independent computations.

No published Erlang A figures were found to pin, so Erlang A is checked against computations
written here that share no code with the module:

- a dense generator of the birth-death chain (numbers in system), solved with numpy;
- the M/M/n+G virtual-wait formulas (Baccelli & Hebuterne 1981; Mandelbaum & Zeltyn, "The
  M/M/n+G queue: summary of performance measures"): for ``x > 0`` the offered wait has density
  ``lam pi_{n-1} exp(lam H(x) - n mu x)``, ``H(x) = int_0^x P(patience > u) du``, integrated with
  ``scipy.integrate.quad``;
- a direct uniformisation of the phase chain and the M/M/inf limit ``theta = mu``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import gammaln
from scipy.stats import poisson

from sim import erlang
from sim.erlang import QueueFigures, erlang_a, erlang_b, erlang_c

HOUR = 3600.0


# --------------------------------------------------------------------------- independent helpers


def dense_ctmc(lam: float, mu: float, theta: float, n: int, extra: int) -> np.ndarray:
    """Stationary distribution of the number in system, states 0 .. n + extra, dense generator."""
    size = n + extra + 1
    q = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = mu * min(k, n) + theta * max(k - n, 0)
        q[k, k] = -q[k].sum()
    system = q.T.copy()
    system[-1, :] = 1.0  # replace one balance equation by sum(pi) = 1
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    return np.linalg.solve(system, rhs)


def ctmc_figures(lam, mean_service, n, mean_patience, extra=None):
    mu, theta = 1.0 / mean_service, 1.0 / mean_patience
    if extra is None:
        queue_scale = lam * mean_patience
        extra = int(queue_scale + 15 * math.sqrt(queue_scale) + 100)
    pi = dense_ctmc(lam, mu, theta, n, extra)
    k = np.arange(pi.size)
    lq = float(pi @ np.maximum(k - n, 0))
    return {
        "p_wait": float(pi[n:].sum()),
        "mean_queue_length": lq,
        "p_abandon": theta * lq / lam,
        "occupancy": float(pi @ np.minimum(k, n)) / n,
    }


def virtual_wait_figures(lam, mean_service, n, mean_patience, threshold):
    """Erlang A figures from the M/M/n+G offered-wait density, by numerical integration."""
    mu, theta = 1.0 / mean_service, 1.0 / mean_patience

    def density(x):  # offered-wait density for x > 0, divided by lam * pi_{n-1}
        return math.exp(lam * -math.expm1(-theta * x) / theta - n * mu * x)

    # The density peaks where lam exp(-theta x) = n mu, and has fallen by e^-70 a distance
    # 1/theta + 70/(n mu) past its peak: integrate on both sides of the peak, up to there.
    peak = max(math.log(lam / (n * mu)), 0.0) / theta
    end = peak + 1.0 / theta + 70.0 / (n * mu)

    def integral(f, upper=end):
        pieces = [(0.0, min(peak, upper)), (min(peak, upper), min(end, upper))]
        return sum(
            quad(f, lo, hi, epsabs=0.0, epsrel=1e-12, limit=400)[0] for lo, hi in pieces if hi > lo
        )

    a = lam / mu
    below = sum(math.exp((k - n + 1) * math.log(a) + gammaln(n) - gammaln(k + 1)) for k in range(n))
    mass = integral(density)
    scale = lam / (below + lam * mass)  # lam * pi_{n-1}
    p_wait = scale * mass
    p_abandon = scale * integral(lambda x: density(x) * -math.expm1(-theta * x))
    served_wait = scale * integral(lambda x: x * math.exp(-theta * x) * density(x))
    mean_wait = scale * integral(lambda x: density(x) * -math.expm1(-theta * x) / theta)
    within = scale * integral(lambda x: math.exp(-theta * x) * density(x), threshold)
    return {
        "p_wait": p_wait,
        "p_abandon": p_abandon,
        "asa_s": served_wait / (1.0 - p_abandon),
        "mean_wait_s": mean_wait,
        "service_level": 1.0 - p_wait + within,
    }


def assert_figures(figures: QueueFigures, expected: dict, rel: float, abs_: float = 0.0) -> None:
    for name, value in expected.items():
        assert getattr(figures, name) == pytest.approx(value, rel=rel, abs=abs_), name


# --------------------------------------------------------------------------- Erlang B


def test_erlang_b_textbook_value():
    # Erlang B table: 10 Erlangs offered to 15 lines are blocked 3.65% of the time.
    assert erlang_b(10.0, 15) == pytest.approx(0.03650, abs=5e-5)


@pytest.mark.parametrize(
    ("lines", "erlangs"),
    # Lucent "Erlang-B capacity table, 2% blocking" (traffic rounded to 3 decimals), reproduced at
    # http://garywagoner.tripod.com/traffic/ERLANG.HTML (its row "61 50.389" is a misprint of
    # 50.589 and is left out; its row for 1 channel is too coarsely rounded to pin).
    [(5, 1.657), (15, 9.010), (31, 22.827), (89, 77.342)],
)
def test_erlang_b_two_percent_table(lines, erlangs):
    assert erlang_b(erlangs, lines) == pytest.approx(0.02, abs=2e-4)


def test_erlang_b_one_percent_example():
    # Westbay calculator manual, "How much traffic?": 15 lines at 1% blocking carry 8.108 Erlangs.
    # https://erlang.com/calculatormanual/howmuchtrafficcanatrunkgrouphandle.htm
    assert erlang_b(8.108, 15) == pytest.approx(0.01, abs=2e-5)


def test_erlang_b_closed_form_and_edges():
    a = 3.7
    for n in range(0, 12):
        terms = [a**k / math.factorial(k) for k in range(n + 1)]
        assert erlang_b(a, n) == pytest.approx(terms[-1] / sum(terms), rel=1e-13)
    assert erlang_b(0.0, 3) == 0.0
    assert erlang_b(5.0, 0) == 1.0
    # Large groups: the recursion stays in [0, 1] where factorials overflow.
    assert 0.0 < erlang_b(1950.0, 2000) < 0.02
    assert erlang_b(3000.0, 2000) == pytest.approx(1 - 2000 / 3000, abs=1e-3)


# --------------------------------------------------------------------------- Erlang C


def test_erlang_c_published_example():
    # R package ErlangC 0.1.0 README (https://rdocumentation.org/packages/ErlangC/versions/0.1.0),
    # the Call Centre Helper worked example: 100 calls per 30 minutes, AHT 180 s, 14 agents,
    # target 20 s -> wait probability 0.1741319, service level 0.88835,
    # ASA 7.83593701177724 s, occupancy 0.7142857.
    fig = erlang_c(100 / 1800, 180.0, 14, threshold_s=20.0)
    assert fig.offered_load == pytest.approx(10.0)
    assert fig.p_wait == pytest.approx(0.1741319, abs=5e-8)
    assert fig.service_level == pytest.approx(0.88835, abs=5e-6)
    assert fig.asa_s == pytest.approx(7.83593701177724, rel=1e-12)
    assert fig.occupancy == pytest.approx(0.7142857, abs=5e-8)
    assert fig.p_abandon == 0.0
    assert fig.mean_wait_s == fig.asa_s
    assert fig.mean_queue_length == pytest.approx(fig.arrival_rate * fig.asa_s)


def test_erlang_c_more_agents_in_the_same_example():
    figures = [erlang_c(100 / 1800, 180.0, n) for n in range(11, 18)]
    for fewer, more in zip(figures, figures[1:]):
        assert more.p_wait < fewer.p_wait
        assert more.asa_s < fewer.asa_s
        assert more.service_level > fewer.service_level


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, 0.99])
def test_erlang_c_single_agent_is_mm1(rho):
    mean_service = 240.0
    mu = 1 / mean_service
    lam = rho * mu
    fig = erlang_c(lam, mean_service, 1, threshold_s=30.0)
    assert fig.p_wait == pytest.approx(rho, rel=1e-12)
    assert fig.asa_s == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert fig.service_level == pytest.approx(1 - rho * math.exp(-(mu - lam) * 30.0), rel=1e-12)
    assert fig.mean_queue_length == pytest.approx(rho**2 / (1 - rho), rel=1e-12)


def test_erlang_c_matches_the_textbook_sum():
    a, n = 7.3, 9
    head = sum(a**k / math.factorial(k) for k in range(n))
    tail = a**n / math.factorial(n) * n / (n - a)
    fig = erlang_c(a / 200.0, 200.0, n)
    assert fig.p_wait == pytest.approx(tail / (head + tail), rel=1e-12)


@pytest.mark.parametrize("load", [10.0, 12.5])
def test_erlang_c_unstable(load):
    fig = erlang_c(load / 300.0, 300.0, 10)
    assert fig.p_wait == 1.0
    assert fig.asa_s == fig.mean_wait_s == fig.mean_queue_length == math.inf
    assert fig.service_level == 0.0
    assert fig.occupancy == 1.0
    assert fig.p_abandon == 0.0


def test_erlang_c_large_group():
    fig = erlang_c(0.98 * 2000 / 300, 300.0, 2000)
    assert 0.0 < fig.p_wait < 1.0
    assert 0.0 < fig.service_level < 1.0
    assert math.isfinite(fig.asa_s) and fig.asa_s > 0


# --------------------------------------------------------------------------- Erlang A


REFERENCE = dict(arrival_rate=114 / HOUR, mean_service_s=300.0, agents=10, mean_patience_s=120.0)
"""The issue's case: 114 calls per hour, AHT 5 minutes, 10 agents, mean patience 2 minutes."""


def test_reference_case_against_independent_computations():
    fig = erlang_a(**REFERENCE, threshold_s=20.0)
    lam, service, n, patience = REFERENCE.values()
    ctmc = ctmc_figures(lam, service, n, patience)
    assert_figures(fig, {k: ctmc[k] for k in ("p_wait", "mean_queue_length", "p_abandon")}, 1e-9)
    assert fig.occupancy == pytest.approx(ctmc["occupancy"], rel=1e-9)
    assert_figures(fig, virtual_wait_figures(lam, service, n, patience, 20.0), 1e-8)
    # Sanity of the orders of magnitude: abandonment ~13%, ASA ~13 s.
    assert 0.12 < fig.p_abandon < 0.14
    assert 10.0 < fig.asa_s < 15.0


@pytest.mark.parametrize(
    ("lam", "service", "n", "patience", "threshold"),
    [
        (114 / HOUR, 300.0, 10, 120.0, 60.0),
        (1 / 60, 50.0, 1, 30.0, 10.0),  # one agent, light load
        (1 / 40, 50.0, 1, 100.0, 45.0),  # one agent, overloaded
        (1 / 20, 60.0, 3, 60.0, 0.0),  # theta = mu
        (0.2, 30.0, 4, 5.0, 2.0),  # impatient, overloaded 1.5x
        (0.05, 180.0, 12, 900.0, 20.0),  # patient, overloaded
    ],
)
def test_erlang_a_against_virtual_wait_integrals(lam, service, n, patience, threshold):
    fig = erlang_a(lam, service, n, patience, threshold_s=threshold)
    assert_figures(fig, virtual_wait_figures(lam, service, n, patience, threshold), 1e-8, 1e-13)
    ctmc = ctmc_figures(lam, service, n, patience)
    assert_figures(fig, {k: ctmc[k] for k in ("p_wait", "mean_queue_length")}, 1e-9)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_erlang_a_brute_force_small_chain(n):
    lam, service, patience = 0.04, 60.0, 45.0
    fig = erlang_a(lam, service, n, patience)
    ctmc = ctmc_figures(lam, service, n, patience, extra=200)
    assert_figures(fig, ctmc, 1e-10)


@pytest.mark.parametrize(("load", "n"), [(0.6, 5), (3.0, 4), (40.0, 50), (80.0, 50)])
def test_erlang_a_patience_equal_to_service_is_m_m_infinity(load, n):
    # theta = mu: every caller leaves at rate mu, waiting or served, so the number in the
    # system is Poisson(a) and it is the M/M/inf queue.
    service = 120.0
    fig = erlang_a(load / service, service, n, service)
    assert fig.p_wait == pytest.approx(poisson.sf(n - 1, load), rel=1e-10)
    k = np.arange(int(load + 20 * math.sqrt(load) + 50))
    excess = float(poisson.pmf(k, load) @ np.maximum(k - n, 0))
    assert fig.mean_queue_length == pytest.approx(excess, rel=1e-10)


@pytest.mark.parametrize(
    ("lam", "service", "n", "patience"),
    [
        (0.8 * 20 / 300, 300.0, 20, 1e9),
        (100 / 1800, 180.0, 14, 1e9),
        (114 / HOUR, 300.0, 10, 1e12),  # load 0.95: the O(theta) gap needs a longer patience
    ],
)
def test_erlang_a_tends_to_erlang_c(lam, service, n, patience):
    a, c = erlang_a(lam, service, n, patience), erlang_c(lam, service, n)
    names = ("p_wait", "asa_s", "mean_wait_s", "service_level", "occupancy", "mean_queue_length")
    for name in names:
        assert getattr(a, name) == pytest.approx(getattr(c, name), rel=1e-6), name
    assert a.p_abandon < 1e-6


def test_infinite_patience_is_exactly_erlang_c():
    assert erlang_a(114 / HOUR, 300.0, 10, math.inf, 30.0) == erlang_c(114 / HOUR, 300.0, 10, 30.0)
    assert erlang_a(1.0, 300.0, 10, math.inf) == erlang_c(1.0, 300.0, 10)  # unstable too


@pytest.mark.parametrize("load", [0.5, 0.95, 1.0, 1.3, 3.0])
def test_erlang_a_identities(load):
    n, service, patience = 25, 240.0, 90.0
    lam = load * n / service
    fig = erlang_a(lam, service, n, patience)
    assert fig.mean_queue_length == pytest.approx(lam * fig.mean_wait_s, rel=1e-12)
    assert fig.p_abandon == pytest.approx(fig.mean_queue_length / patience / lam, rel=1e-12)
    assert fig.occupancy == pytest.approx(lam * (1 - fig.p_abandon) * service / n, rel=1e-12)
    assert fig.offered_load == pytest.approx(load * n)
    assert 0.0 <= fig.asa_s
    assert fig.p_abandon <= fig.p_wait  # only callers who wait can abandon


def test_erlang_a_more_agents_is_better():
    lam, service, patience = 30 / HOUR * 10, 300.0, 120.0
    figures = [erlang_a(lam, service, n, patience) for n in range(5, 16)]
    for fewer, more in zip(figures, figures[1:]):
        assert more.p_abandon < fewer.p_abandon
        assert more.asa_s < fewer.asa_s
        assert more.service_level > fewer.service_level
        assert more.p_wait < fewer.p_wait


def test_erlang_a_service_level_at_threshold_extremes():
    for load in (0.7, 1.0, 2.0):
        args = (load * 10 / 300.0, 300.0, 10, 120.0)
        zero = erlang_a(*args, threshold_s=0.0)
        assert zero.service_level == pytest.approx(1 - zero.p_wait, abs=1e-15)
        huge = erlang_a(*args, threshold_s=1e7)
        assert abs(huge.service_level - (1 - huge.p_abandon)) < 1e-9
        assert erlang_a(*args, threshold_s=math.inf).service_level == pytest.approx(
            1 - huge.p_abandon, abs=1e-9
        )
        levels = [erlang_a(*args, threshold_s=t).service_level for t in (0, 5, 20, 60, 600)]
        assert levels == sorted(levels)


def direct_uniformisation(served, j_first, n_mu, theta, t):
    """sum_j served_j P(sum_{i=0..j} Exp(n mu + (i+1) theta) <= t), one start state at a time."""
    total = 0.0
    for offset, weight in enumerate(served):
        j = j_first + offset
        rates = n_mu + (np.arange(j + 1) + 1) * theta
        big = rates.max()
        mean = big * t
        k_max = int(mean + 10 * math.sqrt(mean) + 50)
        state = np.zeros(j + 2)  # index = phases left, 0 = served
        state[j + 1] = 1.0
        stay = np.concatenate([[1.0], 1 - rates / big])
        go = np.concatenate([[0.0], rates / big])
        cdf = 0.0
        for k in range(k_max + 1):
            cdf += poisson.pmf(k, mean) * state[0]
            state = state * stay + np.concatenate([go[1:] * state[1:], [0.0]])
        total += weight * cdf
    return total


@pytest.mark.parametrize(
    ("served", "j_first", "n_mu", "theta", "t"),
    [
        ([0.2, 0.1, 0.05, 0.01], 0, 1 / 30, 1 / 120, 20.0),
        ([0.3, 0.2, 0.1], 5, 2.0, 0.5, 3.0),
        ([0.1] * 6, 0, 0.5, 1e-6, 10.0),
    ],
)
def test_service_level_sum_against_direct_uniformisation(served, j_first, n_mu, theta, t):
    served = np.array(served)
    expected = direct_uniformisation(served, j_first, n_mu, theta, t)
    got = erlang._served_within(t, served, j_first, n_mu, theta)
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize(
    ("load", "n", "service", "patience", "threshold"),
    [
        (0.9, 10, 300.0, 120.0, 20.0),
        (1.2, 50, 180.0, 60.0, 30.0),
        (0.98, 2000, 300.0, 120.0, 20.0),
        (1.5, 2000, 300.0, 120.0, 20.0),
        (1.5, 200, 300.0, 1e5, 600.0),
    ],
)
def test_uniformisation_equals_beta_closed_form(monkeypatch, load, n, service, patience, threshold):
    args = (load * n / service, service, n, patience, threshold)
    closed_form = erlang_a(*args)  # the default: the regularised incomplete beta function
    exact = erlang._served_within
    calls = []

    def uniformised_within(*a, **k):
        calls.append(a)
        return exact(*a, exact_by_uniformisation=True)

    monkeypatch.setattr(erlang, "_served_within", uniformised_within)
    uniformised = erlang_a(*args)
    assert calls  # the uniformisation really ran
    assert closed_form.service_level == pytest.approx(
        uniformised.service_level, rel=1e-10, abs=1e-13
    )


@pytest.mark.parametrize("load", [0.98, 1.5, 3.0])
@pytest.mark.parametrize("patience", [120.0, 1e6])
def test_erlang_a_large_groups_are_sane(load, patience):
    n, service = 2000, 300.0
    fig = erlang_a(load * n / service, service, n, patience, threshold_s=20.0)
    for name in ("p_wait", "p_abandon", "service_level", "occupancy"):
        value = getattr(fig, name)
        assert 0.0 <= value <= 1.0, name
    for name in ("asa_s", "mean_wait_s", "mean_queue_length"):
        assert math.isfinite(getattr(fig, name)) and getattr(fig, name) >= 0.0, name
    if load > 1:  # the excess load must abandon: lam (1 - p_ab) <= n mu
        assert fig.p_abandon >= 1 - 1 / load - 1e-9
    assert fig.mean_queue_length == pytest.approx(fig.arrival_rate * fig.mean_wait_s, rel=1e-12)


@pytest.mark.parametrize(
    "args",
    [
        (0.999 * 2000 / 30.0, 30.0, 2000, 1e4, 60.0),  # short calls: Lambda t ~ 4,000
        (7.667, 300.0, 2000, 1e4, 1500.0),  # a queue of ~10,000 callers: Lambda t ~ 12,000
    ],
)
def test_erlang_a_with_many_uniformisation_terms_agrees_with_the_closed_form(monkeypatch, args):
    fig = erlang_a(*args)
    assert 0.0 < fig.service_level < 1.0
    monkeypatch.setattr(erlang, "MAX_UNIFORMISATION_TERMS", 0)
    assert erlang_a(*args).service_level == pytest.approx(fig.service_level, rel=1e-10)


def test_erlang_a_heavy_overload_with_tiny_theta_follows_the_fluid_limit():
    # lam = 3 n mu, theta = 1e-6: about 13 million callers queue. Fluid limit: the excess
    # 2/3 abandons, and a served caller waits until lam exp(-theta w) = n mu, w = log(3)/theta.
    fig = erlang_a(3 * 2000 / 300.0, 300.0, 2000, 1e6)
    assert fig.p_abandon == pytest.approx(2 / 3, rel=1e-6)
    assert fig.asa_s == pytest.approx(math.log(3) * 1e6, rel=1e-4)
    assert fig.mean_queue_length == pytest.approx(2 / 3 * 20 * 1e6, rel=1e-6)


def test_sum_of_inverse_rates_branches_agree():
    count, n_mu, theta = (1 << 20) + 5, 6.5, 3e-6
    direct = math.fsum(1.0 / (n_mu + m * theta) for m in range(1, count + 1))
    assert erlang._sum_inverse_rates(count, n_mu, theta) == pytest.approx(direct, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 20),
    load=st.floats(0.2, 2.5),
    service=st.floats(10.0, 600.0),
    patience_ratio=st.floats(0.1, 5.0),
    threshold=st.floats(0.0, 120.0),
)
def test_erlang_a_matches_independent_computations(n, load, service, patience_ratio, threshold):
    lam, patience = load * n / service, patience_ratio * service
    fig = erlang_a(lam, service, n, patience, threshold_s=threshold)
    assert_figures(fig, ctmc_figures(lam, service, n, patience), 1e-8, 1e-12)
    assert_figures(fig, virtual_wait_figures(lam, service, n, patience, threshold), 1e-8, 1e-12)
    assert 0.0 <= fig.service_level <= 1.0 - fig.p_abandon + 1e-12
    assert fig.service_level >= 1.0 - fig.p_wait - 1e-12


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_c(1.0, 300.0, 0), '"agents" must be >= 1 (got 0)'),
        (lambda: erlang_c(0.0, 300.0, 10), '"arrival_rate" must be > 0 (got 0.0)'),
        (lambda: erlang_c(-1.0, 300.0, 10), '"arrival_rate" must be > 0 (got -1.0)'),
        (lambda: erlang_c(math.inf, 300.0, 10), '"arrival_rate" must be finite'),
        (lambda: erlang_c(1.0, 0, 10), '"mean_service_s" must be > 0 (got 0)'),
        (lambda: erlang_c(1.0, math.nan, 10), '"mean_service_s" must be > 0'),
        (lambda: erlang_c(1.0, 300.0, 10, -1.0), '"threshold_s" must be >= 0 (got -1.0)'),
        (lambda: erlang_c(1.0, 300.0, 2.5), '"agents" must be an integer (got 2.5)'),
        (lambda: erlang_c(1.0, 300.0, True), '"agents" must be an integer'),
        (lambda: erlang_c("1", 300.0, 10), '"arrival_rate" must be a number'),
        (lambda: erlang_a(1.0, 300.0, 10, 0.0), '"mean_patience_s" must be > 0 (got 0.0)'),
        (lambda: erlang_a(1.0, 300.0, 10, -5), '"mean_patience_s" must be > 0 (got -5)'),
        (lambda: erlang_a(1.0, 300.0, -1, 60.0), '"agents" must be >= 1 (got -1)'),
        (lambda: erlang_a(1.0, 300.0, 10, 60.0, -0.5), '"threshold_s" must be >= 0'),
        (lambda: erlang_b(-1.0, 10), '"offered_load" must be >= 0'),
        (lambda: erlang_b(1.0, -1), '"agents" must be >= 0 (got -1)'),
    ],
)
def test_argument_errors_name_the_parameter(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


def test_numpy_integers_are_agents():
    assert erlang_c(1 / 30, 300.0, np.int64(12)).agents == 12

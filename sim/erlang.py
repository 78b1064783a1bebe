"""Erlang C and Erlang A: the exact steady-state figures of the textbook call-center queue.

The textbook queue, M/M/n+M: callers arrive as a Poisson process of rate ``lam`` per second,
a call keeps one of ``n`` identical agents busy for an exponential handle time of mean
``1/mu`` seconds, callers wait in one first-come-first-served queue, and a waiting caller hangs
up once an exponential patience of mean ``1/theta`` seconds runs out. ``a = lam / mu`` is the
offered load in Erlangs: the number of agents the calls would keep busy if nobody hung up.

- **Erlang C** is the case ``theta = 0``: nobody abandons. The queue is stable only if ``a < n``;
  then the probability of waiting is ``C = n B / (n - a (1 - B))``, with ``B`` the Erlang B
  blocking probability of ``a`` Erlangs on ``n`` lines, and the wait of a caller who waits is
  exponential with rate ``n mu - lam``. Everything follows in closed form.
- **Erlang A** is the case ``theta > 0``: the queue is always stable, since the longer it gets
  the faster callers leave it. The number of callers in the system is a birth-death chain (birth
  rate ``lam``; death rate ``mu min(k, n) + theta max(k - n, 0)`` in state ``k``), whose
  stationary distribution is computed exactly in log space. A caller who arrives behind ``j``
  waiting callers reaches an agent after ``j + 1`` exponential phases (rates
  ``n mu + i theta``, ``i = j .. 0``) unless its own patience runs out first; this gives the mean
  wait of served callers and the service level.

Arrivals see the time-average state (PASTA), so every probability is "per arriving caller". All
times are in seconds and all rates per second. The functions are pure; :func:`erlang_c` and
:func:`erlang_a` return a :class:`QueueFigures`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import betainc, digamma, pdtr

__all__ = ["QueueFigures", "erlang_a", "erlang_b", "erlang_c"]

LOG_CUTOFF = 60.0
"""States whose log-probability is this far below the most likely state's are left out."""

POISSON_TAIL_SIGMAS = 8.0
"""Uniformisation keeps ``Lambda t + 8 sqrt(Lambda t) + 40`` terms: a Poisson tail below 1e-13."""

MAX_UNIFORMISATION_TERMS = 20_000
"""Above this many terms the service level uses the equivalent closed form (Beta distribution)."""

MAX_STATES = 1 << 23
"""Largest number of states kept for the number in system (a queue spread wider is refused)."""


@dataclass(frozen=True)
class QueueFigures:
    """Steady-state figures of one M/M/n(+M) queue, per arriving caller."""

    arrival_rate: float
    """Callers per second (``lam``)."""
    mean_service_s: float
    """Mean handle time in seconds (``1/mu``)."""
    agents: int
    """Number of agents (``n``)."""
    mean_patience_s: float
    """Mean patience in seconds (``1/theta``); ``math.inf`` for Erlang C."""
    threshold_s: float
    """Service-level threshold in seconds (answered within it counts as good service)."""
    offered_load: float
    """``lam / mu`` in Erlangs."""
    p_wait: float
    """Probability that an arriving caller finds all agents busy (and so has to wait)."""
    p_abandon: float
    """Probability that an arriving caller hangs up before reaching an agent (0 for Erlang C)."""
    asa_s: float
    """Average speed of answer: the mean wait of the callers who are served, in seconds."""
    mean_wait_s: float
    """Mean wait of all callers, abandoners counted until they hang up (``E[Lq] / lam``)."""
    service_level: float
    """Probability that a caller is served within the threshold (no wait counts as within)."""
    occupancy: float
    """Mean fraction of agents busy: ``lam (1 - p_abandon) / (n mu)``."""
    mean_queue_length: float
    """Mean number of callers waiting (``E[Lq]``)."""


def erlang_b(offered_load: float, agents: int) -> float:
    """Erlang B: probability that ``offered_load`` Erlangs find all ``agents`` lines busy.

    Uses the stable recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``. Zero lines
    block everything (``B = 1``).
    """
    a = _number("offered_load", offered_load)
    if not (0.0 <= a < math.inf):
        raise ValueError(f'"offered_load" must be >= 0 and finite (got {offered_load!r})')
    n = _count("agents", agents, minimum=0)
    blocking = 1.0
    for k in range(1, n + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def erlang_c(
    arrival_rate: float, mean_service_s: float, agents: int, threshold_s: float = 20.0
) -> QueueFigures:
    """Erlang C (M/M/n, nobody abandons): exact figures from the closed forms.

    If the offered load reaches the number of agents the queue grows without bound: then
    ``p_wait = 1``, the waits and the queue length are infinite, ``service_level = 0`` and
    ``occupancy = 1``.
    """
    lam = _positive("arrival_rate", arrival_rate)
    service = _positive("mean_service_s", mean_service_s)
    n = _count("agents", agents, minimum=1)
    threshold = _non_negative("threshold_s", threshold_s)
    a = lam * service
    common = dict(
        arrival_rate=lam,
        mean_service_s=service,
        agents=n,
        mean_patience_s=math.inf,
        threshold_s=threshold,
        offered_load=a,
        p_abandon=0.0,
    )
    if a >= n:
        return QueueFigures(
            **common,
            p_wait=1.0,
            asa_s=math.inf,
            mean_wait_s=math.inf,
            service_level=0.0,
            occupancy=1.0,
            mean_queue_length=math.inf,
        )
    blocking = erlang_b(a, n)
    p_wait = n * blocking / (n - a * (1.0 - blocking))
    drain_rate = (n - a) / service  # n mu - lam: the rate at which a waiting caller's wait ends
    asa = p_wait / drain_rate
    return QueueFigures(
        **common,
        p_wait=p_wait,
        asa_s=asa,
        mean_wait_s=asa,
        service_level=1.0 - p_wait * math.exp(-drain_rate * threshold),
        occupancy=a / n,
        mean_queue_length=lam * asa,
    )


def erlang_a(
    arrival_rate: float,
    mean_service_s: float,
    agents: int,
    mean_patience_s: float,
    threshold_s: float = 20.0,
) -> QueueFigures:
    """Erlang A (M/M/n+M, exponential patience): exact figures from the birth-death chain.

    ``mean_patience_s = math.inf`` returns exactly :func:`erlang_c`.

    With ``j`` callers already waiting, an arriving caller reaches an agent after
    ``V = sum_{i=0..j} Exp(r_i)``, ``r_i = n mu + i theta``, and is served iff ``V`` comes before
    its own patience ``tau ~ Exp(theta)``. The products telescope:
    ``P(served | j) = prod_i r_i / (r_i + theta) = n mu / (n mu + (j + 1) theta)``, and
    ``E[V; served | j] = P(served | j) sum_i 1 / (r_i + theta)``. For the service level,
    ``P(V <= t, V <= tau | j) = P(served | j) P(V'_j <= t)`` where ``V'_j`` has the tilted rates
    ``r_i + theta``; ``P(V'_j <= t)`` for all ``j`` at once is the absorption probability by time
    ``t`` of the pure-death chain on "callers ahead", computed by uniformisation.

    Raises ``ValueError`` if the patience is so long (for the load) that the number in system
    spreads over more than ``MAX_STATES`` states, e.g. overloads with patience beyond ~1e10 s.
    """
    lam = _positive("arrival_rate", arrival_rate)
    service = _positive("mean_service_s", mean_service_s)
    n = _count("agents", agents, minimum=1)
    patience = _positive("mean_patience_s", mean_patience_s, allow_inf=True)
    threshold = _non_negative("threshold_s", threshold_s)
    if math.isinf(patience):
        return erlang_c(lam, service, n, threshold)

    mu, theta = 1.0 / service, 1.0 / patience
    n_mu = n * mu
    first, pi = _stationary(lam, mu, theta, n)
    states = first + np.arange(pi.size, dtype=float)
    waiting = states >= n
    pi_wait = pi[waiting]
    ahead = states[waiting] - n  # callers an arrival finds waiting: j
    p_no_wait = float(pi[~waiting].sum())

    p_wait = min(float(pi_wait.sum()), 1.0)
    mean_queue = float(pi_wait @ ahead)
    p_abandon = min(theta * mean_queue / lam, 1.0)

    p_served_if = 1.0 / (1.0 + (ahead + 1.0) * (theta / n_mu))  # P(served | j)
    served = pi_wait * p_served_if
    p_served = p_no_wait + float(served.sum())
    if ahead.size:
        j_first = int(ahead[0])
        tilted_means = _sum_inverse_rates(j_first, n_mu, theta) + np.cumsum(
            1.0 / (n_mu + (ahead + 1.0) * theta)
        )  # sum_{i=0..j} 1 / (r_i + theta)
        asa = float(served @ tilted_means) / p_served
        within = _served_within(threshold, served, j_first, n_mu, theta)
    else:
        asa, within = 0.0, 0.0

    return QueueFigures(
        arrival_rate=lam,
        mean_service_s=service,
        agents=n,
        mean_patience_s=patience,
        threshold_s=threshold,
        offered_load=lam * service,
        p_wait=p_wait,
        p_abandon=p_abandon,
        asa_s=asa,
        mean_wait_s=mean_queue / lam,
        service_level=min(max(p_no_wait + within, 0.0), 1.0),
        occupancy=min(lam * (1.0 - p_abandon) / n_mu, 1.0),
        mean_queue_length=mean_queue,
    )


def _stationary(lam: float, mu: float, theta: float, n: int) -> tuple[int, np.ndarray]:
    """Stationary distribution of the number in system: ``(first state, probabilities)``.

    Log-probabilities are cumulative sums of ``log(birth / death)`` walking up and down from the
    most likely state, stopped where they fall ``LOG_CUTOFF`` below it, and normalised with
    ``logsumexp``: stable for thousands of agents, heavy overload and tiny ``theta``.
    """
    log_lam = math.log(lam)

    def log_ratio(k: np.ndarray) -> np.ndarray:  # log(pi_k / pi_{k-1}), k >= 1
        return log_lam - np.log(mu * np.minimum(k, n) + theta * np.maximum(k - n, 0.0))

    if lam < n * mu:
        mode = math.floor(lam / mu)
    else:
        mode = n + math.floor((lam - n * mu) / theta)

    def walk(direction: int) -> np.ndarray:
        """Log-probabilities (relative to the mode) of the states beyond it in ``direction``
        (+1 up, -1 down), nearest first, until they become negligible."""
        pieces, last, edge, size, kept = [], 0.0, mode, 256, 0
        while direction > 0 or edge > 0:
            if kept >= MAX_STATES:
                raise ValueError(
                    f'"mean_patience_s" is too long for this load: the number in system spreads '
                    f"over more than {MAX_STATES} states (got {1 / theta:g})"
                )
            size = min(size, MAX_STATES - kept)
            if direction > 0:  # log pi_k = log pi_(k-1) + log_ratio(k)
                states = np.arange(edge + 1, edge + 1 + size, dtype=float)
                logs = last + np.cumsum(log_ratio(states))
            else:  # log pi_(k-1) = log pi_k - log_ratio(k)
                states = np.arange(edge - 1, max(edge - 1 - size, -1), -1, dtype=float)
                logs = last - np.cumsum(log_ratio(states + 1.0))
            negligible = np.flatnonzero(logs < -LOG_CUTOFF)
            if negligible.size:
                pieces.append(logs[: negligible[0]])
                break
            pieces.append(logs)
            last, edge, size, kept = logs[-1], int(states[-1]), 2 * size, kept + states.size
        return np.concatenate(pieces) if pieces else np.empty(0)

    below, above = walk(-1), walk(+1)
    log_pi = np.concatenate([below[::-1], [0.0], above])
    return mode - below.size, np.exp(log_pi - _logsumexp(log_pi))


def _sum_inverse_rates(count: int, n_mu: float, theta: float) -> float:
    """``sum_{m=1..count} 1 / (n mu + m theta)``: exact sum, or digammas for huge ``count``."""
    if count <= 0:
        return 0.0
    if count <= 1 << 20:
        return float(np.sum(1.0 / (n_mu + np.arange(1, count + 1) * theta)))
    x = n_mu / theta
    return float(digamma(x + count + 1.0) - digamma(x + 1.0)) / theta


def _served_within(
    threshold: float, served: np.ndarray, j_first: int, n_mu: float, theta: float,
    exact_by_uniformisation: bool = False,
) -> float:
    """``sum_j served_j P(V'_j <= threshold)`` for ``j = j_first, j_first + 1, ...``.

    ``V'_j`` is the time to absorption of the pure-death chain on "callers ahead" started in
    ``j``: rate ``q_i = n mu + (i + 1) theta`` out of state ``i``, state 0 leads to "served".
    Uniformisation with rate ``Lambda = max q``: the absorbed mass after ``k`` jumps of
    ``x P^k`` (``P = I + Q / Lambda``), weighted by the Poisson(``Lambda t``) probability of ``k``
    jumps. Only positive terms, so it is accurate to the truncated Poisson tail (< 1e-13).
    The same quantity has a closed form, ``V'_j = -log(B) / theta`` with
    ``B ~ Beta(n mu / theta + 1, j + 1)`` (the minimum-of-exponentials race behind each phase), a
    regularised incomplete beta function that scipy evaluates vectorised; it agrees with the
    uniformisation to about 1e-13 (checked in the tests) at a fraction of the cost, so it is the
    default; *exact_by_uniformisation* keeps the uniformisation (up to ``MAX_UNIFORMISATION_TERMS``
    terms).
    """
    if threshold == 0.0 or served.size == 0:
        return 0.0
    j_last = j_first + served.size - 1
    if math.isinf(threshold) or pdtr(j_last, (n_mu + theta) * threshold) < 1e-13:
        return float(served.sum())  # even the longest queue is through by then
    rate = n_mu + (j_last + 1) * theta  # Lambda: the largest rate of a state holding mass
    mean_jumps = rate * threshold
    if mean_jumps == 0.0:  # a threshold so short that it underflows
        return 0.0
    terms = math.ceil(mean_jumps + POISSON_TAIL_SIGMAS * math.sqrt(mean_jumps) + 40.0)
    if terms > MAX_UNIFORMISATION_TERMS or not exact_by_uniformisation:
        ahead = j_first + np.arange(served.size, dtype=float)
        x = -math.expm1(-theta * threshold)  # P(B >= exp(-theta t)) = I_x(j + 1, n mu/theta + 1)
        return float(served @ betainc(ahead + 1.0, n_mu / theta + 1.0, x))
    # Starting states beyond `terms` need more jumps than the Poisson count ever reaches.
    top = min(j_last, terms)
    if j_first > top:
        return 0.0
    mass = np.zeros(top + 1)
    mass[j_first:] = served[: top + 1 - j_first]
    jump = (n_mu + np.arange(1, top + 2) * theta) / rate
    poisson = _poisson_weights(mean_jumps, terms)
    absorbed = total = 0.0
    for step in range(1, terms + 1):
        reach = terms - step + 1  # states above this cannot be absorbed in the jumps left
        if mass.size > reach:
            mass, jump = mass[:reach], jump[:reach]
        moved = mass * jump
        absorbed += moved[0]
        mass -= moved
        mass[:-1] += moved[1:]
        total += poisson[step] * absorbed
    return min(float(total), float(served.sum()))


def _poisson_weights(mean: float, terms: int) -> np.ndarray:
    """Poisson(``mean``) probabilities of ``0 .. terms``, from ratios anchored at the mode.

    Cumulative sums of ``log(p_k / p_(k-1)) = log(mean / k)`` away from the mode stay small where
    the weights matter, so they keep full precision even for means in the tens of thousands.
    """
    log_k, log_mean = np.log(np.arange(1, terms + 1, dtype=float)), math.log(mean)
    mode = min(int(mean), terms)
    above = np.cumsum(log_mean - log_k[mode:])  # states mode+1 .. terms
    below = np.cumsum(log_k[mode - 1 :: -1] - log_mean) if mode else np.empty(0)  # mode-1 .. 0
    log_weights = np.concatenate([below[::-1], [0.0], above])
    return np.exp(log_weights - _logsumexp(log_weights))


def _logsumexp(values: np.ndarray) -> float:
    """``log(sum(exp(values)))``, stable (scipy's costs ten times as much on these small arrays)."""
    peak = float(np.max(values))
    return peak + math.log(float(np.sum(np.exp(values - peak))))


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f'"{name}" must be a number (got {value!r})')
    return float(value)


def _positive(name: str, value: object, *, allow_inf: bool = False) -> float:
    number = _number(name, value)
    if not number > 0.0:
        raise ValueError(f'"{name}" must be > 0 (got {value!r})')
    if math.isinf(number) and not allow_inf:
        raise ValueError(f'"{name}" must be finite (got {value!r})')
    return number


def _non_negative(name: str, value: object) -> float:
    number = _number(name, value)
    if not number >= 0.0:
        raise ValueError(f'"{name}" must be >= 0 (got {value!r})')
    return number


def _count(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f'"{name}" must be an integer (got {value!r})')
    if value < minimum:
        raise ValueError(f'"{name}" must be >= {minimum} (got {value!r})')
    return int(value)

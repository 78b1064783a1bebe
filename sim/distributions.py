"""Distributions: how long things take and how long people wait.

A scenario gives every random duration as a mapping with ``dist`` and named parameters::

    handle_time: {dist: lognormal, mean: 6m, cv: 0.9}
    patience:    {dist: weibull, shape: 0.66, scale: 630s}

=============  ===============================  ==========================================
``dist``       parameters                       notes
=============  ===============================  ==========================================
exponential    ``mean``                         memoryless; the Erlang textbook case
lognormal      ``mean`` or ``median``;          the realistic handle time (``sigma`` is the
               ``cv`` or ``sigma``              standard deviation of the log)
gamma          ``mean``, ``cv``
weibull        ``shape``, ``scale``             shape < 1: a falling hazard (patience)
constant       ``value``                        for exact traces and fixed delays
uniform        ``low``, ``high``
empirical      ``values``                       draws one of the values, equally likely
=============  ===============================  ==========================================

Parameters that are times accept units (``5m``); plain numbers are seconds, or plain quantities
where the distribution is not of a time (engineer-hours are written ``40h``).

Each distribution validates its own parameters and offers two fast ways to draw:

- :meth:`sampler` returns a zero-argument callable drawing exact variates from a numpy
  ``Generator`` in batches (one stream per stochastic source, see :mod:`sim.streams`);
- :meth:`from_normal` returns ``f(z)``, the variate at the quantile ``Phi(z)`` of a standard
  normal score ``z``. A contact draws one score when it arrives (its "complexity"); every agent
  group then turns the same score into its own handle time. That is how a caller's handle time
  is drawn at arrival, so strategies and staffing levels compare on common random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from sim.quantiles import ConstantQuantile, LognormalQuantile
from sim.units import format_duration, parse_duration

BATCH = 4096
"""Variates drawn from numpy per refill of a :meth:`Distribution.sampler`."""

Seconds = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
"""A number of seconds, written in YAML as ``90``, ``45s``, ``5m``, ``2.5h``, ``30d``."""

PositiveSeconds = Annotated[Seconds, Field(gt=0)]
NonNegativeSeconds = Annotated[Seconds, Field(ge=0)]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT2 = 1 / _SQRT2


def _upper_tail(z: float) -> float:
    """``1 - Phi(z)``, accurate in the upper tail, never exactly 0."""
    return max(0.5 * math.erfc(z / _SQRT2), 1e-300)


def _lower_tail(z: float) -> float:
    """``Phi(z)``."""
    return 0.5 * math.erfc(-z / _SQRT2)


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    @property
    def mean_value(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def lowest_value(self) -> float:
        """The lower end of what it can draw: 0 for the exponential, lognormal, gamma and Weibull,
        whose draws come arbitrarily close to 0 (the discrete and bounded ones override it)."""
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` exact variates as a numpy array."""
        raise NotImplementedError  # pragma: no cover

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        """A fast zero-argument callable returning one variate per call (batched draws)."""
        batches: Iterator[list[float]] = iter(lambda: self.sample(rng, BATCH).tolist(), None)
        return chain.from_iterable(batches).__next__

    def from_normal(self) -> Callable[[float], float]:
        """``f(z)``: the variate at quantile ``Phi(z)`` of a standard normal score ``z``."""
        raise NotImplementedError  # pragma: no cover


class Exponential(_Dist):
    """Memoryless: ``P(X > x) = exp(-x / mean)``."""

    dist: Literal["exponential"] = "exponential"
    mean: PositiveSeconds
    """Mean (seconds, or a duration with a unit)."""

    @property
    def mean_value(self) -> float:
        return self.mean

    def sample(self, rng, size):
        return rng.exponential(self.mean, size)

    def from_normal(self):
        mean, log, erfc = self.mean, math.log, math.erfc
        # -mean * log(1 - Phi(z)), with 1 - Phi(z) written out (hot path: one call per contact)
        return lambda z: -mean * log(max(0.5 * erfc(z * _INV_SQRT2), 1e-300))


class Lognormal(_Dist):
    """``exp(N(mu, sigma^2))``, given by mean (or median) and cv (or sigma)."""

    dist: Literal["lognormal"] = "lognormal"
    mean: PositiveSeconds | None = None
    """Mean; give either ``mean`` or ``median``."""
    median: PositiveSeconds | None = None
    """Median, ``exp(mu)``; give either ``mean`` or ``median``."""
    cv: Annotated[float, Field(gt=0)] | None = None
    """Coefficient of variation (sd / mean); give either ``cv`` or ``sigma``."""
    sigma: Annotated[float, Field(gt=0)] | None = None
    """Standard deviation of the logarithm; give either ``cv`` or ``sigma``."""

    @model_validator(mode="after")
    def _one_of_each(self) -> Lognormal:
        if (self.mean is None) == (self.median is None):
            raise ValueError("lognormal needs exactly one of 'mean' or 'median'")
        if (self.cv is None) == (self.sigma is None):
            raise ValueError("lognormal needs exactly one of 'cv' or 'sigma'")
        return self

    @property
    def log_sigma(self) -> float:
        if self.sigma is not None:
            return self.sigma
        return math.sqrt(math.log1p(self.cv**2))

    @property
    def log_mu(self) -> float:
        if self.median is not None:
            return math.log(self.median)
        return math.log(self.mean) - self.log_sigma**2 / 2

    @property
    def mean_value(self) -> float:
        return math.exp(self.log_mu + self.log_sigma**2 / 2)

    def sample(self, rng, size):
        return rng.lognormal(self.log_mu, self.log_sigma, size)

    def from_normal(self):
        return LognormalQuantile(self.log_mu, self.log_sigma)


class Gamma(_Dist):
    """Gamma by mean and cv: shape ``1/cv^2``, scale ``mean * cv^2``."""

    dist: Literal["gamma"] = "gamma"
    mean: PositiveSeconds
    cv: Annotated[float, Field(gt=0)]

    @property
    def mean_value(self) -> float:
        return self.mean

    def sample(self, rng, size):
        return rng.gamma(1 / self.cv**2, self.mean * self.cv**2, size)

    def from_normal(self):
        from scipy.special import gammaincinv

        shape, scale = 1 / self.cv**2, self.mean * self.cv**2
        return lambda z: scale * float(gammaincinv(shape, _lower_tail(z)))


class Weibull(_Dist):
    """``P(X > x) = exp(-(x / scale)^shape)``; shape below 1 means a falling hazard."""

    dist: Literal["weibull"] = "weibull"
    shape: Annotated[float, Field(gt=0)]
    scale: PositiveSeconds

    @property
    def mean_value(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    def sample(self, rng, size):
        return self.scale * rng.weibull(self.shape, size)

    def from_normal(self):
        scale, power = self.scale, 1 / self.shape
        return lambda z: scale * (-math.log(_upper_tail(z))) ** power


class Constant(_Dist):
    """Always ``value``: for exact traces and fixed delays."""

    dist: Literal["constant"] = "constant"
    value: NonNegativeSeconds

    @property
    def mean_value(self) -> float:
        return self.value

    @property
    def lowest_value(self) -> float:
        return self.value

    def sample(self, rng, size):
        return np.full(size, self.value)

    def sampler(self, rng):
        value = self.value
        return lambda: value

    def from_normal(self):
        return ConstantQuantile(self.value)


class Uniform(_Dist):
    """Equally likely anywhere in ``[low, high]``."""

    dist: Literal["uniform"] = "uniform"
    low: NonNegativeSeconds
    high: NonNegativeSeconds

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"uniform needs low <= high (got low={self.low:g}, high={self.high:g})")
        return self

    @property
    def mean_value(self) -> float:
        return (self.low + self.high) / 2

    @property
    def lowest_value(self) -> float:
        return self.low

    def sample(self, rng, size):
        return rng.uniform(self.low, self.high, size)

    def from_normal(self):
        low, width = self.low, self.high - self.low
        return lambda z: low + width * _lower_tail(z)


class Empirical(_Dist):
    """One of ``values``, each equally likely (resampling observed data)."""

    dist: Literal["empirical"] = "empirical"
    values: Annotated[list[NonNegativeSeconds], Field(min_length=1)]

    @property
    def mean_value(self) -> float:
        return float(np.mean(self.values))

    @property
    def lowest_value(self) -> float:
        return float(min(self.values))

    def sample(self, rng, size):
        return np.asarray(self.values, dtype=float)[rng.integers(0, len(self.values), size)]

    def from_normal(self):
        ordered = sorted(self.values)
        count = len(ordered)
        return lambda z: ordered[min(count - 1, int(_lower_tail(z) * count))]


Distribution = Annotated[
    Union[Exponential, Lognormal, Gamma, Weibull, Constant, Uniform, Empirical],
    Field(discriminator="dist"),
]
"""Any distribution, chosen by its ``dist`` key."""

DIST_NAMES: tuple[str, ...] = (
    "exponential", "lognormal", "gamma", "weibull", "constant", "uniform", "empirical",
)
"""The values ``dist`` may take."""

"""Compiled quantile functions for the hot ``from_normal`` samplers of :mod:`sim.distributions`.

A handle time is drawn once per conversation as ``f(z)`` from the caller's normal score. As a
Python lambda each draw costs an interpreter frame; these small native classes compute the same
expression in compiled code (same operations in the same order, so the same floats).
:mod:`sim.distributions` cannot be compiled itself: its distributions are pydantic models.
"""

from __future__ import annotations

import math


class LognormalQuantile:
    """``exp(mu + sigma * z)``: the lognormal variate at normal score *z*."""

    def __init__(self, mu: float, sigma: float) -> None:
        self.mu = mu
        self.sigma = sigma

    def __call__(self, z: float) -> float:
        return math.exp(self.mu + self.sigma * z)


class ConstantQuantile:
    """Always *value*, whatever the score."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, z: float) -> float:
        return self.value

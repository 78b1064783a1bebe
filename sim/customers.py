"""Customers: the people whose problems become contacts, and who can leave.

A scenario with a ``customers`` section models a population of accounts, each with an id, a
segment (its revenue, patience and problem rate) and the time it joined. Problems, contacts and
their effort attach to a customer; a customer who has left produces no problems and no revenue.

Ids are fixed for the whole run: the initial customers are ``0 .. count-1``; new customers
(acquisition, a Poisson process) are drawn for the whole horizon when the run starts and take the
following ids in the order they join. Their number ``size`` is the id space root causes draw from:
a problem candidate picks an id uniformly and is kept only if that customer is active at the
onset (thinning), so the problem rate is exactly proportional to the active customers, and two
strategies draw the same candidates whatever happens to their customers.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np

from sim.scenario import Churn, Customers
from sim.streams import Streams
from sim.units import DAY

MONTH: Final = 30 * DAY
"""A month of revenue and of churn hazards: 30 days."""

ACTIVE: Final = 0
BASELINE: Final = 1
AFTER_PROBLEM: Final = 2
SILENT: Final = 3
"""Why a customer left (``left_reason``): not yet, for reasons service does not affect, after a
problem (its effort), after a problem they suffered in silence."""


class Population:
    """The customers of one replication: who joined when, their segment, and who left when."""

    def __init__(self, spec: Customers, horizon: float, streams: Streams, churn: Churn | None = None):
        initial = spec.count
        arrivals = streams("customers/acquisition")
        joining = int(arrivals.poisson(spec.acquisition_per_day * horizon / DAY)) if spec.acquisition_per_day else 0
        joined = np.sort(arrivals.uniform(0.0, horizon, joining))
        self.initial = initial
        """Customers at time 0."""
        self.size = initial + joining
        """Every customer id of the run (initial and acquired)."""
        self.joined: list[float] = [0.0] * initial + joined.tolist()
        """When each customer joined (0 for the initial ones)."""
        self.left: list[float] = [math.inf] * self.size
        """When each customer left (``inf``: still active). Baseline churn (a hazard service does
        not affect) is drawn for everybody when the run starts, one draw per customer id, so
        strategies share it; leaving after a problem can only come earlier."""
        self.left_reason: list[int] = [ACTIVE] * self.size
        """Why each customer left (``ACTIVE``, ``BASELINE``, ``AFTER_PROBLEM``, ``SILENT``)."""
        if churn is not None and churn.baseline_per_month > 0:
            hazard = -math.log1p(-min(churn.baseline_per_month, 1 - 1e-12)) / MONTH
            lifetimes = streams("customers/baseline_churn").exponential(1 / hazard, self.size)
            leave_at = np.asarray(self.joined) + lifetimes
            self.left = np.where(leave_at < horizon, leave_at, math.inf).tolist()
            self.left_reason = np.where(leave_at < horizon, BASELINE, ACTIVE).tolist()
        segments: dict[str, Any] = spec.segments or {"all": None}
        self.segment_names = list(segments)
        """Segment names by code."""
        shares = np.array([1.0] if spec.segments is None else [s.share for s in spec.segments.values()])
        if len(shares) == 1:
            codes = np.zeros(self.size, dtype=np.int64)
        else:
            codes = streams("customers/segments").choice(len(shares), size=self.size, p=shares / shares.sum())
        self.segment: list[int] = codes.tolist()
        """Segment code of each customer."""

        def each(attribute: str, default: float) -> list[float]:
            if spec.segments is None:
                return [default]
            return [default if getattr(s, attribute) is None else getattr(s, attribute)
                    for s in spec.segments.values()]

        self.monthly_revenue = each("monthly_revenue", spec.monthly_revenue)
        """Monthly revenue per customer, by segment."""
        self.patience_factor = each("patience_factor", 1.0)
        """Patience multiplier, by segment."""
        self.problem_factor = each("problem_factor", 1.0)
        """Problem-rate multiplier, by segment."""
        self.max_problem_factor = max(self.problem_factor) or 1.0
        """The largest problem-rate multiplier (candidates are drawn at it, then thinned)."""
        self.acceptance = [factor / self.max_problem_factor for factor in self.problem_factor]
        """Per segment, the share of candidates kept (its factor over the largest)."""
        self.revenue_per_second = [revenue / MONTH for revenue in self.monthly_revenue]
        """Revenue per second, by segment."""

    def is_active(self, customer: int, t: float) -> bool:
        """True if *customer* is a customer at time *t*."""
        return bool(self.joined[customer] <= t < self.left[customer])  # a numpy bool if *t* is numpy's

    def leave(self, customer: int, t: float, reason: int) -> None:
        """*customer* leaves at *t* for *reason* (unless they had already left by then)."""
        if t < self.left[customer]:
            self.left[customer] = t
            self.left_reason[customer] = reason

    def active_at(self, t: float) -> int:
        """Customers active at time *t*."""
        joined = np.asarray(self.joined)
        left = np.asarray(self.left)
        return int(np.sum((joined <= t) & (left > t)))

    def counts(self, start: float, end: float) -> dict[str, int]:
        """Population accounting over ``[start, end)``: active at its start and end, acquired and
        left within it (active_end = active_start + acquired - left, always)."""
        joined = np.asarray(self.joined)
        left = np.asarray(self.left)
        return {
            "customers_start": int(np.sum((joined <= start) & (left > start))),
            "customers_acquired": int(np.sum((joined > start) & (joined <= end))),
            "customers_left": int(np.sum((left > start) & (left <= end))),
            "customers_end": int(np.sum((joined <= end) & (left > end))),
        }

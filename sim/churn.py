"""Churn: customers leave, after the effort a problem cost them, in silence, or for other reasons.

Every problem leaves its customer with an *effort* score, a weighted sum of its parts (weights in
``churn.effort``):

    effort = ivr_minutes x IVR minutes + hold_minutes x minutes waiting on hold
           + transfers x transfers + contacts x (contacts - 1) + failed_callbacks x callbacks lost
           + days_to_resolve x days from the onset until resolved (or until the customer gave up)
           + unresolved x (1 if never resolved)

When the problem ends (resolved, or given up) the customer leaves with probability
``1 / (1 + exp(-(intercept + slope x effort)))`` (``churn.probability``), decided by the problem's
own uniform draw (common random numbers: the same problem with the same effort gives the same
decision in every strategy). A silent sufferer leaves with ``churn.silent`` at the problem's onset.
Requests (value demand) lead to no decision unless ``churn.value_demand`` is on. Separately, every
customer has a baseline hazard service does not affect (:class:`~sim.customers.Population`).

A customer who leaves produces no more problems and no more revenue; a contact they were about to
make is not made. Churned customers tell others: the report gives the people reached by negative
word of mouth (expected: churned x share who tell x people reached).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from sim.records import ProblemOutcome
from sim.scenario import Churn
from sim.units import DAY

if TYPE_CHECKING:
    from sim.problems import Problem

_RESOLVED_OUTCOMES: Final = frozenset(int(o) for o in (ProblemOutcome.RESOLVED, ProblemOutcome.SELF_SERVED,
                                                       ProblemOutcome.WEB, ProblemOutcome.FIELD))
_DECIDED: Final = _RESOLVED_OUTCOMES | {int(ProblemOutcome.GAVE_UP)}


def churn_probability(effort: float, intercept: float, slope: float) -> float:
    """The logistic chance to leave after a problem of effort *effort*."""
    x = intercept + slope * effort
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class ChurnModel:
    """Effort and the decision to leave, for one run."""

    def __init__(self, spec: Churn):
        weights = spec.effort
        self.w_ivr = weights.ivr_minutes / 60
        self.w_hold = weights.hold_minutes / 60
        self.w_transfers = weights.transfers
        self.w_contacts = weights.contacts
        self.w_failed = weights.failed_callbacks
        self.w_days = weights.days_to_resolve / DAY
        self.w_unresolved = weights.unresolved
        self.intercept = spec.probability.intercept
        self.slope = spec.probability.slope
        self.silent = spec.silent
        self.value_demand = spec.value_demand
        self.web_probability = churn_probability(0.0, self.intercept, self.slope)
        """Chance to leave after a request resolved on the web (effort 0)."""

    def effort(self, problem: Problem, outcome: int, t_end: float) -> float:
        """The effort score of *problem*, ended at *t_end* with *outcome*."""
        return (self.w_ivr * problem.ivr_s + self.w_hold * problem.wait_s
                + self.w_transfers * problem.transfers
                + self.w_contacts * max(problem.contacts - 1, 0)
                + self.w_failed * problem.callbacks_failed
                + self.w_days * (t_end - problem.t_onset)
                + (0.0 if outcome in _RESOLVED_OUTCOMES else self.w_unresolved))

    def decides(self, outcome: int, kind: int) -> bool:
        """Does a problem that ended with *outcome* lead to a decision to stay or leave?"""
        return outcome in _DECIDED and (kind != 0 or self.value_demand)

    def leaves(self, effort: float, u_churn: float) -> bool:
        """Does the customer leave, given the effort and the problem's uniform draw?"""
        return u_churn < churn_probability(effort, self.intercept, self.slope)

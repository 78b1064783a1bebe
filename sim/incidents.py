"""Incidents: bursts of failure demand, and the proactive notice that softens them.

An outage at day 30 for six hours that hits 20% of customers; a billing run that sends a
confusing invoice to a third of them. When an incident starts, each active customer is hit with
the incident's share (a draw per customer id, from the incident's own stream, so strategies hit
the same customers); a hit customer notices at a uniform moment within the incident, and
contacts service with the incident's contact probability after its delay (on the reason's demand
clock), or suffers in silence.

A segment's ``problem_factor`` does not change who is hit: it scales the rates of root causes, new
defects and value demand, and an incident has no rate per customer (a factor of 0 included).

With proactive notice (``notify: true``), every hit customer is told when the incident starts (a
cost per notice), and a share of those who would have called do not: the contact probability is
multiplied by ``1 - notifications.contact_reduction``. The same uniform draw decides the contact
with and without notice, so the callers a notice spares are exactly the would-be callers whose
draw falls in the spared band.
"""

from __future__ import annotations

import numpy as np
from simpy import Environment
from simpy.events import Event

from sim.problems import INCIDENT, Problems
from sim.scenario import Incident, Scenario
from sim.streams import Streams
from sim.units import DAY
from sim.wakeups import Wake


def incident_times(spec: Incident, horizon: float, rng: np.random.Generator) -> list[float]:
    """Start times of an incident entry within the run: its ``at``, or random ones."""
    if spec.at is not None:
        return [spec.at] if spec.at < horizon else []
    count = int(rng.poisson(spec.per_30_days * horizon / (30 * DAY)))
    return np.sort(rng.uniform(0.0, horizon, count)).tolist()


class Incidents:
    """Schedules every incident of a run and turns each into problems."""

    def __init__(self, env: Environment, scenario: Scenario, problems: Problems, streams: Streams):
        self.env = env
        self.problems = problems
        self.notifications = scenario.notifications
        self.streams = streams
        self.occurrences: list[tuple[str, float, int, int]] = []
        """``(incident, start, customers hit, notices sent)`` of each incident that started."""
        causes = {cause.name: cause for cause in problems.causes if cause.kind == INCIDENT}
        for name, spec in scenario.incidents.items():
            times = incident_times(spec, scenario.horizon, streams(f"incidents/{name}"))
            for number, start in enumerate(times):
                Wake(env, start, self._start, (name, number, spec, causes[name]))

    def _start(self, event: Event) -> None:
        name, number, spec, cause = event._value
        problems = self.problems
        population = problems.population
        now = self.env._now
        rng = self.streams(f"incident/{name}/{number}")
        size = population.size
        # per-customer draws, indexed by customer id so that strategies share them
        hit_draw = rng.random(size)
        notice_at = rng.random(size)
        draws = problems.attributes(cause, rng, size)
        joined = np.asarray(population.joined)
        left = np.asarray(population.left)
        hit = np.flatnonzero((hit_draw < spec.affected) & (joined <= now) & (left > now))
        batch = {key: values[hit] for key, values in draws.items()}
        onsets = now + notice_at[hit] * spec.duration
        order = np.argsort(onsets, kind="stable")
        batch = {key: values[order] for key, values in batch.items()}
        hit, onsets = hit[order], onsets[order]
        clock = cause.clock
        # everyone hit has the problem (if still a customer at its onset), whatever their segment's
        # problem_factor (it scales causes' rates, not an incident's reach): an acceptance draw below
        # any segment's acceptance, 0 included, so the customers hit are exactly those told
        batch["accept"] = np.full(len(hit), -1.0)
        batch["onset"] = onsets
        batch["cause"] = np.full(len(hit), cause.index)
        batch["customer"] = hit
        batch["t_contact"] = np.maximum(clock.real_many(clock.clock_many(onsets) + batch["delay"]), onsets)
        chance = spec.contact_probability
        if spec.notify:
            chance *= 1.0 - self.notifications.contact_reduction
            problems.notices.extend([now] * len(hit))
        self.occurrences.append((name, now, len(hit), len(hit) if spec.notify else 0))
        problems.contact_at(batch, contact_probability=chance)

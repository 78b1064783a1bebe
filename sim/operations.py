"""Operations: the team that fixes root causes, and how it learns which ones matter.

Customer service is the detector. Each contact an agent handles is *tagged* with its root cause
with some accuracy: high when service staff sit in operations and know the causes, low or none in
a reactive department. Without tags a cause can still surface, late, through other channels
(complaints, escalations, audits): ``detection_delay`` after its first handled contact.

Every review period (:meth:`Operations.reviews`, a SimPy process) the team ranks the causes it
can see (tagged at least ``min_tagged`` times since the last review, or detected) by their tagged
volume since the last review, largest first (a Pareto), ties broken by who surfaced first; while
engineers are free it starts fixes on them in that order. A fix occupies one engineer for the
cause's effort, counted in working hours (``working_hours``); when it lands, the cause's rate is
cut by the fix's effectiveness from that moment on (:mod:`sim.problems` thins its candidates).
An engineer who finishes waits for the next review. A cause that is not preventable is never
fixed; a cause is fixed at most once.

Cost: engineer-hours spent on fixes x ``hourly_cost`` (engineers do other work when not fixing).
"""

from __future__ import annotations

import math

from simpy import Environment
from simpy.events import Event

from sim.calendar import OpeningHours
from sim.problems import FAILURE, Cause
from sim.scenario import Operations as OperationsSpec
from sim.streams import Streams, uniforms
from sim.units import HOUR
from sim.wakeups import Wake


class Operations:
    """The operations team of one replication."""

    def __init__(self, env: Environment, spec: OperationsSpec, causes: list[Cause], streams: Streams):
        self.env = env
        self.spec = spec
        self.causes = causes
        self.free = spec.engineers
        """Engineers not on a fix."""
        self.hours = OpeningHours(spec.working_hours)
        """When engineers work."""
        self.accuracy = spec.tagging_accuracy
        self.tag_draw = uniforms(streams("operations/tagging"))
        """Uniform draws of the tagging decisions."""
        self._detection = (spec.detection_delay.sampler(streams("operations/detection"))
                           if spec.detection_delay is not None else None)
        self.fixes: list[dict] = []
        """One row per fix started: cause, started, finished (``inf`` until it lands), hours."""
        env.process(self.reviews())

    def first_contact(self, cause: Cause, now: float) -> None:
        """A cause's first contact was handled: without tags it surfaces after the detection delay."""
        if self._detection is not None and cause.preventable:
            Wake(self.env, self._detection(), self._detected, cause)

    def _detected(self, event: Event) -> None:
        cause = event._value
        if cause.known_at == math.inf:
            cause.known_at = self.env._now

    def reviews(self):
        """Every review period: rank the visible causes and start fixes while engineers are free."""
        env = self.env
        first = self.spec.first_review if self.spec.first_review is not None else self.spec.review_every
        yield env.timeout(first)
        while True:
            self.review(env.now)
            yield env.timeout(self.spec.review_every)

    def ranking(self, now: float) -> list[Cause]:
        """The causes the team can see and could fix, most tagged first."""
        visible = [
            cause for cause in self.causes
            if cause.kind == FAILURE and cause.preventable and cause.fix_started == math.inf
            and cause.born <= now and (cause.tagged_recent >= self.spec.min_tagged or cause.known_at <= now)
        ]
        return sorted(visible, key=lambda cause: (-cause.tagged_recent, min(cause.known_at, cause.first_contact_at),
                                                  cause.index))

    def review(self, now: float) -> None:
        for cause in self.ranking(now):
            if self.free <= 0:
                break
            self.start_fix(cause, now)
        for cause in self.causes:
            cause.tagged_recent = 0

    def start_fix(self, cause: Cause, now: float) -> None:
        """One engineer starts fixing *cause*; it lands after its effort in working hours."""
        self.free -= 1
        finish = self.hours.after_open_seconds(now, cause.effort_s)
        cause.fix_started = now
        cause.fixed_at = finish
        row = {"cause": cause.name, "started_s": now, "finished_s": math.inf,
               "engineer_hours": cause.effort_s / HOUR,
               "per_1000_per_day_before": cause.per_1000_per_day,
               "per_1000_per_day_after": cause.per_1000_per_day * cause.remaining}
        self.fixes.append(row)
        if finish < math.inf:
            Wake(self.env, finish - now, self._landed, row)

    def _landed(self, event: Event) -> None:
        event._value["finished_s"] = self.env._now
        self.free += 1

    def hours_worked(self, start: float, end: float) -> float:
        """Engineer-hours spent on fixes within ``[start, end)``."""
        total = 0.0
        for cause in self.causes:
            if cause.fix_started == math.inf:
                continue
            low = max(cause.fix_started, start)
            high = min(cause.fixed_at, end)
            if high > low:
                total += self.hours.open_seconds(high) - self.hours.open_seconds(low)
        return total / HOUR

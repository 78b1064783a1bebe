"""The scenario: one frozen, validated description of a contact center and how it is run.

A scenario file is YAML; :mod:`sim.loader` reads it, deep-merges each strategy's patch over the
base, and validates every result into a :class:`Scenario`. Nothing inside the simulation reads a
raw dict: the model is built from these objects only.

Collections are mappings keyed by name (``demand.billing``, ``agents.frontline``) so that a
strategy can patch one member without repeating the others. Unknown keys are errors.

The smallest useful scenario (the Erlang A textbook queue)::

    name: Erlang A check
    horizon: 20d
    warmup: 1d
    replications: 5
    seed: 7
    demand:
      general:
        arrivals_per_hour: 114
    agents:
      frontline:
        headcount: 10
        serves: [general]
        handle_time: {dist: exponential, mean: 5m}
    patience: {dist: exponential, mean: 2m}
"""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.distributions import Distribution, NonNegativeSeconds, PositiveSeconds
from sim.units import format_duration

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$")]
"""A name for a reason, queue, group or strategy: letters, digits, ``_ - .`` and spaces."""

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class Part(BaseModel):
    """Base of every scenario section: frozen, unknown keys rejected, types strict."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class CrossCheckError(ValueError):
    """Raised by a section's cross-field check; carries ``(key path, message)`` pairs."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def suggestion(word: str, choices: list[str]) -> str:
    """``" (did you mean 'x'?)"`` when *word* is close to one of *choices*, else ``""``."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Reason(Part):
    """One reason customers contact (a kind of demand), with its Poisson arrival rate."""

    arrivals_per_hour: Annotated[NonNegative, Field(le=1e6)] = 0.0
    """Mean Poisson arrival rate, contacts per hour (0 means none; at most a million)."""
    arrival_times: list[NonNegativeSeconds] | None = None
    """Exact arrival instants instead of a Poisson stream (for traces and scheduled batches)."""
    queue: Name | None = None
    """The queue these contacts join; by default the queue named like the reason."""
    patience: Distribution | None = None
    """Patience of these callers; overrides the scenario's ``patience``."""

    @model_validator(mode="after")
    def _one_source(self) -> Reason:
        if self.arrival_times is not None and self.arrivals_per_hour > 0:
            raise ValueError("give either arrivals_per_hour or arrival_times, not both")
        return self


class Queue(Part):
    """A waiting line that agents serve first come, first served."""


class AgentGroup(Part):
    """A group of interchangeable agents (a tier or a department)."""

    headcount: Annotated[int, Field(ge=0)]
    """Agents on duty."""
    serves: Annotated[list[Name], Field(min_length=1)]
    """Queues this group answers, highest priority first."""
    handle_time: Distribution
    """Talk time of one contact."""
    hourly_cost: NonNegative = 42.0
    """Fully loaded cost per paid agent hour (FIGURES.md: $42/h, an estimate from BLS wages)."""
    resolve_probability: Probability = 1.0
    """Chance that a conversation with this group resolves the caller's problem (knowledge and
    authority); FIGURES.md: FCR about 0.70 in a reactive baseline."""


class Costs(Part):
    """Prices of what service consumes besides agents."""

    currency: str = "USD"
    """Label of the money columns."""
    telephony_per_minute: NonNegative = 0.025
    """Telephony per minute of a call in queue or talking (FIGURES.md: $0.025/min, vendor rate cards)."""


class Scenario(Part):
    """A whole scenario: demand, queues, agents, patience, horizon; one strategy's view of it."""

    name: str = "unnamed scenario"
    """A title for reports."""
    description: str = ""
    """Free text for reports."""
    horizon: PositiveSeconds
    """Simulated time; flow metrics count contacts arriving in [warmup, horizon)."""
    warmup: NonNegativeSeconds = 0.0
    """Time simulated before measuring starts, so the queue is in its steady state."""
    replications: Annotated[int, Field(ge=1)] = 10
    """Independent runs per strategy; confidence intervals are over these."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Root of every random stream (with the replication and the component's name)."""
    service_level_threshold: NonNegativeSeconds = 20.0
    """``service_level`` counts contacts answered within this wait (80/20 means 20s)."""
    demand: Annotated[dict[Name, Reason], Field(min_length=1)]
    """Contact reasons by name."""
    queues: dict[Name, Queue] | None = None
    """Queues by name; omitted, each reason's ``queue`` (default: its own name) makes one."""
    agents: Annotated[dict[Name, AgentGroup], Field(min_length=1)]
    """Agent groups by name."""
    patience: Distribution | None = None
    """How long callers wait before abandoning; omitted, they never abandon (Erlang C)."""
    costs: Costs = Costs()
    """Prices besides agents."""

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.warmup >= self.horizon:
            problems.append(
                (("warmup",), f"must be shorter than the horizon ({format_duration(self.horizon)}) "
                 f"(got {format_duration(self.warmup)})")
            )
        queue_names = self.queue_names
        if self.queues is not None:
            for reason_name, reason in self.demand.items():
                queue = reason.queue or reason_name
                if queue not in self.queues:
                    path = ("demand", reason_name, "queue") if reason.queue else ("demand", reason_name)
                    problems.append(
                        (path, f"joins queue '{queue}', which is not in queues; queues are: "
                         f"{', '.join(queue_names)}{suggestion(queue, queue_names)}")
                    )
        served: set[str] = set()
        for group_name, group in self.agents.items():
            for index, queue in enumerate(group.serves):
                if queue not in queue_names:
                    problems.append(
                        (("agents", group_name, "serves", index),
                         f"an existing queue: one of {', '.join(queue_names)} "
                         f"(got '{queue}'){suggestion(queue, queue_names)}")
                    )
                served.add(queue)
            if len(set(group.serves)) != len(group.serves):
                problems.append(
                    (("agents", group_name, "serves"), f"each queue once (got {group.serves})")
                )
        for queue in queue_names:
            if queue not in served:
                problems.append(
                    (("agents",), f"some group must serve queue '{queue}' (no group does)")
                )
        if problems:
            raise CrossCheckError(problems)
        return self

    @property
    def queue_names(self) -> list[str]:
        """Queue names in order: the ``queues`` section, or the reasons' queues as they appear."""
        if self.queues is not None:
            return list(self.queues)
        names: list[str] = []
        for reason_name, reason in self.demand.items():
            queue = reason.queue or reason_name
            if queue not in names:
                names.append(queue)
        return names

    def queue_of(self, reason_name: str) -> str:
        """The queue a reason's contacts join."""
        return self.demand[reason_name].queue or reason_name

    def patience_of(self, reason_name: str):
        """The patience distribution of a reason's callers, or ``None`` (infinite patience)."""
        return self.demand[reason_name].patience or self.patience

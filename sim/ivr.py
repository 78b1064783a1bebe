"""The IVR: the phone tree a caller walks before reaching an agent queue.

Each menu plays its prompt (a duration), then the caller hangs up (a chance that can grow with
the menu's depth), presses 0 for an operator, or picks an option. Which option depends on the
caller's *true* reason: each menu has a row of chances per reason (a confusion matrix), and a
billing caller who picks the tech option is misrouted, which only an agent will discover. An
option leads to another menu, to an agent queue, or to a self-service leaf that resolves some
reasons (with a chance, after a duration) and sends the rest on to a queue.

This module compiles the scenario's tree into small runtime objects and makes the decisions as
pure functions of uniform draws; :mod:`sim.journey` schedules the prompts.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from sim.scenario import Ivr as IvrSpec
from sim.streams import Streams

HANG_UP: Final = "hang_up"
ZERO_OUT: Final = "zero_out"


@dataclass
class Destination:
    """Where an option leads: one of a menu, a queue code, or a self-service leaf."""

    menu: "IvrMenu | None" = None
    queue: int | None = None
    leaf: "SelfServiceLeaf | None" = None


@dataclass
class SelfServiceLeaf:
    """A self-service leaf at runtime."""

    code: int
    name: str
    duration: Callable[[], float]
    resolves: list[float]
    """Per reason code, the chance to resolve."""
    queue: int | None
    """Queue code for the unresolved; ``None``: the reason's own queue."""


@dataclass
class IvrMenu:
    """One menu at runtime."""

    code: int
    name: str
    depth: int
    """0 for the entry menu."""
    prompt: Callable[[], float]
    hangup: float
    zero_out: float
    cumulative: list[list[float]]
    """Per reason code: cumulative chances over ``targets`` (empty: the reason never gets here)."""
    targets: list[Destination]
    outcomes: list[tuple[list[float], list]] = field(default_factory=list)
    """Per reason code: cumulative chances and outcomes (hang up, press 0, then the options), so one
    uniform draw and one bisection decide the step (see :func:`decide`)."""

    def compile_outcomes(self) -> None:
        """Fold the hang-up and zero-out chances in front of each reason's option chances."""
        self.outcomes = []
        keep = (1 - self.hangup) * (1 - self.zero_out)
        for row in self.cumulative:
            if not row:
                self.outcomes.append(([], []))
                continue
            bounds = [self.hangup, self.hangup + (1 - self.hangup) * self.zero_out]
            bounds += [bounds[1] + keep * value for value in row]
            bounds[-1] = math.inf  # the last option takes the rest of [0, 1), rounding included
            self.outcomes.append((bounds, [HANG_UP, ZERO_OUT, *self.targets]))


class IvrTree:
    """The compiled phone tree."""

    def __init__(self, spec: IvrSpec, reasons: list[str], queue_index: dict[str, int], streams: Streams):
        self.leaves: dict[str, SelfServiceLeaf] = {}
        for code, (name, leaf) in enumerate(spec.self_service.items()):
            self.leaves[name] = SelfServiceLeaf(
                code, name, leaf.duration.sampler(streams(f"ivr/self_service/{name}")),
                [leaf.resolves.get(reason, 0.0) for reason in reasons],
                queue_index[leaf.queue] if leaf.queue is not None else None)
        self.menus: dict[str, IvrMenu] = {}
        depths = _depths(spec)
        for code, (name, menu) in enumerate(spec.menus.items()):
            depth = depths.get(name, 0)
            hangup = menu.hangup if menu.hangup is not None else min(1.0, spec.hangup * spec.hangup_growth ** depth)
            self.menus[name] = IvrMenu(code, name, depth, menu.prompt.sampler(streams(f"ivr/prompt/{name}")),
                                       hangup, menu.zero_out, [], [])
        for name, menu in spec.menus.items():
            runtime = self.menus[name]
            keys = list(menu.options)
            for key in keys:
                option = menu.options[key]
                runtime.targets.append(Destination(
                    menu=self.menus[option.menu] if option.menu is not None else None,
                    queue=queue_index[option.queue] if option.queue is not None else None,
                    leaf=self.leaves[option.self_service] if option.self_service is not None else None))
            for reason in reasons:
                row = menu.choice.get(reason)
                if row is None:
                    runtime.cumulative.append([])
                    continue
                total, cumulative = 0.0, []
                for key in keys:
                    total += row.get(key, 0.0)
                    cumulative.append(total)
                runtime.cumulative.append(cumulative)
        for runtime in self.menus.values():
            runtime.compile_outcomes()
        self.entry = self.menus[spec.entry]
        """The first menu."""
        self.operator = queue_index[spec.operator] if spec.operator is not None else None
        """Queue code for callers who press 0 (``None``: their reason's queue)."""
        self.names = list(spec.menus)
        """Menu names by code."""


def _depths(spec: IvrSpec) -> dict[str, int]:
    """Depth of each menu: the shortest path from the entry (menus form no loop)."""
    depths = {spec.entry: 0}
    frontier = [spec.entry]
    while frontier:
        following = []
        for name in frontier:
            for option in spec.menus[name].options.values():
                if option.menu is not None and option.menu not in depths:
                    depths[option.menu] = depths[name] + 1
                    following.append(option.menu)
        frontier = following
    return depths


def decide(menu: IvrMenu, reason: int, draw: float) -> str | Destination:
    """After *menu*'s prompt: ``HANG_UP``, ``ZERO_OUT`` or the chosen destination, from one uniform
    *draw* (hang-up first, then zero-out, then the options, each taking its share of [0, 1))."""
    bounds, outcomes = menu.outcomes[reason]
    return outcomes[bisect.bisect_right(bounds, draw)]

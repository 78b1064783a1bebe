"""Parameter sweeps: one scenario run over a design of points, every task on its own, stored as it ends.

A *sweep* asks how the answer changes with the inputs: how total cost and waits move as the
operations team grows from one engineer to four, or at what transition cost embedding service in
operations stops paying. It takes a base scenario (the file after ``--set``, never mutated) and
*factors*, each a key path with the values it takes:

- ``--vary operations.engineers=1,2,3`` lists values; each is YAML, as with ``--set``, so
  ``--vary patience.scale=5m,10m`` and ``--vary calendar.intraday=flat,bank_weekday`` work;
- ``--vary root_causes.confusing_invoice.fix_effort.mean=20h:80h:20h`` is a range
  ``low:high:step`` (plain numbers, or durations with units; both ends included);
- a path may target one strategy, as ``--set`` does: ``strategies.embedded.costs.transition=0:90000:30000``.

The *design* is the full grid of the factors (every combination, the first factor varying
slowest), or with ``--samples N`` a Latin hypercube of N points: each factor's range (or list) is
cut into N equal strata and every stratum is used exactly once, so N points cover each factor
evenly whatever the number of factors (``low:high`` ranges are sampled continuously, rounded to
six significant digits, or to whole numbers when both ends are whole; ``low:high:step`` ranges
snap to their steps; lists pick a value by stratum). The hypercube is drawn from ``--seed``
(default: the scenario's seed), so the same command gives the same points. A file may carry the
sweep itself in a top-level section, used when the command line gives no ``--vary``::

    sweep:
      vary: {operations.engineers: [1, 2, 3], costs.transition: "0:120000:60000"}
      samples: 10        # optional

Every point x strategy x replication is a **task**, identified by (point, strategy, replication).
Its random numbers come from (seed, replication, component) only (:mod:`sim.streams`), never from
the point, the strategy or the order in which tasks run: points and strategies share their random
numbers, so differences along a factor come from the factor, not from noise, and a task gives the
same numbers on any process or machine. Every point's scenario is validated before anything runs;
a bad path or value is one line naming the ``--vary`` (or ``sweep.vary`` entry) that caused it.

**The store.** Each finished task is one row of an SQLite table in the output folder
(``sweep.db``, write-ahead log, committed at once), so an interrupted sweep (Ctrl-C, a killed
process or worker) loses nothing that finished and leaves no half-written file: the tables and the
report are written only when every task is in, each to a temporary file renamed into place.
``--resume`` continues a folder whose recorded sweep (its *fingerprint*: every point's resolved
scenarios, the strategies and the replications) is this one, running only the missing tasks.

**The outputs** are rebuilt from the store in task order, so they are byte-identical whatever the
executor, the number of workers, the order tasks finished in, or how many times the sweep was
resumed:

- ``sweep.csv``: tidy, one row per task: ``point``, one column per factor (numbers in the unit
  they were written in, or text), ``strategy``, ``replication`` and every ``summary.csv`` metric
  (``break_even_day`` against the first strategy at the same point and replication);
- ``sweep_summary.csv``: per point, strategy and metric, the mean over replications with its 95%
  t-interval and the paired difference against the first strategy with its interval
  (:func:`sim.stats.compare`), the factor values as columns;
- ``sweep.html`` (:mod:`sim.sweep_report`), ``scenario.yaml`` (the base, resolved) and
  ``manifest.json`` (the sweep's definition, its points and fingerprint, versions, status).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import socket
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.loader import ScenarioError, Study, load_text
from sim.metrics import SUMMARY_COLUMNS, break_even_day
from sim.outputs import TOOL, is_ours, manifest, write_json
from sim.scenario import Scenario
from sim.stats import COMPARISON_COLUMNS, compare
from sim.units import UNITS

MAX_LEVELS = 10_000
"""Most values one range may produce."""

MAX_POINTS = 100_000
"""Most points a sweep may have."""

LHS_STREAM = 0x5EE9
"""Second word of the Latin hypercube's seed sequence (the first is the seed): keeps its draws
apart from every simulation stream."""

METRICS = [column for column in SUMMARY_COLUMNS if column not in ("strategy", "replication")]
"""The metrics of ``sweep.csv`` and ``sweep_summary.csv``: every column of ``summary.csv``."""

ID_COLUMNS = ("point", "strategy", "replication", "metric")
"""Columns of the outputs that a factor may not be named like."""

SUMMARY_TABLE_COLUMNS = ["point", "strategy", "replications", *COMPARISON_COLUMNS[1:]]
"""Columns of ``sweep_summary.csv`` after the factor columns (``point`` comes first)."""

OUTPUT_FILES = ("sweep.csv", "sweep_summary.csv", "sweep.html", "sweep.db", "scenario.yaml", "manifest.json")
"""The files of a sweep folder."""

STORE = "sweep.db"
"""The task store's file name in the output folder."""

EXIT_BAD_INPUT = 2


class SweepError(Exception):
    """A sweep that cannot run (exit status 2); ``lines`` holds one readable line per mistake."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


# ------------------------------------------------------------------------------------- factors


@dataclass(frozen=True)
class Level:
    """One value a factor takes."""

    value: Any
    """The value as the scenario gets it (YAML: a number, a duration like ``'40h'``, a name...)."""
    label: Any
    """Its ``sweep.csv`` entry: a number (durations in the factor's unit) or a text."""


@dataclass(frozen=True)
class Factor:
    """A key path and the values it takes: a list, or a range ``low:high[:step]``."""

    path: str
    """The key path as in ``--set`` (``operations.engineers``, ``strategies.embedded.costs.transition``)."""
    written: str
    """How the user wrote it, for error lines (``--vary operations.engineers=1,2`` or ``sweep.vary...``)."""
    levels: tuple[Level, ...] = ()
    """A list factor's values, in order (empty for a range)."""
    low: float | None = None
    """A range's low end, in ``unit``."""
    high: float | None = None
    """A range's high end (included), in ``unit``."""
    step: float | None = None
    """A range's step (``None``: ``low:high``, for Latin hypercubes only)."""
    unit: str = ""
    """Duration unit of the labels (``s``, ``m``, ``h``, ``d``, ``w``), or ``''`` for plain numbers/text."""
    whole: bool = False
    """A range of whole numbers (both ends and the step written without a decimal point or unit)."""

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @property
    def title(self) -> str:
        """Axis title: the path and its unit."""
        return f"{self.path} ({self.unit})" if self.unit else self.path

    def grid(self) -> list[Level]:
        """Every value of a grid (a range needs its step)."""
        if not self.is_range:
            return list(self.levels)
        count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return [self._level(self.low + k * self.step) for k in range(count)]

    def sample(self, u: float) -> Level:
        """The value at quantile *u* in [0, 1) of the factor (a Latin hypercube's coordinate)."""
        if not self.is_range:
            return self.levels[min(len(self.levels) - 1, int(u * len(self.levels)))]
        x = self.low + u * (self.high - self.low)
        if self.step is not None:
            steps = int(math.floor((self.high - self.low) / self.step + 1e-9))
            x = self.low + min(steps, max(0, round((x - self.low) / self.step))) * self.step
        elif self.whole:
            x = min(self.high, max(self.low, math.floor(x + 0.5)))
        else:
            x = float(f"{x:.6g}")
        return self._level(x)

    def _level(self, x: float) -> Level:
        x = float(f"{x:.12g}")  # no float drift from low + k * step
        if self.whole:
            return Level(int(round(x)), int(round(x)))
        if self.unit:
            return Level(f"{_plain(x)}{self.unit}", x)
        return Level(x, x)


class _Bad(ValueError):
    """A factor written wrongly: the message says what is allowed."""


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([smhdw]?)\s*$")

RANGE_HELP = "values v1,v2,... or a range low:high:step (numbers, or durations like 20h:80h:20h)"


def _plain(x: float) -> str:
    """A number written short and exact enough: ``20``, ``2.5``, ``1e-06``."""
    return f"{x:.12g}"


def _quantity(text: str) -> tuple[float, str, bool] | None:
    """``'20h'`` -> (20.0, 'h', False); ``'3'`` -> (3.0, '', True); ``None`` if not a number or duration."""
    match = _QUANTITY.match(text)
    if match is None:
        return None
    number = match.group(1)
    whole = re.fullmatch(r"[-+]?\d+", number) is not None
    return float(number), match.group(2), whole


def _as_range(text: str) -> Factor | None:
    """A ``low:high[:step]`` range written in *text*, or ``None`` if it is not one."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        return None
    quantities = [_quantity(part) for part in parts]
    if any(q is None for q in quantities):
        return None
    units = [unit for _, unit, _ in quantities if unit]
    unit = units[0] if units else ""
    scale = UNITS[unit] if unit else 1.0
    values = [number * (UNITS[u] if u else 1.0) / scale for number, u, _ in quantities]
    if any(not math.isfinite(v) for v in values):
        raise _Bad(f"a range of finite numbers (got {text!r})")
    low, high = values[0], values[1]
    step = values[2] if len(values) == 3 else None
    if high < low:
        raise _Bad(f"a range low:high{':step' if step is not None else ''} with low <= high (got {text!r})")
    if step is not None:
        if step <= 0:
            raise _Bad(f"a range low:high:step with a step > 0 (got {text!r})")
        count = math.floor((high - low) / step + 1e-9) + 1
        if count > MAX_LEVELS:
            raise _Bad(f"a range of at most {MAX_LEVELS} values (got {count:,} from {text!r})")
    whole = not unit and all(w for _, _, w in quantities)
    return Factor(path="", written=text, low=low, high=high, step=step, unit=unit, whole=whole)


def _split_values(text: str) -> list[str]:
    """Split at the commas outside brackets and quotes: ``1,[a, b],'x,y'`` -> three values."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return parts


def _labels(values: list[Any]) -> tuple[list[Any], str]:
    """``sweep.csv`` labels of a list of values and their unit: numbers stay numbers, durations become
    numbers in the unit of the first one written with a unit (plain numbers then count as seconds),
    anything else is written as YAML text."""
    def number(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    durations = [_quantity(v) if isinstance(v, str) else None for v in values]
    units = [q[1] for q in durations if q is not None and q[1]]
    if units and all(number(v) or (q is not None) for v, q in zip(values, durations)):
        unit = units[0]
        labels = []
        for value, quantity in zip(values, durations):
            seconds = value if number(value) else quantity[0] * (UNITS[quantity[1]] if quantity[1] else 1.0)
            labels.append(float(f"{seconds / UNITS[unit]:.12g}"))
        return labels, unit
    if all(number(v) for v in values):
        return list(values), ""
    return [v if isinstance(v, str) else yaml_text(v) for v in values], ""


def _list_factor(values: list[Any], written: str) -> Factor:
    if not values:
        raise _Bad(f"at least one value: {RANGE_HELP} (got nothing)")
    for value in values:
        try:
            yaml_text(value)
        except ValueError:
            raise _Bad(f"values that YAML can write back exactly (got {value!r})") from None
    labels, unit = _labels(values)
    return Factor(path="", written=written, levels=tuple(Level(v, l) for v, l in zip(values, labels)), unit=unit)


def check_path(path: str) -> str:
    """*path* stripped, or :class:`_Bad` if it cannot be swept."""
    path = path.strip()
    parts = path.split(".")
    if not path or any(not part.strip() for part in parts):
        raise _Bad(f"a key path like operations.engineers (got {path!r})")
    if parts[0] == "strategies":
        if len(parts) < 3:
            raise _Bad(f"strategies.NAME.key, a key inside one strategy (got {path!r})")
        own = parts[2:]
    else:
        own = parts
    if own[0] == "seed":
        raise _Bad("cannot be swept: every point shares the seed, so that points share their random numbers "
                   f"(got {path!r}); more replications come from --replications")
    if own[0] == "replications":
        raise _Bad(f"cannot be swept: set the replications with --replications (got {path!r})")
    if own[0] == "sweep":
        raise _Bad(f"cannot be swept: the sweep section itself (got {path!r})")
    if path in ID_COLUMNS or path in SUMMARY_COLUMNS:
        raise _Bad(f"a key path that is not also an output column (got {path!r})")
    return path


def parse_vary(expression: str, samples: int | None = None) -> Factor:
    """A ``--vary key.path=values`` option as a :class:`Factor`; raises :class:`SweepError`."""
    where = f"--vary {expression}"
    key, sep, text = expression.partition("=")
    try:
        if not sep:
            raise _Bad(f"a key.path=values pair like operations.engineers=1,2,3 (got no '=')")
        path = check_path(key)
        if not text.strip():
            raise _Bad(f"{RANGE_HELP} after '=' (got nothing)")
        factor = _as_range(text.strip())
        if factor is None:
            values = []
            for part in _split_values(text):
                if not part.strip():
                    raise _Bad(f"{RANGE_HELP}, no empty value (got {text!r})")
                try:
                    values.append(yaml.safe_load(part))
                except yaml.YAMLError:
                    raise _Bad(f"YAML values separated by commas (got {part.strip()!r})") from None
            factor = _list_factor(values, text)
        _check_for_design(factor, samples, text)
    except _Bad as error:
        raise SweepError([f"{where}: {error}"]) from None
    return _placed(factor, path, where)


def section_factor(path: str, spec: Any, samples: int | None, where: str | None = None) -> Factor:
    """A ``sweep.vary`` entry as a :class:`Factor`; raises :class:`_Bad` (a ValueError)."""
    path = check_path(str(path))
    if isinstance(spec, list):
        factor = _list_factor(spec, yaml_text(spec))
    elif isinstance(spec, str) and _as_range(spec.strip()) is not None:
        factor = _as_range(spec.strip())
    else:
        raise _Bad(f"a list of values like [1, 2, 3] or a range 'low:high:step' (got {yaml_text(spec)})")
    _check_for_design(factor, samples, factor.written)
    return _placed(factor, path, where or f"sweep.vary.{path}")


def _check_for_design(factor: Factor, samples: int | None, text: str) -> None:
    if factor.is_range and factor.step is None and samples is None:
        raise _Bad(f"a grid range needs its step, low:high:step, or use --samples N for a Latin hypercube "
                   f"over low:high (got {text!r})")


def _placed(factor: Factor, path: str, written: str) -> Factor:
    return Factor(path=path, written=written, levels=factor.levels, low=factor.low, high=factor.high,
                  step=factor.step, unit=factor.unit, whole=factor.whole)


def factor_problems(vary: dict[str, Any], samples: int | None) -> list[tuple[str, str]]:
    """``(path, message)`` for every ``sweep.vary`` entry written wrongly (used by the loader)."""
    problems = []
    for path, spec in vary.items():
        try:
            section_factor(path, spec, samples)
        except _Bad as error:
            problems.append((path, str(error)))
    return problems


def yaml_text(value: Any) -> str:
    """*value* as one line of YAML that loads back to it (what ``--set path=TEXT`` is given)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True).strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")].strip()
    elif text.endswith("..."):
        text = text[:-3].strip()
    back = yaml.safe_load(text)
    same = back == value or (isinstance(value, float) and math.isnan(value) and isinstance(back, float)
                             and math.isnan(back))
    if not same or type(back) is not type(value):
        raise ValueError(f"cannot write {value!r} as YAML that loads back to it")
    return text


# -------------------------------------------------------------------------------------- design


@dataclass(frozen=True)
class Point:
    """One point of the design: a level of every factor."""

    index: int
    """0-based position in the design (the ``point`` column)."""
    levels: tuple[Level, ...]
    """One level per factor, in factor order."""

    def assignments(self, factors: list[Factor]) -> list[str]:
        """The ``key.path=value`` overrides that make this point."""
        return [f"{f.path}={yaml_text(level.value)}" for f, level in zip(factors, self.levels)]

    def labels(self, factors: list[Factor]) -> dict[str, Any]:
        return {f.path: level.label for f, level in zip(factors, self.levels)}


def grid_points(factors: list[Factor]) -> list[Point]:
    """The full factorial design, the first factor varying slowest."""
    grids = [factor.grid() for factor in factors]
    count = math.prod(len(grid) for grid in grids)
    if count > MAX_POINTS:
        raise SweepError([f"--vary: a grid of at most {MAX_POINTS:,} points (got {count:,}: "
                          f"{' x '.join(str(len(g)) for g in grids)}); use --samples N for a Latin hypercube"])
    return [Point(i, tuple(levels)) for i, levels in enumerate(itertools.product(*grids))]


def latin_hypercube(factors: list[Factor], samples: int, seed: int) -> list[Point]:
    """*samples* points; each factor's range is cut into *samples* strata, each used once."""
    if samples > MAX_POINTS:
        raise SweepError([f"--samples: at most {MAX_POINTS:,} points (got {samples:,})"])
    generator = np.random.default_rng(np.random.SeedSequence([seed, LHS_STREAM]))
    columns = []
    for factor in factors:
        strata = generator.permutation(samples)
        u = (strata + generator.random(samples)) / samples
        columns.append([factor.sample(float(value)) for value in u])
    return [Point(i, tuple(column[i] for column in columns)) for i in range(samples)]


# -------------------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class SweepTask:
    """One replication of one strategy at one point: the unit of work an executor runs."""

    point: int
    strategy: str
    replication: int
    scenario: Scenario
    """The point's resolved scenario of this strategy."""

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.point, self.strategy, self.replication)


@dataclass(frozen=True)
class TaskResult:
    """What a task sends back: its summary row and its cumulative cost by day (for break-even)."""

    point: int
    strategy: str
    replication: int
    summary: dict[str, Any]
    """Every metric of ``summary.csv`` (plain numbers)."""
    days: list[float]
    """Day numbers of the daily table."""
    cost_to_date: list[float]
    """Cumulative total cost at the end of each day."""
    cpu_s: float
    """CPU seconds the task's own thread took in its worker (not the worker's other threads, such as
    a Dask worker's communication)."""
    wall_s: float
    """Elapsed seconds of the task in its worker."""
    worker: str
    """``host:pid`` of the process that ran it."""

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.point, self.strategy, self.replication)


def run_sweep_task(task: SweepTask) -> TaskResult:
    """Simulate and measure one task (in a worker process): the function every executor maps."""
    from sim.runner import Task, run_task

    cpu, wall = time.thread_time(), time.perf_counter()
    measured = run_task(Task(task.strategy, task.replication, task.scenario))
    summary = {name: _plain_number(measured.summary.get(name, math.nan)) for name in METRICS}
    daily = measured.daily
    return TaskResult(
        point=task.point, strategy=task.strategy, replication=task.replication, summary=summary,
        days=[_plain_number(d) for d in daily["day"]], cost_to_date=[float(c) for c in daily["cost_to_date"]],
        cpu_s=time.thread_time() - cpu, wall_s=time.perf_counter() - wall,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )


def _plain_number(value: Any) -> Any:
    """numpy scalars as Python numbers (they go through JSON)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class SweepPlan:
    """A validated sweep: its factors, points, each point's scenarios, and the task list."""

    source: str
    """The scenario file."""
    overrides: list[str]
    """``--set`` options applied to the base."""
    factors: list[Factor]
    method: str
    """``grid`` or ``latin hypercube``."""
    samples: int | None
    lhs_seed: int | None
    points: list[Point]
    studies: list[Study]
    """Per point, the loaded study (its strategies' scenarios)."""
    base: Study
    """The scenario without the sweep (after ``--set``)."""
    replications: dict[str, int]
    """Replications per strategy."""
    scenario_json: list[dict[str, str]]
    """Per point, each strategy's resolved scenario as JSON (what the fingerprint hashes)."""
    notes: list[str] = field(default_factory=list)
    """Warnings worth a line (a factor that does not change some strategy)."""

    @property
    def strategies(self) -> list[str]:
        return list(self.base.strategies)

    def tasks(self) -> list[SweepTask]:
        """Every point x strategy x replication, in task order."""
        return [
            SweepTask(point.index, name, replication, self.studies[point.index].strategies[name])
            for point in self.points
            for name in self.strategies
            for replication in range(self.replications[name])
        ]

    def task_keys(self) -> list[tuple[int, str, int]]:
        return [(p.index, name, r) for p in self.points for name in self.strategies
                for r in range(self.replications[name])]

    def point_labels(self) -> list[dict[str, Any]]:
        return [point.labels(self.factors) for point in self.points]

    def fingerprint(self) -> str:
        """A hash of everything that shapes the results: each point's resolved scenarios, the
        strategies and the replications (not comments, not the executor)."""
        digest = hashlib.sha256()
        for point, dumps in zip(self.points, self.scenario_json):
            for name, dump in dumps.items():
                digest.update(f"{point.index}|{name}|{self.replications[name]}|".encode())
                digest.update(dump.encode())
                digest.update(b"\n")
        return digest.hexdigest()

    def definition(self) -> dict[str, Any]:
        """The sweep as recorded in ``manifest.json`` (and compared on ``--resume``)."""
        return {
            "method": self.method,
            "factors": [{"path": f.path, "written": f.written, "unit": f.unit} for f in self.factors],
            "samples": self.samples,
            "lhs_seed": self.lhs_seed,
            "strategies": self.strategies,
            "replications": self.replications,
            "points": [{"point": p.index, **p.labels(self.factors)} for p in self.points],
            "base_scenario_sha256": hashlib.sha256(
                "".join(s.model_dump_json() for s in self.base.strategies.values()).encode()).hexdigest(),
            "fingerprint": self.fingerprint(),
        }


def plan_sweep(path: str | Path, overrides: list[str] = (), vary: list[str] = (), samples: int | None = None,
               seed: int | None = None, replications: int | None = None,
               text: str | None = None) -> SweepPlan:
    """Read the scenario, build the design and validate every point; raise :class:`SweepError` or
    :class:`~sim.loader.ScenarioError` with one line per mistake."""
    source = str(path)
    if text is None:
        from sim.loader import load_study

        base = load_study(path, list(overrides))
        text = Path(path).read_text(encoding="utf-8")
    else:
        base = load_text(text, source, list(overrides))
    if vary:
        factors, problems = [], []
        for expression in vary:
            try:
                factors.append(parse_vary(expression, samples))
            except SweepError as error:
                problems.extend(error.lines)
        if problems:
            raise SweepError([f"{source}: {line}" for line in problems])
        if seed is not None and samples is None:
            raise SweepError([f"{source}: --seed: only with --samples: it seeds the Latin hypercube "
                              f"(got --seed {seed} without --samples)"])
    elif base.sweep is not None:
        samples = samples if samples is not None else base.sweep.samples
        seed = seed if seed is not None else base.sweep.seed
        factors = []
        for key, spec in base.sweep.vary.items():
            where = base.sweep_where.get(key, source)
            try:
                factors.append(section_factor(key, spec, samples, where=f"sweep.vary.{key}"))
            except _Bad as error:  # a range without a step, with --samples removed
                raise SweepError([f"{where}: sweep.vary.{key}: {error}"]) from None
        if seed is not None and samples is None:
            raise SweepError([f"{source}: --seed: only with samples: it seeds the Latin hypercube"])
    else:
        raise SweepError([f"{source}: nothing to sweep: give --vary key.path=values (repeatable), or a "
                          "sweep: section with vary in the file"])
    paths = [factor.path for factor in factors]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise SweepError([f"{source}: --vary {p}: each key path once (got it {paths.count(p)} times)" for p in twice])
    lhs_seed = None
    if samples is not None:
        lhs_seed = seed if seed is not None else base.first.seed
        points = latin_hypercube(factors, samples, lhs_seed)
        method = "latin hypercube"
    else:
        points = grid_points(factors)
        method = "grid"
    reps = {name: replications or scenario.replications for name, scenario in base.strategies.items()}
    studies = _validate_points(source, text, list(overrides), factors, points, base)
    dumps = [{name: scenario.model_dump_json() for name, scenario in study.strategies.items()} for study in studies]
    notes = _unchanged_notes(factors, points, dumps, list(base.strategies))
    return SweepPlan(source=source, overrides=list(overrides), factors=factors, method=method, samples=samples,
                     lhs_seed=lhs_seed, points=points, studies=studies, base=base, replications=reps,
                     scenario_json=dumps, notes=notes)


def _where(factor: Factor, source: str, places: dict[str, str]) -> str:
    if factor.written.startswith("--vary"):
        return f"{source}: {factor.written}"
    return f"{places.get(factor.path, source)}: {factor.written}"


def _validate_points(source: str, text: str, overrides: list[str], factors: list[Factor], points: list[Point],
                     base: Study) -> list[Study]:
    """Load every point; on mistakes, find the factor value that causes each and say so in one line."""
    studies: list[Study | None] = []
    failed: list[tuple[Point, list[str]]] = []
    cache: dict[tuple[int, str], list[str]] = {}
    for point in points:
        assignments = point.assignments(factors)
        try:
            studies.append(load_text(text, source, overrides + assignments))
        except ScenarioError as error:
            studies.append(None)
            failed.append((point, error.lines))
    if failed:
        lines: list[str] = []
        for point, point_lines in failed:
            blamed = False
            for index, (factor, level) in enumerate(zip(factors, point.levels)):
                assignment = f"{factor.path}={yaml_text(level.value)}"
                if (index, assignment) not in cache:
                    try:
                        load_text(text, source, overrides + [assignment])
                        cache[(index, assignment)] = []
                    except ScenarioError as error:
                        cache[(index, assignment)] = [
                            _reword(line, source, {assignment: _where(factor, source, base.sweep_where)})
                            for line in error.lines]
                for line in cache[(index, assignment)]:
                    blamed = True
                    if line not in lines:
                        lines.append(line)
            if not blamed:
                names = ", ".join(f"{f.path}={_show_label(l.label)}" for f, l in zip(factors, point.levels))
                words = {a: f"sweep point {point.index} ({names})" for a in point.assignments(factors)}
                for line in point_lines:
                    line = _reword(line, source, words)
                    if line not in lines:
                        lines.append(line)
        raise SweepError(lines)
    return studies


def _reword(line: str, source: str, words: dict[str, str]) -> str:
    """A loader line caused by ``--set ASSIGNMENT`` rewritten to name the factor that made it."""
    where = next(iter(words.values()))
    for assignment, place in words.items():
        prefix = f"{source}: --set {assignment}: "
        if line.startswith(prefix):
            where, line = place, line[len(prefix):]
            break
    else:
        located = re.match(rf"^{re.escape(source)}:(\d+):\d+: (.*)$", line)
        if located is None:
            return line
        line = f"line {located.group(1)}: {located.group(2)}"
    return f"{where}: {line}" if where.startswith(source) else f"{source}: {where}: {line}"


def _show_label(label: Any) -> str:
    return _plain(label) if isinstance(label, float) else str(label)


def _unchanged_notes(factors: list[Factor], points: list[Point], dumps: list[dict[str, str]],
                     strategies: list[str]) -> list[str]:
    """A note for each factor that leaves a strategy the same wherever only that factor changes
    (the strategy's patch sets the key the factor changes in the base, so the factor never reaches it)."""
    notes = []
    for index, factor in enumerate(factors):
        if factor.path.startswith("strategies."):
            continue
        for name in strategies:
            groups: dict[tuple, dict[Level, str]] = {}
            for point, dump in zip(points, dumps):
                rest = point.levels[:index] + point.levels[index + 1:]
                groups.setdefault(rest, {})[point.levels[index]] = dump[name]
            comparable = [group for group in groups.values() if len(group) > 1]
            if comparable and all(len(set(group.values())) == 1 for group in comparable):
                notes.append(f"note: {factor.path} does not change strategy {name} (its patch sets that key); "
                             f"vary strategies.{name}.{factor.path} to change it there")
    return notes


# ------------------------------------------------------------------------------------------ store


class TaskStore:
    """The finished tasks of a sweep: one SQLite row per task, committed as soon as it arrives.

    SQLite in write-ahead-log mode commits each row atomically and durably: a process killed
    mid-write leaves the last committed row in place and nothing half-written. Results are kept as
    JSON text (floats written by ``repr``, so they read back bit for bit)."""

    def __init__(self, path: Path, fingerprint: str):
        self.path = path
        self.connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute("CREATE TABLE IF NOT EXISTS sweep (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS tasks (point INTEGER NOT NULL, strategy TEXT NOT NULL, "
            "replication INTEGER NOT NULL, summary TEXT NOT NULL, days TEXT NOT NULL, cost_to_date TEXT NOT NULL, "
            "cpu_s REAL, wall_s REAL, worker TEXT, finished TEXT, PRIMARY KEY (point, strategy, replication))")
        row = self.connection.execute("SELECT value FROM sweep WHERE key = 'fingerprint'").fetchone()
        if row is None:
            self.connection.execute("INSERT INTO sweep VALUES ('fingerprint', ?)", (fingerprint,))
        elif row[0] != fingerprint:
            self.close()
            raise SweepError([f"{path}: holds the tasks of another sweep (its fingerprint differs); "
                              "run without --resume to start again"])

    def done(self) -> set[tuple[int, str, int]]:
        """Keys of the finished tasks."""
        return {tuple(row) for row in self.connection.execute("SELECT point, strategy, replication FROM tasks")}

    def add(self, result: TaskResult) -> None:
        """Store one finished task (a task that is already there is kept: it gave the same numbers)."""
        self.connection.execute(
            "INSERT OR IGNORE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (result.point, result.strategy, result.replication, json.dumps(result.summary),
             json.dumps(result.days), json.dumps(result.cost_to_date), result.cpu_s, result.wall_s, result.worker,
             time.strftime("%Y-%m-%dT%H:%M:%S")))

    def results(self) -> dict[tuple[int, str, int], TaskResult]:
        rows = self.connection.execute(
            "SELECT point, strategy, replication, summary, days, cost_to_date, cpu_s, wall_s, worker FROM tasks")
        return {
            (point, strategy, replication): TaskResult(point, strategy, replication, json.loads(summary),
                                                       json.loads(days), json.loads(cost), cpu, wall, worker)
            for point, strategy, replication, summary, days, cost, cpu, wall, worker in rows
        }

    def close(self) -> None:
        self.connection.close()


def count_done(folder: Path) -> int:
    """Finished tasks in a sweep folder's store (0 without one); safe while a sweep writes to it."""
    path = Path(folder) / STORE
    if not path.exists():
        return 0
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        connection.close()


# -------------------------------------------------------------------------------------- tables


def sweep_table(plan: SweepPlan, results: dict[tuple[int, str, int], TaskResult]) -> pd.DataFrame:
    """``sweep.csv``: one row per task in task order, factor values as columns, every metric."""
    labels = plan.point_labels()
    reference = plan.strategies[0]
    rows = []
    for key in plan.task_keys():
        point, strategy, replication = key
        result = results[key]
        row = {"point": point, **labels[point], "strategy": strategy, "replication": replication}
        row.update({metric: result.summary.get(metric, math.nan) for metric in METRICS})
        base = results.get((point, reference, replication))
        if strategy == reference or base is None or len(base.days) != len(result.days):
            row["break_even_day"] = math.nan
        else:
            row["break_even_day"] = break_even_day(np.asarray(result.cost_to_date), np.asarray(base.cost_to_date),
                                                   np.asarray(result.days))
        rows.append(row)
    columns = ["point", *[f.path for f in plan.factors], "strategy", "replication", *METRICS]
    return pd.DataFrame(rows, columns=columns)


def sweep_summary(plan: SweepPlan, table: pd.DataFrame) -> pd.DataFrame:
    """``sweep_summary.csv``: per point, strategy and metric, the mean and 95% CI over replications
    and the paired difference against the first strategy with its interval."""
    factor_columns = [f.path for f in plan.factors]
    parts = []
    for point, rows in table.groupby("point", sort=True):
        compared = compare(rows, METRICS)
        counts = rows.groupby("strategy", sort=False)["replication"].count()
        compared["replications"] = compared["strategy"].map(counts).astype(int)
        compared["point"] = point
        for column in factor_columns:
            compared[column] = [rows[column].iloc[0]] * len(compared)
        parts.append(compared)
    return pd.concat(parts, ignore_index=True)[["point", *factor_columns, *SUMMARY_TABLE_COLUMNS[1:]]]


# ------------------------------------------------------------------------------------- the folder


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write *path* through a temporary file in the same folder, renamed into place at the end."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


def _difference(recorded: dict, current: dict) -> str:
    """What differs between two sweep definitions, in words."""
    def short(value):
        text = json.dumps(value, default=str)
        return text if len(text) <= 70 else text[:67] + "..."

    for key, words in (("factors", "the swept factors"), ("method", "the design"), ("samples", "--samples"),
                       ("lhs_seed", "the Latin hypercube's seed"), ("strategies", "the strategies"),
                       ("replications", "the replications"), ("points", "the points"),
                       ("base_scenario_sha256", "the scenario (file or --set)")):
        if recorded.get(key) != current.get(key):
            if key == "factors":
                there = ", ".join(str(f.get("written")) for f in recorded.get(key) or []) or "none"
                here = ", ".join(f["written"] for f in current[key])
                return f"{words} (there: {there}; here: {here})"
            if key == "base_scenario_sha256":
                return words
            return f"{words} (there: {short(recorded.get(key))}; here: {short(current.get(key))})"
    return "the scenarios of its points (file or --set)"


def check_folder(out: Path, plan: SweepPlan, resume: bool) -> dict:
    """Raise :class:`SweepError` unless *out* can take *plan*: free, or one of our folders (with
    *resume*: a folder holding this very sweep). Returns the manifest found there (``{}`` if none)."""
    if not out.exists():
        return {}
    if not (out.is_dir() and is_ours(out)):
        kind = "folder" if out.is_dir() else "file"
        raise SweepError([f"{out}: exists and is not a contactsim output {kind} (no manifest.json of ours); "
                          "choose another --out or remove it"])
    recorded = _read_manifest(out)
    if resume:
        if recorded.get("kind") != "sweep":
            raise SweepError([f"{out}: --resume: holds a run, not a sweep; run without --resume to replace it, "
                              "or choose another --out"])
        definition = plan.definition()
        if recorded.get("sweep", {}).get("fingerprint") != definition["fingerprint"]:
            raise SweepError([f"{out}: --resume: this sweep differs from the one recorded there in "
                              f"{_difference(recorded.get('sweep', {}), definition)}; run without --resume to "
                              "replace it, or choose another --out"])
    return recorded


def open_folder(out: Path, plan: SweepPlan, resume: bool, info: dict) -> tuple[TaskStore, list[str]]:
    """Make *out* ready for *plan* and open its store; returns the store and notes worth a line.

    A new folder is built in a temporary sibling (manifest and empty store) and renamed into place,
    so a folder named *out* is always recognisably ours. An existing folder must be one of ours:
    with *resume* it must hold this very sweep (same fingerprint); without, it is replaced."""
    notes = []
    definition = plan.definition()
    recorded = check_folder(out, plan, resume)
    if out.exists():
        if resume:
            store = TaskStore(out / STORE, definition["fingerprint"])
            _write_manifest(out, {**recorded, "sweep": definition, "status": "running",
                                  "resumed": recorded.get("resumed", 0) + 1})
            return store, notes
        finished = count_done(out) if recorded.get("kind") == "sweep" else 0
        if finished:
            notes.append(f"note: replacing {out} and the {finished} task(s) it had finished "
                         "(--resume would have kept them)")
        retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, retired / out.name)
        shutil.rmtree(retired, ignore_errors=True)
    elif resume:
        notes.append(f"note: nothing to resume in {out} (no such folder): starting the sweep")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        TaskStore(staging / STORE, definition["fingerprint"]).close()
        (staging / "scenario.yaml").write_text(plan.base.resolved_yaml(), encoding="utf-8")
        write_json(staging / "manifest.json", {**info, "status": "running", "tasks_done": 0})
        os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return TaskStore(out / STORE, definition["fingerprint"]), notes


def _write_manifest(out: Path, data: dict) -> None:
    _write_atomically(out / "manifest.json", lambda path: write_json(path, data))


def sweep_manifest(plan: SweepPlan, scenario: str, executor: str) -> dict:
    """The manifest of a sweep folder: our tool mark, versions, the command, the definition."""
    first = plan.base.first
    return manifest(kind="sweep", scenario=scenario, name=first.name, seed=first.seed,
                    strategies=plan.strategies, overrides=plan.overrides, executor=executor,
                    tasks=len(plan.task_keys()), files=list(OUTPUT_FILES), sweep=plan.definition())


# ----------------------------------------------------------------------------------------- running


@dataclass
class SweepOutcome:
    """What a finished sweep wrote and how it went."""

    table: pd.DataFrame
    """``sweep.csv``."""
    summary: pd.DataFrame
    """``sweep_summary.csv``."""
    takeaways: list[str]
    """The report's computed sentences."""
    tasks: int
    ran: int
    """Tasks run by this call (the others were already stored)."""
    wall_s: float
    cpu_s: float
    """Sum of the CPU seconds of the tasks run by this call."""


class Interrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C (or SIGTERM); its finished tasks are stored."""

    def __init__(self, done: int, total: int, out: Path):
        super().__init__(f"{done} of {total} tasks stored in {out}")
        self.done, self.total, self.out = done, total, out


def run_sweep(plan: SweepPlan, out: Path, executor, resume: bool = False, scenario: str | None = None,
              progress: Callable[[int, int], None] | None = None,
              notes: Callable[[str], None] | None = None) -> SweepOutcome:
    """Run the missing tasks of *plan* on *executor*, storing each as it ends, then write the tables
    and the report into *out*. *progress(done, total)* is called at the start and after every task."""
    from sim.sweep_report import build_sweep_report

    started = time.perf_counter()
    info = sweep_manifest(plan, scenario or plan.source, executor.description)
    store, folder_notes = open_folder(out, plan, resume, info)
    for line in plan.notes + folder_notes:
        if notes:
            notes(line)
    keys = plan.task_keys()
    cpu = 0.0
    ran = 0
    try:
        finished = store.done()
        todo = [task for task in plan.tasks() if task.key not in finished]
        done = len(keys) - len(todo)
        if progress:
            progress(done, len(keys))
        for _, result in executor.map_unordered(run_sweep_task, todo):
            store.add(result)
            cpu += result.cpu_s
            ran += 1
            done += 1
            if progress:
                progress(done, len(keys))
        results = store.results()
    except KeyboardInterrupt:
        stored = len(store.done())
        store.close()
        _write_manifest(out, {**_read_manifest(out), "status": "interrupted", "tasks_done": stored})
        raise Interrupted(stored, len(keys), out) from None
    except BaseException:
        stored = len(store.done())
        store.close()
        _write_manifest(out, {**_read_manifest(out), "status": "failed", "tasks_done": stored})
        raise
    store.close()
    table = sweep_table(plan, results)
    summary = sweep_summary(plan, table)
    page, takeaways = build_sweep_report(plan, table, summary)
    _write_atomically(out / "sweep.csv", lambda path: table.to_csv(path, index=False))
    _write_atomically(out / "sweep_summary.csv", lambda path: summary.to_csv(path, index=False))
    _write_atomically(out / "sweep.html", lambda path: path.write_text(page, encoding="utf-8"))
    wall = time.perf_counter() - started
    _write_manifest(out, {**_read_manifest(out), "status": "complete", "tasks_done": len(keys),
                          "executor": executor.description, "wall_time_s": round(wall, 3),
                          "task_cpu_s": round(sum(r.cpu_s for r in results.values()), 3)})
    return SweepOutcome(table=table, summary=summary, takeaways=takeaways, tasks=len(keys), ran=ran,
                        wall_s=wall, cpu_s=cpu)

"""Running a study: every strategy x replication as an independent task, on one or more processes.

A task is identified by (strategy, replication) and its randomness comes from (seed, replication,
component) only, so a task gives the same numbers whichever process runs it and in whatever order
tasks finish; the results are gathered back in task order. That is why ``--jobs 1`` and
``--jobs 8`` write byte-identical ``summary.csv`` files.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass

import pandas as pd

from sim.executors import ignore_interrupts, stop_pool
from sim.loader import Study
from sim.metrics import (CAUSE_MONTH_COLUMNS, FIX_COLUMNS, FLOW_COLUMNS, GROUP_COLUMNS, INTRADAY_COLUMNS,
                         OCCUPANCY_COLUMNS, PLAN_COLUMNS, QUEUE_COLUMNS, ROOT_CAUSE_COLUMNS, SUMMARY_COLUMNS,
                         TIMESERIES_COLUMNS, WAIT_COLUMNS, Measured, break_even_days, combine_intraday,
                         combine_occupancy, measure)
from sim.model import simulate
from sim.scenario import Scenario
from sim.stats import compare


@dataclass(frozen=True)
class Task:
    """One replication of one strategy."""

    strategy: str
    replication: int
    scenario: Scenario
    log_contacts: bool = False
    """Also return the contact log with every step's times (``--log contacts``)."""
    log_problems: bool = False
    """Also return the problem log (``--log problems``, customers modelled)."""


def run_task(task: Task) -> Measured:
    """Simulate one task and measure it (runs in a worker process)."""
    result = simulate(task.scenario, task.replication, trace=task.log_contacts)
    measured = measure(result, task.strategy)
    if task.log_contacts:
        measured.contact_log = contact_log_with_steps(result, task.strategy)
    if task.log_problems and result.prevention is not None:
        measured.problem_log = problem_log(result, task.strategy)
    return measured


def problem_log(result, strategy: str) -> pd.DataFrame:
    """The problem log of a run, one row per problem, with cause and segment names."""
    from sim.problems import KIND_NAMES
    from sim.records import ProblemOutcome

    log = result.prevention.problems.copy()
    log.insert(0, "replication", result.replication)
    log.insert(0, "strategy", strategy)
    log["cause"] = pd.Categorical.from_codes(log["cause"], list(result.prevention.causes["cause"]))
    log["segment"] = pd.Categorical.from_codes(log["segment"], result.prevention.population.segment_names)
    log["kind"] = pd.Categorical.from_codes(log["kind"], list(KIND_NAMES))
    log["outcome"] = pd.Categorical.from_codes(log["outcome"] - 1, [o.name.lower() for o in ProblemOutcome])
    return log


def contact_log_with_steps(result, strategy: str) -> pd.DataFrame:
    """The contact log of a traced run, one row per contact, with every step and its time
    (``steps``: list of ``step`` or ``step:detail``; ``step_times``: list of seconds)."""
    steps: dict[int, list[str]] = {}
    times: dict[int, list[float]] = {}
    for time_s, step, contact, detail in result.trace:
        if contact < 0:
            continue
        steps.setdefault(contact, []).append(step if detail is None else f"{step}:{detail}")
        times.setdefault(contact, []).append(time_s)
    log = result.contacts.copy()
    log.insert(0, "replication", result.replication)
    log.insert(0, "strategy", strategy)
    log["reason"] = pd.Categorical.from_codes(log["reason"], result.reasons)
    log["steps"] = [steps.get(contact, []) for contact in log["contact"]]
    log["step_times"] = [times.get(contact, []) for contact in log["contact"]]
    return log


@dataclass
class StudyResult:
    """All tasks of a study, measured and compared."""

    summary: pd.DataFrame
    """One row per strategy x replication (``summary.csv``)."""
    comparison: pd.DataFrame
    """Mean, CI and paired difference per strategy x metric (``comparison.csv``)."""
    timeseries: pd.DataFrame
    """One row per strategy x replication x day (``timeseries.csv``)."""
    by_queue: pd.DataFrame
    """One row per strategy x replication x queue (``by_queue.csv``)."""
    by_group: pd.DataFrame
    """One row per strategy x replication x agent group (``by_group.csv``)."""
    intraday: pd.DataFrame
    """One row per strategy x half-hour of the week (``intraday.csv``)."""
    contacts: pd.DataFrame | None
    """With ``--log contacts``: every contact with every step's times (``contacts.parquet``)."""
    problems: pd.DataFrame | None
    """With ``--log problems``: every problem (``problems.parquet``)."""
    plans: pd.DataFrame | None
    """With re-planned staffing: one row per strategy x replication x group x re-plan (``staffing_plans.csv``)."""
    root_causes: pd.DataFrame | None
    """With customers: one row per strategy x replication x cause (``root_causes.csv``)."""
    fixes: pd.DataFrame | None
    """With customers: one row per strategy x replication x fix (``fixes.csv``)."""
    wall_time_s: float
    """Elapsed time of the tasks."""
    jobs: int
    """Worker processes used."""
    waits: pd.DataFrame | None = None
    """Percentiles 0..100 of answered waits per strategy x replication (``waits.csv``)."""
    flows: pd.DataFrame | None = None
    """Call-flow edges per strategy x replication (``flows.csv``)."""
    occupancy: pd.DataFrame | None = None
    """Per strategy x agent group x half-hour of the week (``occupancy.csv``)."""
    causes_by_month: pd.DataFrame | None = None
    """With customers: per strategy x replication x cause x month (``causes_by_month.csv``)."""


COMPARED_METRICS = [column for column in SUMMARY_COLUMNS if column not in ("strategy", "replication")]
"""Metrics that appear in ``comparison.csv``."""


def tasks_of(study: Study, replications: int | None = None, log_contacts: bool = False,
             log_problems: bool = False) -> list[Task]:
    """Every strategy x replication of *study*, strategies in file order."""
    return [
        Task(name, replication, scenario, log_contacts, log_problems)
        for name, scenario in study.strategies.items()
        for replication in range(replications or scenario.replications)
    ]


def default_jobs() -> int:
    """Worker processes by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)


def run_tasks(tasks: list[Task], jobs: int, progress=None) -> list[Measured]:
    """Run *tasks* on *jobs* processes; results in task order. *progress* is called per task done."""
    if jobs <= 1 or len(tasks) <= 1:
        results = []
        for task in tasks:
            results.append(run_task(task))
            if progress:
                progress()
        return results
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    # Ctrl-C is the main process's to handle: workers ignore it and are ended by it
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context, initializer=ignore_interrupts)
    try:
        futures = [pool.submit(run_task, task) for task in tasks]
        for future in futures:
            # (a task cancelled or failed when the run stops is not one more done)
            future.add_done_callback(lambda done: progress and not done.cancelled() and done.exception() is None
                                     and progress())
        pending = set(futures)
        while pending:
            # a timed wait: the signal of a Ctrl-C may reach another thread of this process, and only
            # the main thread raises KeyboardInterrupt, when it next runs (not while it waits untimed)
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            for future in done:
                if future.exception() is not None:
                    future.result()
        results = [future.result() for future in futures]
    except BaseException:
        # Ctrl-C or a failed task: drop the queued tasks and end the running ones now (not at exit).
        stop_pool(pool)
        raise
    pool.shutdown()
    return results


def run_study(study: Study, replications: int | None = None, jobs: int | None = None,
              progress=None, log_contacts: bool = False, log_problems: bool = False) -> StudyResult:
    """Run every task of *study* and assemble the summary, comparison and daily tables."""
    tasks = tasks_of(study, replications, log_contacts, log_problems)
    jobs = jobs or default_jobs()
    started = time.perf_counter()
    results = run_tasks(tasks, jobs, progress)
    wall = time.perf_counter() - started
    summary = pd.DataFrame([result.summary for result in results], columns=SUMMARY_COLUMNS)
    timeseries = pd.concat([r.daily for r in results], ignore_index=True)[TIMESERIES_COLUMNS]
    summary["break_even_day"] = break_even_days(summary, timeseries)
    return StudyResult(
        summary=summary,
        comparison=compare(summary, COMPARED_METRICS),
        timeseries=timeseries,
        plans=_gather([r.plans for r in results], PLAN_COLUMNS),
        by_queue=pd.concat([r.by_queue for r in results], ignore_index=True)[QUEUE_COLUMNS],
        by_group=pd.concat([r.by_group for r in results], ignore_index=True)[GROUP_COLUMNS],
        intraday=combine_intraday([r.intraday_sums for r in results])[INTRADAY_COLUMNS],
        contacts=(pd.concat([r.contact_log for r in results], ignore_index=True) if log_contacts else None),
        problems=_gather([r.problem_log for r in results], None),
        root_causes=_gather([r.root_causes for r in results], ROOT_CAUSE_COLUMNS),
        fixes=_gather([r.fixes for r in results], FIX_COLUMNS),
        wall_time_s=wall,
        jobs=min(jobs, len(tasks)),
        waits=_gather([r.waits for r in results], WAIT_COLUMNS),
        flows=_gather([r.flows for r in results], FLOW_COLUMNS),
        occupancy=combine_occupancy([r.occupancy_sums for r in results])[OCCUPANCY_COLUMNS],
        causes_by_month=_gather([r.causes_by_month for r in results], CAUSE_MONTH_COLUMNS),
    )


def _gather(parts: list, columns: list[str] | None) -> pd.DataFrame | None:
    """Concatenate per-task tables (``None`` when no task made one)."""
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    table = pd.concat(parts, ignore_index=True)
    return table if columns is None else table[columns]

"""Sweep benchmark (``run_sim.py bench --sweep``): how well a sweep's tasks use the workers it gets.

A sweep is embarrassingly parallel: its tasks share nothing but their inputs. What can spoil that
is overhead per task (sending the scenario, pickling the result, scheduling) and tasks that end at
different times, leaving a worker idle at the end. So the benchmark runs one identical set of
tasks, the flagship's first strategy at a reduced size (a few seconds per task, one task per
replication), three ways, timed on the wall clock:

- on **one** local worker process, then on **two**: the rates give the *parallel efficiency*
  ``rate2 / (2 x rate1)`` (1.0 is perfect; the target is >= 0.85 on two cores);
- on a Dask ``LocalCluster`` of **one** worker process (one thread), after a warm-up task so that
  importing contactsim in the fresh worker is not counted: its *overhead per task* is ``(wall time
  - sum of the tasks' CPU seconds) / tasks``, reported as a share of a task's mean CPU time (the
  target is under 5%), the task's CPU being its own thread's (a Dask worker's other threads are not
  the task's). The same figure for the one-process local pool is reported next to it: it is what the
  machine's own noise looks like. Since a task can also run *slower* inside a worker (its chores take
  the GIL: see :mod:`sim.dask_worker`), Dask's throughput against one local process is reported too.

The machines these run on are noisy: how much of a second core a process gets varies from one
second to the next (a fixed pure-Python loop on two processes at once runs 1.2 to 2.0 times as many
loops as on one, measured minutes apart on the same idle machine). So the 1- and 2-worker timings are
taken in back-to-back *rounds* (``--rounds``, default 3), each round also measuring that loop's
scaling (the *machine's parallel capacity*, 2.0 = two free cores), and the medians over rounds are
reported: the efficiency as measured, and the efficiency relative to what the machine gave in the
same round, ``rate2 / (rate1 x capacity)`` (as the engine benchmark reports speed relative to a
minimal SimPy model run in the same process).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

FLAGSHIP = Path(__file__).resolve().parent.parent / "scenarios" / "reactive_vs_embedded.yaml"
"""The scenario the tasks come from."""

SIZE = ("customers.count=12000", "horizon=120d", "warmup=30d")
"""Overrides that make a flagship task last a couple of seconds."""


def bench_tasks(tasks: int, size: tuple[str, ...] = SIZE) -> list:
    """*tasks* tasks: the flagship's first strategy at a reduced size, replications 0 .. tasks-1."""
    from sim.loader import load_study
    from sim.sweep import SweepTask

    study = load_study(FLAGSHIP, list(size))
    name, scenario = next(iter(study.strategies.items()))
    return [SweepTask(0, name, replication, scenario) for replication in range(tasks)]


def _timed(executor, tasks: list) -> tuple[float, list]:
    from sim.sweep import run_sweep_task

    started = time.perf_counter()
    results = [result for _, result in executor.map_unordered(run_sweep_task, tasks)]
    return time.perf_counter() - started, results


def _warm_up() -> bool:
    """Run by the Dask worker before timing: import the simulator (not a per-task cost)."""
    import sim.runner  # noqa: F401
    import sim.sweep  # noqa: F401

    return True


def sweep_figures(tasks: int = 8, dask: bool = True, size: tuple[str, ...] = SIZE, rounds: int = 3) -> dict:
    """Every figure of ``bench --sweep`` as one dictionary (see the module docstring)."""
    import statistics

    from sim.executors import LocalExecutor

    load = os.getloadavg()[0]
    task_list = bench_tasks(tasks, size)
    per_round = []
    identical = True
    for _ in range(rounds):
        before = machine_capacity()
        wall1, results1 = _timed(LocalExecutor(1, pool=True), task_list)
        wall2, results2 = _timed(LocalExecutor(2), task_list)
        capacity = (before + machine_capacity()) / 2
        identical = identical and _fingerprint(results1) == _fingerprint(results2)
        cpu1 = sum(r.cpu_s for r in results1)
        rate1, rate2 = tasks / wall1, tasks / wall2
        per_round.append({"rate1": rate1, "rate2": rate2, "efficiency": rate2 / (2 * rate1),
                          "relative": rate2 / (rate1 * capacity), "capacity": capacity,
                          "overhead_s": (wall1 - cpu1) / tasks, "mean_task": cpu1 / tasks})

    def median(key: str) -> float:
        return statistics.median(r[key] for r in per_round)

    mean_task = median("mean_task")
    figures = {
        "tasks": tasks,
        "rounds": rounds,
        "task": f"{FLAGSHIP.name} first strategy, {', '.join(size)}",
        "cpus": os.cpu_count(),
        "mean_task_cpu_s": round(mean_task, 3),
        "tasks_per_s_1_worker": round(median("rate1"), 4),
        "tasks_per_s_2_workers": round(median("rate2"), 4),
        "parallel_efficiency": round(median("efficiency"), 3),
        "parallel_efficiencies": [round(r["efficiency"], 3) for r in per_round],
        "target_parallel_efficiency": 0.85,
        "machine_parallel_capacity": round(median("capacity"), 3),
        "machine_parallel_capacities": [round(r["capacity"], 3) for r in per_round],
        "parallel_efficiency_relative_to_machine": round(median("relative"), 3),
        "local_overhead_per_task_s": round(median("overhead_s"), 4),
        "local_overhead_share": round(median("overhead_s") / mean_task, 4),
        "identical_results": identical,
        "load_average_at_start": round(load, 2),
    }
    if dask:
        figures.update(dask_overhead(task_list))
        if "dask_tasks_per_s_1_worker" in figures:
            # the whole cost of Dask, in-task slowdown included: its throughput against one local process
            figures["dask_slowdown_vs_local"] = round(figures["tasks_per_s_1_worker"]
                                                      / figures["dask_tasks_per_s_1_worker"] - 1, 4)
    return figures


def _fingerprint(results: list) -> str:
    """The results' summaries as text in task order (NaN equals NaN there, unlike in a dict)."""
    return json.dumps([r.summary for r in sorted(results, key=lambda r: r.key)])


def _spin(_: int = 0) -> float:
    """A fixed pure-Python loop; returns its elapsed seconds."""
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i
    return time.perf_counter() - started


def machine_capacity() -> float:
    """How many loops two processes get through at once relative to one (2.0 on two free cores): what
    the machine gives right now, for reading the parallel efficiency (other programs share the cores)."""
    import multiprocessing

    alone = _spin()
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Pool(2) as pool:
        started = time.perf_counter()
        pool.map(_spin, [0, 1], chunksize=1)
        together = time.perf_counter() - started
    return 2 * alone / together


def dask_overhead(task_list: list) -> dict:
    """Overhead per task on a one-worker Dask ``LocalCluster`` (``{}`` without Dask installed)."""
    try:
        from distributed import LocalCluster
    except ImportError:
        return {"dask": "not installed (pip install '.[dist]')"}
    from sim.executors import DaskExecutor

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        executor = DaskExecutor(cluster=cluster)
        try:
            executor.client.submit(_warm_up, pure=False).result()
            wall, results = _timed(executor, task_list)
        finally:
            executor.close()
    cpu = sum(r.cpu_s for r in results)
    tasks = len(task_list)
    mean_task = cpu / tasks
    return {
        "dask_wall_s": round(wall, 3),
        "dask_tasks_per_s_1_worker": round(tasks / wall, 4),
        "dask_overhead_per_task_s": round((wall - cpu) / tasks, 4),
        "dask_overhead_share": round((wall - cpu) / tasks / mean_task, 4),
        "target_dask_overhead_share": 0.05,
    }


def print_figures(figures: dict, console=None) -> None:
    """The figures as a table (``bench --sweep``)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"contactsim bench --sweep: {figures['tasks']} tasks of {figures['task']} "
                        f"(mean {figures['mean_task_cpu_s']:.2f} CPU-s each), {figures['cpus']} CPU(s)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row("tasks/s, 1 local worker", f"{figures['tasks_per_s_1_worker']:.3f}", "")
    table.add_row("tasks/s, 2 local workers", f"{figures['tasks_per_s_2_workers']:.3f}", "")
    table.add_row(f"parallel efficiency rate2 / (2 x rate1), median of {figures['rounds']} round(s)",
                  f"{figures['parallel_efficiency']:.3f} ({', '.join(f'{e:.2f}' for e in figures['parallel_efficiencies'])})",
                  f">= {figures['target_parallel_efficiency']}")
    table.add_row("machine: a pure-Python loop on 2 processes vs 1 (2.0 = two free cores), same rounds",
                  f"{figures['machine_parallel_capacity']:.2f} "
                  f"({', '.join(f'{c:.2f}' for c in figures['machine_parallel_capacities'])})", "")
    table.add_row("parallel efficiency relative to the machine: rate2 / (rate1 x capacity)",
                  f"{figures['parallel_efficiency_relative_to_machine']:.3f}", "")
    table.add_row("overhead per task, 1 local worker", f"{figures['local_overhead_per_task_s'] * 1000:.0f} ms "
                  f"({figures['local_overhead_share']:.1%})", "")
    if "dask_overhead_share" in figures:
        table.add_row("tasks/s, Dask LocalCluster, 1 worker", f"{figures['dask_tasks_per_s_1_worker']:.3f}", "")
        table.add_row("overhead per task, Dask (wall - task CPU)", f"{figures['dask_overhead_per_task_s'] * 1000:.0f} ms "
                      f"({figures['dask_overhead_share']:.1%})", f"< {figures['target_dask_overhead_share']:.0%}")
        table.add_row("Dask throughput against 1 local worker (slower by)", f"{figures['dask_slowdown_vs_local']:.1%}", "")
    elif "dask" in figures:
        table.add_row("Dask", figures["dask"], "")
    table.add_row("same results on 1 and 2 workers", "yes" if figures["identical_results"] else "NO", "yes")
    table.add_row("machine: load average at the start", f"{figures['load_average_at_start']:.2f}", "")
    console.print(table)


def main(json_output: bool = False, tasks: int = 8, rounds: int = 3) -> int:
    """``run_sim.py bench --sweep [--json] [--tasks N] [--rounds R]``."""
    figures = sweep_figures(tasks, rounds=rounds)
    if json_output:
        print(json.dumps(figures))
    else:
        print_figures(figures)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main("--json" in sys.argv))

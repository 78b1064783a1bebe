"""The ``sweep`` command: ``run_sim.py sweep SCENARIO --vary key.path=values ... --out DIR``.

It plans the sweep (:mod:`sim.sweep`: the design, every point validated), picks the executor
(:mod:`sim.executors`: local processes, or Dask with ``--scheduler``), runs the missing tasks with a
progress bar (tasks done, rate, time left), then prints where the tables and the report went and
the report's takeaways.

Exit status: 0 done; 2 bad input (scenario, ``--vary``, option, output folder, Dask not installed
or not reachable; nothing is written); 130 interrupted (Ctrl-C or SIGTERM: the finished tasks are
stored, ``--resume`` continues); 1 an unexpected failure (the finished tasks are stored too).

``add_parser(subparsers)`` adds the sub-command to ``run_sim.py``; ``python -m sim.sweep_cli
SCENARIO ...`` runs it on its own (same options).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.text import Text

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

stdout = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number >= 1 (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"a whole number >= 1 (got {text!r})")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number >= 0 (got {text!r})") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a whole number >= 0 (got {text!r})")
    return value


HELP = """\
Run a scenario over a design of points: every point x strategy x replication is an independent
task whose random numbers come from (seed, replication, component) only, so points and strategies
share random numbers. Writes DIR/sweep.csv (one row per task, the factor values as columns),
DIR/sweep_summary.csv (per point and strategy: mean, 95%% CI, paired difference against the first
strategy), DIR/sweep.html, scenario.yaml and manifest.json; finished tasks go to DIR/sweep.db at
once, so an interrupted sweep continues with --resume.

examples:
  run_sim.py sweep scenarios/reactive_vs_embedded.yaml --vary operations.engineers=1,2,3,4
  run_sim.py sweep S.yaml --vary strategies.embedded.costs.transition=0:120000:30000 --replications 4
  run_sim.py sweep S.yaml --vary operations.engineers=1:4 --vary patience.scale=5m:20m --samples 20
  run_sim.py sweep S.yaml --vary operations.engineers=1,2,3 --scheduler tcp://10.0.0.5:8786
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``sweep`` sub-command to *subparsers* (from ``parser.add_subparsers``)."""
    sweep = subparsers.add_parser(
        "sweep", help="run a scenario over a grid or a Latin hypercube of parameter values",
        description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    configure(sweep)
    return sweep


def configure(parser: argparse.ArgumentParser) -> None:
    """The sweep options on *parser*."""
    parser.add_argument("scenario", type=Path, help="scenario YAML file (its sweep: section is used without --vary)")
    parser.add_argument("--vary", action="append", default=[], metavar="KEY.PATH=VALUES",
                        help="a factor: values v1,v2,... (each YAML, as with --set) or a range low:high:step "
                             "(numbers, or durations like 20h:80h:20h; both ends included; low:high with "
                             "--samples); strategies.NAME.KEY varies one strategy; repeatable: the grid is "
                             "every combination, the first factor varying slowest")
    parser.add_argument("--samples", type=_positive_int, metavar="N",
                        help="a Latin hypercube of N points over the factors' ranges and lists instead of the grid")
    parser.add_argument("--seed", type=_seed, help="seed of the Latin hypercube (default: the scenario's seed)")
    parser.add_argument("--out", type=Path, help="output folder (default: results/<scenario name>-sweep); an "
                                                 "existing folder is replaced only if it is a contactsim output")
    parser.add_argument("--replications", type=_positive_int, help="replications per strategy and point "
                                                                   "(default: the scenario's)")
    parser.add_argument("--jobs", type=_positive_int, help="local worker processes (default: the number of cores); "
                                                           "results do not depend on it")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="run the tasks on this Dask scheduler's workers instead (pip install '.[dist]'); "
                             "results do not depend on it")
    parser.add_argument("--resume", action="store_true",
                        help="continue the sweep in --out: run only the tasks it has not finished (the sweep "
                             "must be the same: scenario, --set, factors, replications)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a scenario value (YAML) before sweeping, e.g. --set customers.count=20000; "
                             "strategies.NAME.KEY changes one strategy; repeatable")


class RateColumn(ProgressColumn):
    """Tasks finished per second (over rich's recent window)."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.2f} tasks/s")


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("tasks"),
        RateColumn(), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
        console=stderr, disable=quiet, transient=False,
    )


@contextmanager
def _sigterm_as_interrupt():
    """While running, SIGTERM stops the sweep like Ctrl-C (finished tasks stay stored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def command_sweep(args) -> int:
    """Run the ``sweep`` command; returns the exit status."""
    from sim.executors import ExecutorError, close, make_executor
    from sim.loader import ScenarioError
    from sim.outputs import OutputError
    from sim.sweep import Interrupted, SweepError, check_folder, plan_sweep, run_sweep

    out = args.out or Path("results") / f"{args.scenario.stem}-sweep"
    executor = None
    try:
        plan = plan_sweep(args.scenario, args.overrides, args.vary, samples=args.samples, seed=args.seed,
                          replications=args.replications)
        check_folder(out, plan, args.resume)
        executor = make_executor(args.jobs, args.scheduler)
        total = len(plan.task_keys())
        design = (f"{plan.method}: {len(plan.points)} point(s) x {len(plan.strategies)} strateg"
                  f"{'y' if len(plan.strategies) == 1 else 'ies'} x replications = {total} tasks")
        stderr.print(f"{args.scenario}: {design}; {', '.join(f.title for f in plan.factors)}; on "
                     f"{executor.description}", markup=False)
        if args.scheduler and executor.workers() == 0:
            stderr.print(f"waiting for Dask workers to join {executor.address} (start one with: dask worker "
                         f"{executor.address} --nthreads 1)", markup=False)
        with _progress(args.quiet) as progress, _sigterm_as_interrupt():
            bar = progress.add_task(plan.base.first.name[:40], total=total)
            started = []

            def advance(done: int, _total: int) -> None:
                if not started:  # tasks already stored (--resume) do not count in the rate
                    started.append(done)
                    progress.reset(bar, total=total, completed=done)
                else:
                    progress.update(bar, completed=done)

            outcome = run_sweep(plan, out, executor, resume=args.resume, scenario=str(args.scenario),
                                progress=advance, notes=lambda line: stderr.print(line, markup=False))
    except (ScenarioError, SweepError) as error:
        for line in error.lines:
            stderr.print(line, markup=False)
        return EXIT_BAD_INPUT
    except (ExecutorError, OutputError) as error:
        stderr.print(f"error: {error}", markup=False)
        return EXIT_BAD_INPUT
    except Interrupted as stop:
        stderr.print(f"interrupted: {stop.done} of {stop.total} tasks are stored in {stop.out}; run the same "
                     "command with --resume to finish", markup=False)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        stderr.print("interrupted: nothing was run", markup=False)
        return EXIT_INTERRUPTED
    except BrokenProcessPool:
        from sim.sweep import count_done

        stderr.print(f"error: a worker process died (killed, or out of memory?); {count_done(out)} finished tasks "
                     f"are stored in {out}; run the same command with --resume to finish", markup=False)
        return 1
    finally:
        if executor is not None:
            close(executor)
    already = outcome.tasks - outcome.ran
    stdout.print(f"wrote {out}/ (sweep.csv, sweep_summary.csv, sweep.html, sweep.db, scenario.yaml, manifest.json): "
                 f"{outcome.tasks} tasks ({outcome.ran} run now"
                 f"{f', {already} already stored' if already else ''}) in {outcome.wall_s:.1f}s on "
                 f"{executor.description}", markup=False)
    for sentence in outcome.takeaways:
        stdout.print(sentence, markup=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.sweep_cli SCENARIO ...``: the sweep command on its own."""
    parser = argparse.ArgumentParser(prog="python -m sim.sweep_cli", description=HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show the traceback of unexpected errors")
    configure(parser)
    args = parser.parse_args(argv)
    try:
        return command_sweep(args)
    except Exception as error:  # noqa: BLE001 - the one place that turns failures into a line
        if args.debug:
            raise
        stderr.print(f"error: {type(error).__name__}: {error} (run with --debug for the traceback)", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())

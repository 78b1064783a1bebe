"""The command line: ``run_sim.py COMMAND ...`` (also installed as ``contactsim``).

Commands: ``run`` (simulate a scenario, write its output folder, print the headline), ``validate``
(check scenario files), ``erlang`` (exact Erlang C / Erlang A figures), ``staff`` (the smallest
roster meeting a service-level target), ``bench`` (speed against a minimal SimPy model), ``report``
(rebuild a run folder's report from its files), ``compare`` (a report of one run against another),
``sweep`` (a scenario over a grid or Latin hypercube of parameter values; :mod:`sim.sweep_cli`).
Every command has ``--help``.

Errors are one line each on stderr. Exit status: 0 done, 2 bad input (scenario, option or output
path; nothing written), 130 interrupted (nothing written), 1 an unexpected failure (``--debug``
shows its traceback).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from sim.bench import CASES
from sim.loader import ScenarioError, Study, load_study
from sim.outputs import OutputError, check_target, manifest, write_csv, write_folder, write_json
from sim.sweep_cli import add_parser as add_sweep_parser
from sim.sweep_cli import command_sweep
from sim.units import parse_duration_arg

OUTPUT_FILES = ("summary.csv", "comparison.csv", "timeseries.csv", "by_queue.csv", "by_group.csv",
                "intraday.csv", "waits.csv", "flows.csv", "occupancy.csv", "scenario.yaml", "manifest.json",
                "report.html")
"""The files of every run folder (``report.html`` last: it is built from the others)."""

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


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number > 0 (got {text!r})") from None
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"a number > 0 (got {text!r})")
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a share between 0 and 1 (got {text!r})") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"a share between 0 and 1 (got {text!r})")
    return value


def _agent_range(text: str) -> list[int]:
    """``10`` or ``8:14`` (inclusive)."""
    try:
        if ":" in text:
            low, high = (int(part) for part in text.split(":"))
        else:
            low = high = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number of agents like 10, or a range like 8:14 (got {text!r})") from None
    if low < 1 or high < low or high - low > 2000:
        raise argparse.ArgumentTypeError(f"agents >= 1, a range low:high with low <= high (got {text!r})")
    return list(range(low, high + 1))


def _add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a scenario value (YAML), e.g. --set agents.frontline.headcount=12; "
                             "strategies.NAME.KEY changes one strategy; repeatable")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_sim.py",
        description="contactsim: a discrete-event contact-center simulator. Compare ways of running "
                    "customer service on cost, wait and churn, with confidence intervals.",
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of unexpected errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="simulate a scenario and write its output folder",
                              description="Simulate every strategy x replication of a scenario, write "
                                          "the output folder and print the headline table.")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument("--out", type=Path, help="output folder (default: results/<scenario name>); "
                                              "an existing folder is replaced only if it is a contactsim output")
    run.add_argument("--replications", type=_positive_int, help="replications per strategy (default: the scenario's)")
    run.add_argument("--jobs", type=_positive_int, help="worker processes (default: the number of cores); "
                                                        "results do not depend on it")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--log", choices=["contacts", "problems"], action="append", default=[],
                     help="contacts: also write contacts.parquet, one row per contact (strategy, replication, every "
                          "contact-log column) with every step of its journey and its time (slower, bigger); "
                          "problems: also write problems.parquet, one row per problem (customers modelled); repeatable")
    _add_scenario_options(run)

    validate = commands.add_parser("validate", help="check scenario files",
                                   description="Check scenario files; print one line per mistake. "
                                               "Exit status 2 if any file has a mistake.")
    validate.add_argument("scenarios", type=Path, nargs="+", metavar="FILE", help="scenario YAML files")
    _add_scenario_options(validate)

    erlang = commands.add_parser(
        "erlang", help="exact Erlang C / Erlang A figures",
        description="Exact steady-state figures of the textbook queue: Erlang C (nobody abandons) and, "
                    "with --patience, Erlang A (exponential patience).")
    erlang.add_argument("--arrivals-per-hour", type=_positive_float, required=True, help="Poisson arrival rate")
    erlang.add_argument("--aht", type=parse_duration_arg, required=True, help="mean handle time, e.g. 5m or 300")
    erlang.add_argument("--agents", type=_agent_range, required=True, help="agents, or a range like 8:14")
    erlang.add_argument("--patience", type=parse_duration_arg, help="mean patience, e.g. 2m (Erlang A)")
    erlang.add_argument("--threshold", type=parse_duration_arg, default=20.0,
                        help="service-level threshold (default 20s)")

    staff = commands.add_parser(
        "staff", help="smallest roster per half-hour that meets a service-level target (Erlang A)",
        description="Per agent group, half-hour and weekday: the fewest rostered agents whose exact Erlang A "
                    "figures (Erlang C without patience) meet the service-level target, from the scenario's "
                    "demand, handle time, patience and shrinkage. Prints the table and the FTE total; "
                    "--write puts it into the scenario file as each group's schedule.")
    staff.add_argument("scenario", type=Path, help="scenario YAML file")
    staff.add_argument("--strategy", help="plan for this strategy's demand (default: the first)")
    staff.add_argument("--service-level", type=_probability, help="target share answered within the threshold "
                                                                   "(default: the scenario's staffing.service_level)")
    staff.add_argument("--threshold", type=parse_duration_arg, help="service-level threshold (default: the scenario's)")
    staff.add_argument("--max-abandon", type=_probability, help="also keep Erlang A abandonment at or below this")
    staff.add_argument("--write", action="store_true", help="write the plan into the scenario file as the "
                                                           "planned groups' schedules (comments kept)")
    _add_scenario_options(staff)

    bench = commands.add_parser("bench", help="speed against a minimal SimPy model",
                                description="Callers per CPU-second through the full engine and through a "
                                            "minimal SimPy loop run in the same process, their ratio, and "
                                            "peak memory per caller.")
    bench.add_argument("--callers", type=_positive_int, default=500_000, help="callers per measurement (default 500000)")
    bench.add_argument("--rounds", type=_positive_int, default=3,
                       help="pairs (minimal model, then engine) per case; the median ratio is reported; with --sweep, "
                            "rounds of 1 then 2 workers (default 3)")
    bench.add_argument("--case", action="append", choices=list(CASES),
                       help="run only this case (repeatable; default: all)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--sweep", action="store_true",
                       help="measure sweeps instead: parallel efficiency of 1 vs 2 local workers and the "
                            "overhead per task on a Dask LocalCluster (see sim/sweep_bench.py)")
    bench.add_argument("--tasks", type=_positive_int, default=8, help="tasks per measurement with --sweep (default 8)")

    rebuild = commands.add_parser(
        "report", help="rebuild the report of a run folder from its files",
        description="Rebuild report.html of a run folder from the tables `run` wrote into it (no simulation). "
                    "Exit status 2 if the folder is not a complete contactsim run folder.")
    rebuild.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a folder written by `run`")
    rebuild.add_argument("--out", type=Path, help="the page to write (default: RUN_DIR/report.html); an existing "
                                                  "file is replaced only if it is a contactsim report")

    compare = commands.add_parser(
        "compare", help="a report comparing two runs (before and after a change of scenario)",
        description="Write a report of run B against run A: each strategy of B against the strategy of the same "
                    "name in A, paired replication by replication when both runs have the same seed (common "
                    "random numbers), else with Welch's interval; lists what changed in the scenario.")
    compare.add_argument("run_a", type=Path, metavar="RUN_A", help="the run before (a folder written by `run`)")
    compare.add_argument("run_b", type=Path, metavar="RUN_B", help="the run after (a folder written by `run`)")
    compare.add_argument("--out", type=Path, help="the page to write (default: RUN_B/compare.html); an existing "
                                                  "file is replaced only if it is a contactsim report")
    add_sweep_parser(commands)
    return parser


# ------------------------------------------------------------------------------------- commands


def _load(path: Path, overrides: list[str]) -> Study:
    return load_study(path, overrides)


def command_validate(args) -> int:
    status = 0
    for path in args.scenarios:
        try:
            study = _load(path, args.overrides)
        except ScenarioError as error:
            for line in error.lines:
                stderr.print(line, markup=False)
            status = EXIT_BAD_INPUT
            continue
        names = ", ".join(study.strategies)
        stdout.print(f"{path}: ok ({len(study.strategies)} strateg{'y' if len(study.strategies) == 1 else 'ies'}: {names})",
                     markup=False)
    return status


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("tasks"),
        TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
        console=stderr, disable=quiet, transient=False,
    )


def command_run(args) -> int:
    from sim import metrics, report
    from sim.records import COLUMN_DOCS, PROBLEM_DOCS
    from sim.runfolder import read_run
    from sim.runner import default_jobs, run_study, tasks_of
    from sim.textbook import textbook_figures
    from sim.units import DAY

    study = _load(args.scenario, args.overrides)
    out = args.out or Path("results") / args.scenario.stem
    check_target(out)
    jobs = args.jobs or default_jobs()
    log_contacts = "contacts" in args.log
    log_problems = "problems" in args.log
    if log_problems and not any(s.has_population for s in study.strategies.values()):
        stderr.print(f"{args.scenario}: --log problems: needs a scenario with customers (no problems otherwise)",
                     markup=False)
        return EXIT_BAD_INPUT
    total = len(tasks_of(study, args.replications))
    started = time.perf_counter()
    with _progress(args.quiet) as progress:
        bar = progress.add_task(f"{study.first.name}", total=total)
        result = run_study(study, args.replications, jobs, progress=lambda: progress.advance(bar),
                           log_contacts=log_contacts, log_problems=log_problems)
    first = study.first
    currency = first.costs.currency
    reference = textbook_figures(first) if len(study.strategies) == 1 else None
    journey = any(scenario.uses_journey for scenario in study.strategies.values())
    prevention = any(scenario.has_population for scenario in study.strategies.values())
    replications = args.replications or first.replications
    info = manifest(
        scenario=str(args.scenario), name=first.name, seed=first.seed, replications=replications,
        strategies=list(study.strategies), overrides=args.overrides, jobs=result.jobs,
        wall_time_s=round(time.perf_counter() - started, 3),
        files=list(OUTPUT_FILES),
        summary_columns=metrics.SUMMARY_DOCS, contact_columns=COLUMN_DOCS,
    )
    files = {
        "summary.csv": lambda p: write_csv(p, result.summary),
        "comparison.csv": lambda p: write_csv(p, result.comparison),
        "timeseries.csv": lambda p: write_csv(p, result.timeseries),
        "by_queue.csv": lambda p: write_csv(p, result.by_queue),
        "by_group.csv": lambda p: write_csv(p, result.by_group),
        "intraday.csv": lambda p: write_csv(p, result.intraday),
        "waits.csv": lambda p: write_csv(p, result.waits),
        "flows.csv": lambda p: write_csv(p, result.flows),
        "occupancy.csv": lambda p: write_csv(p, result.occupancy),
    }
    if result.plans is not None:
        files["staffing_plans.csv"] = lambda p: write_csv(p, result.plans)
        info["files"].append("staffing_plans.csv")
    if result.root_causes is not None:
        files["root_causes.csv"] = lambda p: write_csv(p, result.root_causes)
        files["fixes.csv"] = lambda p: write_csv(p, result.fixes)
        files["causes_by_month.csv"] = lambda p: write_csv(p, result.causes_by_month)
        info["files"] += ["root_causes.csv", "fixes.csv", "causes_by_month.csv"]
        info["problem_columns"] = PROBLEM_DOCS
    if log_contacts:
        files["contacts.parquet"] = lambda p: result.contacts.to_parquet(p, index=False)
        info["files"].append("contacts.parquet")
    if log_problems:
        files["problems.parquet"] = lambda p: result.problems.to_parquet(p, index=False)
        info["files"].append("problems.parquet")
    files["scenario.yaml"] = lambda p: p.write_text(study.resolved_yaml(), encoding="utf-8")
    files["manifest.json"] = lambda p: write_json(p, info)
    # the page is built from the files just written, exactly as `report RUN_DIR` rebuilds it
    files["report.html"] = lambda p: p.write_text(report.build_report(report.run_input(read_run(p.parent))),
                                                  encoding="utf-8")
    write_folder(out, files)
    stdout.print(f"wrote {out}/ ({', '.join(files)}) in {time.perf_counter() - started:.1f}s "
                 f"on {result.jobs} process(es)", markup=False)
    _print_headline(result.comparison, currency, reference, replications, journey, prevention)
    if prevention and len(study.strategies) > 1:
        for sentence in report.break_even_sentences(result.summary, first.warmup // DAY):
            stdout.print(sentence, markup=False)
    return 0


def _write_page(out: Path, page: str) -> None:
    """Write a report page to *out* (atomically), replacing only a page of ours."""
    import os
    import tempfile

    from sim.report import GENERATOR

    if out.exists():
        try:
            head = out.read_text(encoding="utf-8", errors="replace")[:2000] if out.is_file() else ""
        except OSError:
            head = ""
        if f'<meta name="generator" content="{GENERATOR}">' not in head:
            kind = "folder" if out.is_dir() else "file"
            raise OutputError(f"{out}: exists and is not a contactsim report ({kind}); choose another --out or "
                              "remove it")
    if not out.parent.is_dir():
        raise OutputError(f"{out.parent}: no such folder for --out")
    handle, staging = tempfile.mkstemp(prefix=f".{out.name}.partial-", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(page)
        os.replace(staging, out)
    finally:
        if os.path.exists(staging):
            os.remove(staging)


def _read_runs(*folders: Path):
    """The run folders, or ``None`` after printing why one cannot be read."""
    from sim.runfolder import RunFolderError, read_run

    runs = []
    for folder in folders:
        try:
            runs.append(read_run(folder))
        except RunFolderError as error:
            stderr.print(f"error: {error}", markup=False)
            return None
    return runs


def command_report(args) -> int:
    from sim import report

    runs = _read_runs(args.run_dir)
    if runs is None:
        return EXIT_BAD_INPUT
    out = args.out or args.run_dir / "report.html"
    _write_page(out, report.build_report(report.run_input(runs[0])))
    stdout.print(f"wrote {out}", markup=False)
    return 0


def command_compare(args) -> int:
    from sim import report

    runs = _read_runs(args.run_a, args.run_b)
    if runs is None:
        return EXIT_BAD_INPUT
    out = args.out or args.run_b / "compare.html"
    data = report.compare_input(runs[0], runs[1], str(args.run_a), str(args.run_b))
    _write_page(out, report.build_report(data))
    stdout.print(f"wrote {out}", markup=False)
    for arm, reference in data.references.items():
        stdout.print(report.takeaway(data.comparison, "cost_total", "Total cost", "money", data.currency,
                                     {arm: reference}), markup=False)
    return 0


def _metric_table(title: str, comparison, metrics, currency: str):
    """A rich table: per strategy, each metric's mean [95% CI] and paired difference."""
    from sim.report import fmt

    table = Table(title=title)
    table.add_column("strategy")
    for _, label, _ in metrics:
        table.add_column(label)
    strategies = list(dict.fromkeys(comparison["strategy"]))
    for strategy in strategies:
        rows = comparison[comparison["strategy"] == strategy].set_index("metric")
        cells = []
        for metric, _, kind in metrics:
            row = rows.loc[metric]
            text = fmt(row["mean"], kind, currency)
            if not math.isnan(row["ci_low"]):
                text += f"\n[{fmt(row['ci_low'], kind, currency)}, {fmt(row['ci_high'], kind, currency)}]"
            if strategy != strategies[0] and not math.isnan(row["diff"]):
                text += f"\ndiff {fmt(row['diff'], kind, currency)}"
                if not math.isnan(row["diff_ci_low"]):
                    text += f" [{fmt(row['diff_ci_low'], kind, currency)}, {fmt(row['diff_ci_high'], kind, currency)}]"
            cells.append(text)
        table.add_row(strategy, *cells)
    return table


def _print_headline(comparison, currency: str, reference, replications: int, journey: bool,
                    prevention: bool = False) -> None:
    from sim.report import HEADLINE, JOURNEY, PAYOFF, PREVENTION, fmt

    if prevention:
        # the journey and prevention tables come first; the headline a leader decides on comes last
        if journey:
            stdout.print(_metric_table("The journey: mean [95% CI] per replication; paired difference vs the first",
                                       comparison, JOURNEY, currency))
        stdout.print(_metric_table("Problems and prevention: mean [95% CI] per replication; paired difference "
                                   "vs the first", comparison, PREVENTION, currency))
        stdout.print(_metric_table(f"Headline: mean [95% CI] over {replications} replication(s); other strategies: "
                                   "paired difference vs the first (total cost = cost to serve + transition + "
                                   "revenue lost to churn)", comparison, PAYOFF, currency))
        return
    table = _metric_table(f"Headline: mean [95% CI] over {replications} replication(s); "
                          "other strategies: paired difference vs the first", comparison, HEADLINE, currency)
    if reference is not None:
        name = "Erlang A (exact)" if math.isfinite(reference.mean_patience_s) else "Erlang C (exact)"
        table.add_row(name, fmt(math.nan, "count"), fmt(reference.p_abandon, "percent"),
                      fmt(reference.asa_s, "seconds"), fmt(reference.service_level, "percent"),
                      fmt(reference.occupancy, "percent"), "")
    stdout.print(table)
    if journey:
        stdout.print(_metric_table("The journey: mean [95% CI] per replication; paired difference vs the first",
                                   comparison, JOURNEY, currency))


def command_erlang(args) -> int:
    from sim.erlang import erlang_a, erlang_c

    rate = args.arrivals_per_hour / 3600
    load = rate * args.aht
    table = Table(title=f"{args.arrivals_per_hour:g} calls/hour, AHT {args.aht:g} s: offered load {load:.3f} Erlangs; "
                        f"service level = P(answered within {args.threshold:g} s)")
    table.add_column("agents", justify="right")
    for name in ("C: P(wait)", "C: ASA s", "C: SL", "C: occupancy"):
        table.add_column(name, justify="right")
    if args.patience:
        for name in ("A: P(wait)", "A: P(abandon)", "A: ASA s", "A: mean wait s", "A: SL", "A: occupancy"):
            table.add_column(name, justify="right")
    for agents in args.agents:
        c = erlang_c(rate, args.aht, agents, args.threshold)
        cells = [str(agents), f"{c.p_wait:.4f}", _seconds(c.asa_s), f"{c.service_level:.4f}", f"{c.occupancy:.4f}"]
        if args.patience:
            a = erlang_a(rate, args.aht, agents, args.patience, args.threshold)
            cells += [f"{a.p_wait:.4f}", f"{a.p_abandon:.4f}", _seconds(a.asa_s), _seconds(a.mean_wait_s),
                      f"{a.service_level:.4f}", f"{a.occupancy:.4f}"]
        table.add_row(*cells)
    stdout.print(table)
    if load >= min(args.agents):
        stdout.print(f"Erlang C is unstable with {load:.2f} Erlangs on {min(args.agents)} agent(s) or fewer: "
                     "the queue grows without bound (ASA infinite).", markup=False)
    return 0


def _seconds(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.2f}"


def command_staff(args) -> int:
    from sim.calendar import DAYS, SLOTS_PER_DAY
    from sim.scenario_edit import replace_rosters, write_atomically
    from sim.staffing import Target, plan, schedule_of

    study = _load(args.scenario, args.overrides)
    name = args.strategy or next(iter(study.strategies))
    if name not in study.strategies:
        stderr.print(f"{args.scenario}: --strategy: one of {', '.join(study.strategies)} (got {name!r})",
                     markup=False)
        return EXIT_BAD_INPUT
    scenario = study.strategies[name]
    target = Target(
        service_level=args.service_level if args.service_level is not None else scenario.staffing.service_level,
        threshold_s=args.threshold if args.threshold is not None else scenario.threshold(),
        max_abandon=args.max_abandon if args.max_abandon is not None else scenario.staffing.max_abandon,
    )
    staffing = plan(scenario, target)
    goal = (f"{target.service_level:.0%} answered within {target.threshold_s:g} s"
            + (f", abandonment <= {target.max_abandon:.1%}" if target.max_abandon is not None else ""))
    for group, group_plan in staffing.groups.items():
        spec = scenario.agents[group]
        model = "Erlang A" if math.isfinite(group_plan.patience_s) else "Erlang C"
        table = Table(title=f"{group}: rostered agents by half-hour ({model}; serves {', '.join(group_plan.queues)}; "
                            f"AHT {group_plan.aht_s:.0f} s, patience {group_plan.patience_s:.0f} s, "
                            f"shrinkage {spec.shrinkage:.0%}; target {goal})")
        table.add_column("time")
        for day in DAYS:
            table.add_column(day, justify="right")
        for slot in range(SLOTS_PER_DAY):
            counts = group_plan.rostered[:, slot]
            if counts.any():
                table.add_row(f"{slot // 2:02d}:{30 * (slot % 2):02d}", *(str(int(n)) for n in counts))
        stdout.print(table)
        stdout.print(f"{group}: {group_plan.rostered_hours_per_week():,.1f} rostered hours a week = "
                     f"{staffing.fte(group):.1f} FTE of {staffing.fte_hours_per_week:g} h", markup=False)
    stdout.print(f"total: {staffing.fte_total():.1f} FTE", markup=False)
    for group in staffing.unplanned:
        stdout.print(f"{group}: no demand of its own reaches its queues (it is nobody's primary group, or its "
                     "queues only receive escalations, transfers or callbacks); its roster is left as it is",
                     markup=False)
    if args.write:
        text = args.scenario.read_text(encoding="utf-8")
        schedules = {group: schedule_of(group_plan) for group, group_plan in staffing.groups.items()}
        comment = f"written by run_sim.py staff: {goal}"
        try:
            edited = replace_rosters(text, schedules, comment)
        except ValueError as error:
            stderr.print(f"{args.scenario}: cannot write the plan: {error}", markup=False)
            return EXIT_BAD_INPUT
        from sim.loader import load_text

        try:
            load_text(edited, str(args.scenario))
        except ScenarioError as error:
            stderr.print(f"{args.scenario}: the plan was not written, the edited file would not validate:",
                         markup=False)
            for line in error.lines:
                stderr.print(f"  {line}", markup=False)
            return EXIT_BAD_INPUT
        write_atomically(args.scenario, edited)
        stdout.print(f"wrote the schedules of {', '.join(schedules)} into {args.scenario}", markup=False)
    return 0


def command_bench(args) -> int:
    if args.sweep:
        from sim.sweep_bench import main as sweep_bench_main

        return sweep_bench_main(args.json, args.tasks, args.rounds)
    from sim.bench import main as bench_main

    return bench_main(args)


COMMANDS = {"run": command_run, "validate": command_validate, "erlang": command_erlang,
            "staff": command_staff, "bench": command_bench, "report": command_report, "compare": command_compare,
            "sweep": command_sweep}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as error:
        for line in error.lines:
            stderr.print(line, markup=False)
        return EXIT_BAD_INPUT
    except OutputError as error:
        stderr.print(f"error: {error}", markup=False)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        stderr.print("interrupted: nothing was written", markup=False)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the one place that turns failures into a line
        if args.debug:
            raise
        stderr.print(f"error: {type(error).__name__}: {error} (run with --debug for the traceback)",
                     markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())

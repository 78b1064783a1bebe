"""Sweeps: factors and designs, up-front validation, the task store and --resume, executors that give
the same bytes (local processes, a Dask LocalCluster, a real `dask scheduler` + `dask worker`), the
report's zero crossings, and a small sweep of the flagship whose direction the model guarantees."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.executors import LocalExecutor
from sim.loader import ScenarioError, load_text
from sim.metrics import SUMMARY_COLUMNS
from sim.sweep import (METRICS, SweepError, count_done, grid_points, latin_hypercube, parse_vary, plan_sweep,
                       run_sweep)
from sim.sweep_cli import main as sweep_main
from sim.sweep_report import _value, pareto, zero_crossings

ROOT = Path(__file__).resolve().parents[1]

BUSINESS = """\
name: sweep test business
horizon: 30d
warmup: 5d
replications: 3
seed: 11
customers: {count: 2000, monthly_revenue: 30, margin: 0.5}
demand: {billing: {}, general: {}}
agents:
  desk: {headcount: 3, serves: [billing, general], handle_time: {dist: exponential, mean: 5m},
         resolve_probability: 0.7, hourly_cost: 30}
patience: {dist: exponential, mean: 5m}
call_again: {probability: 0.6, delay: {dist: exponential, mean: 1d}}
root_causes:
  invoice: {reason: billing, per_1000_per_day: 6, contact_probability: 0.7,
            contact_delay: {dist: exponential, mean: 1d}}
value_demand:
  questions: {reason: general, per_1000_per_day: 4}
churn: {probability: {intercept: -4, slope: 0.7}}
strategies:
  reactive: {}
  empowered:
    agents: {desk: {resolve_probability: 0.85, hourly_cost: 33}}
    costs: {transition: 2000}
"""

VARY = ["agents.desk.headcount=2,3", "strategies.empowered.costs.transition=0:4000:2000"]
"""A 2 x 3 grid: 6 points x 2 strategies x 3 replications = 36 small tasks."""


@pytest.fixture
def business(tmp_path) -> Path:
    path = tmp_path / "business.yaml"
    path.write_text(BUSINESS)
    return path


def sweep(*argv) -> int:
    """The sweep command in this process."""
    return sweep_main([str(arg) for arg in argv])


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    """The VARY sweep of BUSINESS run once, uninterrupted, on two local processes."""
    folder = tmp_path_factory.mktemp("whole")
    (folder / "business.yaml").write_text(BUSINESS)
    out = folder / "out"
    assert sweep(folder / "business.yaml", *sum((["--vary", v] for v in VARY), []), "--out", out, "--jobs", "2",
                 "--quiet") == 0
    return out


# ------------------------------------------------------------------------------- factors and designs


def test_values_are_yaml_and_durations_become_numbers_in_the_first_unit():
    factor = parse_vary("patience.mean=1m,90s,2m")
    assert [level.value for level in factor.levels] == ["1m", "90s", "2m"]
    assert [level.label for level in factor.levels] == [1.0, 1.5, 2.0] and factor.unit == "m"
    names = parse_vary("calendar.intraday=flat,bank_weekday")
    assert [level.label for level in names.levels] == ["flat", "bank_weekday"]
    lists = parse_vary("agents.desk.serves=[billing, general],[general]")
    assert [level.value for level in lists.levels] == [["billing", "general"], ["general"]]


def test_ranges_include_both_ends_without_float_drift():
    assert [l.value for l in parse_vary("x.y=20h:80h:20h").grid()] == ["20h", "40h", "60h", "80h"]
    assert [l.label for l in parse_vary("x.y=20h:80h:20h").grid()] == [20, 40, 60, 80]
    assert [l.value for l in parse_vary("x.y=1:4:1").grid()] == [1, 2, 3, 4]
    assert [l.value for l in parse_vary("x.y=0.1:0.3:0.1").grid()] == [0.1, 0.2, 0.3]
    assert [l.label for l in parse_vary("x.y=30m:2h:30m").grid()] == [30, 60, 90, 120]


@pytest.mark.parametrize("expression, message", [
    ("operations.engineers", "a key.path=values pair like operations.engineers=1,2,3 (got no '=')"),
    ("operations.engineers=", "(got nothing)"),
    ("operations.engineers=1,,2", "no empty value"),
    ("operations.engineers=1:4", "a grid range needs its step"),
    ("operations.engineers=4:1:1", "with low <= high"),
    ("operations.engineers=1:4:0", "with a step > 0"),
    ("operations.engineers=0:1:0.00001", "at most 10000 values"),
    ("seed=1,2", "cannot be swept: every point shares the seed"),
    ("strategies.embedded.seed=1,2", "cannot be swept"),
    ("replications=1,2", "cannot be swept: set the replications with --replications"),
    ("strategies.embedded=1", "strategies.NAME.key"),
    ("a..b=1", "a key path like operations.engineers"),
])
def test_bad_vary_is_one_line(expression, message):
    with pytest.raises(SweepError) as caught:
        parse_vary(expression)
    assert len(caught.value.lines) == 1
    assert caught.value.lines[0].startswith(f"--vary {expression}: ")
    assert message in caught.value.lines[0]


def test_grid_is_every_combination_first_factor_slowest():
    factors = [parse_vary("a.b=1,2"), parse_vary("c.d=x,y,z")]
    points = grid_points(factors)
    assert [tuple(l.value for l in p.levels) for p in points] == [
        (1, "x"), (1, "y"), (1, "z"), (2, "x"), (2, "y"), (2, "z")]
    assert [p.index for p in points] == list(range(6))


def test_latin_hypercube_uses_every_stratum_once_and_is_reproducible():
    factors = [parse_vary("a.b=0.0:100", samples=10), parse_vary("c.d=1h:11h", samples=10),
               parse_vary("e.f=1:10", samples=10)]
    points = latin_hypercube(factors, 10, seed=3)
    for index, (low, width) in enumerate([(0, 10), (1, 1)]):
        labels = [p.levels[index].label for p in points]
        assert sorted(int((label - low) // width) for label in labels) == list(range(10)), labels
    assert all(isinstance(p.levels[2].value, int) and 1 <= p.levels[2].value <= 10 for p in points)
    assert all(p.levels[1].value.endswith("h") for p in points)
    again = latin_hypercube(factors, 10, seed=3)
    assert [p.levels for p in again] == [p.levels for p in points]
    assert [p.levels for p in latin_hypercube(factors, 10, seed=4)] != [p.levels for p in points]


# --------------------------------------------------------------------------- validation up front


def test_every_point_is_validated_and_mistakes_name_their_vary(business, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(SweepError) as caught:
        plan_sweep(business, vary=["agents.desk.headcnt=2,3", "agents.desk.resolve_probability=0.5,1.5,-1"])
    lines = caught.value.lines
    assert lines[0].startswith(f"{business}: --vary agents.desk.headcnt=2,3: agents.desk.headcnt: unknown key")
    assert "(did you mean 'headcount'?)" in lines[0]
    assert any(line.endswith("must be <= 1 (got 1.5)") for line in lines) and any(
        line.endswith("must be >= 0 (got -1)") for line in lines)
    assert len(lines) == 3, lines  # one line per bad path or value, not per point
    assert sweep(business, "--vary", "agents.desk.headcount=2,-3", "--out", out, "--quiet") == 2
    assert not out.exists()


def test_a_cross_check_names_the_vary_and_the_key_it_breaks(business):
    with pytest.raises(SweepError) as caught:
        plan_sweep(business, vary=["horizon=2d,30d"])
    assert caught.value.lines == [
        f"{business}: --vary horizon=2d,30d: line 3: warmup: must be shorter than the horizon (2d) (got 5d)"]


def test_scenario_mistakes_and_overrides_come_first(business):
    with pytest.raises(ScenarioError):
        plan_sweep(business, overrides=["agents.desk.headcount=-1"], vary=["horizon=20d,30d"])


def test_a_factor_the_strategy_patch_overrides_gets_a_note(business):
    plan = plan_sweep(business, vary=["agents.desk.resolve_probability=0.6,0.7"])
    assert plan.notes == ["note: agents.desk.resolve_probability does not change strategy empowered (its patch "
                          "sets that key); vary strategies.empowered.agents.desk.resolve_probability to change it "
                          "there"]


# ---------------------------------------------------------------------------- the sweep: section


SECTION = BUSINESS + """\
sweep:
  vary:
    agents.desk.headcount: [2, 3]
    patience.mean: 2m:6m:2m
"""


def test_the_sweep_section_loads_and_run_ignores_it():
    study = load_text(SECTION, "s.yaml")
    plain = load_text(BUSINESS, "s.yaml")
    assert study.strategies == plain.strategies and study.resolved_yaml() == plain.resolved_yaml()
    assert study.sweep.vary == {"agents.desk.headcount": [2, 3], "patience.mean": "2m:6m:2m"}
    assert study.sweep_where == {"agents.desk.headcount": "s.yaml:26:28", "patience.mean": "s.yaml:27:20"}


def test_the_sweep_section_drives_the_command_unless_vary_is_given(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SECTION)
    plan = plan_sweep(path)
    assert plan.method == "grid" and [f.path for f in plan.factors] == ["agents.desk.headcount", "patience.mean"]
    assert len(plan.points) == 6
    assert [f.path for f in plan_sweep(path, vary=["agents.desk.headcount=4,5"]).factors] == ["agents.desk.headcount"]
    sampled = plan_sweep(path, samples=4)
    assert sampled.method == "latin hypercube" and len(sampled.points) == 4 and sampled.lhs_seed == 11


@pytest.mark.parametrize("section, message", [
    ("sweep: {vary: {agents.desk.headcount: 3}}",
     "s.yaml:24:39: sweep.vary.agents.desk.headcount: a list of values like [1, 2, 3] or a range 'low:high:step' "
     "(got 3)"),
    ("sweep: {vary: {patience.mean: '1m:3m'}}", "s.yaml:24:31: sweep.vary.patience.mean: a grid range needs its step"),
    ("sweep: {vary: {seed: [1, 2]}}", "s.yaml:24:22: sweep.vary.seed: cannot be swept"),
    ("sweep: {vary: {a.b: [1]}, sampels: 3}",
     "s.yaml:24:27: sweep.sampels: unknown key; allowed: samples, seed, vary (did you mean 'samples'?)"),
    ("sweep: {vary: {a.b: [1]}, seed: 3}", "s.yaml:24:33: sweep.seed: only with samples"),
    ("sweep: {samples: 3}", "s.yaml:24:8: sweep.vary: required (missing)"),
    ("sweep: [1]", "s.yaml:24:8: sweep: a mapping of settings (got [1])"),
])
def test_a_bad_sweep_section_is_located(section, message):
    with pytest.raises(ScenarioError) as caught:
        load_text(BUSINESS + section + "\n", "s.yaml")
    assert len(caught.value.lines) == 1 and caught.value.lines[0].startswith(message), caught.value.lines


# ------------------------------------------------------------------------------------- the outputs


def test_tidy_tables_in_task_order_with_paired_differences(whole):
    out = whole
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["sweep.csv", "sweep_summary.csv", "sweep.html", "sweep.db", "scenario.yaml", "manifest.json"])
    table = pd.read_csv(out / "sweep.csv")
    factors = ["agents.desk.headcount", "strategies.empowered.costs.transition"]
    assert list(table.columns) == ["point", *factors, "strategy", "replication", *METRICS]
    assert set(METRICS) == set(SUMMARY_COLUMNS) - {"strategy", "replication"}
    assert len(table) == 6 * 2 * 3
    assert list(table["point"]) == [p for p in range(6) for _ in range(6)]
    assert list(table["strategy"][:6]) == ["reactive"] * 3 + ["empowered"] * 3
    assert list(table[factors[1]][:18:6]) == [0, 2000, 4000]
    # points share random numbers: the reactive runs are the same whatever the empowered transition cost
    reactive = table[table["strategy"] == "reactive"].set_index(["point", "replication"])
    for headcount_points in ([0, 1, 2], [3, 4, 5]):
        runs = [reactive.loc[p, "cost_total"].to_numpy() for p in headcount_points]
        assert all(np.array_equal(runs[0], run) for run in runs[1:])
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert list(summary.columns) == ["point", *factors, "strategy", "replications", "metric", "mean", "ci_low",
                                     "ci_high", "diff", "diff_ci_low", "diff_ci_high"]
    cost = summary[(summary["metric"] == "cost_total") & (summary["strategy"] == "empowered")].set_index("point")
    # the transition cost is a one-off addition: the paired difference moves by exactly its change
    assert cost.loc[1, "diff"] - cost.loc[0, "diff"] == pytest.approx(2000)
    assert cost.loc[2, "diff"] - cost.loc[0, "diff"] == pytest.approx(4000)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tool"] == "contactsim" and manifest["kind"] == "sweep" and manifest["status"] == "complete"
    assert manifest["sweep"]["points"][5] == {"point": 5, factors[0]: 3, factors[1]: 4000}
    page = (out / "sweep.html").read_text()
    assert "Plotly" in page and "<script src=" not in page  # self-contained: plotly.js inline
    assert "Total cost against agents.desk.headcount" in page and "Pareto-optimal" in page
    assert "Total cost: empowered - reactive" in page  # the heatmap of two parameters


def test_zero_crossing_and_its_interval_by_straight_lines():
    x = [0, 10, 20]
    # mean difference -10, +10, +30; band +-5: crosses at 5, the band holds zero from 2.5 to 7.5
    [(x0, low, high)] = zero_crossings(x, [-10, 10, 30], [-15, 5, 25], [-5, 15, 35])
    assert x0 == pytest.approx(5) and low == pytest.approx(2.5, abs=0.01) and high == pytest.approx(7.5, abs=0.01)
    # a wide band reaching the end of the range leaves that side open
    [(x0, low, high)] = zero_crossings(x, [-10, 10, 30], [-40, -20, 5], [20, 40, 55])
    assert x0 == pytest.approx(5) and low is None and high == pytest.approx(18, abs=0.01)
    assert zero_crossings(x, [1, 2, 3], [0.5, 1, 2], [1.5, 3, 4]) == []


def test_pareto_marks_what_nothing_beats_on_both():
    assert list(pareto([1, 2, 3, 2], [3, 2, 1, 3])) == [True, True, True, False]


# ------------------------------------------------------------------------------ store and resume


def _run_plan(business, out, stop_after=None, resume=False):
    plan = plan_sweep(business, vary=VARY)

    def progress(done, total):
        if stop_after is not None and done >= stop_after:
            raise KeyboardInterrupt  # as Ctrl-C would, while two worker processes are busy

    return run_sweep(plan, out, LocalExecutor(2), resume=resume, progress=progress)


def test_interrupted_sweep_keeps_its_tasks_and_resume_gives_the_same_bytes(business, whole, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        _run_plan(business, out, stop_after=10)
    assert count_done(out) == 10
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert not (out / "sweep.csv").exists()  # no partial table
    outcome = _run_plan(business, out, resume=True)
    assert outcome.ran == 26 and outcome.tasks == 36
    for name in ("sweep.csv", "sweep_summary.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_resume_refuses_another_sweep_and_folders_not_ours(business, tmp_path, capsys):
    out = tmp_path / "out"
    base = [business, "--vary", VARY[0], "--out", out, "--quiet", "--jobs", "1", "--replications", "1"]
    assert sweep(*base) == 0
    before = (out / "sweep.csv").read_bytes()
    capsys.readouterr()
    assert sweep(*base, "--resume", "--vary", "patience.mean=2m,4m") == 2
    assert capsys.readouterr().err.strip() == (
        f"{out}: --resume: this sweep differs from the one recorded there in the swept factors (there: "
        "--vary agents.desk.headcount=2,3; here: --vary agents.desk.headcount=2,3, --vary patience.mean=2m,4m); "
        "run without --resume to replace it, or choose another --out")
    assert sweep(*base, "--resume", "--set", "agents.desk.hourly_cost=31") == 2
    assert "differs from the one recorded there in the scenario (file or --set)" in capsys.readouterr().err
    assert (out / "sweep.csv").read_bytes() == before
    assert sweep(*base, "--resume") == 0  # the same sweep: nothing to run, the same bytes
    assert "(0 run now, 4 already stored)" in capsys.readouterr().out
    assert (out / "sweep.csv").read_bytes() == before
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert sweep(business, "--vary", VARY[0], "--out", mine, "--quiet") == 2
    assert "exists and is not a contactsim output folder" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_killed_sweep_resumes_to_the_same_bytes(business, whole, tmp_path):
    """A sweep process killed with SIGKILL mid-way (its worker processes too) loses no finished task;
    --resume finishes it and sweep.csv is byte-identical to an uninterrupted sweep's."""
    out = tmp_path / "out"
    argv = [business, *sum((["--vary", v] for v in VARY), []), "--quiet"]
    with open(tmp_path / "stderr.txt", "w") as errors:
        process = subprocess.Popen([sys.executable, "-m", "sim.sweep_cli", *map(str, argv), "--out", str(out),
                                    "--jobs", "2"], cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                                   stderr=errors)
    try:
        deadline = time.monotonic() + 120
        while _stored(out) < 8 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, (tmp_path / "stderr.txt").read_text()
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the sweep and its worker processes
        process.wait()
    stored = _stored(out)
    assert 8 <= stored < 36
    assert not (out / "sweep.csv").exists()
    assert sweep(*argv, "--out", out, "--jobs", "2", "--resume") == 0
    for name in ("sweep.csv", "sweep_summary.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def _stored(out: Path) -> int:
    path = out / "sweep.db"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
    except sqlite3.Error:
        return 0


# ------------------------------------------------------------------------------------- executors


ERLANG = ROOT / "scenarios" / "erlang_a.yaml"
ERLANG_ARGS = [ERLANG, "--set", "horizon=2d", "--set", "warmup=2h", "--vary", "agents.frontline.headcount=9:11:1",
               "--vary", "patience.mean=1m,3m", "--replications", "2", "--quiet"]
"""6 points x 1 strategy x 2 replications of the Erlang A file: 12 short tasks."""


@pytest.fixture(scope="module")
def local_erlang(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("erlang") / "local"
    assert sweep(*ERLANG_ARGS, "--out", out, "--jobs", "1") == 0
    return out


def _same_outputs(a: Path, b: Path) -> None:
    for name in ("sweep.csv", "sweep_summary.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_two_local_processes_give_the_same_bytes(local_erlang, tmp_path):
    assert sweep(*ERLANG_ARGS, "--out", tmp_path / "two", "--jobs", "2") == 0
    _same_outputs(local_erlang, tmp_path / "two")


def test_without_dask_the_scheduler_option_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert sweep(*ERLANG_ARGS, "--out", tmp_path / "x", "--scheduler", "tcp://127.0.0.1:1") == 2
    assert capsys.readouterr().err.strip() == (
        "error: --scheduler needs Dask distributed, which is not installed: pip install '.[dist]' "
        "(or pip install 'dask[distributed]')")
    assert not (tmp_path / "x").exists()


def test_a_dask_local_cluster_gives_the_same_bytes(local_erlang, tmp_path):
    distributed = pytest.importorskip("distributed")
    from sim.executors import DaskExecutor

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        executor = DaskExecutor(cluster=cluster)
        try:
            plan = plan_sweep(ERLANG, ["horizon=2d", "warmup=2h"], ["agents.frontline.headcount=9:11:1",
                                                                     "patience.mean=1m,3m"], replications=2)
            run_sweep(plan, tmp_path / "cluster", executor)
        finally:
            executor.close()
    _same_outputs(local_erlang, tmp_path / "cluster")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_real_dask_scheduler_and_workers_give_the_same_bytes(local_erlang, tmp_path):
    """`dask scheduler` and `dask worker ADDRESS` started as processes on 127.0.0.1, the sweep pointed at
    them with --scheduler, as the README shows."""
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    started = []
    try:
        started.append(subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        started.append(subprocess.Popen(
            [sys.executable, "-m", "dask", "worker", address, "--nworkers", "2", "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1"],
            cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for_port(int(port))
        assert sweep(*ERLANG_ARGS, "--out", tmp_path / "dask", "--scheduler", address) == 0
    finally:
        for process in reversed(started):
            with_group = os.getpgid(process.pid) if process.poll() is None else None
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if with_group is not None:
                try:
                    os.killpg(with_group, signal.SIGKILL)  # the worker's own worker processes, if left
                except ProcessLookupError:
                    pass
    _same_outputs(local_erlang, tmp_path / "dask")
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert manifest["executor"] == f"Dask at {address}"


def _wait_for_port(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


# ------------------------------------------------------------------------- the flagship, reduced


def test_a_small_sweep_of_the_flagship_moves_the_way_the_model_says(tmp_path):
    """Transition cost is a one-off cost of the embedded strategy and nothing else: with common random
    numbers the reactive runs are the same at every point, embedded's paired total-cost difference
    rises by exactly the transition cost's change, nothing else moves, and the report finds the
    break-even transition cost where that straight line crosses zero. At this size embedded is clearly
    cheaper without a transition cost and loses fewer customers (the flagship's direction, as
    tests/test_payoff.py checks at full measure)."""
    out = tmp_path / "flagship"
    assert sweep(ROOT / "scenarios" / "reactive_vs_embedded.yaml", "--set", "customers.count=10000",
                 "--set", "horizon=120d", "--set", "warmup=30d", "--replications", "3",
                 "--vary", "strategies.embedded.costs.transition=0:150000:75000", "--out", out, "--jobs", "2",
                 "--quiet") == 0
    table = pd.read_csv(out / "sweep.csv")
    assert sorted(table["strategies.embedded.costs.transition"].unique()) == [0, 75000, 150000]
    reactive = table[table["strategy"] == "reactive"]
    for point in (1, 2):
        assert np.array_equal(reactive[reactive["point"] == 0]["cost_total"].to_numpy(),
                              reactive[reactive["point"] == point]["cost_total"].to_numpy())
    summary = pd.read_csv(out / "sweep_summary.csv")
    embedded = summary[summary["strategy"] == "embedded"]
    cost = embedded[embedded["metric"] == "cost_total"].set_index("point")
    assert cost.loc[1, "diff"] - cost.loc[0, "diff"] == pytest.approx(75_000)
    assert cost.loc[2, "diff"] - cost.loc[0, "diff"] == pytest.approx(150_000)
    assert cost.loc[0, "diff_ci_high"] < 0, cost.loc[0].to_dict()  # no transition cost: embedded cheaper
    for metric in ("cost_service_total", "churned", "asa_s"):  # transition is not a cost of serving
        assert embedded[embedded["metric"] == metric]["diff"].nunique() == 1, metric
    churned = embedded[embedded["metric"] == "churned"].set_index("point")
    assert churned.loc[0, "diff_ci_high"] < 0, churned.loc[0].to_dict()  # embedded keeps more customers
    d0, d2 = cost.loc[0, "diff"], cost.loc[2, "diff"]
    if d2 > 0:
        x0 = -d0 / (d2 - d0) * 150_000
        sentence = next(s for s in _takeaways(out) if s.startswith("Total cost along"))
        assert f"crosses zero at {_value(x0, '')}" in sentence, sentence


def _takeaways(out: Path) -> list[str]:
    import html
    import re

    page = (out / "sweep.html").read_text()
    return [html.unescape(s) for s in re.findall(r'<p class="takeaway">(.*?)</p>', page)]


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as exited:
        sweep_main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in ("--vary", "--samples", "--seed", "--out", "--replications", "--jobs", "--scheduler", "--resume",
                   "--quiet", "--set"):
        assert option in text


def test_add_parser_wires_the_command_into_a_parent_parser():
    import argparse

    from sim.sweep_cli import add_parser, command_sweep

    parser = argparse.ArgumentParser(prog="run_sim.py")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sweep", "s.yaml", "--vary", "a.b=1,2", "--jobs", "2", "--resume"])
    assert args.vary == ["a.b=1,2"] and args.jobs == 2 and args.resume and args.samples is None
    assert callable(command_sweep)



def test_bench_sweep_measures_one_and_two_workers_and_dask_on_the_same_tasks():
    """`bench --sweep` at a tiny size: every figure is there and the results agree across executors
    (the speed targets themselves are measured by `run_sim.py bench --sweep`, not asserted here)."""
    from sim.sweep_bench import sweep_figures

    figures = sweep_figures(tasks=2, size=("customers.count=2000", "horizon=40d", "warmup=10d"), rounds=1)
    assert figures["identical_results"] is True
    for key in ("tasks_per_s_1_worker", "tasks_per_s_2_workers", "parallel_efficiency", "mean_task_cpu_s",
                "dask_tasks_per_s_1_worker", "dask_overhead_share"):
        assert figures[key] > 0 or key == "dask_overhead_share", key
    assert np.isfinite(figures["dask_overhead_share"])


def test_a_killed_worker_process_loses_no_finished_task_and_resume_completes(business, whole, tmp_path):
    """One of the two local worker processes killed (SIGKILL) mid-sweep: the sweep stops with exit
    status 1 and a line saying how many tasks are stored; they are all there, no table is written,
    and --resume finishes with the same bytes as an uninterrupted sweep."""
    out = tmp_path / "out"
    argv = [business, *sum((["--vary", v] for v in VARY), []), "--quiet"]
    process = subprocess.Popen([sys.executable, "-m", "sim.sweep_cli", *map(str, argv), "--out", str(out),
                                "--jobs", "2"], cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _stored(out) < 4 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        workers = _children(process.pid)
        assert process.poll() is None and workers, "the sweep ended before a worker could be killed"
        os.kill(workers[0], signal.SIGKILL)
        _, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stored = _stored(out)
    assert process.returncode == 1, errors
    assert f"{stored} finished tasks are stored" in errors and "--resume" in errors, errors
    assert "Traceback" not in errors
    assert 4 <= stored < 36 and not (out / "sweep.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"
    assert sweep(*argv, "--out", out, "--jobs", "2", "--resume") == 0
    for name in ("sweep.csv", "sweep_summary.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def _children(pid: int) -> list[int]:
    """Process ids whose parent is *pid* (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)

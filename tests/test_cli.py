"""The command line: the run folder, reproducibility across processes, exit codes and bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import native
from sim.erlang import erlang_a, erlang_c
from sim.loader import load_study
from sim.metrics import SUMMARY_COLUMNS, TIMESERIES_COLUMNS
from sim.stats import COMPARISON_COLUMNS

ROOT = Path(__file__).resolve().parents[1]

SMALL = """\
name: small
horizon: 3d
warmup: 2h
replications: 3
seed: 5
demand:
  general: {arrivals_per_hour: 60}
agents:
  desk: {headcount: 6, serves: [general], handle_time: {dist: exponential, mean: 5m}}
patience: {dist: exponential, mean: 2m}
strategies:
  lean: {}
  staffed: {agents: {desk: {headcount: 8}}}
"""

DESIGN_COLUMNS = ("strategy, replication, calls, offered, answered, abandoned, p_abandon, p_wait, asa_s, "
                  "mean_wait_s, service_level, occupancy, fcr, contacts_per_problem, problems, churned, "
                  "cost_agents, cost_ops, cost_telephony, cost_callbacks, cost_notifications, "
                  "cost_service_total, revenue_lost_churn, cost_total").split(", ")


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def test_run_writes_exactly_the_design_folder(cli, small, tmp_path):
    out = tmp_path / "out"
    status, stdout, stderr = cli("run", small, "--out", out, "--quiet", "--jobs", "1")
    assert status == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["summary.csv", "comparison.csv", "timeseries.csv", "by_queue.csv", "by_group.csv", "intraday.csv",
         "waits.csv", "flows.csv", "occupancy.csv", "report.html", "scenario.yaml", "manifest.json"])
    summary = pd.read_csv(out / "summary.csv")
    assert set(DESIGN_COLUMNS) <= set(summary.columns)
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert list(summary["strategy"]) == ["lean"] * 3 + ["staffed"] * 3
    assert list(summary["replication"]) == [0, 1, 2] * 2
    assert (summary[["churned", "cost_ops", "cost_callbacks", "cost_notifications", "revenue_lost_churn"]] == 0).all().all()
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns) == COMPARISON_COLUMNS
    lean = comparison[comparison["strategy"] == "lean"]
    assert (lean[["diff", "diff_ci_low", "diff_ci_high"]] == 0).all().all()
    staffed = comparison[(comparison["strategy"] == "staffed")].set_index("metric")
    paired = (summary[summary.strategy == "staffed"]["asa_s"].to_numpy()
              - summary[summary.strategy == "lean"]["asa_s"].to_numpy())
    assert staffed.loc["asa_s", "diff"] == pytest.approx(paired.mean())
    assert staffed.loc["asa_s", "diff_ci_high"] < 0  # two more agents: shorter waits, clearly
    daily = pd.read_csv(out / "timeseries.csv")
    assert list(daily.columns) == TIMESERIES_COLUMNS
    assert len(daily) == 2 * 3 * 3  # strategies x replications x days
    assert daily.groupby(["strategy", "replication"])["calls"].sum().tolist() == summary["calls"].tolist()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tool"] == "contactsim" and manifest["seed"] == 5 and manifest["replications"] == 3
    assert "simpy" in manifest["versions"] and manifest["wall_time_s"] >= 0
    assert manifest["versions"]["engine"] == native.STATUS
    again = load_study(out / "scenario.yaml")
    assert again.strategies == load_study(small).strategies
    page = (out / "report.html").read_text()
    assert "<script" in page and "<script src=" not in page and "Headline" in page
    assert "lean" in stdout and "staffed" in stdout and "ASA" in stdout


def test_results_identical_whatever_the_number_of_processes(cli, small, tmp_path):
    for jobs in ("1", "2"):
        status, _, stderr = cli("run", small, "--out", tmp_path / f"j{jobs}", "--quiet", "--jobs", jobs)
        assert status == 0, stderr
    for name in ("summary.csv", "comparison.csv", "timeseries.csv", "by_queue.csv", "by_group.csv",
                 "intraday.csv"):
        assert (tmp_path / "j1" / name).read_bytes() == (tmp_path / "j2" / name).read_bytes(), name


def test_replications_option_and_set(cli, small, tmp_path):
    status, _, stderr = cli("run", small, "--out", tmp_path / "o", "--quiet", "--replications", "2",
                            "--set", "strategies.staffed.agents.desk.headcount=7", "--jobs", "1")
    assert status == 0, stderr
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    assert len(summary) == 4
    resolved = yaml.safe_load((tmp_path / "o" / "scenario.yaml").read_text())
    assert resolved["strategies"]["staffed"]["agents"]["desk"]["headcount"] == 7


def test_bad_scenario_exits_2_and_writes_nothing(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("headcount: 6", "headcount: -6"))
    out = tmp_path / "out"
    status, stdout, stderr = cli("run", bad, "--out", out)
    assert status == 2
    assert stderr.strip() == f"{bad}:9:21: agents.desk.headcount: must be >= 0 (got -6)"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_a_nul_byte_is_bad_input_not_a_failure(cli, tmp_path):
    bad = tmp_path / "nul.yaml"
    bad.write_bytes(SMALL.encode().replace(b"name: small", b"name: sm\x00all"))
    for command in ("run", "validate"):
        status, _, stderr = cli(command, bad, *(["--out", tmp_path / "out"] if command == "run" else []))
        assert status == 2
        assert stderr.strip() == f"{bad}:1:9: not valid YAML: printable characters only (got #x0000)"
    assert list(tmp_path.iterdir()) == [bad]


OFFICE_HOURS = SMALL.replace("horizon: 3d", "horizon: 14d").replace(
    "seed: 5", 'seed: 5\ncalendar: {opening_hours: {weekdays: "08:00-18:00"}}').replace(
    "desk: {headcount: 6,", 'desk: {shifts: {day: {days: weekdays, start: "08:00", end: "18:00", agents: 6}},').replace(
    "staffed: {agents: {desk: {headcount: 8}}}", "staffed: {agents: {desk: {shifts: {day: {agents: 8}}}}}")
"""SMALL on weekdays 08:00-18:00: nobody on duty at night and at weekends."""


def test_occupancy_is_a_share_in_every_table_and_empty_when_nobody_is_on_duty(cli, tmp_path):
    from sim.metrics import busy_seconds

    # the busy-time integral's rounding strays below 0 in an idle bin (clipped), and a hair of busy
    # time in a half-hour nobody was on duty made +-inf occupancy; above 1 by rounding, too
    starts = np.array([38415.08821023254, 179987.17183790126, 920932.6064772123])
    ends = np.array([38479.94583977885, 179999.22714881165, 920973.8263487965])
    assert busy_seconds(starts, ends, np.array([0.0, 1078299.8660896919, 1080099.8660896919]))[1] == 0.0
    scenario = tmp_path / "office.yaml"
    scenario.write_text(OFFICE_HOURS)
    assert cli("run", scenario, "--out", tmp_path / "out", "--quiet", "--jobs", "1")[0] == 0
    for name in ("summary.csv", "by_group.csv", "timeseries.csv", "intraday.csv", "occupancy.csv"):
        occupancy = pd.read_csv(tmp_path / "out" / name)["occupancy"]
        assert occupancy.dropna().between(0, 1).all(), name
    nights = pd.read_csv(tmp_path / "out" / "occupancy.csv").query("on_duty == 0")
    assert len(nights) > 0 and nights["occupancy"].isna().all()


def test_one_group_on_shifts_is_not_taken_for_the_textbook_queue(cli, tmp_path):
    scenario = tmp_path / "office.yaml"
    scenario.write_text(OFFICE_HOURS.split("strategies:")[0])
    # one strategy: the run looks for the Erlang reference (it read a schedule's headcount: None < 1)
    status, stdout, stderr = cli("run", scenario, "--out", tmp_path / "out", "--quiet")
    assert status == 0, stderr
    assert "Erlang" not in stdout  # opening hours and shifts: not the stationary textbook queue
    scenario.write_text(SMALL.split("strategies:")[0])  # the textbook queue itself
    status, stdout, stderr = cli("run", scenario, "--out", tmp_path / "out", "--quiet")
    assert status == 0 and "Erlang A (exact)" in stdout, stderr


def test_existing_folder_not_ours_is_left_alone(cli, small, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.txt").write_text("do not delete")
    status, _, stderr = cli("run", small, "--out", out, "--quiet")
    assert status == 2 and "not a contactsim output" in stderr
    assert [p.name for p in out.iterdir()] == ["thesis.txt"]
    file_out = tmp_path / "file.csv"
    file_out.write_text("x")
    assert cli("run", small, "--out", file_out, "--quiet")[0] == 2
    assert file_out.read_text() == "x"


def test_existing_folder_of_ours_is_replaced(cli, small, tmp_path):
    out = tmp_path / "out"
    assert cli("run", small, "--out", out, "--quiet", "--replications", "2", "--jobs", "1")[0] == 0
    (out / "stale.txt").write_text("old")
    assert cli("run", small, "--out", out, "--quiet", "--replications", "3", "--jobs", "1")[0] == 0
    assert not (out / "stale.txt").exists()
    assert len(pd.read_csv(out / "summary.csv")) == 6
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_interrupt_or_failure_leaves_no_folder(cli, small, tmp_path, monkeypatch):
    import sim.report
    import sim.runner

    out = tmp_path / "out"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner, "run_study", interrupted)
    status, _, stderr = cli("run", small, "--out", out, "--quiet")
    assert status == 130 and "nothing was written" in stderr
    monkeypatch.undo()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sim.report, "build_report", broken)
    status, _, stderr = cli("run", small, "--out", out, "--quiet", "--jobs", "1")
    assert status == 1 and "disk full" in stderr
    assert list(tmp_path.iterdir()) == [small]


@pytest.mark.parametrize("whole_group", [False, True], ids=["to the process", "to its group (a terminal)"])
def test_ctrl_c_stops_a_run_at_once_and_writes_nothing(tmp_path, whole_group):
    import signal
    import time

    long = tmp_path / "long.yaml"  # four replications of about a minute each
    long.write_text(SMALL.replace("horizon: 3d", "horizon: 3000d").replace("replications: 3", "replications: 2"))
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, str(ROOT / "run_sim.py"), "run", str(long), "--out", str(out),
                                "--jobs", "2", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(4)  # started, validated, the workers busy
    assert process.poll() is None
    sent = time.monotonic()
    if whole_group:
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)  # the workers do not see it: the run must end them
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - sent < 3
    assert process.returncode == 130
    assert stderr.decode().strip() == "interrupted: nothing was written"
    assert list(tmp_path.iterdir()) == [long]


def test_failure_while_writing_removes_the_staging_folder(tmp_path):
    from sim.outputs import write_folder

    def boom(path):
        raise OSError("no space left")

    with pytest.raises(OSError):
        write_folder(tmp_path / "out", {"a.csv": lambda p: p.write_text("1"), "b.csv": boom})
    assert list(tmp_path.iterdir()) == []


def test_validate(cli, small, tmp_path):
    status, stdout, _ = cli("validate", small, ROOT / "scenarios/erlang_a.yaml")
    assert status == 0
    assert "small.yaml: ok (2 strategies: lean, staffed)" in stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("patience:", "patince:"))
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    status, stdout, stderr = cli("validate", small, bad, empty)
    assert status == 2
    assert f"{bad}:10:1: patince: unknown key" in stderr and "(did you mean 'patience'?)" in stderr
    assert f"{empty}:1:1:" in stderr


def test_erlang_command_prints_exact_figures(cli):
    status, stdout, _ = cli("erlang", "--arrivals-per-hour", "114", "--aht", "5m", "--agents", "10",
                            "--patience", "2m")
    assert status == 0
    a = erlang_a(114 / 3600, 300, 10, 120)
    c = erlang_c(114 / 3600, 300, 10)
    for value in (f"{a.p_abandon:.4f}", f"{a.asa_s:.2f}", f"{a.service_level:.4f}", f"{c.p_wait:.4f}",
                  f"{c.asa_s:.2f}"):
        assert value in stdout
    status, stdout, _ = cli("erlang", "--arrivals-per-hour", "114", "--aht", "5m", "--agents", "8:12")
    assert status == 0 and "unstable" in stdout and "inf" in stdout


@pytest.mark.parametrize("argv", [
    ["erlang", "--arrivals-per-hour", "-1", "--aht", "5m", "--agents", "10"],
    ["erlang", "--arrivals-per-hour", "100", "--aht", "5 minutes", "--agents", "10"],
    ["erlang", "--arrivals-per-hour", "100", "--aht", "5m", "--agents", "12:8"],
    ["run", "x.yaml", "--jobs", "0"],
    ["run", "x.yaml", "--replications", "many"],
])
def test_bad_options_exit_2(argv):
    from sim.cli import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2


def test_help_for_every_command(capsys):
    from sim.cli import main

    result = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "usage:" in result.stdout  # the entry point itself
    for command in (["run"], ["validate"], ["erlang"], ["staff"], ["bench"], ["report"], ["compare"], ["sweep"]):
        with pytest.raises(SystemExit) as stop:
            main([*command, "--help"])
        assert stop.value.code == 0 and "usage:" in capsys.readouterr().out, command


def test_bench_json_reports_the_ratio():
    result = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "bench", "--json", "--callers", "20000",
                             "--rounds", "1", "--case", "erlang_a"], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert {"ratio", "engine_callers_per_cpu_s", "minimal_simpy_callers_per_cpu_s",
            "peak_bytes_per_caller", "cases"} <= set(figures)
    assert figures["ratio"] > 0 and figures["peak_bytes_per_caller"] > 0
    assert set(figures["cases"]) == {"erlang_a"}
    assert figures["engine"] == native.STATUS
    assert all(case["ratio"] > 0 and case["peak_bytes_per_caller"] > 0 for case in figures["cases"].values())

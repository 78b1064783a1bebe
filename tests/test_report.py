"""The report: its tables in the run folder, takeaways that match comparison.csv, the report and compare
commands, charts of unused features left out, and the page opened in headless Chromium."""

import html
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from sim.metrics import (CAUSE_MONTH_COLUMNS, FLOW_COLUMNS, FLOW_TERMINALS, OCCUPANCY_COLUMNS, SUMMARY_COLUMNS,
                         WAIT_COLUMNS)
from sim.report import fmt

ROOT = Path(__file__).resolve().parents[1]

CUSTOMERS = """\
name: Report check
horizon: 63d
warmup: 7d
replications: 3
seed: 42
calendar: {intraday: bank_weekday, weekday: western}
customers: {count: 6000, monthly_revenue: 60, acquisition_per_day: 1}
churn:
  baseline_per_month: 0.01
  probability: {intercept: -4.0, slope: 0.8}
  silent: 0.03
demand: {billing: {}, tech: {}}
value_demand:
  questions: {reason: billing, per_1000_per_day: 3}
root_causes:
  invoice: {reason: billing, per_1000_per_day: 4, contact_probability: 0.8, fix_effort: {dist: constant, value: 16h}}
  router: {reason: tech, per_1000_per_day: 3, contact_probability: 0.7, fix_effort: {dist: constant, value: 24h},
           fix_effectiveness: 0.7}
  portal: {reason: tech, per_1000_per_day: 1, contact_probability: 0.6, fix_effort: {dist: constant, value: 8h}}
operations: {engineers: 1, tagging_accuracy: 0, review_every: 7d, min_tagged: 3,
             detection_delay: {dist: constant, value: 30d}}
staffing: {policy: replan, replan_every: 14d}
patience: {dist: exponential, mean: 3m}
redial: {probability: 0.3, delay: {dist: exponential, mean: 30m}}
call_again: {probability: 0.5, delay: {dist: exponential, mean: 1d}}
ivr:
  entry: main
  hangup: 0.02
  menus:
    main:
      prompt: {dist: constant, value: 20s}
      zero_out: 0.05
      options: {"1": {menu: bills}, "2": {queue: tech}}
      choice: {billing: {"1": 0.9, "2": 0.1}, tech: {"1": 0.1, "2": 0.9}}
    bills:
      prompt: {dist: constant, value: 15s}
      options: {"1": {queue: billing}, "2": {self_service: balance}}
      choice: {billing: {"1": 0.8, "2": 0.2}, tech: {"1": 1.0}}
  self_service:
    balance: {duration: {dist: constant, value: 60s}, resolves: {billing: 0.4}}
agents:
  billing_desk:
    serves: [billing]
    shifts: {day: {days: daily, start: "08:00", end: "20:00", agents: 2},
             night: {days: daily, start: "20:00", end: "08:00", agents: 1}}
    handle_time: {dist: exponential, mean: 5m}
    resolve_probability: 0.75
  tech_desk:
    serves: [tech]
    shifts: {day: {days: daily, start: "08:00", end: "20:00", agents: 2},
             night: {days: daily, start: "20:00", end: "08:00", agents: 1}}
    handle_time: {dist: exponential, mean: 7m}
    resolve_probability: 0.7
strategies:
  reactive: {}
  embedded:
    operations: {tagging_accuracy: 0.9, detection_delay: null}
    costs: {transition: 2000}
"""
"""Two strategies, customers, an IVR with self-service, root causes and their fixes, churn, re-planned
staffing; a window of 8 whole weeks (so that every half-hour of the week occurs equally often)."""

ALL_CHARTS = ["cumulative_cost", "cost_breakdown", "daily_contacts", "waits", "intraday", "churn", "pareto",
              "occupancy", "sankey"]
PLAIN_CHARTS = ["cumulative_cost", "cost_breakdown", "daily_contacts", "waits", "intraday", "occupancy", "sankey"]


def _run(tmp: Path, name: str, scenario: Path, *options: str) -> Path:
    from sim.cli import main

    out = tmp / name
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--jobs", "2", *options]) == 0
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The customer scenario, a change of it (B), and the plain Erlang A scenario with 2 replications."""
    tmp = tmp_path_factory.mktemp("report")
    scenario = tmp / "customers.yaml"
    scenario.write_text(CUSTOMERS)
    return {
        "customers": _run(tmp, "customers", scenario),
        "more_engineers": _run(tmp, "more_engineers", scenario, "--set", "operations.engineers=2"),
        "erlang": _run(tmp, "erlang", ROOT / "scenarios/erlang_a.yaml", "--replications", "2"),
    }


def takeaways(page: str) -> dict[str, str]:
    """Chart key -> its takeaway sentence, and ``headline`` -> the headline's."""
    found = {key: html.unescape(text) for key, text in re.findall(
        r'<section class="chart" id="chart-([a-z_]+)"><h2>[^<]*</h2><p class="takeaway">([^<]*)</p>', page)}
    headline = re.search(r'<section id="headline"><h2>Headline</h2><p class="takeaway">([^<]*)</p>', page)
    found["headline"] = html.unescape(headline.group(1))
    return found


def interval(values) -> tuple[float, float, float]:
    values = np.asarray(values, dtype=float)
    half = scipy_stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return values.mean(), values.mean() - half, values.mean() + half


def money(value: float) -> str:
    return fmt(value, "money")


# ------------------------------------------------------------------------------ the tables


def test_the_run_folder_holds_every_table_the_report_draws(runs):
    out = runs["customers"]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    manifest = json.loads((out / "manifest.json").read_text())
    for name in ("waits.csv", "flows.csv", "occupancy.csv", "causes_by_month.csv"):
        assert name in manifest["files"] and (out / name).is_file()

    waits = pd.read_csv(out / "waits.csv")
    assert list(waits.columns) == WAIT_COLUMNS
    p90 = waits[waits["percentile"] == 90].set_index(["strategy", "replication"])["wait_s"]
    assert np.allclose(p90.to_numpy(), summary.set_index(["strategy", "replication"])["p90_wait_s"].reindex(p90.index))
    assert (waits.groupby(["strategy", "replication"])["wait_s"].diff().dropna() >= 0).all()

    flows = pd.read_csv(out / "flows.csv")
    assert list(flows.columns) == FLOW_COLUMNS
    origins = ["New contacts", "Redials", "Repeat contacts"]
    for (strategy, replication), edges in flows.groupby(["strategy", "replication"]):
        row = summary[(summary["strategy"] == strategy) & (summary["replication"] == replication)].iloc[0]
        inflow = edges.groupby("target")["count"].sum()
        outflow = edges.groupby("source")["count"].sum()
        assert outflow[origins].sum() == row["calls"]
        assert inflow.get("Hung up in the IVR", 0) == row["ivr_hangups"]
        assert inflow.get("Self-served in the IVR", 0) == row["ivr_self_served"]
        assert inflow.get("Abandoned in queue", 0) == row["abandoned"]
        assert inflow.get("Redials", 0) == 0 and outflow.get("Redials", 0) == row["redials"]
        assert inflow.get("Transferred (misrouted)", 0) <= row["transfers"]
        assert inflow.reindex(FLOW_TERMINALS, fill_value=0).sum() == row["calls"]  # every contact ends in exactly one node
        for node in set(inflow.index) - set(FLOW_TERMINALS):
            assert inflow[node] == outflow[node], node  # what comes in goes on
        assert {"IVR: main", "IVR: bills", "Queue: billing", "Queue: tech"} <= set(inflow.index)

    occupancy = pd.read_csv(out / "occupancy.csv")
    assert list(occupancy.columns) == OCCUPANCY_COLUMNS
    assert len(occupancy) == 2 * 2 * 336  # strategies x groups x half-hours of the week
    assert occupancy["occupancy"].dropna().between(0, 1).all()
    by_group = pd.read_csv(out / "by_group.csv")
    for (strategy, group), table in occupancy.groupby(["strategy", "group"]):
        rows = by_group[(by_group["strategy"] == strategy) & (by_group["group"] == group)]
        pooled = (rows["occupancy"] * rows["on_duty_hours"]).sum() / rows["on_duty_hours"].sum()
        # eight whole weeks: each half-hour of the week weighs the same
        assert table["busy"].sum() / table["on_duty"].sum() == pytest.approx(pooled, rel=1e-9)

    months = pd.read_csv(out / "causes_by_month.csv")
    assert list(months.columns) == CAUSE_MONTH_COLUMNS
    assert sorted(months["month"].unique()) == [1, 2] and sorted(months["days"].unique()) == [26, 30]
    causes = pd.read_csv(out / "root_causes.csv").set_index(["strategy", "replication", "cause"])
    totals = months.groupby(["strategy", "replication", "cause"])[["problems", "contacts"]].sum()
    assert (totals["problems"] == causes["problems"].reindex(totals.index)).all()
    assert (totals["contacts"] == causes["contacts"].reindex(totals.index)).all()


# ------------------------------------------------------------------------------ takeaways


def test_takeaways_say_the_numbers_of_comparison_csv(runs):
    out = runs["customers"]
    page = (out / "report.html").read_text()
    said = takeaways(page)
    assert list(said)[:-1] == ALL_CHARTS
    comparison = pd.read_csv(out / "comparison.csv").set_index(["strategy", "metric"])
    summary = pd.read_csv(out / "summary.csv")

    def cell(strategy, metric, column):
        return comparison.loc[(strategy, metric), column]

    total = f"embedded {'+' if cell('embedded', 'cost_total', 'diff') >= 0 else ''}" \
            f"{money(cell('embedded', 'cost_total', 'diff'))}"
    ci = (f"95% CI {money(cell('embedded', 'cost_total', 'diff_ci_low'))} to "
          f"{money(cell('embedded', 'cost_total', 'diff_ci_high'))}")
    assert f"{total} vs reactive ({ci})" in said["headline"]

    # cumulative cost: monthly saving from timeseries.csv, break-even from summary.csv, total from comparison.csv
    series = pd.read_csv(out / "timeseries.csv")
    first_day = series["day"].min()
    series["month"] = (series["day"] - first_day) // 30 + 1
    spent, days = {}, None
    for strategy, table in series.groupby("strategy"):
        ends = table.groupby(["replication", "month"])["cost_to_date"].last().unstack()
        spent[strategy] = ends.diff(axis=1).fillna(ends)
        days = table.groupby(["replication", "month"])["day"].count().unstack()
    saving = spent["reactive"] - spent["embedded"]
    means = (saving / days).mean()
    start = len(means) - 1
    while start > 0 and (means.iloc[start - 1] > 0) == (means.iloc[-1] > 0):
        start -= 1
    mean, low, high = interval(saving.iloc[:, start:].sum(axis=1) / days.iloc[:, start:].sum(axis=1) * 30)
    verb = "saves" if mean >= 0 else "costs"
    assert f"embedded {verb} {money(abs(mean))} a month" in said["cumulative_cost"]
    bounds = (low, high) if mean >= 0 else (-high, -low)
    assert f"(95% CI {money(bounds[0])} to {money(bounds[1])})" in said["cumulative_cost"]
    even = summary.loc[summary["strategy"] == "embedded", "break_even_day"].dropna()
    if len(even):
        assert f"(day {even.mean():.0f} of the run" in said["cumulative_cost"]
        assert f"month {int((even.mean() - first_day) // 30) + 1} of the window" in said["cumulative_cost"]
    assert f"{len(even)} of 3 replications" in said["cumulative_cost"]
    assert f"over the whole window {total} ({ci})" in said["cumulative_cost"]

    parts = ["cost_agents", "cost_ops", "cost_telephony", "cost_callbacks", "cost_notifications", "cost_field",
             "cost_web", "transition_cost", "revenue_lost_churn"]
    for strategy in ("reactive", "embedded"):
        assert sum(cell(strategy, part, "mean") for part in parts) == pytest.approx(cell(strategy, "cost_total", "mean"))
        assert f"{strategy} {money(cell(strategy, 'cost_total', 'mean'))}" in said["cost_breakdown"]
        assert f"{cell(strategy, 'fixes_completed', 'mean'):.1f} fixes landed per replication" in said["daily_contacts"]
        assert f"90% at most {fmt(cell(strategy, 'p90_wait_s', 'mean'), 'seconds')}" in said["waits"]
        assert (f"{strategy} lost {fmt(cell(strategy, 'churned', 'mean'), 'count')} customers (95% CI "
                f"{fmt(cell(strategy, 'churned', 'ci_low'), 'count')} to "
                f"{fmt(cell(strategy, 'churned', 'ci_high'), 'count')})") in said["churn"]
    diff = cell("embedded", "churned", "diff")
    assert f"; {'+' if diff >= 0 else ''}{fmt(diff, 'count')} against reactive" in said["churn"]

    # wait medians from waits.csv
    waits = pd.read_csv(out / "waits.csv")
    median = waits[(waits["strategy"] == "reactive") & (waits["percentile"] == 50)]["wait_s"].mean()
    assert f"reactive: half waited at most {fmt(median, 'seconds')}" in said["waits"]

    # Pareto: failure-demand contacts per 30 days in month 1 and in the last month, from causes_by_month.csv
    months = pd.read_csv(out / "causes_by_month.csv")
    failure = months[months["kind"] == "failure"]
    for strategy in ("reactive", "embedded"):
        mine = failure[failure["strategy"] == strategy]
        rate = (mine["contacts"] / mine["days"] * 30).groupby(mine["month"]).sum() / 3
        assert f"{rate[1]:,.0f} failure-demand contacts per 30 days in month 1, {rate[2]:,.0f} in month 2" \
               in said["pareto"]

    # Sankey: per 100 calls, from flows.csv
    flows = pd.read_csv(out / "flows.csv")
    for strategy in ("reactive", "embedded"):
        mine = flows[flows["strategy"] == strategy]
        calls = mine[mine["source"].isin(["New contacts", "Redials", "Repeat contacts"])]["count"].sum()
        hung = mine[mine["target"] == "Hung up in the IVR"]["count"].sum()
        resolved = mine[mine["target"] == "Resolved"]["count"].sum()
        assert f"{resolved / calls * 100:.1f} resolved" in said["sankey"]
        assert f"{hung / calls * 100:.1f} hung up in the IVR" in said["sankey"]
        abandoned = cell(strategy, "abandoned", "mean") / cell(strategy, "calls", "mean") * 100
        assert f"{abandoned:.1f} abandoned in queue" in said["sankey"]

    by_group = pd.read_csv(out / "by_group.csv")
    for (strategy, group), rows in by_group.groupby(["strategy", "group"]):
        assert f"{group} {fmt(rows['occupancy'].mean(), 'percent')}" in said["occupancy"]


def test_break_even_sentence_printed_by_run_is_the_reports(runs, capsys):
    from sim.report import break_even_sentences

    out = runs["customers"]
    summary = pd.read_csv(out / "summary.csv")
    sentence = break_even_sentences(summary, first_day=7)[0]
    assert sentence.startswith("Break-even: embedded's cumulative total cost")
    assert sentence.removeprefix("Break-even: ").rstrip(".") in takeaways((out / "report.html").read_text())[
        "cumulative_cost"]


# ----------------------------------------------------------------------- features left out


def test_charts_of_unused_features_are_left_out(runs):
    page = (runs["erlang"] / "report.html").read_text()
    said = takeaways(page)
    assert list(said)[:-1] == PLAIN_CHARTS
    assert f'<meta name="contactsim-charts" content="{",".join(PLAIN_CHARTS)}">' in page
    assert "break-even" not in page.lower() and "failure demand" not in page.lower()
    assert "textbook M/M/10+M (Erlang A)" in page
    flows = pd.read_csv(runs["erlang"] / "flows.csv")
    assert set(flows["source"]) | set(flows["target"]) <= {
        "New contacts", "Queue: general", "Resolved", "Abandoned in queue", "Waiting at the horizon",
        "In service at the horizon"}
    assert not (runs["erlang"] / "causes_by_month.csv").exists()
    comparison = pd.read_csv(runs["erlang"] / "comparison.csv").set_index("metric")
    assert f"base {money(comparison.loc['cost_total', 'mean'])} (95% CI" in said["cumulative_cost"]
    assert " vs " not in said["headline"] and "against" not in said["waits"]


# -------------------------------------------------------------------------- the commands


def test_report_rebuilds_the_same_page_from_the_folder(runs, cli, tmp_path):
    out = runs["customers"]
    status, stdout, stderr = cli("report", out, "--out", tmp_path / "again.html")
    assert status == 0, stderr
    assert (tmp_path / "again.html").read_bytes() == (out / "report.html").read_bytes()
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "report.html").unlink()
    assert cli("report", copy)[0] == 0
    assert (copy / "report.html").read_bytes() == (out / "report.html").read_bytes()


@pytest.mark.parametrize("damage, expected", [
    (lambda folder: shutil.rmtree(folder), "no such folder"),
    (lambda folder: (folder / "manifest.json").write_text("{}"), "not a contactsim run folder"),
    (lambda folder: (folder / "waits.csv").unlink(), "misses waits.csv"),
    (lambda folder: (folder / "causes_by_month.csv").unlink(), "misses causes_by_month.csv"),
    (lambda folder: pd.read_csv(folder / "flows.csv").drop(columns="count").to_csv(folder / "flows.csv", index=False),
     "flows.csv: lacks column(s) count"),
    (lambda folder: (folder / "scenario.yaml").write_text("horizon: [\n"), "scenario.yaml is missing or does not load"),
])
def test_report_of_a_folder_that_is_not_a_complete_run_exits_2(runs, cli, tmp_path, damage, expected):
    folder = tmp_path / "run"
    shutil.copytree(runs["customers"], folder)
    damage(folder)
    before = (folder / "report.html").read_bytes() if (folder / "report.html").exists() else None
    status, _, stderr = cli("report", folder)
    assert status == 2, stderr
    assert expected in stderr and len(stderr.strip().splitlines()) == 1
    if before is not None:
        assert (folder / "report.html").read_bytes() == before
    assert cli("compare", runs["customers"], folder)[0] == 2


def test_report_and_compare_never_overwrite_a_file_that_is_not_ours(runs, cli, tmp_path):
    precious = tmp_path / "notes.html"
    precious.write_text("<html>my notes</html>")
    for argv in (["report", runs["erlang"]], ["compare", runs["erlang"], runs["erlang"]]):
        status, _, stderr = cli(*argv, "--out", precious)
        assert status == 2 and "not a contactsim report" in stderr
        assert precious.read_text() == "<html>my notes</html>"
    status, _, stderr = cli("report", runs["erlang"], "--out", tmp_path / "missing" / "r.html")
    assert status == 2 and "no such folder" in stderr


def test_compare_pairs_strategies_of_the_same_name_and_lists_what_changed(runs, cli, tmp_path):
    a, b = runs["customers"], runs["more_engineers"]
    status, stdout, stderr = cli("compare", a, b)
    assert status == 0, stderr
    page = (b / "compare.html").read_text()
    assert "<code>every strategy: operations.engineers: 1 -&gt; 2</code>" in page
    said = takeaways(page)
    assert list(said)[:-1] == ALL_CHARTS
    assert "paired replication by replication" in page
    for strategy in ("reactive", "embedded"):
        own = pd.read_csv(b / "summary.csv").query("strategy == @strategy")["cost_total"].to_numpy()
        ref = pd.read_csv(a / "summary.csv").query("strategy == @strategy")["cost_total"].to_numpy()
        mean, low, high = interval(own - ref)
        text = (f"B: {strategy} {'+' if mean >= 0 else ''}{money(mean)} vs A: {strategy} "
                f"(95% CI {money(low)} to {money(high)})")
        assert text in said["headline"] and text in stdout
    # a run against itself: nothing changed, every difference is zero
    assert cli("compare", a, a, "--out", tmp_path / "self.html")[0] == 0
    same = (tmp_path / "self.html").read_text()
    assert "nothing: the two runs&#x27; scenarios are the same" in same
    assert "B: embedded +$0 vs A: embedded (95% CI $0 to $0): no clear difference" in takeaways(same)["headline"]


def test_compare_of_runs_with_different_seeds_uses_welch(runs, cli, tmp_path):
    from sim.report import welch_interval

    other = tmp_path / "other"
    shutil.copytree(runs["erlang"], other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["seed"] = 8
    (other / "manifest.json").write_text(json.dumps(manifest))
    assert cli("compare", runs["erlang"], other, "--out", tmp_path / "c.html")[0] == 0
    page = (tmp_path / "c.html").read_text()
    assert "Welch" in page
    asa = pd.read_csv(other / "summary.csv")["asa_s"]
    diff, low, high = welch_interval(asa, asa)
    assert diff == 0 and low < 0 < high  # independent samples: a wide interval even for the same numbers


# -------------------------------------------------------------------------- in a browser


CHROMIUM = Path("/usr/bin/chromium")


def open_in_chromium(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and the console messages it logged."""
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
         "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.parametrize("which", ["customers", "erlang"])
def test_the_page_opens_in_chromium_with_every_chart_drawn_and_no_script_error(runs, tmp_path, which):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium): the report was not opened "
                    "in a browser")
    page = runs[which] / "report.html"
    text = page.read_text()
    expected = re.search(r'<meta name="contactsim-charts" content="([a-z_,]*)">', text).group(1).split(",")
    assert expected == (ALL_CHARTS if which == "customers" else PLAIN_CHARTS)
    dom, console = open_in_chromium(page, tmp_path / "profile")
    assert console == [], console
    for key in expected:
        start = dom.index(f'id="plot-{key}"')
        following = dom.find('id="plot-', start + 1)
        assert 'class="main-svg"' in dom[start:following if following > 0 else len(dom)], f"{key} was not drawn"

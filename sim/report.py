"""The report: one self-contained HTML page (plotly.js inline, opens offline) per run, or per pair of runs.

A leader reads it top to bottom: the headline table (per strategy, the mean of each key figure with
its 95% confidence interval over replications, and the paired difference against the reference
strategy), then the charts, in this order:

1. cumulative total cost by strategy, with the paired cumulative difference and the break-even month;
2. the cost broken down into its components (stacked bars);
3. contacts per day, with the share that is failure demand and the days root-cause fixes landed;
4. the distribution of answered waits (percentile curves with 95% bands);
5. service level and ASA by half-hour of the week;
6. customers lost to churn, cumulated;
7. the root-cause Pareto, in the window's first month and in its last;
8. agent occupancy by group and half-hour of the week (a heatmap);
9. where calls go (a Sankey diagram: why they called, IVR menus, self-service and hang-ups, queues,
   callbacks, transfers, escalations, how they ended).

Every chart opens with one sentence computed from the numbers it shows (never written by hand), so
the sentence and ``comparison.csv`` always agree. Charts of features a scenario does not use are left
out (no customers: no churn, Pareto or failure demand; one strategy: no differences or break-even).

The page is built from the files of a run folder only (:mod:`sim.runfolder`): ``run`` writes the
tables first and builds the page from them, ``report RUN_DIR`` rebuilds the same page, and
``compare RUN_A RUN_B`` puts two runs side by side (strategy ``s`` of run B against ``s`` of run A,
paired replication by replication when both runs share their seed: common random numbers).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from sim.metrics import FLOW_NODES, MONTH_DAYS, break_even_day
from sim.stats import COMPARISON_COLUMNS, t_interval
from sim.units import DAY

GENERATOR = "contactsim"
"""The ``generator`` meta tag of our pages: how ``report --out`` and ``compare --out`` recognise a
file they may overwrite."""

HEADLINE: list[tuple[str, str, str]] = [
    ("offered", "Offered", "count"),
    ("p_abandon", "P(abandon)", "percent"),
    ("asa_s", "ASA", "seconds"),
    ("service_level", "Service level", "percent"),
    ("occupancy", "Occupancy", "percent"),
    ("cost_total", "Total cost", "money"),
]
"""(metric, label, kind) of the headline table of a scenario without customers."""

JOURNEY: list[tuple[str, str, str]] = [
    ("mean_ivr_s", "IVR time", "seconds"),
    ("ivr_hangups", "IVR hang-ups", "count"),
    ("misroutes", "Misroutes", "count"),
    ("transfers", "Transfers", "count"),
    ("callbacks_accepted", "Callbacks", "count"),
    ("redials", "Redials", "count"),
    ("fcr", "FCR", "percent"),
    ("mean_on_hold_s", "On hold", "seconds"),
    ("mean_time_in_system_s", "Time in system", "seconds"),
]
"""(metric, label, kind) of the journey table, shown when a scenario uses journey features."""

PAYOFF: list[tuple[str, str, str]] = [
    ("cost_total", "Total cost", "money"),
    ("cost_service_total", "Cost to serve", "money"),
    ("asa_s", "ASA", "seconds"),
    ("p_abandon", "Abandonment", "percent"),
    ("churned", "Churned", "count"),
    ("revenue_lost_churn", "Revenue lost", "money"),
]
"""(metric, label, kind) of the printed headline when customers are modelled: what a leader decides on."""

REPORT_PAYOFF: list[tuple[str, str, str]] = [
    ("cost_total", "Total cost", "money"),
    ("cost_service_total", "Cost to serve", "money"),
    ("asa_s", "ASA", "seconds"),
    ("service_level", "Service level", "percent"),
    ("p_abandon", "Abandonment", "percent"),
    ("churned", "Churned", "count"),
    ("revenue_lost_churn", "Revenue lost", "money"),
]
"""(metric, label, kind) of the report's headline table when customers are modelled."""

PREVENTION: list[tuple[str, str, str]] = [
    ("problems", "Problems", "count"),
    ("silent_problems", "Silent", "count"),
    ("failure_demand_share", "Failure demand", "percent"),
    ("fixes_completed", "Fixes", "count"),
    ("ops_hours", "Ops hours", "count"),
    ("notifications", "Notices", "count"),
    ("field_visits", "Visits", "count"),
    ("mean_time_to_resolution_h", "Time to resolve (h)", "number"),
    ("cost_service_total", "Cost to serve", "money"),
]
"""(metric, label, kind) of the prevention table, shown when customers are modelled."""

COST_PARTS: list[tuple[str, str]] = [
    ("cost_agents", "Agents"), ("cost_ops", "Operations (fixes)"), ("cost_telephony", "Telephony"),
    ("cost_callbacks", "Callbacks"), ("cost_notifications", "Notices"), ("cost_field", "Field visits"),
    ("cost_web", "Web self-service"), ("transition_cost", "Transition"),
    ("revenue_lost_churn", "Revenue lost to churn"),
]
"""The parts of ``cost_total`` (summary columns) and their labels: they add up to it."""

LOWER_IS_BETTER = {"problems", "silent_problems", "failure_demand_share", "mean_time_to_resolution_h",
                   "field_visits", "p_abandon", "asa_s", "mean_wait_s", "cost_total", "cost_service_total",
                   "churned", "revenue_lost_churn", "p_wait", "ivr_hangups", "misroutes", "transfers",
                   "redials", "mean_ivr_s", "mean_on_hold_s", "mean_time_in_system_s", "abandoned",
                   "p90_wait_s", "p95_wait_s", "churned_service", *(part for part, _ in COST_PARTS)}

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
"""One colour per strategy, in order."""

_AXIS = dict(gridcolor="#ebebeb", zerolinecolor="#d0d0d0", linecolor="#bbbbbb", automargin=True)
STYLE = go.layout.Template(layout=dict(
    plot_bgcolor="white", paper_bgcolor="white", font=dict(family="system-ui, sans-serif", size=12),
    colorway=["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974",
              "#64b5cd"],
    xaxis=_AXIS, yaxis=_AXIS))
"""The look of every chart: white, light grid (a small template: plotly's own are slow to copy)."""


# ------------------------------------------------------------------------------------ numbers


def fmt(value: float, kind: str, currency: str = "USD") -> str:
    """A number as an analyst reads it: ``12.7 s``, ``13.1%``, ``$197,503``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "seconds":
        return f"{value:.1f} s"
    if kind == "money":
        symbol = "$" if currency == "USD" else f"{currency} "
        return f"{'-' if value < 0 else ''}{symbol}{abs(value):,.0f}"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _signed(value: float, kind: str, currency: str) -> str:
    return ("+" if value >= 0 else "") + fmt(value, kind, currency)


def _interval(row, kind: str, currency: str, prefix: str = "") -> str:
    low, high = row[f"{prefix}ci_low"], row[f"{prefix}ci_high"]
    if pd.isna(low):
        return ""
    return f"[{fmt(low, kind, currency)}, {fmt(high, kind, currency)}]"


def _ci_text(low: float, high: float, kind: str, currency: str) -> str:
    """``95% CI a to b``, or a plain statement that there are too few replications."""
    if low is None or pd.isna(low):
        return "no CI: too few replications"
    return f"95% CI {fmt(low, kind, currency)} to {fmt(high, kind, currency)}"


def _default_references(comparison: pd.DataFrame) -> dict[str, str]:
    arms = list(dict.fromkeys(comparison["strategy"]))
    return {arm: arms[0] for arm in arms[1:]}


def headline_rows(comparison: pd.DataFrame, currency: str, metrics=None,
                  references: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The headline table as text cells: per strategy, ``mean [CI]`` and the paired difference
    against its reference (by default the first strategy)."""
    references = _default_references(comparison) if references is None else references
    rows = []
    for strategy, table in comparison.groupby("strategy", sort=False):
        table = table.set_index("metric")
        cells = {"strategy": strategy}
        for metric, label, kind in metrics or HEADLINE:
            row = table.loc[metric]
            text = f"{fmt(row['mean'], kind, currency)} {_interval(row, kind, currency)}".strip()
            if strategy in references and not pd.isna(row["diff"]):
                text += (f"  ({_signed(row['diff'], kind, currency)} "
                         f"{_interval(row, kind, currency, 'diff_')})").replace(" )", ")")
            cells[label] = text
        rows.append(cells)
    return rows


def verdict(row, metric: str) -> str:
    """``better``, ``worse`` or ``no clear difference`` from a paired difference and its interval."""
    if pd.isna(row["diff_ci_low"]):
        return "too few replications to tell"
    if row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0:
        better = (row["diff"] < 0) == (metric in LOWER_IS_BETTER)
        return "better" if better else "worse"
    return "no clear difference"


def takeaway(comparison: pd.DataFrame, metric: str, label: str, kind: str, currency: str,
             references: dict[str, str] | None = None) -> str:
    """One sentence from the numbers of one metric: each strategy against its reference (by default
    the first strategy), the paired difference, its interval and whether it is clear."""
    table = comparison[comparison["metric"] == metric].reset_index(drop=True)
    if table["mean"].isna().all():
        return f"{label}: no data."
    references = _default_references(comparison) if references is None else references
    compared = table[table["strategy"].isin(list(references))]
    if compared.empty:
        return f"{label}: " + "; ".join(
            f"{row['strategy']} {fmt(row['mean'], kind, currency)} "
            f"({_ci_text(row['ci_low'], row['ci_high'], kind, currency)})" for _, row in table.iterrows()) + "."
    parts = []
    for _, row in compared.iterrows():
        parts.append(f"{row['strategy']} {_signed(row['diff'], kind, currency)} vs {references[row['strategy']]} "
                     f"({_ci_text(row['diff_ci_low'], row['diff_ci_high'], kind, currency)}): "
                     f"{verdict(row, metric)}")
    return f"{label}: " + "; ".join(parts) + "."


def _row(comparison: pd.DataFrame, arm: str, metric: str) -> pd.Series:
    table = comparison[(comparison["strategy"] == arm) & (comparison["metric"] == metric)]
    return table.iloc[0]


def month_of(day: float, first_day: float) -> int:
    """The report month (1 = the window's first 30 days) of day *day* (days since the start)."""
    return int((day - first_day) // MONTH_DAYS) + 1


def break_even_text(days: np.ndarray, strategy: str, reference: str, first_day: float) -> str:
    """From which day (and month of the window) *strategy*'s cumulative total cost stays below
    *reference*'s, over the replications that break even (*days*: one per replication, NaN: never)."""
    days = np.asarray(days, dtype=float)
    even = days[~np.isnan(days)]
    if len(even) == 0:
        return (f"{strategy}'s cumulative total cost never stays below {reference}'s within the horizon "
                f"(0 of {len(days)} replications)")
    mean, low, high = t_interval(even)
    interval = f"; 95% CI days {low:.0f} to {high:.0f}" if not math.isnan(low) else ""
    return (f"{strategy}'s cumulative total cost falls below {reference}'s for good from month "
            f"{month_of(mean, first_day)} of the window (day {mean:.0f} of the run{interval}); "
            f"{len(even)} of {len(days)} replications break even")


def break_even_sentences(summary: pd.DataFrame, first_day: float = 0) -> list[str]:
    """Per strategy other than the first: from which day (and month of the window, whose first day
    is *first_day*) its cumulative total cost stays below the first strategy's, with the 95% interval
    over the replications that break even (``break_even_day`` of ``summary.csv``)."""
    strategies = list(dict.fromkeys(summary["strategy"]))
    return [
        "Break-even: " + break_even_text(summary.loc[summary["strategy"] == strategy, "break_even_day"].to_numpy(float),
                                         strategy, strategies[0], first_day) + "."
        for strategy in strategies[1:]
    ]


def reference_sentence(reference) -> str:
    """The exact Erlang A/C figures of a textbook scenario, as one sentence."""
    return (f"This scenario is the textbook M/M/{reference.agents}"
            f"{'+M (Erlang A)' if math.isfinite(reference.mean_patience_s) else ' (Erlang C)'} queue; "
            f"exact figures: P(abandon) {reference.p_abandon:.4f}, ASA {reference.asa_s:.2f} s, "
            f"service level {reference.service_level:.4f}, occupancy {reference.occupancy:.4f}.")


# ------------------------------------------------------------------------ statistics over arms


def _t_half(std, count) -> np.ndarray:
    from scipy import stats as scipy_stats

    count = np.asarray(count, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = scipy_stats.t.ppf(0.975, count - 1) * np.asarray(std, dtype=float) / np.sqrt(count)
    return np.where(count >= 2, half, np.nan)


def welch_interval(a, b, confidence: float = 0.95) -> tuple[float, float, float]:
    """``(mean(a) - mean(b), low, high)``: Welch's t-interval for independent samples (runs that do not
    share random numbers)."""
    from scipy import stats as scipy_stats

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return math.nan, math.nan, math.nan
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return diff, math.nan, math.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = float(scipy_stats.t.ppf((1 + confidence) / 2, dof) * se)
    return diff, diff - half, diff + half


def difference(own: pd.Series, reference: pd.Series, paired: bool) -> tuple[float, float, float]:
    """``own - reference`` (each indexed by replication) with its 95% interval: paired over the
    replications both have, or Welch's when the two do not share random numbers."""
    if paired:
        common = own.index.intersection(reference.index)
        return t_interval((own.loc[common] - reference.loc[common]).to_numpy(dtype=float))
    return welch_interval(own.to_numpy(dtype=float), reference.to_numpy(dtype=float))


def compare_arms(summary: pd.DataFrame, metrics: list[str], references: dict[str, str],
                 paired: bool) -> pd.DataFrame:
    """A ``comparison.csv``-shaped table over arms: mean and CI of each, and the difference of each arm
    against its reference (NaN for arms without one)."""
    rows = []
    for arm, table in summary.groupby("strategy", sort=False):
        table = table.set_index("replication")
        reference = summary[summary["strategy"] == references[arm]].set_index("replication") \
            if arm in references else None
        for metric in metrics:
            mean, low, high = t_interval(table[metric].to_numpy(dtype=float))
            diff = difference(table[metric], reference[metric], paired) if reference is not None \
                else (math.nan, math.nan, math.nan)
            rows.append((arm, metric, mean, low, high, *diff))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


# ---------------------------------------------------------------------------------- the input


@dataclass
class ReportInput:
    """Everything a page shows: tables whose ``strategy`` column names an *arm* (a strategy of a run,
    or ``A: s`` / ``B: s`` when two runs are compared), and how arms are compared."""

    title: str
    currency: str
    arms: list[str]
    """Arms in order."""
    references: dict[str, str]
    """Arm -> the arm its differences are taken against (arms without one are not compared)."""
    paired: bool
    """True if differences are paired by replication (common random numbers)."""
    comparison: pd.DataFrame
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    intraday: pd.DataFrame
    waits: pd.DataFrame
    flows: pd.DataFrame
    occupancy: pd.DataFrame
    by_group: pd.DataFrame
    break_even: dict[str, np.ndarray]
    """Arm -> break-even day per replication (NaN: never), for arms with a reference."""
    first_day: float
    """The window's first day (days since the start): month 1 of the report starts there."""
    window_days: dict[str, float]
    """Arm -> days in its measured window."""
    journey: bool = False
    prevention: bool = False
    churn: bool = False
    """True if customers can leave (a churn model, or anybody left)."""
    operations: bool = False
    """True if an operations team fixes root causes (or any fix landed)."""
    causes_by_month: pd.DataFrame | None = None
    root_causes: pd.DataFrame | None = None
    description: str = ""
    notes: list[str] = field(default_factory=list)
    """Sentences under the headline (the exact Erlang figures, how two runs are compared...)."""
    changes: list[str] = field(default_factory=list)
    """Compare pages: what differs between the two scenarios."""
    footer: list[str] = field(default_factory=list)


def run_input(run) -> ReportInput:
    """The page of one run folder (:class:`sim.runfolder.RunFolder`)."""
    from sim.textbook import textbook_figures

    study = run.study
    first = study.first
    summary = run["summary.csv"]
    arms = list(dict.fromkeys(summary["strategy"]))
    notes = []
    if len(arms) == 1:
        reference = textbook_figures(first)
        if reference is not None:
            notes.append(reference_sentence(reference))
    break_even = {arm: summary.loc[summary["strategy"] == arm, "break_even_day"].to_numpy(dtype=float)
                  for arm in arms[1:]}
    manifest = run.manifest
    window = (first.horizon - first.warmup) / DAY
    return ReportInput(
        title=first.name or "contactsim run", description=first.description or "",
        currency=first.costs.currency, arms=arms, references={arm: arms[0] for arm in arms[1:]}, paired=True,
        comparison=run["comparison.csv"], summary=summary, timeseries=run["timeseries.csv"],
        intraday=run["intraday.csv"], waits=run["waits.csv"], flows=run["flows.csv"],
        occupancy=run["occupancy.csv"], by_group=run["by_group.csv"], break_even=break_even,
        first_day=float(first.warmup // DAY), window_days={arm: window for arm in arms},
        journey=any(s.uses_journey for s in study.strategies.values()), prevention=run.prevention,
        churn=_churns([run], summary), operations=_operates([run], summary),
        causes_by_month=run.get("causes_by_month.csv"), root_causes=run.get("root_causes.csv"), notes=notes,
        footer=[_footer(manifest)],
    )


def _churns(runs, summary: pd.DataFrame) -> bool:
    return (any(s.churn is not None for run in runs for s in run.study.strategies.values())
            or bool((summary["churned"] > 0).any()))


def _operates(runs, summary: pd.DataFrame) -> bool:
    return (any(s.operations is not None for run in runs for s in run.study.strategies.values())
            or bool((summary["fixes_completed"] > 0).any()))


def _footer(manifest: dict) -> str:
    versions = manifest.get("versions", {})
    return (f"contactsim {versions.get('contactsim', '?')}, scenario {manifest.get('scenario', '?')}, "
            f"seed {manifest.get('seed', '?')}, {manifest.get('replications', '?')} replication(s) per strategy, "
            f"strategies {', '.join(manifest.get('strategies', []))}; run {manifest.get('created', '?')}"
            + (f", --set {' '.join(manifest['overrides'])}" if manifest.get("overrides") else "") + ".")


def compare_input(run_a, run_b, label_a: str, label_b: str) -> ReportInput:
    """The page comparing two run folders: each strategy of run B against the strategy of the same name
    in run A (by position when they share no name), paired by replication when both runs have the
    same seed (they then share their random numbers), else with Welch's interval."""
    from sim.runner import COMPARED_METRICS

    strategies_a = list(dict.fromkeys(run_a["summary.csv"]["strategy"]))
    strategies_b = list(dict.fromkeys(run_b["summary.csv"]["strategy"]))
    pairs = {s: s for s in strategies_b if s in strategies_a}
    by_position = not pairs
    if by_position:
        pairs = dict(zip(strategies_b, strategies_a))
    arms_a = [f"A: {s}" for s in strategies_a]
    arms_b = [f"B: {s}" for s in strategies_b]
    references = {f"B: {b}": f"A: {a}" for b, a in pairs.items()}
    paired = run_a.manifest.get("seed") == run_b.manifest.get("seed")

    def both(name: str) -> pd.DataFrame | None:
        parts = []
        for prefix, run in (("A", run_a), ("B", run_b)):
            table = run.get(name)
            if table is not None:
                table = table.copy()
                table["strategy"] = f"{prefix}: " + table["strategy"].astype(str)
                parts.append(table)
        return pd.concat(parts, ignore_index=True) if parts else None

    summary = both("summary.csv")
    timeseries = both("timeseries.csv")
    comparison = compare_arms(summary, COMPARED_METRICS, references, paired)
    first_a, first_b = run_a.study.first, run_b.study.first
    break_even = {arm: _break_even_days(timeseries, arm, reference, paired) for arm, reference in references.items()}
    notes = [
        f"A = {label_a} ({first_a.name}; seed {run_a.manifest.get('seed')}, "
        f"{run_a['summary.csv']['replication'].nunique()} replications); B = {label_b} ({first_b.name}; seed "
        f"{run_b.manifest.get('seed')}, {run_b['summary.csv']['replication'].nunique()} replications).",
        ("Differences are B minus A for the strategy of the same name"
         if not by_position else "The runs share no strategy name: differences are B minus A strategy by "
                                 "position") + (
            ", paired replication by replication: both runs have the same seed, so replication k of each "
            "drew the same random numbers (common random numbers)." if paired else
            ", with Welch's interval: the runs have different seeds, so they are independent samples."),
    ]
    window = {**{arm: (first_a.horizon - first_a.warmup) / DAY for arm in arms_a},
              **{arm: (first_b.horizon - first_b.warmup) / DAY for arm in arms_b}}
    return ReportInput(
        title=f"Comparison: {label_b} against {label_a}", currency=first_b.costs.currency,
        arms=arms_a + arms_b, references=references, paired=paired, comparison=comparison, summary=summary,
        timeseries=timeseries, intraday=both("intraday.csv"), waits=both("waits.csv"), flows=both("flows.csv"),
        occupancy=both("occupancy.csv"), by_group=both("by_group.csv"), break_even=break_even,
        first_day=float(min(first_a.warmup, first_b.warmup) // DAY), window_days=window,
        journey=any(s.uses_journey for r in (run_a, run_b) for s in r.study.strategies.values()),
        prevention=run_a.prevention or run_b.prevention, churn=_churns([run_a, run_b], summary),
        operations=_operates([run_a, run_b], summary),
        causes_by_month=both("causes_by_month.csv"), root_causes=both("root_causes.csv"), notes=notes,
        changes=scenario_changes(run_a.study, run_b.study, pairs) or ["nothing: the two runs' scenarios are the same"],
        footer=[f"A: {_footer(run_a.manifest)}", f"B: {_footer(run_b.manifest)}"],
    )


def _break_even_days(timeseries: pd.DataFrame, arm: str, reference: str, paired: bool) -> np.ndarray:
    """Break-even day of *arm* against *reference* per replication (paired), or once on the mean curves."""
    own = timeseries[timeseries["strategy"] == arm].pivot(index="replication", columns="day", values="cost_to_date")
    ref = timeseries[timeseries["strategy"] == reference].pivot(index="replication", columns="day",
                                                                values="cost_to_date")
    days = own.columns.intersection(ref.columns)
    if paired:
        common = own.index.intersection(ref.index)
        return np.array([break_even_day(own.loc[r, days].to_numpy(), ref.loc[r, days].to_numpy(), days.to_numpy())
                         for r in common])
    return np.array([break_even_day(own[days].mean().to_numpy(), ref[days].mean().to_numpy(), days.to_numpy())])


def scenario_changes(study_a, study_b, pairs: dict[str, str], limit: int = 40) -> list[str]:
    """What differs between the resolved scenarios of two runs, one ``key.path: A -> B`` line each, per
    pair of compared strategies (*pairs*: strategy of B -> strategy of A); a change every pair shares is
    listed once."""

    def flat(node, prefix=""):
        if isinstance(node, dict):
            items = {}
            for key, value in node.items():
                items.update(flat(value, f"{prefix}.{key}" if prefix else str(key)))
            return items or {prefix: {}}
        return {prefix: node}

    per_pair = {}
    for name_b, name_a in pairs.items():
        a = flat(study_a.strategies[name_a].model_dump(mode="json", exclude_none=True))
        b = flat(study_b.strategies[name_b].model_dump(mode="json", exclude_none=True))
        per_pair[name_b] = [(key, a.get(key, "(absent)"), b.get(key, "(absent)"))
                            for key in dict.fromkeys([*a, *b]) if a.get(key, "(absent)") != b.get(key, "(absent)")]
    shared = set.intersection(*(set(map(repr, changes)) for changes in per_pair.values())) if per_pair else set()
    lines, seen = [], set()
    for name_b, changes in per_pair.items():
        for key, before, after in changes:
            text = f"{key}: {_short(before)} -> {_short(after)}"
            if repr((key, before, after)) in shared and len(per_pair) > 1:
                if text not in seen:
                    lines.append(f"every strategy: {text}")
                    seen.add(text)
            else:
                label = name_b if pairs[name_b] == name_b else f"{name_b} (A: {pairs[name_b]})"
                lines.append(f"{label}: {text}" if len(per_pair) > 1 or pairs[name_b] != name_b else text)
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more"]
    return lines


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ------------------------------------------------------------------------------------- charts


@dataclass
class Chart:
    """One section of the page."""

    key: str
    """Its id (``chart-<key>``; the plot's div is ``plot-<key>``)."""
    title: str
    takeaway: str
    figure: go.Figure


def _colour(data: ReportInput, arm: str, alpha: float | None = None) -> str:
    colour = PALETTE[data.arms.index(arm) % len(PALETTE)] if arm in data.arms else "#444444"
    if alpha is None:
        return colour
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _band(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and 95% t-interval of *column* over replications, per arm x day."""
    grouped = table.groupby(["strategy", "day"], sort=False)[column]
    band = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "n": grouped.count()}).reset_index()
    half = _t_half(band["std"], band["n"])
    band["low"] = (band["mean"] - half).clip(lower=0)  # counts and money to date are never negative
    band["high"] = band["mean"] + half
    return band


def _add_band(figure: go.Figure, data: ReportInput, arm: str, x, mean, low, high, name: str, row=None, col=None,
              hover: str = "%{y:,.0f}") -> None:
    kwargs = {"row": row, "col": col} if row is not None else {}
    low = np.asarray(low, dtype=float)
    if not np.all(np.isnan(low)):
        figure.add_trace(go.Scatter(x=x, y=high, mode="lines", line=dict(width=0), hoverinfo="skip",
                                    showlegend=False, legendgroup=arm), **kwargs)
        figure.add_trace(go.Scatter(x=x, y=low, mode="lines", line=dict(width=0), fill="tonexty",
                                    fillcolor=_colour(data, arm, 0.18), hoverinfo="skip", showlegend=False,
                                    legendgroup=arm), **kwargs)
    figure.add_trace(go.Scatter(x=x, y=mean, mode="lines", name=name, legendgroup=arm,
                                line=dict(color=_colour(data, arm)), hovertemplate=f"{name}: {hover}<extra></extra>"),
                     **kwargs)


def _layout(figure: go.Figure, height: int, **kwargs) -> go.Figure:
    settings = dict(height=height, margin=dict(t=30, b=50, l=70, r=30), template=STYLE,
                    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0), hovermode="x unified")
    figure.update_layout(**{**settings, **kwargs})
    return figure


def _months(timeseries: pd.DataFrame, first_day: float) -> pd.Series:
    return ((timeseries["day"] - first_day) // MONTH_DAYS).astype(int) + 1


def last_month(days: pd.Series) -> int:
    """The month a chart compares with month 1: the last whole month (30 days) after it, else the
    last month (*days*: days per month, indexed by month)."""
    whole = [int(month) for month, count in days.items() if month > 1 and count >= MONTH_DAYS]
    return max(whole) if whole else int(days.index.max())


def monthly_costs(timeseries: pd.DataFrame, arm: str, first_day: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(costs, days)``: what each month of the window cost, per replication (rows) x month (columns),
    as increments of ``cost_to_date``, and the days each month has (the last may be shorter)."""
    table = timeseries[timeseries["strategy"] == arm].copy()
    table["month"] = _months(table, first_day)
    last = table.groupby(["replication", "month"])["cost_to_date"].last().unstack("month")
    days = table.groupby(["replication", "month"])["day"].count().unstack("month")
    increments = last.diff(axis=1)
    increments.iloc[:, 0] = last.iloc[:, 0]
    return increments, days


def monthly_saving(timeseries: pd.DataFrame, arm: str, reference: str, first_day: float,
                   paired: bool) -> tuple[int, int, float, float, float] | None:
    """``(from_month, to_month, saving, low, high)``: how much less *arm* costs than *reference* per 30
    days over the months from *from_month* to the last, the last stretch of months in which the mean
    saving per day keeps its sign (the saving over the stretch / its days x 30); its 95% interval
    (paired over replications, or Welch's)."""
    own, own_days = monthly_costs(timeseries, arm, first_day)
    ref, ref_days = monthly_costs(timeseries, reference, first_day)
    months = own.columns.intersection(ref.columns)
    if len(months) == 0:
        return None
    own, ref, days = own[months], ref[months], own_days[months]
    if paired:
        common = own.index.intersection(ref.index)
        saving = ref.loc[common] - own.loc[common]
        mean_by_month = (saving / days.loc[common]).mean()
    else:
        mean_by_month = (ref / ref_days[months]).mean() - (own / days).mean()
    sign = mean_by_month.iloc[-1] > 0
    start = len(months) - 1
    while start > 0 and (mean_by_month.iloc[start - 1] > 0) == sign:
        start -= 1
    stretch = months[start:]

    def per_30_days(costs: pd.DataFrame, spans: pd.DataFrame) -> np.ndarray:
        return (costs[stretch].sum(axis=1) / spans[stretch].sum(axis=1) * MONTH_DAYS).to_numpy()

    if paired:
        mean, low, high = t_interval(per_30_days(saving, days.loc[common]))
    else:
        mean, low, high = welch_interval(per_30_days(ref, ref_days[months]), per_30_days(own, days))
    return int(months[start]), int(months[-1]), mean, low, high


def _cumulative_cost(data: ReportInput) -> Chart:
    currency = data.currency
    compared = [arm for arm in data.arms if arm in data.references]
    rows = 2 if compared else 1
    figure = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4][:rows],
                           subplot_titles=["Cumulative total cost (mean, 95% band)",
                                           "Cumulative difference against the reference (95% band)"][:rows])
    band = _band(data.timeseries, "cost_to_date")
    for arm in data.arms:
        table = band[band["strategy"] == arm]
        _add_band(figure, data, arm, table["day"], table["mean"], table["low"], table["high"], arm, 1, 1,
                  hover="%{y:$,.0f}")
    sentences = []
    for arm in compared:
        reference = data.references[arm]
        own = data.timeseries[data.timeseries["strategy"] == arm].pivot(index="replication", columns="day",
                                                                         values="cost_to_date")
        ref = data.timeseries[data.timeseries["strategy"] == reference].pivot(index="replication", columns="day",
                                                                               values="cost_to_date")
        days = own.columns.intersection(ref.columns)
        if data.paired:
            common = own.index.intersection(ref.index)
            paired = own.loc[common, days] - ref.loc[common, days]
            mean = paired.mean().to_numpy()
            half = _t_half(paired.std(ddof=1).to_numpy(), np.full(len(days), len(common)))
            low, high = mean - half, mean + half
        else:
            bounds = np.array([welch_interval(own[d], ref[d]) for d in days]).reshape(-1, 3)
            mean, low, high = bounds[:, 0], bounds[:, 1], bounds[:, 2]
        _add_band(figure, data, arm, days, mean, low, high, f"{arm} - {reference}", 2, 1, hover="%{y:$,.0f}")
        even = np.asarray(data.break_even.get(arm, []), dtype=float)
        found = even[~np.isnan(even)]
        if len(found):
            day = float(found.mean())
            figure.add_vline(x=day, line=dict(color=_colour(data, arm), dash="dash"), row="all", col=1)
            figure.add_annotation(x=day, y=1, yref="paper", text=f"break-even: month {month_of(day, data.first_day)}",
                                  showarrow=False, xanchor="left", font=dict(color=_colour(data, arm)))
        saving = monthly_saving(data.timeseries, arm, reference, data.first_day, data.paired)
        total = _row(data.comparison, arm, "cost_total")
        parts = []
        if saving is not None:
            start, end, value, low_s, high_s = saving
            months = f"from month {start} on" if start < end else f"in month {end}"
            if value >= 0:
                parts.append(f"{arm} saves {fmt(value, 'money', currency)} a month against {reference} "
                             f"({_ci_text(low_s, high_s, 'money', currency)}) {months}")
            else:
                parts.append(f"{arm} costs {fmt(-value, 'money', currency)} a month more than {reference} "
                             f"({_ci_text(-high_s, -low_s, 'money', currency)}) {months}")
        parts.append(break_even_text(even, arm, reference, data.first_day))
        parts.append(f"over the whole window {arm} {_signed(total['diff'], 'money', currency)} "
                     f"({_ci_text(total['diff_ci_low'], total['diff_ci_high'], 'money', currency)})")
        sentences.append("; ".join(parts))
    if compared:
        figure.add_hline(y=0, line=dict(color="#888", width=1), row=2, col=1)
        figure.update_yaxes(title_text="difference", row=2, col=1)
        text = "Cumulative total cost: " + ". ".join(sentences) + "."
    else:
        pieces = []
        for arm in data.arms:
            row = _row(data.comparison, arm, "cost_total")
            per_month = row["mean"] / data.window_days[arm] * MONTH_DAYS
            pieces.append(f"{arm} {fmt(row['mean'], 'money', currency)} "
                          f"({_ci_text(row['ci_low'], row['ci_high'], 'money', currency)}), about "
                          f"{fmt(per_month, 'money', currency)} per 30 days")
        text = "Total cost over the window: " + "; ".join(pieces) + "."
    figure.update_yaxes(title_text=f"cost ({currency})", row=1, col=1)
    figure.update_xaxes(title_text="day of the run", row=rows, col=1)
    return Chart("cumulative_cost", "Cumulative cost", text, _layout(figure, 560 if compared else 400))


def _cost_breakdown(data: ReportInput) -> Chart:
    currency = data.currency
    comparison = data.comparison
    means = comparison.pivot(index="metric", columns="strategy", values="mean")[data.arms]
    parts = [(column, label) for column, label in COST_PARTS if (means.loc[column].abs() > 0).any()] \
        or COST_PARTS[:1]
    figure = go.Figure()
    for column, label in parts:
        figure.add_trace(go.Bar(x=data.arms, y=means.loc[column], name=label,
                                hovertemplate=f"{label}: %{{y:$,.0f}}<extra>%{{x}}</extra>"))
    totals = means.loc["cost_total"]
    figure.add_trace(go.Scatter(x=data.arms, y=totals, mode="text", text=[fmt(v, "money", currency) for v in totals],
                                textposition="top center", showlegend=False, hoverinfo="skip"))
    figure.update_layout(barmode="stack", yaxis_title=f"cost over the window ({currency})")
    pieces = []
    for arm in data.arms:
        largest_column, largest_label = max(parts, key=lambda part: means.loc[part[0], arm])
        share = means.loc[largest_column, arm] / totals[arm] if totals[arm] else math.nan
        pieces.append(f"{arm} {fmt(totals[arm], 'money', currency)}, {fmt(share, 'percent')} of it "
                      f"{largest_label.lower()}")
    text = "Total cost: " + "; ".join(pieces)
    for arm, reference in data.references.items():
        rows = comparison[(comparison["strategy"] == arm) & comparison["metric"].isin([c for c, _ in parts])]
        if rows.empty or rows["diff"].isna().all():
            continue
        biggest = rows.loc[rows["diff"].abs().idxmax()]
        label = dict(COST_PARTS)[biggest["metric"]]
        text += (f". The largest difference, {arm} against {reference}: {label.lower()} "
                 f"{_signed(biggest['diff'], 'money', currency)} "
                 f"({_ci_text(biggest['diff_ci_low'], biggest['diff_ci_high'], 'money', currency)})")
    return Chart("cost_breakdown", "Cost breakdown", text + ".", _layout(figure, 420, hovermode="closest"))


def _period_mean(table: pd.DataFrame, column: str, first_day: float, month: int, weights: str | None = None) -> float:
    rows = table[_months(table, first_day) == month]
    if weights is None:
        return float(rows[column].mean()) if len(rows) else math.nan
    total = rows[weights].sum()
    return float((rows[column] * rows[weights]).sum() / total) if total else math.nan


def _daily_contacts(data: ReportInput) -> Chart:
    series = data.timeseries
    figure = make_subplots(specs=[[{"secondary_y": data.prevention}]])
    band = _band(series, "calls")
    fixes = series.groupby(["strategy", "day"], sort=False)["fixes_completed"].mean().reset_index()
    for arm in data.arms:
        table = band[band["strategy"] == arm]
        _add_band(figure, data, arm, table["day"], table["mean"], table["low"], table["high"], f"{arm}: contacts")
        if data.prevention:
            share = series[series["strategy"] == arm].groupby("day")["failure_demand_share"].mean()
            figure.add_trace(go.Scatter(x=share.index, y=share * 100, mode="lines", name=f"{arm}: failure demand %",
                                        line=dict(color=_colour(data, arm), dash="dot", width=1),
                                        legendgroup=arm, hovertemplate="%{y:.0f}%"), secondary_y=True)
            landed = fixes[(fixes["strategy"] == arm) & (fixes["fixes_completed"] > 0)]
            if len(landed):
                at = table.set_index("day")["mean"].reindex(landed["day"]).to_numpy()
                figure.add_trace(go.Scatter(
                    x=landed["day"], y=at, mode="markers", name=f"{arm}: fix landed", legendgroup=arm,
                    marker=dict(symbol="triangle-down", size=7 + 5 * np.minimum(landed["fixes_completed"], 3),
                                color=_colour(data, arm), line=dict(color="white", width=1)),
                    customdata=landed["fixes_completed"],
                    hovertemplate="%{customdata:.2f} fixes landed (mean per replication)"))
    figure.update_yaxes(title_text="contacts per day (mean, 95% band)", secondary_y=False)
    if data.prevention:
        figure.update_yaxes(title_text="failure demand (% of contacts)", range=[0, 100], secondary_y=True,
                            showgrid=False, tickmode="array", tickvals=[0, 20, 40, 60, 80, 100], ticksuffix="%")
    figure.update_xaxes(title_text="day of the run")
    months = _months(series, data.first_day)
    last = last_month(series.assign(month=months).drop_duplicates(["month", "day"]).groupby("month")["day"].count())
    pieces = []
    for arm in data.arms:
        table = series[series["strategy"] == arm]
        first_calls = _period_mean(table, "calls", data.first_day, 1)
        last_calls = _period_mean(table, "calls", data.first_day, last)
        piece = f"{arm} {first_calls:,.0f} contacts a day in month 1"
        if last > 1:
            piece += f", {last_calls:,.0f} in month {last}"
        if data.prevention:
            share_first = _period_mean(table, "failure_demand_share", data.first_day, 1, "calls")
            share_last = _period_mean(table, "failure_demand_share", data.first_day, last, "calls")
            piece += (f"; failure demand {fmt(share_first, 'percent')} of contacts in month 1"
                      + (f", {fmt(share_last, 'percent')} in month {last}" if last > 1 else ""))
            if data.operations:
                piece += f"; {_row(data.comparison, arm, 'fixes_completed')['mean']:.1f} fixes landed per replication"
        pieces.append(piece)
    title = "Contacts per day, failure demand and fixes" if data.prevention else "Contacts per day"
    return Chart("daily_contacts", title, "Contacts: " + "; ".join(pieces) + ".", _layout(figure, 420))


def _wait_distribution(data: ReportInput) -> Chart:
    waits = data.waits
    figure = go.Figure()
    grouped = waits.groupby(["strategy", "percentile"], sort=False)["wait_s"]
    band = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "n": grouped.count()}).reset_index()
    half = _t_half(band["std"], band["n"])
    band["low"], band["high"] = (band["mean"] - half).clip(lower=0), band["mean"] + half
    for arm in data.arms:
        table = band[band["strategy"] == arm]
        if not table["low"].isna().all():
            # the band stops at percentile 99: the maximum's interval spans the whole axis
            table = table[table["percentile"] <= 99]
            figure.add_trace(go.Scatter(x=table["low"], y=table["percentile"], mode="lines", line=dict(width=0),
                                        hoverinfo="skip", showlegend=False, legendgroup=arm))
            figure.add_trace(go.Scatter(x=table["high"], y=table["percentile"], mode="lines", line=dict(width=0),
                                        fill="tonextx", fillcolor=_colour(data, arm, 0.18), hoverinfo="skip",
                                        showlegend=False, legendgroup=arm))
        table = band[band["strategy"] == arm]
        figure.add_trace(go.Scatter(x=table["mean"], y=table["percentile"], mode="lines", name=arm, legendgroup=arm,
                                    line=dict(color=_colour(data, arm)),
                                    hovertemplate=f"{arm}: %{{y}}% waited at most %{{x:.1f}} s<extra></extra>"))
    top = band[band["percentile"] == 99]["mean"].max()
    figure.update_xaxes(title_text="wait until answered (s)",
                        range=[0, max(float(top) * 1.15, 1.0)] if pd.notna(top) else None)
    at_once = band[band["mean"] <= 0].groupby("strategy")["percentile"].max()
    floor = max(0, int((at_once.min() - 5) // 10 * 10)) if len(at_once) == len(data.arms) else 0
    figure.update_yaxes(title_text="answered contacts that waited at most this long (%)", range=[floor, 100.5])
    pieces = []
    medians = band[band["percentile"] == 50].set_index("strategy")["mean"]
    for arm in data.arms:
        row = _row(data.comparison, arm, "p90_wait_s")
        piece = (f"{arm}: half waited at most {fmt(medians.get(arm, math.nan), 'seconds')}, 90% at most "
                 f"{fmt(row['mean'], 'seconds')} ({_ci_text(row['ci_low'], row['ci_high'], 'seconds', '')})")
        if arm in data.references:
            piece += (f", {_signed(row['diff'], 'seconds', '')} against {data.references[arm]} "
                      f"({_ci_text(row['diff_ci_low'], row['diff_ci_high'], 'seconds', '')}: {verdict(row, 'p90_wait_s')})")
        if at_once.get(arm, 0) >= 50:
            piece += f", and {at_once[arm]:.0f}% or more were answered at once in every replication"
        pieces.append(piece)
    return Chart("waits", "Wait distribution", "Answered contacts' waits: " + "; ".join(pieces) + ".",
                 _layout(figure, 420, hovermode="closest"))


def _intraday(data: ReportInput) -> Chart:
    intraday = data.intraday
    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                           subplot_titles=("Service level (%)", "ASA (s)", "Contacts and agents on duty"))
    labels = intraday["weekday"].str.capitalize() + " " + intraday["time"]
    sentences = []
    for arm in data.arms:
        table = intraday[intraday["strategy"] == arm]
        x = labels[table.index]
        colour = _colour(data, arm)
        figure.add_trace(go.Scatter(x=x, y=table["service_level"] * 100, name=arm, legendgroup=arm, mode="lines",
                                    line=dict(color=colour), hovertemplate="%{y:.0f}%"), row=1, col=1)
        figure.add_trace(go.Scatter(x=x, y=table["asa_s"], name=f"{arm}: ASA", legendgroup=arm, mode="lines",
                                    line=dict(color=colour), showlegend=False, hovertemplate="%{y:.0f} s"),
                         row=2, col=1)
        figure.add_trace(go.Scatter(x=x, y=table["calls"], name=f"{arm}: contacts", legendgroup=arm, mode="lines",
                                    line=dict(color=colour), showlegend=False, hovertemplate="%{y:.1f} contacts"),
                         row=3, col=1)
        figure.add_trace(go.Scatter(x=x, y=table["on_duty"], name=f"{arm}: agents on duty", legendgroup=arm,
                                    mode="lines", line=dict(color=colour, dash="dot"), showlegend=False,
                                    hovertemplate="%{y:.1f} agents"), row=3, col=1)
        # extremes over the half-hours that matter: at least a tenth of the busiest one's contacts
        busy = table[table["offered"] >= 0.1 * table["offered"].max()] if table["offered"].max() > 0 else table[:0]
        if len(busy) and busy["service_level"].notna().any():
            worst = busy.loc[busy["service_level"].idxmin()]
            best = busy.loc[busy["service_level"].idxmax()]
            asa = busy.loc[busy["asa_s"].idxmax()] if busy["asa_s"].notna().any() else None
            sentence = (f"{arm}: service level from {worst['service_level'] * 100:.0f}% "
                        f"({worst['weekday'].capitalize()} {worst['time']}) to {best['service_level'] * 100:.0f}% "
                        f"({best['weekday'].capitalize()} {best['time']})")
            if asa is not None:
                sentence += f", ASA at worst {asa['asa_s']:.0f} s ({asa['weekday'].capitalize()} {asa['time']})"
            sentences.append(sentence)
    ticks = [label for k, label in enumerate(labels[intraday["strategy"] == data.arms[0]]) if k % 12 == 0]
    figure.update_xaxes(tickvals=ticks, row=3, col=1)
    text = ("By half-hour of the week (pooled over replications and weeks; extremes over the half-hours with at "
            "least a tenth of the busiest one's contacts): " + "; ".join(sentences) + "."
            if sentences else "By half-hour of the week: no contact was offered.")
    return Chart("intraday", "Service level and ASA by half-hour of the week", text, _layout(figure, 640))


def _churn(data: ReportInput) -> Chart:
    figure = go.Figure()
    band = _band(data.timeseries, "churned_to_date")
    for arm in data.arms:
        table = band[band["strategy"] == arm]
        _add_band(figure, data, arm, table["day"], table["mean"], table["low"], table["high"], arm)
    figure.update_yaxes(title_text="customers who left, cumulated (mean, 95% band)")
    figure.update_xaxes(title_text="day of the run")
    pieces = []
    for arm in data.arms:
        row = _row(data.comparison, arm, "churned")
        service = _row(data.comparison, arm, "churned_service")
        piece = (f"{arm} lost {fmt(row['mean'], 'count')} customers ({_ci_text(row['ci_low'], row['ci_high'], 'count', '')}),"
                 f" {fmt(service['mean'], 'count')} of them after a problem")
        if arm in data.references:
            lost = _row(data.comparison, arm, "revenue_lost_churn")
            piece += (f"; {_signed(row['diff'], 'count', '')} against {data.references[arm]} "
                      f"({_ci_text(row['diff_ci_low'], row['diff_ci_high'], 'count', '')}: {verdict(row, 'churned')}), "
                      f"revenue lost {_signed(lost['diff'], 'money', data.currency)} "
                      f"({_ci_text(lost['diff_ci_low'], lost['diff_ci_high'], 'money', data.currency)})")
        pieces.append(piece)
    return Chart("churn", "Customers lost to churn", "Over the window: " + "; ".join(pieces) + ".",
                 _layout(figure, 400))


PARETO_TOP = 10
"""Causes the Pareto shows one by one; the rest are summed as "other causes"."""


def _pareto(data: ReportInput) -> Chart | None:
    table = data.causes_by_month
    if table is None:
        return None
    table = table[table["kind"] == "failure"]
    if table.empty or table["contacts"].sum() == 0:
        return None
    last = last_month(table.drop_duplicates("month").set_index("month")["days"])
    arms = [arm for arm in data.arms if arm in set(table["strategy"])]
    figure = make_subplots(rows=1, cols=len(arms), subplot_titles=arms, horizontal_spacing=0.1,
                           specs=[[{"secondary_y": True}] * len(arms)])
    fixed_share = {}
    if data.root_causes is not None:
        causes = data.root_causes
        fixed_share = (causes.assign(fixed=causes["fixed_at_day"].notna())
                       .groupby(["strategy", "cause"])["fixed"].mean().to_dict())
    pieces = []
    for col, arm in enumerate(arms, start=1):
        mine = table[table["strategy"] == arm].copy()
        mine["rate"] = mine["contacts"] / mine["days"] * MONTH_DAYS
        replications = mine["replication"].nunique()
        by_month = mine.groupby(["cause", "month"])["rate"].sum().unstack("month").fillna(0) / replications
        first, final = by_month.get(1, pd.Series(0, index=by_month.index)), by_month[last]
        order = first.sort_values(ascending=False, kind="stable").index
        # the causes that matter in either month, in month 1's order (new defects of the last month too)
        biggest = set(pd.concat([first, final], axis=1).max(axis=1).sort_values(ascending=False, kind="stable")
                      .index[:PARETO_TOP])
        shown = [cause for cause in order if cause in biggest]
        rest = [cause for cause in order if cause not in biggest]
        labels = [f"{cause} ✓" if fixed_share.get((arm, cause), 0) >= 0.5 else cause for cause in shown]
        before = [first[c] for c in shown]
        after = [final[c] if last > 1 else math.nan for c in shown]
        if rest:
            labels.append("other causes")
            before.append(first[rest].sum())
            after.append(final[rest].sum() if last > 1 else math.nan)
        colour = _colour(data, arm)
        figure.add_trace(go.Bar(x=labels, y=before, name=f"{arm}: month 1", marker_color=colour, legendgroup=arm,
                                hovertemplate="%{x}: %{y:,.0f} contacts per 30 days in month 1<extra></extra>"),
                         row=1, col=col)
        if last > 1:
            figure.add_trace(go.Bar(x=labels, y=after, name=f"{arm}: month {last}", marker_color=_colour(data, arm, 0.4),
                                    legendgroup=arm,
                                    hovertemplate=f"%{{x}}: %{{y:,.0f}} contacts per 30 days in month {last}"
                                                  "<extra></extra>"), row=1, col=col)
        total_first = first.sum()
        cumulative = np.cumsum(before) / total_first * 100 if total_first else np.zeros(len(before))
        figure.add_trace(go.Scatter(x=labels, y=cumulative, mode="lines+markers", name=f"{arm}: cumulative % (month 1)",
                                    line=dict(color="#444", width=1), marker=dict(size=4), legendgroup=arm,
                                    showlegend=col == 1, hovertemplate="%{y:.0f}% of month 1"),
                         row=1, col=col, secondary_y=True)
        top = min(3, len(order))
        share = first[order[:top]].sum() / total_first if total_first else math.nan
        piece = (f"{arm}: the top {top} causes made {fmt(share, 'percent')} of failure-demand contacts in month 1; "
                 f"{total_first:,.0f} failure-demand contacts per 30 days in month 1")
        if last > 1:
            piece += f", {final.sum():,.0f} in month {last}"
        if data.operations:
            piece += f" ({_row(data.comparison, arm, 'fixes_completed')['mean']:.1f} fixes landed per replication)"
        pieces.append(piece)
    figure.update_yaxes(title_text="contacts per 30 days (mean)", secondary_y=False, row=1, col=1)
    figure.update_yaxes(range=[0, 102], showgrid=False, secondary_y=True, tickmode="array",
                        tickvals=[0, 25, 50, 75, 100], ticksuffix="%")
    figure.update_layout(barmode="group")
    text = ("Root causes" + (" (✓: fixed by the horizon in most replications)" if data.operations else "") + ": "
            + "; ".join(pieces) + ".")
    return Chart("pareto", "Root-cause Pareto, first and last month", text,
                 _layout(figure, 460, hovermode="closest"))


MIN_ON_DUTY = 0.5
"""Agents on duty (mean) a half-hour needs for the occupancy heatmap to show it."""


def _occupancy(data: ReportInput) -> Chart | None:
    occupancy = data.occupancy
    if occupancy is None or occupancy.empty:
        return None
    arms = [arm for arm in data.arms if arm in set(occupancy["strategy"])]
    groups = list(dict.fromkeys(occupancy["group"]))
    height = 130 + len(arms) * (60 + 34 * len(groups))
    figure = make_subplots(rows=len(arms), cols=1, shared_xaxes=True, subplot_titles=arms,
                           vertical_spacing=min(0.3, 50 / height) if len(arms) > 1 else 0.0)
    pieces = []
    for row, arm in enumerate(arms, start=1):
        mine = occupancy[occupancy["strategy"] == arm]
        # half-hours with less than half an agent on duty on average (an agent finishing a call after
        # closing) would read 100% busy: left blank
        mine = mine.assign(occupancy=mine["occupancy"].where(mine["on_duty"] >= MIN_ON_DUTY))
        grid = mine.pivot(index="group", columns="half_hour_of_week", values="occupancy").reindex(groups)
        duty = mine.pivot(index="group", columns="half_hour_of_week", values="on_duty").reindex(groups)
        labels = (mine.drop_duplicates("half_hour_of_week").set_index("half_hour_of_week")
                  .pipe(lambda t: t["weekday"].str.capitalize() + " " + t["time"]).reindex(grid.columns))
        figure.add_trace(go.Heatmap(
            z=grid.to_numpy() * 100, x=list(labels), y=groups, zmin=0, zmax=100, colorscale="YlOrRd",
            customdata=duty.to_numpy(), showscale=row == 1, colorbar=dict(title="occupancy %", len=0.8),
            hovertemplate="%{y}, %{x}: %{z:.0f}% busy, %{customdata:.1f} agents on duty<extra>" + arm + "</extra>"),
            row=row, col=1)
        stacked = mine.dropna(subset=["occupancy"])
        if len(stacked):
            peak = stacked.loc[stacked["occupancy"].idxmax()]
            above = int((stacked["occupancy"] > 0.9).sum())
            groups_text = []
            rows = data.by_group[data.by_group["strategy"] == arm]
            for group, table in rows.groupby("group", sort=False):
                mean, low, high = t_interval(table["occupancy"].to_numpy(dtype=float))
                groups_text.append(f"{group} {fmt(mean, 'percent')}")
            pieces.append(f"{arm}: busiest {peak['group']} at {fmt(peak['occupancy'], 'percent')} "
                          f"({peak['weekday'].capitalize()} {peak['time']}), {above} group-half-hours above 90%; "
                          f"over the window {', '.join(groups_text)}")
    ticks = list(labels)[::12]
    figure.update_xaxes(tickvals=ticks, tickangle=-45)
    figure.update_yaxes(autorange="reversed")
    text = (f"Agent occupancy (busy / on duty; half-hours with at least {MIN_ON_DUTY:g} agent on duty on average): "
            + "; ".join(pieces) + "." if pieces else "No agent was on duty.")
    figure.update_layout(height=height, margin=dict(t=40, b=80, l=110, r=30),
                         template=STYLE)
    return Chart("occupancy", "Agent occupancy by group and half-hour of the week", text, figure)


SANKEY_COLOURS = {
    FLOW_NODES["resolved"]: "#2ca02c", FLOW_NODES["self_served"]: "#98df8a", FLOW_NODES["unresolved"]: "#ff9896",
    FLOW_NODES["abandoned"]: "#d62728", FLOW_NODES["abandoned_later"]: "#d62728",
    FLOW_NODES["ivr_hangup"]: "#d62728", FLOW_NODES["dropped"]: "#d62728", FLOW_NODES["callback_failed"]: "#d62728",
    FLOW_NODES["closed"]: "#7f7f7f", FLOW_NODES["transferred"]: "#ff7f0e", FLOW_NODES["escalated"]: "#ff7f0e",
}
"""Node colours of the Sankey by what they mean (green resolved, red lost, orange passed on)."""

ORIGINS = [FLOW_NODES["new"], FLOW_NODES["redial"], FLOW_NODES["repeat"]]

SANKEY_SENTENCE = [
    ("resolved", "resolved"), ("unresolved", "not resolved"), ("self_served", "self-served in the IVR"),
    ("ivr_hangup", "hung up in the IVR"), ("abandoned", "abandoned in queue"),
    ("transferred", "transferred after a misroute"), ("escalated", "escalated"), ("closed", "closed out"),
    ("dropped", "dropped"), ("callback_failed", "lost after failed callbacks"),
]
"""Nodes the Sankey's sentence names, per 100 calls, and how."""


def flow_means(flows: pd.DataFrame, arm: str) -> pd.DataFrame:
    """The mean count per replication of each edge of *arm*'s call flow."""
    mine = flows[flows["strategy"] == arm]
    replications = mine["replication"].nunique() or 1
    return (mine.groupby(["source", "target"], sort=False)["count"].sum() / replications).reset_index()


def _sankey(data: ReportInput) -> Chart | None:
    flows = data.flows
    if flows is None or flows.empty:
        return None
    arms = [arm for arm in data.arms if arm in set(flows["strategy"])]
    figure = go.Figure()
    pieces = []
    for position, arm in enumerate(arms):
        edges = flow_means(flows, arm)
        calls = edges.loc[edges["source"].isin(ORIGINS), "count"].sum()
        nodes = list(dict.fromkeys([*edges["source"], *edges["target"]]))
        inflow = edges.groupby("target")["count"].sum()
        outflow = edges.groupby("source")["count"].sum()
        through = {node: max(inflow.get(node, 0), outflow.get(node, 0)) for node in nodes}
        labels = [f"{node} · {through[node] / calls * 100:.1f}%" if calls else node for node in nodes]
        index = {node: k for k, node in enumerate(nodes)}
        colours = [SANKEY_COLOURS.get(node, "#1f77b4" if node.startswith("Queue") else "#9edae5"
                                      if node.startswith("IVR") or node == FLOW_NODES["zero_out"] else "#aec7e8")
                   for node in nodes]
        figure.add_trace(go.Sankey(
            visible=position == 0, name=arm, arrangement="snap", valueformat=",.0f", valuesuffix=" contacts",
            node=dict(label=labels, color=colours, pad=14, thickness=14, line=dict(color="#666", width=0.5)),
            link=dict(source=[index[s] for s in edges["source"]], target=[index[t] for t in edges["target"]],
                      value=edges["count"], color="rgba(150,150,150,0.35)")))
        named = []
        for key, words in SANKEY_SENTENCE:
            value = inflow.get(FLOW_NODES[key], 0)
            if value > 0 and calls:
                named.append(f"{value / calls * 100:.1f} {words}")
        pieces.append(f"{arm}: " + ", ".join(named))
    if len(arms) > 1:
        figure.update_layout(updatemenus=[dict(
            type="buttons", direction="right", x=0, y=1.1, xanchor="left", yanchor="bottom", showactive=True,
            buttons=[dict(label=arm, method="update",
                          args=[{"visible": [k == position for k in range(len(arms))]}])
                     for position, arm in enumerate(arms)])])
    figure.update_layout(height=620, margin=dict(t=60, b=20, l=20, r=20), font=dict(size=11), template=STYLE)
    text = "Per 100 calls (mean per replication): " + "; ".join(pieces) + "."
    return Chart("sankey", "Where calls go", text, figure)


# --------------------------------------------------------------------------------------- page


def chart_keys(data: ReportInput) -> list[str]:
    """The charts a page of *data* carries, in order."""
    return [chart.key for chart in charts(data)]


def charts(data: ReportInput) -> list[Chart]:
    """Every chart of the page, in order; charts of unused features left out."""
    found = [_cumulative_cost(data), _cost_breakdown(data), _daily_contacts(data), _wait_distribution(data),
             _intraday(data)]
    if data.prevention:
        found += [_churn(data) if data.churn else None, _pareto(data)]
    found += [_occupancy(data), _sankey(data)]
    return [chart for chart in found if chart is not None]


def _table_html(rows: list[dict[str, str]]) -> str:
    if not rows:
        return ""
    header = "".join(f"<th>{html.escape(name)}</th>" for name in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row.values()) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _headline_html(data: ReportInput) -> str:
    metrics = REPORT_PAYOFF if data.prevention else HEADLINE
    comparison = data.comparison
    how = ("the paired difference against {ref} (common random numbers)" if data.paired else
           "the difference against {ref} (Welch's interval: the runs do not share random numbers)")
    refs = sorted(set(data.references.values()), key=data.arms.index)
    explain = ("Mean over replications with its 95% t-interval" +
               (f"; in parentheses, {how.format(ref=' / '.join(refs))}." if refs else "."))
    lines = [f'<section id="headline"><h2>Headline</h2><p class="takeaway">'
             f'{html.escape(takeaway(comparison, "cost_total", "Total cost", "money", data.currency, data.references))}'
             f'</p><p class="note">{html.escape(explain)}</p>',
             _table_html(headline_rows(comparison, data.currency, metrics, data.references))]
    means = comparison.groupby("metric")["mean"].apply(lambda values: bool((values.abs() > 0).any()))

    def used(table):  # columns of features nobody used (all means zero) are left out
        return [entry for entry in table if means.get(entry[0], False)]

    if data.journey and used(JOURNEY):
        lines += ["<h3>The journey</h3>",
                  _table_html(headline_rows(comparison, data.currency, used(JOURNEY), data.references))]
    if data.prevention and used(PREVENTION):
        lines += ["<h3>Problems and prevention</h3>",
                  _table_html(headline_rows(comparison, data.currency, used(PREVENTION), data.references))]
    lines += [f"<p class='note'>{html.escape(note)}</p>" for note in data.notes]
    lines.append("</section>")
    return "\n".join(lines)


def build_report(data: ReportInput) -> str:
    """The whole page as HTML text (deterministic: the same tables give the same bytes)."""
    sections = charts(data)
    body = []
    for chart in sections:
        plot = chart.figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{chart.key}",
                                    config={"displaylogo": False, "responsive": True})
        body.append(f'<section class="chart" id="chart-{chart.key}"><h2>{html.escape(chart.title)}</h2>'
                    f'<p class="takeaway">{html.escape(chart.takeaway)}</p>{plot}</section>')
    contents = "".join(f'<a href="#chart-{chart.key}">{html.escape(chart.title)}</a>' for chart in sections)
    changes = ""
    if data.changes:
        changes = ("<section id='changes'><h2>What changed from A to B</h2><ul>"
                   + "".join(f"<li><code>{html.escape(line)}</code></li>" for line in data.changes) + "</ul></section>")
    description = f"<p class='note'>{html.escape(data.description)}</p>" if data.description else ""
    footer = "".join(f"<p>{html.escape(line)}</p>" for line in data.footer)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="{GENERATOR}">
<meta name="contactsim-charts" content="{','.join(chart.key for chart in sections)}">
<title>{html.escape(data.title)}</title>
<script type="text/javascript">{get_plotlyjs()}</script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; padding: 0 1em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }}
nav a {{ margin-right: 1em; font-size: 0.9em; }}
section.chart {{ margin-top: 2.5em; }}
h2 {{ margin-bottom: 0.2em; }}
.takeaway {{ font-weight: 600; margin: 0.3em 0 0.5em; }}
.note, footer {{ color: #555; font-size: 0.9em; }}
</style></head>
<body>
<h1>{html.escape(data.title)}</h1>
{description}
<nav>{contents}</nav>
{changes}
{_headline_html(data)}
{''.join(body)}
<footer>{footer}</footer>
</body></html>
"""

"""The report: one self-contained HTML page (plotly.js inline, opens offline) per run.

It opens with the headline table (per strategy: mean and 95% CI of each key metric, and the paired
difference against the reference strategy), then one chart per key metric by strategy, then the
daily series. Every chart carries a one-line takeaway computed from the numbers it shows.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

HEADLINE: list[tuple[str, str, str]] = [
    ("offered", "Offered", "count"),
    ("p_abandon", "P(abandon)", "percent"),
    ("asa_s", "ASA", "seconds"),
    ("service_level", "Service level", "percent"),
    ("occupancy", "Occupancy", "percent"),
    ("cost_total", "Total cost", "money"),
]
"""(metric, label, kind) of the headline table and the per-metric charts."""

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
"""(metric, label, kind) of the journey table and charts, shown when a scenario uses journey features."""

PAYOFF: list[tuple[str, str, str]] = [
    ("cost_total", "Total cost", "money"),
    ("cost_service_total", "Cost to serve", "money"),
    ("asa_s", "ASA", "seconds"),
    ("p_abandon", "Abandonment", "percent"),
    ("churned", "Churned", "count"),
    ("revenue_lost_churn", "Revenue lost", "money"),
]
"""(metric, label, kind) of the headline when customers are modelled: what a leader decides on."""

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
"""(metric, label, kind) of the prevention table and charts, shown when customers are modelled."""

LOWER_IS_BETTER = {"problems", "silent_problems", "failure_demand_share", "mean_time_to_resolution_h",
                   "field_visits", "p_abandon", "asa_s", "mean_wait_s", "cost_total", "cost_service_total",
                   "churned", "revenue_lost_churn", "p_wait", "ivr_hangups", "misroutes", "transfers",
                   "redials", "mean_ivr_s", "mean_on_hold_s", "mean_time_in_system_s", "abandoned"}


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


def _interval(row: pd.Series, kind: str, currency: str, prefix: str = "") -> str:
    low, high = row[f"{prefix}ci_low"], row[f"{prefix}ci_high"]
    if pd.isna(low):
        return ""
    return f"[{fmt(low, kind, currency)}, {fmt(high, kind, currency)}]"


def headline_rows(comparison: pd.DataFrame, currency: str, metrics=None) -> list[dict[str, str]]:
    """The headline table as text cells: per strategy, ``mean [CI]`` and the paired difference."""
    rows = []
    reference = comparison["strategy"].iloc[0]
    for strategy, table in comparison.groupby("strategy", sort=False):
        table = table.set_index("metric")
        cells = {"strategy": strategy}
        for metric, label, kind in metrics or HEADLINE:
            row = table.loc[metric]
            text = f"{fmt(row['mean'], kind, currency)} {_interval(row, kind, currency)}".strip()
            if strategy != reference and not pd.isna(row["diff"]):
                sign = "+" if row["diff"] >= 0 else ""
                text += (f"  ({sign}{fmt(row['diff'], kind, currency)} "
                         f"{_interval(row, kind, currency, 'diff_')})")
            cells[label] = text
        rows.append(cells)
    return rows


def takeaway(comparison: pd.DataFrame, metric: str, label: str, kind: str, currency: str) -> str:
    """One sentence from the numbers of one metric: the best strategy and whether it is clear."""
    table = comparison[comparison["metric"] == metric].reset_index(drop=True)
    if table["mean"].isna().all():
        return f"{label}: no data."
    if len(table) == 1:
        row = table.iloc[0]
        return (f"{label}: {fmt(row['mean'], kind, currency)} "
                f"(95% CI {_interval(row, kind, currency) or 'n/a'}).")
    reference = table.iloc[0]
    parts = []
    for _, row in table.iloc[1:].iterrows():
        if pd.isna(row["diff_ci_low"]):
            verdict = "too few replications to tell"
        elif row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0:
            better = (row["diff"] < 0) == (metric in LOWER_IS_BETTER)
            verdict = "better" if better else "worse"
        else:
            verdict = "no clear difference"
        sign = "+" if row["diff"] >= 0 else ""
        parts.append(f"{row['strategy']} {sign}{fmt(row['diff'], kind, currency)} vs "
                     f"{reference['strategy']} (95% CI {_interval(row, kind, currency, 'diff_')}): "
                     f"{verdict}")
    return f"{label}: " + "; ".join(parts) + "."


def _metric_chart(comparison: pd.DataFrame, metric: str, label: str, kind: str) -> go.Figure:
    table = comparison[comparison["metric"] == metric]
    scale = 100 if kind == "percent" else 1
    figure = go.Figure(go.Bar(
        x=table["strategy"], y=table["mean"] * scale,
        error_y=dict(type="data", symmetric=False,
                     array=(table["ci_high"] - table["mean"]).fillna(0) * scale,
                     arrayminus=(table["mean"] - table["ci_low"]).fillna(0) * scale),
    ))
    unit = {"percent": " (%)", "seconds": " (s)"}.get(kind, "")
    figure.update_layout(title=f"{label} by strategy (mean, 95% CI)", yaxis_title=label + unit,
                         height=360, margin=dict(t=50, b=40, l=60, r=20))
    return figure


def _daily_chart(daily: pd.DataFrame, column: str, title: str) -> go.Figure:
    mean = daily.groupby(["strategy", "day"], sort=False)[column].mean().reset_index()
    figure = go.Figure()
    for strategy, table in mean.groupby("strategy", sort=False):
        figure.add_trace(go.Scatter(x=table["day"], y=table[column], mode="lines", name=strategy))
    figure.update_layout(title=title, xaxis_title="day", height=360,
                         margin=dict(t=50, b=40, l=60, r=20))
    return figure


def _table_html(rows: list[dict[str, str]]) -> str:
    if not rows:
        return ""
    header = "".join(f"<th>{html.escape(name)}</th>" for name in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row.values()) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _intraday_chart(intraday: pd.DataFrame) -> tuple[str, go.Figure]:
    """Service level, ASA and staffing by half-hour of the week, one line per strategy."""
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.05,
                           subplot_titles=("Service level by half-hour", "ASA (s)", "Calls and agents"))
    labels = intraday["weekday"].str.capitalize() + " " + intraday["time"]
    sentences = []
    for strategy, table in intraday.groupby("strategy", sort=False):
        x = labels[table.index]
        figure.add_trace(go.Scatter(x=x, y=table["service_level"] * 100, name=f"{strategy}: SL %",
                                    mode="lines"), row=1, col=1)
        figure.add_trace(go.Scatter(x=x, y=table["asa_s"], name=f"{strategy}: ASA", mode="lines"), row=2, col=1)
        figure.add_trace(go.Scatter(x=x, y=table["calls"], name=f"{strategy}: calls", mode="lines"), row=3, col=1)
        figure.add_trace(go.Scatter(x=x, y=table["on_duty"], name=f"{strategy}: agents on duty",
                                    mode="lines", line=dict(dash="dot")), row=3, col=1)
        busy = table[table["offered"] > 0]
        if len(busy):
            worst = busy.loc[busy["service_level"].idxmin()]
            best = busy.loc[busy["service_level"].idxmax()]
            sentences.append(
                f"{strategy}: service level from {worst['service_level'] * 100:.0f}% "
                f"({worst['weekday'].capitalize()} {worst['time']}) to {best['service_level'] * 100:.0f}% "
                f"({best['weekday'].capitalize()} {best['time']}); ASA worst {busy['asa_s'].max():.0f} s")
    figure.update_layout(title="By half-hour of the week (pooled over replications and weeks)", height=720,
                         margin=dict(t=60, b=40, l=60, r=20))
    return "By half-hour: " + "; ".join(sentences) + ".", figure


def _varies(values: pd.Series) -> bool:
    values = values.dropna()
    return len(values) > 1 and values.max() > 1.2 * max(values.min(), 1e-9)


def build_report(title: str, comparison: pd.DataFrame, daily: pd.DataFrame, currency: str,
                 notes: list[str] | None = None, intraday: pd.DataFrame | None = None,
                 journey: bool = False, prevention: bool = False) -> str:
    """The whole page as HTML text."""
    sections = []
    for metric, label, kind in HEADLINE + (JOURNEY if journey else []) + (PREVENTION if prevention else []):
        figure = _metric_chart(comparison, metric, label, kind)
        sections.append((takeaway(comparison, metric, label, kind, currency), figure))
    calls = daily.groupby("strategy", sort=False)["calls"].mean()
    sections.append((
        "Calls per day: " + "; ".join(f"{name} {value:,.0f} on average" for name, value in calls.items())
        + ".",
        _daily_chart(daily, "calls", "Calls per day (mean over replications)"),
    ))
    asa = daily.groupby("strategy", sort=False)["asa_s"].agg(["min", "max"])
    sections.append((
        "ASA by day: " + "; ".join(f"{name} from {row['min']:.1f} s to {row['max']:.1f} s"
                                   for name, row in asa.iterrows()) + ".",
        _daily_chart(daily, "asa_s", "ASA by day, seconds (mean over replications)"),
    ))
    if prevention:
        share = daily.groupby("strategy", sort=False)["failure_demand_share"].mean()
        sections.append((
            "Failure-demand share of contacts by day: " + "; ".join(
                f"{name} {value * 100:.0f}% on average" for name, value in share.items()) + ".",
            _daily_chart(daily, "failure_demand_share", "Failure-demand share of contacts by day (mean over replications)"),
        ))
        sections.append((
            "Open root causes at the end of each day: " + "; ".join(
                f"{name} {table['open_root_causes'].iloc[-1]:.1f} at the end"
                for name, table in daily.groupby(["strategy", "day"], sort=False)["open_root_causes"].mean()
                .reset_index().groupby("strategy", sort=False)) + ".",
            _daily_chart(daily, "open_root_causes", "Open root causes (mean over replications)"),
        ))
    if intraday is not None and (_varies(intraday["calls"]) or _varies(intraday["on_duty"])):
        sections.append(_intraday_chart(intraday))
    charts = "".join(
        f'<section class="chart"><p class="takeaway">{html.escape(text)}</p>'
        f'{figure.to_html(full_html=False, include_plotlyjs=False)}</section>'
        for text, figure in sections
    )
    note_html = "".join(f"<p class='note'>{html.escape(note)}</p>" for note in notes or [])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<script type="text/javascript">{get_plotlyjs()}</script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
th {{ background: #f3f3f3; }}
.takeaway {{ font-weight: 600; margin: 1.5em 0 0.2em; }}
.note {{ color: #555; font-size: 0.9em; }}
</style></head>
<body>
<h1>{html.escape(title)}</h1>
<h2>Headline</h2>
<p class="note">Mean over replications with 95% t-interval; in brackets after a strategy other than
the first, its paired difference against the first (common random numbers).</p>
{_table_html(headline_rows(comparison, currency, PAYOFF if prevention else HEADLINE))}
{note_html}
{charts}
</body></html>
"""


def break_even_sentences(summary: pd.DataFrame) -> list[str]:
    """Per strategy other than the first: from which day (and month) its cumulative total cost
    stays below the first strategy's, with the 95% interval over the replications that break even."""
    from sim.stats import t_interval

    strategies = list(dict.fromkeys(summary["strategy"]))
    sentences = []
    for strategy in strategies[1:]:
        days = summary.loc[summary["strategy"] == strategy, "break_even_day"].to_numpy(dtype=float)
        even = days[~np.isnan(days)]
        if len(even) == 0:
            sentences.append(f"Break-even: {strategy}'s cumulative total cost never stays below "
                             f"{strategies[0]}'s within the horizon (0 of {len(days)} replications).")
            continue
        mean, low, high = t_interval(even)
        interval = f"; 95% CI days {low:.0f} to {high:.0f}" if not math.isnan(low) else ""
        sentences.append(
            f"Break-even: {strategy}'s cumulative total cost falls below {strategies[0]}'s for good from "
            f"day {mean:.0f} (month {mean / 30:.1f}){interval}; {len(even)} of {len(days)} replications "
            "break even.")
    return sentences

"""The sweep report: ``sweep.html``, one self-contained page (plotly.js inline, opens offline).

For each swept parameter, each key metric (total cost, cost to serve, ASA, abandonment, service
level, churn, revenue lost) is drawn against it: per strategy the mean over replications with its
95% band, and below it the paired difference of every other strategy against the first, with its
band and the value of the parameter where the difference crosses zero.

**Several factors.** On a grid with more than one factor, the chart for one factor shows its
*main effect*: the metric averaged over the grid levels of the other factors. The average is taken
replication by replication (every point of a replication shares its random numbers), and the band
is the t-interval over replications, so it is as honest as a single point's. A Latin hypercube has
no two points with the same value of a factor, so its charts show every point with its own interval
(the other factors vary along the axis too).

**Where the difference crosses zero.** On a grid, the crossing is where the straight line between
two neighbouring means changes sign; its interval is the stretch of the parameter around it where
the 95% band of the difference (also joined by straight lines) contains zero, i.e. the values at
which the sweep cannot tell the strategies apart. An interval that reaches the end of the swept
range is open on that side. On a Latin hypercube the crossing comes from a least-squares line of
each point's mean difference on the numeric factors (the others held at their mean), and its
interval from where the line's 95% confidence band contains zero.

With two or more factors, a heatmap shows the paired difference of total cost over the first two
(a coloured scatter for a Latin hypercube); last comes the cost-versus-wait frontier over all points
and strategies, with the Pareto-optimal ones (no other is both cheaper and faster) marked. Every
chart carries one sentence computed from the numbers it shows.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import DEFAULT_PLOTLY_COLORS
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots
from scipy import stats as scipy_stats

from sim.report import LOWER_IS_BETTER, fmt
from sim.stats import t_interval

KEY_METRICS: list[tuple[str, str, str]] = [
    ("cost_total", "Total cost", "money"),
    ("cost_service_total", "Cost to serve", "money"),
    ("asa_s", "ASA", "seconds"),
    ("p_abandon", "Abandonment", "percent"),
    ("service_level", "Service level", "percent"),
    ("churned", "Churned customers", "count"),
    ("revenue_lost_churn", "Revenue lost to churn", "money"),
]
"""(metric, label, kind) drawn against every swept parameter (those that are zero everywhere are left out)."""

MAX_TABLE_POINTS = 60
"""The table of points is shown up to this many points."""


# ----------------------------------------------------------------------------- numbers behind charts


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def along(table: pd.DataFrame, factor: str, metric: str, strategies: list[str]) -> pd.DataFrame:
    """Per level of *factor* and strategy: mean, CI, paired difference against the first strategy
    and its CI, each over replications of the metric averaged over the other factors' levels."""
    reference = strategies[0]
    per_rep = table.groupby([factor, "strategy", "replication"], sort=False)[metric].mean()
    wide = table.pivot_table(index=["point", "replication"], columns="strategy", values=metric, aggfunc="first",
                             dropna=False)
    keys = table.drop_duplicates("point").set_index("point")[factor]
    levels = list(dict.fromkeys(table[factor]))
    if _numeric(table[factor]):
        levels = sorted(levels)
    rows = []
    for level in levels:
        for strategy in strategies:
            values = per_rep.get((level, strategy))
            mean, low, high = t_interval(values.to_numpy() if values is not None else [])
            diff = (0.0, 0.0, 0.0)
            if strategy != reference and strategy in wide and reference in wide:
                at = wide[wide.index.get_level_values("point").map(keys) == level]
                paired = (at[strategy] - at[reference]).groupby(level="replication").mean()
                diff = t_interval(paired.to_numpy())
            rows.append((level, strategy, mean, low, high, *diff))
    return pd.DataFrame(rows, columns=[factor, "strategy", "mean", "ci_low", "ci_high", "diff", "diff_ci_low",
                                       "diff_ci_high"])


def zero_crossings(x, diff, low, high) -> list[tuple[float, float | None, float | None]]:
    """Where the mean difference crosses zero between neighbouring levels (straight lines between
    them), each with the stretch around it where the band [low, high] (also straight lines) contains
    zero; an end is ``None`` when the stretch reaches the end of the swept range (open)."""
    x, diff, low, high = (np.asarray(a, dtype=float) for a in (x, diff, low, high))
    keep = ~(np.isnan(x) | np.isnan(diff))
    x, diff, low, high = x[keep], diff[keep], low[keep], high[keep]
    order = np.argsort(x, kind="stable")
    x, diff, low, high = x[order], diff[order], low[order], high[order]
    if len(x) < 2:
        return []
    fine = np.linspace(x[0], x[-1], 4001)
    banded = ~(np.isnan(low) | np.isnan(high))
    if banded.sum() >= 2:
        contains = (np.interp(fine, x[banded], low[banded]) <= 0) & (np.interp(fine, x[banded], high[banded]) >= 0)
    else:
        contains = np.zeros(len(fine), dtype=bool)
    crossings = []
    for i in range(len(x) - 1):
        a, b = diff[i], diff[i + 1]
        if (a > 0) == (b > 0) or a == b:
            continue
        x0 = float(x[i] + (0 - a) * (x[i + 1] - x[i]) / (b - a))
        at = int(np.clip(np.searchsorted(fine, x0), 0, len(fine) - 1))
        left = right = at
        while left > 0 and contains[left - 1]:
            left -= 1
        while right < len(fine) - 1 and contains[right + 1]:
            right += 1
        if not contains[at]:
            crossings.append((x0, x0, x0))
            continue
        crossings.append((x0, None if left == 0 else float(fine[left]),
                          None if right == len(fine) - 1 else float(fine[right])))
    return crossings


def regression_crossing(points: pd.DataFrame, factor: str, numeric: list[str]):
    """Latin hypercube: the least-squares line of the per-point mean difference on the numeric
    factors; where it crosses zero along *factor* (others at their mean) and where its 95% band does.
    Returns ``(x0, low, high, slope)`` (``None`` entries when undefined) or ``None``."""
    data = points.dropna(subset=["diff", *numeric])
    if len(data) < len(numeric) + 2:
        return None
    design = np.column_stack([np.ones(len(data)), *[data[c].to_numpy(dtype=float) for c in numeric]])
    y = data["diff"].to_numpy(dtype=float)
    coefficients, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < design.shape[1]:
        return None
    residual = y - design @ coefficients
    dof = len(y) - design.shape[1]
    sigma2 = float(residual @ residual) / dof
    inverse = np.linalg.inv(design.T @ design)
    column = 1 + numeric.index(factor)
    means = design.mean(axis=0)
    slope = float(coefficients[column])
    xs = np.linspace(data[factor].min(), data[factor].max(), 401)
    rows = np.tile(means, (len(xs), 1))
    rows[:, column] = xs
    fitted = rows @ coefficients
    half = scipy_stats.t.ppf(0.975, dof) * np.sqrt(np.maximum(0, np.einsum("ij,jk,ik->i", rows, inverse, rows)) * sigma2)
    crossings = zero_crossings(xs, fitted, fitted - half, fitted + half)
    if not crossings:
        return (None, None, None, slope)
    x0, low, high = crossings[0]
    return (x0, low, high, slope)


def pareto(costs, waits) -> np.ndarray:
    """True for every (cost, wait) that no other beats on both (lower is better) and ties on neither."""
    costs, waits = np.asarray(costs, dtype=float), np.asarray(waits, dtype=float)
    optimal = np.ones(len(costs), dtype=bool)
    for i in range(len(costs)):
        if math.isnan(costs[i]) or math.isnan(waits[i]):
            optimal[i] = False
            continue
        better = (costs <= costs[i]) & (waits <= waits[i]) & ((costs < costs[i]) | (waits < waits[i]))
        optimal[i] = not better.any()
    return optimal


# ------------------------------------------------------------------------------------------ words


def _value(x: float, unit: str) -> str:
    if x is None:
        return "?"
    text = f"{x:.3g}" if abs(x) < 1e4 else f"{x:,.0f}"
    return f"{text}{unit}" if unit else text


def _crossing_words(x0, low, high, unit: str, lowest, highest) -> str:
    left = f"{_value(low, unit)}" if low is not None else f"below {_value(lowest, unit)}"
    right = f"{_value(high, unit)}" if high is not None else f"above {_value(highest, unit)}"
    return f"crosses zero at {_value(x0, unit)} (95% interval {left} to {right})"


def _difference_words(table: pd.DataFrame, factor: str, strategy: str, reference: str, kind: str, currency: str,
                      unit: str, metric: str) -> str:
    """The sentence about one strategy's paired difference along a factor."""
    rows = table[table["strategy"] == strategy]
    if rows["diff"].isna().all():
        return f"{strategy} - {reference}: no data"
    head = f"{strategy} - {reference}"
    lower_better = metric in LOWER_IS_BETTER
    if _numeric(rows[factor]) and len(rows) > 1:
        crossings = zero_crossings(rows[factor], rows["diff"], rows["diff_ci_low"], rows["diff_ci_high"])
        if crossings:
            lowest, highest = rows[factor].min(), rows[factor].max()
            words = "; and ".join(_crossing_words(x0, lo, hi, unit, lowest, highest) for x0, lo, hi in crossings[:3])
            first, last = rows["diff"].iloc[0], rows["diff"].iloc[-1]
            return (f"{head} goes from {_signed(first, kind, currency)} to {_signed(last, kind, currency)} and "
                    f"{words}")
    clear_below = int((rows["diff_ci_high"] < 0).sum())
    clear_above = int((rows["diff_ci_low"] > 0).sum())
    low_diff, high_diff = rows["diff"].min(), rows["diff"].max()
    if math.isclose(low_diff, high_diff, rel_tol=1e-9, abs_tol=1e-12):
        span = f"at {_signed(low_diff, kind, currency)} throughout"
    elif _numeric(rows[factor]):
        span = (f"from {_signed(rows['diff'].iloc[0], kind, currency)} at {_value(rows[factor].iloc[0], unit)} to "
                f"{_signed(rows['diff'].iloc[-1], kind, currency)} at {_value(rows[factor].iloc[-1], unit)}")
    else:
        span = f"between {_signed(low_diff, kind, currency)} and {_signed(high_diff, kind, currency)}"
    if (rows["diff"] < 0).all():
        side = "below zero"
        verdict = ("better" if lower_better else "worse")
        clear = clear_below
    elif (rows["diff"] > 0).all():
        side = "above zero"
        verdict = ("worse" if lower_better else "better")
        clear = clear_above
    else:
        return (f"{head} ranges {span} without a clean crossing; its interval excludes zero at "
                f"{clear_below + clear_above} of {len(rows)} values")
    return (f"{head} stays {side} ({strategy} {verdict}) over the whole swept range, {span}; its 95% interval "
            f"excludes zero at {clear} of {len(rows)} values")


def _signed(value: float, kind: str, currency: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return ("+" if value >= 0 else "") + fmt(value, kind, currency)


# ----------------------------------------------------------------------------------------- charts


def _color(index: int, alpha: float | None = None) -> str:
    color = DEFAULT_PLOTLY_COLORS[index % len(DEFAULT_PLOTLY_COLORS)]
    return color if alpha is None else color.replace("rgb(", "rgba(").replace(")", f", {alpha})")


def _band(figure, x, low, high, color, row: int, name: str) -> None:
    keep = ~(pd.isna(low) | pd.isna(high))
    if not keep.any():
        return
    xs = list(np.asarray(x)[keep])
    figure.add_trace(go.Scatter(x=xs + xs[::-1], y=list(np.asarray(high)[keep]) + list(np.asarray(low)[keep])[::-1],
                                mode="lines", fill="toself", fillcolor=color, line=dict(width=0), hoverinfo="skip",
                                showlegend=False, name=name), row=row, col=1)


def _factor_chart(table: pd.DataFrame, factor, metric: str, label: str, kind: str, strategies: list[str],
                  currency: str, lhs: bool, numeric_factors: list[str], point_summary: pd.DataFrame,
                  several: bool = False):
    """One metric against one factor: per strategy the mean and band; below, paired differences."""
    scale = 100 if kind == "percent" else 1
    unit = {"percent": " (%)", "seconds": " (s)"}.get(kind, "")
    path = factor.path
    rows = 2 if len(strategies) > 1 else 1
    figure = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                           subplot_titles=(f"{label} by strategy (mean, 95% band)",
                                           f"paired difference vs {strategies[0]} (95% band)")[:rows])
    reference = strategies[0]
    sentences = []
    numeric = _numeric(table[path])
    if lhs and len(numeric_factors) > 1:
        data = point_summary[point_summary["metric"] == metric].sort_values(path)
        for index, strategy in enumerate(strategies):
            rows_s = data[data["strategy"] == strategy]
            figure.add_trace(go.Scatter(
                x=rows_s[path], y=rows_s["mean"] * scale, mode="markers", name=strategy, legendgroup=strategy,
                marker=dict(color=_color(index)),
                error_y=dict(type="data", symmetric=False, array=(rows_s["ci_high"] - rows_s["mean"]).fillna(0) * scale,
                             arrayminus=(rows_s["mean"] - rows_s["ci_low"]).fillna(0) * scale)), row=1, col=1)
            if strategy != reference:
                figure.add_trace(go.Scatter(
                    x=rows_s[path], y=rows_s["diff"] * scale, mode="markers", name=f"{strategy} - {reference}",
                    legendgroup=strategy, showlegend=False, marker=dict(color=_color(index)),
                    error_y=dict(type="data", symmetric=False,
                                 array=(rows_s["diff_ci_high"] - rows_s["diff"]).fillna(0) * scale,
                                 arrayminus=(rows_s["diff"] - rows_s["diff_ci_low"]).fillna(0) * scale)), row=2, col=1)
                fit = regression_crossing(rows_s, path, numeric_factors) if path in numeric_factors else None
                sentences.append(_lhs_words(fit, rows_s, path, strategy, reference, kind, currency, factor.unit,
                                            metric))
                if fit is not None and fit[0] is not None:
                    _mark_crossing(figure, fit[0], fit[1], fit[2], rows_s[path].min(), rows_s[path].max())
        reference_rows = data[data["strategy"] == reference]
        head = (f"{label} along {factor.title} ({len(reference_rows)} sampled points, other factors varying too): "
                f"{reference} from {fmt(reference_rows['mean'].min(), kind, currency)} to "
                f"{fmt(reference_rows['mean'].max(), kind, currency)}")
    else:
        effect = along(table, path, metric, strategies)
        for index, strategy in enumerate(strategies):
            rows_s = effect[effect["strategy"] == strategy]
            x = rows_s[path]
            if numeric:
                _band(figure, x, rows_s["ci_low"] * scale, rows_s["ci_high"] * scale, _color(index, 0.2), 1, strategy)
            figure.add_trace(go.Scatter(
                x=x, y=rows_s["mean"] * scale, mode="lines+markers", name=strategy, legendgroup=strategy,
                line=dict(color=_color(index)),
                error_y=None if numeric else dict(
                    type="data", symmetric=False, array=(rows_s["ci_high"] - rows_s["mean"]).fillna(0) * scale,
                    arrayminus=(rows_s["mean"] - rows_s["ci_low"]).fillna(0) * scale)), row=1, col=1)
            if strategy != reference:
                if numeric:
                    _band(figure, x, rows_s["diff_ci_low"] * scale, rows_s["diff_ci_high"] * scale,
                          _color(index, 0.2), 2, strategy)
                figure.add_trace(go.Scatter(
                    x=x, y=rows_s["diff"] * scale, mode="lines+markers", name=f"{strategy} - {reference}",
                    legendgroup=strategy, showlegend=False, line=dict(color=_color(index)),
                    error_y=None if numeric else dict(
                        type="data", symmetric=False, array=(rows_s["diff_ci_high"] - rows_s["diff"]).fillna(0) * scale,
                        arrayminus=(rows_s["diff"] - rows_s["diff_ci_low"]).fillna(0) * scale)), row=2, col=1)
                sentences.append(_difference_words(effect, path, strategy, reference, kind, currency, factor.unit,
                                                   metric))
                if numeric and len(rows_s) > 1:
                    for x0, low, high in zero_crossings(x, rows_s["diff"], rows_s["diff_ci_low"],
                                                        rows_s["diff_ci_high"])[:3]:
                        _mark_crossing(figure, x0, low, high, x.min(), x.max())
        reference_rows = effect[effect["strategy"] == reference]
        averaged = " (averaged over the other factors)" if several else ""
        head = (f"{label} along {factor.title}{averaged}: {reference} "
                f"{fmt(reference_rows['mean'].iloc[0], kind, currency)} at {_label(reference_rows[path].iloc[0], factor.unit)}, "
                f"{fmt(reference_rows['mean'].iloc[-1], kind, currency)} at {_label(reference_rows[path].iloc[-1], factor.unit)}")
    if rows == 2:
        figure.add_hline(y=0, line=dict(color="#888", dash="dot"), row=2, col=1)
        figure.update_yaxes(title_text=f"difference{unit}", row=2, col=1)
    figure.update_yaxes(title_text=label + unit, row=1, col=1)
    figure.update_xaxes(title_text=factor.title, row=rows, col=1)
    figure.update_layout(title=f"{label} against {factor.title}", height=360 * rows,
                         margin=dict(t=70, b=40, l=70, r=20))
    return head + ("; " + "; ".join(sentences) if sentences else "") + ".", figure


def _label(value, unit: str) -> str:
    if isinstance(value, (float, np.floating)):
        return _value(float(value), unit)
    return f"{value}{unit}"


def _mark_crossing(figure, x0, low, high, lowest, highest) -> None:
    figure.add_vrect(x0=low if low is not None else lowest, x1=high if high is not None else highest,
                     fillcolor="rgba(120,120,120,0.12)", line_width=0, row=2, col=1)
    figure.add_vline(x=x0, line=dict(color="#444", dash="dash"), row=2, col=1)


def _lhs_words(fit, rows: pd.DataFrame, path: str, strategy: str, reference: str, kind: str, currency: str,
               unit: str, metric: str) -> str:
    head = f"{strategy} - {reference}"
    if fit is None:
        return f"{head} from {_signed(rows['diff'].min(), kind, currency)} to {_signed(rows['diff'].max(), kind, currency)}"
    x0, low, high, slope = fit
    trend = f"a least-squares slope of {_signed(slope, kind, currency)} per {unit or 'unit'}"
    if x0 is None:
        return f"{head} does not cross zero within the sampled range ({trend})"
    return (f"{head} {_crossing_words(x0, low, high, unit, rows[path].min(), rows[path].max())} "
            f"on the least-squares line, other factors at their mean ({trend})")


def _heatmap(table: pd.DataFrame, summary: pd.DataFrame, factors, strategies: list[str], currency: str,
             lhs: bool) -> list[tuple[str, go.Figure]]:
    """Paired difference of total cost over the first two factors, per strategy other than the first."""
    first, second = factors[0].path, factors[1].path
    reference = strategies[0]
    sections = []
    for strategy in strategies[1:]:
        if lhs:
            data = summary[(summary["metric"] == "cost_total") & (summary["strategy"] == strategy)]
            figure = go.Figure(go.Scatter(
                x=data[first], y=data[second], mode="markers",
                marker=dict(size=14, color=data["diff"], colorscale="RdBu_r", cmid=0, showscale=True,
                            colorbar=dict(title="difference"),
                            line=dict(width=[2 if lo > 0 or hi < 0 else 0
                                             for lo, hi in zip(data["diff_ci_low"], data["diff_ci_high"])],
                                      color="black")),
                text=[f"{fmt(d, 'money', currency)} [{fmt(lo, 'money', currency)}, {fmt(hi, 'money', currency)}]"
                      for d, lo, hi in zip(data["diff"], data["diff_ci_low"], data["diff_ci_high"])],
                hovertemplate=f"{first}=%{{x}}<br>{second}=%{{y}}<br>%{{text}}<extra></extra>"))
            cells = data.rename(columns={"diff": "d", "diff_ci_low": "lo", "diff_ci_high": "hi"})
        else:
            grid = []
            for (a, b), rows in table.groupby([first, second], sort=True):
                wide = rows.pivot_table(index=["point", "replication"], columns="strategy", values="cost_total",
                                        aggfunc="first")
                paired = (wide[strategy] - wide[reference]).groupby(level="replication").mean()
                d, lo, hi = t_interval(paired.to_numpy())
                grid.append((a, b, d, lo, hi))
            cells = pd.DataFrame(grid, columns=[first, second, "d", "lo", "hi"])
            xs = sorted(cells[first].unique()) if _numeric(cells[first]) else list(dict.fromkeys(cells[first]))
            ys = sorted(cells[second].unique()) if _numeric(cells[second]) else list(dict.fromkeys(cells[second]))
            z, text = [], []
            for y in ys:
                z_row, text_row = [], []
                for x in xs:
                    cell = cells[(cells[first] == x) & (cells[second] == y)]
                    if cell.empty:
                        z_row.append(None)
                        text_row.append("")
                        continue
                    d, lo, hi = cell.iloc[0][["d", "lo", "hi"]]
                    z_row.append(d)
                    star = "*" if (lo > 0 or hi < 0) else ""
                    text_row.append(f"{fmt(d, 'money', currency)}{star}")
                z.append(z_row)
                text.append(text_row)
            figure = go.Figure(go.Heatmap(x=[str(v) for v in xs], y=[str(v) for v in ys], z=z, text=text,
                                          texttemplate="%{text}", colorscale="RdBu_r", zmid=0,
                                          colorbar=dict(title="difference")))
        figure.update_layout(
            title=f"Total cost: {strategy} - {reference} (paired; * or a ring: the 95% interval excludes zero)",
            xaxis_title=factors[0].title, yaxis_title=factors[1].title, height=480,
            margin=dict(t=60, b=50, l=80, r=20))
        cheaper = cells[cells["hi"] < 0]
        dearer = cells[cells["lo"] > 0]
        best = cells.loc[cells["d"].idxmin()] if cells["d"].notna().any() else None
        averaged = " averaged over the other factors" if len(factors) > 2 and not lhs else ""
        sentence = (f"Total cost, {strategy} - {reference} over {factors[0].path} and {factors[1].path}{averaged}: "
                    f"{strategy} is clearly cheaper at {len(cheaper)} and clearly dearer at {len(dearer)} of "
                    f"{len(cells)} {'points' if lhs else 'cells'}")
        if best is not None:
            sentence += (f"; the largest saving is at {first}={_label(best[first], factors[0].unit)}, "
                         f"{second}={_label(best[second], factors[1].unit)} ({_signed(best['d'], 'money', currency)})")
        sections.append((sentence + ".", figure))
    return sections


def _frontier(summary: pd.DataFrame, factors, strategies: list[str], currency: str) -> tuple[str, go.Figure]:
    """Total cost against ASA over every point and strategy, the Pareto-optimal ones marked."""
    cost = summary[summary["metric"] == "cost_total"].set_index(["point", "strategy"])
    wait = summary[summary["metric"] == "asa_s"].set_index(["point", "strategy"])
    data = cost[[f.path for f in factors] + ["mean"]].rename(columns={"mean": "cost"})
    data["asa"] = wait["mean"]
    data = data.reset_index()
    data["optimal"] = pareto(data["cost"], data["asa"])
    data["name"] = [f"point {p}: " + ", ".join(f"{f.path}={_label(row[f.path], f.unit)}" for f in factors)
                    for p, (_, row) in zip(data["point"], data.iterrows())]
    figure = go.Figure()
    for index, strategy in enumerate(strategies):
        rows = data[data["strategy"] == strategy]
        figure.add_trace(go.Scatter(
            x=rows["asa"], y=rows["cost"], mode="markers", name=strategy, text=rows["name"],
            marker=dict(color=_color(index), size=[13 if o else 7 for o in rows["optimal"]],
                        symbol=["star" if o else "circle" for o in rows["optimal"]]),
            hovertemplate="%{text}<br>ASA %{x:.1f} s<br>cost %{y:,.0f}<extra>" + strategy + "</extra>"))
    front = data[data["optimal"]].sort_values("asa")
    figure.add_trace(go.Scatter(x=front["asa"], y=front["cost"], mode="lines", line=dict(color="#444", dash="dot",
                                shape="hv"), name="frontier"))
    figure.update_layout(title="Cost against wait over every point and strategy (stars: Pareto-optimal)",
                         xaxis_title="ASA (s)", yaxis_title="Total cost", height=480, margin=dict(t=60, b=50, l=80, r=20))
    cheapest = data.loc[data["cost"].idxmin()]
    fastest = data.loc[data["asa"].idxmin()]
    shares = front.groupby("strategy", sort=False).size()
    sentence = (f"Cost against wait: {len(front)} of {len(data)} point-strategy pairs are Pareto-optimal "
                f"({', '.join(f'{name} {count}' for name, count in shares.items())}); the cheapest is "
                f"{cheapest['strategy']} at {cheapest['name'].split(': ', 1)[-1]} "
                f"({fmt(cheapest['cost'], 'money', currency)}, ASA {cheapest['asa']:.1f} s), the fastest "
                f"{fastest['strategy']} at {fastest['name'].split(': ', 1)[-1]} "
                f"({fmt(fastest['cost'], 'money', currency)}, ASA {fastest['asa']:.1f} s).")
    return sentence, figure


def _points_table(summary: pd.DataFrame, factors, strategies: list[str], currency: str) -> str:
    cells = []
    for point, rows in summary.groupby("point", sort=True):
        row = {"point": str(point)}
        for factor in factors:
            row[factor.title] = _label(rows[factor.path].iloc[0], "")
        for strategy in strategies:
            for metric, label, kind in (("cost_total", "total cost", "money"), ("asa_s", "ASA", "seconds")):
                r = rows[(rows["strategy"] == strategy) & (rows["metric"] == metric)].iloc[0]
                text = fmt(r["mean"], kind, currency)
                if strategy != strategies[0] and not pd.isna(r["diff"]):
                    text += f" ({_signed(r['diff'], kind, currency)})"
                row[f"{strategy}: {label}"] = text
        cells.append(row)
    header = "".join(f"<th>{html.escape(name)}</th>" for name in cells[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row.values()) + "</tr>" for row in cells)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


# ------------------------------------------------------------------------------------------- page


def build_sweep_report(plan, table: pd.DataFrame, summary: pd.DataFrame) -> tuple[str, list[str]]:
    """The page as HTML text, and its takeaway sentences (the command prints them)."""
    strategies = plan.strategies
    currency = plan.base.first.costs.currency
    lhs = plan.method != "grid"
    factors = plan.factors
    numeric_factors = [f.path for f in factors if _numeric(table[f.path])]
    metrics = [(m, label, kind) for m, label, kind in KEY_METRICS
               if m in table and table[m].notna().any() and (table[m].fillna(0) != 0).any()]
    sections: list[tuple[str, str, go.Figure]] = []
    for factor in factors:
        if table[factor.path].nunique() < 2:
            continue
        for metric, label, kind in metrics:
            sentence, figure = _factor_chart(table, factor, metric, label, kind, strategies, currency, lhs,
                                             numeric_factors, summary, several=len(factors) > 1)
            sections.append((f"Along {factor.title}", sentence, figure))
    varied = [f for f in factors if table[f.path].nunique() > 1]
    if len(varied) >= 2 and len(strategies) > 1 and "cost_total" in table:
        for sentence, figure in _heatmap(table, summary, varied, strategies, currency, lhs):
            sections.append(("Two parameters at once", sentence, figure))
    if "cost_total" in table and "asa_s" in table:
        sentence, figure = _frontier(summary, factors, strategies, currency)
        sections.append(("Cost against wait", sentence, figure))
    body, heading = [], None
    for title, sentence, figure in sections:
        if title != heading:
            body.append(f"<h2>{html.escape(title)}</h2>")
            heading = title
        body.append(f'<section class="chart"><p class="takeaway">{html.escape(sentence)}</p>'
                    f'{figure.to_html(full_html=False, include_plotlyjs=False)}</section>')
    reps = ", ".join(f"{name} {count}" for name, count in plan.replications.items())
    described = "; ".join(f"{html.escape(f.path)}: {html.escape(_describe(f, table))}" for f in factors)
    points_html = (_points_table(summary, factors, strategies, currency) if len(plan.points) <= MAX_TABLE_POINTS
                   else f"<p class='note'>{len(plan.points)} points: see sweep_summary.csv.</p>")
    notes = "".join(f"<p class='note'>{html.escape(note)}</p>" for note in plan.notes)
    title = f"Sweep: {plan.base.first.name}"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<script type="text/javascript">{get_plotlyjs()}</script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 7px; text-align: left; }}
th {{ background: #f3f3f3; }}
.takeaway {{ font-weight: 600; margin: 1.5em 0 0.2em; }}
.note {{ color: #555; font-size: 0.9em; }}
</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(plan.method.capitalize())} of {len(plan.points)} point(s) over {described}; strategies
{html.escape(', '.join(strategies))} (the first is the reference); replications per point: {html.escape(reps)};
{len(table)} tasks. Every point and strategy shares the random numbers of a replication (common random
numbers), so paired differences are much tighter than the separate intervals.</p>
<p class="note">Bands and intervals are 95% t-intervals over replications. Where a paired difference
crosses zero, the dashed line is the crossing (straight lines between the swept values) and the shaded
stretch is where its 95% band contains zero: there the sweep cannot tell the strategies apart.</p>
{notes}
<h2>Points</h2>
<p class="note">Mean total cost and ASA per point and strategy; in brackets, the paired difference
against {html.escape(strategies[0])}.</p>
{points_html}
{''.join(body)}
</body></html>
"""
    return page, [sentence for _, sentence, _ in sections if sentence]


def _describe(factor, table: pd.DataFrame) -> str:
    values = list(dict.fromkeys(table[factor.path]))
    if _numeric(table[factor.path]):
        values = sorted(values)
    shown = ", ".join(_label(v, factor.unit) for v in values[:8])
    return shown + (f", ... ({len(values)} values)" if len(values) > 8 else "")

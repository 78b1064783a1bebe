"""Statistics over replications: means, 95% t-intervals, and paired differences between strategies.

Each replication of each strategy is one independent observation of a metric. The mean over
replications comes with a Student-t confidence interval. Strategies share their random numbers
replication by replication (common random numbers), so the fair comparison is *paired*: the
difference of a strategy against the reference (the first strategy) is taken within each
replication, and the interval is over those differences. It is much narrower than comparing two
independent intervals, because the noise both strategies share cancels.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

COMPARISON_COLUMNS = ["strategy", "metric", "mean", "ci_low", "ci_high", "diff", "diff_ci_low",
                      "diff_ci_high"]
"""Columns of ``comparison.csv`` (long format: one row per strategy x metric)."""


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)`` of the Student-t interval; NaN bounds with fewer than 2 values."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if len(data) == 0:
        return math.nan, math.nan, math.nan
    mean = float(data.mean())
    if len(data) < 2:
        return mean, math.nan, math.nan
    half = float(scipy_stats.t.ppf((1 + confidence) / 2, len(data) - 1) * data.std(ddof=1)
                 / math.sqrt(len(data)))
    return mean, mean - half, mean + half


def compare(summary: pd.DataFrame, metrics: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """The long comparison table: every strategy x metric, with the paired difference against the
    first strategy (0 for itself)."""
    strategies = list(dict.fromkeys(summary["strategy"]))
    reference = summary[summary["strategy"] == strategies[0]].set_index("replication")
    rows = []
    for strategy in strategies:
        table = summary[summary["strategy"] == strategy].set_index("replication")
        for metric in metrics:
            mean, low, high = t_interval(table[metric], confidence)
            if strategy == strategies[0]:
                diff = (0.0, 0.0, 0.0)
            else:
                paired = table[metric] - reference[metric].reindex(table.index)
                diff = t_interval(paired, confidence)
            rows.append((strategy, metric, mean, low, high, *diff))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)

"""Durations: how a scenario writes time, and how the simulator keeps it.

The simulator keeps every time in seconds (simulated time 0 is a Monday 00:00). A scenario writes
a duration as a plain number of seconds (``90``, ``2.5``) or as a number with a unit, ``45s``,
``5m``, ``2.5h``, ``30d``, ``1.5d``, ``2w``, so that a horizon of a year and a patience of two
minutes both read naturally. :func:`parse_duration` reads either form; :func:`format_duration`
writes seconds back in the largest unit that keeps the value short and exact.
"""

from __future__ import annotations

import math
import re
from typing import Final

SECOND: Final = 1.0
MINUTE: Final = 60.0
HOUR: Final = 3600.0
DAY: Final = 86400.0
WEEK: Final = 7 * DAY

UNITS: dict[str, float] = {"s": SECOND, "m": MINUTE, "h": HOUR, "d": DAY, "w": WEEK}
"""Duration units and their length in seconds."""

_DURATION = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([smhdw]?)\s*$")

DURATION_HELP = "a duration: seconds, or a number with a unit s, m, h, d, w (like 45s, 5m, 2.5h, 30d)"


def parse_duration(value: object) -> float:
    """Return *value* in seconds: a number (seconds) or a string like ``'5m'`` or ``'2.5h'``.

    Raises ``ValueError`` with a message that says what is allowed.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{DURATION_HELP} (got {value!r})")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"{DURATION_HELP} (got {value!r})")
        seconds = float(match.group(1)) * UNITS[match.group(2) or "s"]
    else:
        raise ValueError(f"{DURATION_HELP} (got {value!r})")
    if not math.isfinite(seconds):
        raise ValueError(f"{DURATION_HELP}, finite (got {value!r})")
    return seconds


def format_duration(seconds: float) -> str | float:
    """Write *seconds* in the largest unit up to days that gives a short exact number (``'5m'``).

    Infinite or fractional-second values that no unit writes shortly stay plain numbers.
    """
    if not math.isfinite(seconds):
        return seconds
    if seconds == 0:
        return "0s"
    for unit in ("d", "h", "m", "s"):
        amount = seconds / UNITS[unit]
        if abs(amount) >= 1 and _is_short(amount):
            return f"{_number(amount)}{unit}"
    return seconds


def _is_short(amount: float) -> bool:
    return abs(amount * 1000 - round(amount * 1000)) < 1e-6


def _number(amount: float) -> str:
    text = f"{amount:.3f}".rstrip("0").rstrip(".")
    return text


def parse_duration_arg(text: str) -> float:
    """``argparse`` type for a duration option: ``--aht 5m``."""
    import argparse

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None

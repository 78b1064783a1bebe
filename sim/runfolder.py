"""A run folder read back: the tables ``run`` wrote, checked, so the report can be rebuilt from files.

``run`` writes every table the report draws into its folder (DESIGN.md section 4, README "Outputs"),
and builds ``report.html`` from those files, not from memory; ``report RUN_DIR`` and ``compare
RUN_A RUN_B`` read them back here. A folder that is not ours (no ``manifest.json`` of ours), that
misses a file, or whose table lacks a column stops with one line naming the folder and what is
wrong (:class:`RunFolderError`, exit status 2 on the command line).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.loader import ScenarioError, Study, load_study
from sim.metrics import (CAUSE_MONTH_COLUMNS, FIX_COLUMNS, FLOW_COLUMNS, GROUP_COLUMNS, INTRADAY_COLUMNS,
                         OCCUPANCY_COLUMNS, ROOT_CAUSE_COLUMNS, SUMMARY_COLUMNS, TIMESERIES_COLUMNS, WAIT_COLUMNS)
from sim.outputs import TOOL
from sim.stats import COMPARISON_COLUMNS

TABLES: dict[str, list[str]] = {
    "summary.csv": SUMMARY_COLUMNS,
    "comparison.csv": COMPARISON_COLUMNS,
    "timeseries.csv": TIMESERIES_COLUMNS,
    "by_group.csv": GROUP_COLUMNS,
    "intraday.csv": INTRADAY_COLUMNS,
    "waits.csv": WAIT_COLUMNS,
    "flows.csv": FLOW_COLUMNS,
    "occupancy.csv": OCCUPANCY_COLUMNS,
}
"""Tables every run folder has, with the columns the report reads."""

CUSTOMER_TABLES: dict[str, list[str]] = {
    "root_causes.csv": ROOT_CAUSE_COLUMNS,
    "fixes.csv": FIX_COLUMNS,
    "causes_by_month.csv": CAUSE_MONTH_COLUMNS,
}
"""Tables of runs that model customers."""

TEXT_COLUMNS = {"strategy": str, "group": str, "cause": str, "kind": str, "reason": str, "source": str,
                "target": str, "weekday": str, "time": str, "metric": str, "queue": str}
"""Columns read as text whatever they hold (a strategy named ``2024`` stays a name)."""


class RunFolderError(Exception):
    """The folder cannot be read as a run folder (one line: the folder and what is wrong)."""


@dataclass
class RunFolder:
    """Every table of a run folder, with its resolved scenario and manifest."""

    folder: Path
    manifest: dict
    study: Study
    """The resolved scenario (``scenario.yaml``), its strategies in order."""
    tables: dict[str, pd.DataFrame]
    """File name -> table (the customer tables only when customers are modelled)."""

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    @property
    def prevention(self) -> bool:
        """True if the run models customers (problems, root causes, churn)."""
        return any(scenario.has_population for scenario in self.study.strategies.values())


def read_run(folder: Path) -> RunFolder:
    """Read and check *folder*; raise :class:`RunFolderError` with one line if it is not a complete run folder."""
    folder = Path(folder)
    if not folder.exists():
        raise RunFolderError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: not a folder (give the folder `run --out` wrote)")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("tool") != TOOL:
        raise RunFolderError(f"{folder}: not a contactsim run folder (no manifest.json of ours)")
    try:
        study = load_study(folder / "scenario.yaml")
    except ScenarioError as error:
        raise RunFolderError(f"{folder}: scenario.yaml is missing or does not load: {error.lines[0]}") from None
    expected = dict(TABLES)
    if any(scenario.has_population for scenario in study.strategies.values()):
        expected.update(CUSTOMER_TABLES)
    missing = [name for name in expected if not (folder / name).is_file()]
    if missing:
        raise RunFolderError(f"{folder}: misses {', '.join(missing)} (written by an older contactsim, or "
                             "removed): run the scenario again")
    tables = {}
    for name, columns in expected.items():
        path = folder / name
        try:
            header = pd.read_csv(path, nrows=0).columns
            table = pd.read_csv(path, dtype={c: t for c, t in TEXT_COLUMNS.items() if c in header},
                                keep_default_na=True)
        except (OSError, ValueError, pd.errors.ParserError) as error:
            raise RunFolderError(f"{path}: cannot be read as a table ({str(error).splitlines()[0]})") from None
        lacking = [column for column in columns if column not in table.columns]
        if lacking:
            raise RunFolderError(f"{path}: lacks column(s) {', '.join(lacking)}: run the scenario again")
        tables[name] = table
    if tables["summary.csv"].empty:
        raise RunFolderError(f"{folder / 'summary.csv'}: has no rows")
    return RunFolder(folder=folder, manifest=manifest, study=study, tables=tables)

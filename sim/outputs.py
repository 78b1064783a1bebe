"""The output folder: every file of a run, written whole or not at all.

A run's folder (DESIGN.md section 4) is built in a hidden temporary sibling and moved into place
only when every file is written, so an error or Ctrl-C never leaves a half-written folder. An
existing folder is replaced only if it is one of ours (it holds our ``manifest.json``); any other
existing path stops the run before it starts.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from sim import native

TOOL = "contactsim"
"""The ``tool`` field of our manifests: how we recognise our own folders."""


class OutputError(Exception):
    """The output path cannot be used (exit status 2)."""


def is_ours(folder: Path) -> bool:
    """True if *folder* is a run folder written by this tool."""
    manifest = folder / "manifest.json"
    try:
        return json.loads(manifest.read_text()).get("tool") == TOOL
    except (OSError, ValueError, AttributeError):
        return False


def check_target(out: Path) -> None:
    """Raise :class:`OutputError` unless *out* is free or one of our run folders."""
    if out.exists() and not (out.is_dir() and is_ours(out)):
        kind = "folder" if out.is_dir() else "file"
        raise OutputError(
            f"{out}: exists and is not a contactsim output {kind} (no manifest.json of ours); "
            "choose another --out or remove it"
        )


@contextmanager
def staged_folder(out: Path):
    """Yield a temporary sibling of *out* to write into; on success it replaces *out*."""
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield staging
        check_target(out)
        if out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, retired / out.name)
            os.replace(staging, out)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the numbers, and how the hot modules ran
    (compiled or plain Python: same numbers, different speed)."""
    found = {"python": platform.python_version(), "engine": native.STATUS}
    for package in (TOOL, "simpy", "numpy", "scipy", "pandas", "pydantic", "plotly", "pyyaml"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def manifest(**fields) -> dict:
    """The manifest of a run: our tool mark, the command, versions and the given fields."""
    return {
        "tool": TOOL,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "versions": versions(),
        **fields,
    }


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def write_csv(path: Path, table) -> None:
    table.to_csv(path, index=False)


def write_folder(out: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Write each ``name -> writer(path)`` into a staged folder, then move it to *out*."""
    with staged_folder(out) as staging:
        for name, writer in writers.items():
            writer(staging / name)

"""The compiled build of the hot modules, and the guard that never lets a stale one run.

``make`` compiles the modules in :data:`COMPILED` with mypyc (``build_native.py``); the extension
modules (``sim/<name>.cpython-*.so``) sit beside their sources and Python imports them first. The
same sources run unchanged as plain Python, with identical results, when there is no build.

A compiled module that no longer matches its source would run old code silently, so the build
writes :data:`MANIFEST` (a hash of every compiled source) and, when ``sim`` is imported, the guard
compares it with the sources on disk. On any difference, or with ``CONTACTSIM_PURE=1`` in the
environment, every compiled module is imported from its ``.py`` instead (all of them: compiled
modules call each other directly, so a mix is not allowed), with one line on stderr when a build
was there but out of date. :data:`STATUS` says which it is; run manifests and ``bench`` record it.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "_native_manifest.json"
PURE_ENV = "CONTACTSIM_PURE"

COMPILED = (
    "agents", "arrivals", "calendar", "callbacks", "churn", "customers", "demand_clock", "ivr",
    "journey", "problems", "quantiles", "queues", "records", "roster", "units", "wakeups",
)
"""The modules mypyc compiles: the ones the event loop runs through. None defines a pydantic model."""


def source_hashes() -> dict[str, str]:
    """The SHA-256 of every compiled module's source, by module name."""
    return {name: hashlib.sha256((HERE / f"{name}.py").read_bytes()).hexdigest() for name in COMPILED}


def write_manifest() -> None:
    """Record the sources a fresh build was made from (``build_native.py`` calls this)."""
    MANIFEST.write_text(json.dumps({"python": sys.implementation.cache_tag, "sources": source_hashes()},
                                   indent=2) + "\n")


def built_extensions() -> list[Path]:
    """The extension files of the compiled modules (and their shared library) present on disk."""
    return [path for suffix in importlib.machinery.EXTENSION_SUFFIXES
            for name in (*COMPILED, "_native__mypyc") for path in [HERE / f"{name}{suffix}"] if path.exists()]


def remove_build() -> list[Path]:
    """Delete the compiled modules and the manifest (back to plain Python); returns what was removed."""
    removed = [*built_extensions(), *([MANIFEST] if MANIFEST.exists() else [])]
    for path in removed:
        path.unlink()
    return removed


def stale_reason() -> str | None:
    """Why the build on disk may not be used (None when it matches the sources)."""
    missing = [name for name in COMPILED
               if not any((HERE / f"{name}{suffix}").exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES)]
    if missing:
        return f"no compiled {missing[0]} module"
    try:
        recorded = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return f"{MANIFEST.name} is missing or unreadable"
    if recorded.get("python") != sys.implementation.cache_tag:
        return f"it was built for {recorded.get('python')}, this is {sys.implementation.cache_tag}"
    changed = [name for name, digest in source_hashes().items() if recorded.get("sources", {}).get(name) != digest]
    if changed:
        return f"sim/{changed[0]}.py changed since it was built" + (f" (and {len(changed) - 1} more)" if len(changed) > 1 else "")
    return None


class _PureFinder:
    """Imports the compiled modules from their sources (placed first on ``sys.meta_path``)."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != __package__ or name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(fullname, HERE / f"{name}.py")


def _choose() -> str:
    if os.environ.get(PURE_ENV, "").strip() not in ("", "0"):
        reason = f"pure Python ({PURE_ENV} is set)"
    elif not built_extensions():
        return "pure Python (not compiled)"
    else:
        stale = stale_reason()
        if stale is None:
            return "compiled (mypyc)"
        reason = f"pure Python (the compiled build is out of date: {stale})"
        print(f"contactsim: the compiled build is out of date ({stale}); running pure Python. "
              "`make native` rebuilds it.", file=sys.stderr)
    if not any(isinstance(finder, _PureFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PureFinder())
    return reason


STATUS: str = _choose()
"""How the hot modules run in this process: ``compiled (mypyc)`` or ``pure Python (why)``."""

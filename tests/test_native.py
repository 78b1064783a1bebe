"""The compiled build (mypyc) and its guard, sim/native.py: the same numbers as plain Python, and a
build that no longer matches its sources is never used."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim import native

ROOT = Path(__file__).resolve().parents[1]
PROBE = "import sim, sim.journey; print(sim.native.STATUS); print(sim.journey.__file__)"
needs_build = pytest.mark.skipif(not native.built_extensions(), reason="no compiled build here (make native)")


def _python(args: list[str], cwd: Path, pure: bool = False) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != native.PURE_ENV}
    env["PYTHONPATH"] = str(cwd)
    if pure:
        env[native.PURE_ENV] = "1"
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_build_in_place_is_the_one_in_use():
    """A build that is present is current (make rebuilds it), so the suite tests the compiled code;
    CONTACTSIM_PURE=1 runs the suite on the sources instead."""
    if os.environ.get(native.PURE_ENV, "").strip() not in ("", "0"):
        assert native.STATUS.startswith("pure Python (")
    elif native.built_extensions():
        assert native.STATUS == "compiled (mypyc)", f"{native.STATUS}: run `make native`"
    else:
        assert native.STATUS == "pure Python (not compiled)"


def test_pure_python_on_request():
    result = _python(["-c", PROBE], ROOT, pure=True)
    status, module = result.stdout.splitlines()
    assert result.returncode == 0 and result.stderr == ""
    assert status == "pure Python (CONTACTSIM_PURE is set)" and module == str(ROOT / "sim" / "journey.py")


@needs_build
def test_a_stale_build_is_never_used(tmp_path):
    """A copy of the package with its build: used as it is; after one source changes, every compiled
    module comes from its source (never a mix), with one line on stderr saying why."""
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    fresh = _python(["-c", PROBE], tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.splitlines()[0] == "compiled (mypyc)" and fresh.stdout.splitlines()[1].endswith(".so")

    with open(tmp_path / "sim" / "units.py", "a") as source:
        source.write("\n# edited after the build\n")
    stale = _python(["-c", PROBE + "; import sim.agents; print(sim.agents.__file__)"], tmp_path)
    status, journey, agents = stale.stdout.splitlines()
    assert stale.returncode == 0
    assert status == ("pure Python (the compiled build is out of date: sim/units.py changed since it was built)")
    assert journey == str(tmp_path / "sim" / "journey.py") and agents == str(tmp_path / "sim" / "agents.py")
    assert stale.stderr.count("\n") == 1 and "`make native` rebuilds it" in stale.stderr


@needs_build
@pytest.mark.parametrize("scenario, overrides", [
    ("reactive_vs_embedded.yaml", ["customers.count=6000", "horizon=75d", "warmup=15d", "replications=2"]),
    ("incident_notice.yaml", ["replications=2"]),
    ("ivr_maze_vs_callback.yaml", ["horizon=3d", "replications=2"]),
])
def test_compiled_and_pure_python_give_the_same_outputs(tmp_path, scenario, overrides):
    """Every table of a run, byte for byte, whichever way the hot modules ran."""
    outputs = {}
    for mode in ("compiled", "pure"):
        out = tmp_path / mode
        command = ["run_sim.py", "run", f"scenarios/{scenario}", "--out", str(out), "--jobs", "1", "--quiet"]
        for override in overrides:
            command += ["--set", override]
        result = _python(command, ROOT, pure=mode == "pure")
        assert result.returncode == 0, result.stderr
        outputs[mode] = {path.relative_to(out): path.read_bytes()
                         for path in sorted(out.rglob("*")) if path.suffix in (".csv", ".parquet")}
    assert len(outputs["compiled"]) >= 5 and outputs["compiled"].keys() == outputs["pure"].keys()
    different = [str(name) for name in outputs["compiled"] if outputs["compiled"][name] != outputs["pure"][name]]
    assert not different, f"compiled and pure Python differ in {different}"

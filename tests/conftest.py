"""Shared helpers for the test suite."""

from __future__ import annotations

import os

import pytest

from sim.loader import load_text

SIZE = float(os.environ.get("CONTACTSIM_TEST_SIZE", "1"))
"""Multiplier of the statistical tests' size (replications); 1 in CI, larger for a deeper check."""


def scenario_from(text: str, *overrides: str):
    """The first strategy of a scenario given as YAML text."""
    return load_text(text, "test.yaml", overrides).first


@pytest.fixture
def cli(capsys):
    """Run the command line in-process: ``cli('run', ...)`` -> (exit status, stdout, stderr)."""
    from sim.cli import main

    def run(*argv: str):
        status = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run

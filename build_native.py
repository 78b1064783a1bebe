"""Compile the simulator's hot modules with mypyc (optional: the same sources run as plain Python).

    python build_native.py build_ext --inplace     # sim/*.so next to the sources, used on import
    python build_native.py clean                   # (or delete sim/*.so and build/) back to Python

Needs ``mypy`` (which brings mypyc), ``setuptools`` and a C compiler. The compiled modules are
the ones the hot path runs through; none of them defines a pydantic model (those stay Python, and
are read as plain objects). The shared library of the group goes in the package
(``sim/_native__mypyc*.so``), so it is found wherever ``sim`` is (Dask workers included).
"""

from mypyc.build import mypycify
from setuptools import setup

MODULES = [
    "sim/agents.py",
    "sim/arrivals.py",
    "sim/calendar.py",
    "sim/callbacks.py",
    "sim/churn.py",
    "sim/customers.py",
    "sim/demand_clock.py",
    "sim/ivr.py",
    "sim/journey.py",
    "sim/problems.py",
    "sim/queues.py",
    "sim/records.py",
    "sim/roster.py",
    "sim/units.py",
    "sim/wakeups.py",
]

setup(
    name="contactsim-native",
    packages=[],
    ext_modules=mypycify(["--ignore-missing-imports", "--follow-imports=silent", *MODULES], group_name="sim._native", opt_level="3"),
)

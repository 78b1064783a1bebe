"""Compile the simulator's hot modules with mypyc (optional: the same sources run as plain Python).

    python build_native.py            # compile sim/<module>.py -> sim/<module>.cpython-*.so, in place,
                                      # unless the build on disk already matches the sources
    python build_native.py --force    # compile even so
    python build_native.py clean      # delete the compiled modules: back to plain Python

``make`` runs it (``make native``; ``make run``, ``make test`` and ``make bench`` depend on it) and
falls back to plain Python, with a warning, when it fails. Needs ``mypy`` (which brings mypyc),
``setuptools`` and a C compiler. The modules are listed in ``sim/native.py``; none defines a
pydantic model. The group's shared library goes in the package (``sim/_native__mypyc*.so``), so it
is found wherever ``sim`` is (Dask workers included). A successful build ends by writing
``sim/_native_manifest.json`` (a hash of each source): ``import sim`` uses the compiled modules only
while it matches the sources, so a stale build never runs.
"""

import os
import shutil
import sys
from pathlib import Path

os.environ["CONTACTSIM_PURE"] = "1"  # importing sim.native below must not judge (or announce) the old build
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sim import native  # noqa: E402


def build() -> None:
    from mypyc.build import mypycify
    from setuptools import setup

    native.remove_build()  # a failed build leaves nothing half-made behind
    jobs = os.cpu_count() or 1
    setup(
        name="contactsim-native",
        packages=[],
        script_args=["build_ext", "--inplace", "--parallel", str(jobs)],
        ext_modules=mypycify(["--ignore-missing-imports", "--follow-imports=silent",
                              *(f"sim/{name}.py" for name in native.COMPILED)],
                             group_name="sim._native", opt_level="3"),
    )
    native.write_manifest()


def main(argv: list[str]) -> int:
    os.chdir(HERE)
    if argv == ["clean"]:
        removed = native.remove_build()
        shutil.rmtree(HERE / "build", ignore_errors=True)
        print(f"removed {len(removed)} compiled file(s); sim runs as plain Python")
        return 0
    if argv not in ([], ["--force"]):
        print("usage: python build_native.py [--force | clean]", file=sys.stderr)
        return 2
    if not argv and native.built_extensions() and native.stale_reason() is None:
        print("compiled modules are up to date with the sources")
        return 0
    try:
        build()
    except BaseException:
        native.remove_build()
        raise
    print(f"compiled {len(native.COMPILED)} modules with mypyc: {', '.join(native.COMPILED)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

# Two commands for a fresh machine: `make run` and `make test`.
# Both create .venv and install the project with its dev extras (uv from PyPI when it installs,
# plain pip otherwise), compile the hot modules with mypyc (`native`: skipped when the build on disk
# matches the sources; plain Python, with a warning, when it fails), then do their job.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/reactive_vs_embedded.yaml
OUT      ?= results/$(basename $(notdir $(SCENARIO)))

.PHONY: run test install clean bench native pure

run: native
	$(PY) run_sim.py run $(SCENARIO) --out $(OUT)

test: native
	$(PY) -m pytest

bench: native
	$(PY) run_sim.py bench

install: $(STAMP)

native: $(STAMP)
	@if $(PY) build_native.py > $(VENV)/native-build.log 2>&1; then tail -n 1 $(VENV)/native-build.log; \
	else tail -n 5 $(VENV)/native-build.log; $(PY) build_native.py clean > /dev/null; \
		echo "warning: the mypyc build failed (whole log: $(VENV)/native-build.log); sim runs as plain Python, same results, slower"; fi

pure:
	$(PY) build_native.py clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	if $(PY) -m pip install --quiet --disable-pip-version-check uv \
		&& $(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev]'; then :; \
	else \
		$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'; \
	fi
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info sim/*.so sim/_native_manifest.json

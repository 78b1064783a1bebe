# Two commands for a fresh machine: `make run` and `make test`.
# Both create .venv and install the project with its dev extras (uv from PyPI when it installs,
# plain pip otherwise), then do their job.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/reactive_vs_embedded.yaml
OUT      ?= results/$(basename $(notdir $(SCENARIO)))

.PHONY: run test install clean bench

run: $(STAMP)
	$(PY) run_sim.py run $(SCENARIO) --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) run_sim.py bench

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	if $(PY) -m pip install --quiet --disable-pip-version-check uv \
		&& $(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev]'; then :; \
	else \
		$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'; \
	fi
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info

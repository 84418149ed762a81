# Three commands a newcomer needs: `make demo`, `make test`, `make dev`.
# They work on a fresh machine that has only Python 3.11+ and make.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: venv demo test lint typecheck unit dev clean

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/.installed

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

# Start the built-in Zendesk emulator, sync the demo account into ./zendesk_demo.duckdb, print a summary.
demo: venv $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m zendesk_assets.demo

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy zendesk_assets zendesk_assets_tests $(wildcard bench/*.py)

# Two workers, one test file each (module fixtures are built once): most tests wait on subprocesses and HTTP.
unit: venv
	$(BIN)/pytest -n 2 --dist loadfile

# Lint, type-check and run the whole suite (PostgreSQL on 127.0.0.1:5432 must be up; .ci/run starts it).
test: lint typecheck unit

# The Dagster UI against the emulator (or a real account: see README), on PORT (default 3000);
# the emulator on EMULATOR_PORT (default: any free port).
PORT ?= 3000
EMULATOR_PORT ?= 0
dev: venv $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m zendesk_assets.demo --dev --port $(PORT) --emulator-port $(EMULATOR_PORT)

clean:
	rm -rf $(VENV) .dagster_home .zendesk_state *.duckdb .mypy_cache .ruff_cache .pytest_cache

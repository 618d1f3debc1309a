# `make run` serves the app; `make test` runs every check. Both set up what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := $(shell sed -e 's/\#.*//' system-packages.txt)

# A Python >= 3.12: $(PYTHON) if given, else the first suitable one on PATH or in pyenv.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: help setup system-packages run test lint typecheck pytest bench clean

help:
	@echo "make run    set up and serve the app at http://127.0.0.1:8000 (demo logins in README.md)"
	@echo "make test   set up and run ruff, mypy and the whole test suite"
	@echo "make setup  system packages (as root) and the virtual environment in $(VENV)"
	@echo "make bench  run the benchmarks under bench/"

setup: system-packages $(STAMP)

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "Installing system packages: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else \
		echo "*** Missing system packages. Install them with:"; \
		echo "    sudo apt-get install -y $$missing"; \
	fi

$(STAMP): pyproject.toml requirements.lock
	@if [ -z "$(PYTHON)" ]; then echo "*** No Python >= 3.12 found. Install one, or run: make PYTHON=/path/to/python3.12 ..."; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/python -m threatmodel.launcher serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# django-stubs imports the settings, which demand these; mypy connects to nothing, so stand-ins do.
typecheck: $(STAMP)
	DATABASE_URL="$${DATABASE_URL:-postgresql://typecheck.invalid/none}" \
	REDIS_URL="$${REDIS_URL:-redis://typecheck.invalid:6379/0}" $(BIN)/mypy .

pytest: $(STAMP)
	$(BIN)/python -m threatmodel.launcher exec -- $(BIN)/pytest $(PYTEST_ARGS)

test: setup lint typecheck pytest

# The bench group adds pyfair, which bench/risk.py times beside our engine.
bench: setup
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[bench]'
	$(BIN)/python -m threatmodel.launcher exec -- $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache

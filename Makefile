# alignkit — run `make help` for the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO ?= demo
BENCH_N ?= 24
BENCH_SIZES ?= 24,96,384

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) ## Create .venv and install alignkit with its dependencies

demo: $(STAMP) ## Build the demo workspace in demo/ and render its reports
	$(BIN)/alignkit demo --out $(DEMO)

test: $(STAMP) ## Run every test (unit, doctests, CLI, notebooks with nbval, reports, layers)
	MPLBACKEND=Agg $(BIN)/python -m pytest --durations=15

check: $(STAMP) ## Run the fast tier: unit tests and doctests, no kernels or browsers (under a minute)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m "not slow" alignkit tests --durations=10

bench: $(STAMP) ## Time the report factory: naive CLI loop vs alignkit batch (BENCH_N companies, default 24)
	$(BIN)/python scripts/bench.py --companies $(BENCH_N)

bench-scale: $(STAMP) ## How cost grows with companies: BENCH_SIZES (24,96,384) x Identify with alignkit batch
	$(BIN)/python scripts/bench_scale.py --sizes $(BENCH_SIZES)

bench-intake: $(STAMP) ## Time importing and scoring ~1,000,000 survey answers against the pandas floor
	$(BIN)/python scripts/bench_intake.py

bench-drivers: $(STAMP) ## How stable the driver ranking is: random halves of a simulated 120-person survey
	$(BIN)/python scripts/bench_drivers.py

lint: $(STAMP) ## Check style with ruff
	$(BIN)/ruff check alignkit tests

lab: $(STAMP) ## Open JupyterLab on the notebooks, reading the demo workspace
	@test -f $(DEMO)/alignkit.db || $(BIN)/alignkit demo --out $(DEMO) --no-reports
	ALIGNKIT_WORKSPACE=$(abspath $(DEMO)) $(BIN)/jupyter lab notebooks/

clean: ## Remove the demo workspace and caches (keeps .venv)
	rm -rf $(DEMO) .pytest_cache .ruff_cache

distclean: clean ## Also remove .venv
	rm -rf $(VENV)

.PHONY: help venv demo test check bench bench-scale bench-intake bench-drivers lint lab clean distclean

# shopperlens: the project's commands. `make demo` and `make test` work on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: demo test test-fast bench lint install clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## demo: build the demo shop, run every analysis, write report/index.html
demo: $(STAMP)
	rm -f demo.duckdb demo.duckdb.wal
	$(BIN)/shopperlens --db demo.duckdb demo --out report

## test: the whole suite (DuckDB, Spark, browser, SMTP) — what CI runs; two workers
## (pytest-xdist), the Spark tests on one of them so that one Spark session serves them all
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

## test-fast: skip the Spark and browser tiers
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not spark and not browser and not slow"

## bench: performance targets, each printing its ratio against the peer tool
bench: $(STAMP)
	$(BIN)/pip install -q -e ".[dev,bench]"
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) report demo.duckdb* .pytest_cache

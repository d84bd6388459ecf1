# The two commands: `make run` and `make test`. Everything lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-long lint build digest serve bench bench-delivery clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# compileall: an editable install leaves src/ uncompiled, and with
# PYTHONDONTWRITEBYTECODE set every command would compile feedpub again.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

install: $(STAMP)

## make run: build posts/ into output/, render a preview digest, run the daemon on :8000
run: $(STAMP)
	$(BIN)/feedpub build || true
	$(BIN)/feedpub digest --preview --latest 5 || true
	$(BIN)/feedpub run

## make test: lint and types, then the whole suite
test: lint
	$(BIN)/python -m pytest -q

## make test-long: the incremental-equals-scratch property test, 150 longer sequences
test-long: $(STAMP)
	FEEDPUB_LONG=1 $(BIN)/python -m pytest -q -s tests/test_incremental_property.py

## make lint: ruff, mypy --strict, and the import contracts (layers, no cycles) in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check -q src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

build: $(STAMP)
	$(BIN)/feedpub build

bench: $(STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

## make bench-delivery: feedpub send to 10,000 and 100,000 subscribers vs one smtplib client
bench-delivery: $(STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python bench/delivery.py $(BENCH_ARGS)

clean:
	rm -rf output .feedpub

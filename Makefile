# make demo: install and start the demo app on http://localhost:8000 (sandbox provider, no credentials).
# make test: install everything (dev extras included), lint, type-check and run the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test lint install-demo install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install-demo: $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

demo: install-demo
	$(BIN)/uvicorn examples.demo_app:app --host 127.0.0.1 --port $(PORT)

lint: install-dev
	$(BIN)/ruff check fin_infra
	$(BIN)/mypy

test: lint
	bash scripts/ensure-services.sh
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

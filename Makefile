# make demo: install and start the demo app on http://localhost:8000 (sandbox provider, no credentials).
# make test: install everything (dev extras included), lint, type-check and run the whole test suite.
# make fuzz: the long schemathesis run over every provider (see below).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test lint install-demo install-dev bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Installing is done once, and again only when pyproject.toml changes (the install is editable).
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-demo

install-demo: $(VENV)/.installed-demo

install-dev: $(VENV)/.installed-dev

demo: install-demo
	$(BIN)/uvicorn examples.demo_app:app --host 127.0.0.1 --port $(PORT)

lint: install-dev
	$(BIN)/ruff check fin_infra tests bench examples
	$(BIN)/mypy

test: lint
	bash scripts/ensure-services.sh
	bash scripts/ensure-browser.sh
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python -m bench

# make fuzz: schemathesis, 5,000 derandomized cases per provider (sandbox, Teller and Plaid emulators), printing
# the counts of server errors and undocumented statuses (both must be 0). CASES=... to change the number.
CASES ?= 5000
fuzz: install-dev
	$(BIN)/python -m tests.hardening.fuzz $(CASES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

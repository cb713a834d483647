# The README's two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

## run: install, migrate, load the demo data once, serve the UI on http://$(HOST)
run: $(VENV)/.installed
	$(BIN)/encaisse migrate --noinput
	$(BIN)/encaisse demo --if-empty
	$(BIN)/encaisse runserver $(HOST)

## test: install the test dependencies and run the suite (DATABASE_URL picks the database)
test: $(VENV)/.installed-test
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/issue_invoices.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis

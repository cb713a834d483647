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
# `encaisse serve`: gunicorn with the background jobs' worker and the scheduler; Ctrl+C
# stops them all. HOST=192.168.1.20:8000 (the machine's address) to open it from another
# machine: that host name is then accepted too (ALLOWED_HOSTS, unless set in the
# environment).
run: $(VENV)/.installed
	$(BIN)/encaisse migrate --noinput
	$(BIN)/encaisse demo --if-empty --url http://$(HOST)/
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost,$(firstword $(subst :, ,$(HOST)))}" \
		$(BIN)/encaisse serve $(HOST)

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

# Créneau — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
POSTGRES_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
# Test processes (pytest-xdist): one per core by default.
TEST_WORKERS ?= auto
# More pytest options, e.g. PYTEST_ARGS=--random-order.
PYTEST_ARGS ?=
PYTEST := $(BIN)/pytest -p no:cacheprovider -n $(TEST_WORKERS) --durations=15 $(PYTEST_ARGS)

.PHONY: run install install-dev browser test test-postgres lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## Serves Créneau on http://$(HOST):$(PORT)/ with SQLite in ./data, the demo commune and the
## development mailbox (/_dev/mail: CRENEAU_DEBUG=1, messages written under ./data/mailbox).
run: install
	HOST=$(HOST) PORT=$(PORT) CRENEAU_DEBUG=$${CRENEAU_DEBUG:-1} $(BIN)/creneau serve

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

## Debian's chromium for the browser tests (browser downloads are impossible here).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
		else \
			echo "Chromium manque : installez-le avec 'sudo apt-get install chromium'."; exit 1; \
		fi; \
	fi

## Installs what the tests need, lints and type-checks, then runs the whole suite (unit,
## integration, calendar servers, browser). CRENEAU_TEST_NOW runs it at another instant.
test: install-dev browser node_modules/.package-lock.json lint
	$(PYTEST)

## The tests that use a database, again on PostgreSQL (the server of this machine by default).
test-postgres: install-dev
	TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(PYTEST) tests/unit tests/integration tests/calendar

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules data test-artifacts

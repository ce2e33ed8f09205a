# Kinerja: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK := deploy/local/stack.sh
LINT_PATHS := shared services tools tests deploy $(wildcard bench)
WITH_STACK := deploy/local/with-stack.sh
export PYTHON := $(CURDIR)/$(BIN)/python
# The services and tests find the local stack on the ports the stack scripts use.
export KINERJA_KAFKA_PORT ?= 19092
export KINERJA_MONGO_PORT ?= 27018
export KINERJA_OIDC_PORT ?= 5556
export KINERJA_KAFKA_BOOTSTRAP ?= 127.0.0.1:$(KINERJA_KAFKA_PORT)
export KINERJA_MONGO_URL ?= mongodb://127.0.0.1:$(KINERJA_MONGO_PORT)

.PHONY: help venv stack-up stack-down stack-status stack-fetch browser check lint typecheck contracts layers \
        schemas docs test run bench clean messages htmx

help:
	@echo "make run          start the stack and the four services, run the demo cycle, print a summary"
	@echo "make test         lint, type checks, contract checks and the whole suite on real Kafka + FerretDB"
	@echo "make bench        benchmarks into bench/results.md"
	@echo "make stack-up | stack-down | stack-status   the local Kafka, FerretDB and Dex on 127.0.0.1"
	@echo "make browser      Chromium for the browser tests (installs Debian's package when root)"
	@echo "make schemas      regenerate event JSON Schemas and AsyncAPI/OpenAPI documents"

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

stack-up: venv
	$(STACK) up

stack-down:
	$(STACK) down

stack-status:
	@$(STACK) status

stack-fetch: venv
	$(STACK) fetch

# Debian's Chromium for tests/browser: present, installed (as root), or a clear stop; never skipped.
browser:
	deploy/local/browser.sh

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

# The in-memory stores and the use-case tests on them too: mypy checks that each fake is the
# protocol its service is typed against (the apps check the database stores).
typecheck: venv
	$(BIN)/mypy shared services tools $(wildcard tests/*/memory.py tests/*/test_service_memory.py)

contracts: venv
	$(BIN)/python -m tools.contracts check

# The import-linter contracts in pyproject.toml: kernel, services, domain purity, service layers.
layers: venv
	$(BIN)/lint-imports

check: lint typecheck contracts layers

# HTMX for the web, from the npm registry (npm checks the package's integrity), never a CDN. The
# file is committed so that images and deployments need no Node.js; tests/web/test_logic.py checks
# it is this version's file.
HTMX_VERSION := 2.0.11
htmx:
	rm -rf .cache/htmx && mkdir -p .cache/htmx
	cd .cache/htmx && npm pack --silent htmx.org@$(HTMX_VERSION) && tar xzf htmx.org-$(HTMX_VERSION).tgz
	cp .cache/htmx/package/dist/htmx.min.js services/web/static/htmx.min.js

# The web's catalogues: extract the messages of templates and pages, then merge them into the
# id and en catalogues (services/web/locale); translate what comes new in id/LC_MESSAGES/messages.po.
messages: venv
	$(BIN)/pybabel extract -F services/web/babel.cfg --no-location --omit-header --sort-output \
		-o services/web/locale/messages.pot services/web
	$(BIN)/pybabel update -i services/web/locale/messages.pot -d services/web/locale -D messages \
		--no-fuzzy-matching --width 110

schemas: venv
	$(BIN)/python -m tools.contracts write

docs: schemas

test: check stack-fetch browser
	$(WITH_STACK) $(BIN)/pytest -p no:cacheprovider

run: venv stack-fetch
	$(BIN)/python -m tools.run

bench: venv stack-fetch
	$(WITH_STACK) $(BIN)/python -m bench

clean:
	-$(STACK) down
	rm -rf .cache/stack-state

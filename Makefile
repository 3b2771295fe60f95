# vocplatform — `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint format worker beat bench migrate demo clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

migrate: $(STAMP) ## Apply database migrations
	$(PY) manage.py migrate --noinput

demo: migrate ## Load the demo organisation (adds only what is missing)
	$(PY) manage.py load_demo

run: demo ## Create the venv, migrate, load the demo, start web + worker + beat (Ctrl-C stops all)
	$(PY) manage.py runstack --port $(PORT)

test: lint ## Lint, then run the whole test suite
	$(PY) -m pytest

test-fast: $(STAMP) ## Run the tests without lint
	$(PY) -m pytest -x -q

lint: $(STAMP) ## ruff check + format check, mypy, pip-audit of the installed dependencies
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy vocplatform surveys loops
	$(PY) -m vocplatform.dependency_audit

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: $(STAMP) ## Run one Celery worker in the foreground
	$(PY) -m celery -A vocplatform worker --loglevel=INFO

beat: $(STAMP) ## Run Celery beat in the foreground
	$(PY) -m celery -A vocplatform beat --loglevel=INFO

bench: $(STAMP) ## Run every benchmark in bench/ and print its figures
	$(PY) bench/all.py

clean: ## Remove the virtualenv and local state under var/
	rm -rf $(VENV) var staticfiles

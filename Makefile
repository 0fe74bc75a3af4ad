# Developer entry points. `make run` starts the portal, `make test` is what CI runs.
# Settings come from the environment (see .env.example); with no DATABASE_URL the
# portal uses SQLite, with no REDIS_URL Celery tasks run in-process.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# The port `make run` serves on: `PORT=8011 make run` (or `make run PORT=8011`) when 8000 is taken.
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help venv run test lint format worker beat migrate bench

help:
	@echo "make run      start the portal at http://127.0.0.1:$(PORT) (DEBUG=1, demo data; PORT=8011 make run for another port)"
	@echo "make test     migrations check + pytest (what CI runs)"
	@echo "make lint     ruff check + ruff format --check + import layering (lint-imports)"
	@echo "make format   ruff format + ruff check --fix"
	@echo "make migrate  apply database migrations"
	@echo "make worker   Celery worker (needs REDIS_URL)"
	@echo "make beat     Celery beat with the database scheduler (needs REDIS_URL)"
	@echo "make bench    build the Xuzhou and province databases, time pages, rating run, export; load test"

$(PY):
	python3 -m venv $(VENV)

# The stamp makes repeated runs fast: pip only runs when a requirements file changed.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

venv: $(STAMP)

# DEBUG defaults to on only for the local run; everything else reads the environment as is.
run: export DEBUG ?= 1
# Links in e-mails point at the port the portal is served on.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The browser tests run in a session of their own: they drive a live server and a real Celery
# worker, and tests that point Celery at a dead broker must not share a process with them.
test: venv
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n 2 --ignore=tests/e2e $(PYTEST_ARGS)
	$(PY) -m pytest -n 2 tests/e2e $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrate: venv
	$(PY) manage.py migrate --noinput

worker: venv
	$(VENV)/bin/celery -A partybuild worker -l info

# The scheduler (django_celery_beat's DatabaseScheduler) comes from CELERY_BEAT_SCHEDULER.
beat: venv
	$(VENV)/bin/celery -A partybuild beat -l info

# Needs a local PostgreSQL (BENCH_POSTGRES or DATABASE_URL names the server). Reuses the bench databases
# when an earlier build finished; BENCH_ARGS="--rebuild" seeds them again, "--scale xuzhou" does one.
BENCH_ARGS ?=
bench: venv
	$(PY) -m bench $(BENCH_ARGS)

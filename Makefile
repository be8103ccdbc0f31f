# Parley: the commands a newcomer and CI type. Works from a fresh clone with only Python 3.11.
#   make run     serve the demo shop on http://$(HOST):$(PORT)/ (Daphne: HTTP + WebSocket)
#   make test    run the whole test suite in parallel (ARGS="-k something" passes through to pytest)
#   make lint    ruff check + ruff format --check + lint-imports (layers);   make format   fixes what it can
#   make bench   every bench/bench_*.py, figures in bench/results/<name>.json
#   make worker / make beat   Celery worker / beat (when REDIS_URL or CELERY_BROKER_URL is set)
#   make eval    the assistant's answer-scoring evaluation, dev and held-out (ARGS="--split dev --failures")
#   make static-embedder   distil catalog/search/static_model/ again from the packaged MiniLM

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=
CELERY_QUEUES ?= default,outbound,payments,llm,bulk

# Links the shop sends out (checkout, alerts, the admin) point at the address being served, so
# `make run PORT=8304` mails links to 8304; an explicit PARLEY_PUBLIC_URL (environment or make
# argument) wins. The worker and beat send links too: give them the same HOST/PORT.
run seed migrate operator worker beat: export PARLEY_PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: help venv deps dev-deps run migrate seed operator test lint format bench worker beat eval static-embedder

help:
	@sed -n '2,9p' Makefile | sed 's/^# \{0,1\}//'

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

# pip runs only when the requirements changed: a stamp in the venv named after their checksum.
deps: venv
	@sum=$$(cat requirements.txt | sha256sum | cut -c1-16); \
	if [ ! -f "$(VENV)/.installed-runtime-$$sum" ]; then \
		$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt && \
		rm -f $(VENV)/.installed-runtime-* && touch "$(VENV)/.installed-runtime-$$sum"; \
	fi

dev-deps: venv
	@sum=$$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16); \
	if [ ! -f "$(VENV)/.installed-dev-$$sum" ]; then \
		$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt && \
		rm -f $(VENV)/.installed-dev-* && touch "$(VENV)/.installed-dev-$$sum"; \
	fi

migrate: deps
	$(BIN)/python manage.py migrate --noinput

# The demo shop's search vectors come with it (the shipped static embedder: about a second); a
# failed vector build leaves search lexical and never keeps the server from starting.
seed: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	-$(BIN)/python manage.py build_embeddings --no-progress --unless-off

operator: migrate
	@$(BIN)/python manage.py create_demo_operator

run: seed operator
	@echo "Parley on http://$(HOST):$(PORT)/  (admin /admin/, API docs /api/docs/; links sent name $$PARLEY_PUBLIC_URL)"
	exec $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

worker: deps
	exec $(BIN)/celery -A config worker -l info -Q $(CELERY_QUEUES)

beat: deps
	exec $(BIN)/celery -A config beat -l info --schedule $(VENV)/celerybeat-schedule

# The suite runs in parallel processes (pytest-xdist: one per core, at most 4), each test file
# whole in one of them, so a module's live stack and browser start once; each process has its own
# test database, Redis channel prefix, live stacks and ports. `make test PYTEST_WORKERS=0` runs it
# in one process.
PYTEST_WORKERS ?= auto
test: dev-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile $(ARGS)

lint: dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: dev-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: dev-deps
	$(BIN)/python bench/run.py $(ARGS)

eval: dev-deps
	$(BIN)/python -m conversations.assistant.eval $(ARGS)

static-embedder: dev-deps
	$(BIN)/python manage.py build_static_embedder $(ARGS)

# Pantau: two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.pantau-installed

.DEFAULT_GOAL := help
.PHONY: help venv browser demo test test-fast lint bench-ingest bench bench-chain clean up down

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Pantau needs Python 3.11 ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==26.3" "setuptools==80.9.0" "wheel==0.45.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the pinned dependencies

DIALECT ?= a
demo: $(STAMP) ## Generate a world, start the simulators and run every DAG through Airflow (DIALECT=b: the second simulator dialect)
	$(BIN)/pantau demo --dialect $(DIALECT)

browser: ## Headless Chromium for the catalog page test (Debian: apt-get as root when missing)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian chromium for the catalog browser test"; \
	    DEBIAN_FRONTEND=noninteractive apt-get -qq update && \
	    DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "The catalog browser test needs Chromium: sudo apt-get install --no-install-recommends chromium"; \
	  fi; }

# Two pytest-xdist workers, one per core; a test module stays on one worker (tests/conftest.py).
TEST_WORKERS ?= 2
test: $(STAMP) browser ## Run the whole test suite (unit, simulator contract, DAG integrity, end to end; TEST_WORKERS=1 runs it serially)
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=15

test-fast: $(STAMP) ## Run the suite without the slow integration tier
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not integration"

lint: $(STAMP) ## ruff (including the Airflow AIR rules)
	$(BIN)/ruff check .
	$(BIN)/ruff check --select AIR .

bench-ingest: $(STAMP) ## Ingestion throughput: 100k Bawaslu cases and a 6M-person registry
	$(BIN)/pantau bench ingest

bench: $(STAMP) ## Reconcile 50k cases against a 6M-person registry, with Splink as the peer; then accuracy
	$(BIN)/pantau bench reconcile
	$(BIN)/pantau bench accuracy --world .pantau/bench/reconcile-6m --registry-size 6000000 --cases 50000

bench-chain: $(STAMP) ## Whole chain through Airflow: 6M persons / 100k cases, then a 1 % day's change and the incremental run
	$(BIN)/pantau bench chain

COMPOSE ?= docker compose
# Profile "simulated": the simulated agencies and the Mailpit catcher; `make up COMPOSE_PROFILES=` without them.
COMPOSE_PROFILES ?= simulated
up: ## Start the compose stack (Airflow on Celery, MinIO, Mailpit, simulated agencies); needs Docker and a filled-in .env
	@test -f .env || { echo "make up needs .env: cp .env.example .env and replace every <...> (README, 'Run in production')"; exit 2; }
	@! grep -nE '^[A-Za-z_][A-Za-z0-9_]*=[^#]*<' .env || { echo ".env still has the <...> placeholders above"; exit 2; }
	mkdir -p logs config
	COMPOSE_PROFILES=$(COMPOSE_PROFILES) $(COMPOSE) build
	@# The simulated offices' alert contacts, unless config/contacts.json is already yours.
	test -f config/contacts.json || $(COMPOSE) run --rm --no-deps -v "$(CURDIR)/config:/opt/pantau/config" bkd-seed \
	  bash -c 'python -c "import json; from pantau.simulate.generate import contacts; print(json.dumps(contacts(), indent=2, ensure_ascii=False))" > /opt/pantau/config/contacts.json'
	COMPOSE_PROFILES=$(COMPOSE_PROFILES) $(COMPOSE) up -d
	@echo "Airflow UI http://127.0.0.1:$$(sed -n 's/^AIRFLOW_UI_PORT=\([0-9]*\).*/\1/p' .env), MinIO console http://127.0.0.1:$$(sed -n 's/^MINIO_CONSOLE_PORT=\([0-9]*\).*/\1/p' .env), Mailpit http://127.0.0.1:$$(sed -n 's/^MAILPIT_UI_PORT=\([0-9]*\).*/\1/p' .env)"

down: ## Stop the compose stack; its data volumes stay (docker compose down -v deletes them)
	COMPOSE_PROFILES=$(COMPOSE_PROFILES) $(COMPOSE) down

clean: ## Remove PANTAU_HOME (.pantau/); keeps .venv
	rm -rf .pantau

# Antre: the index of everything you can do. `make help` lists it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PACKAGES := libs/antre-common services/identity services/scheduling services/documents services/notification services/payment services/integration gateway tools/antre_dev tools/ministry_consumer
STAMP := $(VENV)/.installed-$(shell cat constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES)) | md5sum | cut -c1-12)
PYTEST := $(BIN)/python -m pytest
SERVICES := identity scheduling documents notification payment integration
WEB_STAMP := web/node_modules/.installed-$(shell md5sum web/package-lock.json | cut -c1-12)

.PHONY: help install infra web run migrate ministry-consumer test test-unit test-service test-system test-browser test-contract test-chaos test-chaos-broker lint format bench k8s-check images screenshots clean

help: ## List every target with what it does
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install every package, pinned by constraints.txt

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -r requirements-dev.txt $(addprefix -e ,$(PACKAGES))
	@rm -f $(VENV)/.installed-*; touch $@

infra: ## Install and start PostgreSQL and RabbitMQ (+ management API) where they are missing
	@./scripts/infra.sh

web: $(WEB_STAMP) ## Build the web app into web/dist (npm packages pinned by web/package-lock.json, then esbuild)
	cd web && node build.mjs

$(WEB_STAMP): web/package-lock.json
	@./scripts/web-tools.sh
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

run: install infra web ## Run the whole suite locally (S3, SMTP sink, migrations, services, gateway); Ctrl-C stops it
	$(BIN)/python -m antre_dev.stack

ministry-consumer: install ## The reference consumer of antre.integration against make run (tools/ministry_consumer)
	$(BIN)/python -m ministry_consumer $(ARGS)

migrate: install infra ## Create the databases and run every service's migrations (DATABASE_URL prefix from ANTRE_PG_URL)
	@for s in $(SERVICES); do \
	  DATABASE_URL=$${ANTRE_PG_URL:-postgresql+psycopg2://postgres@127.0.0.1:5432/postgres}; \
	  DATABASE_URL=$${DATABASE_URL%/*}/antre_$$s $(BIN)/python -m antre_common.migrations services/$$s || exit 1; \
	done

test: lint test-unit test-service test-system test-browser test-contract test-chaos ## Lint, then the unit, service, system, browser, contract and chaos tiers

test-unit: install web ## Unit tier: domain rules and schemas, no broker, no database
	$(PYTEST) -m unit -q

test-service: install infra ## Service tier: real entrypoints on real RabbitMQ and PostgreSQL (SERVICE=identity for one)
	$(PYTEST) -m service -q $(if $(SERVICE),services/$(SERVICE))

test-system: install infra ## System tier: the whole suite as processes, driven through the gateway
	$(PYTEST) -m system -q tests/system

# Its own pytest process without antre_common's eventlet monkey-patching (see tests/browser/conftest.py).
test-browser: install infra web ## Browser tier: the web app in headless Chromium; screenshots in var/test-artifacts/web
	@./scripts/web-tools.sh --browser
	$(PYTEST) -p no:antre_common -m browser -q tests/browser

# Its own pytest process without eventlet's monkey-patching (Schemathesis runs as a process of its own).
# CONTRACT_MAX_EXAMPLES (default 15) and CONTRACT_SEED change the run; docs/contracts.md says how to reproduce.
test-contract: install infra ## Contract tier: Schemathesis against the running suite, every check; examples and 5xx counted
	$(PYTEST) -p no:antre_common -m contract -q tests/contract

# Last in `make test`: its final test restarts the machine's RabbitMQ (never run it beside other work on the broker).
test-chaos: install infra ## Chaos tier: parts killed, restarted or stopped under traffic; invariants checked (-s: the report)
	$(PYTEST) -m chaos -q -s tests/chaos

test-chaos-broker: install infra ## The chaos tier's RabbitMQ restart alone
	$(PYTEST) -m "chaos and broker_restart" -q -s tests/chaos

screenshots: install infra web ## The browser tier, also writing its 360 px screenshots to docs/screenshots/
	@./scripts/web-tools.sh --browser
	UPDATE_SCREENSHOTS=1 $(PYTEST) -p no:antre_common -m browser -q tests/browser

lint: install ## ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## ruff: fix what can be fixed and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install infra ## Benchmarks (write reports under bench/results/)
	$(BIN)/python -m bench

k8s-check: install ## Render every kustomize overlay, validate it offline, check and unit-test the alert rules (promtool)
	@./scripts/k8s-tools.sh
	$(BIN)/python -m pytest -q deploy/k8s/tests

images: ## Build one image per service and the gateway (needs a container engine)
	@for s in $(SERVICES); do docker build -f services/$$s/Dockerfile -t antre/$$s:dev . || exit 1; done
	docker build -f gateway/Dockerfile -t antre/gateway:dev .

clean: ## Remove .venv and var/ (local data, logs, mail)
	rm -rf $(VENV) var web/node_modules web/dist

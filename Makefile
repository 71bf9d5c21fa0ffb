# Two commands set up a fresh machine (Python 3.11, Node 20, npm):
#   make synth   venv + deps + CDK CLI + synth of every stack + compliance summary
#   make test    the same setup + the full test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
UV        := $(VENV)/bin/uv
ENV       ?= dev
CDK_OUT   ?= cdk.out
# pytest-xdist: one worker per core (each synthesizes its own apps once; the suite is CPU-bound).
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
# uv ignores pip's config: point it at the machine's local CPU torch wheel when there is one.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

# Lambda bundles ship bytecode built by the runtime's Python (3.12); use a pyenv install when PATH has none.
BUNDLING_PYTHON_3_12 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12))
export BUNDLING_PYTHON_3_12

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: help synth test test-fast lint deps deps-test java train-local local local-retrain clean
.PHONY: web-deps web-build web-test chromium

help:
	@echo "make synth [ENV=dev|prod]   synthesize every stack to $(CDK_OUT)/ and print the compliance summary"
	@echo "make test                   run the full test suite"
	@echo "make test-fast              run the suite without the slow tests (pytest -m 'not slow')"
	@echo "make lint                   ruff check, ruff format --check, mypy (the CI quality gate)"
	@echo "make train-local            train + evaluate a tiny random model on CPU (no downloads)"
	@echo "make web-build              npm ci + build of the chat UI (web/dist; skipped when up to date)"
	@echo "make web-test               the chat UI's unit tests (vitest)"
	@echo "make local                  the whole lifecycle on this machine, then the chat API on http://127.0.0.1:8000"
	@echo "make local-retrain          continuous learning over the local interactions and feedback"

$(PY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv

# Runtime deps only: what `cdk synth` needs (no Spark, no torch).
$(VENV)/.deps-runtime: pyproject.toml | $(PY)
	$(UV) pip install --quiet -p $(PY) -e .
	@touch $@

# Runtime + dev/test + Spark + training extras (torch from the local CPU wheel where present).
$(VENV)/.deps-test: pyproject.toml | $(PY) java
	$(UV) pip install --quiet -p $(PY) $(FIND_LINKS) -e ".[dev,spark,train]"
	@touch $@ $(VENV)/.deps-runtime

# Local PySpark (the Glue transform's tests) needs a JRE; install Debian's when missing and we are root.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "PySpark tests need Java 17+ (e.g. apt-get install openjdk-17-jre-headless)"; exit 1; fi; }

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# The chat UI (web/): its npm dependencies, its build (web/dist, reused while its inputs' hash is unchanged: the
# same check the CDK asset bundling and the browser tests use) and its unit tests.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

web-deps: web/node_modules/.package-lock.json

web-build: web-deps $(VENV)/.deps-runtime
	$(PY) -c "from pathlib import Path; from pipeline_stacks.bundling import ensure_web_build; ensure_web_build(Path('web'))"

web-test: web-deps
	cd web && npm test

# The browser tests drive Debian's chromium through Playwright (never `playwright install`); install it when missing
# and we are root.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "the browser tests need chromium (e.g. apt-get install chromium)"; exit 1; fi; }

deps: $(VENV)/.deps-runtime node_modules/.package-lock.json
deps-test: $(VENV)/.deps-test node_modules/.package-lock.json web-deps chromium

synth: deps
	rm -rf $(CDK_OUT)
	npx --no-install cdk synth --quiet --no-notices -c env=$(ENV) --output $(CDK_OUT)
	$(PY) tools/synth_summary.py $(CDK_OUT)

test: deps-test web-test
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: deps-test web-test
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.deps-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Tiny randomly initialised model, trained and evaluated on CPU from training/sample_data (no downloads).
# Artifacts: .local-train/{model,checkpoints,output,evaluation}. RESUME=1 continues from the newest checkpoint.
train-local: deps-test
	PYTHON=$(PY) training/local_run.sh

# The whole lifecycle locally (no AWS): sample raw data -> sanitize -> train + evaluate -> quality gate -> the chat API
# (same app as on Lambda) on http://127.0.0.1:8000 with the lake in .local/lake and conversations in SQLite. Stages
# whose outputs exist are skipped. LOCAL_ARGS passes options, e.g. LOCAL_ARGS="--backend openai --base-url
# http://localhost:11434/v1 --model llama3.2" or LOCAL_ARGS="--dev-token s3cret --port 8080".
LOCAL_ARGS ?=
local: deps-test web-build
	$(PY) -m local_runtime serve $(LOCAL_ARGS)

local-retrain: deps-test
	$(PY) -m local_runtime retrain $(LOCAL_ARGS)

clean:
	rm -rf $(CDK_OUT) .pytest_cache .hypothesis

# Load test an OpenAI-compatible API (docs/loadtest.md). Results: loadtest-results/<profile>-<time>/report.html.
#   make loadtest PROFILE=step TARGET=http://127.0.0.1:8000/v1 [USERS=8 STEP_S=60] [LOADTEST_ARGS='--prompt-set long']
PROFILE ?= smoke
TARGET  ?= http://127.0.0.1:8000/v1
USERS   ?=
STEP_S  ?=
LOADTEST_ARGS ?=
.PHONY: loadtest
$(VENV)/.deps-loadtest: pyproject.toml | $(PY)
	$(UV) pip install --quiet -p $(PY) -e ".[loadtest]"
	@touch $@

loadtest: $(VENV)/.deps-loadtest
	$(PY) -m loadtest run --profile $(PROFILE) --target $(TARGET) $(if $(USERS),--users $(USERS)) \
	  $(if $(STEP_S),--step-s $(STEP_S)) $(LOADTEST_ARGS)
# The Glue sanitization job's code on a local folder (local[2] Spark, no AWS): RAW=dir OUT=dir [ARGS="--mode hash"].
# Writes OUT/sanitized/ and OUT/quarantine/ and prints counts by reason; a file bookmark skips files already done.
.PHONY: sanitize-local
sanitize-local: $(VENV)/.deps-test
	@test -n "$(RAW)" && test -n "$(OUT)" || { echo "usage: make sanitize-local RAW=dir OUT=dir [ARGS=...]"; exit 2; }
	$(PY) -m glue_jobs.local_sanitize --raw "$(RAW)" --out "$(OUT)" $(ARGS)

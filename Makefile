# The two commands: `make dev` runs the whole product locally, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt requirements-infra.txt | sha1sum | cut -c1-12)
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The CDK CLI, pinned, run through npx (deploy only; synth needs no CLI). STAGE picks the stack
# (interkanect-$(STAGE)); PARAMS are its CloudFormation parameters, "Name=value" each (docs/deploy.md).
CDK_CLI := aws-cdk@2.1149.0
STAGE ?= dev
PARAMS ?=
CDK := npx --yes $(CDK_CLI)
CDK_APP := --app "$(PY) -m infra.cdk.app" -c stage=$(STAGE)

.PHONY: dev test test-fast bench synth deploy diff install chromium clean

dev: install ## Start the whole product locally and print the URL to open
	$(PY) -m infra.local

test: install chromium ## Install what is needed and run every test, browser tests included (and name the slowest)
	$(PY) -m pytest -n 2 --dist loadgroup --durations=30

test-fast: install ## Unit tests only
	$(PY) -m pytest tests/unit -q

bench: install chromium ## Print the benchmark figures (Lighthouse and call setup drive Chromium)
	$(PY) -m bench

synth: install ## Synthesize the CDK app into infra/cdk.out (no CDK CLI needed)
	$(PY) -m infra.cdk.synth --outdir infra/cdk.out

deploy: install ## Deploy interkanect-$(STAGE) and its us-east-1 edge stack (settings: docs/deploy.md)
	$(CDK) deploy --all $(CDK_APP) --require-approval broadening \
	  $(foreach p,$(PARAMS),--parameters interkanect-$(STAGE):$(p))

diff: install ## What `make deploy` would change
	$(CDK) diff $(CDK_APP)

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt requirements-infra.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -r requirements-infra.txt
	rm -f $(VENV)/.installed-*
	touch $@

chromium: $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

clean:
	rm -rf $(VENV) infra/cdk.out .pytest_cache

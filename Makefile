# lgcloud — two commands do all the set-up on a fresh clone:
#   make demo   venv + packages + MJ character data + SQLite demo database, then serves http://127.0.0.1:8000
#   make test   the same set-up plus test tools, then the whole suite on SQLite and PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-16)
# Debian packages: Chromium for UI tests, IPAmj明朝 and HarfBuzz subsetting for certificates, poppler for PDF checks,
# Pango for WeasyPrint. npm (to fetch the MJ character data) is installed only when no npm command exists:
# a machine with Node.js from elsewhere already has one, and Debian's npm would conflict with it.
DEBIAN_PACKAGES := chromium fonts-ipamj-mincho libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
export LGCLOUD_CACHE_DIR ?= $(HOME)/.cache/lgcloud

.PHONY: demo test bench lint system-packages install mojidata clean

demo: install
	$(BIN)/lgcloud demo

test: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile

bench: install
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench

install: system-packages $(STAMP) mojidata

system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing Debian packages:$$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "warning: missing Debian packages (run as root or install them):$$missing"; fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $@

# The MJ character index is built once into the cache (outside the repository) from the pinned npm package.
mojidata: $(STAMP)
	@if $(BIN)/lgcloud moji --help >/dev/null 2>&1; then $(BIN)/lgcloud moji build-index; fi

clean:
	rm -rf $(VENV) var .pytest_cache

# Two commands: `make run` (set up + start the app) and `make test` (set up + lint + the whole test suite).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= $(or $(NNLIB_HOST),127.0.0.1)
PORT   ?= 8501

.PHONY: run test setup lint bench clean browser-deps db-deps

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-ray.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) -m streamlit run app.py --server.headless true --server.address $(HOST) --server.port $(PORT) \
		--browser.gatherUsageStats false

lint: setup
	$(PY) -m ruff check .
	$(VENV)/bin/hadolint Dockerfile

# The browser tests need Debian's chromium: install it when we may (root + apt-get), otherwise stop and say how.
# Never skip them silently: a green `make test` means the browser tests ran.
CHROMIUM ?= /usr/bin/chromium
browser-deps:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make: installing Debian chromium for the browser tests (apt-get install -y chromium)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null || \
	  { echo "make: could not install chromium with apt-get; install it and run make test again" >&2; exit 1; }; \
	else \
	  echo "make: the browser tests need Debian's chromium at $(CHROMIUM): run 'sudo apt-get install -y chromium'" \
	       "(or pass CHROMIUM=/path/to/chromium), then make test again" >&2; exit 1; \
	fi

# The store tests start a throwaway PostgreSQL cluster from Debian's binaries: install them when we may, else stop
# and say how (never skip: a green `make test` means the class database was tested on PostgreSQL too).
db-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make: installing Debian postgresql for the store tests (apt-get install -y postgresql)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null || \
	  { echo "make: could not install postgresql with apt-get; install it and run make test again" >&2; exit 1; }; \
	else \
	  echo "make: the store tests need PostgreSQL's server binaries: run 'sudo apt-get install -y postgresql'," \
	       "then make test again" >&2; exit 1; \
	fi

test: lint browser-deps db-deps
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest

bench: setup
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts

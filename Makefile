# Two commands: `make run` (set up + start the app) and `make test` (set up + lint + the whole test suite).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= $(or $(NNLIB_HOST),127.0.0.1)
PORT   ?= 8501

.PHONY: run test setup lint bench clean browser-deps db-deps compose-deps

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

# Debian packages the suite needs: install one when we may (root + apt-get), otherwise stop and say how. Never skip
# the tests that need it: a green `make test` means they ran.
# $(call debian_dep,<present test>,<package>,<what needs it>,<how to get it otherwise>)
define debian_dep
	@if $(1); then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make: installing Debian $(2) for $(3) (apt-get install -y $(2))"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $(2) >/dev/null || \
	  { echo "make: could not install $(2) with apt-get; install it and run make test again" >&2; exit 1; }; \
	else \
	  echo "make: $(3) need $(4), then make test again" >&2; exit 1; \
	fi
endef

CHROMIUM ?= /usr/bin/chromium
browser-deps:  # chromium for the browser tests
	$(call debian_dep,[ -x "$(CHROMIUM)" ],chromium,the browser tests,Debian's chromium at $(CHROMIUM): run 'sudo apt-get install -y chromium' (or pass CHROMIUM=/path/to/chromium))

db-deps:  # PostgreSQL's server binaries: the store tests start a throwaway cluster from them
	$(call debian_dep,ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1,postgresql,the store tests,PostgreSQL's server binaries: run 'sudo apt-get install -y postgresql')

compose-deps:  # podman: PyPI's podman-compose runs `podman version` before it resolves compose.yaml (tests/platform)
	$(call debian_dep,command -v podman >/dev/null 2>&1,podman,the compose tests,podman on the PATH (podman-compose calls it): run 'sudo apt-get install -y podman')

test: lint browser-deps db-deps compose-deps
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest

bench: setup
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts

# Two commands: `make run` (set up + start the app) and `make test` (set up + lint + the whole test suite).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= $(or $(NNLIB_HOST),127.0.0.1)
PORT   ?= 8501

.PHONY: run test setup lint bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) -m streamlit run app.py --server.headless true --server.address $(HOST) --server.port $(PORT) \
		--browser.gatherUsageStats false

lint: setup
	$(PY) -m ruff check .
	$(VENV)/bin/hadolint Dockerfile

test: lint
	$(PY) -m pytest

bench: setup
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts

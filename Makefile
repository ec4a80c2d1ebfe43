# Aqari: `make run` to try it, `make test` to check it. Nothing else needs installing first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/lock.txt
DEV_ENV := AQARI_DEBUG=1 LC_ALL=C.UTF-8 LANG=C.UTF-8
TEST_ENV := $(DEV_ENV) AQARI_TEST=1 AQARI_FAST_PASSWORD_HASHER=1
PYTEST_ARGS ?=

.PHONY: run test lint format bench install clean-data

$(VENV)/.installed: $(LOCK)
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Aqari needs Python 3.11"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	@touch $@

install: $(VENV)/.installed

run: install
	$(DEV_ENV) $(BIN)/python -m aqari.launcher

test: install
	$(TEST_ENV) $(BIN)/python -m aqari.embedded run -- $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(DEV_ENV) AQARI_FAST_PASSWORD_HASHER=1 $(BIN)/python -m aqari.embedded run -- $(BIN)/python -m bench

clean-data:
	$(BIN)/python -m aqari.embedded stop || true
	rm -rf .data

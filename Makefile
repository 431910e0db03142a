# TickEx: `make run` and `make test` work on a fresh machine with Python 3.11+ and nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test install lint typecheck layers unit property contract integration bench bench-http clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "TickEx needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/tickex migrate
	$(BIN)/tickex seed-demo
	TICKEX_ORGANIZER_SELF_SERVE=$${TICKEX_ORGANIZER_SELF_SERVE:-true} $(BIN)/tickex serve

demo: install
	$(BIN)/tickex demo

lint: install
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)

typecheck: install
	$(BIN)/mypy src

test: lint typecheck
	$(BIN)/python -m pytest

layers unit property contract integration: install
	$(BIN)/python -m pytest tests/$(subst layers,architecture,$@)

bench: install
	$(BIN)/python bench/flash_sale.py

bench-http: install  # needs wrk (apt-get install -y wrk); docs/operations.md
	$(BIN)/python bench/flash_sale_http.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info src/*.egg-info

# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test install lint unit integration e2e messages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/iup db upgrade
	@echo "Demo people and their one-time sign-in links (each link works once):"
	@$(BIN)/iup demo
	@echo "Serving on http://localhost:8000 (Ctrl-C stops)"
	$(BIN)/iup serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check backend tests bench
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e

test: lint
	$(BIN)/pytest

# Extract the strings and merge them into every catalogue (then translate the new ones).
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -F i18n/babel.cfg -o i18n/messages.pot backend
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date -i i18n/messages.pot -d i18n

bench: $(STAMP)
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Two commands on a fresh machine: `make run` and `make test`.
# The first Python >= 3.11.10 found (older ones parse a crafted Cookie header in quadratic time).
FIT := import sys; sys.exit(sys.version_info < (3, 11, 10))
PYTHON ?= $(shell for p in python3 python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[1-9]*/bin/python3 /usr/local/bin/python3.1[1-9] 2>/dev/null | sort -rV); do $$p -c '$(FIT)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test install lint unit integration e2e messages bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "IUP needs Python 3.11.10 or newer; set PYTHON=/path/to/python3" >&2; exit 1; }
	$(BIN)/python -c '$(FIT)' 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
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

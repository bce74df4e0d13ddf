# Two commands on a fresh machine: `make run` and `make test`.
# The first Python >= 3.11.10 found (older ones parse a crafted Cookie header in quadratic time).
FIT := import sys; sys.exit(sys.version_info < (3, 11, 10))
PYTHON ?= $(shell for p in python3 python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[1-9]*/bin/python3 /usr/local/bin/python3.1[1-9] 2>/dev/null | sort -rV); do $$p -c '$(FIT)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
# Running needs the app's dependencies only; the test tools come with the first `make test`.
# One stamp each, named after pyproject.toml's checksum, so an edit there reinstalls.
SUM := $(shell cksum pyproject.toml | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.installed-run-$(SUM)
TEST_STAMP := $(VENV)/.installed-test-$(SUM)
PORT ?= 8000
# Every core; tests handed out two at a time, so the long ones (marked, started first) are
# spread over the cores instead of queued on one.
XDIST := -n auto --maxschedchunk 2

.PHONY: run test install lint unit integration e2e messages bench clean

define venv
	@test -n "$(PYTHON)" || { echo "IUP needs Python 3.11.10 or newer; set PYTHON=/path/to/python3" >&2; exit 1; }
	$(BIN)/python -c '$(FIT)' 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
endef

$(RUN_STAMP): pyproject.toml
	$(venv)
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-run-* && touch $(RUN_STAMP)

# The test tools include everything running needs, so this stamp stands for both.
$(TEST_STAMP): pyproject.toml
	$(venv)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $(TEST_STAMP) $(RUN_STAMP)

install: $(TEST_STAMP)

# The links lead to IUP_ORIGIN: on a phone, an https:// address (see the README). `iup serve`
# records it in var/origin, where `iup enrol` and `iup verify-signatures` in another shell
# find it, so every command uses the served origin and port.
run: export IUP_ORIGIN ?= http://localhost:$(PORT)
run: $(RUN_STAMP)
	@$(BIN)/iup db upgrade
	@echo
	@echo "Demo people: id (for .venv/bin/iup enrol ID), role, name, one-time sign-up link."
	@echo "Each link works once; the list is also in var/demo-links.txt."
	@echo
	@$(BIN)/iup demo --save var/demo-links.txt
	@echo
	@echo "Serving $$IUP_ORIGIN on 127.0.0.1:$(PORT) (Ctrl-C stops)"
	@$(BIN)/iup serve --host 127.0.0.1 --port $(PORT)

lint: $(TEST_STAMP)
	$(BIN)/ruff check backend tests bench build_hooks.py
	$(BIN)/mypy

unit: $(TEST_STAMP)
	$(BIN)/pytest tests/unit

integration: $(TEST_STAMP)
	$(BIN)/pytest $(XDIST) tests/integration
	IUP_TEST_DATABASE=postgresql $(BIN)/pytest $(XDIST) tests/integration

e2e: $(TEST_STAMP)
	$(BIN)/pytest tests/e2e

# The browser and load tests run alone (they measure a server under load); the integration,
# unit and packaging tests on every core, and the integration tests again on PostgreSQL
# (IUP_TEST_POSTGRES_URL, by default the local server; CI=true fails without it).
test: lint
	$(BIN)/pytest tests/e2e tests/load
	$(BIN)/pytest $(XDIST) tests/integration tests/unit tests/package
	IUP_TEST_DATABASE=postgresql $(BIN)/pytest $(XDIST) tests/integration

# Extract the strings and merge them into every catalogue (then translate the new ones).
messages: $(RUN_STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -F i18n/babel.cfg -o i18n/messages.pot backend
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date -i i18n/messages.pot -d i18n

bench: $(TEST_STAMP)
	$(BIN)/python bench/pages.py --json var/bench.json
	$(BIN)/python bench/organisation.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

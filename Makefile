# The two commands: `make run` and `make test`. Both set everything up by themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test reference-calculator browser voice-tools lint typecheck pytest check flows-test install-test bench schema clean ui-messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Where `make run` listens: `make run PORT=5050`, `make run HOST=0.0.0.0` (other machines).
HOST ?= 127.0.0.1
PORT ?= 5000

## Start the service on http://$(HOST):$(PORT) (shipped flows, SQLite under instance/).
run: $(STAMP)
	$(BIN)/outreach demo-data --if-empty
	@echo "outreach: open http://$(HOST):$(PORT)/simulator/ to talk to the flows,"
	@echo "          and http://$(HOST):$(PORT)/dashboard/ (demo / demo-password) for metrics"
	$(BIN)/outreach serve --host $(HOST) --port $(PORT)

## Lint, type-check, check the shipped content and run the whole test suite.
test: $(STAMP) reference-calculator browser voice-tools lint typecheck check flows-test pytest

# Headless Chromium for the page tests, from Debian's packages (it needs root, as in CI).
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "could not install chromium: the browser tests will be skipped"; \
	else echo "no chromium (install it: apt-get install chromium): browser tests will be skipped"; fi

# espeak-ng makes the voice tests' audio (test data, Spanish text only), from Debian's
# packages; without it those tests fail and say how to install it.
voice-tools:
	@if command -v espeak-ng >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) \
	  || echo "could not install espeak-ng: the voice tests will fail (apt-get install espeak-ng)"; \
	else echo "no espeak-ng (install it: apt-get install espeak-ng): the voice tests will fail"; fi

# Twilio's segment calculator (npm), for comparing our counts live; without npm the tests
# compare with the values it gave, committed in tests/data/.
reference-calculator:
	@if command -v npm >/dev/null 2>&1; then \
	  [ -d tests/js/node_modules/sms-segments-calculator ] || \
	  npm install --prefix tests/js --no-package-lock --no-audit --no-fund --silent || \
	  echo "npm install failed: segment tests use the committed reference values"; \
	else echo "no npm: segment tests use the committed reference values"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: $(STAMP)
	$(BIN)/outreach check flows/

flows-test: $(STAMP)
	$(BIN)/outreach test-flows

pytest: $(STAMP)
	$(BIN)/pytest

## Only the install test (also part of `make test`): the wheel in a fresh virtualenv,
## `outreach init`, gunicorn in production mode from the new folder.
install-test: $(STAMP)
	$(BIN)/pytest -m install --durations=3

bench: $(STAMP)
	$(BIN)/python bench/engine_turn.py
	$(BIN)/python bench/check_speed.py
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/webhook_under_dashboard.py
	$(BIN)/python bench/alerts.py
	$(BIN)/python bench/perturbation.py
	$(BIN)/python bench/demo_data.py

## Regenerate flows/schema.json after changing outreach/flowfile/spec.py.
schema: $(STAMP)
	$(BIN)/outreach schema > flows/schema.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

## Extract the staff interface's strings and update its Spanish catalog (then translate).
ui-messages: $(STAMP)
	$(BIN)/pybabel extract -F outreach/translations/babel.cfg -k N_ --no-location \
	  --sort-output --project outreach -o outreach/translations/dashboard.pot .
	$(BIN)/pybabel update -i outreach/translations/dashboard.pot -d outreach/translations \
	  -D dashboard -l es --no-wrap

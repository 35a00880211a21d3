# The two commands of the README: `make run` and `make test`. Everything they need is
# installed here, into .venv, from a clean clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck pytest install browser messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Browser modules from the npm registry, copied where the pages load them from.
VENDOR := static/vendor/socket.io/socket.io.esm.min.js
$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor/socket.io
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js static/vendor/socket.io/
	touch $@

install: $(STAMP) $(VENDOR)

run: install
	$(BIN)/python -m server migrate
	$(BIN)/python -m server seed-demo
	$(BIN)/python -m server serve

browser:
	@command -v chromium >/dev/null 2>&1 || bash scripts/install-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every package that exists (and bench/), type-checked together.
TYPED := $(sort $(dir $(wildcard server/*.py streaming/*.py chat/*.py checkout/*.py bench/*.py)))
typecheck: $(STAMP)
	$(BIN)/mypy $(TYPED)

pytest: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Re-extract translatable strings into each package's catalog (translations/*/LC_MESSAGES).
messages: $(STAMP)
	$(BIN)/python scripts/messages.py

clean:
	rm -rf $(VENV) var

# The two commands of the README: `make run` and `make test`. Everything they need is
# installed here, into .venv, from a clean clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements/lock.txt
# The stamp's name is a checksum of pyproject.toml and the lock: a change to either (not
# a mere touch) re-creates the environment from scratch, so it holds exactly the lock.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
PIP := $(BIN)/python -m pip --quiet

.PHONY: run test lint typecheck pytest install browser balancer messages settings-doc lock clean

# Every package comes from the lock, hash-checked (README, "Choices"). pip and setuptools
# go first, so the lock's sdists (localstripe) and the project itself are built with the
# locked back-end rather than one an isolated build would download unchecked.
$(STAMP):
	$(PYTHON) -m venv --clear $(VENV)
	awk '/^[^ #]/ {keep = /^(pip|setuptools)==/} keep' $(LOCK) > $(VENV)/build-tools.txt
	$(PIP) install --require-hashes --no-deps -r $(VENV)/build-tools.txt
	$(PIP) install --require-hashes --no-build-isolation -r $(LOCK)
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PIP) check || { echo "$(LOCK) does not fit pyproject.toml: run make lock"; exit 1; }
	touch $@

# Browser modules from the npm registry, copied where the pages load them from.
VENDOR := static/vendor/.installed-$(shell cat package.json package-lock.json | cksum | cut -d' ' -f1)
$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf static/vendor && mkdir -p static/vendor/socket.io static/vendor/hls.js
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js static/vendor/socket.io/
	cp node_modules/hls.js/dist/hls.min.mjs static/vendor/hls.js/
	touch $@

install: $(STAMP) $(VENDOR)

run: install
	$(BIN)/python -m server migrate
	$(BIN)/python -m server seed-demo
	$(BIN)/python -m server serve

browser:
	@command -v chromium >/dev/null 2>&1 || bash scripts/install-chromium.sh

# tests/deploy runs two workers behind Debian's HAProxy.
balancer:
	@command -v haproxy >/dev/null 2>&1 || bash scripts/install-haproxy.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy --strict over the packages, bench/ and tests/ ([tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install browser balancer
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Re-extract translatable strings into each package's catalog (translations/*/LC_MESSAGES).
messages: $(STAMP)
	$(BIN)/python scripts/messages.py

# The README's settings table, written from the declarations in server/settings.py.
settings-doc: $(STAMP)
	$(BIN)/python scripts/settings_doc.py

# Re-write the lock after editing pyproject.toml; `make lock UPGRADE=stripe` moves one
# package (and what it needs) to its newest allowed release (README, "Upgrading"). It
# uses the pip-compile of an environment installed before, which an edited
# pyproject.toml may no longer fit.
lock:
	$(BIN)/pip-compile $(if $(UPGRADE),--upgrade-package $(UPGRADE))

clean:
	rm -rf $(VENV) var

# The two commands a new machine needs: `make run` and `make test`. Everything else is a helper.
# Python tooling: a private uv (pinned) in .tools, the locked environment in .venv (uv.lock).

UV_VERSION := 0.13.9
PYTHON ?= python3
UV := .tools/bin/uv
RUN := $(UV) run --locked --no-progress
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test setup lint typecheck unit neo4j-install browser bench-ingest clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

setup: $(UV) ## Install the locked dependencies into .venv
	$(UV) sync --locked --no-progress

run: setup ## Serve tiegraph on 127.0.0.1:8000, embedded store, demo network, no auth (local development)
	$(RUN) tiegraph serve --demo --no-auth

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: setup
	$(RUN) mypy

neo4j-install: setup ## Fetch the Neo4j server jars once (cached outside git)
	$(RUN) tiegraph neo4j install

browser: ## Debian's Chromium, for the dashboard's test in a real browser (needs root or sudo)
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

test: setup lint typecheck neo4j-install browser ## Everything: lint, types, and the whole suite on both backends
	$(RUN) pytest

bench-ingest: setup
	$(RUN) python -m bench.ingest --people 10000 --backend both

clean:
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache

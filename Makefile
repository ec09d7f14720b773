# Kassan: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CHROMIUM ?= /usr/bin/chromium
# make demo PORT=5150 serves on another port; the links Kassan writes (QR codes, e-mails,
# posters) follow it. The demo's bankgiro is the one in Bankgirot's own example files, its
# Swish number the Swish test number, its Autogiro customer number a made-up one: the donor
# page then offers Bankgiro/OCR, Swish QR and monthly Autogiro.
PORT ?= 5000
DEMO_ENV := KASSAN_PUBLIC_BASE_URL=$${KASSAN_PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} \
	KASSAN_BANKGIRO=$${KASSAN_BANKGIRO:-991-2346} \
	SWISH_PAYEE_NUMBER=$${SWISH_PAYEE_NUMBER:-1231181189} \
	KASSAN_AUTOGIRO_CUSTOMER_NUMBER=$${KASSAN_AUTOGIRO_CUSTOMER_NUMBER:-471117}

.PHONY: demo test test-sqlite test-postgresql lint bench bench-peers mutation install chromium clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Kassan needs $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate a SQLite database under instance/, seed demo data, serve on
## http://127.0.0.1:$(PORT) (5000 unless PORT=... is given)
demo: $(STAMP)
	$(DEMO_ENV) $(BIN)/kassan db upgrade
	$(DEMO_ENV) $(BIN)/kassan demo seed
	$(DEMO_ENV) $(BIN)/kassan run --host 127.0.0.1 --port $(PORT) --no-reload

## Browser tests drive Debian's Chromium (Playwright cannot download its own here).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

## make test: install, then the whole suite on SQLite and again on PostgreSQL
test: $(STAMP) chromium
	$(BIN)/python -m tests.run

test-sqlite: $(STAMP) chromium
	KASSAN_TEST_DB=sqlite $(BIN)/pytest

test-postgresql: $(STAMP) chromium
	KASSAN_TEST_DB=postgresql $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check kassan ledger webhooks reports tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.run

## make bench-peers: Kassan beside django-hordak on one durable throwaway PostgreSQL (a few
## minutes; PEERS_ARGS=--peer-full for the issue's sizes). hordak gets a venv of its own under
## bench/peers/, never a dependency of Kassan.
PEER_VENV := bench/peers/.venv
$(PEER_VENV)/.installed: bench/peers/requirements.txt
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet -r bench/peers/requirements.txt
	touch $@

bench-peers: $(STAMP) $(PEER_VENV)/.installed
	$(BIN)/python -m bench.run --only peers --db postgresql $(PEERS_ARGS)

## make mutation: mutmut over the modules that decide money, each with its own tests (a long
## run, not part of make test); the scores go to docs/testing.md
mutation: $(STAMP)
	$(BIN)/python -m tests.mutation.run

clean:
	rm -rf $(VENV) mutants instance .pytest_cache .ruff_cache .mypy_cache

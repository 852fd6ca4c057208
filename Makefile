# Two commands matter: `make run` (set up and serve on SQLite) and `make test` (the whole suite).
# The interpreter for .venv: the distribution's own Python 3.11+ when there is one (Debian and Ubuntu build it
# with PGO and LTO: about 20 % less CPU per request in the bench than a plain source build such as pyenv's,
# and 45 % more doses/s at 8 clients), else python3 from PATH. `make PY=/path/to/python3` overrides it.
PY ?= $(shell for p in /usr/bin/python3 python3; do \
	$$p -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
# One database name per checkout (the test database is test_<name>): two checkouts' suites on one server would
# otherwise drop and create the same test database under each other.
CHECKOUT := $(subst -,_,$(subst .,_,$(notdir $(CURDIR))))
PG_URL ?= postgres://postgres@127.0.0.1:5432/shotlee_$(CHECKOUT)
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_ENV := SECRET_KEY=test-secret-key-not-for-production LEDGER_KEY=test-ledger-key-not-for-production-3f9a DEBUG=0 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 ALLOWED_HOSTS=127.0.0.1,localhost,testserver DJANGO_ALLOW_ASYNC_UNSAFE=true

.PHONY: run test test-sqlite test-postgres bench lint venv dev audit

$(BIN)/.installed: requirements.txt pyproject.toml
	@test -n "$(PY)" || { echo "Python 3.11 or newer with venv is needed: on Debian/Ubuntu apt-get install python3-venv, or set PY=/path/to/python3"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# Test and lint tools, on top of what running needs.
$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

dev: $(BIN)/.dev-installed

run: venv
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_guides
	DEBUG=1 $(BIN)/python manage.py check
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The two engines run side by side (much of the suite waits on servers, browsers and fsync, so two runs share
# 2 cores well); each one's output is printed whole when it ends. `make test-sqlite` runs one alone.
test: dev
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: dev
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

# Runs on PostgreSQL when one answers on 127.0.0.1:5432; CI sets SHOTLEE_REQUIRE_POSTGRES=1 so it cannot skip.
test-postgres: dev
	@if $(BIN)/python scripts/pg_ready.py "$(PG_URL)"; then \
		$(TEST_ENV) DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS); \
	elif [ -n "$$SHOTLEE_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required (SHOTLEE_REQUIRE_POSTGRES=1) but does not answer at $(PG_URL)"; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL run: no server at $(PG_URL) (set PG_URL, or start one)"; \
	fi

bench: dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/mypy
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

# Security checks (.ci/run): bandit over the code and pip-audit over the pinned requirements; each fails on a finding
# not accepted with its reason (bandit: pyproject.toml or `# nosec BXXX  # why`; pip-audit: .ci/pip-audit-accepted.txt).
audit: dev
	$(BIN)/bandit -c pyproject.toml -r shotlee -q
	$(BIN)/python scripts/audit_dependencies.py requirements.txt requirements-dev.txt

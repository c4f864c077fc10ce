# LoanFlow: `make demo` runs it on SQLite with demo data; `make test` runs the whole test suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The demo always uses the embedded defaults: a SQLite file and no broker.
DEMO_ENV := DATABASE_URL= REDIS_URL=

.PHONY: install demo test lint typecheck messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The scheduler (timer sweep and outbox relay) runs beside the web server, in place of Celery.
demo: $(STAMP)
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py load_demo
	$(DEMO_ENV) $(PY) manage.py load_portfolio_history
	$(DEMO_ENV) $(PY) manage.py run_scheduler & trap 'kill $$!' EXIT INT TERM; \
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# One worker per core (at most four); a worker that runs out of tests takes half of another's
# (the long browser and end-to-end modules would otherwise leave one worker last). TEST_ARGS= runs
# in one process.
TEST_ARGS ?= --numprocesses auto --maxprocesses 4 --dist worksteal
test: $(STAMP)
	$(PY) -m pytest $(TEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy .

# Benchmarks (docs/performance.md): every suite at full scale; BENCH_ARGS="engine --scale ci" for one.
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts .pytest_cache .mypy_cache .ruff_cache

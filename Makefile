# The two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1:8000

.PHONY: run chromium test test-pg prod-crawl ci lint format messages bench-seed clean

$(VENV)/.run-deps: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.run-deps requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.run-deps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST)/"
	$(PY) manage.py runserver $(HOST)

chromium:
	@test -x /usr/bin/chromium || scripts/install-chromium

test: $(VENV)/.dev-deps chromium
	$(VENV)/bin/pytest

test-pg: $(VENV)/.dev-deps chromium
	scripts/with-postgres $(VENV)/bin/pytest

# Production mode (DEBUG=0, gunicorn, collected static) on a throwaway database:
# every demo login, every page one level below its menu. See scripts/prod-crawl.
prod-crawl: $(VENV)/.run-deps
	scripts/prod-crawl

ci: test test-pg prod-crawl

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(VENV)/.dev-deps
	$(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

bench-seed: $(VENV)/.run-deps
	$(PY) bench/seed.py

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache

# The two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1:8000
# pytest-xdist workers: the browser tests wait on Chromium, two workers on two
# cores take the suite from 9.5 to 6.5 minutes (more gain nothing there).
WORKERS ?= 2

.PHONY: run chromium test test-kingadmin test-pg prod-crawl kingadmin-wheel ci lint format messages bench bench-smoke bench-seed clean

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
	PY=$(PY) scripts/serve $(HOST)

chromium:
	@test -x /usr/bin/chromium || scripts/install-chromium

test: $(VENV)/.dev-deps chromium test-kingadmin
	$(VENV)/bin/pytest -n $(WORKERS)

# kingadmin's own suite, on its toy project (kingadmin/tests/), Django's runner.
test-kingadmin: $(VENV)/.run-deps
	DJANGO_SETTINGS_MODULE=kingadmin.tests.settings $(PY) -m django test kingadmin.tests --verbosity 1

test-pg: $(VENV)/.dev-deps chromium
	scripts/with-postgres $(VENV)/bin/pytest -n $(WORKERS)
	scripts/with-postgres env DJANGO_SETTINGS_MODULE=kingadmin.tests.settings $(PY) -m django test kingadmin.tests --verbosity 1

# Production mode (DEBUG=0, gunicorn, collected static) on a throwaway database:
# every demo login, every page one level below its menu. See scripts/prod-crawl.
prod-crawl: $(VENV)/.run-deps
	scripts/prod-crawl

# The wheel of kingadmin, installed next to Django alone, passing its own tests.
kingadmin-wheel:
	PYTHON=$(PYTHON) scripts/kingadmin-wheel

ci: test test-pg prod-crawl kingadmin-wheel

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/kingadmin_size.py

format: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Two catalogues: the project's (locale/) and kingadmin's own, which ships
# with it (kingadmin/locale/).
messages: $(VENV)/.dev-deps
	$(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --ignore 'kingadmin/*' --no-obsolete
	cd kingadmin && ../$(VENV)/bin/django-admin makemessages --locale zh_Hans --ignore 'tests/*' --no-obsolete
	$(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

# The benches are the bench/*.py scripts with a main(), found here by that
# rather than listed: a new bench joins `make bench` and `make bench-smoke`
# (hence CI) by being written, and cannot be forgotten in a list. The support
# modules (harness.py, settings.py, urls.py, peer_admin.py) have no main().
BENCHES := $(shell grep -l '^def main\b' bench/*.py)
BENCH_SMOKES := $(BENCHES:%=smoke-%)

# Full size, by hand: many minutes (the first run seeds var/bench/). One at a
# time, as they time themselves; all of them, then fail naming any that failed.
bench: $(VENV)/.run-deps
	@failed=""; for bench in $(BENCHES); do \
	  echo "::: $(PY) $$bench"; $(PY) $$bench || failed="$$failed $$bench"; \
	done; test -z "$$failed" || { echo "!!! failed:$$failed" >&2; exit 1; }

# Does every bench still work (CI)? Tiny throwaway data, speed not judged, so
# two at a time (each has its own database and folder), each one's output in
# one piece (-O); all run (-k), then it fails if any failed.
bench-smoke: $(VENV)/.run-deps
	@started=$$(date +%s); \
	$(MAKE) --no-print-directory -k -j2 -O $(BENCH_SMOKES); status=$$?; \
	echo "::: $(words $(BENCHES)) bench smokes in $$(( $$(date +%s) - started ))s"; \
	exit $$status

.PHONY: $(BENCH_SMOKES)
$(BENCH_SMOKES): smoke-%:
	@echo "::: $(PY) $* --smoke"
	@$(PY) $* --smoke

bench-seed: $(VENV)/.run-deps
	$(PY) bench/seed.py

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache

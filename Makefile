# Two commands: `make run` and `make test`. Both bootstrap a fresh clone on their own.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements/*.txt | sha1sum | cut -c1-12)

.PHONY: run test lint typecheck check bench browser messages clean

$(STAMP): requirements/base.txt requirements/local.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/local.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	$(PY) -m ccaas.launcher run

# Debian's Chromium for the browser tests: installed when missing and we can (root + apt-get).
# When it cannot be installed, the browser tests fail (they never skip).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "WARNING: could not install chromium; browser tests will fail."; \
	  else echo "WARNING: /usr/bin/chromium is missing; browser tests will fail."; fi; \
	fi

test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m ccaas.check_imports
	DJANGO_SETTINGS_MODULE=ccaas.settings.test $(VENV)/bin/mypy apps ccaas
	$(PY) -m ccaas.launcher test $(ARGS)

# Layers: import-linter's contract in pyproject.toml; private names and cycles: ccaas/check_imports.py.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m ccaas.check_imports

typecheck: $(STAMP)
	DJANGO_SETTINGS_MODULE=ccaas.settings.test $(VENV)/bin/mypy apps ccaas

check: lint typecheck test

# `make bench BENCH=routing` (or chat, tenants, media_calls, journey, reporting); each benchmark starts its own database.
bench: $(STAMP)
	$(PY) benchmarks/$(or $(BENCH),routing).py $(ARGS)

messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=.data
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf .data/staticfiles

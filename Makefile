# The two commands a new user needs: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3

.PHONY: run test lint format chromium cjk-font messages

run: $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	exec $(PY) manage.py serve_all

test: $(VENV)/.installed-dev chromium cjk-font
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .
	$(VENV)/bin/lint-imports

$(VENV)/bin/python:
	$(SYSTEM_PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.installed-run $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Screenshots of the Chinese pages need a CJK font, or every character is an empty box.
cjk-font:
	@fc-list :lang=zh 2>/dev/null | grep -q . || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

# After changing text: collect the messages (needs GNU gettext, a developer tool only) and
# compile the catalogue with Babel. Both files are committed: running pushadmin needs neither.
messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --no-location -i ".venv/*" -i "tests/*" -i "var/*" \
		-i "bench/*" -i "ops/*" -i "static/*" -i "pushadmin/sandbox/*" -i "pushadmin/operations/*"
	$(PY) -m babel.messages.frontend compile -d pushadmin/locale -D django -l zh_Hans

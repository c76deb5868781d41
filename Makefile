# Two commands do all the set-up on a fresh Debian machine:
#   make app    install the app into .venv and run it (streamlit run app.py)
#   make test   install everything the tests need, Debian's chromium and nginx included, and run them
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: app test lint bench venv-app venv-dev chromium nginx

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv-app: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

venv-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

# Debian's packages $(2), unless the program $(1) is already there.
apt_install = if [ ! -x $(1) ]; then \
	$(SUDO) apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(2) >/dev/null; \
	fi

# Playwright cannot download its own browser here: the tests drive Debian's /usr/bin/chromium.
chromium:
	@$(call apt_install,/usr/bin/chromium,chromium fonts-dejavu-core)
	@/usr/bin/chromium --version

# Debian's nginx for the deploy recipe's test (`nginx -t` on the config deploy/run writes)
# and for `python -m bench hall --replicas`; the tests never start it.
nginx:
	@$(call apt_install,/usr/sbin/nginx,nginx-light)
	@/usr/sbin/nginx -v

app: venv-app
	$(BIN)/streamlit run app.py

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Two pytest-xdist workers (one per core here): the browser tests mostly wait on Chromium
# and the server, so another test runs meanwhile. worksteal: an idle worker takes tests
# still queued for the other. Each worker that runs a browser test starts its own server.
test: venv-dev chromium nginx lint
	$(BIN)/pytest -n 2 --dist worksteal --junitxml=test-results.xml

bench: venv-dev
	$(BIN)/python -m bench

# Two entry points, both safe to run on a fresh machine:
#   make briefs   set up, then build every shipped brief into build/
#   make test     set up (with test tools), then lint, type-check and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pip's own warnings (a machine's index settings, setuptools notices) look like failures to a
# campaigner: its output is kept in .venv/pip.log and shown only if it fails.
PIP = @sh -c '$(BIN)/python -m pip install --quiet "$$@" > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }' pip

.PHONY: briefs test test-fast lint pytest check clean page-images studio

briefs: $(VENV)/.installed
	$(BIN)/python -m compileall -q src/briefgen
	$(BIN)/briefgen build

# The campaigners' page in the browser (README: "The studio").
studio: $(VENV)/.installed
	$(BIN)/briefgen studio

check: $(VENV)/.installed
	$(BIN)/briefgen check --strict

test: $(VENV)/.installed-test
	$(MAKE) lint pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The fast tier, for the edit-run loop: everything that needs no browser, LibreOffice, Java or
# Node and no full build of the shipped project (the markers in pyproject.toml).
test-fast: $(VENV)/.installed-pytest
	$(BIN)/python -m pytest -m "not browser and not office and not validators and not slow"

# BRIEFGEN_REQUIRE_VALIDATORS: a validator missing here is a failure, never a skipped test.
pytest: $(VENV)/.installed-test
	BRIEFGEN_REQUIRE_VALIDATORS=1 $(BIN)/python -m pytest

# pip byte-compiles what it installs, but not an editable install's own sources: compileall
# does, or every briefgen command would compile them again where PYTHONDONTWRITEBYTECODE is set
# (0.15 to 0.2 s a start). Python checks each file's time stamp, so an edited one is recompiled.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -c constraints.txt -e .
	$(BIN)/python -m compileall -q src/briefgen
	touch $@

# The test tools from PyPI (enough for make test-fast), then the system's (make test).
$(VENV)/.installed-pytest: pyproject.toml constraints.txt $(VENV)/.installed
	$(PIP) -c constraints.txt -e '.[test]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-pytest node_modules/.installed
	touch $@

# Debian packages the tests need (Java, Chromium, poppler, gettext, Node.js), each only if missing.
$(VENV)/.system-deps: scripts/install-system-deps
	scripts/install-system-deps
	mkdir -p $(VENV)
	touch $@

# The npm validators (vnu-jar, axe-core) at package-lock.json's versions; npm ci runs only when
# the lock file is newer. --ignore-scripts: vnu-jar's own script would fetch a Java from GitHub
# when it finds none; the tests run Debian's (see scripts/install-system-deps).
node_modules/.installed: package-lock.json | $(VENV)/.system-deps
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The page images in docs/images/ (README "What you get"), from a fresh build.
page-images: $(VENV)/.installed-test
	$(BIN)/python scripts/page_images.py

clean:
	rm -rf build

# Two entry points, both safe to run on a fresh machine:
#   make briefs   set up, then build every shipped brief into build/
#   make test     set up (with test tools), then lint, type-check and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: briefs test lint pytest check clean page-images studio

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
	$(BIN)/mypy

# BRIEFGEN_REQUIRE_VALIDATORS: a validator missing here is a failure, never a skipped test.
pytest: $(VENV)/.installed-test
	BRIEFGEN_REQUIRE_VALIDATORS=1 $(BIN)/python -m pytest

# pip byte-compiles what it installs, but not an editable install's own sources: compileall
# does, or every briefgen command would compile them again where PYTHONDONTWRITEBYTECODE is set
# (0.15 to 0.2 s a start). Python checks each file's time stamp, so an edited one is recompiled.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	$(BIN)/python -m compileall -q src/briefgen
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
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

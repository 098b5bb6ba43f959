# Two entry points, both safe to run on a fresh machine:
#   make briefs   set up, then build every shipped brief into build/
#   make test     set up (with test tools), then lint, type-check and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: briefs test lint pytest check clean page-images

briefs: $(VENV)/.installed
	$(BIN)/briefgen build

check: $(VENV)/.installed
	$(BIN)/briefgen check --strict

test: $(VENV)/.installed-test
	$(MAKE) lint pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	$(BIN)/python -m pytest

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt $(VENV)/.installed
	scripts/install-system-deps
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# The page images in docs/images/ (README "What you get"), from a fresh build.
page-images: $(VENV)/.installed-test
	$(BIN)/python scripts/page_images.py

clean:
	rm -rf build

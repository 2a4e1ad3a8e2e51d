# The two commands of the README. Each sets up .venv from requirements.txt on first use.
# Python: PYTHON=..., else python3.11 (the version the suite is tested on), else the newest
# python3.x >= 3.11 on the PATH; none found: one line saying so.
PYTHON ?= $(shell for p in python3.11 python3.14 python3.13 python3.12 python3; do \
  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  && { echo $$p; break; }; done)
VENV := .venv
# pytest-xdist workers of make test and make check (the machines have 2 cores)
JOBS ?= 2
PY := $(VENV)/bin/python

.PHONY: book test check lint clean chromium site release

MATHJAX := 3.2.2
AXE := 4.14.1
CHROMIUM_BIN ?= chromium  # what `make chromium` looks for on the PATH
STATIC := $(VENV)/book-static
# axe-core for tests/test_accessibility.py: outside $(STATIC), so the book does not ship it
AXE_JS := $(VENV)/npm/node_modules/axe-core/axe.min.js

# The build ends with the PDF edition, book/_build/html/book.pdf, printed by Debian's chromium
# (analysis/pdf.py); without chromium it says so in one line and the HTML has no PDF link
# (`make chromium` installs it; `make test` does, and fails under CI=true without it).
# An edition of the book for your scenario or values (README: "Your own edition of the book"), e.g.
#   make book ARGS="--scenario peru=conservative --set peru.discount_rate=0.10"
book: $(VENV)/.installed $(STATIC)/mathjax/tex-chtml-full.js  ## execute the notebooks whose inputs changed, build the HTML book and its PDF
	$(PY) -m analysis build $(ARGS)

test: $(VENV)/.installed $(STATIC)/mathjax/tex-chtml-full.js $(AXE_JS) chromium  ## the full test suite, nbval and the browser test included
	$(PY) -m pytest -n $(JOBS) --dist loadscope --no-loadscope-reorder $(ARGS)

check: $(VENV)/.installed  ## the fast tier (under a minute): unit tests and lint, no notebooks, builds or browser
	$(PY) -m pytest -n $(JOBS) --dist loadscope --no-loadscope-reorder -m "not slow" -p no:nbval -o addopts="-ra" tests $(ARGS)

lint: $(VENV)/.installed  ## ruff: lint and format the tree in place
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# tests/test_browser.py drives Debian's chromium with Playwright (no browser download). As root
# (CI) it is installed with apt-get; otherwise one line says how, and the browser and PDF tests
# are skipped (under CI=true they fail instead).
chromium:
	@command -v $(CHROMIUM_BIN) >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	elif [ "$$CI" = true ]; then \
	  echo "make: chromium is missing and CI=true: install Debian's chromium (sudo apt-get install chromium)" >&2; exit 1; \
	else \
	  echo "make: chromium is missing, so the browser and PDF tests are skipped; install it with: sudo apt-get install chromium"; \
	fi

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: no Python >= 3.11 found: install one (3.11 is tested) or pass PYTHON=/path/to/python3" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# A local MathJax copy (npm registry) so that formulas render without internet.
$(STATIC)/mathjax/tex-chtml-full.js:
	npm install --silent --no-audit --no-fund --prefix $(VENV)/npm mathjax@$(MATHJAX)
	mkdir -p $(STATIC)/mathjax/output/chtml/fonts
	cp $(VENV)/npm/node_modules/mathjax/es5/tex-chtml-full.js $(STATIC)/mathjax/
	cp -r $(VENV)/npm/node_modules/mathjax/es5/output/chtml/fonts/woff-v2 $(STATIC)/mathjax/output/chtml/fonts/

# A local axe-core (npm registry) that the accessibility test injects into every page, offline.
$(AXE_JS):
	npm install --silent --no-audit --no-fund --save-exact --prefix $(VENV)/npm axe-core@$(AXE)

# Every release built from its own commit, and the current book, into site/ with a version switcher.
site: $(VENV)/.installed $(STATIC)/mathjax/tex-chtml-full.js  ## build site/: every release, latest, and the current book
	$(PY) -m analysis site $(ARGS)

# make release VERSION=0.2.0: needs a "## 0.2.0 (date)" section in CHANGELOG.md and a clean work tree.
release: $(VENV)/.installed $(STATIC)/mathjax/tex-chtml-full.js  ## set the version, rebuild, snapshot the results, commit and tag
	$(PY) -m analysis release $(VERSION) $(ARGS)

clean:
	rm -rf book/_build $(VENV)

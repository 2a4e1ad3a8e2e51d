# The two commands of the README. Each sets up .venv from requirements.txt on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: book test check lint clean chromium site release

MATHJAX := 3.2.2
STATIC := $(VENV)/book-static

# The build ends with the PDF edition, book/_build/html/book.pdf, printed by Debian's chromium
# (analysis/pdf.py); without chromium it says so in one line and the HTML has no PDF link
# (`make chromium` installs it; `make test` does, and fails under CI=true without it).
# An edition of the book for your scenario or values (README: "Your own edition of the book"), e.g.
#   make book ARGS="--scenario peru=conservative --set peru.discount_rate=0.10"
book: $(VENV)/.installed $(STATIC)/mathjax/tex-chtml-full.js  ## execute the notebooks whose inputs changed, build the HTML book and its PDF
	$(PY) -m analysis build $(ARGS)

test: $(VENV)/.installed $(STATIC)/mathjax/tex-chtml-full.js chromium  ## the full test suite, nbval and the browser test included
	$(PY) -m pytest $(ARGS)

check: $(VENV)/.installed  ## the fast tier (under a minute): unit tests and lint, no notebooks, builds or browser
	$(PY) -m pytest -m "not slow" -p no:nbval -o addopts="-ra" tests $(ARGS)

lint: $(VENV)/.installed  ## ruff: lint and format the tree in place
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# tests/test_browser.py drives Debian's chromium with Playwright (no browser download).
# CI runs as root on Debian; elsewhere install chromium yourself.
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

$(VENV)/.installed: requirements.txt pyproject.toml
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

# Every release built from its own commit, and the current book, into site/ with a version switcher.
site: $(VENV)/.installed $(STATIC)/mathjax/tex-chtml-full.js  ## build site/: every release, latest, and the current book
	$(PY) -m analysis site $(ARGS)

# make release VERSION=0.2.0: needs a "## 0.2.0 (date)" section in CHANGELOG.md and a clean work tree.
release: $(VENV)/.installed $(STATIC)/mathjax/tex-chtml-full.js  ## set the version, rebuild, snapshot the results, commit and tag
	$(PY) -m analysis release $(VERSION) $(ARGS)

clean:
	rm -rf book/_build $(VENV)

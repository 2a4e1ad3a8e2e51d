# The two commands of the README. Each sets up .venv from requirements.txt on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: book test clean

book: $(VENV)/.installed  ## execute the notebooks whose inputs changed, build the HTML book
	$(PY) -m analysis build $(ARGS)

test: $(VENV)/.installed  ## the full test suite, nbval on the executed notebooks included
	$(PY) -m pytest $(ARGS)

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf book/_build $(VENV)

"""Prose follows the parameters: no parameter value or computed figure is typed by hand in a
chapter's text (every number reaches it through glue), and the glued text changes when the
parameters do."""

from __future__ import annotations

import math
import re

import nbformat
import pytest

from analysis import build
from analysis.evaluations import REGISTRY
from analysis.params import ROOT

CHAPTERS = list(REGISTRY)

# What is removed from a markdown cell before looking for digits: the places where a number is
# not typed prose.
_STRIPPED = (
    re.compile(r"^```.*?^```", re.S | re.M),  # fenced code (command lines)
    re.compile(r"\{[a-z:]+\}`[^`]*`"),  # roles: glue, cite, ref, term, download
    re.compile(r"^\([\w-]+\)=$", re.M),  # section labels
    re.compile(r"`[^`]*`"),  # code spans: parameter names, file names
)
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
# Numbers a formula may hold: its structure (first period, squares, months in a year), never a
# parameter value.
MATH_NUMBERS = {"0", "1", "2", "12"}
_SYMBOL_INDEX = re.compile(r"(?<=[A-Za-z])\^\d(?!\d)")  # numbered symbols: the benefits B^1, B^2, B^3

# Labels that hold digits but are no value: each pattern names the kind of label it lets through.
ALLOWED = (
    r"\bTablas?\s+\d+(?:\s*(?:-|–|,|and|y)\s*\d+)*",  # the document's tables: "Tabla 6", "Tablas 1-3"
    r"\bTable\s+\d+",  # the book's own table numbers
    r"\b[Pp]aras?\.\s+\d+(?:\.\d+)*(?:\([ivx]+\))?",  # paragraphs: "para. 2.17", "para. 5.3(ii)"
    r"\b[Ff]ootnotes?\s+\d+(?:\s*(?:,|and)\s*\d+)*",  # footnotes: "footnote 2", "footnotes 1 and 2"
    r"\bHipótesis\s+\d+(?:\s*(?:,|and)\s*\d+)*",  # the document's hypotheses
    r"\bEscenarios?\s+\d+(?:\s*(?:,|and)\s*\d+)*",  # and its scenario numbers within them
    r"\bConclusion\s+\d+(?:\.\d+)*",  # the document's numbered conclusions
    r"\b[Ss]ub(?:component\s+|componente\s+)?\d\b",  # the subcomponents: "Subcomponent 1", "Sub1"
    r"\bBenefits?\s+\d+(?:\s*(?:,|and)\s*\d+)*",  # the numbered benefits of a cash-flow table
    r"\b(?:year|period)[\s-]1\b",  # the first period, a position, not a value
    r"\b(?:19|20)\d\d\b(?![.,]\d)",  # years: of a survey, of national accounts, of publication
    r"\bSHA-256\b",  # the name of the hash
    r"^\s*\d+\.\s",  # numbered lists
    r"\(1\+2−3\+4\+5\+6\)",  # column numbers of the El Salvador Tabla 5 header, quoted
)
_ALLOWED = re.compile("|".join(f"(?:{p})" for p in ALLOWED), re.M)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _markdown(name: str) -> list:
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def typed_numbers(text: str) -> list:
    """The numbers typed by hand in a markdown text: what is left once roles, code, labels and
    the structural numbers of formulas are taken out."""
    for pattern in _STRIPPED:
        text = pattern.sub(" ", text)
    formulas = [_SYMBOL_INDEX.sub(" ", m) for m in _MATH.findall(text)]
    found = [n for m in formulas for n in _NUMBER.findall(m) if n not in MATH_NUMBERS]
    text = _ALLOWED.sub(" ", _MATH.sub(" ", text))
    return found + _NUMBER.findall(text)


def test_typed_numbers_finds_values_and_lets_labels_through():
    assert typed_numbers("at a 12 % discount rate over 20 years") == ["12", "20"]
    assert typed_numbers("$T = 20$ and $r_m = (1 + i)^{1/12} - 1$") == ["20"]
    assert typed_numbers("Tabla 6, para. 2.5 and footnote 11 (ENAHO 2022); Subcomponent 1") == []
    assert typed_numbers("USD {glue:text}`pe_npv:,.0f` ({cite}`idb_pe_fmv`), `h1_s1.yaml`") == []
    assert typed_numbers("1. **Home value** is 42,582") == ["42,582"]


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_prose_types_no_number(name):
    typed = [(i, n) for i, text in _markdown(name) for n in typed_numbers(text)]
    assert not typed, f"notebooks/{name}.ipynb: numbers typed in markdown (cell, number): {typed}"

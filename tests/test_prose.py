"""Prose follows the parameters: no parameter value or computed figure is typed by hand in a
chapter's text (every number reaches it through glue), and the glued text changes when the
parameters do."""

from __future__ import annotations

import math
import re
import time

import nbformat
import pytest

from analysis import evaluations
from analysis.core.params import ROOT
from analysis.evaluations import REGISTRY
from analysis.publish import build

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
# numbered symbols: the benefits B^1, B^2, B^3, the categories' rates c_1, c_2
_SYMBOL_INDEX = re.compile(r"(?<=[A-Za-z])[\^_]\d(?!\d)")

# Labels that hold digits but are no value: each pattern names the kind of label it lets through.
ALLOWED = (
    r"\bTablas?\s+\d+(?:\s*(?:-|–|,|and|y)\s*\d+)*",  # the document's tables: "Tabla 6", "Tablas 1-3"
    r"\b[Tt]ables?\s+\d+(?:\.\d+)*",  # the book's table numbers, the GRET document's "table 3.3"
    r"\b[Ss]ections?\s+\d+(?:\.\d+)*",  # the document's sections: "section 1.6"
    r"^#+\s+\d+(?:\.\d+)*\.?\s",  # headings numbered as the document's sections: "### 3.1 Savings"
    r"\b(?:[Ll]oans?|[Cc]ategory|préstamo)[\s-]\d\b",  # the document's two loans and two saver categories
    r"\bíndices?\s+\d+(?:\s+to\s+\d+)?",  # the document's numbered interest-rate indices
    r"\b[Pp]aras?\.\s+\d+(?:\.\d+)*(?:\([ivx]+\))?",  # paragraphs: "para. 2.17", "para. 5.3(ii)"
    r"\b[Ff]ootnotes?\s+\d+(?:\s*(?:,|and)\s*\d+)*",  # footnotes: "footnote 2", "footnotes 1 and 2"
    r"\bHipótesis\s+\d+(?:\s*(?:,|and)\s*\d+)*",  # the document's hypotheses
    r"\bEscenarios?\s+\d+(?:\s*(?:,|and)\s*\d+)*",  # and its scenario numbers within them
    r"\bConclusion\s+\d+(?:\.\d+)*",  # the document's numbered conclusions
    r"\b[Ss]ub(?:component\s+|componente\s+)?\d\b",  # the subcomponents: "Subcomponent 1", "Sub1"
    r"\bBenefits?\s+\d+(?:\s*(?:,|and)\s*\d+)*",  # the numbered benefits of a cash-flow table
    r"\b(?:year|period|generation)[\s-]1\b",  # the first period or generation, a position, not a value
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
    text = text.replace("\\$", " ")  # an escaped dollar sign (k\$ in GRET's text) opens no formula
    formulas = [_SYMBOL_INDEX.sub(" ", m) for m in _MATH.findall(text)]
    found = [n for m in formulas for n in _NUMBER.findall(m) if n not in MATH_NUMBERS]
    text = _ALLOWED.sub(" ", _MATH.sub(" ", text))
    return found + _NUMBER.findall(text)


def test_typed_numbers_finds_values_and_lets_labels_through():
    assert typed_numbers("at a 12\u00a0% discount rate over 20 years") == ["12", "20"]
    assert typed_numbers("$T = 20$ and $r_m = (1 + i)^{1/12} - 1$") == ["20"]
    assert typed_numbers("Tabla 6, para. 2.5 and footnote 11 (ENAHO 2022); Subcomponent 1") == []
    assert typed_numbers("USD {glue:text}`pe_npv:,.0f` ({cite}`idb_pe_fmv`), `h1_s1.yaml`") == []
    assert typed_numbers("1. **Home value** is 42,582") == ["42,582"]
    assert typed_numbers("### 3.1 Savings of category 1, loan 2 (section 1.6, table 3.3)\n$c_1 + B^2$") == []
    assert typed_numbers("loan 1 over 7 to 8 years") == ["7", "8"]
    assert typed_numbers("in k\\$. Generation $g = 1, \\dots, H$ at 5\u00a0%") == ["5"]


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_prose_types_no_number(name):
    typed = [(i, n) for i, text in _markdown(name) for n in typed_numbers(text)]
    assert not typed, f"notebooks/{name}.ipynb: numbers typed in markdown (cell, number): {typed}"


# --- the glued text follows the parameters (executes every chapter twice) --------------------------

_GLUE_ROLE = re.compile(r"\{glue(?::text|:md)?\}`([\w]+)")


def glued(path) -> dict:
    """The values an executed notebook glues (myst-nb's scrapbook outputs), by name, as text."""
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = o["data"]
                out[name] = data.get("application/papermill.record/text/markdown") or data.get(
                    "application/papermill.record/text/plain"
                )
    return out


def used_in_prose(name: str) -> set:
    """The glue names the chapter's markdown cells use."""
    return {n for _, text in _markdown(name) for n in _GLUE_ROLE.findall(text)}


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _shows(values: dict, x: float) -> bool:
    """Whether some glued number is ``x`` (as a fraction, or in percent)."""
    return any(
        v is not None and any(math.isclose(v, y, rel_tol=1e-9, abs_tol=1e-12) for y in (x, 100 * x))
        for v in values.values()
    )


def perturbation(name: str) -> dict:
    """Overrides for chapter ``name``, derived from its data: the first two (or one) parameters with a
    declared range (the uncertainty ranges of the parameter files; the discount rate first where
    it has one) whose value the book's page shows, each moved to the far end of its range."""
    ev = evaluations.get(name)
    sc = ev.load()
    shown = {k: _number(v) for k, v in glued(ROOT / "book" / f"{name}.ipynb").items() if k in used_in_prose(name)}
    out = {}
    for key in sorted(sc.entries, key=lambda k: k != "discount_rate"):  # stable: the file's order after
        e, value = sc.entries[key], sc.values[key]
        # shown: by a glued number of that value whose name has the parameter's first word (a
        # number equal by coincidence does not count)
        named = {k: v for k, v in shown.items() if key.split("_")[0] in k.split("_")}
        if "range" not in e or not _shows(named, value):
            continue
        lo, hi = e["range"]["low"], e["range"]["high"]
        far = hi if abs(hi - value) >= abs(value - lo) else lo
        if far != value:
            out[key] = int(far) if ev.parameters[key].kind == "integer" else float(far)
        if len(out) == 2:
            break
    return out


def test_every_chapter_has_a_perturbation():
    for name in CHAPTERS:
        assert perturbation(name), f"{name}: no parameter with a declared range that the prose shows"


@pytest.fixture(scope="module")
def executed(tmp_path_factory, monkeypatch_module):
    """Each chapter at the book's scenario (its executed page, book/<name>.ipynb, which
    test_committed_notebook_is_up_to_date and nbval check) and executed with its perturbation."""
    monkeypatch_module.setenv("PYTHONPATH", str(ROOT))  # the kernel imports this checkout's package
    out, start = {}, time.perf_counter()
    for name in CHAPTERS:
        ev = evaluations.get(name)
        out[name, "book"] = glued(ROOT / "book" / f"{name}.ipynb")
        dest = tmp_path_factory.mktemp(f"{name}-perturbed") / f"{name}.ipynb"
        parameters = {"scenario": ev.scenario, "overrides": perturbation(name)}
        build.execute(ROOT / "notebooks" / f"{name}.ipynb", dest, parameters, "")
        out[name, "perturbed"] = glued(dest)
    out["seconds"] = time.perf_counter() - start
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_glued_prose_follows_the_parameters(executed, name):
    ev, overrides = evaluations.get(name), perturbation(name)
    used = used_in_prose(name)
    book, perturbed = ({k: v for k, v in executed[name, run].items() if k in used} for run in ("book", "perturbed"))
    assert used <= set(book) and used <= set(perturbed), f"{name}: prose uses unglued names {used - set(book)}"
    for run, values in (("book", book), ("perturbed", perturbed)):
        nan = sorted(k for k, v in values.items() if str(v).strip().lower() in ("nan", "inf", "-inf", "none"))
        assert not nan, f"{name} ({run}): glued numbers the prose uses are not numbers: {nan}"
    numbers = {
        run: {k: _number(v) for k, v in values.items()} for run, values in (("book", book), ("perturbed", perturbed))
    }
    base_values = ev.load().values
    for key, value in overrides.items():
        # the prose shows each overridden value in the perturbed run, and the book's value in the book's run
        assert _shows(numbers["perturbed"], value), f"{name}: no glued number of the prose shows {key} = {value}"
        assert _shows(numbers["book"], base_values[key]), f"{name}: no glued number shows {key} = {base_values[key]}"
    # the decision measure, as the prose shows it, moves with the parameters
    metric = ev.criterion.metric
    at_book, at_perturbed = ev.run()[1].metrics[metric], ev.run(None, overrides)[1].metrics[metric]
    assert at_book != at_perturbed
    assert _shows(numbers["book"], at_book) and _shows(numbers["perturbed"], at_perturbed), (
        f"{name}: {metric} not glued"
    )
    changed = {k for k in used if book[k] != perturbed[k]}
    assert len(changed) >= 3, f"{name}: only {sorted(changed)} of the glued prose change with {overrides}"

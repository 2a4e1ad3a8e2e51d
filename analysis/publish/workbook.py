"""Live-formula workbooks: each evaluation as a spreadsheet that recalculates to the book's numbers.

``write(name, scenario, overrides, path)`` writes, with xlsxwriter:

* **Inputs**: every parameter of the scenario (value, unit, source, locator, note); each value a
  named cell (``p_<parameter>``; list items ``p_<parameter>_<i>`` and the range ``p_<parameter>``;
  a term mix ``p_<parameter>_terms`` / ``p_<parameter>_shares``), styled as an input. Formulas
  refer to inputs only by these names: no parameter value is typed into a formula.
* **Calculation** sheets written by the evaluation's ``workbook.calculation(book, values)``
  (``analysis/evaluations/<name>/workbook.py``), one consistent formula across each row.
* **Outputs**: every metric of the evaluation's run (and what the evaluation adds) as a formula.
* **Checks**: each output beside the Python value at build time and, at the document's inputs only,
  the published figure with its verdict (at other inputs the note says why there is none).
* **About**: version, commit, scenario, the parameters' SHA-256, how to read the workbook.

Every formula cell stores the Python result as its cached value, so that viewers which do not
recalculate still show the right numbers, and the file's properties carry a fixed date: the same
inputs give the same bytes. Structural parameters (a horizon, a loan term: they set the number of
rows) are marked as such on the Inputs sheet; changing them needs a new workbook. An evaluation's
workbook module declares them (``STRUCTURAL``), and any number its formulas carry besides unit
conversions (``CONSTANTS``: number -> why, e.g. a schedule the model fixes).
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path

from .. import __version__, evaluations
from ..core import params, verdict
from ..core.sheets import Book, cell, number
from . import bibliography, contents

FIXED_DATE = _dt.datetime(2026, 1, 1)  # file properties: same inputs, same bytes
INPUTS, OUTPUTS, CHECKS, ABOUT = "Inputs", "Outputs", "Checks", "About"
# xlsxwriter options: a string is written as a string, never as a number, a formula ("=...") or a
# link ("http://...", "external:..."): a locator or a note from a parameter file is text.
TEXT_ONLY = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}


def _write_inputs(book: Book, scenario, specs: dict, structural: set) -> None:
    ws = book.wb.add_worksheet(INPUTS)
    head = ["parameter", "value", "unit", "source", "locator", "note", "meaning", "term (years)"]
    ws.write_row(0, 0, head, book.fmt("header"))
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 6, 28)
    row = 1
    for key, e in scenario.entries.items():
        value = e["value"]
        note = e.get("note", "") or ""
        if key in structural:
            note = (note + " " if note else "") + "[structural: it sets the layout; write a new workbook to change it]"
        meaning = getattr(specs.get(key), "doc", "")
        if isinstance(value, dict):  # a term mix: one row per term, terms and shares named
            terms, shares = [], []
            for term, share in value.items():
                ws.write(row, 0, f"{key} [{term} years]")
                ws.write_number(row, 1, share, book.fmt("input"))
                ws.write_number(row, 7, term, book.fmt("input"))
                shares.append(row)
                terms.append(row)
                ws.write_row(row, 2, [e["unit"], bibliography.label(e["source"]), e["locator"], note, meaning])
                row += 1
            book.wb.define_name(f"p_{key}_shares", f"={INPUTS}!$B${shares[0] + 1}:$B${shares[-1] + 1}")
            book.wb.define_name(f"p_{key}_terms", f"={INPUTS}!$H${terms[0] + 1}:$H${terms[-1] + 1}")
            book.names[key] = (f"p_{key}_terms", f"p_{key}_shares")
            continue
        if isinstance(value, list) and not value:  # an empty list: one blank cell, so that the name exists
            ws.write(row, 0, f"{key} (none)")
            ws.write_blank(row, 1, None, book.fmt("input"))
            ws.write_row(row, 2, [e["unit"], bibliography.label(e["source"]), e["locator"], note, meaning])
            book.wb.define_name(f"p_{key}", f"={INPUTS}!$B${row + 1}")
            book.names[key] = []
            row += 1
            continue
        if isinstance(value, list):
            names = []
            for i, v in enumerate(value):
                ws.write(row, 0, f"{key} [{i + 1}]")
                ws.write(row, 1, v, book.fmt("input"))
                source = bibliography.label(e["source"])
                ws.write_row(row, 2, [e["unit"], source, e["locator"], note if i == 0 else "", meaning])
                book.wb.define_name(f"p_{key}_{i + 1}", f"={INPUTS}!$B${row + 1}")
                names.append(f"p_{key}_{i + 1}")
                row += 1
            if value:
                first = row - len(value) + 1
                book.wb.define_name(f"p_{key}", f"={INPUTS}!$B${first}:$B${row}")
            book.names[key] = names
            continue
        ws.write(row, 0, key)
        ws.write(row, 1, value, book.fmt("input"))
        ws.write_row(row, 2, [e["unit"], bibliography.label(e["source"]), e["locator"], note, meaning])
        book.wb.define_name(f"p_{key}", f"={INPUTS}!$B${row + 1}")
        book.names[key] = f"p_{key}"
        row += 1
    ws.freeze_panes(1, 1)


def _write_outputs(book: Book) -> dict:
    """Outputs sheet; returns output name -> the A1 reference of its formula (for Checks)."""
    ws = book.wb.add_worksheet(OUTPUTS)
    ws.write_row(0, 0, ["output", "meaning", "unit", "value"], book.fmt("header"))
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 60)
    ws.set_column(2, 3, 18)
    refs = {}
    for i, o in enumerate(book.outputs, start=1):
        ws.write_row(i, 0, [o.name, o.label, o.unit])
        ws.write_formula(i, 3, o.formula, book.fmt("number"), number(o.value))
        book.wb.define_name(f"out_{o.name.replace('.', '_')}", f"={OUTPUTS}!$D${i + 1}")
        refs[o.name] = f"{OUTPUTS}!$D${i + 1}"
    return refs


def changed_inputs(scenario) -> list:
    """The parameters an override sets to a value other than the scenario's own."""
    return [k for k, e in scenario.entries.items() if e["replaced"] and e["replaced"]["value"] != e["value"]]


def _write_checks(book: Book, refs: dict, changed: list) -> None:
    """Checks: each output beside the Python value and, only at the document's inputs (the
    figure's scenario, no override changing a value), beside the published figure with a verdict.
    At other inputs a figure would be compared with a value it does not belong to: the note says so."""
    ws = book.wb.add_worksheet(CHECKS)
    head = ["output", "workbook", "Python (at writing)", "difference", "published", "verdict (Python)", "note"]
    ws.write_row(0, 0, head, book.fmt("header"))
    ws.set_column(0, 0, 30)
    ws.set_column(1, 4, 18)
    ws.set_column(5, 5, 26)
    ws.set_column(6, 6, 60)
    for i, o in enumerate(book.outputs, start=1):
        ws.write(i, 0, o.name)
        ws.write_formula(i, 1, f"={refs[o.name]}", book.fmt("number"), number(o.value))
        ws.write(i, 2, number(o.value), book.fmt("number"))
        ws.write_formula(
            i, 3, f"={cell(i, 1)}-{cell(i, 2)}", book.fmt("number"), 0.0 if math.isfinite(o.value) else "#NUM!"
        )
        pub = o.published
        if pub is None:
            continue
        if changed:
            ws.write(
                i,
                6,
                f"not comparable: computed at inputs other than the document's (overrides: {', '.join(changed)}); "
                f"the document's figure ({pub.locator}) belongs to scenario {book.scenario} without them",
            )
            continue
        verdict_, why = pub.verdict(o.value)
        ws.write_number(i, 4, pub.value, book.fmt("number"))
        ws.write(i, 5, verdict_)
        ws.write(i, 6, f"{pub.locator}; {why}" if why else pub.locator)
    note = (
        "The workbook column recalculates from the Inputs sheet; the Python column is the book's model "
        "when the workbook was written. With the inputs unchanged they agree to rounding. The verdict "
        "judges the Python column against the published figure at its printed precision (or a stated "
        "tolerance), only where the workbook was written at the document's inputs."
    )
    ws.write(len(book.outputs) + 2, 0, note, book.fmt("note"))


def _write_about(book: Book, ev, scenario, overrides: dict, commit: str) -> None:
    ws = book.wb.add_worksheet(ABOUT)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 100)
    rows = [
        ("evaluation", ev.title),
        ("scenario", scenario.name),
        ("overrides", ", ".join(f"{k} = {v!r}" for k, v in overrides.items()) or "none"),
        ("analysis version", __version__),
        ("commit", commit),
        ("parameters SHA-256", scenario.sha256),
        ("verdict (the book's, at these inputs)", verdict.analysed(ev, scenario.name, overrides)["verdict"].sentence),
        (
            "how to read it",
            "Yellow cells on the Inputs sheet are the assumptions, each with its source and locator; change "
            "them and every calculation sheet and the Outputs recalculate (structural parameters excepted). "
            "Each calculation row uses one formula across its columns. Spreadsheet NPV() discounts its first "
            "value: the sheets discount each flow explicitly instead. Checks compares the outputs with the "
            "book's Python model at writing time and, when the workbook is written at the document's "
            "inputs, with the published figures.",
        ),
    ]
    for i, (k, v) in enumerate(rows):
        ws.write(i, 0, k, book.fmt("header"))
        ws.write(i, 1, v)


# xlsxwriter rewrites every formula with 29 regular expressions, one per dynamic-array function
# (half the time of writing GRET's 6,600 formulas), and none matches ours. One combined search of
# the same expressions says whether any would; only then do they run. Same text either way
# (tests/test_workbook.py compares the two on every formula of the three workbooks).
DYNAMIC = (
    r"\b(?:ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|MAKEARRAY|MAP|"
    r"RANDARRAY|REDUCE|SCAN|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|TOCOL|TOROW|UNIQUE|VSTACK|"
    r"WRAPCOLS|WRAPROWS|XLOOKUP)\(|\SINGLE\("  # \SINGLE: xlsxwriter's own (unanchored) pattern
)
_WORKSHEET = None


def worksheet_class():
    """xlsxwriter's ``Worksheet`` whose formula preparation skips the dynamic-array rewrites when
    none of them applies (made on first use: xlsxwriter is imported only to write a workbook)."""
    global _WORKSHEET
    if _WORKSHEET is None:
        import re

        from xlsxwriter.worksheet import Worksheet

        dynamic = re.compile(DYNAMIC)

        class PreparedWorksheet(Worksheet):
            def _prepare_formula(self, formula, expand_future_functions=False):
                if self.use_future_functions or expand_future_functions or dynamic.search(formula):
                    return super()._prepare_formula(formula, expand_future_functions)
                # what xlsxwriter returns when no rewrite applies: without braces and the leading =
                formula = formula[1:] if formula.startswith("{") else formula
                formula = formula[1:] if formula.startswith("=") else formula
                return formula[:-1] if formula.endswith("}") else formula

        _WORKSHEET = PreparedWorksheet
    return _WORKSHEET


def write(
    name: str,
    scenario: str | None = None,
    overrides: dict | None = None,
    path: str | Path | None = None,
    commit: str | None = None,
    origin: str = "override",
) -> Path:
    """Write the workbook of evaluation ``name`` at ``scenario`` (with ``overrides``, whose origin
    ``origin`` names: "command line", ...) to ``path``. Text from the parameter files is written as
    text: never a formula, a link or a number."""
    import xlsxwriter  # imported when a workbook is written: it is slow to import

    ev = evaluations.get(name)
    if ev.workbook is None:
        raise params.ParameterError("command line", "evaluation", f"{name} has no workbook")
    overrides = dict(overrides or {})
    sc, result = ev.run(scenario, overrides, origin)
    path = Path(path or f"{name}.xlsx")
    wb = xlsxwriter.Workbook(str(path), TEXT_ONLY)
    wb.worksheet_class = worksheet_class()
    wb.set_properties({"title": ev.title, "created": FIXED_DATE, "author": "housing-finance-analysis"})
    wb.set_calc_mode("auto")
    book = Book(wb, sc.name)
    _write_inputs(book, sc, ev.parameters, set(ev.workbook.STRUCTURAL))
    ev.workbook.calculation(book, sc.values, result)
    refs = _write_outputs(book)
    _write_checks(book, refs, changed_inputs(sc))
    _write_about(book, ev, sc, overrides, commit if commit is not None else contents.git_commit())
    # the Inputs sheet opens first
    wb.worksheets()[0].activate()
    wb.close()
    return path

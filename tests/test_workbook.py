"""Live-formula workbooks, for every evaluation that has one: an independent formula engine
(the `formulas` package) recomputes each workbook to the Python model's numbers."""

import math
import re

import openpyxl
import pytest

from analysis import evaluations
from analysis.publish import workbook

WITH_WORKBOOK = [ev for ev in evaluations.REGISTRY.values() if ev.workbook is not None]
CASES = [(ev, s) for ev in WITH_WORKBOOK for s in ev.scenarios()]
# Recomputed by the formulas engine: every scenario, except GRET's corrected, whose formulas are
# as_published's at other constants (about 40 s; test_workbook_gret compares its every cell).
RECOMPUTED = [(ev, s) for ev, s in CASES if (ev.name, s) != ("gret", "corrected")]
# Unit conversions a formula may carry: months in a year, percent, thousands. Anything else is an
# input, or one of the numbers an evaluation's workbook declares, with the reason, in CONSTANTS.
ALLOWED_CONSTANTS = {0.0, 1.0, 12.0, 100.0, 1000.0}


def stale_cached_values(path, sol) -> list:
    """Formula cells whose cached value (what a viewer that does not recalculate shows) differs
    from the recomputed one. The Checks sheet's differences (0 when cached, rounding noise when
    recomputed) are left out; its other columns repeat the Outputs."""
    formulas_ = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    bad = []
    for ws in formulas_.worksheets:
        if ws.title == workbook.CHECKS:
            continue
        for row in ws.iter_rows():
            for c in row:
                if not (isinstance(c.value, str) and c.value.startswith("=")):
                    continue
                have = cached[ws.title][c.coordinate].value
                got = sol[f"'[{path.name}]{ws.title.upper()}'!{c.coordinate}"].value[0][0]
                if isinstance(have, (int, float)) and not isinstance(have, bool):
                    if not (isinstance(got, (int, float)) and math.isclose(got, have, rel_tol=1e-9, abs_tol=1e-9)):
                        bad.append((ws.title, c.coordinate, have, got))
    return bad


def _outputs(path, sol) -> dict:
    book = openpyxl.load_workbook(path, read_only=True)
    names = [row[0] for row in book[workbook.OUTPUTS].iter_rows(min_row=2, max_col=1, values_only=True)]
    out = {}
    for i, name in enumerate(names, start=2):
        key = f"'[{path.name}]{workbook.OUTPUTS.upper()}'!D{i}"
        value = sol[key].value[0][0]
        out[name] = float(value) if isinstance(value, (int, float)) else math.nan
    return out


def _output_texts(path) -> dict:
    """Output name -> the text of its Outputs cell (a formula's text starts with "=")."""
    rows = openpyxl.load_workbook(path)[workbook.OUTPUTS].iter_rows(min_row=2, values_only=True)
    return {r[0]: r[3] for r in rows}


def _is_irr(ev, name: str) -> bool:
    return name == ev.rate_of_return or name.endswith("irr")


@pytest.mark.slow
@pytest.mark.parametrize("ev, scenario", RECOMPUTED, ids=[f"{ev.name}/{s}" for ev, s in RECOMPUTED])
def test_the_workbook_recomputes_to_the_model(compiled_workbook, ev, scenario):
    path, model = compiled_workbook(ev.name, scenario)
    sol = model.calculate()
    got = _outputs(path, sol)
    stale = stale_cached_values(path, sol)
    assert not stale, f"cached values that differ from the recomputed ones: {stale[:5]}"
    metrics = ev.run(scenario)[1].metrics
    assert set(metrics) <= set(got), f"metrics not on the Outputs sheet: {sorted(set(metrics) - set(got))}"
    texts = _output_texts(path)
    for name in metrics:  # a live formula, IRRs included, never a typed value
        assert isinstance(texts[name], str) and texts[name].startswith("="), f"{name}: {texts[name]!r}"
    for name, value in got.items():
        if name not in metrics or _is_irr(ev, name):
            continue  # IRRs: the engine ignores the guess; each evaluation's tests check them through the NPV
        want = metrics[name]
        assert value == pytest.approx(want, rel=1e-9, abs=1e-9), f"{ev.name}/{scenario} {name}"


@pytest.mark.slow  # writes each workbook twice
@pytest.mark.parametrize("ev", WITH_WORKBOOK, ids=[ev.name for ev in WITH_WORKBOOK])
def test_cached_values_inputs_and_same_bytes(tmp_path, ev):
    """Viewers that do not recalculate show the model's numbers; every parameter is a named input;
    the same inputs give the same bytes."""
    a = workbook.write(ev.name, path=tmp_path / "a.xlsx", commit="test")
    b = workbook.write(ev.name, path=tmp_path / "b.xlsx", commit="test")
    assert a.read_bytes() == b.read_bytes()
    sc, res = ev.run()
    book = openpyxl.load_workbook(a, data_only=True)
    rows = list(book[workbook.OUTPUTS].iter_rows(min_row=2, values_only=True))
    cached = {r[0]: r[3] for r in rows}
    for m in ev.metrics:
        assert cached[m.name] == pytest.approx(res.metrics[m.name], rel=1e-12), m.name
    names = set(openpyxl.load_workbook(a).defined_names)
    for key, value in sc.values.items():
        wanted = {f"p_{key}_terms", f"p_{key}_shares"} if isinstance(value, dict) else {f"p_{key}"}
        assert wanted <= names, f"{key} has no named input cell"
    about = {r[0]: r[1] for r in book[workbook.ABOUT].iter_rows(values_only=True)}
    assert about["parameters SHA-256"] == sc.sha256 and about["scenario"] == sc.name


_STRING = re.compile(r'"[^"]*"')
_REF = re.compile(r"('[^']*'|[A-Za-z_][A-Za-z0-9_.]*)?!?\$?[A-Z]{1,3}\$?\d+|[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"(?<![A-Za-z_$])\d+(\.\d+)?([eE][-+]?\d+)?")


def formula_constants(formula: str) -> set:
    """Numbers typed into a formula (after removing strings, references and names)."""
    text = _REF.sub(" ", _STRING.sub(" ", formula))
    return {float(m.group(0)) for m in _NUMBER.finditer(text)}


def test_formula_constants_are_found():
    assert formula_constants("=IF(E1>A2,12*PMT($AN$2,12*C2,-INDEX(p_x_1,A2)),0)*p_share") == {12.0, 0.0}
    assert formula_constants('=IF(p_mode="nominal",p_rate/12,(1+p_rate)^(1/12)-1)') == {12.0, 1.0}
    assert formula_constants("='Flow'!B12*0.085") == {0.085}


@pytest.mark.slow  # writes each evaluation's workbook
@pytest.mark.parametrize("ev", WITH_WORKBOOK, ids=[ev.name for ev in WITH_WORKBOOK])
def test_no_parameter_value_is_typed_into_a_formula(tmp_path, ev):
    path = workbook.write(ev.name, path=tmp_path / "w.xlsx", commit="test")
    book = openpyxl.load_workbook(path)
    found = {}
    for ws in book.worksheets:
        if ws.title in (workbook.INPUTS, workbook.CHECKS, workbook.ABOUT):
            continue
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    extra = formula_constants(c.value) - ALLOWED_CONSTANTS - set(map(float, ev.workbook.CONSTANTS))
                    if extra:
                        found[f"{ws.title}!{c.coordinate}"] = (c.value, sorted(extra))
    assert not found, f"constants in formulas: {list(found.items())[:5]}"


def _prepared(formula: str) -> tuple:
    """A formula as xlsxwriter's own Worksheet prepares it, and as the book's does."""
    from xlsxwriter.worksheet import Worksheet

    ours, theirs = workbook.worksheet_class()(), Worksheet()
    return ours._prepare_formula(formula), theirs._prepare_formula(formula)


@pytest.mark.parametrize(
    "formula",
    [
        "=IF(AND(D$1>=$B$2,D$1<=Inputs!$C$3),SUM(A1:A4),0)",
        "{=SUM(A1:A3*B1:B3)}",
        "=XLOOKUP(A1,B:B,C:C)",
        "=SORT(A1:A9)+FILTER(A1:A9,B1:B9>0)",
        "=_xlfn.SINGLE(A1)",
        "=1+SINGLE(A1)",
        '=IF(p_flag="SORTED(",1,0)',  # a name inside a string: xlsxwriter rewrites it too
    ],
)
def test_the_books_formula_preparation_is_xlsxwriters(formula):
    ours, theirs = _prepared(formula)
    assert ours == theirs


@pytest.mark.slow
@pytest.mark.parametrize("ev", WITH_WORKBOOK, ids=[ev.name for ev in WITH_WORKBOOK])
def test_every_formula_of_the_workbook_is_prepared_as_xlsxwriter_does(tmp_path, ev):
    path = workbook.write(ev.name, path=tmp_path / f"{ev.name}.xlsx", commit="test")
    texts = [
        c.value
        for ws in openpyxl.load_workbook(path).worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert len(texts) > 500
    for text in texts:
        ours, theirs = _prepared("=" + text.lstrip("="))
        assert ours == theirs, text


# --- every metric of `run --json` is an output formula, from the Inputs sheet --------------------

DEFAULT = [(ev, ev.scenario) for ev in WITH_WORKBOOK]


def _input_cells(path) -> dict:
    """Compiled-model key -> value of each Inputs value that is not a whole number (whole numbers
    are counts, periods and terms: changing one changes the layout, or nothing)."""
    ws = openpyxl.load_workbook(path)[workbook.INPUTS]
    return {
        f"'[{path.name}]{workbook.INPUTS.upper()}'!B{c.row}": c.value
        for c in ws["B"][1:]
        if isinstance(c.value, float) and not c.value.is_integer()
    }


@pytest.mark.slow
@pytest.mark.parametrize("ev, scenario", DEFAULT, ids=[f"{ev.name}/{s}" for ev, s in DEFAULT])
def test_every_run_json_metric_is_an_output_formula_of_the_inputs(compiled_workbook, ev, scenario):
    """What ``run --json`` gives is on the Outputs sheet as formulas of the Inputs sheet (at the
    inputs, test_the_workbook_recomputes_to_the_model recomputes them to the model)."""
    from analysis import cli

    metrics = cli.run_payload(ev.name, None, {})["metrics"]
    path, model = compiled_workbook(ev.name, scenario)
    texts = _output_texts(path)
    assert set(metrics) <= set(texts), f"not on the Outputs sheet: {sorted(set(metrics) - set(texts))}"
    for name in metrics:
        text = texts[name]
        assert isinstance(text, str) and text.startswith("="), f"{name} is a typed value: {text!r}"
        assert not formula_constants(text) - ALLOWED_CONSTANTS, f"{name}: {text}"
    # With every fractional input 1 % higher, each metric leaves the model's value at the inputs:
    # it follows the Inputs sheet (one recalculation: the engine takes seconds for GRET's).
    moved = _outputs(path, model.calculate(inputs={k: v * 1.01 for k, v in _input_cells(path).items()}))
    same = lambda k: metrics[k] is not None and moved[k] == pytest.approx(metrics[k], rel=1e-9, abs=1e-9)  # noqa: E731
    still = [k for k in metrics if same(k)]
    assert not still, f"outputs that do not follow the Inputs sheet: {still}"


# --- Checks: a published figure only beside a value computed at the document's inputs ------------

NOT_COMPARABLE = "not comparable: computed at inputs other than the document's (overrides: "


def _checks(path) -> dict:
    """Output name -> (published, verdict, note) of the Checks sheet."""
    rows = openpyxl.load_workbook(path)[workbook.CHECKS].iter_rows(min_row=2, max_col=7, values_only=True)
    return {r[0]: (r[4], r[5], r[6]) for r in rows if r[1] is not None}


@pytest.mark.slow  # writes each evaluation's workbook
@pytest.mark.parametrize("ev", WITH_WORKBOOK, ids=[ev.name for ev in WITH_WORKBOOK])
def test_checks_judge_the_published_figures_at_the_documents_inputs(tmp_path, ev):
    from analysis.core import reconcile

    checks = _checks(workbook.write(ev.name, path=tmp_path / "w.xlsx", commit="test"))
    _, result = ev.run()
    for m in ev.metrics:  # every headline figure the document prints is judged
        want = reconcile.published_metric(ev, m, ev.scenario)
        if want is not None:
            assert checks[m.name][0] == pytest.approx(want) and checks[m.name][1] in reconcile.VERDICTS, m.name
    judged = {k: c for k, c in checks.items() if c[0] is not None}
    assert judged
    for name, (_, verdict, note) in judged.items():
        assert verdict in reconcile.VERDICTS and note and not note.startswith("not comparable"), name


def test_checks_give_the_verdict_of_the_reconciliation():
    """El Salvador's NPV and IRR as the book's reconciliation judges them (Tabla 6: exact)."""
    from analysis.core import reconcile, sheets

    book = sheets.Book(None, "as_published")
    npv = book.published("elsalvador", "Tabla 6", "as_published", "npv")
    irr = book.published("elsalvador", "Tabla 6", "as_published", "irr_percent", scale=0.01)
    m = evaluations.get("elsalvador").run()[1].metrics
    assert npv.verdict(m["npv"]) == (reconcile.VERDICTS[0], "")
    assert irr.verdict(m["irr"]) == (reconcile.VERDICTS[0], "")
    assert npv.verdict(m["npv"] + 1.0)[0] == reconcile.VERDICTS[3]  # printed to the cent
    assert book.published("elsalvador", "Tabla 6", "no such row", "npv") is None


@pytest.mark.slow  # writes workbooks
def test_checks_at_overridden_inputs_say_the_figures_are_not_comparable(tmp_path, capsys):
    """``workbook --set``: the document's figures belong to its inputs, not to these; no verdict."""
    from analysis import cli

    path = tmp_path / "es.xlsx"
    assert cli.main(["workbook", "elsalvador", "--set", "rent_to_price=0.07", "--out", str(path)]) == 0
    checks = _checks(path)
    for name in ("npv", "irr"):  # the two the document prints (Tabla 6)
        published, verdict, note = checks[name]
        assert published is None and verdict is None, name
        assert note.startswith(NOT_COMPARABLE + "rent_to_price)"), note
    assert all(c[1] is None for c in checks.values()), "no verdict at other inputs"
    # an override that keeps the scenario's value changes no input: the figures are compared
    same = evaluations.get("elsalvador").load().values["rent_to_price"]
    kept = _checks(workbook.write("elsalvador", None, {"rent_to_price": same}, tmp_path / "same.xlsx", "test"))
    assert kept["npv"][1] == "exact at printed precision" and kept["npv"][2] == "Tabla 6, Escenario Base, VAN"
    # a scenario whose figures the document does not print has none to compare
    corrected = _checks(workbook.write("elsalvador", "corrected", path=tmp_path / "c.xlsx", commit="test"))
    assert all(c == (None, None, None) for c in corrected.values())

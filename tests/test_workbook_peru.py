"""Peru's live-formula workbook: recomputed by an independent engine (``formulas``), every output
equals the Python model, at each scenario and at inputs drawn within their documented ranges
(choices and booleans included: they are IF() formulas on the input cells)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analysis import evaluations
from analysis.core.params import ParameterError
from analysis.evaluations.peru import workbook as peru_workbook
from analysis.publish import workbook

EV = evaluations.get("peru")
SCENARIOS = EV.scenarios()
REL = 1e-9


def python_value(result, name: str) -> float:
    """The Python model's value of a workbook output."""
    if name.endswith("_avoided"):
        hb = result.tables["health_benefits"].set_index("benefit")
        return float(hb.loc[name.split(".")[1].removesuffix("_avoided"), "avoided_per_household"])
    return float(result.metrics[name])


class Recomputed:
    """One scenario's workbook, loaded once into ``formulas``; cells by sheet and A1 reference."""

    def __init__(self, path):
        import formulas
        import openpyxl

        self.path, self.file = path, path.name
        self.model = formulas.ExcelModel().loads(str(path)).finish()
        wb = openpyxl.load_workbook(path)
        self.inputs = {
            wb["Inputs"].cell(r, 1).value: f"B{r}"
            for r in range(2, wb["Inputs"].max_row + 1)
            if wb["Inputs"].cell(r, 1).value
        }
        out = wb["Outputs"]
        self.outputs = {out.cell(r, 1).value: (f"D{r}", out.cell(r, 4).value) for r in range(2, out.max_row + 1)}
        self.formulas = {ws.title: ws for ws in wb.worksheets}

    def key(self, sheet: str, ref: str) -> str:
        return f"'[{self.file}]{sheet.upper()}'!{ref.replace('$', '')}"

    def calculate(self, values: dict | None = None):
        inputs = {self.key("Inputs", self.inputs[k]): v for k, v in (values or {}).items()}
        return self.model.calculate(inputs=inputs) if inputs else self.model.calculate()

    @staticmethod
    def value(sol, key):
        v = sol[key].value[0][0]
        return float(v) if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool) else v

    def output(self, sol, name: str):
        return self.value(sol, self.key("Outputs", self.outputs[name][0]))

    def irr_flow(self, sol, name: str) -> np.ndarray:
        """The recomputed flow the IRR output refers to (Outputs -> the IRR cell -> its range)."""
        sheet, ref = re.match(r"='(\w+)'!(\$?\w+\$?\d+)", self.outputs[name][1]).groups()
        formula = self.formulas[sheet][ref.replace("$", "")].value
        first, last = re.match(r"=IRR\((\$?\w+\$?\d+):(\$?\w+\$?\d+)\)", formula).groups()
        row = int(re.sub(r"\D", "", first))
        c0, c1 = (re.sub(r"[\d$]", "", x) for x in (first, last))
        from openpyxl.utils import column_index_from_string, get_column_letter

        cols = range(column_index_from_string(c0), column_index_from_string(c1) + 1)
        return np.array([self.value(sol, self.key(sheet, f"{get_column_letter(c)}{row}")) for c in cols])


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    d = tmp_path_factory.mktemp("wb")
    return {s: Recomputed(workbook.write("peru", s, path=d / f"peru_{s}.xlsx", commit="test")) for s in SCENARIOS}


def compare(book: Recomputed, sol, result) -> float:
    """Assert every output equals the Python model; returns the largest relative difference."""
    worst = 0.0
    for name in book.outputs:
        py = python_value(result, name)
        got = book.output(sol, name)
        if name.endswith(".irr"):
            flow = book.irr_flow(sol, name)
            if math.isnan(py):  # the Python model finds no IRR: nothing to compare
                continue
            npv = np.sum(flow * (1 + py) ** -np.arange(flow.size))
            assert abs(npv) <= 1e-9 * np.abs(flow).sum(), (name, npv)
            if isinstance(got, float) and abs(got - py) <= 1e-6:
                worst = max(worst, abs(got - py) / abs(py))
            continue
        if math.isnan(py):
            assert not isinstance(got, float) or math.isnan(got), (name, got)
            continue
        assert isinstance(got, float), (name, got)
        rel = abs(got - py) / max(abs(py), 1e-300)
        assert rel <= REL or abs(got - py) <= 1e-9, (name, got, py, rel)
        worst = max(worst, rel)
    return worst


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_workbook_equals_model(books, scenario):
    book = books[scenario]
    _, result = EV.run(scenario)
    assert compare(book, book.calculate(), result) <= REL
    # the cached values written with the formulas are the model's
    import openpyxl

    cached = openpyxl.load_workbook(book.path, data_only=True)["Outputs"]
    for name, (ref, formula) in book.outputs.items():
        assert formula.startswith("=")
        assert cached[ref].value == pytest.approx(python_value(result, name), rel=1e-12), name


# ---- inputs drawn within their documented ranges ---------------------------------------------


def _numeric_bounds(scenario: str) -> dict:
    """Non-structural numeric parameter -> (low, high, integer): the YAML range/distribution where
    given, else the Spec bounds (0.5x..1.5x the value where the Spec is open)."""
    sc = EV.load(scenario)
    out = {}
    for key, spec in EV.parameters.items():
        if key in peru_workbook.STRUCTURAL or spec.kind not in ("number", "share", "integer"):
            continue
        e, v = sc.entries[key], sc.entries[key]["value"]
        blocks = [e[b] for b in ("range", "distribution") if b in e]
        if blocks:
            lo, hi = min(b["low"] for b in blocks), max(b["high"] for b in blocks)
        else:
            lo = spec.low if spec.low is not None else -math.inf
            hi = spec.high if spec.high is not None else math.inf
            lo, hi = max(lo, 0.5 * v if v > 0 else lo), min(hi, 1.5 * v if v > 0 else hi)
            if spec.kind == "share" and v == 0:
                lo, hi = 0.0, 1.0
        if key.endswith("_loan_years"):
            hi = min(hi, sc.values["horizon_years"])
        out[key] = (lo, hi, spec.kind == "integer")
    return out


CHOICES = {
    k: s for k, s in EV.parameters.items() if s.kind in ("choice", "boolean") and k not in peru_workbook.STRUCTURAL
}


def _draws(scenario: str):
    bounds = _numeric_bounds(scenario)
    numeric = {
        k: (st.integers(int(math.ceil(lo)), int(hi)) if integer else st.floats(lo, hi))
        for k, (lo, hi, integer) in bounds.items()
    }
    choice = {k: st.booleans() if s.kind == "boolean" else st.sampled_from(s.choices) for k, s in CHOICES.items()}
    return st.fixed_dictionaries({**numeric, **choice})


def _check_drawn(books, scenario, values):
    try:
        _, result = EV.run(scenario, values)
    except ParameterError:
        assume(False)
    book = books[scenario]
    sol = book.calculate(values)
    compare(book, sol, result)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=_draws("base"))
def test_drawn_inputs_base(books, values):
    _check_drawn(books, "base", values)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=_draws("conservative"))
def test_drawn_inputs_conservative(books, values):
    _check_drawn(books, "conservative", values)


@pytest.mark.slow  # writes the workbook twice
def test_same_bytes_twice(tmp_path):
    a = workbook.write("peru", "base", path=tmp_path / "a.xlsx", commit="test")
    b = workbook.write("peru", "base", path=tmp_path / "b.xlsx", commit="test")
    assert a.read_bytes() == b.read_bytes()


def test_only_the_horizon_is_structural():
    assert peru_workbook.STRUCTURAL == ("horizon_years",)


def test_one_formula_shape_per_row(tmp_path):
    """Each calculation row repeats one formula across the years (the Revolving 'lent' row's first
    year, credits x loan, excepted: the later years carry the previous year's collection)."""
    import openpyxl
    from openpyxl.formula.translate import Translator

    wb = openpyxl.load_workbook(workbook.write("peru", "base", path=tmp_path / "p.xlsx", commit="test"))
    for ws in wb.worksheets:
        if ws.title in ("Inputs", "Outputs", "Checks", "About", "Health"):
            continue
        for row in ws.iter_rows(min_row=2):
            cells = [c for c in row[1:] if isinstance(c.value, str) and c.value.startswith("=")]
            if str(row[0].value).startswith("lent ("):
                cells = cells[1:]
            if len(cells) < 2:
                continue
            last = cells[-1].coordinate
            shapes = {Translator(c.value, origin=c.coordinate).translate_formula(last) for c in cells}
            assert len(shapes) == 1, (ws.title, row[0].value)


METHOD_READINGS = [r for c in EV.choices for r in c.alternatives]


@pytest.mark.slow
@pytest.mark.parametrize("reading", METHOD_READINGS, ids=[r.key for r in METHOD_READINGS])
def test_each_reading_of_method_recalculates_to_the_model(books, reading):
    """Real flows, the resource cost and no terminal value are IF() formulas of the same workbook."""
    _, result = EV.run("base", dict(reading.overrides))
    book = books["base"]
    sol = book.calculate(dict(reading.overrides))
    compare(book, sol, result)
    assert book.output(sol, "total.npv") != pytest.approx(EV.run("base")[1].metrics["total.npv"], rel=1e-3)

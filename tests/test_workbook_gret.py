"""The GRET workbook recomputed by an independent engine (``formulas``) equals the Python model:
every formula cell at the scenario's inputs, every output at inputs drawn within their documented
ranges (conventions and choices included), and the file is byte-for-byte reproducible."""

from __future__ import annotations

import math

import pytest

from analysis import evaluations
from analysis.publish import workbook as wbmod

hypothesis = pytest.importorskip("hypothesis")
formulas = pytest.importorskip("formulas")
openpyxl = pytest.importorskip("openpyxl")
st = hypothesis.strategies

EV = evaluations.get("gret")
SCENARIOS = EV.scenarios()
REL = 1e-9


def _close(a, b, rel=REL) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=rel)


class Loaded:
    """A written workbook, loaded once: the formulas model, its cells and the input cells."""

    def __init__(self, path, model=None):
        self.path = path
        self.file = path.name
        self.model = model if model is not None else formulas.ExcelModel().loads(str(path)).finish()
        self.wb = openpyxl.load_workbook(path)
        self.cached = openpyxl.load_workbook(path, data_only=True)
        self.inputs = {}
        for name, dn in self.wb.defined_names.items():
            if name.startswith("p_"):
                sheet, ref = dn.attr_text.split("!")
                if ":" not in ref:
                    self.inputs[name[2:]] = f"'[{self.file}]{sheet.strip(chr(39)).upper()}'!{ref.replace('$', '')}"
        ws = self.wb["Outputs"]
        self.outputs = {ws.cell(r, 1).value: f"'[{self.file}]OUTPUTS'!D{r}" for r in range(2, ws.max_row + 1)}

    def key(self, sheet, coord):
        return f"'[{self.file}]{sheet.upper()}'!{coord}"

    def calculate(self, values: dict | None = None, outputs: list | None = None):
        """Recalculate at ``values``: every cell, or only what ``outputs`` need (a third faster)."""
        inputs = {self.inputs[k]: v for k, v in (values or {}).items()}
        return self.model.calculate(inputs=inputs, outputs=outputs)


@pytest.fixture(scope="module")
def loaded(compiled_workbook):
    cache = {}

    def get(scenario):
        if scenario not in cache:
            cache[scenario] = Loaded(*compiled_workbook("gret", scenario))  # compiled once per session
        return cache[scenario]

    return get


def _value(sol, key):
    return sol[key].value[0][0]


def _every_formula_equals_its_cached_value(book, sol) -> int:
    """Every formula cell recomputed by ``formulas`` equals the value the model wrote; the count."""
    n = 0
    for ws in book.wb.worksheets:
        if ws.title == "Checks":
            continue
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    got = _value(sol, book.key(ws.title, c.coordinate))
                    want = book.cached[ws.title][c.coordinate].value
                    assert _close(got, want), (ws.title, c.coordinate, got, want)
                    n += 1
    return n


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_cell_and_output_equals_the_model(loaded, scenario):
    book = loaded(scenario)
    sol = book.calculate()
    _, result = EV.run(scenario)
    assert _every_formula_equals_its_cached_value(book, sol) > 5000
    for name in (m.name for m in EV.metrics):
        assert name in book.outputs
    for name, key in book.outputs.items():
        assert _close(_value(sol, key), result.metrics[name]), name


@pytest.mark.slow
@pytest.mark.parametrize("n1, n2", [(2, 2), (3, 3), (2, 4)])
def test_saving_years_recompute_cell_by_cell(loaded, tmp_path, n1, n2):
    # Borrowers and solidarity savers saving as long (transfer and refund in the same year of 3.1 B)
    # and fewer borrower years than the printed 3 (table 3.3's subsidy and loan 1). The saving years
    # are inputs, not structure: the workbook written at them has the scenario's formulas, so the
    # scenario's compiled workbook, recalculated at them, must give every value that workbook holds.
    overrides = {"borrower_saving_years": n1, "solidarity_saving_years": n2}
    path = tmp_path / "gret.xlsx"
    wbmod.write("gret", "as_published", overrides, path=path, commit="test")
    scenario = loaded("as_published")
    book = Loaded(path, model=scenario.model)
    assert _formulas(book.wb) == _formulas(scenario.wb)
    sol = book.calculate(overrides)
    _, result = EV.run("as_published", overrides)
    assert _every_formula_equals_its_cached_value(book, sol) > 5000
    for name, key in book.outputs.items():
        assert _close(_value(sol, key), result.metrics[name]), name


def _formulas(wb) -> dict:
    """(sheet, cell) -> formula of every formula cell of an openpyxl workbook."""
    return {
        (ws.title, c.coordinate): c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }


# Non-structural numeric inputs, within the ranges documented in the YAML (or the Spec), and the
# conventions and choices of the sheet.
NUMBERS = {
    "inflation": st.floats(0.02, 0.10),
    "savings_spread": st.floats(0.0, 0.02),
    "loan_spread": st.floats(0.035, 0.10),
    "land_cost": st.floats(2.25, 3.75),
    "core_cost": st.floats(4.0, 5.0),
    "materials_cost": st.floats(1.0, 3.0),
    "borrower_savings_rate": st.floats(0.02, 0.05),
    "solidarity_savings_rate": st.floats(0.0, 0.05),
    "borrower_saving_years": st.integers(2, 3),
    "solidarity_saving_years": st.integers(3, 8),
    "subsidy_to_savings_ratio": st.floats(0.5, 2.0),
    "test_generation": st.integers(1, 7),
    "units": st.integers(50, 200),
    "production_growth": st.floats(0.0, 0.05),
    "growth_years": st.integers(0, 10),
    "intro_financed_share": st.floats(0.5, 1.0),
}
CHOICES = {
    "generation2_spread_interest": st.booleans(),
    "display_rounded_generations": st.integers(0, 3),
    "first_year_topup": st.booleans(),
    "refund_topup_year": st.booleans(),
    "treasury_refund_price": st.sampled_from(["last_deposit", "refund_year"]),
    "treasury_subsidy": st.sampled_from(["origin_share", "inflated_savings"]),
    "treasury_loan_rate": st.sampled_from(["spread", "nominal"]),
    "include_loan2_repayments": st.booleans(),
}


# Six drawn inputs a run, three under each savings-interest convention (new ones each run: the
# examples accumulate across runs): two tests, so that pytest -n runs them on two workers (each draw
# is about 10 s of the formulas engine, the suite's largest single cost).
@pytest.mark.slow
@pytest.mark.parametrize("savings_interest", ["previous_flow", "compound"])
@hypothesis.settings(max_examples=3, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(numbers=st.fixed_dictionaries(NUMBERS), choices=st.fixed_dictionaries(CHOICES))
def test_drawn_inputs_recompute_to_the_model(loaded, savings_interest, numbers, choices):
    choices = {**choices, "savings_interest": savings_interest}
    if savings_interest == "compound":
        choices = {**choices, "display_rounded_generations": 0}  # check(): rounding reads previous_flow only
    values = {**numbers, **choices}
    book = loaded("as_published")
    _, result = EV.run("as_published", values)
    sol = book.calculate(values, outputs=list(book.outputs.values()))
    for name, key in book.outputs.items():
        assert _close(_value(sol, key), result.metrics[name]), (name, _value(sol, key), result.metrics[name])


@pytest.mark.slow  # writes the workbook twice
def test_same_workbook_same_bytes(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    wbmod.write("gret", "as_published", path=a, commit="test")
    wbmod.write("gret", "as_published", path=b, commit="test")
    assert a.read_bytes() == b.read_bytes()


def test_structural_parameters_exist():
    assert set(EV.workbook.STRUCTURAL) <= set(EV.parameters)

"""El Salvador's workbook: the IRR through the NPV, and inputs changed in the Inputs sheet."""

import numpy as np
import openpyxl
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from analysis import evaluations
from analysis.core import finance, sheets
from analysis.publish import workbook

pytestmark = pytest.mark.slow
EV = evaluations.get("elsalvador")
# Non-structural numeric inputs, drawn within their documented range or Spec bounds.
DRAWN = {
    "rent_to_price": (0.05, 0.12),
    "new_home_share": (0.2, 0.8),
    "construction_weight": (0.5, 0.9),
    "value_added_construction": (0.2, 0.6),
    "value_added_intermediation": (0.2, 0.8),
    "residual_share": (0.0, 0.5),
    "discount_rate": (0.06, 0.14),
    # From 0.1 %: a spreadsheet's PMT() divides by 1 - (1 + r)^-n, which is 0 for r near 1e-300 (#NUM!).
    "annual_interest_rate": (0.001, 0.08),
    "recovery_share": (0.7, 1.0),
    "default_rate": (0.0, 0.06),
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    import formulas

    path = workbook.write("elsalvador", path=tmp_path_factory.mktemp("wb") / "es.xlsx", commit="test")
    names = openpyxl.load_workbook(path).defined_names
    cells = {}
    for key in DRAWN:
        sheet, ref = names[f"p_{key}"].attr_text.split("!")
        cells[key] = f"'[{path.name}]{sheet.upper()}'!{ref.replace('$', '')}"
    return path, formulas.ExcelModel().loads(str(path)).finish(), cells


def _row(path, sol, sheet: str, row: int, periods: int) -> np.ndarray:
    return np.array(
        [
            float(sol[f"'[{path.name}]{sheet.upper()}'!{sheets.col_letter(c)}{row}"].value[0][0])
            for c in range(1, periods + 1)
        ]
    )


def test_the_irr_holds_through_the_npv_of_the_workbook_flow(loaded):
    path, model, _ = loaded
    sol = model.calculate()
    p = EV.load().values
    flow = _row(path, sol, "Flow", 13, p["horizon_periods"])  # the net flow counted in the IRR
    irr = EV.evaluate(p).metrics["irr"]
    assert abs(finance.npv(irr, flow)) <= 1e-9 * np.abs(flow).sum()


@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.fixed_dictionaries({k: st.floats(lo, hi) for k, (lo, hi) in DRAWN.items()}))
def test_inputs_written_into_the_inputs_sheet_recompute_to_the_model(loaded, drawn):
    path, model, cells = loaded
    sol = model.calculate(inputs={cells[k]: v for k, v in drawn.items()})
    p = {**EV.load().values, **drawn}
    m = EV.evaluate(p).metrics
    raw = sol[f"'[{path.name}]OUTPUTS'!D2"].value[0][0]
    assert not isinstance(raw, str), f"{drawn!r} -> {raw}"
    npv = float(raw)
    assert npv == pytest.approx(m["npv"], rel=1e-9, abs=1e-6)
    flow = _row(path, sol, "Flow", 13, p["horizon_periods"])
    assert np.allclose(
        flow,
        np.where(np.arange(1, 36) <= p["irr_last_period"], EV.evaluate(p).tables["cash_flow"]["net_flow"], 0),
        rtol=1e-9,
        atol=1e-6,
    )
    if np.isfinite(m["irr"]):
        assert abs(finance.npv(m["irr"], flow)) <= 1e-9 * np.abs(flow).sum()

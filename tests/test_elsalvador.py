"""El Salvador CCLIP: every published cell of Tablas 3, 5 and 6, and the model's properties."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import elsalvador as es
from analysis import evaluations, published

T6 = published.table("elsalvador", "tabla6")


@pytest.fixture(scope="module")
def base():
    return evaluations.load("elsalvador", "as_published").values


def test_tabla3_every_cell(base):
    cmp = published.compare(published.table("elsalvador", "tabla3"), es.tabla3(base), "row")
    assert len(cmp) == 35 * 6 - 16  # blank cells of the original are not compared
    assert cmp["match"].all(), cmp[~cmp["match"]]


def test_tabla5_every_cell(base):
    cmp = published.compare(published.table("elsalvador", "tabla5"), es.cash_flow(base), "period")
    assert len(cmp) == 35 * 8
    assert cmp["match"].all(), cmp[~cmp["match"]]


def test_tabla5_totals(base):
    m = es.evaluate(base).metrics
    assert round(m["npv"], 2) == 2_244_518.08  # printed as VAN 2.244.518,08
    assert round(100 * m["irr"], 1) == 13.3     # printed as TIR 13,3 %


@pytest.mark.parametrize("row", list(T6.itertuples()), ids=list(T6["scenario"]))
def test_tabla6_every_scenario(row):
    m = evaluations.run("elsalvador", row.scenario)[1].metrics
    assert m["npv"] == pytest.approx(row.npv, abs=3.0)   # the tolerance
    assert m["npv"] == pytest.approx(row.npv, abs=0.02)  # what the calibrated coefficients achieve
    assert round(100 * m["irr"], row.irr_decimals) == pytest.approx(row.irr_percent)


def test_value_added_calibration_recovers_the_parameter_file(base):
    calib = T6[T6["hypothesis"].isin(["base", "1", "2"])]
    fit = es.calibrate_value_added([evaluations.load("elsalvador", s).values for s in calib["scenario"]],
                                   calib["npv"].tolist())
    assert fit["value_added_construction"] == pytest.approx(base["value_added_construction"], abs=1e-8)
    assert fit["value_added_intermediation"] == pytest.approx(base["value_added_intermediation"], abs=1e-8)
    assert max(abs(r) for r in fit["residuals"]) < 0.01  # five equations, two unknowns: the structure fits


def test_tabla5_rounded_coefficients_are_close(base):
    t5 = published.table("elsalvador", "tabla5")
    va = es.value_added_from_tabla5(base, t5["value_added_new"][0], t5["value_added_used"][0])
    assert va["value_added_construction"] == pytest.approx(base["value_added_construction"], abs=1e-6)
    assert va["value_added_intermediation"] == pytest.approx(base["value_added_intermediation"], abs=1e-6)


def test_corrected_fixes_the_slips(base):
    corr = evaluations.load("elsalvador", "corrected").values
    sched = es.recovery_schedule(corr)
    assert ((sched.filter(like="disbursement_") > 0).sum() == 20).all()
    pub_sched = es.recovery_schedule(base)
    assert list((pub_sched.filter(like="disbursement_") > 0).sum()) == [20, 20, 20, 21, 21]
    m, mc = es.evaluate(base).metrics, es.evaluate(corr).metrics
    assert mc["npv"] < m["npv"]  # the 21st payments were worth more than the rent they displaced
    assert mc["irr"] == pytest.approx(mc["irr_all_periods"])
    assert m["irr"] < m["irr_all_periods"]           # period 35 holds the residual value


def test_printed_term_mix_does_not_reproduce_hypotheses_1_and_2():
    for s in ["h1_s1", "h1_s2", "h2_s1", "h2_s2"]:
        p = evaluations.load("elsalvador", s).values
        printed = es.evaluate({**p, "term_mix": {20: 0.5, 30: 0.5}}).metrics["npv"]
        target = T6.set_index("scenario").loc[s, "npv"]
        assert abs(printed - target) > 1e6


def test_alternative_readings_change_what_they_say(base):
    alt = es.alternative_readings(base).set_index("reading")
    assert alt.loc["IRR over all 35 periods", "npv_change"] == 0
    assert alt.loc["Residual value 20 % of the new homes' value", "npv_change"] < 0
    assert alt.loc["Discounting by 1.12^t from t = 1", "npv"] == pytest.approx(es.evaluate(base).metrics["npv"] / 1.12)


def test_hypothesis3_is_linear_in_recovery_share(base):
    npvs = [es.evaluate({**base, "annual_interest_rate": 0.03, "recovery_share": s}).metrics["npv"] for s in (1.0, 0.8, 0.6)]
    assert npvs[0] - npvs[1] == pytest.approx(npvs[1] - npvs[2], rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 0.2), st.floats(0.001, 0.05))
def test_higher_rent_to_price_raises_npv(rent, step):
    p = evaluations.load("elsalvador").values
    low = es.evaluate({**p, "rent_to_price": rent}).metrics["npv"]
    high = es.evaluate({**p, "rent_to_price": rent + step}).metrics["npv"]
    assert high > low


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 0.3), st.floats(0.001, 0.1))
def test_higher_discount_rate_lowers_npv_once_past_the_irr(extra, step):
    p = evaluations.load("elsalvador").values
    # The flow is negative then positive: NPV falls with the discount rate everywhere.
    a = es.evaluate({**p, "discount_rate": extra}).metrics["npv"]
    b = es.evaluate({**p, "discount_rate": extra + step}).metrics["npv"]
    assert b < a


def test_npv_is_zero_at_the_irr(base):
    m = es.evaluate({**base, "irr_last_period": 35}).metrics
    at_irr = es.evaluate({**base, "discount_rate": m["irr"]}).metrics["npv"]
    assert abs(at_irr) < 1e-4
    assert not math.isnan(m["irr"])

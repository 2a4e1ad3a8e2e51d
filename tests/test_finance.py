"""Financial primitives against textbook values, numpy-financial and their identities."""

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.core import finance as f


def test_level_payment_textbook_mortgage():
    # USD 100,000 at 6 % nominal for 30 years, monthly: 599.55 (standard textbook example).
    r = f.periodic_rate(0.06, 12, "nominal")
    assert f.level_payment(100_000, r, 360) == pytest.approx(599.5505, abs=1e-4)


def test_level_payment_matches_numpy_financial_and_zero_rate():
    assert f.level_payment(7_500_000, 0.04 / 12, 240) == pytest.approx(-npf.pmt(0.04 / 12, 240, 7_500_000), rel=1e-12)
    assert f.level_payment(1200, 0.0, 12) == 100


def test_effective_monthly_rate_compounds_to_annual():
    r = f.periodic_rate(0.09, 12, "effective")
    assert (1 + r) ** 12 - 1 == pytest.approx(0.09, rel=1e-12)
    assert f.periodic_rate(0.09, 12, "nominal") == pytest.approx(0.0075)
    with pytest.raises(ValueError, match="unknown rate convention"):
        f.periodic_rate(0.09, 12, "simple")


def test_annual_debt_service_el_salvador_tabla3():
    # Tabla 3 prints 545.382 for USD 7.5M at 4 % over 20 years, paid monthly.
    assert round(f.annual_debt_service(7_500_000, 0.04, 20)) == 545_382


def test_npv_timing_conventions():
    flows = [-100, 50, 60]
    assert f.npv(0.1, flows, first_period=0) == pytest.approx(-100 + 50 / 1.1 + 60 / 1.21)
    assert f.npv(0.1, flows, first_period=0) == pytest.approx(npf.npv(0.1, flows))
    assert f.npv(0.1, flows, first_period=1) == pytest.approx(f.npv(0.1, flows, 0) / 1.1)


def test_irr_against_numpy_financial():
    flows = [-1000, 300, 400, 500, 200]
    assert f.irr(flows).rate == pytest.approx(npf.irr(flows), abs=1e-10)
    assert f.irr(flows).unique and f.irr(flows).reason == ""


def test_irr_reports_every_root():
    # (1 + r) roots at 10 % and 20 %: -100 + 230 x - 132 x^2 with x = 1/(1+r).
    res = f.irr([-100, 230, -132])
    assert res.roots == pytest.approx((0.10, 0.20), abs=1e-10)
    assert "multiple IRRs" in res.reason
    assert res.rate == pytest.approx(0.10, abs=1e-10)  # nearest the default guess


def test_irr_nan_with_reason():
    res = f.irr([100, 50, 20])
    assert math.isnan(res.rate) and "never changes sign" in res.reason
    res = f.irr([-100, 0.001, 0.001])  # the only root is below -99 %: out of range
    assert math.isnan(res.rate) and "no IRR between" in res.reason
    assert math.isnan(f.irr([5]).rate)


def test_bc_ratio():
    assert f.bc_ratio(120, 100) == pytest.approx(1.2)
    assert math.isnan(f.bc_ratio(1, 0))


def test_amortization_schedule_textbook():
    s = f.amortization_schedule(1000, 0.01, 12)
    assert s["payment"].iloc[0] == pytest.approx(88.8488, abs=1e-4)
    assert s["interest"].iloc[0] == pytest.approx(10.0)
    assert s["closing_balance"].iloc[-1] == 0
    assert s["principal"].sum() == pytest.approx(1000)


flows_strategy = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.floats(1, 1e6), st.lists(st.floats(0, 1e6), min_size=1, max_size=30))
def test_npv_at_irr_is_zero(outlay, inflows):
    assume(sum(inflows) > 1e-3 * outlay)
    flows = [-outlay] + inflows
    res = f.irr(flows)
    assume(not math.isnan(res.rate))
    scale = outlay + sum(inflows)
    for root in res.roots:
        assert abs(f.npv(root, flows)) <= 1e-8 * scale


@settings(max_examples=200, deadline=None)
@given(st.floats(1, 1e7), st.one_of(st.just(0.0), st.floats(1e-9, 0.05)), st.integers(1, 480))
def test_schedule_identities(principal, rate, n):
    s = f.amortization_schedule(principal, rate, n)
    assert s["principal"].sum() == pytest.approx(principal, rel=1e-9)
    assert np.allclose(s["interest"] + s["principal"], s["payment"])
    assert np.all(np.diff(s["closing_balance"]) <= 1e-6 * principal)
    # The level payment's present value at the loan rate is the principal.
    pv = f.npv(rate, s["payment"], first_period=1)
    assert pv == pytest.approx(principal, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.001, 0.3), st.integers(1, 40))
def test_level_payment_identity(annual, years):
    r = f.periodic_rate(annual, 12, "effective")
    pay = f.level_payment(1.0, r, 12 * years)
    assert pay * (1 - (1 + r) ** (-12 * years)) / r == pytest.approx(1.0, rel=1e-12)
    assert pay > 1 / (12 * years)  # interest makes it more than straight repayment

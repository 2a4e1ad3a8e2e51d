"""The value of information and the acceptability curve (issue: what would change the conclusion).

Known answers on synthetic models first (no evaluation needed), then the registered evaluations:
EVPPI <= EVPI, the regression and nested estimators agree, the acceptability curve. Tolerances
are stated from the Monte Carlo error (``se`` of each estimate) so that a seed change keeps them.
"""

import numpy as np
import pandas as pd
import pytest

from analysis import evaluations
from analysis.core import information, uncertainty
from analysis.core.contract import Criterion

U = {"kind": "uniform", "low": -1.0, "high": 1.0}


class Fake:
    """The least of an evaluation that the nested method needs: a criterion and a batch engine."""

    criterion = Criterion("y", 0.0)

    def __init__(self, f):
        self.f = f

    def evaluate_batch(self, p, draws):
        return {"y": self.f(draws)}


def entries(*names):
    return {k: {"value": 0.0, "distribution": U} for k in names}


def sample(n, seed=1, names=("x1", "x2", "x3")):
    return uncertainty.draw(entries(*names), n, seed)


def near(estimate, truth, k=4):
    """Within k standard errors (plus the estimator's own reported bias) of the truth."""
    return abs(estimate.value - estimate.bias - truth) <= k * estimate.se + 1e-12


# --- known answers ------------------------------------------------------------------------------


def test_net_benefit_follows_the_criterion():
    assert list(information.net_benefit(Criterion("npv", 0.0, ">="), [-2.0, 3.0])) == [-2.0, 3.0]
    # GRET: how far the effort rate stays below its ceiling, a share of income
    assert information.net_benefit(Criterion("e", 0.5, "<="), [0.45, 0.6]) == pytest.approx([0.05, -0.1])
    assert information.net_benefit(Criterion("b/c", 1.0, ">="), 1.25) == pytest.approx(0.25)


def test_evpi_known_answers():
    n = 200_000
    s = sample(n)
    se = lambda nb: information._gain_se(nb)  # the Monte Carlo error of the mean
    nb = s["x1"]  # E[max(x, 0)] = 1/4, E[x] = 0
    assert abs(information.evpi(nb) - 0.25) <= 4 * se(nb)
    nb = s["x1"] + s["x2"]  # triangular on [-2, 2]: E[max(S, 0)] = 1/3
    assert abs(information.evpi(nb) - 1 / 3) <= 4 * se(nb)
    assert information.evpi(np.full(10, -3.0)) == 0.0 and information.evpi(np.full(10, 3.0)) == 0.0


def test_evppi_regression_known_answers():
    s = sample(100_000)
    one = information.evppi_regression(s["x1"], s["x1"])
    assert near(one, 0.25)  # nb = x1: learning x1 is perfect information
    nb = s["x1"] + s["x2"]
    for key in ("x1", "x2"):
        assert near(information.evppi_regression(s[key], nb), 0.25)
    irrelevant = information.evppi_regression(s["x3"], nb)
    assert irrelevant.value <= 0.01 and irrelevant.value <= 4 * irrelevant.se + 1e-3
    # A nonlinear conditional mean: nb = x1^2 - 0.3 + x2; EVPPI(x1) = E[max(x^2 - 0.3, 0)] - (1/3 - 0.3)
    truth = (1 - 0.3**1.5) / 3 - 0.3 * (1 - 0.3**0.5) - (1 / 3 - 0.3)
    assert near(information.evppi_regression(s["x1"], s["x1"] ** 2 - 0.3 + s["x2"]), truth)


def test_spline_basis_fits_a_line_exactly_and_degrades_gracefully():
    x = np.linspace(0.0, 2.0, 1001)
    b = information.spline_basis(x)
    assert b.shape == (1001, information.REGRESSION_KNOTS)
    beta, *_ = np.linalg.lstsq(b, 3 * x - 1, rcond=None)
    assert np.allclose(b @ beta, 3 * x - 1)
    assert information.spline_basis(np.full(50, 2.0)).shape == (50, 1)  # a constant: the mean only
    assert information.evppi_regression(np.full(50, 2.0), np.linspace(-1, 1, 50)).value == 0.0


def test_evppi_nested_known_answers():
    alone = information.evppi_nested(Fake(lambda d: d["x1"]), {}, entries("x1"), "x1", 200, 10)
    assert alone.bias == 0.0 and abs(alone.value - 0.25) <= 4 * alone.se + 1e-4  # no inner noise at all
    fake, e = Fake(lambda d: d["x1"] + d["x2"]), entries("x1", "x2", "x3")
    for key in ("x1", "x2"):
        assert near(information.evppi_nested(fake, {}, e, key, 200, 1000), 0.25)
    # An irrelevant parameter at an expected net benefit of 0, the worst case the docstring names:
    # the estimate is the inner-loop noise alone, E[max(N(0, s^2), 0)] = s / sqrt(2 pi) with
    # s = sd(nb) / sqrt(n_inner); the plug-in bias estimate then sees only 0.165 s of it.
    n_inner = 1000
    x3 = information.evppi_nested(fake, {}, e, "x3", 200, n_inner)
    s = np.sqrt(2 / 3) / np.sqrt(n_inner)
    assert abs(x3.value - s / np.sqrt(2 * np.pi)) <= 4 * x3.se
    assert 0.8 * 0.165 * s <= x3.bias <= x3.value


def test_the_nested_estimate_is_reproducible_and_moves_with_the_seed():
    fake, e = Fake(lambda d: d["x1"] + d["x2"]), entries("x1", "x2")
    a = information.evppi_nested(fake, {}, e, "x1", 50, 100, seed=3)
    assert a == information.evppi_nested(fake, {}, e, "x1", 50, 100, seed=3)
    assert a != information.evppi_nested(fake, {}, e, "x1", 50, 100, seed=4)


def test_quantile_inverts_the_declared_distributions():
    tri = {"kind": "triangular", "low": 1.0, "mode": 1.5, "high": 3.0}
    u = np.array([0.0, 0.25, 0.5, 1.0])
    x = information.quantile(tri, u)
    assert x[0] == 1.0 and x[-1] == 3.0 and np.all(np.diff(x) > 0)
    # the triangular distribution function at the mode is (mode - low) / (high - low) = 0.25
    assert x[1] == pytest.approx(1.5)
    assert list(information.quantile({"kind": "uniform", "low": 2.0, "high": 4.0}, u)) == [2.0, 2.5, 3.0, 4.0]


def test_most_valuable_takes_the_first_of_ties():
    f = pd.DataFrame({"parameter": ["a", "b", "c"], "evppi_regression": [1.0, 3.0, 3.0]})
    assert information.most_valuable(f) == "b"
    assert information.most_valuable(f.iloc[:0]) is None


# --- the registered evaluations -----------------------------------------------------------------

DRAWS = 20_000  # regression sample and Monte Carlo
OUTER, INNER = 100, 400  # nested: 40,000 evaluations per parameter


def analysed(name: str, draws: int = DRAWS) -> dict:
    """The parts of ``uncertainty.analyse`` that this module reads (scenario, entries, Monte
    Carlo), built the same way without its Sobol indices and tornado, to stay fast."""
    ev = evaluations.get(name)
    sc = ev.load()
    e, _ = uncertainty.centred(sc, ev.parameters)
    return {
        "evaluation": ev,
        "scenario": sc,
        "entries": e,
        "monte_carlo": uncertainty.monte_carlo(ev, sc.values, e, draws),
    }


@pytest.fixture(scope="module", params=list(evaluations.REGISTRY))
def voi(request):
    ev = evaluations.get(request.param)
    return ev, information.value_of_information(ev, analysed(ev.name), n_outer=OUTER, n_inner=INNER)


def test_one_row_per_uncertain_parameter_sorted(voi):
    ev, f = voi
    res = analysed(ev.name, 10)
    drawn = sorted(k for k, e in res["entries"].items() if "distribution" in e)
    assert sorted(f["parameter"]) == drawn and not set(drawn) & set(ev.policy)
    assert list(f["evppi_regression"]) == sorted(f["evppi_regression"], reverse=True)
    assert information.most_valuable(f) == f["parameter"].iloc[0]
    assert f.attrs["draws"] == DRAWS and f.attrs["evpi"] > 0 and f.attrs["metric"] == ev.criterion.metric
    assert (f[["evppi_regression", "evppi_nested"]] >= 0).all().all()
    assert f["label"].map(bool).all()


def test_evppi_is_at_most_the_evpi(voi):
    _, f = voi
    evpi, evpi_se = f.attrs["evpi"], f.attrs["evpi_se"]
    for method in ("regression", "nested"):
        noise = 3 * np.hypot(f[f"se_{method}"], evpi_se)
        assert (f[f"evppi_{method}"] <= evpi + noise).all(), (method, f)


def test_the_two_methods_agree(voi):
    """Within 5 % of the EVPI plus three combined standard errors plus the nested method's
    estimated inner-loop bias (at these small samples; the book's are larger)."""
    _, f = voi
    gap = (f["evppi_regression"] - f["evppi_nested"]).abs()
    allowed = 0.05 * f.attrs["evpi"] + 3 * np.hypot(f["se_regression"], f["se_nested"]) + f["bias_nested"]
    assert (gap <= allowed).all(), f.assign(gap=gap, allowed=allowed)
    # The 5 % is a margin: at these seeds they agree within the noise alone.
    assert (gap <= 4 * np.hypot(f["se_regression"], f["se_nested"]) + f["bias_nested"]).all()


def test_value_of_information_is_reproducible():
    ev, res = evaluations.get("gret"), analysed("gret", 5000)
    a = information.value_of_information(ev, res, n_outer=40, n_inner=100)
    b = information.value_of_information(ev, res, n_outer=40, n_inner=100)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs and a.attrs["unit"] == "share of income"


@pytest.mark.parametrize("name", ["peru", "elsalvador"])
def test_acceptability_falls_with_the_rate_and_meets_the_monte_carlo(name):
    ev, res = evaluations.get(name), analysed(name, 4000)
    a = information.acceptability(ev, res, draws=4000)
    here = res["scenario"].values["discount_rate"]
    assert a["rate"].iloc[0] == 0.0 and a["rate"].iloc[-1] == pytest.approx(0.20) and here in set(a["rate"])
    assert len(a) >= 41 and a["scenario"].sum() == 1
    # Every draw's flows are an outlay then returns: the NPV falls with the rate, so the share
    # of draws that pass can only fall (flat where all or none pass).
    assert (np.diff(a["p_holds"]) <= 0).all()
    # Common random numbers: the same draws as the Monte Carlo at the scenario's rate
    assert a.loc[a["scenario"], "p_holds"].item() == pytest.approx(1 - res["monte_carlo"]["p_fails"], abs=1e-12)
    custom = information.acceptability(ev, res, rates=[0.2, 0.0, 0.0], draws=500)
    assert list(custom["rate"]) == [0.0, 0.2] and not custom["scenario"].any()


def test_acceptability_needs_a_discount_rate():
    with pytest.raises(ValueError, match="no parameter 'discount_rate'"):
        information.acceptability(evaluations.get("gret"), analysed("gret", 10))


@pytest.mark.slow
def test_value_of_information_on_what_analyse_returns():
    """The book's sizes, on the real ``uncertainty.analyse`` output (Sobol indices and all)."""
    ev = evaluations.get("elsalvador")
    res = uncertainty.analyse(ev, draws=20_000)
    f = information.value_of_information(ev, res)
    assert f.attrs["draws"] == 20_000 and f.attrs["n_outer"] == information.NESTED_OUTER
    gap = (f["evppi_regression"] - f["evppi_nested"]).abs()
    assert (gap <= 0.05 * f.attrs["evpi"] + 3 * np.hypot(f["se_regression"], f["se_nested"]) + f["bias_nested"]).all()
    a = information.acceptability(ev, res, draws=20_000)
    assert a.loc[a["scenario"], "p_holds"].item() == pytest.approx(1 - res["monte_carlo"]["p_fails"], abs=1e-12)

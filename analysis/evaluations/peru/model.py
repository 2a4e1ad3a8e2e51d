"""Peru FMV: IDB cost-benefit analysis (ACB) of a USD 300M credit operation for Fondo Mivivienda.

Source: idb_pe_fmv (seed 001). Two subcomponents, each evaluated per beneficiary over a
20-year horizon at a 12 % discount rate and scaled to the programme by its number of credits:

* Subcomponent 1 (adquisición de vivienda nueva): a new home bought with subsidy (bono), the
  household's contribution (aporte) and a mortgage. Benefits: imputed rent (arriendo imputado)
  net of the precarious rent some households paid before, and the home's value at the end of
  the horizon (valorización y realización del activo), both scaled down for the share of
  credits that buy used homes. Costs: subsidy, contribution, instalments (cuotas), maintenance.
* Subcomponent 2 (mejoramiento de vivienda): home improvement with technical assistance.
  Benefits are with-minus-without (con proyecto menos sin proyecto) differences in imputed rent
  and home value, plus three health benefits (ausentismo escolar, ausentismo laboral,
  hospitalizaciones) that grow with the CPI (IPC).

Flows are yearly, years 1..horizon; the upfront costs fall in year 1 (the document's "año 1").
VNA = NPV, TIR = IRR, razón B/C = benefit-cost ratio. Costs are positive numbers in the tables;
the net flow is benefits minus costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...core.contract import Result
from ...core.finance import (
    amortization_schedule,
    bc_ratio,
    discount_factors,
    irr,
    irr_batch,
    level_payment,
    npv,
    periodic_rate,
)
from ...core.finance import column as _col  # a batch of N values -> shape (N, 1)
from ...core.params import Spec

_money = dict(low=0, high=None)
PARAMETERS = {
    # evaluation
    "horizon_years": Spec("integer", 1, 100, doc="years over which flows are counted (horizonte temporal)"),
    "discount_rate": Spec(
        "number", 0, 1, fmt="percent", doc="yearly rate at which future flows are discounted (tasa de descuento)"
    ),
    "discount_first_period": Spec(
        "choice",
        choices=(0, 1),
        doc="years of discounting applied to year 1: 1 as Excel's NPV(), 0 leaves year 1 undiscounted",
    ),
    "flow_prices": Spec(
        "choice",
        choices=("nominal", "real"),
        doc="the prices of the flows discounted: nominal as the document computes them, or real, each "
        "year's flow deflated by the CPI to year-1 prices (términos constantes) before discounting",
    ),
    "credit_cost": Spec(
        "choice",
        choices=("debt_service", "resource_cost"),
        doc="what the credit costs: the borrower's instalments as the document counts them, or the "
        "resources lent, the principal when it is disbursed in year 1",
    ),
    "terminal_value": Spec(
        "boolean",
        doc="whether the home's value at the end of the horizon (realización y valorización del activo) "
        "counts as a benefit",
    ),
    "loan_rate_convention": Spec(
        "choice",
        choices=("effective", "nominal"),
        doc="how a yearly loan rate becomes a monthly one: effective (tasa efectiva anual, EA) "
        "or nominal divided by 12",
    ),
    # market
    "house_price_growth": Spec(
        "number", -0.5, 1, fmt="percent", doc="yearly nominal growth of home values (valorización del activo)"
    ),
    "monthly_rent_yield": Spec(
        "share", doc="rent a home would fetch in a month, as a share of its value (arrendamiento imputado)"
    ),
    "maintenance_rate": Spec(
        "share", doc="yearly maintenance cost, as a share of the home's value (mantenimiento del activo)"
    ),
    "cpi_growth": Spec(
        "number",
        -0.5,
        1,
        fmt="percent",
        doc="yearly consumer-price inflation (IPC), by which the health benefits and the precarious rent grow",
    ),
    # subcomponent 1
    "sub1_credits": Spec(
        "integer", 1, None, doc="new-home mortgages the operation finances directly (Subcomponente 1)"
    ),
    "sub1_subsidy": Spec("number", **_money, doc="government subsidy per new home (bono)"),
    "sub1_contribution": Spec(
        "number", **_money, doc="the household's own payment towards the new home (aporte del hogar)"
    ),
    "sub1_loan": Spec("number", **_money, doc="mortgage principal per new home (crédito hipotecario)"),
    "sub1_loan_rate": Spec("number", 0, 1, fmt="percent", doc="yearly interest rate of the mortgage"),
    "sub1_loan_years": Spec("integer", 1, 100, doc="years over which the mortgage is repaid"),
    "sub1_round_instalment": Spec("boolean", doc="whether the monthly mortgage instalment (cuota) is rounded to cents"),
    "sub1_house_value_rule": Spec(
        "choice",
        choices=("financing_sum", "stated"),
        doc="the new home's value in year 1: subsidy + contribution + loan, or the value printed",
    ),
    "sub1_house_value_stated": Spec("number", **_money, doc="the new home's value in year 1 as the document prints it"),
    "used_home_share": Spec(
        "share", doc="share of the mortgages that buy used homes, which get no rent or value benefit"
    ),
    "precarious_rent_monthly": Spec(
        "number",
        **_money,
        doc="monthly rent a household paid for its precarious home before (arriendo de vivienda precaria)",
    ),
    "precarious_share": Spec(
        "share", doc="share of new-home buyers who paid that rent before: it is deducted from their benefit"
    ),
    "precarious_growth": Spec(
        "choice",
        choices=("cpi", "none"),
        doc="whether the precarious-rent deduction grows with the CPI or stays constant",
    ),
    "precarious_used_adjust": Spec("boolean", doc="whether the deduction is also scaled down by the used-home share"),
    # subcomponent 2
    "sub2_credits": Spec(
        "integer", 1, None, doc="home-improvement credits the operation finances directly (Subcomponente 2)"
    ),
    "sub2_subsidy": Spec("number", **_money, doc="government subsidy per home improvement (bono)"),
    "sub2_contribution": Spec(
        "number", **_money, doc="the household's own payment towards the works (aporte del hogar)"
    ),
    "sub2_loan": Spec("number", **_money, doc="improvement-credit principal per household"),
    "sub2_loan_rate": Spec("number", 0, 1, fmt="percent", doc="yearly interest rate of the improvement credit"),
    "sub2_loan_years": Spec("integer", 1, 100, doc="years over which the improvement credit is repaid"),
    "sub2_round_instalment": Spec(
        "boolean", doc="whether the monthly improvement-credit instalment is rounded to cents"
    ),
    "sub2_house_value_before": Spec("number", **_money, doc="the home's value before the works (X)"),
    "sub2_value_rule": Spec(
        "choice",
        choices=("works_plus_premium", "house_times_factor"),
        doc="how the works raise the home's value: the works times the factor, or the home's value times the factor",
    ),
    "sub2_value_factor": Spec("number", 1, 10, doc="the factor of that rule (the works plus a premium of factor - 1)"),
    # health benefits of subcomponent 2 (Chapman 2004 method)
    "school_absence_days": Spec(
        "number", 0, 365, doc="school days a pupil misses through illness in a year (ausentismo escolar)"
    ),
    "absence_reduction": Spec("share", doc="fraction by which absences and hospitalisations fall after the works"),
    "children_per_household": Spec("number", 0, 20, doc="school-age children per household"),
    "minimum_wage_monthly": Spec(
        "number",
        **_money,
        doc="monthly minimum wage (remuneración mínima), the value of a day of work or schooling lost",
    ),
    "wage_days_per_month": Spec("number", 1, 31, doc="days in a month, to turn the monthly wage into a daily one"),
    "work_absence_days": Spec(
        "number", 0, 365, doc="work days an earner misses through illness in a year (ausentismo laboral)"
    ),
    "earners_per_household": Spec("number", 0, 20, doc="income earners per household"),
    "hospital_discharges": Spec(
        "number", **_money, doc="hospital discharges in the country in a year (egresos hospitalarios)"
    ),
    "households": Spec("number", 1, None, doc="households in the country in the same year"),
    "hospitalisation_cost": Spec("number", **_money, doc="cost of one hospital stay (hospitalización)"),
    "health_round_to_printed": Spec(
        "boolean", doc="whether each year-1 health benefit is rounded to USD 0.1 as the document prints it"
    ),
    # revolving effect (efecto rotatorio)
    "sub1_revolving_interest_share": Spec(
        "share", doc="share of the mortgage interest collected that is lent again (efecto rotatorio)"
    ),
    "sub2_revolving_interest_share": Spec(
        "share", doc="share of the improvement-credit interest collected that is lent again"
    ),
}

SUB1_BENEFITS = [
    "imputed_rent",
    "asset_realisation",
    "asset_valuation",
    "used_home_adjustment",
    "precarious_rent_deduction",
]
SUB2_BENEFITS = [
    "imputed_rent_difference",
    "asset_realisation_difference",
    "asset_valuation_difference",
    "school_absenteeism",
    "work_absenteeism",
    "hospitalisations",
]
COSTS = ["subsidy", "household_contribution", "credit_instalments", "maintenance"]


def check(p: dict):
    """Rules across parameters; returns (key, reason) for the first one broken, else None."""
    for k in ("sub1", "sub2"):
        if p[f"{k}_loan_years"] > p["horizon_years"]:
            return (
                f"{k}_loan_years",
                f"a {p[f'{k}_loan_years']}-year credit does not fit a {p['horizon_years']}-year horizon",
            )
        if p[f"{k}_subsidy"] + p[f"{k}_contribution"] + p[f"{k}_loan"] <= 0:
            return f"{k}_loan", "subsidy + contribution + loan must be positive"
    # a credit goes to one household: more credits than the country has households is impossible
    for k in ("sub1_credits", "sub2_credits"):
        if p[k] > p["households"]:
            count = f"{p[k]:,}" if p[k] < 1e15 else f"{p[k]:.3g}"  # not a number of 309 digits
            return k, f"{count} credits are more than the country's {p['households']:,.0f} households"
    if p["sub1_credits"] + p["sub2_credits"] > p["households"]:
        return "sub2_credits", "the two subcomponents' credits together are more than the country's households"
    if p["hospital_discharges"] > 10 * p["households"]:
        return "hospital_discharges", "more than ten hospitalisations per household a year is not plausible"
    return None


def _instalment(p: dict, k: str):
    """Monthly level instalment of subcomponent k's credit (cuota mensual)."""
    r = periodic_rate(_col(p[f"{k}_loan_rate"]), 12, p["loan_rate_convention"])
    pay = level_payment(_col(p[f"{k}_loan"]), r, 12 * p[f"{k}_loan_years"])
    return np.round(pay, 2) if p[f"{k}_round_instalment"] else pay


def _years(p: dict) -> np.ndarray:
    return np.arange(1, p["horizon_years"] + 1)


def _growth(rate, t: np.ndarray):
    """(1 + rate)^(t-1): a yearly growth factor, shape (..., horizon)."""
    return (1 + _col(rate)) ** (t - 1)


def _costs(p: dict, k: str, value) -> dict:
    """The four cost lines: upfront subsidy and contribution in year 1, the credit, maintenance.
    The credit line holds the instalments (``credit_cost`` debt_service) or, as a resource cost,
    the principal lent in year 1 (``resource_cost``: the instalments are then a transfer between
    borrower and lender, not a cost to the economy)."""
    t = _years(p)
    upfront = t == 1
    if p["credit_cost"] == "resource_cost":
        credit = upfront * _col(p[f"{k}_loan"])
    else:
        credit = (t <= p[f"{k}_loan_years"]) * (12 * _instalment(p, k))
    return {
        "subsidy": upfront * _col(p[f"{k}_subsidy"]),
        "household_contribution": upfront * _col(p[f"{k}_contribution"]),
        "credit_instalments": credit,
        "maintenance": _col(p["maintenance_rate"]) * value,
    }


def _finish(p: dict, lines: dict, benefits: list) -> dict:
    """Add total benefits, total costs and the net flow to ``lines``."""
    out = dict(lines)
    out["total_benefits"] = sum(lines[k] for k in benefits)
    out["total_costs"] = sum(lines[k] for k in COSTS)
    out["net_flow"] = out["total_benefits"] - out["total_costs"]
    return out


def _deflator(p: dict):
    """1 for nominal flows; 1 / (1 + CPI)^(year-1) for real ones (``flow_prices``), year 1 the base."""
    if p["flow_prices"] == "real":
        return 1 / _growth(p["cpi_growth"], _years(p))
    return np.ones(p["horizon_years"])


def _discount_factors(p: dict):
    """1 / (1 + r)^t for each year, t = year - 1 + discount_first_period, times the deflator
    (real flows: a flow of year t is worth flow / (1 + CPI)^(t-1) at year-1 prices); shape (..., horizon)."""
    return discount_factors(p["discount_rate"], p["horizon_years"], p["discount_first_period"]) * _deflator(p)


def _table(p: dict, lines: dict, discounted: bool = True) -> pd.DataFrame:
    """One parameter set's flows as a table, years 1..horizon, with the discounted net flow."""
    t = _years(p)
    if discounted:
        lines = {**lines, "discounted_net_flow": lines["net_flow"] * _discount_factors(p)}
    return pd.DataFrame({"year": t, **{k: np.broadcast_to(v, t.shape) for k, v in lines.items()}})


def sub1_house_value(p: dict):
    """Year-1 value of the new home (valor de la vivienda en el año 1)."""
    if p["sub1_house_value_rule"] == "financing_sum":
        return _col(p["sub1_subsidy"]) + _col(p["sub1_contribution"]) + _col(p["sub1_loan"])
    return _col(p["sub1_house_value_stated"])


def sub1_flows(p: dict) -> dict:
    """Yearly flows per beneficiary of Subcomponent 1 (vivienda nueva), arrays of shape (..., horizon).

    Any numeric parameter may be an array of N values (shape (N, 1) inside): the flows are then
    (N, horizon). ``house_value`` (V_t = V_1 (1+g)^(t-1)) is information, not a flow. The home's
    value at the end of the horizon, V_20, comes in year 20 split into realisation (V_1) and
    valuation (V_20 - V_1). The used-home adjustment removes ``used_home_share`` of the imputed
    rent and of the final value: benefits the document says do not apply to used homes.
    """
    t = _years(p)
    value = sub1_house_value(p) * _growth(p["house_price_growth"], t)
    last = (t == t[-1]) * bool(p["terminal_value"])
    rent = 12 * _col(p["monthly_rent_yield"]) * value
    realisation = last * value[..., :1]
    valuation = last * (value[..., -1:] - value[..., :1])
    growth = _growth(p["cpi_growth"], t) if p["precarious_growth"] == "cpi" else np.ones(t.size)
    deduction = _col(p["precarious_share"]) * 12 * _col(p["precarious_rent_monthly"]) * growth
    used = _col(p["used_home_share"])
    if p["precarious_used_adjust"]:
        deduction = deduction * (1 - used)
    lines = {
        "house_value": value,
        "imputed_rent": rent,
        "asset_realisation": realisation,
        "asset_valuation": valuation,
        "used_home_adjustment": -used * (rent + realisation + valuation),
        "precarious_rent_deduction": -deduction,
        **_costs(p, "sub1", value),
    }
    return _finish(p, lines, SUB1_BENEFITS)


def sub1_cash_flow(p: dict) -> pd.DataFrame:
    """Yearly flow per beneficiary of Subcomponent 1 as a table (see :func:`sub1_flows`)."""
    return _table(p, sub1_flows(p))


HEALTH = ["school_absenteeism", "work_absenteeism", "hospitalisations"]


def _health(p: dict) -> dict:
    """Year-1 health inputs per household, by benefit: (avoided units, unit value, annual benefit,
    year-1 flow); each may be an array of shape (N, 1)."""
    daily_wage = _col(p["minimum_wage_monthly"]) / _col(p["wage_days_per_month"])
    cut = _col(p["absence_reduction"])
    avoided = [
        _col(p["school_absence_days"]) * cut * _col(p["children_per_household"]),
        _col(p["work_absence_days"]) * cut * _col(p["earners_per_household"]),
        _col(p["hospital_discharges"]) / _col(p["households"]) * cut,
    ]
    unit = [daily_wage, daily_wage, _col(p["hospitalisation_cost"])]
    out = {}
    for name, a, u in zip(HEALTH, avoided, unit):
        annual = a * u
        # The spreadsheet evidently carries the figures as printed (USD 0.1), then grows them.
        out[name] = (a, u, annual, np.round(annual, 1) if p["health_round_to_printed"] else annual)
    return out


def health_benefits(p: dict) -> pd.DataFrame:
    """Year-1 health benefits per household of Subcomponent 2, derived from their inputs.

    School: days absent x reduction x children x daily minimum wage (the value of a day of
    schooling forgone, Chapman 2004). Work: sick days x reduction x earners x daily minimum
    wage (a full day of production). Hospitalisations: discharges / households x reduction x
    unit cost.
    """
    h = _health(p)
    return pd.DataFrame(
        {
            "benefit": HEALTH,
            "avoided_per_household": [float(h[k][0]) for k in HEALTH],
            "unit": ["school days", "work days", "hospitalisations"],
            "unit_value": [float(h[k][1]) for k in HEALTH],
            "formula": [
                "school_absence_days x absence_reduction x children_per_household"
                " x minimum_wage_monthly / wage_days_per_month",
                "work_absence_days x absence_reduction x earners_per_household"
                " x minimum_wage_monthly / wage_days_per_month",
                "hospital_discharges / households x absence_reduction x hospitalisation_cost",
            ],
            "annual_benefit": [float(h[k][2]) for k in HEALTH],
            "year1_flow": [float(h[k][3]) for k in HEALTH],
        }
    )


def sub2_value_gain(p: dict):
    """Year-1 with-minus-without home value of Subcomponent 2 (Z - X).

    ``works_plus_premium``: Z = X + factor x works, the works being subsidy + contribution + loan
    and (factor - 1) the premium "10 % del valor de las obras". ``house_times_factor``:
    Z = factor x X, the sentence "el valor de la vivienda se multiplicará por 1,1".
    """
    factor = _col(p["sub2_value_factor"])
    if p["sub2_value_rule"] == "works_plus_premium":
        return factor * (_col(p["sub2_subsidy"]) + _col(p["sub2_contribution"]) + _col(p["sub2_loan"]))
    return (factor - 1) * _col(p["sub2_house_value_before"])


def sub2_flows(p: dict) -> dict:
    """Yearly flows per beneficiary of Subcomponent 2 (mejoramiento), with minus without project,
    arrays of shape (..., horizon) as in :func:`sub1_flows`.

    ``value_without`` and ``value_with`` are information; the flows are the differences.
    Maintenance applies to the value gain only (the cost the works add).
    """
    t = _years(p)
    g = _growth(p["house_price_growth"], t)
    without = _col(p["sub2_house_value_before"]) * g
    gain = sub2_value_gain(p) * g
    last = (t == t[-1]) * bool(p["terminal_value"])
    cpi = _growth(p["cpi_growth"], t)
    lines = {
        "value_without": without,
        "value_with": without + gain,
        "imputed_rent_difference": 12 * _col(p["monthly_rent_yield"]) * gain,
        "asset_realisation_difference": last * gain[..., :1],
        "asset_valuation_difference": last * (gain[..., -1:] - gain[..., :1]),
        **{name: h[3] * cpi for name, h in _health(p).items()},
        **_costs(p, "sub2", gain),
    }
    return _finish(p, lines, SUB2_BENEFITS)


def sub2_cash_flow(p: dict) -> pd.DataFrame:
    """Yearly flow per beneficiary of Subcomponent 2 as a table (see :func:`sub2_flows`)."""
    return _table(p, sub2_flows(p))


def programme_flows(p: dict, f1, f2) -> dict:
    """Programme flows: per-beneficiary flows (``f1``, ``f2``: dicts or tables) times the number of
    credits of each subcomponent."""
    n1, n2 = _col(p["sub1_credits"]), _col(p["sub2_credits"])
    out = {
        "sub1_benefits": n1 * np.asarray(f1["total_benefits"]),
        "sub1_costs": n1 * np.asarray(f1["total_costs"]),
        "sub2_benefits": n2 * np.asarray(f2["total_benefits"]),
        "sub2_costs": n2 * np.asarray(f2["total_costs"]),
    }
    out["total_benefits"] = out["sub1_benefits"] + out["sub2_benefits"]
    out["total_costs"] = out["sub1_costs"] + out["sub2_costs"]
    out["net_flow"] = out["total_benefits"] - out["total_costs"]
    return out


def programme_cash_flow(p: dict, cf1: pd.DataFrame, cf2: pd.DataFrame) -> pd.DataFrame:
    """Programme flow as a table (see :func:`programme_flows`)."""
    return _table(p, programme_flows(p, cf1, cf2), discounted=False)


# Rows per pass of evaluate_batch: (rows x horizon) arrays that stay in the CPU cache are about
# twice as fast as one pass over 100k rows (measured by `python -m analysis bench`).
BATCH_ROWS = 4096


def evaluate_batch(p: dict, draws: dict, with_irr: bool = True) -> dict:
    """Programme metrics for N parameter sets at once: ``draws`` maps numeric parameters to arrays
    of N values. Returns arrays ``<sub>.pv_benefits``, ``.pv_costs``, ``.npv``, ``.bc_ratio`` for
    sub1, sub2 (per beneficiary) and total (programme), and unless ``with_irr`` is false
    ``total.irr`` and ``total.irr_roots``; the same flows as :func:`evaluate` (tests: to 1e-9)."""
    draws = {k: np.asarray(v, dtype=float).ravel() for k, v in draws.items()}
    n = max((v.size for v in draws.values()), default=1)
    if n > BATCH_ROWS:
        parts = [
            evaluate_batch(p, {k: v[i : i + BATCH_ROWS] for k, v in draws.items()}, with_irr)
            for i in range(0, n, BATCH_ROWS)
        ]
        return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    q = {**p, **draws}
    f1, f2 = sub1_flows(q), sub2_flows(q)
    prog = programme_flows(q, f1, f2)
    factor, h = _discount_factors(q), p["horizon_years"]
    pv = lambda flow: np.broadcast_to(np.einsum("...t,...t->...", flow, factor), (n,))  # noqa: E731
    out = {}
    for name, b, c in [
        ("sub1", f1["total_benefits"], f1["total_costs"]),
        ("sub2", f2["total_benefits"], f2["total_costs"]),
        ("total", prog["total_benefits"], prog["total_costs"]),
    ]:
        pv_b, pv_c = pv(b), pv(c)
        out[f"{name}.pv_benefits"], out[f"{name}.pv_costs"] = pv_b, pv_c
        out[f"{name}.npv"] = pv_b - pv_c
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{name}.bc_ratio"] = np.where(pv_c == 0, np.nan, pv_b / pv_c)
    if with_irr:  # the rate of return of the flows at the prices discounted (real: the real IRR)
        r = irr_batch(np.broadcast_to(prog["net_flow"] * _deflator(q), (n, h)))
        out["total.irr"], out["total.irr_roots"] = r.rate, r.n_roots
    return out


def revolving(p: dict) -> pd.DataFrame:
    """Revolving effect (efecto rotatorio): credits the recovered capital finances again.

    Yearly cohorts: each subcomponent's capital (credits x loan) is lent in year 1; every loan
    is repaid monthly from the year it is lent; the principal plus ``<k>_revolving_interest_share``
    of the interest collected in a year is lent again, as loans of the same size and terms, in
    the next year, up to the last year of the horizon. Credit counts are fractional.
    """
    h = p["horizon_years"]
    out = {"year": _years(p)}
    for k in ("sub1", "sub2"):
        years = p[f"{k}_loan_years"]
        r = periodic_rate(p[f"{k}_loan_rate"], 12, p["loan_rate_convention"])
        s = amortization_schedule(1.0, r, 12 * years)
        share = p[f"{k}_revolving_interest_share"]
        per_usd = (s["principal"] + share * s["interest"]).to_numpy().reshape(years, 12).sum(axis=1)
        lent, collected = np.zeros(h), np.zeros(h)
        lent[0] = p[f"{k}_credits"] * p[f"{k}_loan"]
        for y in range(h):
            if y > 0:
                lent[y] = collected[y - 1]
            end = min(h, y + years)
            collected[y:end] += lent[y] * per_usd[: end - y]
        out[f"{k}_lent"] = lent
        out[f"{k}_credits"] = lent / p[f"{k}_loan"]
        out[f"{k}_collected_for_relending"] = collected
    return pd.DataFrame(out)


def _measures(p: dict, benefits, costs) -> dict:
    """PV costs, PV benefits, NPV (VNA), B/C and IRR (TIR) of one flow, at the prices discounted
    (``flow_prices``: real flows are deflated first, so the IRR is then the real rate)."""
    rate, first, d = p["discount_rate"], p["discount_first_period"], _deflator(p)
    benefits, costs = np.asarray(benefits) * d, np.asarray(costs) * d
    pv_b, pv_c = npv(rate, benefits, first), npv(rate, costs, first)
    r = irr(benefits - costs)
    return {
        "pv_costs": pv_c,
        "pv_benefits": pv_b,
        "npv": pv_b - pv_c,
        "bc_ratio": bc_ratio(pv_b, pv_c),
        "irr": float(r.rate),
    }, r.reason


def evaluate(p: dict) -> Result:
    """Run the evaluation for one validated parameter set."""
    cf1, cf2 = sub1_cash_flow(p), sub2_cash_flow(p)
    prog = programme_cash_flow(p, cf1, cf2)
    rev = revolving(p)
    metrics, notes = {}, {}
    for name, b, c in [
        ("sub1", cf1["total_benefits"], cf1["total_costs"]),
        ("sub2", cf2["total_benefits"], cf2["total_costs"]),
        ("sub1_total", prog["sub1_benefits"], prog["sub1_costs"]),
        ("sub2_total", prog["sub2_benefits"], prog["sub2_costs"]),
        ("total", prog["total_benefits"], prog["total_costs"]),
    ]:
        m, reason = _measures(p, b, c)
        metrics.update({f"{name}.{k}": float(v) for k, v in m.items()})
        notes[f"{name}.irr"] = reason
    health = health_benefits(p).set_index("benefit")["annual_benefit"]
    metrics.update({f"health.{k}": float(v) for k, v in health.items()})
    for k in ("sub1", "sub2"):
        metrics[f"revolving.{k}_extra_credits"] = float(rev[f"{k}_credits"].iloc[1:].sum())
        metrics[f"revolving.{k}_extra_amount"] = float(rev[f"{k}_lent"].iloc[1:].sum())
    metrics["revolving.total_amount"] = float(rev["sub1_lent"].sum() + rev["sub2_lent"].sum())
    metrics["revolving.households"] = float(rev["sub1_credits"].sum() + rev["sub2_credits"].sum())
    tables = {
        "sub1_cash_flow": cf1,
        "sub2_cash_flow": cf2,
        "programme_cash_flow": prog,
        "health_benefits": health_benefits(p),
        "revolving": rev,
    }
    return Result(metrics, tables, notes)

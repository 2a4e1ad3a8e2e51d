"""El Salvador CCLIP: IDB ex-ante cost-benefit analysis of a USD 50M FSV mortgage operation.

Source: idb2023elsalvador (seed 002). Benefits (beneficios):
  1. imputed rent of new homes net of mortgage payments (arriendo/alquiler imputado), plus the
     residual value of the homes in the last period (valor de rescate);
  2. value added of the investment in new homes (valor agregado de la inversión en viviendas nuevas);
  3. value added of the intermediation of used homes (valor agregado de la intermediación de usadas).
Costs: the disbursements (inversión), offset by the credit recovery (recuperación crediticia),
and the default cost (costos por mora). Flows are yearly, periods 1..horizon.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...finance import annual_debt_service, irr, irr_batch, npv
from ...finance import column as _col  # a batch of N values -> shape (N, 1)
from ...params import Spec
from ...result import Result

EVALUATION = "elsalvador"
DEFAULT_SCENARIO = "as_published"
# What the uncertainty analysis tracks: the conclusion changes where the NPV crosses zero.
UNCERTAINTY = {"metric": "npv", "threshold": 0.0, "irr": "irr",
               "probability_name": "p_npv_negative", "fails": lambda npv: npv < 0}

PARAMETERS = {
    "horizon_periods": Spec("integer", 1, 100, doc="evaluation horizon"),
    "disbursements": Spec("number_list", 0, None, doc="disbursement in period 1, 2, ..."),
    "annual_interest_rate": Spec("number", 0, 1, doc="mortgage rate"),
    "rate_convention": Spec("choice", choices=("nominal", "effective"), doc="annual rate to monthly rate"),
    "term_mix": Spec("share_map", doc="share of each disbursement lent at each term (years)"),
    "slip_disbursements": Spec("integer_list", 1, None, doc="disbursements repaid with one extra yearly payment"),
    "slip_term_years": Spec("integer_list", 1, None, doc="terms to which the extra payment applies"),
    "recovery_share": Spec("number", 0, 1, doc="share of the scheduled payments actually recovered"),
    "default_rate": Spec("share", doc="default (mora) cost as a share of recovery"),
    "new_home_share": Spec("share", doc="share of credit for new homes (the rest buys used homes)"),
    "rent_to_price": Spec("share", doc="yearly rent over home value"),
    "construction_weight": Spec("share", doc="weight of construction in the cost of a new home"),
    "value_added_construction": Spec("share", doc="value added per USD of construction"),
    "value_added_intermediation": Spec("share", doc="value added per USD of real-estate intermediation"),
    "residual_share": Spec("share", doc="residual value, as a share of the new homes' value"),
    "discount_rate": Spec("number", 0, 1, doc="social discount rate"),
    "discount_first_period": Spec("choice", choices=(0, 1), doc="exponent of the discount factor in period 1"),
    "irr_last_period": Spec("integer", 2, 100, doc="last period included in the IRR range"),
}


def check(p: dict):
    """Rules across parameters; returns (key, reason) for the first one broken, else None."""
    h, n_disb = p["horizon_periods"], len(p["disbursements"])
    if n_disb == 0 or sum(p["disbursements"]) <= 0:
        return "disbursements", "at least one positive disbursement is needed"
    if n_disb > h:
        return "disbursements", f"{n_disb} disbursements do not fit a horizon of {h} periods"
    bad = [i for i in p["slip_disbursements"] if i > n_disb]
    if bad:
        return "slip_disbursements", f"disbursement {bad[0]} does not exist (there are {n_disb})"
    for i in range(1, n_disb + 1):
        for term in p["term_mix"]:
            last = i + term + _extra(p, i, term)
            if p["term_mix"][term] > 0 and last > h:
                return "term_mix", (f"a {term}-year loan from disbursement {i} is repaid until period "
                                    f"{last}, beyond the horizon of {h} periods")
    if p["irr_last_period"] > h:
        return "irr_last_period", f"{p['irr_last_period']} is beyond the horizon of {h} periods"
    return None


def _extra(p: dict, disbursement: int, term: int) -> int:
    """1 when this disbursement/term gets the spreadsheet's extra (21st) payment."""
    return int(disbursement in p["slip_disbursements"] and term in p["slip_term_years"])


def _recovery(p: dict) -> list:
    """Yearly recovery of each disbursement, arrays of shape (..., horizon).

    Disbursement i is lent in period i at each term n of ``term_mix`` and repaid in monthly level
    instalments (12 a year, no grace period) from period i+1 to period i+n (one more where the
    spreadsheet's slip applies), scaled by ``recovery_share``.
    """
    periods = np.arange(1, p["horizon_periods"] + 1)
    rate, kept = _col(p["annual_interest_rate"]), _col(p["recovery_share"])
    flows = []
    for i, amount in enumerate(p["disbursements"], start=1):
        flow = np.zeros(periods.size)
        for term, share in p["term_mix"].items():
            if share > 0:
                payment = annual_debt_service(amount * share, rate, term, 12, p["rate_convention"])
                flow = flow + payment * ((periods > i) & (periods <= i + term + _extra(p, i, term)))
        flows.append(flow * kept)
    return flows


def _recovery_total(p: dict):
    """Total yearly recovery, shape (..., horizon): the sum of :func:`_recovery`, computed per
    term, since the rate enters only through each term's annuity factor (fast for batches)."""
    periods = np.arange(1, p["horizon_periods"] + 1)
    rate, total = _col(p["annual_interest_rate"]), 0.0
    for term, share in p["term_mix"].items():
        if share > 0:
            lent = sum(amount * share * ((periods > i) & (periods <= i + term + _extra(p, i, term)))
                       for i, amount in enumerate(p["disbursements"], start=1))
            total = total + annual_debt_service(1.0, rate, term, 12, p["rate_convention"]) * lent
    return total * _col(p["recovery_share"])


def recovery_schedule(p: dict) -> pd.DataFrame:
    """Yearly credit recovery by disbursement (Tabla 3), periods 1..horizon."""
    flows = _recovery(p)
    df = pd.DataFrame({"period": np.arange(1, p["horizon_periods"] + 1),
                       **{f"disbursement_{i}": f for i, f in enumerate(flows, start=1)}})
    df["total"] = np.sum(flows, axis=0)
    return df


def flows(p: dict) -> dict:
    """The yearly flows of Tabla 5 as arrays of shape (..., horizon).

    Any numeric parameter may be an array of N values (a batch): the flows then have shape
    (N, horizon). The table, the scalar results and the batch all come from this one function.
    """
    h = p["horizon_periods"]
    s, w, b = _col(p["new_home_share"]), _col(p["construction_weight"]), _col(p["rent_to_price"])
    va_c, va_i = _col(p["value_added_construction"]), _col(p["value_added_intermediation"])
    disb = np.zeros(h)
    disb[: len(p["disbursements"])] = p["disbursements"]
    recovery = _recovery_total(p)
    last = np.arange(h) == h - 1
    # Benefit 1: rent on every new home bought in earlier periods, net of the mortgage payments
    # of new-home buyers; the residual value of the new homes comes in the last period.
    stock_before = np.concatenate(([0.0], np.cumsum(disb)[:-1]))
    benefit1 = s * b * stock_before - s * recovery + last * (_col(p["residual_share"]) * s * disb.sum())
    # Benefits 2 and 3 accrue in the period of the disbursement.
    benefit2 = s * disb * (w * va_c + (1 - w) * va_i)
    benefit3 = (1 - s) * disb * (1 - w) * va_i
    default_cost = 0.0 - _col(p["default_rate"]) * recovery  # 0.0 -: no negative zeros
    net = benefit1 + benefit2 + benefit3 - disb + recovery + default_cost
    t = np.arange(h) + p["discount_first_period"]
    shape = np.shape(net)
    return {
        "imputed_rent": benefit1,
        "value_added_new": np.broadcast_to(benefit2, shape),
        "value_added_used": np.broadcast_to(benefit3, shape),
        "investment": np.broadcast_to(0.0 - disb, shape),
        "credit_recovery": np.broadcast_to(recovery, shape),
        "default_cost": np.broadcast_to(default_cost, shape),
        "net_flow": net,
        "discounted_net_flow": net * np.exp(-t * np.log1p(_col(p["discount_rate"]))),
    }


def cash_flow(p: dict) -> pd.DataFrame:
    """Yearly economic cash flow (Tabla 5): the three benefits, costs, net and discounted net flow."""
    return pd.DataFrame({"period": np.arange(1, p["horizon_periods"] + 1), **flows(p)})


def evaluate_batch(p: dict, draws: dict, with_irr: bool = True) -> dict:
    """NPV and IRR for N parameter sets at once: ``draws`` maps parameters to arrays of N values.

    Returns arrays ``npv``, and unless ``with_irr`` is false ``irr`` and ``irr_roots`` (the
    number of IRRs found per set); the same numbers as :func:`evaluate` (tests: to 1e-9).
    """
    f = flows({**p, **draws})
    n = max(np.size(v) for v in draws.values()) if draws else 1
    out = {"npv": np.broadcast_to(f["discounted_net_flow"].sum(axis=-1), (n,))}
    if with_irr:
        net = np.broadcast_to(f["net_flow"], (n, p["horizon_periods"]))
        r = irr_batch(net[:, : p["irr_last_period"]])
        out.update(irr=r.rate, irr_roots=r.n_roots)
    return out


def evaluate(p: dict) -> Result:
    """Run the evaluation for one validated parameter set."""
    cf = cash_flow(p)
    net = cf["net_flow"].to_numpy()
    r = irr(net[: p["irr_last_period"]])
    r_all = irr(net)
    pv = lambda col: npv(p["discount_rate"], cf[col], p["discount_first_period"])  # noqa: E731
    metrics = {
        "npv": float(cf["discounted_net_flow"].sum()),
        "irr": float(r.rate),
        "irr_all_periods": float(r_all.rate),
        "pv_imputed_rent": pv("imputed_rent"),
        "pv_value_added_new": pv("value_added_new"),
        "pv_value_added_used": pv("value_added_used"),
        "pv_investment": pv("investment"),
        "pv_credit_recovery": pv("credit_recovery"),
        "pv_default_cost": pv("default_cost"),
    }
    return Result(metrics, {"cash_flow": cf, "recovery_by_disbursement": recovery_schedule(p)},
                  {"irr": r.reason, "irr_all_periods": r_all.reason})


def tabla3(p: dict) -> pd.DataFrame:
    """The recovery schedule indexed as the document's Tabla 3 (row p = period p + 1)."""
    df = recovery_schedule(p)
    return df.assign(row=df["period"] - 1).drop(columns="period")[["row", *df.columns[1:]]]


def value_added_from_tabla5(p: dict, benefit2_period1: float, benefit3_period1: float) -> dict:
    """Invert Benefits 2 and 3 of period 1 for the two value-added coefficients.

    B3 = (1-s) D (1-w) va_i and B2 = s D (w va_c + (1-w) va_i), with D the first disbursement.
    """
    s, w, d = p["new_home_share"], p["construction_weight"], p["disbursements"][0]
    va_i = benefit3_period1 / ((1 - s) * d * (1 - w))
    va_c = (benefit2_period1 / (s * d) - (1 - w) * va_i) / w
    return {"value_added_construction": va_c, "value_added_intermediation": va_i}


def calibrate_value_added(parameter_sets: list, target_npvs: list) -> dict:
    """Least-squares value-added coefficients that make each parameter set's NPV hit its target.

    The NPV is affine in the two coefficients, so three model runs per set give its exact
    linear form; with more sets than unknowns the residuals test the model's structure.
    """
    rows, rhs = [], []
    for p, target in zip(parameter_sets, target_npvs):
        at = lambda c, i: evaluate({**p, "value_added_construction": c,  # noqa: E731
                                    "value_added_intermediation": i}).metrics["npv"]
        c0 = at(0.0, 0.0)
        rows.append([at(1.0, 0.0) - c0, at(0.0, 1.0) - c0])
        rhs.append(target - c0)
    a = np.array(rows)
    coef, *_ = np.linalg.lstsq(a, np.array(rhs), rcond=None)
    return {"value_added_construction": float(coef[0]), "value_added_intermediation": float(coef[1]),
            "residuals": (a @ coef - np.array(rhs)).tolist()}

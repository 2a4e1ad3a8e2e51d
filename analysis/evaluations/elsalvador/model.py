"""El Salvador CCLIP: IDB ex-ante cost-benefit analysis of a USD 50M FSV mortgage operation.

Source: idb_es_cclip. The model only: parameters, their rules, the flows, evaluate and evaluate_batch
(the published layout is in ``reconciliation``). Benefits (beneficios):
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

from ...core.contract import Result
from ...core.finance import annual_debt_service, discount_factors, irr, irr_batch, npv
from ...core.finance import column as _col  # a batch of N values -> shape (N, 1)
from ...core.params import Spec

PARAMETERS = {
    "horizon_periods": Spec(
        "integer", 1, 100, doc="number of yearly periods evaluated; the last one holds the residual value of the homes"
    ),
    "disbursements": Spec(
        "number_list",
        0,
        None,
        doc="USD disbursed (desembolsos) in periods 1, 2, ...; each is "
        "lent to households in the period it is disbursed",
    ),
    "annual_interest_rate": Spec(
        "number", 0, 1, fmt="percent", doc="yearly interest rate of the FSV mortgages (tasa de interés)"
    ),
    "rate_convention": Spec(
        "choice",
        choices=("nominal", "effective"),
        doc="how the yearly rate becomes the "
        "monthly one: nominal divides it by 12, effective takes the monthly rate that "
        "compounds to it in 12 months",
    ),
    "term_mix": Spec("share_map", doc="share of each disbursement lent at each term (plazo), in years"),
    "slip_disbursements": Spec(
        "integer_list", 1, None, doc="disbursements the spreadsheet repays with one extra (21st) yearly payment"
    ),
    "slip_term_years": Spec("integer_list", 1, None, doc="loan terms, in years, to which that extra payment applies"),
    "recovery_share": Spec(
        "number",
        0,
        1,
        fmt="percent",
        doc="share of the scheduled mortgage payments that is actually recovered (otorgación de créditos)",
    ),
    "default_rate": Spec("share", doc="cost of default (mora) as a share of the payments recovered"),
    "new_home_share": Spec("share", doc="share of the credit that buys new homes; the rest buys used homes"),
    "rent_to_price": Spec(
        "share", doc="yearly rent a home would earn, as a share of its value (imputed rent, alquiler imputado)"
    ),
    "construction_weight": Spec(
        "share", doc="share of a new home's cost that is construction; the rest is real-estate intermediation"
    ),
    "value_added_construction": Spec("share", doc="value added in the economy per USD spent on construction"),
    "value_added_intermediation": Spec(
        "share", doc="value added in the economy per USD spent on real-estate intermediation"
    ),
    "residual_share": Spec(
        "share",
        doc="value of the new homes at the end of the horizon (valor de rescate), as a "
        "share of the credit that bought them",
    ),
    "discount_rate": Spec("number", 0, 1, fmt="percent", doc="social discount rate applied to the net flows"),
    "discount_first_period": Spec(
        "choice",
        choices=(0, 1),
        doc="exponent of the discount factor in period 1: 0 "
        "leaves period 1 undiscounted (the spreadsheet), 1 discounts it by one year",
    ),
    "irr_last_period": Spec("integer", 2, 100, doc="last period of the net flow that the IRR includes"),
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
                return "term_mix", (
                    f"a {term}-year loan from disbursement {i} is repaid until period "
                    f"{last}, beyond the horizon of {h} periods"
                )
    if p["irr_last_period"] > h:
        return "irr_last_period", f"{p['irr_last_period']} is beyond the horizon of {h} periods"
    return None


def _extra(p: dict, disbursement: int, term: int) -> int:
    """1 when this disbursement (desembolso) and term (plazo) get the spreadsheet's extra (21st) payment."""
    return int(disbursement in p["slip_disbursements"] and term in p["slip_term_years"])


def _recovery(p: dict) -> list:
    """Yearly recovery (recuperación crediticia) of each disbursement, arrays of shape (..., horizon).

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
            lent = sum(
                amount * share * ((periods > i) & (periods <= i + term + _extra(p, i, term)))
                for i, amount in enumerate(p["disbursements"], start=1)
            )
            total = total + annual_debt_service(1.0, rate, term, 12, p["rate_convention"]) * lent
    return total * _col(p["recovery_share"])


def recovery_schedule(p: dict) -> pd.DataFrame:
    """Yearly credit recovery (recuperación crediticia) by disbursement (desembolso), periods 1..horizon."""
    flows = _recovery(p)
    df = pd.DataFrame(
        {
            "period": np.arange(1, p["horizon_periods"] + 1),
            **{f"disbursement_{i}": f for i, f in enumerate(flows, start=1)},
        }
    )
    df["total"] = np.sum(flows, axis=0)
    return df


def flows(p: dict) -> dict:
    """The yearly flows (flujo de fondos) as arrays of shape (..., horizon).

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
    shape = np.shape(net)
    return {
        "imputed_rent": benefit1,
        "value_added_new": np.broadcast_to(benefit2, shape),
        "value_added_used": np.broadcast_to(benefit3, shape),
        "investment": np.broadcast_to(0.0 - disb, shape),
        "credit_recovery": np.broadcast_to(recovery, shape),
        "default_cost": np.broadcast_to(default_cost, shape),
        "net_flow": net,
        "discounted_net_flow": net * discount_factors(p["discount_rate"], h, p["discount_first_period"]),
    }


def cash_flow(p: dict) -> pd.DataFrame:
    """Yearly economic cash flow (flujo de fondos): the three benefits (beneficios), costs, net flow
    (FFN) and discounted net flow (FFNVA)."""
    return pd.DataFrame({"period": np.arange(1, p["horizon_periods"] + 1), **flows(p)})


def evaluate_batch(p: dict, draws: dict, with_irr: bool = True) -> dict:
    """NPV (VAN) and IRR (TIR) for N parameter sets at once: ``draws`` maps parameters to arrays of N values.

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
    """Run the evaluation for one validated parameter set: NPV (VAN), IRR (TIR) over the first
    ``irr_last_period`` periods and over all, present value of each flow; the cash flow and the
    recovery schedule as tables."""
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
    return Result(
        metrics,
        {"cash_flow": cf, "recovery_by_disbursement": recovery_schedule(p)},
        {"irr": r.reason, "irr_all_periods": r_all.reason},
    )

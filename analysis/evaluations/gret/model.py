"""ACT-GRET progressive-housing spreadsheet (hoja de cálculo modelo ACT - GRET, 2002).

Source: idb_gret_2002 (seed 004), third part, with the instructions of the second part. The sheet
tests whether a progressive-housing operation (vivienda progresiva) is affordable: an organisation
(Cohab, cooperative, NGO) buys and services land, builds an initial core (núcleo) and, some years
later, lends the materials for the extension (ampliación). Each yearly generation (generación) of
``units`` dwellings is financed by

* the prior savings (ahorro previo) of the future borrowers (category 1) and of solidarity savers
  who will not borrow (category 2, ahorro solidario, refunded later);
* a public subsidy proportional to those savings (subsidio, ``subsidy_to_savings_ratio``);
* loan 1 (préstamo 1) for the rest of land and core, repaid over the years between core and
  extension, then loan 2 (préstamo 2) for the materials, over the same term.

The result is the family's effort rate (tasa de esfuerzo: loan-1 instalment over income) and what
is left to live on (saldo para vivir). Money is in thousands of USD (k$) unless said otherwise;
table 3.3 (treasury, tesorería) is in % of the generation's origin value. Calendar years are 1..H;
generation g buys its land in year g, builds its core in year g+2 and its extension in g+2+x.

Conventions that the sheet follows but the text contradicts are parameters whose default (the
``as_published`` scenario) is the sheet's choice; ``corrected`` fixes them. The chapter
(book/gret.ipynb) shows each convention's effect and every printed cell that does not reproduce.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...finance import amortization_schedule, column, level_payment
from ... import published
from ...params import Spec
from ...result import Result

EVALUATION = "gret"
DEFAULT_SCENARIO = "as_published"

LIVING_MINIMUM_USD = 100  # 1.6: a family needs at least 100 USD a month besides housing
REFERENCE_INCOME_USD = 200  # 1.6: 'el ingreso familiar más bajo compatible con el cúmulo de hipótesis'
# What the uncertainty analysis tracks: the effort rate of the 200 USD family, the lowest income
# the document calls compatible with its hypotheses (1.6). The document states no effort-rate
# ceiling; its one affordability rule is 100 USD a month left to live on (1.6), which at 200 USD
# is an effort rate of (200 - 100) / 200 = 50 %. Above that the family cannot afford the loan.
EFFORT_CEILING = (REFERENCE_INCOME_USD - LIVING_MINIMUM_USD) / REFERENCE_INCOME_USD
UNCERTAINTY = {"metric": f"effort_rate.{REFERENCE_INCOME_USD}", "threshold": EFFORT_CEILING, "irr": None,
               "probability_name": "p_unaffordable", "fails": lambda x: x > EFFORT_CEILING}

PARAMETERS = {
    # 1. macro table (cuadro de parámetros macro-económicos)
    "inflation": Spec("number", 0, 1, doc="índice 1: inflation per year"),
    "savings_spread": Spec("number", 0, 1, doc="índice 2: savings remuneration = inflation + x"),
    "credit_spread": Spec("number", 0, 1, doc="índice 3: organisation's borrowing rate = inflation + y"),
    "loan_spread": Spec("number", 0, 1, doc="índice 4: rate of the loans to families = inflation + z"),
    "production_growth": Spec("number", 0, 1, doc="índice 5: yearly growth of the units produced"),
    "growth_years": Spec("integer", 0, 100, doc="number of years of production growth"),
    "horizon_years": Spec("integer", 5, 100, doc="years (and generations) simulated"),
    # 2. operation (hipótesis de operación), k$ per unit at today's prices
    "land_cost": Spec("number", 0, None, doc="serviced land (terreno urbanizado), years n and n+1"),
    "core_cost": Spec("number", 0, None, doc="initial core and fees (construcción inicial), year n+2"),
    "materials_cost": Spec("number", 0, None, doc="materials for the extension, year n+2+x"),
    "units": Spec("integer", 1, None, doc="units per generation in year 1"),
    "years_between": Spec("integer", 1, 30, doc="x: years between core and extension = loan term"),
    # 3. financing (hipótesis de financiamiento)
    "borrower_savings_rate": Spec("share", doc="category 1: yearly savings in % of the operation cost"),
    "solidarity_savings_rate": Spec("share", doc="category 2: yearly savings in % of the operation cost"),
    "borrower_saving_years": Spec("integer", 1, 3, doc="years of prior saving; they end the year before the core"),
    "solidarity_saving_years": Spec("integer", 1, 40, doc="years solidarity savers deposit before their refund"),
    "first_year_topup": Spec("boolean", doc="a generation that cannot save every year (the first) has its "
                                            "first year multiplied to make up the missing years"),
    "subsidy_to_savings_ratio": Spec("number", 0, 10, doc="subsidy per unit of savings (1.0 = 100 %; text: 0.5-2.0)"),
    "test_generation": Spec("integer", 1, 100, doc="generation of the section-4 loan test"),
    "incomes": Spec("number_list", 0.01, None, doc="monthly family incomes, USD"),
    # section 1.6 table of monthly payments
    "intro_principal": Spec("number", 0, None, doc="operation amount, USD"),
    "intro_financed_share": Spec("share", doc="share of the amount lent"),
    "intro_rates": Spec("number_list", 0, 1, doc="annual rates (monthly rate = rate / 12)"),
    "intro_years": Spec("integer_list", 1, 50, doc="loan terms, years"),
    # conventions (sheet's choice by default)
    "savings_interest": Spec("choice", choices=("previous_flow", "compound"),
                             doc="previous_flow: r x last year's cell, none in the first cat-2-only year (sheet); "
                                 "compound: r x balance (text 2.2.1, 'capitalizada')"),
    "generation2_spread_interest": Spec("boolean", doc="generation 2 earns only x (not inflation + x) while both categories save (sheet)"),
    "display_rounded_generations": Spec("integer", 0, 100, doc="savings cells of generations 1..N are used as displayed (0.1 k$)"),
    "refund_topup_year": Spec("boolean", doc="solidarity savers get back their share of a topped-up first-year cell"),
    "treasury_refund_price": Spec("choice", choices=("last_deposit", "refund_year"),
                                  doc="price level of the solidarity refund in table 3.3"),
    "treasury_subsidy": Spec("choice", choices=("origin_share", "inflated_savings"),
                             doc="3.3 subsidy: ratio x nominal % of origin value priced at the core year (sheet) "
                                 "or ratio x the inflated savings (the sheet's own 'recordar' line)"),
    "treasury_loan_rate": Spec("choice", choices=("spread", "nominal"),
                               doc="rate of the loan-1 repayments in 3.3: z only (sheet) or inflation + z"),
    "include_loan2_repayments": Spec("boolean", doc="deduct loan-2 repayments from 'a financiar' (sheet: no, note (1))"),
}


def check(p: dict):
    """Rules across parameters; returns (key, reason) for the first one broken, else None."""
    h, x = p["horizon_years"], p["years_between"]
    if p["land_cost"] + p["core_cost"] + p["materials_cost"] <= 0:
        return "core_cost", "the unit cost (land + core + materials) must be positive"
    if 3 + 2 * x > h:
        return "years_between", (f"the treasury (3.3) repays loan 2 until year {3 + 2 * x} "
                                 f"(core in year 3, two loans of {x} years), beyond the horizon of {h} years")
    if p["test_generation"] + 1 + 2 * x > h:
        return "test_generation", (f"generation {p['test_generation']} repays loan 2 until year "
                                   f"{p['test_generation'] + 1 + 2 * x}, beyond the horizon of {h} years")
    if p["solidarity_saving_years"] < p["borrower_saving_years"]:
        return "solidarity_saving_years", "solidarity savers must deposit at least as long as borrowers save"
    if 3 + p["solidarity_saving_years"] > h:
        return "solidarity_saving_years", f"the refund falls beyond the horizon of {h} years"
    n1 = p["borrower_saving_years"]
    if p["borrower_savings_rate"] * n1 > 1:
        return "borrower_savings_rate", f"{n1} years at this rate save more than 100 % of the operation cost"
    if p["solidarity_savings_rate"] * p["solidarity_saving_years"] > 1:
        return "solidarity_savings_rate", "solidarity savings add up to more than 100 % of the operation cost"
    if p["borrower_savings_rate"] + p["solidarity_savings_rate"] <= 0:
        return "borrower_savings_rate", "at least one category must save (the sheet splits savings by their rates)"
    if p["display_rounded_generations"] and p["savings_interest"] != "previous_flow":
        return "display_rounded_generations", "display rounding is a reading of the sheet's previous_flow cells only"
    if p["loan_spread"] < p["credit_spread"]:
        # section 5: the margin between índices 3 and 4 pays for loan management and arrears
        return "loan_spread", "the rate lent to families (índice 4) must not be below the organisation's own (índice 3)"
    return None


# Batches: any numeric parameter may be an array of N values. ``column`` makes it shape (N, 1), so
# that per-generation quantities are (N, 1) and year rows (N, years); with scalar parameters they
# are plain numbers and 1-d rows. The tables and the batch path run the same functions.

def _at(a, i: int):
    """Element i of a row (the last axis), kept as a column in a batch."""
    return a[..., i:i + 1] if np.ndim(a) > 1 else a[i]


def _total(a):
    """Sum over the last axis, kept as a column in a batch."""
    return a.sum(axis=-1, keepdims=np.ndim(a) > 1)


def round_half_away(x, decimals: int = 0):
    """Round as a spreadsheet displays: to 15 significant digits, then half away from zero.
    Works elementwise on arrays; a scalar gives a float."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 10.0 ** np.clip(14 - np.floor(np.log10(np.abs(x))), -300, 300)
        x15 = np.where((x != 0) & np.isfinite(x), np.round(x * scale) / scale, x)
    m = 10.0 ** decimals
    out = np.where(np.isfinite(x15), np.copysign(np.floor(np.abs(x15) * m + 0.5) / m, x15), x15)
    return float(out) if out.ndim == 0 else out


def _f(p):
    return 1.0 + column(p["inflation"])


def _savings_rate(p):
    return column(p["inflation"]) + column(p["savings_spread"])


def loan_rate(p):
    """Rate of the loans to families (índice 4): inflation + z."""
    return column(p["inflation"]) + column(p["loan_spread"])


def _unit_cost(p):
    return column(p["land_cost"]) + column(p["core_cost"]) + column(p["materials_cost"])


def units_by_generation(p) -> np.ndarray:
    """Units of generations 1..H; growth Tx applies to the first ``growth_years`` steps (a guess:
    the printed case has no growth)."""
    h = p["horizon_years"]
    growth = np.where(np.arange(1, h) <= p["growth_years"], column(p["production_growth"]), 0.0)
    steps = np.cumprod(1.0 + growth, axis=-1)
    return p["units"] * np.concatenate((np.ones(steps.shape[:-1] + (1,)), steps), axis=-1)


def origin_value(p) -> np.ndarray:
    """Commitment (compromiso inicial) of generations 1..H in k$: unit cost x f^(g-1) x units."""
    g = np.arange(p["horizon_years"])
    return _unit_cost(p) * _f(p) ** g * units_by_generation(p)


def macro_table(p) -> pd.DataFrame:
    """Table 1: per year, inflation factor and the rates of índices 2-5."""
    years = np.arange(1, p["horizon_years"] + 1)
    return pd.DataFrame({
        "year": years,
        "inflation_factor": _f(p),
        "savings_rate": _savings_rate(p),
        "credit_rate": p["inflation"] + p["credit_spread"],
        "loan_rate": loan_rate(p),
        "production_growth": np.where(years <= p["growth_years"], p["production_growth"], 0.0),
    })


def investment_shares(p) -> np.ndarray:
    """Share of the origin value spent in relative years k = 0, 1, ...: land in halves in k = 0, 1,
    core in k = 2, materials in k = 2 + x (años n, n+1, n+2, n+x)."""
    k = np.arange(3 + p["years_between"])
    total = _unit_cost(p)
    return (column(p["land_cost"]) / 2 * (k <= 1) + column(p["core_cost"]) * (k == 2)
            + column(p["materials_cost"]) * (k == 2 + p["years_between"])) / total


def generation_investment(p, g: int) -> np.ndarray:
    """Investment of generation g in its relative years k = 0 .. 2 + x (k$): C_g x share_k x f^k."""
    k = np.arange(3 + p["years_between"])
    return _at(origin_value(p), g - 1) * investment_shares(p) * _f(p) ** k


def investment_schedule(p) -> pd.DataFrame:
    """Table 2: rows generation g, columns calendar years; cell = C_g x share_k x f^k, k = t - g."""
    h, c = p["horizon_years"], origin_value(p)
    m = np.zeros((h, h))
    for g in range(h):
        row = generation_investment(p, g + 1)[: h - g]
        m[g, g: g + row.size] = row
    df = pd.DataFrame(m, columns=range(1, h + 1))
    df.insert(0, "generation", range(1, h + 1))
    df.insert(1, "unit_cost", c / units_by_generation(p))
    df.insert(2, "units", units_by_generation(p))
    df.insert(3, "commitment", c)
    return df


def generation_savings(p, g: int) -> dict:
    """Savings (3.1 A) of generation g: calendar-year cells, the transfer to the borrower's
    operation (u1, in the core year g+2), the refund to solidarity savers (u2) and the subsidy basis.

    Both categories save from year g+2-n1 (not before year 1); borrowers stop the year before the
    core, solidarity savers after ``solidarity_saving_years`` and are refunded the next year.
    Deposits are % of C_g priced at f^(years since the generation's first saving year).
    """
    n1, n2, f, r = p["borrower_saving_years"], p["solidarity_saving_years"], _f(p), _savings_rate(p)
    c1, c2 = column(p["borrower_savings_rate"]), column(p["solidarity_savings_rate"])
    w2 = c2 / (c1 + c2)
    c_g = _at(origin_value(p), g - 1)
    start = g + 2 - n1                    # may be < 1: the first generations save fewer years
    first = max(start, 1)
    last1, last2 = g + 1, start + n2 - 1  # last saving year of each category
    topup = 1 + (first - start) if p["first_year_topup"] else 1
    rho1 = column(p["savings_spread"]) if (g == 2 and p["generation2_spread_interest"]) else r
    compound = p["savings_interest"] == "compound"
    cells, b1, b2, prev = {}, 0.0, 0.0, 0.0
    for t in range(first, last2 + 1):
        dep1 = c1 * c_g * f ** (t - first) * (topup if t == first else 1) * (t <= last1)
        dep2 = c2 * c_g * f ** (t - first) * (topup if t == first else 1)
        if compound:
            # interest on each category's balance (remuneración capitalizada)
            i1 = rho1 * b1 if t <= last1 else 0.0
            i2 = (rho1 if t <= last1 else r) * b2
            b1, b2 = b1 + dep1 + i1, b2 + dep2 + i2
            cell = dep1 + dep2 + i1 + i2
        else:
            # the sheet credits r on last year's cell; none in the first cat-2-only year
            rate = rho1 if t <= last1 else (0.0 if t == last1 + 1 else r)
            cell = dep1 + dep2 + (rate * prev if t > first else 0.0)
            if g <= p["display_rounded_generations"]:
                cell = round_half_away(cell, 1)
        cells[t] = prev = cell
        if t == last1:
            basis1, basis2 = (b1, b2) if compound else ((1 - w2) * sum(cells.values()), w2 * sum(cells.values()))
    transfer = basis1
    refund = (b2 if compound else basis2 + sum(v for t, v in cells.items() if t > last1))
    if topup > 1 and not p["refund_topup_year"]:
        refund = refund - w2 * (cells[first] if not compound else (c1 + c2) * c_g * topup)
    return {"cells": cells, "transfer": transfer, "transfer_year": g + 2, "refund": refund,
            "refund_year": last2 + 1, "basis_borrowers": basis1, "basis_solidarity": basis2}


def _year_frame(p, rows: dict) -> pd.DataFrame:
    h = p["horizon_years"]
    m = np.zeros((h, h))
    for g, cells in rows.items():
        for t, v in cells.items():
            if 1 <= t <= h:
                m[g - 1, t - 1] += v
    df = pd.DataFrame(m, columns=range(1, h + 1))
    df.insert(0, "generation", range(1, h + 1))
    return df


def savings_tables(p) -> dict:
    """3.1 A sources, B uses, C balance and 3.2 subsidies, rows = generation, columns = year (k$)."""
    h, ratio = p["horizon_years"], p["subsidy_to_savings_ratio"]
    gens = {g: generation_savings(p, g) for g in range(1, h + 1)}
    sources = _year_frame(p, {g: s["cells"] for g, s in gens.items()})
    uses = _year_frame(p, {g: {s["transfer_year"]: -s["transfer"], s["refund_year"]: -s["refund"]}
                           for g, s in gens.items()})
    subsidy = _year_frame(p, {g: {s["transfer_year"]: ratio * (s["basis_borrowers"] + s["basis_solidarity"])}
                              for g, s in gens.items()})
    years = list(range(1, h + 1))
    src, use, sub = (df[years].sum().to_numpy() for df in (sources, uses, subsidy))
    totals = pd.DataFrame({"year": years, "sources": src, "sources_cum": src.cumsum(),
                           "uses": use, "uses_cum": use.cumsum(), "balance": src + use,
                           "balance_cum": (src + use).cumsum(), "subsidy": sub, "subsidy_cum": sub.cumsum()})
    return {"sources": sources, "uses": uses, "subsidies": subsidy, "totals": totals, "generations": gens}


def treasury(p) -> pd.DataFrame:
    """3.3: treasury of one generation in % of its origin value, relative years j = 1..H.

    'a financiar' = inflated investment - inflated financing - loan-1 principal repaid so far
    (and loan-2 principal when ``include_loan2_repayments``). Loan 1 is the 'recordar' line:
    inflated investment at the core - inflated cat-1 savings - subsidy on the inflated savings.
    """
    h, x, f = p["horizon_years"], p["years_between"], _f(p)
    n1, n2 = p["borrower_saving_years"], p["solidarity_saving_years"]
    c1, c2, ratio = p["borrower_savings_rate"], p["solidarity_savings_rate"], p["subsidy_to_savings_ratio"]
    j = np.arange(1, h + 1)
    price = f ** (j - 1.0)
    inv = np.zeros(h)
    inv[: 3 + x] = investment_shares(p)
    s1 = np.where(j <= n1, c1, 0.0)
    s2 = np.where(j <= n2, c2, 0.0)
    s2[n2] = -c2 * n2                                  # refund the year after the last deposit
    sub = np.zeros(h)
    sub[2] = ratio * (s1 + s2)[j <= 3].sum()           # booked in the core year, on savings so far
    refund_price = f ** (n2 - 1) if p["treasury_refund_price"] == "last_deposit" else price[n2]
    inflated_savings = ((s1 + np.where(j <= n2, c2, 0.0)) * price)[j <= 3].sum()
    loan1 = (inv * price)[:3].sum() - (s1 * price)[:3].sum() - ratio * inflated_savings
    loan1 = max(loan1, 0.0)
    sub_nominal = sub[2] * price[2] if p["treasury_subsidy"] == "origin_share" else ratio * inflated_savings
    fin_flow = s1 * price + np.where(j <= n2, c2, 0.0) * price
    fin_flow[n2] += s2[n2] * refund_price
    fin_flow[2] += sub_nominal
    rate = p["loan_spread"] if p["treasury_loan_rate"] == "spread" else loan_rate(p)
    rep1 = np.zeros(h)
    if loan1 > 0:
        rep1[3: 3 + x] = amortization_schedule(loan1, rate, x)["principal"].to_numpy()
    loan2 = inv[2 + x] * price[2 + x]
    rep2 = np.zeros(h)
    if p["include_loan2_repayments"] and loan2 > 0:
        rep2[3 + x: 3 + 2 * x] = amortization_schedule(loan2, rate, x)["principal"].to_numpy()
    fin = np.cumsum(s1) + np.cumsum(s2) + np.cumsum(sub)
    diff_infl = np.cumsum(inv * price) - np.cumsum(fin_flow)
    second = np.zeros(h)
    second[2 + x] = loan2
    df = pd.DataFrame({
        "year": j, "investment": inv, "investment_cum": inv.cumsum(), "investment_inflated": np.cumsum(inv * price),
        "savings1": s1, "savings1_cum": s1.cumsum(), "savings2": s2, "savings2_cum": s2.cumsum(),
        "subsidy": sub, "subsidy_cum": sub.cumsum(), "financing": fin, "financing_inflated": np.cumsum(fin_flow),
        "difference": inv.cumsum() - fin, "difference_inflated": diff_infl,
        "loan1_repayment": rep1, "loan1_repayment_cum": rep1.cumsum(), "loan2": second,
        "loan2_repayment": rep2, "to_finance": diff_infl - rep1.cumsum() - rep2.cumsum(),
    })
    df.attrs["recordar"] = {"investment_inflated": (inv * price)[:3].sum(), "savings1_inflated": (s1 * price)[:3].sum(),
                            "subsidy": ratio * inflated_savings, "loan1": loan1}
    return _percent(df)


def _percent(df: pd.DataFrame) -> pd.DataFrame:
    """Shares -> % of origin value (the sheet prints 3.3 in %)."""
    out = df.copy()
    cols = [c for c in df.columns if c != "year"]
    out[cols] = df[cols] * 100
    out.attrs["recordar"] = {k: v * 100 for k, v in df.attrs["recordar"].items()}
    return out


def loan_schedule(principal: float, rate: float, term: int, first_year: int, h: int) -> pd.DataFrame:
    """Yearly balance table (SCA = saldo de capital adeudado) of a level-payment loan disbursed at
    the start of ``first_year`` and paid at the end of that year and the next term-1 years."""
    years = np.arange(1, h + 1)
    out = pd.DataFrame({"year": years, "opening": 0.0, "interest": 0.0, "repayment": 0.0, "closing": 0.0})
    if principal > 0:
        s = amortization_schedule(principal, rate, term)
        rows = slice(first_year - 1, first_year - 1 + term)
        out.iloc[rows, 1:] = s[["opening_balance", "interest", "principal", "closing_balance"]].to_numpy()
    return out


def test_loans(p, s: dict | None = None) -> dict:
    """Section 4: the two loans of generation ``test_generation`` (k$ for all its units), and the
    family's monthly loan-1 instalment in USD. ``s``: that generation's :func:`generation_savings`.

    Loan 1 = investment up to the core year - the borrowers' savings transferred - the subsidy on
    both categories' savings (not below 0); loan 2 = the inflated materials. Term x, rate
    inflation + z, level yearly payments from the disbursement year. Batch-friendly (the hot path
    of the uncertainty analysis): only generation g is computed.
    """
    g, x = p["test_generation"], p["years_between"]
    s = s or generation_savings(p, g)
    inv = generation_investment(p, g)
    ratio = column(p["subsidy_to_savings_ratio"])
    invested = _total(inv[..., :3])                   # land (k = 0, 1) and core (k = 2)
    sub1, sub2 = ratio * s["basis_borrowers"], ratio * s["basis_solidarity"]
    loan1 = np.maximum(invested - s["transfer"] - sub1 - sub2, 0.0)
    loan2 = _at(inv, 2 + x)
    rate = loan_rate(p)
    pay1, pay2 = level_payment(loan1, rate, x), level_payment(loan2, rate, x)
    units = _at(units_by_generation(p), g - 1)
    return {"investment_cum": invested, "borrower_savings": s["transfer"], "subsidy_borrowers": sub1,
            "subsidy_solidarity": sub2, "loan1": loan1, "loan2": loan2, "term": x, "rate": rate,
            "loan1_payment": pay1, "loan2_payment": pay2, "units": units,
            "monthly_payment_usd": pay1 / units * 1000 / 12}


def buyer_loans(p, tables: dict | None = None) -> dict:
    """:func:`test_loans` with the investment row by calendar year and the yearly loan schedules."""
    g, x, h = p["test_generation"], p["years_between"], p["horizon_years"]
    ln = test_loans(p, tables["generations"][g] if tables else None)
    core = g + 2
    return {**ln, "investment": investment_schedule(p).iloc[g - 1][list(range(1, h + 1))].to_numpy(dtype=float),
            "schedule1": loan_schedule(ln["loan1"], ln["rate"], x, core, h),
            "schedule2": loan_schedule(ln["loan2"], ln["rate"], x, core + x, h)}


def affordability(p, loans: dict | None = None) -> dict:
    """Headline metrics: the loans, their payments and, per income, the effort rate (tasa de
    esfuerzo: loan-1 monthly instalment over income) and what is left to live on (saldo para
    vivir). The unrounded instalment is used, as the sheet does. Batch-friendly."""
    ln = loans or test_loans(p)
    monthly = ln["monthly_payment_usd"]
    out = {k: ln[k] for k in ("loan1", "loan2", "loan1_payment", "loan2_payment", "monthly_payment_usd")}
    for inc in p["incomes"]:
        out[f"effort_rate.{_label(inc)}"] = monthly / inc
    for inc in p["incomes"]:
        out[f"left_to_live.{_label(inc)}"] = inc - monthly
    return out


def effort(p, loans: dict | None = None) -> pd.DataFrame:
    """The effort table of section 4: one row per income (see :func:`affordability`)."""
    m = affordability(p, loans)
    inc = [float(i) for i in p["incomes"]]
    return pd.DataFrame({"income": inc, "monthly_payment": float(m["monthly_payment_usd"]),
                         "effort_rate": [float(m[f"effort_rate.{_label(i)}"]) for i in inc],
                         "left_to_live": [float(m[f"left_to_live.{_label(i)}"]) for i in inc]})


def intro_payments(p) -> pd.DataFrame:
    """Section 1.6: monthly instalment (USD) on the financed share of ``intro_principal`` at
    rate/12 over 12 x years months, for each rate and term."""
    amount = p["intro_principal"] * p["intro_financed_share"]
    rows = [{"rate": r, "years": n, "monthly_payment": level_payment(amount, r / 12, 12 * n)}
            for r in p["intro_rates"] for n in p["intro_years"]]
    return pd.DataFrame(rows)


def financing_need(p) -> pd.DataFrame:
    """The organisation's financing need by calendar year (k$): every running generation's
    'a financiar' (3.3, % of its origin value) times its origin value, summed. Also the yearly change."""
    h = p["horizon_years"]
    need = treasury(p)["to_finance"].to_numpy() / 100
    c = origin_value(p)
    total = np.array([sum(need[t - g] * c[g] for g in range(t + 1)) for t in range(h)])
    return pd.DataFrame({"year": np.arange(1, h + 1), "need": total, "change": np.diff(total, prepend=0.0)})


def effort_grid(p, ratios=(0.5, 1.0, 1.5, 2.0), savings_rates=(0.02, 0.03, 0.04, 0.05)) -> pd.DataFrame:
    """Effort rate by income for each subsidy ratio and savings rate (both categories save at the
    same rate, as in the printed case). One row per (ratio, savings rate, income)."""
    frames = []
    for ratio in ratios:
        for rate in savings_rates:
            q = {**p, "subsidy_to_savings_ratio": ratio, "borrower_savings_rate": rate, "solidarity_savings_rate": rate}
            e = effort(q)
            e.insert(0, "savings_rate", rate)
            e.insert(0, "subsidy_to_savings_ratio", ratio)
            frames.append(e)
    return pd.DataFrame(pd.concat(frames, ignore_index=True))


def _label(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def evaluate_batch(p: dict, draws: dict, with_irr: bool = False) -> dict:
    """The headline metrics of :func:`affordability` for N parameter sets at once: ``draws`` maps
    parameters to arrays of N values; returns arrays of N values, equal to :func:`evaluate`'s
    (tests: to 1e-9). GRET has no rate of return, so ``with_irr`` is accepted and ignored.

    Integer parameters (loan term, saving years) shape the arrays, so each distinct combination
    of their drawn values is run as its own batch.
    """
    n = max((np.size(v) for v in draws.values()), default=1)
    whole = [k for k in draws if PARAMETERS[k].kind == "integer"]
    if not whole:
        m = affordability({**p, **draws})
        return {k: np.broadcast_to(v, (n, 1))[:, 0] for k, v in m.items()}
    keys = np.stack([np.broadcast_to(draws[k], (n,)) for k in whole], axis=-1)
    if not np.array_equal(keys, np.round(keys)):
        raise ValueError(f"{', '.join(whole)} must be whole numbers")
    combos, which = np.unique(keys, axis=0, return_inverse=True)
    which = which.reshape(-1)
    out = {}
    for i, combo in enumerate(combos):
        rows = which == i
        fixed = {k: int(v) for k, v in zip(whole, combo)}
        sub = {k: np.broadcast_to(v, (n,))[rows] for k, v in draws.items() if k not in fixed}
        for k, v in evaluate_batch({**p, **fixed}, sub).items():
            out.setdefault(k, np.empty(n))[rows] = v
    return out


def evaluate(p: dict) -> Result:
    """Run the whole sheet for one validated parameter set."""
    sav = savings_tables(p)
    loans = buyer_loans(p, sav)
    eff = effort(p, loans)
    tr = treasury(p)
    need = financing_need(p)
    metrics = {
        **affordability(p, loans),
        "treasury_loan1_pct": tr.attrs["recordar"]["loan1"],
        "treasury_peak_to_finance_pct": float(tr["to_finance"].max()),
        "peak_financing_need": float(need["need"].max()),
        "subsidy_total": float(sav["totals"]["subsidy"].sum()),
    }
    s1 = loans["schedule1"].add_prefix("loan1_").rename(columns={"loan1_year": "year"})
    s2 = loans["schedule2"].drop(columns="year").add_prefix("loan2_")
    return Result(
        {k: float(v) for k, v in metrics.items()},
        {"macro": macro_table(p), "investment": investment_schedule(p), "sources": sav["sources"],
         "uses": sav["uses"], "subsidies": sav["subsidies"], "totals": sav["totals"], "treasury": tr,
         "loan_schedules": pd.concat([s1, s2], axis=1), "effort": eff, "intro_payments": intro_payments(p),
         "financing_need": need},
        {"loan1": "" if loans["loan1"] > 0 else "savings and subsidy cover the core: no loan 1"},
    )


# --- Reconciliation with the printed tables (data/published/gret/*.csv) -------------------------
# The printed tables are reference values for tests and the chapter; the model never reads them.

PUBLISHED_DIR = published.PUBLISHED_DIR / "gret"
PUBLISHED_TABLES = ("macro", "investment", "sources", "uses", "balance", "subsidies", "treasury",
                    "loans", "schedules", "effort", "intro_payments")


def published_cells() -> pd.DataFrame:
    """Every transcribed printed cell: table, row, col, value (as printed), decimals."""
    frames = [pd.read_csv(PUBLISHED_DIR / f"{t}.csv", dtype={"row": str, "col": str}).assign(table=t)
              for t in PUBLISHED_TABLES]
    return pd.concat(frames, ignore_index=True)[["table", "row", "col", "value", "decimals"]]


def model_cells(p) -> dict:
    """The model's value of every printed cell, in printed units (k$, USD, % as printed),
    keyed (table, row, col) like data/published/gret/*.csv."""
    h, f = p["horizon_years"], _f(p)
    out = {}
    years = range(1, h + 1)
    for _, r in macro_table(p).iterrows():
        y = str(int(r["year"]))
        out[("macro", y, "inflation_factor")] = r["inflation_factor"]
        for k in ("savings_rate", "credit_rate", "loan_rate", "production_growth"):
            out[("macro", y, k)] = 100 * r[k]
    inv = investment_schedule(p)
    shares = np.zeros(h)
    shares[: 3 + p["years_between"]] = investment_shares(p)[:h]
    for t in years:
        out[("investment", "share", str(t))] = 100 * shares[t - 1]
        out[("investment", "share_inflated", str(t))] = 100 * shares[t - 1] * f ** (t - 1)
    out[("investment", "unit", "unit_cost")] = p["land_cost"] + p["core_cost"] + p["materials_cost"]
    out[("investment", "unit", "units")] = p["units"]
    sav = savings_tables(p)
    n1, n2 = p["borrower_saving_years"], p["solidarity_saving_years"]
    for j in range(n2):
        pct = 100 * (p["borrower_savings_rate"] * (j < n1) + p["solidarity_savings_rate"])
        out[("sources", "header", str(j + 1))] = pct
        out[("sources", "header_inflated", str(j + 1))] = pct * f ** j
    for name, df in (("investment", inv), ("sources", sav["sources"]), ("uses", sav["uses"])):
        totals = df[list(years)].sum().to_numpy()
        for g in years:
            row = df.iloc[g - 1]
            if name != "uses":
                out[(name, str(g), "unit_cost")] = inv.iloc[g - 1]["unit_cost"]
                out[(name, str(g), "units")] = inv.iloc[g - 1]["units"]
                out[(name, str(g), "commitment")] = inv.iloc[g - 1]["commitment"]
            for t in years:
                out[(name, str(g), str(t))] = row[t]
        out[(name, "total", "units")] = inv["units"].sum()
        for t in years:
            out[(name, "total", str(t))] = totals[t - 1]
            out[(name, "cumulative", str(t))] = totals[:t].sum()
    tot = sav["totals"]
    out[("subsidies", "ratio", "value")] = 100 * p["subsidy_to_savings_ratio"]
    for t in years:
        out[("balance", "balance", str(t))] = tot["balance"].iloc[t - 1]
        out[("balance", "cumulative", str(t))] = tot["balance_cum"].iloc[t - 1]
        out[("subsidies", "per_year", str(t))] = tot["subsidy"].iloc[t - 1]
        out[("subsidies", "cumulative", str(t))] = tot["subsidy_cum"].iloc[t - 1]
    tr = treasury(p)
    for col in tr.columns.drop("year"):
        for t in years:
            out[("treasury", col, str(t))] = tr[col].iloc[t - 1]
    for k, v in tr.attrs["recordar"].items():
        out[("treasury", "recordar", k)] = v
    ln = buyer_loans(p, sav)
    core, x = p["test_generation"] + 2, p["years_between"]
    for t in years:
        out[("loans", "investment", str(t))] = ln["investment"][t - 1]
        out[("loans", "investment_cum", str(t))] = ln["investment"][:t].sum()
        out[("loans", "to_finance", str(t))] = ln["loan1"] if t == core else ln["loan2"] if t == core + x else 0.0
    for k in ("borrower_savings", "subsidy_borrowers", "subsidy_solidarity"):
        out[("loans", k, str(core))] = ln[k]
    for i in (1, 2):
        out[("loans", "amount", f"loan{i}")] = ln[f"loan{i}"]
        out[("loans", "term", f"loan{i}")] = x
        out[("loans", "rate", f"loan{i}")] = 100 * ln["rate"]
        out[("loans", "payment_signed", f"loan{i}")] = -ln[f"loan{i}_payment"]
        out[("loans", "payment", f"loan{i}")] = ln[f"loan{i}_payment"]
        s = ln[f"schedule{i}"]
        for col in ("opening", "interest", "repayment", "closing"):
            for t in range(1, h + 3):
                out[("schedules", f"loan{i}.{col}", str(t))] = s[col].iloc[t - 1] if t <= h else 0.0
    eff = effort(p, ln)
    per_unit = ln["loan1_payment"] / ln["units"]
    out.update({("effort", "payment", "annual"): ln["loan1_payment"], ("effort", "payment", "units"): ln["units"],
                ("effort", "payment", "per_unit"): per_unit, ("effort", "payment", "per_month"): per_unit / 12,
                ("effort", "payment", "usd_month"): per_unit / 12 * 1000})
    for _, r in eff.iterrows():
        out[("effort", "effort_rate", _label(r["income"]))] = 100 * r["effort_rate"]
        out[("effort", "left_to_live", _label(r["income"]))] = r["left_to_live"]
    for _, r in intro_payments(p).iterrows():
        out[("intro_payments", _label(round(100 * r["rate"], 10)), str(int(r["years"])))] = r["monthly_payment"]
    return out


def reconcile(p) -> pd.DataFrame:
    """Published cells next to the model's, rounded as printed; ``match`` is exact equality."""
    pub = published_cells()
    cells = model_cells(p)
    model = [cells.get((t, r, c), math.nan) for t, r, c in zip(pub["table"], pub["row"], pub["col"])]
    pub["model"] = model
    pub["model_rounded"] = [round_half_away(m, int(d)) for m, d in zip(model, pub["decimals"])]
    pub["match"] = np.isclose(pub["model_rounded"], pub["value"], rtol=0, atol=1e-9)
    pub["difference"] = pub["model"] - pub["value"]
    return pub


def known_misses() -> pd.DataFrame:
    """The printed cells the sheet's own rules do not give, with the reason (known_misses.csv)."""
    return pd.read_csv(PUBLISHED_DIR / "known_misses.csv", dtype={"row": str, "col": str})


def reconciliation_summary(rec: pd.DataFrame) -> pd.DataFrame:
    """Per printed table: cells transcribed, reproduced at printed precision, missed."""
    out = rec.groupby("table", sort=False)["match"].agg(cells="size", reproduced="sum").reset_index()
    out["missed"] = out["cells"] - out["reproduced"]
    return out


def misses(rec: pd.DataFrame) -> pd.DataFrame:
    """The cells of ``rec`` that do not reproduce, with the recorded reason (or 'not explained')."""
    out = rec.loc[~rec["match"], ["table", "row", "col", "value", "model_rounded", "difference"]]
    reasons = known_misses()[["table", "row", "col", "reason"]]
    out = out.merge(reasons, on=["table", "row", "col"], how="left")
    out["reason"] = out["reason"].fillna("not explained")
    return out.rename(columns={"value": "printed", "model_rounded": "model"})


def headline(p, income: float = 200.0) -> dict:
    """The numbers a correction moves: loan 1, the family's monthly payment and effort at ``income``,
    the per-generation peak 'a financiar' (% of origin value) and the programme's need in the last year."""
    ln = test_loans(p)
    monthly = ln["monthly_payment_usd"]
    need = financing_need(p)["need"]
    return {"loan1": ln["loan1"], "monthly_payment_usd": monthly, "effort_rate": monthly / income,
            "peak_to_finance_pct": float(treasury(p)["to_finance"].max()), "need_last_year": float(need.iloc[-1])}


def corrections(p, readings, income: float = 200.0) -> pd.DataFrame:
    """``headline`` for ``p``, each correction alone (``readings``: Reading objects), and all together."""
    every = {k: v for r in readings for k, v in r.overrides.items()}
    rows = [("as given", {}), *((r.label, r.overrides) for r in readings), ("all corrections together", every)]
    return pd.DataFrame([{"change": label, **headline({**p, **o}, income)} for label, o in rows])

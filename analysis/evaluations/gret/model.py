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

import numpy as np
import pandas as pd

from ...core.contract import Result
from ...core.finance import amortization_schedule, column, level_payment
from ...core.params import Spec

LIVING_MINIMUM_USD = 100  # 1.6: a family needs at least 100 USD a month besides housing
DOCUMENT_REFERENCE_INCOME_USD = 200  # 1.6: 'el ingreso familiar más bajo compatible con el cúmulo de hipótesis'
# The decision rule (the evaluation's criterion): the effort rate of the family earning the
# reference income (parameter ``reference_income``; the document's is 200 USD, the lowest income
# it calls compatible with its hypotheses, 1.6) is at most a ceiling. The document states no
# effort-rate ceiling; its one affordability rule is 100 USD a month left to live on (1.6), which
# at its 200 USD is an effort rate of (200 - 100) / 200 = 50 %. The criterion's threshold is a
# constant of the evaluation (analysis.core.contract), so the ceiling stays that 50 % when the
# reference income moves; the chapter shows what the family then has left to live on.
EFFORT_CEILING = (DOCUMENT_REFERENCE_INCOME_USD - LIVING_MINIMUM_USD) / DOCUMENT_REFERENCE_INCOME_USD

PARAMETERS = {
    # 1. macro table (cuadro de parámetros macro-económicos)
    "inflation": Spec(
        "number", 0, 1, fmt="percent", doc="yearly inflation (índice 1); every cost and deposit is indexed to it"
    ),
    "savings_spread": Spec(
        "number", 0, 1, fmt="percent", doc="remuneration of the savings above inflation (índice 2: inflation + x)"
    ),
    "credit_spread": Spec(
        "number",
        0,
        1,
        fmt="percent",
        doc="the organisation's own borrowing rate above inflation (índice 3: inflation + y)",
    ),
    "loan_spread": Spec(
        "number", 0, 1, fmt="percent", doc="rate of the loans to the families above inflation (índice 4: inflation + z)"
    ),
    "production_growth": Spec(
        "number",
        0,
        1,
        fmt="percent",
        doc="yearly growth of the number of dwellings a generation produces (índice 5, Tx)",
    ),
    "growth_years": Spec("integer", 0, 100, doc="number of years over which production grows"),
    "horizon_years": Spec("integer", 5, 100, doc="years simulated, one new generation of dwellings each year"),
    # 2. operation (hipótesis de operación), k$ per unit at today's prices
    "land_cost": Spec(
        "number",
        0,
        None,
        doc="cost of the serviced land (terreno urbanizado) per dwelling, paid in halves in "
        "the generation's first two years",
    ),
    "core_cost": Spec(
        "number",
        0,
        None,
        doc="cost of the initial core and fees (construcción inicial y honorarios) per dwelling, "
        "paid in the third year",
    ),
    "materials_cost": Spec(
        "number",
        0,
        None,
        doc="cost of the materials for the extension (ampliación) per dwelling, paid x years after the core",
    ),
    "units": Spec("integer", 1, None, doc="dwellings in the first generation"),
    "years_between": Spec(
        "integer", 1, 30, doc="x: years between the core and the extension, which is also the term of each loan"
    ),
    # 3. financing (hipótesis de financiamiento)
    "borrower_savings_rate": Spec(
        "share",
        doc="yearly savings of a future borrower (category 1, ahorro previo), as a share of the operation cost",
    ),
    "solidarity_savings_rate": Spec(
        "share",
        doc="yearly savings of a solidarity saver (category 2, ahorro solidario), as a share of the operation cost",
    ),
    "borrower_saving_years": Spec(
        "integer", 1, 3, doc="years the borrowers save before the core; saving ends the year before it"
    ),
    "solidarity_saving_years": Spec(
        "integer", 1, 40, doc="years the solidarity savers deposit before they are refunded"
    ),
    "first_year_topup": Spec(
        "boolean",
        doc="whether a generation that cannot save every year (the first) has its "
        "first deposit multiplied to make up the missing years",
    ),
    "subsidy_to_savings_ratio": Spec(
        "number",
        0,
        10,
        doc="public subsidy per unit of savings of both categories "
        "(1 = as much subsidy as savings; the text: 0.5 to 2)",
    ),
    "test_generation": Spec("integer", 1, 100, doc="the generation whose two loans section 4 tests"),
    "incomes": Spec("number_list", 0.01, None, doc="monthly family incomes at which the effort rate is shown"),
    "reference_income": Spec(
        "number",
        0.01,
        None,
        doc="monthly income of the family whose effort rate decides affordability (the criterion); "
        "its effort rate is computed whether or not it is one of the incomes shown",
    ),
    # section 1.6 table of monthly payments
    "intro_principal": Spec("number", 0, None, doc="amount of the operation in section 1.6's payment table"),
    "intro_financed_share": Spec("share", doc="share of that amount lent in section 1.6's payment table"),
    "intro_rates": Spec(
        "number_list",
        0,
        1,
        fmt="percent",
        doc="annual interest rates of section 1.6's payment table (monthly rate = rate / 12)",
    ),
    "intro_years": Spec("integer_list", 1, 50, doc="loan terms of section 1.6's payment table"),
    # conventions (the sheet's choice by default)
    "savings_interest": Spec(
        "choice",
        choices=("previous_flow", "compound"),
        doc="how savings earn interest: on last year's cell only, none in the first year "
        "with solidarity savers alone (previous flow, the sheet), or on the whole "
        "balance (compound, 'capitalizada' in 2.2.1)",
    ),
    "generation2_spread_interest": Spec(
        "boolean",
        doc="whether generation 2 earns only the spread x instead of "
        "inflation + x while both categories save (the sheet)",
    ),
    "display_rounded_generations": Spec(
        "integer", 0, 100, doc="the savings cells of generations 1 to N are used as the sheet displays them (to 0.1 k$)"
    ),
    "refund_topup_year": Spec(
        "boolean", doc="whether the solidarity savers get back their share of a topped-up first-year deposit"
    ),
    "treasury_refund_price": Spec(
        "choice",
        choices=("last_deposit", "refund_year"),
        doc="the price level of the solidarity refund in table 3.3: that of the last "
        "deposit (the sheet) or of the refund year",
    ),
    "treasury_subsidy": Spec(
        "choice",
        choices=("origin_share", "inflated_savings"),
        doc="the subsidy in table 3.3: the ratio times the savings in % of origin value, "
        "priced at the core year (the sheet), or the ratio times the inflated savings "
        "(the sheet's own 'recordar' line)",
    ),
    "treasury_loan_rate": Spec(
        "choice",
        choices=("spread", "nominal"),
        doc="the rate at which table 3.3 repays loan 1: the spread z only (the sheet) or inflation + z",
    ),
    "include_loan2_repayments": Spec(
        "boolean",
        doc="whether loan-2 repayments reduce what the organisation must "
        "finance ('a financiar'; the sheet: no, note (1))",
    ),
}


def check(p: dict):
    """Rules across parameters; returns (key, reason) for the first one broken, else None."""
    h, x = p["horizon_years"], p["years_between"]
    if not p["incomes"]:
        return "incomes", "must list at least one monthly income (the effort table has one column per income)"
    keys = [number_key(i) for i in p["incomes"]]
    twice = sorted({k for k in keys if keys.count(k) > 1}, key=keys.index)
    if twice:
        return "incomes", f"lists {', '.join(twice)} more than once (each income is one column and one metric)"
    if p["land_cost"] + p["core_cost"] + p["materials_cost"] <= 0:
        return "core_cost", "the unit cost (land + core + materials) must be positive"
    if 3 + 2 * x > h:
        return "years_between", (
            f"the treasury (3.3) repays loan 2 until year {3 + 2 * x} "
            f"(core in year 3, two loans of {x} years), beyond the horizon of {h} years"
        )
    if p["test_generation"] + 1 + 2 * x > h:
        return "test_generation", (
            f"generation {p['test_generation']} repays loan 2 until year "
            f"{p['test_generation'] + 1 + 2 * x}, beyond the horizon of {h} years"
        )
    if p["solidarity_saving_years"] < p["borrower_saving_years"]:
        return "solidarity_saving_years", "solidarity savers must deposit at least as long as borrowers save"
    if 3 + p["solidarity_saving_years"] > h:
        return "solidarity_saving_years", f"the refund falls beyond the horizon of {h} years"
    n1 = p["borrower_saving_years"]
    if p["borrower_savings_rate"] * n1 > 1:
        return "borrower_savings_rate", f"{n1} years at this rate save more than 100\u00a0% of the operation cost"
    if p["solidarity_savings_rate"] * p["solidarity_saving_years"] > 1:
        return "solidarity_savings_rate", "solidarity savings add up to more than 100\u00a0% of the operation cost"
    if p["borrower_savings_rate"] + p["solidarity_savings_rate"] <= 0:
        return "borrower_savings_rate", "at least one category must save (the sheet splits savings by their rates)"
    if p["display_rounded_generations"] and p["savings_interest"] != "previous_flow":
        return "display_rounded_generations", "display rounding is a reading of the sheet's previous_flow cells only"
    if p["loan_spread"] < p["credit_spread"]:
        # section 5: the margin between índices 3 and 4 pays for loan management and arrears
        return "loan_spread", (
            "the rate lent to families (índice 4) must not be below the organisation's own (índice 3)"
        )
    return None


# Batches: any numeric parameter may be an array of N values. ``column`` makes it shape (N, 1), so
# that per-generation quantities are (N, 1) and year rows (N, years); with scalar parameters they
# are plain numbers and 1-d rows. The tables and the batch path run the same functions.


def _at(a, i: int):
    """Element i of a row (the last axis), kept as a column in a batch."""
    return a[..., i : i + 1] if np.ndim(a) > 1 else a[i]


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
    m = 10.0**decimals
    out = np.where(np.isfinite(x15), np.copysign(np.floor(np.abs(x15) * m + 0.5) / m, x15), x15)
    return float(out) if out.ndim == 0 else out


def inflation_factor(p):
    """f = 1 + inflation: the yearly price index of costs and deposits (índice 1)."""
    return 1.0 + column(p["inflation"])


def _savings_rate(p):
    """Remuneration of the savings: inflation + x (índice 2)."""
    return column(p["inflation"]) + column(p["savings_spread"])


def loan_rate(p):
    """Rate of the loans to families (índice 4): inflation + z."""
    return column(p["inflation"]) + column(p["loan_spread"])


def _unit_cost(p):
    """Cost of one dwelling at today's prices: land + core + materials (k$)."""
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
    return _unit_cost(p) * inflation_factor(p) ** g * units_by_generation(p)


def macro_table(p) -> pd.DataFrame:
    """Table 1: per year, inflation factor and the rates of índices 2-5."""
    years = np.arange(1, p["horizon_years"] + 1)
    return pd.DataFrame(
        {
            "year": years,
            "inflation_factor": inflation_factor(p),
            "savings_rate": _savings_rate(p),
            "credit_rate": p["inflation"] + p["credit_spread"],
            "loan_rate": loan_rate(p),
            "production_growth": np.where(years <= p["growth_years"], p["production_growth"], 0.0),
        }
    )


def investment_shares(p) -> np.ndarray:
    """Share of the origin value spent in relative years k = 0, 1, ...: land in halves in k = 0, 1,
    core in k = 2, materials in k = 2 + x (años n, n+1, n+2, n+x)."""
    k = np.arange(3 + p["years_between"])
    total = _unit_cost(p)
    return (
        column(p["land_cost"]) / 2 * (k <= 1)
        + column(p["core_cost"]) * (k == 2)
        + column(p["materials_cost"]) * (k == 2 + p["years_between"])
    ) / total


def generation_investment(p, g: int) -> np.ndarray:
    """Investment of generation g in its relative years k = 0 .. 2 + x (k$): C_g x share_k x f^k."""
    k = np.arange(3 + p["years_between"])
    return _at(origin_value(p), g - 1) * investment_shares(p) * inflation_factor(p) ** k


def investment_schedule(p) -> pd.DataFrame:
    """Table 2: rows generation g, columns calendar years; cell = C_g x share_k x f^k, k = t - g."""
    h, c = p["horizon_years"], origin_value(p)
    m = np.zeros((h, h))
    for g in range(h):
        row = generation_investment(p, g + 1)[: h - g]
        m[g, g : g + row.size] = row
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
    n1, n2, f, r = p["borrower_saving_years"], p["solidarity_saving_years"], inflation_factor(p), _savings_rate(p)
    c1, c2 = column(p["borrower_savings_rate"]), column(p["solidarity_savings_rate"])
    w2 = c2 / (c1 + c2)
    c_g = _at(origin_value(p), g - 1)
    start = g + 2 - n1  # may be < 1: the first generations save fewer years
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
    refund = b2 if compound else basis2 + sum(v for t, v in cells.items() if t > last1)
    if topup > 1 and not p["refund_topup_year"]:
        refund = refund - w2 * (cells[first] if not compound else (c1 + c2) * c_g * topup)
    return {
        "cells": cells,
        "transfer": transfer,
        "transfer_year": g + 2,
        "refund": refund,
        "refund_year": last2 + 1,
        "basis_borrowers": basis1,
        "basis_solidarity": basis2,
    }


def _year_frame(p, rows: dict) -> pd.DataFrame:
    """A table by generation (rows) and calendar year (columns 1..H) from ``{g: {year: value}}``;
    years outside 1..H are dropped."""
    h = p["horizon_years"]
    m = np.zeros((h, h))
    for g, cells in rows.items():
        for t, v in cells.items():
            if 1 <= t <= h:
                m[g - 1, t - 1] += v
    df = pd.DataFrame(m, columns=range(1, h + 1))
    df.insert(0, "generation", range(1, h + 1))
    return df


def _uses(s: dict) -> dict:
    """A generation's uses by calendar year: the transfer to the operation and the solidarity
    refund, added up when they fall in the same year (solidarity savers who save as long as the
    borrowers are refunded in the core year)."""
    out = {s["transfer_year"]: -s["transfer"]}
    out[s["refund_year"]] = out.get(s["refund_year"], 0.0) - s["refund"]
    return out


def savings_tables(p) -> dict:
    """3.1 A sources, B uses, C balance and 3.2 subsidies, rows = generation, columns = year (k$)."""
    h, ratio = p["horizon_years"], p["subsidy_to_savings_ratio"]
    gens = {g: generation_savings(p, g) for g in range(1, h + 1)}
    sources = _year_frame(p, {g: s["cells"] for g, s in gens.items()})
    uses = _year_frame(p, {g: _uses(s) for g, s in gens.items()})
    subsidy = _year_frame(
        p, {g: {s["transfer_year"]: ratio * (s["basis_borrowers"] + s["basis_solidarity"])} for g, s in gens.items()}
    )
    years = list(range(1, h + 1))
    src, use, sub = (df[years].sum().to_numpy() for df in (sources, uses, subsidy))
    totals = pd.DataFrame(
        {
            "year": years,
            "sources": src,
            "sources_cum": src.cumsum(),
            "uses": use,
            "uses_cum": use.cumsum(),
            "balance": src + use,
            "balance_cum": (src + use).cumsum(),
            "subsidy": sub,
            "subsidy_cum": sub.cumsum(),
        }
    )
    return {"sources": sources, "uses": uses, "subsidies": subsidy, "totals": totals, "generations": gens}


def treasury(p) -> pd.DataFrame:
    """3.3: treasury of one generation in % of its origin value, relative years j = 1..H.

    'a financiar' = inflated investment - inflated financing - loan-1 principal repaid so far
    (and loan-2 principal when ``include_loan2_repayments``). Loan 1 is the 'recordar' line:
    inflated investment at the core - inflated cat-1 savings - subsidy on the inflated savings.
    """
    h, x, f = p["horizon_years"], p["years_between"], inflation_factor(p)
    n1, n2 = p["borrower_saving_years"], p["solidarity_saving_years"]
    c1, c2, ratio = p["borrower_savings_rate"], p["solidarity_savings_rate"], p["subsidy_to_savings_ratio"]
    j = np.arange(1, h + 1)
    price = f ** (j - 1.0)
    inv = np.zeros(h)
    inv[: 3 + x] = investment_shares(p)
    s1 = np.where(j <= n1, c1, 0.0)
    s2 = np.where(j <= n2, c2, 0.0)
    s2[n2] = -c2 * n2  # refund the year after the last deposit
    d2 = np.where(j <= n2, c2, 0.0)  # solidarity deposits, without the refund
    # The subsidy is booked in the core year on what both categories saved while the borrowers
    # saved (their n1 years), as in 3.2 and section 4.
    saving = j <= n1
    sub = np.zeros(h)
    sub[2] = ratio * (s1 + d2)[saving].sum()
    refund_price = f ** (n2 - 1) if p["treasury_refund_price"] == "last_deposit" else price[n2]
    inflated_savings = ((s1 + d2) * price)[saving].sum()
    loan1 = (inv * price)[:3].sum() - (s1 * price)[saving].sum() - ratio * inflated_savings
    loan1 = max(loan1, 0.0)
    sub_nominal = sub[2] * price[2] if p["treasury_subsidy"] == "origin_share" else ratio * inflated_savings
    fin_flow = s1 * price + d2 * price
    fin_flow[n2] += s2[n2] * refund_price
    fin_flow[2] += sub_nominal
    rate = p["loan_spread"] if p["treasury_loan_rate"] == "spread" else loan_rate(p)
    rep1 = np.zeros(h)
    if loan1 > 0:
        rep1[3 : 3 + x] = amortization_schedule(loan1, rate, x)["principal"].to_numpy()
    loan2 = inv[2 + x] * price[2 + x]
    rep2 = np.zeros(h)
    if p["include_loan2_repayments"] and loan2 > 0:
        rep2[3 + x : 3 + 2 * x] = amortization_schedule(loan2, rate, x)["principal"].to_numpy()
    fin = np.cumsum(s1) + np.cumsum(s2) + np.cumsum(sub)
    diff_infl = np.cumsum(inv * price) - np.cumsum(fin_flow)
    second = np.zeros(h)
    second[2 + x] = loan2
    df = pd.DataFrame(
        {
            "year": j,
            "investment": inv,
            "investment_cum": inv.cumsum(),
            "investment_inflated": np.cumsum(inv * price),
            "savings1": s1,
            "savings1_cum": s1.cumsum(),
            "savings2": s2,
            "savings2_cum": s2.cumsum(),
            "subsidy": sub,
            "subsidy_cum": sub.cumsum(),
            "financing": fin,
            "financing_inflated": np.cumsum(fin_flow),
            "difference": inv.cumsum() - fin,
            "difference_inflated": diff_infl,
            "loan1_repayment": rep1,
            "loan1_repayment_cum": rep1.cumsum(),
            "loan2": second,
            "loan2_repayment": rep2,
            "to_finance": diff_infl - rep1.cumsum() - rep2.cumsum(),
        }
    )
    df.attrs["recordar"] = {
        "investment_inflated": (inv * price)[:3].sum(),
        "savings1_inflated": (s1 * price)[saving].sum(),
        "subsidy": ratio * inflated_savings,
        "loan1": loan1,
    }
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
    invested = _total(inv[..., :3])  # land (k = 0, 1) and core (k = 2)
    sub1, sub2 = ratio * s["basis_borrowers"], ratio * s["basis_solidarity"]
    loan1 = np.maximum(invested - s["transfer"] - sub1 - sub2, 0.0)
    loan2 = _at(inv, 2 + x)
    rate = loan_rate(p)
    pay1, pay2 = level_payment(loan1, rate, x), level_payment(loan2, rate, x)
    units = _at(units_by_generation(p), g - 1)
    return {
        "investment_cum": invested,
        "borrower_savings": s["transfer"],
        "subsidy_borrowers": sub1,
        "subsidy_solidarity": sub2,
        "loan1": loan1,
        "loan2": loan2,
        "term": x,
        "rate": rate,
        "loan1_payment": pay1,
        "loan2_payment": pay2,
        "units": units,
        "monthly_payment_usd": pay1 / units * 1000 / 12,
    }


def buyer_loans(p, tables: dict | None = None) -> dict:
    """:func:`test_loans` with the investment row by calendar year and the yearly loan schedules."""
    g, x, h = p["test_generation"], p["years_between"], p["horizon_years"]
    ln = test_loans(p, tables["generations"][g] if tables else None)
    core = g + 2
    return {
        **ln,
        "investment": investment_schedule(p).iloc[g - 1][list(range(1, h + 1))].to_numpy(dtype=float),
        "schedule1": loan_schedule(ln["loan1"], ln["rate"], x, core, h),
        "schedule2": loan_schedule(ln["loan2"], ln["rate"], x, core + x, h),
    }


def affordability(p, loans: dict | None = None) -> dict:
    """Headline metrics: the loans, their payments, the effort rate (tasa de esfuerzo: loan-1
    monthly instalment over income) of the reference family (``effort_rate.reference``) and, per
    income, the effort rate and what is left to live on (saldo para vivir). The unrounded
    instalment is used, as the sheet does. Batch-friendly."""
    ln = loans or test_loans(p)
    monthly = ln["monthly_payment_usd"]
    out = {k: ln[k] for k in ("loan1", "loan2", "loan1_payment", "loan2_payment", "monthly_payment_usd")}
    out["effort_rate.reference"] = monthly / p["reference_income"]  # the criterion's metric
    for inc in p["incomes"]:
        out[f"effort_rate.{number_key(inc)}"] = monthly / inc
    for inc in p["incomes"]:
        out[f"left_to_live.{number_key(inc)}"] = inc - monthly
    return out


def effort(p, loans: dict | None = None) -> pd.DataFrame:
    """The effort table of section 4: one row per income (see :func:`affordability`)."""
    m = affordability(p, loans)
    inc = [float(i) for i in p["incomes"]]
    return pd.DataFrame(
        {
            "income": inc,
            "monthly_payment": float(m["monthly_payment_usd"]),
            "effort_rate": [float(m[f"effort_rate.{number_key(i)}"]) for i in inc],
            "left_to_live": [float(m[f"left_to_live.{number_key(i)}"]) for i in inc],
        }
    )


def intro_payments(p) -> pd.DataFrame:
    """Section 1.6: monthly instalment (USD) on the financed share of ``intro_principal`` at
    rate/12 over 12 x years months, for each rate and term."""
    amount = p["intro_principal"] * p["intro_financed_share"]
    rows = [
        {"rate": r, "years": n, "monthly_payment": level_payment(amount, r / 12, 12 * n)}
        for r in p["intro_rates"]
        for n in p["intro_years"]
    ]
    return pd.DataFrame(rows)


def financing_need(p) -> pd.DataFrame:
    """The organisation's financing need by calendar year (k$): every running generation's
    'a financiar' (3.3, % of its origin value) times its origin value, summed. Also the yearly change."""
    h = p["horizon_years"]
    need = treasury(p)["to_finance"].to_numpy() / 100
    c = origin_value(p)
    total = np.array([sum(need[t - g] * c[g] for g in range(t + 1)) for t in range(h)])
    return pd.DataFrame({"year": np.arange(1, h + 1), "need": total, "change": np.diff(total, prepend=0.0)})


def number_key(x: float) -> str:
    """A number as a key of a metric or a printed cell: ``200`` for 200.0, ``7.5`` otherwise."""
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
        {
            "macro": macro_table(p),
            "investment": investment_schedule(p),
            "sources": sav["sources"],
            "uses": sav["uses"],
            "subsidies": sav["subsidies"],
            "totals": sav["totals"],
            "treasury": tr,
            "loan_schedules": pd.concat([s1, s2], axis=1),
            "effort": eff,
            "intro_payments": intro_payments(p),
            "financing_need": need,
        },
        {"loan1": "" if loans["loan1"] > 0 else "savings and subsidy cover the core: no loan 1"},
    )

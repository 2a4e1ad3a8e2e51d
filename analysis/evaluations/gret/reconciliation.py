"""The model's side of the reconciliation: every printed cell of the ACT-GRET sheet, from the model.

The printed cells are in ``data/published/gret/published.csv`` (read and judged by
``analysis.core.reconcile``); this module only says where each of them comes from in the model, in the
printed units (k$, USD, % as printed) and with the same keys (table, row, column). Values are the
model's, unrounded: the engine compares them with the printed ones at the printed precision.

Tables (the sheet's numbering): ``macro`` (1. cuadro macro-económico), ``investment`` (2. inversiones),
``sources``, ``uses``, ``balance`` (3.1 A fuentes, B usos, C saldo), ``subsidies`` (3.2 subsidios),
``treasury`` (3.3 tesorería), ``loans`` and ``schedules`` (4. préstamos, saldo de capital adeudado),
``effort`` (4. tasa de esfuerzo) and ``intro_payments`` (1.6 mensualidades).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...core import reconcile
from . import model

TABLES = (
    "macro",
    "investment",
    "sources",
    "uses",
    "balance",
    "subsidies",
    "treasury",
    "loans",
    "schedules",
    "effort",
    "intro_payments",
)
# The cells the chapter shows first: the loans and what the families pay (section 4).
HEADLINE_CELLS = (
    ("loans", "amount", "loan1"),
    ("loans", "amount", "loan2"),
    ("loans", "payment", "loan1"),
    ("loans", "payment", "loan2"),
    ("effort", "payment", "usd_month"),
)


def _years(p) -> range:
    return range(1, p["horizon_years"] + 1)


def macro_cells(p) -> dict:
    """1. Cuadro de parámetros macro-económicos: inflation factor and the rates in % by year."""
    out = {}
    for _, r in model.macro_table(p).iterrows():
        y = str(int(r["year"]))
        out[("macro", y, "inflation_factor")] = r["inflation_factor"]
        for k in ("savings_rate", "credit_rate", "loan_rate", "production_growth"):
            out[("macro", y, k)] = 100 * r[k]
    return out


def investment_header_cells(p) -> dict:
    """2. Inversiones: the share lines (% of origin value by relative year, plain and inflated)
    and the unit cost and number of units of the header line."""
    h, f = p["horizon_years"], model.inflation_factor(p)
    shares = np.zeros(h)
    shares[: 3 + p["years_between"]] = model.investment_shares(p)[:h]
    out = {}
    for t in _years(p):
        out[("investment", "share", str(t))] = 100 * shares[t - 1]
        out[("investment", "share_inflated", str(t))] = 100 * shares[t - 1] * f ** (t - 1)
    out[("investment", "unit", "unit_cost")] = p["land_cost"] + p["core_cost"] + p["materials_cost"]
    out[("investment", "unit", "units")] = p["units"]
    return out


def savings_header_cells(p) -> dict:
    """3.1 A fuentes: the header lines, the yearly savings of both categories in % of origin value
    (plain and inflated)."""
    f, n1 = model.inflation_factor(p), p["borrower_saving_years"]
    out = {}
    for j in range(p["solidarity_saving_years"]):
        pct = 100 * (p["borrower_savings_rate"] * (j < n1) + p["solidarity_savings_rate"])
        out[("sources", "header", str(j + 1))] = pct
        out[("sources", "header_inflated", str(j + 1))] = pct * f**j
    return out


def generation_cells(p, name: str, table: pd.DataFrame, investment: pd.DataFrame) -> dict:
    """A table by generation and calendar year (2. inversiones, 3.1 A fuentes, 3.1 B usos): each
    cell, the column totals and running totals and, except for uses, each generation's unit cost,
    units and origin value (compromiso inicial)."""
    years = list(_years(p))
    totals = table[years].sum().to_numpy()
    out = {}
    for g in years:
        row = table.iloc[g - 1]
        if name != "uses":
            for k in ("unit_cost", "units", "commitment"):
                out[(name, str(g), k)] = investment.iloc[g - 1][k]
        for t in years:
            out[(name, str(g), str(t))] = row[t]
    out[(name, "total", "units")] = investment["units"].sum()
    for t in years:
        out[(name, "total", str(t))] = totals[t - 1]
        out[(name, "cumulative", str(t))] = totals[:t].sum()
    return out


def totals_cells(p, totals: pd.DataFrame) -> dict:
    """3.1 C saldo fuentes/usos and 3.2 subsidios: yearly values and running totals, and the ratio
    of subsidy to savings in % (monto : 100 %)."""
    out = {("subsidies", "ratio", "value"): 100 * p["subsidy_to_savings_ratio"]}
    for t in _years(p):
        out[("balance", "balance", str(t))] = totals["balance"].iloc[t - 1]
        out[("balance", "cumulative", str(t))] = totals["balance_cum"].iloc[t - 1]
        out[("subsidies", "per_year", str(t))] = totals["subsidy"].iloc[t - 1]
        out[("subsidies", "cumulative", str(t))] = totals["subsidy_cum"].iloc[t - 1]
    return out


def treasury_cells(p) -> dict:
    """3.3 Tesorería de una generación: every column by relative year, in % of origin value, and
    the 'recordar' line."""
    tr = model.treasury(p)
    out = {("treasury", col, str(t)): tr[col].iloc[t - 1] for col in tr.columns.drop("year") for t in _years(p)}
    out.update({("treasury", "recordar", k): v for k, v in tr.attrs["recordar"].items()})
    return out


def loan_cells(p, loans: dict) -> dict:
    """4. Test sobre la segunda generación: its investment row, what is financed in the core year
    and the extension year, the savings and subsidies deducted, and the two-loan box."""
    core, x = p["test_generation"] + 2, p["years_between"]
    out = {}
    for t in _years(p):
        out[("loans", "investment", str(t))] = loans["investment"][t - 1]
        out[("loans", "investment_cum", str(t))] = loans["investment"][:t].sum()
        out[("loans", "to_finance", str(t))] = loans["loan1"] if t == core else loans["loan2"] if t == core + x else 0.0
    for k in ("borrower_savings", "subsidy_borrowers", "subsidy_solidarity"):
        out[("loans", k, str(core))] = loans[k]
    for i in (1, 2):
        out[("loans", "amount", f"loan{i}")] = loans[f"loan{i}"]
        out[("loans", "term", f"loan{i}")] = x
        out[("loans", "rate", f"loan{i}")] = 100 * loans["rate"]
        out[("loans", "payment_signed", f"loan{i}")] = -loans[f"loan{i}_payment"]
        out[("loans", "payment", f"loan{i}")] = loans[f"loan{i}_payment"]
    return out


def schedule_cells(p, loans: dict) -> dict:
    """4. Préstamo 1 and 2: the balance tables (saldo de capital adeudado al inicio, intereses,
    reembolsos, saldo al final) for years 1 to H + 2 (the printed rows run two years past H)."""
    h = p["horizon_years"]
    out = {}
    for i in (1, 2):
        s = loans[f"schedule{i}"]
        for col in ("opening", "interest", "repayment", "closing"):
            for t in range(1, h + 3):
                out[("schedules", f"loan{i}.{col}", str(t))] = s[col].iloc[t - 1] if t <= h else 0.0
    return out


def effort_cells(p, loans: dict) -> dict:
    """4. Tasa de esfuerzo: loan 1's payment (a year, per unit, per month, USD a month) and, per
    income, the effort rate in % and what is left to live on (saldo para vivir) in USD."""
    per_unit = loans["loan1_payment"] / loans["units"]
    out = {
        ("effort", "payment", "annual"): loans["loan1_payment"],
        ("effort", "payment", "units"): loans["units"],
        ("effort", "payment", "per_unit"): per_unit,
        ("effort", "payment", "per_month"): per_unit / 12,
        ("effort", "payment", "usd_month"): per_unit / 12 * 1000,
    }
    for _, r in model.effort(p, loans).iterrows():
        out[("effort", "effort_rate", model.number_key(r["income"]))] = 100 * r["effort_rate"]
        out[("effort", "left_to_live", model.number_key(r["income"]))] = r["left_to_live"]
    return out


def intro_payment_cells(p) -> dict:
    """1.6: the monthly payment (USD) by annual rate (row, in %) and term (column, years)."""
    return {
        ("intro_payments", model.number_key(round(100 * r["rate"], 10)), str(int(r["years"]))): r["monthly_payment"]
        for _, r in model.intro_payments(p).iterrows()
    }


def model_cells(p) -> dict:
    """The model's value of every printed cell, keyed (table, row, column) as in published.csv."""
    investment = model.investment_schedule(p)
    savings = model.savings_tables(p)
    loans = model.buyer_loans(p, savings)
    out = {**macro_cells(p), **investment_header_cells(p), **savings_header_cells(p)}
    for name, table in (("investment", investment), ("sources", savings["sources"]), ("uses", savings["uses"])):
        out.update(generation_cells(p, name, table, investment))
    out.update(totals_cells(p, savings["totals"]))
    out.update(treasury_cells(p))
    out.update(loan_cells(p, loans))
    out.update(schedule_cells(p, loans))
    out.update(effort_cells(p, loans))
    out.update(intro_payment_cells(p))
    return out


def reproduce(scenario: str, values: dict) -> pd.DataFrame:
    """The model at ``values`` in the layout of the printed tables: table, row, column, value
    (unrounded, in printed units). The layout is the same for every scenario."""
    cells = model_cells(values)
    return pd.DataFrame(
        [{"table": t, "row": r, "column": c, "value": float(v)} for (t, r, c), v in cells.items()],
        columns=["table", "row", "column", "value"],
    )


def headline_cells(rec: pd.DataFrame) -> pd.DataFrame:
    """The rows of a reconciliation (``Evaluation.reconcile()``) for the loans, the family's
    monthly payment and every effort rate, in that order."""
    keys = list(HEADLINE_CELLS) + [
        ("effort", "effort_rate", c)
        for c in rec.loc[(rec["table"] == "effort") & (rec["row"] == "effort_rate"), "column"]
    ]
    indexed = rec.set_index(["table", "row", "column"])
    return indexed.loc[keys].reset_index()[rec.columns]


def exact_under(evaluation, scenario: str) -> int:
    """How many printed cells the model reproduces exactly at printed precision with the
    parameters of ``scenario`` (e.g. ``corrected``, which is not meant to reproduce the sheet)."""

    pub = reconcile.published(evaluation.name)
    values = evaluation.load(scenario).values
    rep = reproduce(scenario, values)
    frames = [rep.assign(scenario=s) for s in pub["scenario"].unique()]
    rec = reconcile.compare(pub, pd.concat(frames, ignore_index=True), reconcile.explained(evaluation.name).iloc[:0])
    return int((rec["verdict"] == reconcile.VERDICTS[0]).sum())


def rounding_ties(rec: pd.DataFrame) -> pd.DataFrame:
    """The cells whose reproduced value lies half a printed unit from the printed one (157.5
    printed 158): exact for the engine whichever way the sheet rounded them; the sheet rounds
    half away from zero (:func:`model.round_half_away`)."""
    half = 0.5 * 10.0 ** -rec["decimals"].astype(float)
    tie = (rec["difference"].abs() - half).abs() <= 1e-9 * half
    return rec[tie]

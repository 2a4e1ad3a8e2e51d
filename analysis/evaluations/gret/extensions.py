"""What the chapter computes beyond the printed case: how the subsidy ratio and the savings rate
move the families' effort (tasa de esfuerzo), and what the organisation must finance (a financiar)
under either treatment of the loan-2 repayments. The notebook only formats and plots these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import model
from .readings import treasury_figures

# The text's ranges: subsidy 50 % to 200 % of the savings (2.2.2) and savings of 2 % to 5 % of the
# operation cost a year (instructions); both categories save at the same rate, as in the printed case.
GRID_RATIOS = (0.5, 1.0, 1.5, 2.0)
GRID_SAVINGS_RATES = (0.02, 0.03, 0.04, 0.05)


def effort_grid(p: dict, ratios=GRID_RATIOS, savings_rates=GRID_SAVINGS_RATES, incomes=None) -> pd.DataFrame:
    """The effort table (section 4) for each subsidy ratio and savings rate (both categories), at
    ``incomes`` (default: the parameters' own). One row per (ratio, savings rate, income):
    subsidy_to_savings_ratio, savings_rate, income, monthly_payment, effort_rate, left_to_live."""
    base = p if incomes is None else {**p, "incomes": [float(i) for i in incomes]}
    frames = []
    for ratio in ratios:
        for rate in savings_rates:
            q = {
                **base,
                "subsidy_to_savings_ratio": ratio,
                "borrower_savings_rate": rate,
                "solidarity_savings_rate": rate,
            }
            e = model.effort(q)
            e.insert(0, "savings_rate", rate)
            e.insert(0, "subsidy_to_savings_ratio", ratio)
            frames.append(e)
    return pd.concat(frames, ignore_index=True)


def income_range(p: dict, points: int = 61) -> np.ndarray:
    """``points`` incomes evenly spread from the lowest to the highest of the parameters' incomes."""
    return np.linspace(min(p["incomes"]), max(p["incomes"]), points)


def living_minimum_effort(incomes) -> np.ndarray:
    """The effort rate above which a family earning ``incomes`` (USD a month) keeps less than the
    living minimum (1.6: 100 USD a month besides housing): 1 - 100 / income."""
    return 1.0 - model.LIVING_MINIMUM_USD / np.asarray(incomes, dtype=float)


def minimum_income(monthly_payment_usd: float) -> float:
    """The lowest monthly income (USD) that pays ``monthly_payment_usd`` and keeps the living minimum."""
    return float(monthly_payment_usd) + model.LIVING_MINIMUM_USD


def reference_grid(p: dict, ratios=GRID_RATIOS, savings_rates=GRID_SAVINGS_RATES) -> pd.DataFrame:
    """:func:`effort_grid` at the reference income alone (parameter ``reference_income``)."""
    return effort_grid(p, ratios, savings_rates, incomes=[p["reference_income"]])


def grid_summary(grid: pd.DataFrame) -> dict:
    """For a grid at one income: the effort with the least help (lowest ratio, lowest savings
    rate), with the most (highest of both), and how many of the combinations leave the family at
    least the living minimum."""

    def at(ratio, rate):
        row = grid[(grid["subsidy_to_savings_ratio"] == ratio) & (grid["savings_rate"] == rate)]
        return float(row["effort_rate"].iloc[0])

    ratios, rates = grid["subsidy_to_savings_ratio"], grid["savings_rate"]
    return {
        "worst": at(ratios.min(), rates.min()),
        "best": at(ratios.max(), rates.max()),
        "affordable": int((grid["left_to_live"] >= model.LIVING_MINIMUM_USD).sum()),
        "combinations": len(grid),
    }


def grid_table(grid: pd.DataFrame) -> pd.DataFrame:
    """A grid at one income as a table: one row per subsidy ratio, one column per savings rate."""
    out = grid.pivot(index="subsidy_to_savings_ratio", columns="savings_rate", values="effort_rate")
    return out.reset_index().rename_axis(columns=None)


def income_extremes(effort: pd.DataFrame) -> dict:
    """The effort rate at the lowest and the highest income of an effort table (section 4)."""
    e = effort.sort_values("income")
    return {
        "income_low": float(e["income"].iloc[0]),
        "effort_low": float(e["effort_rate"].iloc[0]),
        "income_high": float(e["income"].iloc[-1]),
        "effort_high": float(e["effort_rate"].iloc[-1]),
    }


def loan_box(p: dict) -> pd.DataFrame:
    """Section 4's two-loan box for the test generation: per loan, the amount (k$), the term
    (years), the rate, the yearly payment (k$ for all its dwellings) and the payment per family
    (USD a month)."""
    ln = model.test_loans(p)
    return pd.DataFrame(
        [
            {
                "loan": f"loan {i}",
                "amount": float(ln[f"loan{i}"]),
                "term": int(ln["term"]),
                "rate": float(ln["rate"]),
                "yearly_payment": float(ln[f"loan{i}_payment"]),
                "monthly_per_family": float(ln[f"loan{i}_payment"] / ln["units"] * 1000 / 12),
            }
            for i in (1, 2)
        ]
    )


def running_years(schedules: pd.DataFrame) -> pd.DataFrame:
    """The rows of the loan balance tables (``loan_schedules``) in which a loan runs."""
    return schedules[(schedules.drop(columns="year").abs() > 1e-9).any(axis=1)]


def effort_with_check(effort: pd.DataFrame) -> pd.DataFrame:
    """The effort table (section 4) with ``keeps_minimum``: whether the family keeps the living
    minimum (1.6) after paying loan 1."""
    return effort.assign(keeps_minimum=effort["left_to_live"] >= model.LIVING_MINIMUM_USD)


def treasury_peak(p: dict) -> dict:
    """When one generation's 'a financiar' (3.3) peaks: its value (% of origin value) and the
    generation's year j."""
    tr = model.treasury(p)
    i = int(tr["to_finance"].to_numpy().argmax())
    return {"peak_pct": float(tr["to_finance"].iloc[i]), "year": int(tr["year"].iloc[i])}


def other_loan2_convention(p: dict) -> dict:
    """``p`` with the other treatment of the loan-2 repayments in 3.3 (deducted or ignored)."""
    return {**p, "include_loan2_repayments": not p["include_loan2_repayments"]}


def loan2_convention_label(p: dict) -> str:
    """The treatment of the loan-2 repayments in ``p``, in words."""
    return "loan-2 repayments deducted" if p["include_loan2_repayments"] else "loan-2 repayments ignored (sheet)"


def financing_conventions(p: dict) -> dict:
    """One generation's 'a financiar' and the programme's financing need, under ``p``'s treatment
    of the loan-2 repayments and under the other one. Returns ``{"page": ..., "other": ...}``,
    each {label, to_finance (year, to_finance), need (year, need, change)}."""
    out = {}
    for key, q in (("page", p), ("other", other_loan2_convention(p))):
        tr = model.treasury(q)
        out[key] = {
            "label": loan2_convention_label(q),
            "to_finance": tr[["year", "to_finance"]],
            "need": model.financing_need(q),
        }
    return out


def key_figures(p: dict) -> dict:
    """The numbers the chapter's prose quotes for one parameter set: loan 1 (k$), the family's
    monthly payment (USD), the cost of a dwelling (USD, today's prices), the effort rate at the
    reference income and what that family has left to live on (USD a month), one generation's
    peak 'a financiar' (%), the programme's need in the last year (k$) and the range of the 1.6
    payments (USD a month)."""
    loans = model.test_loans(p)
    payments = model.intro_payments(p)["monthly_payment"]
    return {
        "loan1": float(loans["loan1"]),
        "monthly_payment_usd": float(loans["monthly_payment_usd"]),
        "unit_cost_usd": 1000 * float(p["land_cost"] + p["core_cost"] + p["materials_cost"]),
        "effort_rate": float(loans["monthly_payment_usd"]) / p["reference_income"],
        "left_to_live": p["reference_income"] - float(loans["monthly_payment_usd"]),
        **treasury_figures(p),
        "intro_payment_max": float(payments.max()),
        "intro_payment_min": float(payments.min()),
    }

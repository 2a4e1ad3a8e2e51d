"""What the ACT-GRET text says but its sheet does not do (correcciones), one change at a time;
scenario ``corrected`` applies them all.

The effects on the headline metrics (loan 1, the family's monthly payment, the effort rate at
the reference income) come from ``analysis.readings.effects``. The corrections to table 3.3 (tesorería) move
nothing the families pay, so :func:`treasury_effects` shows what they move instead: what one
generation and the whole programme must finance.
"""

import pandas as pd

from ...core import numbers
from ...core.contract import Choice, Criterion, Reading
from . import model

# Figures of the text that no parameter and no printed table holds, which the chapter quotes
# where the text contradicts the sheet: (value, locator).
TEXT_FIGURES = {
    "recommended_term_low": (7, "2.2.4 (the recommended loan term, low end)"),
    "recommended_term_high": (8, "2.2.4 (the recommended loan term, high end)"),
    "dwelling_cost_usd": (10000, "1.6 ('cerca de 10000 usd')"),
}

READINGS = (
    Reading(
        "compound_savings",
        "Capitalised savings, no display rounding",
        {"savings_interest": "compound", "display_rounded_generations": 0},
        "2.2.1",
        "correction",
    ),
    Reading(
        "generation2_rate",
        "Generation 2 earns inflation + 1\u00a0%",
        {"generation2_spread_interest": False},
        "2.2.6",
        "correction",
    ),
    Reading(
        "no_display_rounding",
        "No display rounding of generations 1-2",
        {"display_rounded_generations": 0},
        "sheet, generations 1-2",
        "correction",
    ),
    Reading("refund_topup", "Refund generation 1's topped-up year", {"refund_topup_year": True}, "2.2.3", "correction"),
    Reading(
        "refund_price",
        "Treasury (3.3): refund priced at its own year",
        {"treasury_refund_price": "refund_year"},
        "3.3",
        "correction",
    ),
    Reading(
        "subsidy_inflated",
        "Treasury (3.3): subsidy on the inflated savings",
        {"treasury_subsidy": "inflated_savings"},
        "3.3, 'recordar' line",
        "correction",
    ),
    Reading(
        "loan_rate_nominal",
        "Treasury (3.3): loan 1 repaid at inflation + z",
        {"treasury_loan_rate": "nominal"},
        "3.3",
        "correction",
    ),
    Reading(
        "loan2_repayments",
        "Treasury (3.3): deduct loan-2 repayments",
        {"include_loan2_repayments": True},
        "3.3 note (1), section 5",
        "correction",
    ),
)

# The affordability rule is this book's reading of section 1.6, which states no effort ceiling.
CHOICES = (
    Choice(
        "effort_ceiling",
        "What makes loan 1 affordable?",
        "Si se considera que una familia ordinaria requiere de un mínimo de 100 usd por mes para sus gastos "
        "ordinarios, fuera de la vivienda (comida, vestido, transportes, etc), el ingreso familiar mas bajo "
        "compatible con el cúmulo de hipótesis, en términos minimalistas de costos sería de 200 usd por mes.",
        "1.6",
        f"an effort-rate ceiling of {numbers.percent(model.EFFORT_CEILING, 0)} at the reference income "
        f"(what the {model.LIVING_MINIMUM_USD} USD rule leaves a {model.DOCUMENT_REFERENCE_INCOME_USD} USD "
        "family)",
        "The document states no effort-rate ceiling; its one rule of affordability is the 100 USD a month a "
        "family needs besides housing, and the lowest income it calls compatible is 200 USD. A ceiling on the "
        "share of income keeps the rule when the reference income is changed; the alternative keeps the "
        "100 USD in money instead.",
        (
            Reading(
                "ceiling_in_money",
                f"The {model.LIVING_MINIMUM_USD} USD rule in money: loan 1's instalment at most "
                f"{model.DOCUMENT_REFERENCE_INCOME_USD - model.LIVING_MINIMUM_USD} USD a month",
                {},
                "1.6",
                "method",
                criterion=Criterion(
                    "monthly_payment_usd",
                    model.DOCUMENT_REFERENCE_INCOME_USD - model.LIVING_MINIMUM_USD,
                    "<=",
                    f"loan 1's instalment leaves the document's {model.DOCUMENT_REFERENCE_INCOME_USD} USD family "
                    f"the {model.LIVING_MINIMUM_USD} USD it needs to live on",
                ),
            ),
        ),
    ),
)

TREASURY_COLUMNS = ["key", "reading", "peak_to_finance_pct", "need_last_year"]


def treasury_figures(p: dict) -> dict:
    """What the organisation must finance with parameters ``p``: the peak of one generation's
    'a financiar' (3.3, % of its origin value) and the programme's financing need in the last
    year (k$, every running generation added)."""
    return {
        "peak_to_finance_pct": float(model.treasury(p)["to_finance"].max()),
        "need_last_year": float(model.financing_need(p)["need"].iloc[-1]),
    }


def treasury_effects(values: dict, readings=READINGS) -> pd.DataFrame:
    """:func:`treasury_figures` at ``values`` (key ``as_given``), with each correction alone and
    with all of them together (key ``all``). Columns: key, reading, peak_to_finance_pct, need_last_year."""
    together = {k: v for r in readings if r.kind == "correction" for k, v in r.overrides.items()}
    rows = [
        ("as_given", "as given", {}),
        *((r.key, r.label, r.overrides) for r in readings),
        ("all", "all corrections together", together),
    ]
    return pd.DataFrame(
        [{"key": key, "reading": label, **treasury_figures({**values, **o})} for key, label, o in rows],
        columns=TREASURY_COLUMNS,
    )

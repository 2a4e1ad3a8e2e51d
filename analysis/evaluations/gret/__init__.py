"""ACT-GRET progressive-housing spreadsheet (IDB housing study, 2002).

``model``: parameters, rules, the sheet's tables and the headline metrics; ``reconciliation``: the
model in the layout of the printed tables; ``readings``: the corrections the text calls for;
``explore``: what the chapter computes beyond the printed case.
"""

from ...core import numbers
from ...core.contract import Criterion, Evaluation, Metric
from . import model, reconciliation, workbook
from .readings import CHOICES, READINGS

EVALUATION = Evaluation(
    name="gret",
    title="ACT-GRET progressive-housing model",
    operation=(
        "ACT-GRET sheet: progressive housing financed by savings, a matching public subsidy and two loans; "
        "effort rate by family income"
    ),
    source="idb_gret_2002",
    scenario="as_published",
    parameters=model.PARAMETERS,
    check=model.check,
    evaluate=model.evaluate,
    evaluate_batch=model.evaluate_batch,
    metrics=(
        Metric(
            "effort_rate.reference",
            "effort rate (tasa de esfuerzo) of the family earning the reference income",
            "share of income",
            "percent",
            1,
            "lower",
            # the document prints it at its reference family's income (column of published.csv)
            ("effort", "effort_rate", str(model.DOCUMENT_REFERENCE_INCOME_USD), 0.01),
        ),
        Metric(
            "monthly_payment_usd",
            "monthly loan-1 instalment per family",
            "USD a month",
            "money",
            2,
            "lower",
            ("effort", "payment", "usd_month", 1.0),
        ),
        Metric(
            "loan1",
            "loan 1 of the test generation (all its dwellings)",
            "thousand USD",
            "money",
            1,
            "lower",
            ("loans", "amount", "loan1", 1.0),
        ),
    ),
    criterion=Criterion(
        "effort_rate.reference",
        model.EFFORT_CEILING,
        "<=",
        f"the family earning the reference income spends at most {numbers.percent(model.EFFORT_CEILING, 0)} of it "
        f"on loan 1 "
        f"(at the document's {model.DOCUMENT_REFERENCE_INCOME_USD} USD a month: at least "
        f"{model.LIVING_MINIMUM_USD} USD left to live on)",
    ),
    reproduce=reconciliation.reproduce,
    readings=READINGS,
    choices=CHOICES,
    compared=("as_published", "corrected"),
    corrected="corrected",
    workbook=workbook,
    explore_series="effort_rate.",  # the explorer shows the effort rate at every income
    explore_series_published=("effort", "effort_rate", "{key}", 0.01),
    tables=(
        "macro",
        "investment",
        "sources",
        "uses",
        "totals",
        "subsidies",
        "treasury",
        "loan_schedules",
        "effort",
        "intro_payments",
        "financing_need",
    ),
    units={
        "macro": {"*": "share a year", "year": "", "inflation_factor": "factor a year"},
        "investment": {"*": "k$", "generation": "", "units": "homes"},
        "sources": {"*": "k$", "generation": ""},
        "uses": {"*": "k$", "generation": ""},
        "totals": {"*": "k$", "year": ""},
        "subsidies": {"*": "k$", "generation": ""},
        "treasury": {"*": "% of the generation's origin value", "year": ""},
        "loan_schedules": {"*": "k$", "year": ""},
        "effort": {"*": "USD a month", "effort_rate": "share of income"},
        "intro_payments": {"rate": "share a year", "years": "years", "monthly_payment": "USD a month"},
        "financing_need": {"*": "k$", "year": ""},
    },
)

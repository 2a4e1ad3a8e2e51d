"""Peru ACB: IDB cost-benefit analysis of a USD 300M Fondo Mivivienda credit operation."""

from ...core.contract import Criterion, Evaluation, Metric
from . import model, reconciliation, workbook
from .readings import CHOICES, READINGS

EVALUATION = Evaluation(
    name="peru",
    title="Peru: Fondo Mivivienda credit operation (new homes and home improvement)",
    operation=(
        "IDB financial-intermediation loan, USD 300M to Fondo Mivivienda for new-home mortgages and "
        "home-improvement credits, Peru"
    ),
    source="idb_pe_fmv",
    scenario="base",
    parameters=model.PARAMETERS,
    check=model.check,
    evaluate=model.evaluate,
    evaluate_batch=model.evaluate_batch,
    metrics=(
        Metric(
            "total.npv",
            "net present value of the programme (VNA)",
            "USD",
            "money",
            0,
            "higher",
            ("tabla6", "total programme", "NPV", 1.0),
        ),
        Metric(
            "total.bc_ratio",
            "benefit-cost ratio of the programme (B/C)",
            "ratio",
            "ratio",
            2,
            "higher",
            ("tabla6", "total programme", "B/C", 1.0),
        ),
        Metric(
            "total.irr",
            "internal rate of return of the programme (TIR)",
            "% a year",
            "percent",
            1,
            "higher",
            ("tabla6", "total programme", "IRR %", 0.01),
        ),
        Metric(
            "sub1.npv",
            "NPV per new-home beneficiary (Subcomponent 1)",
            "USD",
            "money",
            0,
            "higher",
            ("tabla6", "sub1 per beneficiary", "NPV", 1.0),
        ),
        Metric(
            "sub2.npv",
            "NPV per home-improvement beneficiary (Subcomponent 2)",
            "USD",
            "money",
            0,
            "higher",
            ("tabla6", "sub2 per beneficiary", "NPV", 1.0),
        ),
    ),
    criterion=Criterion("total.npv", 0.0, ">=", "the programme's NPV at the social discount rate is at least zero"),
    reproduce=reconciliation.reproduce,
    readings=READINGS,
    choices=CHOICES,
    policy=("discount_rate",),
    compared=("base", "conservative"),
    rate_of_return="total.irr",
    workbook=workbook,
    units={
        "sub1_cash_flow": {"*": "USD per beneficiary", "year": ""},
        "sub2_cash_flow": {"*": "USD per beneficiary", "year": ""},
        "programme_cash_flow": {"*": "USD", "year": ""},
        "health_benefits": {
            "avoided_per_household": "units a year per household",
            "unit_value": "USD per unit",
            "annual_benefit": "USD a year per household",
            "year1_flow": "USD per household",
            "*": "",
        },
        "revolving": {"*": "USD", "year": "", "sub1_credits": "credits", "sub2_credits": "credits"},
    },
)

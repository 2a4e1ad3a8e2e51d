"""El Salvador CCLIP: IDB ex-ante cost-benefit analysis of a USD 50M FSV mortgage operation.

``model``: parameters, rules, flows, evaluate; ``reconciliation``: the model in the layout of the
published Tablas 3, 5 and 6; ``readings``: the document's other readings; ``findings``: what the
chapter computes beyond them (value-added calibration, Tabla 6 corrected, printed term mix).
"""

from ...core.contract import Criterion, Evaluation, Metric
from . import model, reconciliation, workbook
from .readings import CALIBRATED, CHOICES, READINGS

EVALUATION = Evaluation(
    name="elsalvador",
    title="El Salvador: FSV mortgage operation (CCLIP)",
    operation=("IDB CCLIP, USD 50M of FSV mortgages for new and used homes, El Salvador"),
    source="idb_es_cclip",
    scenario="as_published",
    parameters=model.PARAMETERS,
    check=model.check,
    evaluate=model.evaluate,
    evaluate_batch=model.evaluate_batch,
    metrics=(
        Metric("npv", "net present value, VNA", "USD", "money", 0, "higher", ("Tabla 6", "{scenario}", "npv", 1.0)),
        Metric(
            "irr",
            "internal rate of return, TIR",
            "% a year",
            "percent",
            2,
            "higher",
            ("Tabla 6", "{scenario}", "irr_percent", 0.01),
        ),
    ),
    criterion=Criterion("npv", 0.0, ">=", "the operation's NPV at the social discount rate is at least zero"),
    reproduce=reconciliation.reproduce,
    readings=READINGS,
    choices=CHOICES,
    calibrated=CALIBRATED,
    policy=("discount_rate",),
    compared=("as_published", "corrected"),
    corrected="corrected",
    rate_of_return="irr",
    workbook=workbook,
    units={"cash_flow": {"*": "USD", "period": ""}, "recovery_by_disbursement": {"*": "USD", "period": ""}},
)

"""Readings of the El Salvador document that differ from what its spreadsheet computes, each as
parameter overrides (the chapter's list of inconsistencies); ``analysis.readings.effects`` applies
them one at a time."""

from ...core.contract import Choice, Reading

# Tabla 6 prints a 20/30-year mix for these scenarios; their files lend at 10 and 20 years, which
# reproduces the printed NPVs.
PRINTED_TERM_MIX_SCENARIOS = ("h1_s1", "h1_s2", "h2_s1", "h2_s2")

READINGS = (
    Reading(
        "no_slip",
        "20 payments for every disbursement (no 21-payment slip)",
        {"slip_disbursements": []},
        "footnote 11 vs Tabla 3 / Tabla 5",
        "document slip",
    ),
    Reading(
        "irr_all_periods",
        "IRR over all periods, the last included",
        {"irr_last_period": 35},
        "para. 4.1 vs Tabla 6",
        "document slip",
    ),
    Reading(
        "corrected",
        "Both fixes above (scenario corrected)",
        {"slip_disbursements": [], "irr_last_period": 35},
        "scenario corrected",
        "correction",
    ),
    Reading(
        "residual_20",
        "Residual value 20\u00a0% of the new homes' value",
        {"residual_share": 0.2},
        "para. 2.7 vs Tabla 5 period 35",
        "alternative reading",
    ),
    Reading(
        "uniform_terms",
        "Uniform term mix: 1/3 at 10, 20 and 30 years",
        {"term_mix": {10: 1 / 3, 20: 1 / 3, 30: 1 / 3}},
        "footnote 11, para. 5.3(ii) vs Tabla 5",
        "alternative reading",
    ),
    Reading(
        "value_added_text",
        "Value added as the text states: 47\u00a0% construction, 76\u00a0% real estate",
        {"value_added_construction": 0.47, "value_added_intermediation": 0.76},
        "para. 2.5 vs Tabla 5",
        "alternative reading",
    ),
    Reading(
        "discount_from_1",
        "Discounting from period 1 (period 1 discounted once)",
        {"discount_first_period": 1},
        "para. 4.2 vs Tabla 5 FFNVA",
        "alternative reading",
    ),
    Reading(
        "printed_term_mix",
        "Term mix as printed in Hipótesis 1 and 2: 50\u00a0% at 20 and 50\u00a0% at 30 years",
        {"term_mix": {20: 0.5, 30: 0.5}},
        'Tabla 6, Hipótesis 1 and 2 ("20 años = 50\u00a0%; 30 años = 50\u00a0%")',
        "alternative reading",
        scenarios=PRINTED_TERM_MIX_SCENARIOS,
    ),
)

VALUE_ADDED_TEXT = next(r for r in READINGS if r.key == "value_added_text")

# The choice of method on which the published result rests (see Evaluation.calibrated).
CHOICES = (
    Choice(
        "value_added",
        "Which value-added coefficients?",
        "se observa un valor agregado de 47% para la actividad de construcción y servicios de construcción "
        "en 2021, mientras que para las actividades inmobiliarias el promedio fue de 76%. Este valor agregado "
        "es luego ponderado [...] resultando en un valor agregado general de 65%.",
        "para. 2.5",
        "the calibrated coefficients, which reproduce Tabla 5 and the five NPVs of Tabla 6",
        "Only the calibrated coefficients reproduce the published cash flow and NPVs; the text's 47\u00a0% does "
        "not, and its weighting does not give the 65\u00a0% it states. The published NPV is therefore matched "
        "through a value solved from it, which the alternative replaces by the text's figures.",
        (VALUE_ADDED_TEXT,),
    ),
)

# Parameters solved from the published results: parameter -> how.
CALIBRATED = {
    "value_added_construction": "solved from Tabla 5 (benefit 2) and the five NPVs of Tabla 6",
    "value_added_intermediation": "solved from Tabla 5 (benefit 3) and Tabla 6",
}

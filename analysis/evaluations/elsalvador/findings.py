"""What the chapter finds beyond the reconciliation itself, computed here so that the notebook
only shows it: the value-added coefficients recovered from the published tables, Tabla 6 with
the spreadsheet's slips fixed, the NPVs under the printed term mix, verdict counts per table."""

from __future__ import annotations

import pandas as pd

from ... import reconcile
from . import reconciliation

# The Tabla 6 scenarios that change neither the interest rate nor the recovery share (Escenario
# Base, Hipótesis 1 and 2): their NPVs are the equations the value-added coefficients are fitted to.
CALIBRATION_SCENARIOS = ("as_published", "h1_s1", "h1_s2", "h2_s1", "h2_s2")


def _published(ev, table: str) -> pd.DataFrame:
    pub = reconcile.published(ev.name)
    return pub[pub["table"] == table]


def tabla6_scenarios(ev) -> list:
    """The scenario files of Tabla 6's columns, in the printed order."""
    return list(dict.fromkeys(_published(ev, "Tabla 6")["scenario"]))


def value_added_from_published_tabla5(ev) -> dict:
    """The value-added coefficients implied by Benefits 2 and 3 of period 1 as printed in Tabla 5."""
    t5 = _published(ev, "Tabla 5").set_index(["row", "column"])["published"]
    return reconciliation.value_added_from_tabla5(
        ev.load("as_published").values, t5[("1", "value_added_new")], t5[("1", "value_added_used")]
    )


def value_added_fitted_to_tabla6(ev) -> dict:
    """The value-added coefficients fitted by least squares to the printed NPVs of
    :data:`CALIBRATION_SCENARIOS` (with ``residuals``, USD, one per scenario)."""
    npv = _published(ev, "Tabla 6").query("column == 'npv'").set_index("scenario")["published"]
    return reconciliation.calibrate_value_added(
        [ev.load(s).values for s in CALIBRATION_SCENARIOS], [npv[s] for s in CALIBRATION_SCENARIOS]
    )


def value_added_comparison(ev) -> pd.DataFrame:
    """The two value-added coefficients as the text states them (the ``value_added_text``
    reading), recovered from Tabla 5, fitted to Tabla 6 and in the parameter file."""
    text = next(r.overrides for r in ev.readings if r.key == "value_added_text")
    from_t5, fit, p = (
        value_added_from_published_tabla5(ev),
        value_added_fitted_to_tabla6(ev),
        ev.load("as_published").values,
    )
    keys = ("value_added_construction", "value_added_intermediation")
    return pd.DataFrame(
        {
            "coefficient": list(keys),
            "text (para. 2.5)": [text[k] for k in keys],
            "from Tabla 5 period 1": [from_t5[k] for k in keys],
            "fitted to Tabla 6 NPVs": [fit[k] for k in keys],
            "parameter file": [p[k] for k in keys],
        }
    )


def tabla6_with_corrections(ev) -> pd.DataFrame:
    """Each Tabla 6 scenario as computed (reproducing the published cells) and with the ``corrected``
    reading applied (20 payments for every disbursement, IRR over all periods)."""
    fix = next(r.overrides for r in ev.readings if r.key == "corrected")
    rows = []
    for s in tabla6_scenarios(ev):
        p = ev.load(s).values
        m, c = ev.evaluate(p).metrics, ev.evaluate({**p, **fix}).metrics
        rows.append(
            {"scenario": s, "npv": m["npv"], "irr": m["irr"], "npv corrected": c["npv"], "irr corrected": c["irr"]}
        )
    return pd.DataFrame(rows)


def printed_term_mix(ev) -> pd.DataFrame:
    """For each scenario the ``printed_term_mix`` reading applies to: the printed NPV, the NPV of
    the scenario file and the NPV with the term mix as printed."""
    reading = next(r for r in ev.readings if r.key == "printed_term_mix")
    npv = _published(ev, "Tabla 6").query("column == 'npv'").set_index("scenario")["published"]
    rows = []
    for s in reading.scenarios:
        p = ev.load(s).values
        rows.append(
            {
                "scenario": s,
                "published npv": npv[s],
                "npv": ev.evaluate(p).metrics["npv"],
                "npv with the printed mix": ev.evaluate({**p, **reading.overrides}).metrics["npv"],
            }
        )
    return pd.DataFrame(rows)


def general_value_added_as_text_states(ev) -> float:
    """The "general" value added (valor agregado general) of the published case with the
    coefficients the text states (the ``value_added_text`` reading): the text calls it 65 %."""
    text = next(r.overrides for r in ev.readings if r.key == "value_added_text")
    return reconciliation.general_value_added({**ev.load("as_published").values, **text})

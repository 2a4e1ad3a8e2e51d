"""What the chapter finds beyond the reconciliation itself, computed here so that the notebook
only shows it: the value-added coefficients recovered from the published tables, Tabla 6 with
the spreadsheet's slips fixed, the NPVs under the printed term mix, verdict counts per table."""

from __future__ import annotations

import pandas as pd

from ...core import numbers, reconcile
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


# ---- figures and phrases of the prose -----------------------------------------------------------


def and_list(items) -> str:
    """A list for the prose: "4", "4 and 5", "2, 3, 5 and 6"."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


_percent = numbers.written_percent


def term_mix_text(mix: dict) -> str:
    """A term mix (years -> share of each disbursement) in words: "everything at 20 years",
    "equal shares at 10, 20 and 30 years", "50 % at 20 and 25 % at 30 years"."""
    mix = {int(n): s for n, s in sorted(mix.items()) if s > 0}
    if len(mix) == 1:
        return f"everything at {next(iter(mix))} years"
    if len({round(s, 12) for s in mix.values()}) == 1:
        return f"equal shares at {and_list(mix)} years"
    return and_list(f"{_percent(s)} at {n}" for n, s in mix.items()) + " years"


def slip(p: dict) -> dict:
    """The spreadsheet's extra payment (``slip_disbursements``, ``slip_term_years``) in words: the
    title and the sentence of the chapter's list, and the payments every disbursement should get."""
    terms, slipped = p["slip_term_years"], p["slip_disbursements"]
    others = [i for i in range(1, len(p["disbursements"]) + 1) if i not in slipped]
    term = terms[0] if terms else None
    if not slipped or term is None:
        return {"payments": term, "title": "No extra payment.", "text": "every disbursement over its term"}
    text = f"disbursements {and_list(slipped)} over {term + 1} years"
    if others:
        text += f", disbursement{'s' if len(others) > 1 else ''} {and_list(others)} over {term}"
    return {"payments": term, "title": f"{term + 1} payments for disbursements {and_list(slipped)}.", "text": text}


def scenario_label(name: str) -> str:
    """The document's name of a Tabla 6 scenario file: h3_s2 -> "Hipótesis 3 Escenario 2"."""
    h, s = name.split("_")
    return f"Hipótesis {h[1:]} Escenario {s[1:]}"


def negative_besides_construction_weight(ev) -> list:
    """The Tabla 6 scenarios with a negative printed NPV that do not raise the construction weight
    (conclusion 6.2 names that as the only cause of a negative result)."""
    npv = _published(ev, "Tabla 6").query("column == 'npv'").set_index("scenario")["published"]
    weight = ev.load("as_published").values["construction_weight"]
    return [s for s in tabla6_scenarios(ev) if npv[s] < 0 and ev.load(s).values["construction_weight"] <= weight]


def negative_text(names: list) -> str:
    """Tabla 6 scenario files as the document names them, grouped by hypothesis:
    "Hipótesis 2 Escenario 2 and Hipótesis 3 Escenarios 2, 3, 5 and 6"."""
    groups = {}
    for name in names:
        h, s = name.split("_")
        groups.setdefault(h[1:], []).append(s[1:])
    return and_list(f"Hipótesis {h} Escenario{'s' if len(s) > 1 else ''} {and_list(s)}" for h, s in groups.items())


def recovery_shares(ev) -> list:
    """The shares of the credit recovered (``recovery_share``) that Hipótesis 3 tests below 1, highest first."""
    shares = {ev.load(s).values["recovery_share"] for s in tabla6_scenarios(ev) if s.startswith("h3_")}
    return sorted((s for s in shares if s < 1), reverse=True)


def reproducing_term_mix(ev) -> dict:
    """The term mix of the scenario files the ``printed_term_mix`` reading applies to (the one
    that reproduces their printed NPVs; they all share it)."""
    reading = next(r for r in ev.readings if r.key == "printed_term_mix")
    return ev.load(reading.scenarios[0]).values["term_mix"]

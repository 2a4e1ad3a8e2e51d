"""The model's side of the reconciliation with the published tables of idb_pe_fmv.

The published cells are in ``data/published/peru/published.csv`` (one row per printed cell, see
:mod:`analysis.core.reconcile`), in three tables:

* ``tabla6``: Tabla 6, *Resumen de las estimaciones de los parámetros de rentabilidad*: PV costs,
  PV benefits, NPV (VNA), B/C and IRR (TIR, in percent) per beneficiary (*por beneficiario*) and
  for the programme (*total programa*), for the base and the conservative scenario;
* ``health``: the year-1 health benefits of Subcomponent 2 printed in *Otros parámetros del Modelo
  ACB* (units avoided and USD per household);
* ``revolving``: the figures of the revolving effect (*efecto rotatorio de los recursos*).

:func:`reproduce` gives the same cells (table, row, column) from the model; the other functions
map the model to the printed layout and read the published figures back in the model's units.
"""

from __future__ import annotations

import pandas as pd

from ...core import published as published_tables
from ...core import reconcile
from . import model

NAME = "peru"
KEY = ["table", "row", "column"]

# ---- Tabla 6 -----------------------------------------------------------------------------------

# Tabla 6's columns: printed label -> (measure in the layout, factor to the printed unit)
TABLA6_COLUMNS = {
    "PV costs": ("pv_costs", 1.0),
    "PV benefits": ("pv_benefits", 1.0),
    "NPV": ("npv", 1.0),
    "B/C": ("bc_ratio", 1.0),
    "IRR %": ("irr", 100.0),
}


def credits(p: dict, subcomponent: str) -> int:
    """Credits financed directly: ``sub1`` (new homes), ``sub2`` (improvements) or ``total``."""
    if subcomponent == "total":
        return p["sub1_credits"] + p["sub2_credits"]
    return p[f"{subcomponent}_credits"]


def tabla6_layout(p: dict, metrics: dict) -> pd.DataFrame:
    """The model in Tabla 6's layout (*Resumen de las estimaciones de los parámetros de
    rentabilidad*): PV costs, PV benefits, NPV (VNA), B/C and IRR (TIR) per beneficiary and for the
    programme. The total per beneficiary is the programme total over all credits: a mean that
    Tabla 6 does not print."""
    rows = []
    for level, sub, prefix, scale in [
        ("per beneficiary", "sub1", "sub1", 1.0),
        ("per beneficiary", "sub2", "sub2", 1.0),
        ("per beneficiary", "total (mean)", "total", 1 / credits(p, "total")),
        ("programme", "sub1", "sub1_total", 1.0),
        ("programme", "sub2", "sub2_total", 1.0),
        ("programme", "total", "total", 1.0),
    ]:
        rows.append(
            {
                "level": level,
                "subcomponent": sub,
                **{k: scale * metrics[f"{prefix}.{k}"] for k in ("pv_costs", "pv_benefits", "npv")},
                "bc_ratio": metrics[f"{prefix}.bc_ratio"],
                "irr": metrics[f"{prefix}.irr"],
            }
        )
    return pd.DataFrame(rows)


def tabla6_cells(p: dict, metrics: dict) -> pd.DataFrame:
    """Tabla 6's printed cells from the model: row ``<subcomponent> <level>``, column as printed."""
    layout = tabla6_layout(p, metrics)
    layout = layout[layout["subcomponent"] != "total (mean)"]
    return pd.DataFrame(
        [
            {
                "table": "tabla6",
                "row": f"{r['subcomponent']} {r['level']}",
                "column": label,
                "value": factor * r[measure],
            }
            for _, r in layout.iterrows()
            for label, (measure, factor) in TABLA6_COLUMNS.items()
        ]
    )


# ---- health benefits ----------------------------------------------------------------------------

HEALTH_ROWS = {
    "school_absenteeism": "school absenteeism",
    "work_absenteeism": "work absenteeism",
    "hospitalisations": "hospitalisations",
}
HEALTH_COLUMNS = {"avoided per household a year": "avoided_per_household", "USD per household a year": "annual_benefit"}


def health_cells(health: pd.DataFrame) -> pd.DataFrame:
    """The printed health benefits (*ausentismo escolar, ausentismo laboral, hospitalizaciones*)
    from the model's ``health_benefits`` table: units avoided and USD per household in year 1."""
    h = health.set_index("benefit")
    return pd.DataFrame(
        [
            {"table": "health", "row": row, "column": column, "value": float(h.loc[benefit, measure])}
            for benefit, row in HEALTH_ROWS.items()
            for column, measure in HEALTH_COLUMNS.items()
        ]
    )


# ---- revolving effect ---------------------------------------------------------------------------

# Printed row -> (the model's figure, printed unit, USD or credits per printed unit)
REVOLVING = {
    "Sub1 credits financed directly": ("sub1_direct_credits", "credits", 1.0),
    "Sub1 capital lent": ("sub1_direct_amount", "USD million", 1e6),
    "Sub1 further credits": ("sub1_extra_credits", "credits", 1.0),
    "Sub1 further capital lent": ("sub1_extra_amount", "USD million", 1e6),
    "Sub2 credits financed directly": ("sub2_direct_credits", "credits", 1.0),
    "Sub2 capital lent": ("sub2_direct_amount", "USD million", 1e6),
    "Sub2 further credits": ("sub2_extra_credits", "thousand credits", 1e3),
    "Sub2 further capital lent": ("sub2_extra_amount", "USD million", 1e6),
    "capital lent in all": ("total_amount", "USD million", 1e6),
    "Sub1 credits in all": ("sub1_all_credits", "thousand credits", 1e3),
    "Sub2 credits in all": ("sub2_all_credits", "thousand credits", 1e3),
    "households reached": ("households", "thousand households", 1e3),
}


def revolving_figures(result) -> dict:
    """The revolving effect's figures (*efecto rotatorio*) from one model run, in credits and USD:
    what is lent in year 1, what is lent again afterwards and the totals."""
    m, rev = result.metrics, result.tables["revolving"]
    out = {}
    for k in ("sub1", "sub2"):
        out[f"{k}_direct_credits"] = float(rev[f"{k}_credits"].iloc[0])
        out[f"{k}_direct_amount"] = float(rev[f"{k}_lent"].iloc[0])
        out[f"{k}_extra_credits"] = m[f"revolving.{k}_extra_credits"]
        out[f"{k}_extra_amount"] = m[f"revolving.{k}_extra_amount"]
        out[f"{k}_all_credits"] = out[f"{k}_direct_credits"] + out[f"{k}_extra_credits"]
    out["total_amount"] = m["revolving.total_amount"]
    out["households"] = m["revolving.households"]
    return out


def revolving_cells(result) -> pd.DataFrame:
    """The printed revolving figures from the model, in the printed units."""
    fig = revolving_figures(result)
    return pd.DataFrame(
        [
            {"table": "revolving", "row": row, "column": unit, "value": fig[figure] / scale}
            for row, (figure, unit, scale) in REVOLVING.items()
        ]
    )


def revolving_published(scenario: str = "base") -> dict:
    """The published revolving figures in credits and USD (the model's units), by figure."""
    pub = published("revolving", scenario).set_index(["row", "column"])["published"]
    return {figure: float(pub[(row, unit)]) * scale for row, (figure, unit, scale) in REVOLVING.items()}


# ---- the whole reproduction ---------------------------------------------------------------------


def reproduce(scenario: str, values: dict) -> pd.DataFrame:
    """Every published cell the model gives at ``values``: columns table, row, column, value.

    The same cells for any scenario (the engine keeps those published for ``scenario``)."""
    result = model.evaluate(values)
    return pd.concat(
        [tabla6_cells(values, result.metrics), health_cells(result.tables["health_benefits"]), revolving_cells(result)],
        ignore_index=True,
    )[KEY + ["value"]]


def published(table: str | None = None, scenario: str | None = None) -> pd.DataFrame:
    """The published cells (``published.csv``), optionally of one table and scenario."""
    pub = reconcile.published(NAME)
    if table is not None:
        pub = pub[pub["table"] == table]
    if scenario is not None:
        pub = pub[pub["scenario"] == scenario]
    return pub.reset_index(drop=True)


def document_arithmetic() -> pd.DataFrame:
    """Sums in the document's own tables that do not add up: the printed figure and the sum of
    its printed parts. Tablas 2 and 3 (ENAHO, *déficit habitacional*, *gasto en arrendamiento*),
    the revolving total and Tabla 6's Sub1 benefits per beneficiary (costs + NPV)."""
    tabla2 = published_tables.table(NAME, "tabla2")
    tabla3 = published_tables.table(NAME, "tabla3")
    sub = tabla2[tabla2["deficit_type"].str.match(r"2\.\d")]["urban_households"].sum()
    row2 = tabla2.loc[tabla2["deficit_type"].str.startswith("2. "), "urban_households"].iloc[0]
    bands = tabla3[tabla3["income_band_sm"] != "Total"]["households"].sum()
    total3 = tabla3.loc[tabla3["income_band_sm"] == "Total", "households"].iloc[0]
    rv = revolving_published()
    rows = [
        ("Tabla 2: rows 2.1-2.5 vs row 2 (households)", row2, sub),
        ("Tabla 3: income bands vs Total (households)", total3, bands),
        (
            "Revolving: 260 + 40 + further Sub1 + further Sub2 (USD M)",
            rv["total_amount"] / 1e6,
            (rv["sub1_direct_amount"] + rv["sub2_direct_amount"] + rv["sub1_extra_amount"] + rv["sub2_extra_amount"])
            / 1e6,
        ),
    ]
    t6 = published("tabla6").query("row == 'sub1 per beneficiary'").set_index(["scenario", "column"])["published"]
    for scenario in dict.fromkeys(t6.index.get_level_values("scenario")):
        rows.append(
            (
                f"Tabla 6 {scenario}: Sub1 PV benefits per beneficiary vs PV costs + NPV",
                t6[(scenario, "PV benefits")],
                t6[(scenario, "PV costs")] + t6[(scenario, "NPV")],
            )
        )
    return pd.DataFrame(
        [{"check": c, "printed": float(a), "recomputed": float(b), "difference": float(b - a)} for c, a, b in rows]
    )

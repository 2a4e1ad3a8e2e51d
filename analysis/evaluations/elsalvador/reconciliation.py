"""The model in the layout of the document's published tables, and what the tables reveal.

The published cells are in ``data/published/elsalvador/published.csv``; the engine
(``analysis.core.reconcile``) sets them beside :func:`reproduce`. Keys (table, row, column):

* ``Tabla 3`` (recuperación crediticia por desembolso): row p is period p + 1 of the cash flow
  (row 0, period 1, has no recovery); columns ``disbursement_1`` .. ``disbursement_5`` and
  ``total``. Row 0 and the last cells of the first columns in rows 31-34 are blank in the
  original: they are not published cells.
* ``Tabla 5`` (flujo de fondos): row = period 1..35, columns as :func:`model.cash_flow`
  (Beneficio 1 = ``imputed_rent``, ..., FFN = ``net_flow``, FFNVA = ``discounted_net_flow``);
  row ``total``: the VAN (``npv``, USD) and TIR (``irr_percent``) printed below the table.
* ``Tabla 6`` (análisis de sensibilidad): row = the scenario file of the column (``as_published``
  for the Escenario Base, ``h1_s1`` ... ``h3_s6``), columns ``npv`` (USD) and ``irr_percent``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import model

TABLES = ("Tabla 3", "Tabla 5", "Tabla 6")


def _long(table: str, wide: pd.DataFrame, row: str) -> pd.DataFrame:
    """A wide table (one column per published column, ``row`` the row key) in long form."""
    out = wide.melt(id_vars=row, var_name="column", value_name="value").rename(columns={row: "row"})
    return out.assign(table=table, row=out["row"].astype(str))[["table", "row", "column", "value"]]


def tabla3(p: dict) -> pd.DataFrame:
    """The recovery schedule (recuperación crediticia) as the document's Tabla 3 prints it: row
    p is period p + 1, one column per disbursement (desembolso) and their total."""
    df = model.recovery_schedule(p)
    return df.assign(row=df["period"] - 1).drop(columns="period")[["row", *df.columns[1:]]]


def headline_cells(table: str, row: str, metrics: dict) -> pd.DataFrame:
    """The NPV (VAN, USD) and the IRR (TIR, in percent as printed) as cells of ``table``."""
    return pd.DataFrame(
        {"table": table, "row": row, "column": ["npv", "irr_percent"], "value": [metrics["npv"], 100 * metrics["irr"]]}
    )


def reproduce(scenario: str, values: dict) -> pd.DataFrame:
    """Every cell of Tablas 3, 5 and 6 that the model gives at ``values`` for ``scenario``:
    columns table, row, column, value (the keys of ``published.csv``)."""
    result = model.evaluate(values)
    return pd.concat(
        [
            _long("Tabla 3", tabla3(values), "row"),
            _long("Tabla 5", result.tables["cash_flow"], "period"),
            headline_cells("Tabla 5", "total", result.metrics),
            headline_cells("Tabla 6", scenario, result.metrics),
        ],
        ignore_index=True,
    )


# --- the value-added coefficients the spreadsheet used -------------------------------------------


def value_added_from_tabla5(p: dict, benefit2_period1: float, benefit3_period1: float) -> dict:
    """Invert Benefits 2 and 3 (Beneficio 2, valor agregado de viviendas nuevas; Beneficio 3, de
    la intermediación de usadas) of period 1 for the two value-added coefficients.

    B3 = (1-s) D (1-w) va_i and B2 = s D (w va_c + (1-w) va_i), with D the first disbursement.
    """
    s, w, d = p["new_home_share"], p["construction_weight"], p["disbursements"][0]
    va_i = benefit3_period1 / ((1 - s) * d * (1 - w))
    va_c = (benefit2_period1 / (s * d) - (1 - w) * va_i) / w
    return {"value_added_construction": va_c, "value_added_intermediation": va_i}


def calibrate_value_added(parameter_sets: list, target_npvs: list) -> dict:
    """Least-squares value-added coefficients that make each parameter set's NPV (VAN) hit its target.

    The NPV is affine in the two coefficients, so three model runs per set give its exact
    linear form; with more sets than unknowns the residuals test the model's structure.
    """

    def npv_at(p, construction, intermediation):
        return model.evaluate(
            {**p, "value_added_construction": construction, "value_added_intermediation": intermediation}
        ).metrics["npv"]

    rows, rhs = [], []
    for p, target in zip(parameter_sets, target_npvs):
        c0 = npv_at(p, 0.0, 0.0)
        rows.append([npv_at(p, 1.0, 0.0) - c0, npv_at(p, 0.0, 1.0) - c0])
        rhs.append(target - c0)
    a = np.array(rows)
    coef, *_ = np.linalg.lstsq(a, np.array(rhs), rcond=None)
    return {
        "value_added_construction": float(coef[0]),
        "value_added_intermediation": float(coef[1]),
        "residuals": (a @ coef - np.array(rhs)).tolist(),
    }


def general_value_added(p: dict) -> float:
    """The "general" value added of a new home (valor agregado general): construction and
    intermediation weighted by the construction weight."""
    w = p["construction_weight"]
    return w * p["value_added_construction"] + (1 - w) * p["value_added_intermediation"]

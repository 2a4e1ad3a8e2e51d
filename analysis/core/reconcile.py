"""One reconciliation engine: every published cell beside the model, with one verdict vocabulary.

The published tables of an evaluation are transcribed in ``data/published/<name>/published.csv``,
one row per printed cell::

    table, scenario, row, column, published, decimals, tolerance, threshold, locator

``decimals`` is the printed precision; ``tolerance`` (absolute, optional) a stated tolerance for
cells the model is not expected to give exactly, with the reason in ``tolerance_reason``;
``threshold`` (optional) the decision threshold the cell is judged against (NPV 0, B/C 1, an IRR
against the discount rate). ``data/published/<name>/explained.csv`` (table, scenario, row, column,
reason) lists the differences this book explains. The model's side comes from the evaluation's
``reproduce(scenario, values)``.

Verdicts, one per cell:

* ``exact at printed precision``: the reproduced value rounds to the printed one;
* ``within stated tolerance``: off by no more than the stated tolerance;
* ``differs, explained``: neither, and ``explained.csv`` gives the reason;
* ``differs, unexplained``: neither, and no reason is known.

A published and a reproduced value of different sign, or on opposite sides of the decision
threshold, are never exact or within tolerance, whatever the tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import numbers
from .params import DATA_DIR, ParameterError

VERDICTS = ("exact at printed precision", "within stated tolerance", "differs, explained", "differs, unexplained")
KEY = ["table", "scenario", "row", "column"]
PUBLISHED_COLUMNS = KEY + ["published", "decimals", "tolerance", "tolerance_reason", "threshold", "locator"]
COLUMNS = KEY + [
    "published",
    "reproduced",
    "difference",
    "decimals",
    "tolerance",
    "threshold",
    "verdict",
    "reason",
    "locator",
]


def _read(path, columns, required) -> pd.DataFrame:
    try:
        df = pd.read_csv(
            path,
            dtype={"table": str, "scenario": str, "row": str, "column": str},
            keep_default_na=False,
            na_values={"published": [""], "tolerance": [""], "threshold": [""], "decimals": [""]},
        )
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ParameterError(path, None, f"cannot read ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ParameterError(path, missing[0], "missing column")
    for c in columns:
        if c not in df.columns:
            df[c] = np.nan if c in ("tolerance", "threshold") else ""
    dup = df.duplicated(KEY)
    if dup.any():
        r = df[dup].iloc[0]
        raise ParameterError(path, "/".join(str(r[k]) for k in KEY), "the same cell appears twice")
    return df[columns]


def published(name: str, data_dir=DATA_DIR) -> pd.DataFrame:
    """The published cells of evaluation ``name`` in long form (see the module docstring)."""
    df = _read(
        data_dir / "published" / name / "published.csv", PUBLISHED_COLUMNS, KEY + ["published", "decimals", "locator"]
    )
    df["published"] = df["published"].astype(float)
    df["decimals"] = df["decimals"].astype(int)
    return df


def explained(name: str, data_dir=DATA_DIR) -> pd.DataFrame:
    """The differences this book explains: table, scenario, row, column, reason."""
    path = data_dir / "published" / name / "explained.csv"
    if not path.is_file():
        return pd.DataFrame(columns=KEY + ["reason"])
    return _read(path, KEY + ["reason"], KEY + ["reason"])


def verdict(
    published_value: float,
    reproduced: float,
    decimals: int,
    tolerance: float = np.nan,
    threshold: float = np.nan,
    reason: str = "",
) -> str:
    """The verdict on one cell (see the module docstring)."""
    if not np.isfinite(reproduced):
        return VERDICTS[2] if reason else VERDICTS[3]
    opposite = published_value * reproduced < 0 or (
        np.isfinite(threshold) and (published_value >= threshold) != (reproduced >= threshold)
    )
    if not opposite:
        # the printed value is the reproduced one rounded half away from zero (the spreadsheet's rule)
        if abs(reproduced - published_value) <= 0.5 * 10.0**-decimals * (1 + 1e-9) + 1e-12:
            return VERDICTS[0]
        if np.isfinite(tolerance) and abs(reproduced - published_value) <= tolerance:
            return VERDICTS[1]
    return VERDICTS[2] if reason else VERDICTS[3]


def compare(pub: pd.DataFrame, reproduced: pd.DataFrame, reasons: pd.DataFrame) -> pd.DataFrame:
    """Published cells (``published``'s columns) beside reproduced ones (KEY + ``value``)."""
    out = pub.merge(reproduced.rename(columns={"value": "reproduced"}), on=KEY, how="left")
    out = out.merge(reasons[KEY + ["reason"]], on=KEY, how="left")
    out["reason"] = out["reason"].fillna("")
    out["reproduced"] = out["reproduced"].astype(float)
    out["difference"] = out["reproduced"] - out["published"]
    out["verdict"] = [
        verdict(p, r, d, t, th, why)
        for p, r, d, t, th, why in zip(
            out["published"], out["reproduced"], out["decimals"], out["tolerance"], out["threshold"], out["reason"]
        )
    ]
    # a cell within tolerance keeps the tolerance's reason; a difference keeps its explanation
    within = out["verdict"] == VERDICTS[1]
    out.loc[within, "reason"] = out.loc[within, "tolerance_reason"]
    out.loc[out["verdict"] == VERDICTS[0], "reason"] = ""
    return out[COLUMNS]


def reconcile(evaluation, data_dir=DATA_DIR) -> pd.DataFrame:
    """Every published cell of ``evaluation`` beside the model, with its verdict (COLUMNS)."""
    pub = published(evaluation.name, data_dir)
    frames = []
    for scenario in dict.fromkeys(pub["scenario"]):
        values = evaluation.load(scenario).values
        rep = evaluation.reproduce(scenario, values)
        frames.append(rep.assign(scenario=scenario)[KEY + ["value"]])
    reproduced = pd.concat(frames, ignore_index=True).drop_duplicates(KEY, keep="last")
    reproduced = reproduced.astype({"table": str, "row": str, "column": str, "scenario": str})
    return compare(pub, reproduced, explained(evaluation.name, data_dir))


def counts(rec: pd.DataFrame) -> dict:
    """How many cells get each verdict (every verdict, zero included)."""
    n = rec["verdict"].value_counts()
    return {v: int(n.get(v, 0)) for v in VERDICTS}


def summary(rec: pd.DataFrame, by=("table", "scenario")) -> pd.DataFrame:
    """Per table and scenario (or any other ``by`` columns): the number of cells with each verdict."""
    counts = (
        rec.groupby([*by, "verdict"], sort=False)
        .size()
        .unstack("verdict", fill_value=0)
        .reindex(columns=list(VERDICTS), fill_value=0)
    )
    counts.insert(0, "cells", counts.sum(axis=1))
    counts.columns.name = None
    return counts.reset_index()


def stale_explanations(evaluation, rec: pd.DataFrame | None = None, data_dir=DATA_DIR) -> pd.DataFrame:
    """Explanations in ``explained.csv`` for cells that no longer differ (or do not exist)."""
    rec = evaluation.reconcile() if rec is None else rec
    why = explained(evaluation.name, data_dir)
    used = rec[rec["verdict"] == VERDICTS[2]][KEY]
    return why.merge(used, on=KEY, how="left", indicator=True).query("_merge == 'left_only'")[KEY + ["reason"]]


def published_metric(evaluation, metric, scenario: str) -> float | None:
    """The document's figure for a headline ``metric`` in ``scenario`` (in the metric's unit), or
    None when the document publishes none (``Metric.published`` says where to look)."""
    if not metric.published:
        return None
    return published_cell(evaluation, *metric.published, scenario)


def _printed(evaluation, table: str, row: str, column: str, scenario: str) -> pd.DataFrame:
    """The row of ``data/published`` of the printed cell (table, row, column) of ``scenario``."""
    pub = published(evaluation.name)
    return pub[
        (pub["table"] == table)
        & (pub["scenario"] == scenario)
        & (pub["row"] == row.format(scenario=scenario))
        & (pub["column"] == column)
    ]


def published_cell(evaluation, table: str, row: str, column: str, scale: float, scenario: str) -> float | None:
    """The printed cell (table, row, column) of ``scenario`` times ``scale``, or None when the
    document prints none (``row`` may name the scenario as ``{scenario}``)."""
    hit = _printed(evaluation, table, row, column, scenario)
    return float(hit["published"].iloc[0]) * scale if len(hit) else None


def published_decimals(evaluation, metric, scenario: str) -> int | None:
    """The decimals the document printed a headline ``metric``'s figure with (recorded beside it in
    ``data/published``, in the printed unit: percent for a rate), or None when it publishes none."""
    if not metric.published:
        return None
    table, row, column, _ = metric.published
    hit = _printed(evaluation, table, row, column, scenario)
    return int(hit["decimals"].iloc[0]) if len(hit) else None


def published_shown(evaluation, metric, scenario: str) -> str | None:
    """A headline ``metric``'s published figure as the book shows it: at the precision the document
    printed it (:func:`published_decimals`: a percentage printed "31" reads "31 %", never
    "31.0 %"), or None when the document publishes none."""
    decimals = published_decimals(evaluation, metric, scenario)
    if decimals is None:
        return None
    value = published_metric(evaluation, metric, scenario)
    return numbers.published(value, decimals, as_percent=metric.fmt == "percent")

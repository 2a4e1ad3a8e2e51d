"""Published result tables, transcribed from the source documents into ``data/published/``.

They are reference values for reconciliation tables and tests: no model reads them as input.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import yaml

from .params import DATA_DIR

PUBLISHED_DIR = DATA_DIR / "published"


def manifest(evaluation: str) -> dict:
    """File name -> {source, locator, precision, note} for an evaluation's published tables."""
    return yaml.safe_load((PUBLISHED_DIR / evaluation / "sources.yaml").read_text(encoding="utf-8"))


def table(evaluation: str, name: str) -> pd.DataFrame:
    """A published table as a DataFrame (``name`` without ``.csv``)."""
    return pd.read_csv(PUBLISHED_DIR / evaluation / f"{name}.csv")


def compare(published: pd.DataFrame, reproduced: pd.DataFrame, key: str, decimals: int = 0) -> pd.DataFrame:
    """Cell-by-cell comparison at the printed precision.

    Returns one row per published cell: key, column, published, reproduced (rounded to
    ``decimals``), difference, and ``match`` (equal after rounding). Blank published cells are skipped.
    """
    rows = []
    merged = published.merge(reproduced, on=key, suffixes=("_pub", "_rep"), how="left")
    for col in (c for c in published.columns if c != key):
        for k, pub, rep in zip(merged[key], merged[f"{col}_pub"], merged[f"{col}_rep"]):
            if pd.isna(pub):
                continue
            rep_r = float(np.round(rep, decimals)) + 0.0
            rows.append({key: k, "column": col, "published": float(pub), "reproduced": rep_r,
                         "difference": rep_r - float(pub), "match": bool(abs(rep_r - pub) < 0.5 * 10 ** -decimals)})
    return pd.DataFrame(rows)

"""Transcribed tables of the source documents that the book only displays (context tables).

The published result tables that the models reproduce are in long form in
``data/published/<evaluation>/published.csv`` and are read by :mod:`analysis.core.reconcile`.
No model reads either as input.
"""

from __future__ import annotations

import pandas as pd

from .params import DATA_DIR

PUBLISHED_DIR = DATA_DIR / "published"


def table(evaluation: str, name: str) -> pd.DataFrame:
    """A transcribed table as a DataFrame (``name`` without ``.csv``)."""
    return pd.read_csv(PUBLISHED_DIR / evaluation / f"{name}.csv")

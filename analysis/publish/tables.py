"""How a table sits on the page: the article column or the page's full width, and a long or wide
table shown as its summary first (chosen rows and columns), the whole of it folded behind a
``<details>`` below. Layout only: which rows and columns a reader sees first, never how a number
reads (that is :mod:`analysis.publish.markup`'s).

The browser test (tests/test_browser.py) measures the result at 1,400 and 390 px: every table a
reader sees without opening anything fits its visible box, no number is cut, and a chapter reads in
about a dozen screens before its appendix-like parts (``analysis.publish.chapter.APPENDIX_PARTS``).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

# The theme's class for content that takes the page's full width (sphinx-book-theme: the article
# column and the right-hand margin); book/_static/analysis.css widens it at >= 1200 px only, where
# that margin exists.
FULL_WIDTH = "full-width"
# A yearly flow folded behind its details shows its first years and its last (where running
# totals end): enough to read its shape, short enough to keep the chapter's reading path short.
HEAD_ROWS = 3


def box(table_html: str, wide: bool = False) -> str:
    """A table in its own horizontal scroll box, in the article column or at the full width."""
    classes = "table-scroll" + (f" {FULL_WIDTH}" if wide else "")
    return f'<div class="{classes}" tabindex="0">\n{table_html}\n</div>'


def _positions(df: pd.DataFrame, rows) -> list:
    """Row positions from positions or a boolean mask as long as ``df``."""
    rows = list(rows)
    if len(rows) == len(df) and all(isinstance(r, (bool, np.bool_)) for r in rows):
        return [i for i, keep in enumerate(rows) if keep]
    return [int(r) for r in rows]


def preview(df: pd.DataFrame, rows=None, columns=None) -> pd.DataFrame:
    """The part of ``df`` a reader sees first: ``rows`` (positions, in that order, or a boolean
    mask; all when None) and ``columns`` (names; all when None)."""
    out = df if rows is None else df.iloc[_positions(df, rows)]
    return out if columns is None else out[list(columns)]


def gaps(df: pd.DataFrame, rows) -> list:
    """Positions, within the preview, of the rows that do not follow the row above them in ``df``
    (after years 1 to 3, year 20): the page marks them, so that no one reads the rows as consecutive."""
    if rows is None:
        return []
    positions = _positions(df, rows)
    return [k for k in range(1, len(positions)) if positions[k] != positions[k - 1] + 1]


def ends(df: pd.DataFrame, head: int = HEAD_ROWS) -> list:
    """Positions of a flow's first ``head`` rows and of its last row."""
    n = len(df)
    return sorted(set(range(min(head, n))) | ({n - 1} if n else set()))


def differences_first(df: pd.DataFrame, differs) -> tuple[pd.DataFrame, int]:
    """``df`` with the rows where ``differs`` holds first (each group in its own order) and how
    many they are: a reconciliation shows the cells that disagree before those that agree."""
    differs = np.asarray(list(differs), dtype=bool)
    if len(differs) != len(df):
        raise ValueError(f"differs has {len(differs)} values for {len(df)} rows")
    return pd.concat([df[differs], df[~differs]]), int(differs.sum())


def fold_label(df: pd.DataFrame, number: str, shown: pd.DataFrame | None) -> str:
    """What the ``<details>`` holds: 'Table 9 in full: 20 rows, 15 columns (5 rows and 6 columns
    of it are above)'. ``shown``: the preview above it (None: nothing of it is above)."""
    whole = f"{number} in full: {len(df)} rows, {df.shape[1]} columns"
    if shown is None or shown.empty:
        return whole
    parts = []
    if len(shown) != len(df):
        parts.append(f"{len(shown)} rows")
    if shown.shape[1] != df.shape[1]:
        parts.append(f"{shown.shape[1]} columns")
    return f"{whole} ({' and '.join(parts)} of it above)" if parts else whole


def fold(summary_html: str, whole_html: str, label: str) -> str:
    """The part of a table a reader sees, then the whole table folded behind a ``<details>``."""
    return (
        f"{summary_html}\n"
        f'<details class="table-fold">\n<summary>{html.escape(label)}</summary>\n{whole_html}\n</details>'
    )

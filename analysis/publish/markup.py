"""Markup for the pages: numbered, captioned tables (HTML and MyST), parameter values as readers
read them (7.05 %, 42,582; the numbers themselves are written by :mod:`analysis.core.numbers`),
and text from parameter files escaped so that it shows literally."""

from __future__ import annotations

import html
import itertools
import re

import numpy as np
import pandas as pd

from analysis.core import numbers

from . import tables

# Tables are numbered per page: each notebook runs in its own kernel, so the count starts at 1.
_table_numbers = itertools.count(1)
FIGURE_DPI = 150  # figures are drawn at least this sharp (PNG)


def reset_numbering() -> None:
    """Start the page's table numbers again at 1 (a notebook re-run in the same kernel)."""
    global _table_numbers
    _table_numbers = itertools.count(1)


def table_caption(caption: str) -> str:
    """The next table number of the page and the caption: 'Table 3. Cash flow, USD'."""
    return f"Table {next(_table_numbers)}. {caption}"


def show(df: pd.DataFrame, caption: str | None = None, *, wide: bool = False, rows=None, columns=None):
    """Display a table without its index, numbered and captioned, in its own horizontal scroll box
    (its first column stays visible while it scrolls). Deterministic HTML, so nbval can compare it.

    ``wide``: the page's full width (:data:`analysis.publish.tables.FULL_WIDTH`). ``rows`` and
    ``columns``: the part a reader sees first (:func:`analysis.publish.tables.preview`; ``rows=[]``
    shows none of it); the whole table then follows, folded behind a ``<details>``."""
    from IPython.display import HTML

    numbered = table_caption(caption) if caption else None
    shown = tables.preview(df, rows, columns)
    if shown.shape == df.shape:
        return HTML(tables.box(_table_html(df, numbered), wide))
    number = numbered.split(".", 1)[0] if numbered else "The table"
    whole = tables.box(_table_html(df, f"{number} in full.{numbered.split('.', 1)[1]}" if numbered else None), wide)
    if shown.empty:  # nothing of it above: the details name the table
        return HTML(tables.fold("", whole, f"{numbered or number} ({len(df)} rows, {df.shape[1]} columns)"))
    summary = _mark_gaps(_table_html(shown, numbered), tables.gaps(df, rows))
    return HTML(tables.fold(tables.box(summary, wide), whole, tables.fold_label(df, number, shown)))


def _mark_gaps(table: str, after: list) -> str:
    """Mark the body rows at positions ``after`` (``class="after-gap"``: rows left out above them)."""
    lines, row, body = [], -1, False
    for line in table.split("\n"):
        stripped = line.lstrip()
        body = body or stripped.startswith("<tbody")
        if body and stripped.startswith("<tr"):
            row += 1
            if row in after:
                line = line.replace("<tr", '<tr class="after-gap"', 1)
        lines.append(line)
    return "\n".join(lines)


def _table_html(df: pd.DataFrame, caption: str | None) -> str:
    """``df`` as an HTML table (no index, numbers marked) with ``caption``, already numbered."""
    table = _align_numbers(df, df.to_html(index=False, escape=True, border=0, classes="dataframe analysis-table"))
    table = _label_cells(df, table)
    if caption:
        head, rest = table.split(">", 1)
        table = f"{head}>\n  <caption>{html.escape(caption)}</caption>{rest}"
    return table


# A cell that holds one number as :mod:`analysis.core.numbers` writes it: "1,234.5", "-7.05 %",
# "+0.30 percentage points", "2.2 billion" (the space before a unit is a no-break space).
_UNITS = "%|percentage points|million|billion|trillion"
_NUMBER = re.compile(rf"^[-+±]?(\d{{1,3}}(,\d{{3}})*|\d+)(\.\d+)?([ \u00a0]({_UNITS}))?$")


def _numeric_columns(df: pd.DataFrame) -> list:
    """Positions of the columns that hold numbers (raw, or formatted: "1,234.5", "-7.05 %")."""
    out = []
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            out.append(i)
            continue
        texts = [str(v).strip() for v in col if not (v is None or (isinstance(v, float) and pd.isna(v)))]
        texts = [t for t in texts if t not in ("", "n/a")]
        if texts and all(_NUMBER.match(t) for t in texts):
            out.append(i)
    return out


def _align_numbers(df: pd.DataFrame, table: str) -> str:
    """Mark the cells of numeric columns (``class="num"``: right-aligned, figures of equal width)."""
    numeric = set(_numeric_columns(df))
    if not numeric:
        return table
    lines, col = [], 0
    for line in table.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("<tr"):
            col = 0
        elif stripped.startswith(("<td>", "<th>")):
            if col in numeric:
                line = line.replace(stripped[:4], stripped[:3] + ' class="num">', 1)
            col += 1
        lines.append(line)
    return "\n".join(lines)


def _label_cells(df: pd.DataFrame, table: str) -> str:
    """Give each body cell its column's heading (``data-label``): on a phone, where a table's rows
    stack (book/_static/analysis.css), each value shows beside the name of what it is."""
    names = [html.escape(str(c), quote=True) for c in df.columns]
    lines, col = [], 0
    for line in table.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("<tr"):
            col = 0
        elif stripped.startswith("<td") and col < len(names):
            line = line.replace("<td", f'<td data-label="{names[col]}"', 1)
            col += 1
        lines.append(line)
    return "\n".join(lines)


def myst_table(caption: str | None, lines: list, wide: bool = False) -> str:
    """A MyST (Markdown) table, numbered and captioned like :func:`show`'s (no Sphinx number: the
    table directive has no name); ``wide``: at the page's full width, in the theme's container."""
    table = (
        "\n".join(lines) if not caption else "\n".join([f":::{{table}} {cell(table_caption(caption))}", *lines, ":::"])
    )
    return f"::::{{container}} {tables.FULL_WIDTH}\n{table}\n::::" if wide else table


def money(x, decimals: int = 0) -> str:
    """An amount for a table cell: ``2,244,518`` (empty when missing); see :func:`numbers.number`."""
    return "" if x is None or pd.isna(x) else numbers.number(x, decimals)


percent = numbers.percent


def formatted(df: pd.DataFrame, formats: dict, rename: dict | None = None) -> pd.DataFrame:
    """A copy of ``df`` with columns turned into display strings (``column -> function``)."""
    out = df.copy()
    for col, f in formats.items():
        out[col] = out[col].map(f)
    return out.rename(columns=rename or {})


def label(x) -> str:
    """An identifier as words for a table cell: ``irr_percent`` -> "irr percent"."""
    return x.replace("_", " ") if isinstance(x, str) else x


def format_value(value, spec=None) -> str:
    """A parameter value as a reader reads it: 7.05 % (not 0.0705), 20 years: 100 % (not 20: 1),
    yes/no, words for choices. ``spec`` is the parameter's :class:`analysis.core.params.Spec`."""
    kind = getattr(spec, "kind", "")
    as_percent = kind == "share" or getattr(spec, "fmt", "") == "percent"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} years: {numbers.written_percent(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if not value:
            return "(none)"
        return ", ".join(numbers.written_percent(v) if as_percent else numbers.written(v) for v in value)
    if isinstance(value, str):
        return value.replace("_", " ")
    if isinstance(value, (int, float, np.floating, np.integer)):
        return numbers.written_percent(value) if as_percent else numbers.written(value)
    return str(value)


# Inline Markdown that plain text must not trigger: emphasis, links, code, roles and
# substitutions, math, strikethrough, table pipes, escapes. "<", ">", "&" and quotes become HTML
# entities, which Markdown shows as the characters (so no HTML and no entity can be written).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]{}$~|])")


_BLANKS = re.compile(r"[ \t\n\r\f\v]+")  # not the no-break space: it keeps a figure with its unit


def text(value) -> str:
    """Text from a parameter file (a unit, locator, note, description, scenario name, ...) for
    Markdown: shown literally, never interpreted as Markdown, MyST roles or HTML; on one line."""
    plain = numbers.spaced(_BLANKS.sub(" ", str(value)).strip(" "))
    return html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", plain))


def cell(value) -> str:
    """Text for a cell of a MyST table (see :func:`text`)."""
    return text(value)

"""A workbook's calculation, as the evaluations declare it: A1 references, the named inputs, and a
:class:`Book` that writes each formula with the model's value as its cached result and collects the
outputs. The writer object (xlsxwriter's workbook) is given by ``analysis.publish.workbook``: this
module renders nothing itself, so that each evaluation's ``workbook.py`` stays in the numerical layer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from . import reconcile


def col_letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    col += 1
    while col:
        col, r = divmod(col - 1, 26)
        out = chr(65 + r) + out
    return out


def cell(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of a 0-based (row, col)."""
    d = "$" if absolute else ""
    return f"{d}{col_letter(col)}{d}{row + 1}"


def number(x):
    """A value as xlsxwriter caches it (NaN/inf cannot be stored: an error string instead)."""
    if isinstance(x, bool):
        return x
    if isinstance(x, (int, float)) and not math.isfinite(x):
        return "#NUM!"
    return x


@dataclass(frozen=True)
class Published:
    """A cell the document prints, in an output's unit (``value``: the printed figure times
    ``scale``), with what judges an output against it (see :func:`reconcile.verdict`)."""

    value: float
    scale: float
    decimals: int
    tolerance: float
    threshold: float
    reason: str  # explained.csv's reason for a known difference, or ""
    tolerance_reason: str
    locator: str

    def verdict(self, value: float) -> tuple:
        """(verdict, its reason) of an output's ``value``, judged in the printed unit."""
        got = reconcile.verdict(
            self.value / self.scale, value / self.scale, self.decimals, self.tolerance, self.threshold, self.reason
        )
        why = {reconcile.VERDICTS[0]: "", reconcile.VERDICTS[1]: self.tolerance_reason}.get(got, self.reason)
        return got, why


@dataclass
class Output:
    name: str
    label: str
    unit: str
    formula: str
    value: float
    published: Published | None = None


@dataclass
class Book:
    """A workbook being written: the xlsxwriter workbook, its formats and the names of the inputs."""

    wb: object
    scenario: str = ""  # the scenario's name (published figures are looked up by it)
    names: dict = field(default_factory=dict)  # parameter -> name (or list of names / (terms, shares))
    outputs: list = field(default_factory=list)
    formats: dict = field(default_factory=dict)

    def fmt(self, name: str):
        """Shared cell formats: input, money, percent, number, ratio, header, note."""
        if name not in self.formats:
            spec = {
                "input": {"bg_color": "#FFF2CC", "font_color": "#1F4E79", "border": 1},
                "money": {"num_format": "#,##0.00"},
                "percent": {"num_format": "0.00%"},
                "number": {"num_format": "General"},
                "ratio": {"num_format": "0.000"},
                "header": {"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"},
                "note": {"italic": True, "font_color": "#595959", "text_wrap": True},
            }[name]
            self.formats[name] = self.wb.add_format(spec)
        return self.formats[name]

    def sheet(self, name: str):
        """A new calculation sheet."""
        return self.wb.add_worksheet(name)

    def formula(self, ws, row: int, col: int, formula: str, value, fmt: str | None = "number") -> str:
        """Write ``formula`` with ``value`` as its cached result; returns the cell's A1 reference."""
        ws.write_formula(row, col, formula, self.fmt(fmt) if fmt else None, number(value))
        return cell(row, col)

    def ref(self, ws, row: int, col: int) -> str:
        """A reference to a cell of ``ws`` from another sheet: ``'Flow'!B2``."""
        return f"'{ws.get_name()}'!{cell(row, col, absolute=True)}"

    def name(self, parameter: str, i: int | None = None) -> str:
        """The defined name of an input (``i``: the i-th item of a list, 0-based)."""
        n = self.names[parameter]
        return n[i] if i is not None else (n if isinstance(n, str) else f"p_{parameter}")

    def published(self, name: str, table: str, row: str, column: str, scale: float = 1.0):
        """The published cell (table, row, column) of ``data/published/<name>/published.csv`` for
        this scenario (its figure times ``scale``), or None when the document publishes none for it."""
        key = {"table": table, "scenario": self.scenario, "row": row, "column": column}
        pub = reconcile.published(name)
        hit = pub[(pub[list(key)] == pd.Series(key)).all(axis=1)]
        if not len(hit):
            return None
        c = hit.iloc[0]
        why = reconcile.explained(name)
        known = why[(why[list(key)] == pd.Series(key)).all(axis=1)]["reason"]
        return Published(
            float(c["published"]) * scale,
            scale,
            int(c["decimals"]),
            float(c["tolerance"]),
            float(c["threshold"]),
            str(known.iloc[0]) if len(known) else "",
            str(c["tolerance_reason"]),
            str(c["locator"]),
        )

    def output(self, name: str, label: str, unit: str, formula: str, value, published=None) -> None:
        """Register an output: written on the Outputs sheet as ``formula`` (cached ``value``)."""
        self.outputs.append(Output(name, label, unit, formula, value, published))

"""Helpers the notebooks use to show tables: formatting only, no model logic."""
from __future__ import annotations

import pandas as pd


def show(df: pd.DataFrame):
    """Display a table without its index (deterministic HTML, so nbval can compare it)."""
    from IPython.display import HTML
    return HTML(df.to_html(index=False, escape=True, border=0, classes="dataframe analysis-table"))


def money(x, decimals: int = 0) -> str:
    return "" if pd.isna(x) else f"{round(x, decimals) + 0.0:,.{decimals}f}"  # + 0.0: no "-0.00"


def percent(x, decimals: int = 2) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.{decimals}f} %"


def formatted(df: pd.DataFrame, formats: dict, rename: dict | None = None) -> pd.DataFrame:
    """A copy of ``df`` with columns turned into display strings (``column -> function``)."""
    out = df.copy()
    for col, f in formats.items():
        out[col] = out[col].map(f)
    return out.rename(columns=rename or {})


def assumptions_register(scenario) -> pd.DataFrame:
    """One row per parameter: value, unit, source key, locator, note, and the file it comes from."""
    rows = [{"parameter": k, "value": _show(e["value"]), "unit": e["unit"], "source": e["source"],
             "locator": e["locator"], "note": e.get("note", ""), "file": e["file"]}
            for k, e in scenario.entries.items()]
    return pd.DataFrame(rows)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def register(scenario):
    """The assumptions register as a MyST table whose sources are live citations."""
    from IPython.display import Markdown
    lines = ["| parameter | value | unit | source | locator |", "|---|---|---|---|---|"]
    for k, e in scenario.entries.items():
        lines.append(f"| `{k}` | {_cell(_show(e['value']))} | {_cell(e['unit'])} | "
                     f"{{cite:p}}`{e['source']}` | {_cell(e['locator'])} |")
    return Markdown("\n".join(lines))


def scenario_differences(evaluation: str) -> pd.DataFrame:
    """Parameters whose values differ between an evaluation's scenarios, scenarios side by side."""
    from . import evaluations, params
    names = params.scenario_names(evaluation)
    values = {n: evaluations.load(evaluation, n).values for n in names}
    keys = [k for k in values[names[0]] if len({repr(values[n][k]) for n in names}) > 1]
    return pd.DataFrame([{"parameter": k, **{n: _show(values[n][k]) for n in names}} for k in keys])


def downloads(evaluation: str, tables):
    """Links to the chapter's tables as CSV files and one XLSX workbook (written by the build)."""
    from IPython.display import Markdown
    links = ", ".join(f"{{download}}`{name}.csv <_generated/{evaluation}/{name}.csv>`" for name in tables)
    return Markdown(f"Download the tables of the scenario the book shows: {links}; all of them in one workbook: "
                    f"{{download}}`{evaluation}.xlsx <_generated/{evaluation}/{evaluation}.xlsx>`.")


def assumption_notes(scenario) -> str:
    """The notes of the register as a Markdown list (they are too long for a table column)."""
    return "\n".join(f"- **{k}**: {e['note'].strip()}" for k, e in scenario.entries.items() if e.get("note"))


def _show(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v:g}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(f"{v:,.0f}" if float(v).is_integer() else f"{v:,g}" for v in value) or "(none)"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def glue_number(name: str, value) -> None:
    """Glue a headline number for the prose, always as a Python float (myst-nb formats floats only)."""
    from myst_nb import glue
    glue(name, float(value), display=False)


def glue_markdown(name: str, text: str) -> None:
    """Glue a short text, rendered with {glue:md}`name`."""
    from IPython.display import Markdown
    from myst_nb import glue
    glue(name, Markdown(text), display=False)

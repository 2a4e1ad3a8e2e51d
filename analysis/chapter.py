"""What every chapter shows, from one set of helpers: formatting and display only, no model logic.

Every evaluation chapter has the same parts in the same order (``PARTS``), each a section whose
label is ``<evaluation>-<part>``: the operation, the model, the assumptions register, results,
reconciliation, readings, uncertainty, explore (a what-if on the engine's grid), downloads. The
helpers below render each part from the evaluation contract, so that every chapter delivers the
same things in the same form.
"""

from __future__ import annotations

import html
import itertools
import re

import numpy as np
import pandas as pd

PARTS = (
    "operation",
    "model",
    "assumptions",
    "results",
    "reconciliation",
    "readings",
    "uncertainty",
    "explore",
    "downloads",
)
PART_TITLES = {
    "operation": "The operation",
    "model": "The model",
    "assumptions": "Assumptions",
    "results": "Results",
    "reconciliation": "Reconciliation with the published tables",
    "readings": "Readings of the document",
    "uncertainty": "Uncertainty",
    "explore": "Explore the assumptions",
    "downloads": "Downloads",
}


# --- the start of a chapter ----------------------------------------------------------------------


class ChapterError(Exception):
    """A chapter cannot start with its parameters. IPython (and so papermill) shows
    ``_render_traceback_`` instead of a traceback: the one line of the message."""

    def _render_traceback_(self) -> list:
        return [f"{type(self).__name__}: {self}"]


def start(evaluation: str, scenario: str | None = None, overrides: dict | None = None, origin: str = "papermill"):
    """``(ev, sc, res)`` of a chapter: its evaluation, the validated scenario and the result.

    A chapter notebook's first cell after its parameters calls it, so that a wrong parameter
    (``papermill notebooks/elsalvador.ipynb out.ipynb -p scenario nope``) stops there with one line
    naming the file or option, the key and the reason, not a traceback."""
    from . import evaluations, params

    try:
        ev = evaluations.get(evaluation)
        sc, res = ev.run(scenario, overrides, origin)
    except params.ParameterError as exc:
        raise ChapterError(str(exc)) from None
    return ev, sc, res


# --- numbers and values -------------------------------------------------------------------------


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


def show(df: pd.DataFrame, caption: str | None = None):
    """Display a table without its index, numbered and captioned, in its own horizontal scroll box
    (its first column stays visible while it scrolls). Deterministic HTML, so nbval can compare it."""
    from IPython.display import HTML

    table = _align_numbers(df, df.to_html(index=False, escape=True, border=0, classes="dataframe analysis-table"))
    if caption:
        head, rest = table.split(">", 1)
        table = f"{head}>\n  <caption>{html.escape(table_caption(caption))}</caption>{rest}"
    return HTML(f'<div class="table-scroll" tabindex="0">\n{table}\n</div>')


_NUMBER = re.compile(r"^[-+±]?(\d{1,3}(,\d{3})*|\d+)(\.\d+)?( ?%)?$")


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


def _myst_table(caption: str | None, lines: list) -> str:
    """A MyST (Markdown) table, numbered and captioned like :func:`show`'s (no Sphinx number: the
    table directive has no name)."""
    if not caption:
        return "\n".join(lines)
    return "\n".join([f":::{{table}} {_cell(table_caption(caption))}", *lines, ":::"])


def money(x, decimals: int = 0) -> str:
    return "" if x is None or pd.isna(x) else f"{round(x, decimals) + 0.0:,.{decimals}f}"  # + 0.0: no "-0.00"


def percent(x, decimals: int = 2) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x + 0.0:.{decimals}f} %"


def formatted(df: pd.DataFrame, formats: dict, rename: dict | None = None) -> pd.DataFrame:
    """A copy of ``df`` with columns turned into display strings (``column -> function``)."""
    out = df.copy()
    for col, f in formats.items():
        out[col] = out[col].map(f)
    return out.rename(columns=rename or {})


def _g(x: float) -> str:
    """A number with the digits it has (no float noise), thousands separated: 42,582; 0.4842."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.10g}"


def _pct(x: float) -> str:
    return f"{_g(100 * float(x))} %"


def label(x) -> str:
    """An identifier as words for a table cell: ``irr_percent`` -> "irr percent"."""
    return x.replace("_", " ") if isinstance(x, str) else x


def format_value(value, spec=None) -> str:
    """A parameter value as a reader reads it: 7.05 % (not 0.0705), 20 years: 100 % (not 20: 1),
    yes/no, words for choices. ``spec`` is the parameter's :class:`analysis.params.Spec`."""
    kind = getattr(spec, "kind", "")
    as_percent = kind == "share" or getattr(spec, "fmt", "") == "percent"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} years: {_pct(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if not value:
            return "(none)"
        return ", ".join(_pct(v) if as_percent else _g(v) for v in value)
    if isinstance(value, str):
        return value.replace("_", " ")
    if isinstance(value, (int, float, np.floating, np.integer)):
        return _pct(value) if as_percent else _g(value)
    return str(value)


# Inline Markdown that plain text must not trigger: emphasis, links, code, roles and
# substitutions, math, strikethrough, table pipes, escapes. "<", ">", "&" and quotes become HTML
# entities, which Markdown shows as the characters (so no HTML and no entity can be written).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]{}$~|])")


def text(value) -> str:
    """Text from a parameter file (a unit, locator, note, description, scenario name, ...) for
    Markdown: shown literally, never interpreted as Markdown, MyST roles or HTML; on one line."""
    plain = " ".join(str(value).split())
    return html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", plain))


def _cell(value) -> str:
    """Text for a cell of a MyST table (see :func:`text`)."""
    return text(value)


# --- the assumptions register -------------------------------------------------------------------


def register(scenario, specs: dict, caption: str | None = None):
    """The assumptions register as a MyST table: parameter, meaning (the spec's description), value
    with its unit, the source as a live citation with its locator, and what set the value (the
    parameter file, or for an override its origin).

    An overridden value has no citation of its own: its row says so and shows the value it
    replaced, with that value's citation and locator, labelled as the replaced value's."""
    from IPython.display import Markdown

    lines = [
        "| parameter | meaning | value | unit | source | locator | set by |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, e in scenario.entries.items():
        spec = specs.get(k)
        value = _cell(format_value(e["value"], spec))
        replaced = e.get("replaced")
        if replaced:
            value += (
                f" — set by {_cell(e.get('origin', ''))}; replaces {_cell(format_value(replaced['value'], spec))}"
                f" ({_cell(replaced['origin'])})"
            )
            source = f"replaced value's citation: {{cite:p}}`{replaced['source']}`"
            locator = f"replaced value's locator: {_cell(replaced['locator'])}"
        else:
            source, locator = f"{{cite:p}}`{e['source']}`", _cell(e["locator"])
        origin = e.get("origin") or e.get("file", "")
        lines.append(
            f"| `{k}` | {_cell(getattr(spec, 'doc', ''))} | {value} | {_cell(e['unit'])} | {source} | {locator} | "
            f"{_cell(origin)} |"
        )
    if caption is None:
        caption = f"Assumptions register of scenario {scenario.name}: every parameter, its value and source"
    return Markdown(_myst_table(caption, lines))


def assumption_notes(scenario):
    """The notes of the register as a Markdown list (they are too long for a table column)."""
    from IPython.display import Markdown

    return Markdown(
        "\n".join(f"- **{k}**: {text(e['note'].strip())}" for k, e in scenario.entries.items() if e.get("note"))
    )


def scenario_differences(ev) -> pd.DataFrame:
    """Parameters whose values differ between an evaluation's scenarios, scenarios side by side."""
    names = ev.scenarios()
    values = {n: ev.load(n).values for n in names}
    keys = [k for k in values[names[0]] if len({repr(values[n][k]) for n in names}) > 1]
    return pd.DataFrame(
        [{"parameter": k, **{n: format_value(values[n][k], ev.parameters.get(k)) for n in names}} for k in keys]
    )


def headline(ev, result) -> pd.DataFrame:
    """The headline metrics of one run, labelled, with units, formatted."""
    return pd.DataFrame(
        [{"measure": m.label, "unit": m.unit, "value": m.format(result.metrics[m.name])} for m in ev.metrics]
    )


# --- reconciliation and readings ----------------------------------------------------------------


def reconciliation_summary(rec: pd.DataFrame, caption: str = "Verdicts on the published cells, by table and scenario"):
    """Per published table and scenario: how many cells get each verdict."""
    from . import reconcile

    return show(reconcile.summary(rec), caption)


def reconciliation_cells(
    rec: pd.DataFrame, verdicts=None, tables=None, caption: str = "Published cells beside the reproduced ones"
):
    """The cells of ``rec`` (optionally only these verdicts or tables), published beside reproduced."""
    out = rec
    if verdicts is not None:
        out = out[out["verdict"].isin(verdicts)]
    if tables is not None:
        out = out[out["table"].isin(tables)]

    def num(v, d):
        return "n/a" if pd.isna(v) else f"{v + 0.0:,.{max(int(d), 0)}f}"

    shown = pd.DataFrame(
        {
            "table": out["table"],
            "scenario": out["scenario"],
            "row": out["row"].map(label),
            "column": out["column"].map(label),
            "published": [num(v, d) for v, d in zip(out["published"], out["decimals"])],
            "reproduced": [num(v, d + 2) for v, d in zip(out["reproduced"], out["decimals"])],
            "difference": [num(v, d + 2) for v, d in zip(out["difference"], out["decimals"])],
            "tolerance": [
                "" if pd.isna(t) else f"±{t:,.{max(int(d) + 2, 0)}f}" for t, d in zip(out["tolerance"], out["decimals"])
            ],
            "verdict": out["verdict"],
            "reason": out["reason"],
        }
    )
    return show(shown, caption)


def readings(
    ev, effects: pd.DataFrame, caption: str = "Each reading applied alone: its effect on the headline measures"
):
    """The effects of the readings on the headline metrics (``Evaluation.reading_effects``)."""
    fmt, rename = {}, {"reading": "reading", "kind": "kind", "locator": "where in the document"}
    for m in ev.metrics:
        fmt[m.name] = m.format
        fmt[f"{m.name} change"] = lambda x, m=m: ("+" if x > 0 else "") + m.format(x)
        rename[m.name] = m.label
        rename[f"{m.name} change"] = "change"
    return show(formatted(effects.drop(columns="key"), fmt, rename), caption)


# --- uncertainty --------------------------------------------------------------------------------


def setup_figures() -> None:
    """Matplotlib defaults of the book's figures: sharp PNGs (``FIGURE_DPI``), readable labels."""
    import matplotlib as mpl

    mpl.rcParams.update({"figure.dpi": FIGURE_DPI, "savefig.dpi": FIGURE_DPI, "axes.titlesize": "medium"})


def thousands(ax, axis: str = "y", decimals: int = 0) -> None:
    """Thousands separators on an axis's tick labels: 1,500,000 not 1500000 (or 1.5e6)."""
    from matplotlib.ticker import StrMethodFormatter

    fmt = StrMethodFormatter(f"{{x:,.{decimals}f}}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _scale(ev, values):
    """(factor, axis label) for the decision metric: percent points for rates, millions for large
    money amounts."""
    m = ev.metric(ev.criterion.metric)
    if m.fmt == "percent":
        return 100.0, f"{m.label} (%)"
    if np.nanmax(np.abs(np.asarray(values, dtype=float)), initial=0) >= 1e6:
        return 1e-6, f"{m.label} (million {m.unit})"
    return 1.0, f"{m.label} ({m.unit})"


def tornado(ev, unc):
    """Tornado: the decision metric at the low and high end of each documented range."""
    import matplotlib.pyplot as plt

    tor = unc["tornado"]
    k, label = _scale(ev, tor[["metric_at_low", "metric_at_high"]].to_numpy())
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(tor), 3) + 1.2), dpi=FIGURE_DPI)
    y = np.arange(len(tor))[::-1]
    base = k * float(tor["base_metric"].iloc[0]) if len(tor) else 0.0
    for yi, row in zip(y, tor.itertuples()):
        ax.barh(yi, k * row.metric_at_low - base, left=base, color="tab:blue", alpha=0.8)
        ax.barh(yi, k * row.metric_at_high - base, left=base, color="tab:orange", alpha=0.8)
    ax.axvline(k * ev.criterion.threshold, color="black", lw=1, ls="--", label="decision threshold")
    ax.axvline(base, color="grey", lw=0.8)
    ax.set_yticks(y, [p.replace("_", " ") for p in tor["parameter"]])
    ax.set(xlabel=label, ylabel="assumption", title="Each assumption at the ends of its documented range")
    thousands(ax, "x", 0 if k == 1.0 else 1)
    ax.legend(
        handles=[
            plt.Rectangle((0, 0), 1, 1, color="tab:blue", alpha=0.8),
            plt.Rectangle((0, 0), 1, 1, color="tab:orange", alpha=0.8),
            ax.lines[0],
        ],
        labels=["low end", "high end", "decision threshold"],
        loc="best",
        fontsize=8,
    )
    fig.tight_layout()
    return fig


def histogram(ev, unc):
    """Histogram of the decision metric under the declared distributions, threshold marked."""
    import matplotlib.pyplot as plt

    mc = unc["monte_carlo"]
    k, label = _scale(ev, mc["values"])
    values = k * np.asarray(mc["values"], dtype=float)
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=FIGURE_DPI)
    ax.hist(values, bins=80, color="tab:grey", alpha=0.85)
    ax.axvline(k * ev.criterion.threshold, color="tab:red", lw=1.2, ls="--")
    ax.set(
        xlabel=label,
        ylabel="number of draws",
        title=f"{mc['draws']:,} draws: P(conclusion fails) = {100 * mc['p_fails']:.1f} %",
    )
    thousands(ax, "x", 0 if k == 1.0 else 1)
    thousands(ax, "y")
    fig.tight_layout()
    return fig


def _significant(x, digits: int = 4):
    """A computed value (a switching value) to the digits that mean something: 0.1450 not 0.1450067624."""
    if isinstance(x, (int, np.integer)) or x == 0 or not np.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def _cite(block) -> str:
    if not block:
        return ""
    return f"{{cite:t}}`{block['source']}`, {_cell(block['locator'])}"


def switching_values(ev, unc, caption: str | None = None):
    """Switching values with each parameter's documented range and distribution and their sources."""
    from IPython.display import Markdown

    # the ranges as the analysis used them: shifted with a moved value (uncertainty.centred)
    entries, values = unc.get("entries", unc["scenario"].entries), unc["scenario"].values
    lines = [
        "| parameter | value | switching value | documented range | its source | distribution | its source |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, sv in unc["switching_values"].items():
        spec = ev.parameters.get(key)
        e = entries[key]
        rng, dist = e.get("range"), e.get("distribution")
        rng_text = f"{format_value(rng['low'], spec)} to {format_value(rng['high'], spec)}" if rng else ""
        dist_text = ""
        if dist:
            mode = f", mode {format_value(dist['mode'], spec)}" if "mode" in dist else ""
            dist_text = f"{dist['kind']}, {format_value(dist['low'], spec)} to {format_value(dist['high'], spec)}{mode}"
        shown = "none in the admissible interval" if sv is None else format_value(_significant(sv), spec)
        lines.append(
            f"| `{key}` | {_cell(format_value(values[key], spec))} | {_cell(shown)} | {_cell(rng_text)} | "
            f"{_cite(rng)} | {_cell(dist_text)} | {_cite(dist)} |"
        )
    if caption is None:
        m = ev.metric(ev.criterion.metric)
        caption = (
            f"Switching values: where the {m.label} reaches its threshold, each assumption alone "
            f"(scenario {unc['scenario'].name}), with the sources of its range and distribution"
        )
    return Markdown(_myst_table(caption, lines))


def sobol(unc, caption: str = "Sobol indices: the share of the decision measure's variance each assumption explains"):
    """Sobol indices: the share of the decision metric's variance each assumption explains."""
    s = unc["sobol"]
    return show(
        formatted(
            s,
            {
                "parameter": lambda x: x.replace("_", " "),
                "first_order": lambda x: f"{x:.2f}",
                "total": lambda x: f"{x:.2f}",
            },
            {"first_order": "alone (first order)", "total": "with interactions (total)"},
        ),
        caption,
    )


# --- the what-if explorer -----------------------------------------------------------------------


def explore(ev, sc, res):
    """The Explore part: sliders over the assumptions that matter most, on the engine's grid
    (``analysis.explorer``; drawn in the browser by ``book/_static/explorer.js``)."""
    from IPython.display import Markdown

    from . import explorer

    return Markdown(explorer.render(ev, sc, res))


# --- downloads and glue -------------------------------------------------------------------------


def downloads(ev):
    """Links to the chapter's tables as CSV files and one XLSX workbook (written by the build)."""
    from IPython.display import Markdown

    from . import build

    names = build.download_tables(ev)
    links = ", ".join(f"{{download}}`{name}.csv <_generated/{ev.name}/{name}.csv>`" for name in names)
    text = (
        f"The tables of the scenario this page shows: {links}; all of them in one workbook: "
        f"{{download}}`{ev.name}.xlsx <_generated/{ev.name}/{ev.name}.xlsx>`."
    )
    live = build.workbook_name(ev)
    if live:
        text += (
            f" The whole evaluation as a spreadsheet with live formulas, each input named and cited, "
            f"recalculating to this page's numbers: {{download}}`{live} <_generated/{ev.name}/{live}>` "
            f"(or `python -m analysis workbook {ev.name} --out FILE.xlsx` for any scenario)."
        )
    return Markdown(text)


def glue_number(name: str, value) -> None:
    """Glue a number for the prose, always as a Python float (myst-nb formats floats only)."""
    from myst_nb import glue

    glue(name, float(value), display=False)


def glue_markdown(name: str, text: str) -> None:
    """Glue a short text, rendered with {glue:md}`name`."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)


def uncertainty_sources(table: pd.DataFrame):
    """``uncertainty.sources()`` as a MyST table: every range and distribution with its citation,
    where the bounds come from, and why a distribution reaches beyond its documented range."""
    from IPython.display import Markdown

    from . import evaluations

    lines = [
        "| evaluation | parameter | value | documented range | its source | distribution | its source "
        "| bounds from | beyond the range: why |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        spec = evaluations.get(r.evaluation).parameters.get(r.parameter)
        rng, dist = r.range, r.distribution
        rng_text = f"{format_value(rng['low'], spec)} to {format_value(rng['high'], spec)}" if rng else ""
        dist_text = ""
        if dist:
            mode = f", mode {format_value(dist['mode'], spec)}" if "mode" in dist else ""
            dist_text = f"{dist['kind']}, {format_value(dist['low'], spec)} to {format_value(dist['high'], spec)}{mode}"
        lines.append(
            f"| {r.evaluation} | `{r.parameter}` | {_cell(format_value(r.value, spec))} | {_cell(rng_text)} | "
            f"{_cite(rng)} | {_cell(dist_text)} | {_cite(dist)} | {_cell(r.bounds)} | {_cell(r.why)} |"
        )
    caption = "Every documented range and declared distribution, with its source; where the bounds come from"
    return Markdown(_myst_table(caption, lines))

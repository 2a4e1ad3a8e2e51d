"""What every chapter shows, from one set of helpers: formatting and display only, no model logic.

Every evaluation chapter has the same parts in the same order (``PARTS``), each a section whose
label is ``<evaluation>-<part>``: the operation, the model, the assumptions register, results,
reconciliation, readings, uncertainty, explore (a what-if on the engine's grid), downloads. The
helpers below render each part from the evaluation contract, so that every chapter delivers the
same things in the same form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import evaluations
from ..core import params, reconcile
from . import contents, explorer
from .markup import (  # noqa: F401 -- the chapters' notebooks format through chapter.*
    FIGURE_DPI,
    cell,
    format_value,
    formatted,
    label,
    money,
    myst_table,
    percent,
    reset_numbering,
    show,
    table_caption,
    text,
)

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

    try:
        ev = evaluations.get(evaluation)
        sc, res = ev.run(scenario, overrides, origin)
    except params.ParameterError as exc:
        raise ChapterError(str(exc)) from None
    return ev, sc, res


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
        value = cell(format_value(e["value"], spec))
        replaced = e.get("replaced")
        if replaced:
            value += (
                f" — set by {cell(e.get('origin', ''))}; replaces {cell(format_value(replaced['value'], spec))}"
                f" ({cell(replaced['origin'])})"
            )
            source = f"replaced value's citation: {{cite:p}}`{replaced['source']}`"
            locator = f"replaced value's locator: {cell(replaced['locator'])}"
        else:
            source, locator = f"{{cite:p}}`{e['source']}`", cell(e["locator"])
        origin = e.get("origin") or e.get("file", "")
        lines.append(
            f"| `{k}` | {cell(getattr(spec, 'doc', ''))} | {value} | {cell(e['unit'])} | {source} | {locator} | "
            f"{cell(origin)} |"
        )
    if caption is None:
        caption = f"Assumptions register of scenario {scenario.name}: every parameter, its value and source"
    return Markdown(myst_table(caption, lines))


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
    return f"{{cite:t}}`{block['source']}`, {cell(block['locator'])}"


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
            f"| `{key}` | {cell(format_value(values[key], spec))} | {cell(shown)} | {cell(rng_text)} | "
            f"{_cite(rng)} | {cell(dist_text)} | {_cite(dist)} |"
        )
    if caption is None:
        m = ev.metric(ev.criterion.metric)
        caption = (
            f"Switching values: where the {m.label} reaches its threshold, each assumption alone "
            f"(scenario {unc['scenario'].name}), with the sources of its range and distribution"
        )
    return Markdown(myst_table(caption, lines))


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
    (``analysis.publish.explorer``; drawn in the browser by ``book/_static/explorer.js``)."""
    from IPython.display import Markdown

    return Markdown(explorer.render(ev, sc, res))


# --- downloads and glue -------------------------------------------------------------------------


def downloads(ev):
    """Links to the chapter's tables as CSV files and one XLSX workbook (written by the build)."""
    from IPython.display import Markdown

    names = contents.download_tables(ev)
    links = ", ".join(f"{{download}}`{name}.csv <_generated/{ev.name}/{name}.csv>`" for name in names)
    text = (
        f"The tables of the scenario this page shows: {links}; all of them in one workbook: "
        f"{{download}}`{ev.name}.xlsx <_generated/{ev.name}/{ev.name}.xlsx>`."
    )
    live = contents.workbook_name(ev)
    if live:
        text += (
            f" The whole evaluation as a spreadsheet with live formulas, each input named and cited, "
            f"recalculating to this page's numbers: {{download}}`{live} <_generated/{ev.name}/{live}>` "
            f"(or `python -m analysis workbook {ev.name} --out FILE.xlsx` for any scenario)."
        )
    return Markdown(text)


def glue_number(name: str, value) -> None:
    """Glue a number for the prose, always as a Python float (myst-nb formats floats only), rounded
    to 12 significant digits: the prose shows at most 6, and the last bits of a sum differ between
    CPUs (SIMD paths), which would make the committed notebooks differ from one machine to the next."""
    from myst_nb import glue

    glue(name, float(f"{float(value):.12g}"), display=False)


def glue_markdown(name: str, text: str) -> None:
    """Glue a short text, rendered with {glue:md}`name`."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)


def uncertainty_sources(table: pd.DataFrame):
    """``uncertainty.sources()`` as a MyST table: every range and distribution with its citation,
    where the bounds come from, and why a distribution reaches beyond its documented range."""
    from IPython.display import Markdown

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
            f"| {r.evaluation} | `{r.parameter}` | {cell(format_value(r.value, spec))} | {cell(rng_text)} | "
            f"{_cite(rng)} | {cell(dist_text)} | {_cite(dist)} | {cell(r.bounds)} | {cell(r.why)} |"
        )
    caption = "Every documented range and declared distribution, with its source; where the bounds come from"
    return Markdown(myst_table(caption, lines))

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
from ..core import information, numbers, params, reconcile, uncertainty, verdict
from . import contents, explorer, figures  # noqa: F401 -- figures: the chapters' own, as chapter.figures.*
from . import tables as layout  # tables: a parameter name of reconciliation_cells
from .figures import acceptability, histogram, setup_figures, thousands, tornado  # noqa: F401 -- shown as chapter.*
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
from .tables import ends  # noqa: F401 -- the chapters' folded flows: chapter.ends

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
# The parts a reader consults rather than reads through: the published cells one by one, the
# document's ambiguities, the what-if explorer, the files. tests/test_browser.py measures a
# chapter's reading path as the page's height above the first of them (at most about a dozen
# screens); the uncertainty part follows the reconciliation, so it is below that line anyway.
APPENDIX_PARTS = ("reconciliation", "readings", "explore", "downloads")
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
    return Markdown(myst_table(caption, lines, wide=True))  # seven columns: the "set by" one in view


def assumption_notes(scenario):
    """The notes of the register as a Markdown list (they are too long for a table column), folded
    behind a dropdown that names how many there are: they qualify the register, it comes first."""
    from IPython.display import Markdown

    notes = [f"- **{k}**: {text(e['note'].strip())}" for k, e in scenario.entries.items() if e.get("note")]
    if not notes:
        return Markdown("")
    title = f"Notes on {len(notes)} of the parameters" if len(notes) > 1 else "A note on one of the parameters"
    return Markdown("\n".join([f":::{{dropdown}} {title}", *notes, ":::"]))


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
    rec: pd.DataFrame,
    verdicts=None,
    tables=None,
    caption: str = "Published cells beside the reproduced ones",
    differences_first: bool = False,
):
    """The cells of ``rec`` (optionally only these verdicts or tables), published beside reproduced,
    at the page's full width (ten columns: the verdict and its reason in view).

    ``differences_first``: the cells that are not exact at the printed precision first, in view;
    the exact ones only in the whole table, folded below them."""
    out = rec
    if verdicts is not None:
        out = out[out["verdict"].isin(verdicts)]
    if tables is not None:
        out = out[out["table"].isin(tables)]

    # The published figure at the decimals the document printed; the reproduced one and the
    # difference one decimal finer (numbers.BESIDE_PUBLISHED), enough to see how it rounds.
    finer = numbers.BESIDE_PUBLISHED
    num = numbers.number
    shown = pd.DataFrame(
        {
            "table": out["table"],
            "scenario": out["scenario"],
            "row": out["row"].map(label),
            "column": out["column"].map(label),
            "published": [num(v, d) for v, d in zip(out["published"], out["decimals"])],
            "reproduced": [num(v, d + finer) for v, d in zip(out["reproduced"], out["decimals"])],
            "difference": [num(v, d + finer) for v, d in zip(out["difference"], out["decimals"])],
            "tolerance": [
                "" if pd.isna(t) else "±" + num(t, max(d + finer, numbers.decimals_for(t)))
                for t, d in zip(out["tolerance"], out["decimals"])
            ],
            "verdict": out["verdict"],
            "reason": out["reason"],
        }
    )
    if not differences_first:
        return show(shown, caption, wide=True)
    shown, n = layout.differences_first(shown, shown["verdict"] != reconcile.VERDICTS[0])
    return show(shown, caption, wide=True, rows=range(n))


def readings(
    ev, effects: pd.DataFrame, caption: str = "Each reading applied alone: its effect on the headline measures"
):
    """The effects of the readings on the headline metrics (``Evaluation.reading_effects``), at the
    page's full width; each reading's kind beside its name, so that every measure fits beside it."""
    effects = effects.assign(reading=[f"{r} ({k})" for r, k in zip(effects["reading"], effects["kind"])])
    effects = effects.drop(columns="kind")
    fmt, rename = {}, {"reading": "reading (its kind)", "locator": "where in the document"}
    for m in ev.metrics:
        fmt[m.name] = m.format
        rename[m.name] = m.label
        if m.fmt == "percent":  # the unit in the heading: "+1.20 percentage points" in every cell is too wide
            fmt[f"{m.name} change"] = lambda d, m=m: numbers.number(100 * d, m.decimals, sign=True)
            rename[f"{m.name} change"] = f"change ({numbers.POINTS})"
        else:
            fmt[f"{m.name} change"] = m.change
            rename[f"{m.name} change"] = "change"
    return show(formatted(effects.drop(columns="key"), fmt, rename), caption, wide=True)


def readings_that_change(ev, sc, base=None, caption: str | None = None) -> str:
    """ "Readings that can change the answer" (:func:`verdict.under_readings`) as Markdown: one
    table, each choice of method with the book's reading and every alternative computed in full,
    its verdict in the book's vocabulary; then, for each choice, the document's words, the book's
    reading and why. ``base``: the page's verdict. Shown with ``display(Markdown(...))``."""
    table = verdict.under_readings(ev, sc.name, sc.overrides, base=base)
    caption = caption or f"Readings that can change the answer: each computed in full, scenario {sc.name}"
    rows = [
        "| choice | reading | decision measure | verdict | fails in the draws | flips the conclusion |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        who = "this book's: " if r.default else ""
        measure = r.measure if r.measure == table["measure"].iloc[0] else f"{r.measure}: "
        shown = r.shown if r.measure == table["measure"].iloc[0] else f"{measure}{r.shown}"
        rows.append(
            f"| {cell(r.choice)} | {cell(who + r.reading)} | {cell(shown)} | {cell(r.verdict)} | "
            f"{cell(percent(r.p_fails, 1))} | {'yes' if r.flips else 'no'} |"
        )
    notes = []
    for c in ev.choices:
        notes.append(
            f"- **{cell(c.question)}** The document ({cell(c.locator)}): *«{cell(c.quote)}»* "
            f"This book reads it as {cell(c.default)}. {cell(c.why)}"
        )
    return myst_table(caption, rows, wide=True) + "\n\n" + "\n".join(notes) + "\n"


# --- uncertainty --------------------------------------------------------------------------------


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
    return Markdown(myst_table(caption, lines, wide=True))


def alone_sentence(ev, p: dict, unc, top: dict, outcome: str = "the programme NPV turns negative") -> str:
    """Which uncertain assumption, drawn alone, most often makes the conclusion fail (``top``:
    :func:`analysis.evaluations.peru.findings.most_fragile`), in words: where it fails (its
    switching value, when there is one in its admissible interval; at a scenario where the
    conclusion already fails there may be none) and the share of its draws beyond it."""
    if top["p_fails_alone"] == 0:
        return (
            "No uncertain assumption on its own reaches its switching value within its distribution: "
            "only combinations of them turn the conclusion."
        )
    key = top["parameter"]
    spec, sv = ev.parameters[key], unc["switching_values"].get(key)
    now = format_value(p[key], spec)
    share = percent(top["p_fails_alone"], 1)
    if sv is None:
        where = (
            f"it has no switching value in its admissible interval (this scenario: {now}), and in {share} of its "
            f"own draws {outcome.replace(' turns ', ' is ')}. "
        )
    else:
        at = format_value(_significant(sv), spec)
        where = f"on its own, {outcome} at {at} (this scenario: {now}), and {share} of its own draws lie beyond it. "
    others = top["others"]
    rest = (
        "No other uncertain assumption reaches its switching value within its distribution on its own; "
        "the rest of the probability comes from combinations."
        if not others
        else "Other assumptions that can do so on their own: "
        + ", ".join(
            f"the {uncertainty.label(ev.parameters[k])} ({percent(v, 1)} of its draws)" for k, v in others.items()
        )
        + "."
    )
    return f"The {uncertainty.label(spec)}: {where}{rest}"


def sobol(unc, caption: str = "Sobol indices: the share of the decision measure's variance each assumption explains"):
    """Sobol indices with their 95 % bootstrap intervals and the design's size
    (:func:`analysis.core.uncertainty.sobol`), assumptions in words."""
    s = unc["sobol"]
    ev = unc["evaluation"]

    def interval(row, name):
        low, high = (numbers.number(row[f"{name}_{end}"], 2) for end in ("low", "high"))
        return f"{numbers.number(row[name], 2)} ({low} to {high})"

    shown = pd.DataFrame(
        {
            "assumption": [uncertainty.label(ev.parameters[k]) for k in s["parameter"]],
            "alone (first order, 95\u00a0% interval)": [interval(r, "first_order") for _, r in s.iterrows()],
            "with interactions (total, 95\u00a0% interval)": [interval(r, "total") for _, r in s.iterrows()],
        }
    )
    n, d = int(s["n"].iloc[0]), len(s)
    note = (
        f"Scrambled Sobol' design of {n:,} base points ({n * (d + 2):,} model runs), "
        f"percentile bootstrap intervals ({uncertainty.SOBOL_RESAMPLES} resamples)."
    )
    return show(shown, f"{caption}. {note}")


def value_of_information(ev, voi, caption: str | None = None):
    """The value of information (:func:`analysis.core.information.value_of_information`): per
    uncertain assumption, EVPPI by regression and by nested Monte Carlo, with their standard errors."""
    in_usd = voi.attrs["unit"] == "USD"
    scale = 1 if in_usd else 100
    unit = "USD" if in_usd else f"{numbers.POINTS} of income"

    def shown(v, se):
        """``v ± se``, no finer than the standard error ``se``."""
        d = numbers.decimals_for(se, scale)
        return f"{numbers.number(scale * v, d)} ± {numbers.number(scale * se, d)}"

    table = pd.DataFrame(
        {
            "assumption": voi["label"],
            f"EVPPI, regression ({unit})": [shown(v, e) for v, e in zip(voi["evppi_regression"], voi["se_regression"])],
            f"EVPPI, nested Monte Carlo ({unit})": [shown(v, e) for v, e in zip(voi["evppi_nested"], voi["se_nested"])],
            "share of the EVPI": [percent(x, 1) for x in voi["share_of_evpi"]],
        }
    )
    a = voi.attrs
    note = (
        f"EVPI {shown(a['evpi'], a['evpi_se'])} {unit} from {a['draws']:,} draws; "
        f"nested Monte Carlo with {a['n_outer']} outer "
        f"and {a['n_inner']:,} inner draws per assumption (± one standard error)"
    )
    return show(table, f"{caption or 'What learning each uncertain assumption would be worth to the decision'}. {note}")


def why_the_mean(ev, unc) -> str:
    """The sentence :func:`analysis.core.verdict.why_the_mean` words, as MyST with glued numbers."""
    return glued_sentence(verdict.why_the_mean(unc), f"mg_{ev.name}")


def worth_most(ev, voi) -> str:
    """The sentence :func:`analysis.core.information.worth_most` words, as MyST with glued numbers."""
    return glued_sentence(information.worth_most(ev, voi), f"vi_{ev.name}")


# --- the what-if explorer -----------------------------------------------------------------------


def explore(ev, sc, res, unc=None):
    """The Explore part: sliders over the assumption the verdict names most fragile and those that
    matter most by the chapter's Sobol indices (``unc``), on the engine's grid
    (``analysis.publish.explorer``; drawn in the browser by ``book/_static/explorer.js``)."""
    from IPython.display import Markdown

    if unc is None:
        return Markdown(explorer.render(ev, sc, res))
    ranked = verdict.ranked(unc)
    first = ranked[0].parameter if ranked else None
    return Markdown(explorer.render(ev, sc, res, unc["sobol"], first))


# --- downloads and glue -------------------------------------------------------------------------


def downloads(ev, sc):
    """Links to the chapter's tables as CSV files and one XLSX workbook (written by the build) of
    the scenario ``sc`` the page shows: each file named by the scenario and its parameters' digest
    (:func:`contents.download_name`), each column headed with its unit."""
    from IPython.display import Markdown

    names = contents.download_tables(ev)
    files = [contents.download_name(name, sc) for name in names]
    # the link says the table (a file name of 50 characters would not wrap on a phone)
    links = ", ".join(f"{{download}}`{name} <_generated/{ev.name}/{f}>`" for name, f in zip(names, files))
    out = (
        f"The tables of the scenario this page shows as CSV files, each named by its table, the scenario "
        f"({text(sc.name)}) and the first digits of the parameters' SHA-256 (`{sc.sha256[:12]}`), each "
        f"column headed with its unit: {links}; all of them in one workbook: "
        f"{{download}}`{ev.name}.xlsx <_generated/{ev.name}/{ev.name}.xlsx>`."
    )
    live = contents.workbook_name(ev)
    if live:
        out += (
            f" The whole evaluation as a spreadsheet with live formulas, each input named and cited, "
            f"recalculating to this page's numbers: {{download}}`{live} <_generated/{ev.name}/{live}>` "
            f"(or `python -m analysis workbook {ev.name} --out FILE.xlsx` for any scenario)."
        )
    return Markdown(out)


def glue_number(name: str, value) -> None:
    """Glue a number for the prose, always as a Python float (myst-nb formats floats only), rounded
    to 12 significant digits: the prose shows at most 6, and the last bits of a sum differ between
    CPUs (SIMD paths), which would make the committed notebooks differ from one machine to the next."""
    from myst_nb import glue

    glue(name, numbers.stored(value), display=False)


def glue_markdown(name: str, text: str) -> None:
    """Glue a short text, rendered with {glue:md}`name`."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)


def glued_sentence(parts, key: str) -> str:
    """A sentence of text pieces and Numbers (:class:`analysis.core.verdict.Number`) as MyST, each
    number glued as ``<key>_<name>`` and shown through a ``{glue:text}`` role."""
    pieces = []
    for part in parts:
        if isinstance(part, str):  # text() trims: keep the spaces between a piece and a number
            pieces.append((" " if part[:1].isspace() else "") + text(part) + (" " if part[-1:].isspace() else ""))
        else:
            glue_number(f"{key}_{part.name}", part.value)
            # text() trims ordinary spaces, not the no-break space that keeps "%" with its figure
            suffix = (" " if part.suffix[:1] == " " else "") + text(part.suffix) if part.suffix else ""
            pieces.append(f"{{glue:text}}`{key}_{part.name}:{part.spec}`{suffix}")
    return "".join(pieces)


def verdict_box(v) -> str:
    """The verdict (:func:`analysis.core.verdict.judge`) as the one box every page shows: its
    sentence, each number glued (``vd_<evaluation>_<name>``) so that it reaches the prose as the
    notebook computed it. Shown with ``display(Markdown(...))``; the built-book test reads the box
    back on every page and compares it with :attr:`Verdict.sentence`."""
    body = glued_sentence(v.parts(), f"vd_{v.evaluation}")
    title = text(f"Verdict: {evaluations.get(v.evaluation).title}")
    return f":::{{admonition}} {title}\n:class: verdict verdict-{v.evaluation}\n\n{body}\n:::\n"


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
    return Markdown(myst_table(caption, lines, wide=True))

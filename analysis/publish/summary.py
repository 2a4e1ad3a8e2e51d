"""Versioned headline results: snapshots per release and what changed since the previous one.

``python -m analysis release`` writes ``data/results/<version>/headline.csv`` (every metric of
every scenario) and ``parameters.csv`` (every parameter value and each scenario's SHA-256).
The book's "What changed" page compares the current results with the previous release's.
"""

from __future__ import annotations

import json

import pandas as pd

from .. import evaluations
from ..core import numbers, reconcile, uncertainty, verdict
from . import chapter, markup


def choice(ev, scenarios: dict | None = None, overrides: dict | None = None) -> tuple:
    """(scenario, overrides) an edition of the book shows for ``ev``: ``scenarios`` maps an
    evaluation to a scenario name and ``overrides`` to ``{parameter: value}``; an evaluation
    they do not name keeps the book's scenario, without overrides."""
    return (scenarios or {}).get(ev.name) or ev.scenario, dict((overrides or {}).get(ev.name) or {})


edition_label = verdict.scenario_label  # how the pages name an edition's run


def current(scenarios: dict | None = None, overrides: dict | None = None, origin: str = "override") -> tuple:
    """(headline, parameters) of every scenario of every evaluation, as computed now; with an
    edition's ``overrides`` (see :func:`choice`), its run too, as scenario "<name> with overrides"."""
    heads, pars = [], []
    for name, ev in evaluations.REGISTRY.items():
        runs = [(s, s, {}) for s in ev.scenarios()]
        chosen, changed = choice(ev, scenarios, overrides)
        if changed:
            runs.append((edition_label(chosen, changed), chosen, changed))
        for scenario, file, changes in runs:
            sc, res = ev.run(file, changes, origin)
            heads += [
                {"evaluation": name, "scenario": scenario, "metric": k, "value": v} for k, v in res.metrics.items()
            ]
            pars += [
                {
                    "evaluation": name,
                    "scenario": scenario,
                    "parameter": k,
                    "value": json.dumps(e["value"], sort_keys=True),
                    "parameters_sha256": sc.sha256,
                }
                for k, e in sc.entries.items()
            ]
    return pd.DataFrame(heads), pd.DataFrame(pars)


def summary(scenarios: dict | None = None, overrides: dict | None = None, origin: str = "override") -> pd.DataFrame:
    """Each evaluation's headline metrics in the scenarios it compares, computed now: one row per
    evaluation, scenario and metric, with the value, the published figure where the document
    gives one, the difference, their display and the verdict on the conclusion. An
    edition's scenario and overrides (see :func:`choice`) add their run, labelled as
    :func:`edition_label` names it (an overridden run has no published figure)."""

    rows = []
    for ev in evaluations.REGISTRY.values():
        runs = [(s, s, {}) for s in ev.summary_scenarios()]
        chosen, changed = choice(ev, scenarios, overrides)
        if changed or chosen not in ev.summary_scenarios():
            runs.append((edition_label(chosen, changed), chosen, changed))
        for scenario, file, changes in runs:
            m = ev.run(file, changes, origin)[1].metrics
            word = verdict.analysed(ev, file, changes)["verdict"].word
            for metric in ev.metrics:
                pub = None if changes else reconcile.published_metric(ev, metric, file)
                diff = None if pub is None else m[metric.name] - pub
                rows.append(
                    {
                        "evaluation": ev.name,
                        "scenario": scenario,
                        "metric": metric.name,
                        "measure": metric.label,
                        "unit": metric.unit,
                        "value": m[metric.name],
                        "published": pub,
                        "difference": diff,
                        "shown": metric.format(m[metric.name]),
                        "published_shown": "not published"
                        if pub is None
                        else reconcile.published_shown(ev, metric, file),
                        "difference_shown": "" if diff is None else metric.change(diff),
                        "note": _disagreement(ev, metric, pub, m[metric.name]),
                        "verdict": word,
                    }
                )
    return pd.DataFrame(rows)


def _disagreement(ev, metric, published, value) -> str:
    """A published and a reproduced figure of opposite sign, or on opposite sides of the decision
    threshold, are a disagreement to explain, whatever their distance."""
    if published is None:
        return ""
    if published * value < 0:
        return "opposite sign: see the chapter's reconciliation"
    if metric.name == ev.criterion.metric and ev.criterion.passes(published) != ev.criterion.passes(value):
        return "opposite sides of the decision threshold: see the chapter's reconciliation"
    return ""


def summary_table(frame: pd.DataFrame, evaluation: str) -> pd.DataFrame:
    """One evaluation's rows of :func:`summary` as a table: per measure and scenario, published,
    this book and the difference; a last row per scenario gives the verdict on the conclusion."""
    ev = evaluations.get(evaluation)
    part = frame[frame["evaluation"] == evaluation]
    rows = [
        {
            "measure": f"{r.measure} ({r.unit})",
            "scenario": r.scenario,
            "published": r.published_shown,
            "this book": r.shown,
            "difference": r.difference_shown,
            "note": r.note,
        }
        for r in part.itertuples()
    ]
    for scenario, word in part.groupby("scenario", sort=False)["verdict"].first().items():
        rows.append(
            {
                "measure": f"verdict on the conclusion ({ev.criterion.label})",
                "scenario": scenario,
                "published": "",
                "this book": word,
                "difference": "",
                "note": "",
            }
        )
    return pd.DataFrame(rows, columns=["measure", "scenario", "published", "this book", "difference", "note"])


def analyses(
    scenarios: dict | None = None,
    overrides: dict | None = None,
    draws: int = uncertainty.DEFAULT_DRAWS,
    seed: int = uncertainty.DEFAULT_SEED,
    with_sobol: bool = False,
) -> list:
    """:func:`analysis.core.uncertainty.analyse` of every evaluation at the book's scenario, or an
    edition's (see :func:`choice`), in the registry's order, each with its ``verdict``. A page
    computes them once and hands them to :func:`comparison` (which needs ``with_sobol``) and
    :func:`findings`."""
    return [
        verdict.analysed(ev, *choice(ev, scenarios, overrides), draws, seed, with_sobol)
        for ev in evaluations.REGISTRY.values()
    ]


def comparison(runs: list) -> tuple:
    """:func:`analysis.core.verdict.comparison` of ``runs`` (:func:`analyses`): (one row per
    evaluation, fragility table, Sobol indices, verdicts by evaluation)."""
    return verdict.comparison(runs)


def findings(runs: list, origin: str = "override") -> pd.DataFrame:
    """What a reviewer needs first, one row per evaluation of ``runs`` (:func:`analyses`): the
    decision metric as published, as reproduced, as corrected (where the evaluation has a corrected
    scenario, at the same overrides), the difference, and the verdict. An overridden run has no
    published figure."""
    rows = []
    for res in runs:
        ev, sc = res["evaluation"], res["scenario"]
        metric = ev.metric(ev.criterion.metric)
        reproduced = ev.evaluate(sc.values).metrics[metric.name]
        published = None if sc.overrides else reconcile.published_metric(ev, metric, sc.name)
        printed = None if sc.overrides else reconcile.published_decimals(ev, metric, sc.name)
        corrected = ev.run(ev.corrected, sc.overrides, origin)[1].metrics[metric.name] if ev.corrected else None
        rows.append(
            {
                "evaluation": ev.name,
                "title": ev.title,
                "metric": metric.name,
                "measure": metric.label,
                "unit": metric.unit,
                "criterion": ev.criterion.label,
                "scenario": edition_label(sc.name, sc.overrides),
                "published": published,
                "published_decimals": printed,
                "reproduced": reproduced,
                "corrected": corrected,
                "difference": None if published is None else reproduced - published,
                "verdict": res["verdict"],
            }
        )
    return pd.DataFrame(rows)


def sources(scenarios: dict | None = None, overrides: dict | None = None) -> pd.DataFrame:
    """:func:`analysis.core.uncertainty.sources` at the book's scenarios, or an edition's (see :func:`choice`)."""
    return uncertainty.sources(
        [(ev.name, ev.load(*choice(ev, scenarios, overrides))) for ev in evaluations.REGISTRY.values()]
    )


def evaluations_table() -> str:
    """The introduction's table of the evaluations (MyST): one row per registered evaluation, its
    chapter, the operation evaluated and the source document."""
    rows = [
        f"| {{doc}}`{ev.name}` | {markup.cell(ev.operation)} | {{cite:t}}`{ev.source}` |"
        for ev in evaluations.REGISTRY.values()
    ]
    head = ":::{table} Table 1. The evaluations, their operations and source documents\n"
    return head + "| Chapter | Operation | Source |\n|---|---|---|\n" + "\n".join(rows) + "\n:::"


def findings_text(frame: pd.DataFrame) -> str:
    """The landing page's findings as MyST Markdown, one paragraph per evaluation; every number
    is glued (``fi_<evaluation>_<figure>``) and shown through a ``{glue:text}`` role."""

    def glued(name: str, value, metric, decimals=None, change: bool = False) -> str:
        """Glue ``value`` in the metric's unit (a change of a rate in percentage points, signed) at
        ``decimals`` (the metric's by default) and return the role that shows it."""
        form = ("points" if change else "percent") if metric.fmt == "percent" else "number"
        d = metric.decimals if decimals is None else decimals
        shown, spec, suffix = numbers.glued(value, d, form, sign=change)
        chapter.glue_number(name, shown)
        return f"{{glue:text}}`{name}:{spec}`{suffix}"

    paragraphs = []
    for r in frame.itertuples():
        ev = evaluations.get(r.evaluation)
        metric = ev.metric(r.metric)
        key = f"fi_{r.evaluation}"
        parts = [f"**{markup.cell(ev.title)}** ({{doc}}`the chapter <{ev.name}>`), {r.measure} ({r.unit}):"]
        if r.published is None or pd.isna(r.published):
            parts.append(
                f"the document publishes none; this book computes {glued(key + '_reproduced', r.reproduced, metric)}."
            )
        else:
            parts.append(
                f"published {glued(key + '_published', r.published, metric, int(r.published_decimals))}, reproduced "
                f"{glued(key + '_reproduced', r.reproduced, metric)} (difference "
                f"{glued(key + '_difference', r.difference, metric, change=True)})."
            )
        if r.corrected is not None and not pd.isna(r.corrected):
            parts.append(f"Corrected for the document's slips: {glued(key + '_corrected', r.corrected, metric)}.")
        else:
            parts.append("No correction: the published case follows the document's text.")
        paragraphs.append(" ".join(parts) + "\n\n" + chapter.verdict_box(r.verdict))
    return "\n\n".join(paragraphs)

"""Versioned headline results: snapshots per release and what changed since the previous one.

``python -m analysis release`` writes ``data/results/<version>/headline.csv`` (every metric of
every scenario) and ``parameters.csv`` (every parameter value and each scenario's SHA-256).
The book's "What changed" page compares the current results with the previous release's.
"""

from __future__ import annotations

import json

import pandas as pd

from .. import evaluations
from ..core import reconcile, uncertainty
from . import chapter, markup


def choice(ev, scenarios: dict | None = None, overrides: dict | None = None) -> tuple:
    """(scenario, overrides) an edition of the book shows for ``ev``: ``scenarios`` maps an
    evaluation to a scenario name and ``overrides`` to ``{parameter: value}``; an evaluation
    they do not name keeps the book's scenario, without overrides."""
    return (scenarios or {}).get(ev.name) or ev.scenario, dict((overrides or {}).get(ev.name) or {})


def edition_label(scenario: str, overrides: dict) -> str:
    """How the pages name an edition's run: the scenario, "with overrides" when it has some."""
    return f"{scenario} with overrides" if overrides else scenario


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
    gives one, the difference, their display and whether the decision criterion holds. An
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
            holds = bool(ev.criterion.passes(m[ev.criterion.metric]))
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
                        "published_shown": "not published" if pub is None else metric.format(pub),
                        "difference_shown": "" if diff is None else _signed(metric, diff),
                        "note": _disagreement(ev, metric, pub, m[metric.name]),
                        "criterion_holds": holds,
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


def _signed(metric, value) -> str:
    text = metric.format(value)
    return text if text.startswith("-") or text.strip("0., %") == "" else "+" + text


def summary_table(frame: pd.DataFrame, evaluation: str) -> pd.DataFrame:
    """One evaluation's rows of :func:`summary` as a table: per measure and scenario, published,
    this book and the difference; a last row per scenario says whether the conclusion holds."""
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
    for scenario, holds in part.groupby("scenario", sort=False)["criterion_holds"].first().items():
        rows.append(
            {
                "measure": f"the conclusion holds: {ev.criterion.label}",
                "scenario": scenario,
                "published": "",
                "this book": "yes" if holds else "no",
                "difference": "",
                "note": "",
            }
        )
    return pd.DataFrame(rows, columns=["measure", "scenario", "published", "this book", "difference", "note"])


def findings(
    draws: int | None = None, scenarios: dict | None = None, overrides: dict | None = None, origin: str = "override"
) -> pd.DataFrame:
    """What a reviewer needs first, one row per evaluation: the decision metric as published, as
    reproduced, as corrected (where the evaluation has a corrected scenario), the difference, the
    probability that the conclusion fails under the declared distributions, and the uncertain
    assumption nearest its switching value. With an edition's ``scenarios`` and ``overrides``
    (see :func:`choice`), "reproduced" is its run (an overridden run has no published figure)."""

    summary_, frag, _ = comparison(scenarios, overrides, **({"draws": draws} if draws else {}))
    rows = []
    for ev in evaluations.REGISTRY.values():
        metric = ev.metric(ev.criterion.metric)
        chosen, changed = choice(ev, scenarios, overrides)
        reproduced = ev.run(chosen, changed, origin)[1].metrics[metric.name]
        published = None if changed else reconcile.published_metric(ev, metric, chosen)
        corrected = ev.run(ev.corrected)[1].metrics[metric.name] if ev.corrected else None
        robust = summary_[summary_["evaluation"] == ev.name].iloc[0]
        top = frag[(frag["evaluation"] == ev.name) & frag["uncertain"]].dropna(subset=["relative_move"])
        top = top.iloc[0] if len(top) else None
        rows.append(
            {
                "evaluation": ev.name,
                "title": ev.title,
                "metric": metric.name,
                "measure": metric.label,
                "unit": metric.unit,
                "criterion": ev.criterion.label,
                "scenario": edition_label(chosen, changed),
                "published": published,
                "reproduced": reproduced,
                "corrected": corrected,
                "difference": None if published is None else reproduced - published,
                "p_fails": float(robust["probability it fails"]),
                "fragile_parameter": None if top is None else top["parameter"],
                "fragile_value": None if top is None else float(top["value"]),
                "fragile_switching_value": None if top is None else float(top["switching_value"]),
            }
        )
    return pd.DataFrame(rows)


def comparison(
    scenarios: dict | None = None,
    overrides: dict | None = None,
    draws: int = uncertainty.DEFAULT_DRAWS,
    seed: int = uncertainty.DEFAULT_SEED,
) -> tuple:
    """:func:`analysis.core.uncertainty.comparison` of every evaluation at the book's scenarios, or an
    edition's (see :func:`choice`): (summary with one row per evaluation, fragility table, Sobol indices)."""
    runs = []
    for ev in evaluations.REGISTRY.values():
        scenario, changes = choice(ev, scenarios, overrides)
        res = uncertainty.analyse(ev, scenario, changes, draws=draws, seed=seed)
        runs.append((edition_label(res["scenario"].name, changes), res))
    return uncertainty.comparison(runs)


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

    def glued(name: str, value, metric) -> str:
        """Glue ``value`` in the metric's unit and return the role that shows it."""
        scale, suffix = (100.0, " %") if metric.fmt == "percent" else (1.0, "")
        chapter.glue_number(name, round(scale * value, metric.decimals) + 0.0)  # + 0.0: never "-0"
        return f"{{glue:text}}`{name}:,.{metric.decimals}f`{suffix}"

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
                f"published {glued(key + '_published', r.published, metric)}, reproduced "
                f"{glued(key + '_reproduced', r.reproduced, metric)} (difference "
                f"{glued(key + '_difference', r.difference, metric)})."
            )
        if r.corrected is not None and not pd.isna(r.corrected):
            parts.append(f"Corrected for the document's slips: {glued(key + '_corrected', r.corrected, metric)}.")
        else:
            parts.append("No correction: the published case follows the document's text.")
        chapter.glue_number(key + "_p_fails_pct", 100 * r.p_fails)
        parts.append(
            f"The conclusion ({markup.cell(ev.criterion.label)}) fails in "
            f"{{glue:text}}`{key}_p_fails_pct:.1f` % of the Monte Carlo draws"
        )
        if r.fragile_parameter:
            spec = ev.parameters[r.fragile_parameter]
            pct = markup.format_value(0.5, spec).endswith("%")
            scale, suffix, spec_fmt = (100.0, " %", ".2f") if pct else (1.0, "", ",.4g")
            chapter.glue_number(key + "_fragile_value", scale * r.fragile_value)
            chapter.glue_number(key + "_fragile_switch", scale * r.fragile_switching_value)
            parts[-1] += (
                f"; the uncertain assumption closest to overturning it is `{r.fragile_parameter}`, which switches "
                f"the conclusion at {{glue:text}}`{key}_fragile_switch:{spec_fmt}`{suffix} (now "
                f"{{glue:text}}`{key}_fragile_value:{spec_fmt}`{suffix})."
            )
        else:
            parts[-1] += "."
        paragraphs.append(" ".join(parts))
    return "\n\n".join(paragraphs)

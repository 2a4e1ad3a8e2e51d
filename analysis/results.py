"""Versioned headline results: snapshots per release and what changed since the previous one.

``python -m analysis release`` writes ``data/results/<version>/headline.csv`` (every metric of
every scenario) and ``parameters.csv`` (every parameter value and each scenario's SHA-256).
The book's "What changed" page compares the current results with the previous release's.
"""

from __future__ import annotations

import json

import pandas as pd

from . import __version__, evaluations, params

RESULTS_DIR = params.DATA_DIR / "results"


def _version_key(v: str) -> tuple:
    return tuple(int(x) for x in v.split(".")[:3])


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
    from . import reconcile

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
    from . import reconcile

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
    draws: int | None = None,
    seed: int | None = None,
) -> tuple:
    """:func:`analysis.uncertainty.comparison` at an edition's scenarios and overrides (see
    :func:`choice`): (summary with one row per evaluation, fragility table, Sobol indices)."""
    from . import uncertainty

    draws = draws or uncertainty.DEFAULT_DRAWS
    seed = uncertainty.DEFAULT_SEED if seed is None else seed
    if not scenarios and not overrides:
        return uncertainty.comparison(draws=draws, seed=seed)
    rows, frames, indices = [], [], []
    for name, ev in evaluations.REGISTRY.items():
        res = uncertainty.analyse(name, *choice(ev, scenarios, overrides), draws=draws, seed=seed)
        crit, mc = ev.criterion, res["monte_carlo"]
        frag = uncertainty.fragility(res).assign(evaluation=name)
        frames.append(frag)
        indices.append(res["sobol"].assign(evaluation=name))
        candidates = frag[frag["uncertain"]].dropna(subset=["relative_move"])
        top = candidates.iloc[0] if len(candidates) else None
        dists = [e["distribution"] for e in res["scenario"].entries.values() if "distribution" in e]
        rows.append(
            {
                "evaluation": name,
                "scenario": edition_label(*choice(ev, scenarios, overrides)),
                "conclusion fails when": crit.failure,
                "probability it fails": mc["p_fails"],
                "most fragile assumption": None if top is None else top["parameter"],
                "its relative move to switch": None if top is None else top["relative_move"],
                "switches inside a documented range": int(frag["within_range"].sum()),
                "largest tornado swing": res["tornado"]["parameter"].iloc[0],
                "distributions whose bounds are this book's choice": (
                    f"{sum(d['bounds'] == 'this book' for d in dists)} of {len(dists)}"
                ),
                "largest share of the variance": res["sobol"]["parameter"].iloc[0],
                "the conclusion": crit.label,
            }
        )
    return pd.DataFrame(rows), pd.concat(frames, ignore_index=True), pd.concat(indices, ignore_index=True)


def sources(scenarios: dict | None = None, overrides: dict | None = None) -> pd.DataFrame:
    """:func:`analysis.uncertainty.sources` at an edition's scenarios and overrides (see :func:`choice`)."""
    from . import uncertainty

    if not scenarios and not overrides:
        return uncertainty.sources()
    rows = []
    for name, ev in evaluations.REGISTRY.items():
        for key, e in ev.load(*choice(ev, scenarios, overrides)).entries.items():
            rng, dist = e.get("range"), e.get("distribution")
            if not (rng or dist):
                continue
            beyond = bool(rng and dist and (dist["low"] < rng["low"] or dist["high"] > rng["high"]))
            rows.append(
                {
                    "evaluation": name,
                    "parameter": key,
                    "value": e["value"],
                    "range": rng,
                    "distribution": dist,
                    "bounds": dist["bounds"] if dist else "",
                    "beyond_range": beyond,
                    "why": (dist.get("note", "") if beyond else ""),
                }
            )
    return pd.DataFrame(rows)


def releases() -> list:
    """Released versions with a snapshot, oldest first."""
    if not RESULTS_DIR.is_dir():
        return []
    return sorted((p.name for p in RESULTS_DIR.iterdir() if (p / "headline.csv").is_file()), key=_version_key)


def snapshot(version: str) -> tuple:
    d = RESULTS_DIR / version
    return pd.read_csv(d / "headline.csv"), pd.read_csv(d / "parameters.csv", dtype={"value": str})


def previous_release(version: str = __version__) -> str | None:
    """The latest release before ``version`` (None for the first)."""
    older = [v for v in releases() if _version_key(v) < _version_key(version)]
    return older[-1] if older else None


def write_release(version: str = __version__, overwrite: bool = False) -> str:
    d = RESULTS_DIR / version
    if (d / "headline.csv").exists() and not overwrite:
        raise FileExistsError(f"{d} exists: a release's results are not rewritten (bump the version)")
    d.mkdir(parents=True, exist_ok=True)
    head, par = current()
    head.to_csv(d / "headline.csv", index=False, float_format="%.17g")
    par.to_csv(d / "parameters.csv", index=False)
    return str(d)


def changes(old: tuple, new: tuple, rel_tol: float = 1e-9) -> tuple:
    """Headline metrics and parameters that differ between two (headline, parameters) pairs."""
    key = ["evaluation", "scenario", "metric"]
    h = old[0].merge(new[0], on=key, how="outer", suffixes=("_previous", "_current"))
    diff = (h["value_current"] - h["value_previous"]).abs()
    scale = h[["value_current", "value_previous"]].abs().max(axis=1).clip(lower=1.0)
    h = h[h["value_current"].isna() != h["value_previous"].isna() | (diff > rel_tol * scale)].assign(
        change=lambda d: d["value_current"] - d["value_previous"]
    )
    key = ["evaluation", "scenario", "parameter"]
    p = old[1].merge(new[1], on=key, how="outer", suffixes=("_previous", "_current"))
    p = p[p["value_previous"].fillna("") != p["value_current"].fillna("")]
    return h.reset_index(drop=True), p[key + ["value_previous", "value_current"]].reset_index(drop=True)


def findings_text(frame: pd.DataFrame) -> str:
    """The landing page's findings as MyST Markdown, one paragraph per evaluation; every number
    is glued (``fi_<evaluation>_<figure>``) and shown through a ``{glue:text}`` role."""
    from . import chapter

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
        parts = [f"**{chapter._cell(ev.title)}** ({{doc}}`the chapter <{ev.name}>`), {r.measure} ({r.unit}):"]
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
            f"The conclusion ({chapter._cell(ev.criterion.label)}) fails in "
            f"{{glue:text}}`{key}_p_fails_pct:.1f` % of the Monte Carlo draws"
        )
        if r.fragile_parameter:
            spec = ev.parameters[r.fragile_parameter]
            pct = chapter.format_value(0.5, spec).endswith("%")
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


def baseline(version: str = __version__) -> str | None:
    """The release the "What changed" page compares this build with: the latest release before
    ``version``; for the first release, its own snapshot (which this build must reproduce); None
    when nothing is released."""
    return previous_release(version) or (version if version in releases() else None)


def _same(a: float, b: float, rel_tol: float) -> bool:
    if pd.isna(a) or pd.isna(b):
        return pd.isna(a) and pd.isna(b)
    return abs(a - b) <= rel_tol * max(abs(a), abs(b), 1.0)


def headline_changes(old: pd.DataFrame, new: pd.DataFrame, rel_tol: float = 1e-9) -> pd.DataFrame:
    """Every headline metric of every registered evaluation (its contract's ``metrics``) in each
    of its scenarios, previous (``old``) and current (``new``, both headline frames as
    :func:`current` returns them), labelled in words and shown as the book shows them.

    A changed, added or removed metric is a row with both values and the change; the metrics of an
    evaluation whose values are equal (within ``rel_tol``, as :func:`changes`) collapse into one
    row, "N metrics unchanged". Columns: evaluation, scenario, measure, unit, previous, current,
    change."""
    key = ["evaluation", "scenario", "metric"]
    values = {
        "previous": old.drop_duplicates(key).set_index(key)["value"],
        "current": new.drop_duplicates(key).set_index(key)["value"],
    }
    rows = []
    for ev in evaluations.REGISTRY.values():
        seen = [s for frame in (new, old) for s in frame.loc[frame["evaluation"] == ev.name, "scenario"]]
        scenarios = list(dict.fromkeys([*ev.scenarios(), *seen]))
        unchanged, unchanged_scenarios = 0, []
        for scenario in scenarios:
            for m in ev.metrics:
                prev, cur = (values[k].get((ev.name, scenario, m.name)) for k in ("previous", "current"))
                if prev is None and cur is None:
                    continue
                if prev is not None and cur is not None and _same(prev, cur, rel_tol):
                    unchanged += 1
                    unchanged_scenarios.append(scenario)
                    continue
                if prev is None or cur is None:
                    change = "added" if prev is None else "removed"
                else:
                    diff = cur - prev
                    change = ("+" if diff > 0 else "") + m.format(diff)
                    if m.fmt == "percent":
                        change = change.replace(" %", " percentage points")
                    if m.format(cur) == m.format(prev):
                        change = f"{diff:+.3g} (below the precision shown)"
                rows.append(
                    {
                        "evaluation": ev.title.split(":")[0],
                        "scenario": scenario.replace("_", " "),
                        "measure": m.label,
                        "unit": m.unit,
                        "previous": "not in the release" if prev is None else m.format(prev),
                        "current": "not computed" if cur is None else m.format(cur),
                        "change": change,
                    }
                )
        if unchanged:
            names = list(dict.fromkeys(s.replace("_", " ") for s in unchanged_scenarios))
            rows.append(
                {
                    "evaluation": ev.title.split(":")[0],
                    "scenario": ", ".join(names) if len(names) <= 3 else f"all {len(names)} scenarios",
                    "measure": f"{unchanged} metric{'s' if unchanged != 1 else ''} unchanged",
                    "unit": "",
                    "previous": "same",
                    "current": "same",
                    "change": "none",
                }
            )
    columns = ["evaluation", "scenario", "measure", "unit", "previous", "current", "change"]
    return pd.DataFrame(rows, columns=columns)

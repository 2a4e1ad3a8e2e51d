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


def current() -> tuple:
    """(headline, parameters) of every scenario of every evaluation, as computed now."""
    heads, pars = [], []
    for name, ev in evaluations.REGISTRY.items():
        for scenario in ev.scenarios():
            sc, res = ev.run(scenario)
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


def summary() -> pd.DataFrame:
    """Each evaluation's headline metrics in the scenarios it compares, computed now: one row per
    evaluation, scenario and metric, with the value, its display and whether the decision
    criterion holds in that scenario."""
    rows = []
    for ev in evaluations.REGISTRY.values():
        for scenario in ev.summary_scenarios():
            m = ev.run(scenario)[1].metrics
            holds = bool(ev.criterion.passes(m[ev.criterion.metric]))
            rows += [
                {
                    "evaluation": ev.name,
                    "scenario": scenario,
                    "metric": metric.name,
                    "measure": metric.label,
                    "unit": metric.unit,
                    "value": m[metric.name],
                    "shown": metric.format(m[metric.name]),
                    "criterion_holds": holds,
                }
                for metric in ev.metrics
            ]
    return pd.DataFrame(rows)


def summary_table(frame: pd.DataFrame, evaluation: str) -> pd.DataFrame:
    """One evaluation's rows of :func:`summary` as a table: a row per measure, a column per
    scenario, and a last row saying whether the conclusion holds."""
    ev = evaluations.get(evaluation)
    part = frame[frame["evaluation"] == evaluation]
    table = (
        part.pivot_table(index=["measure", "unit"], columns="scenario", values="shown", aggfunc="first", sort=False)
        .reset_index()
        .rename_axis(columns=None)
    )
    holds = part.groupby("scenario", sort=False)["criterion_holds"].first()
    verdict = {"measure": f"the conclusion holds: {ev.criterion.label}", "unit": ""}
    verdict.update({s: "yes" if h else "no" for s, h in holds.items()})
    return pd.concat([table, pd.DataFrame([verdict])], ignore_index=True)[["measure", "unit", *ev.summary_scenarios()]]


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

"""The explorer's grid: the headline metrics on a grid over the parameters that matter most.

The engine evaluates the grid at build time (``evaluate_batch``: one call for every grid point);
the explorer's page (``analysis.publish.explorer``) embeds it as JSON and
``book/_static/explorer.js`` interpolates between grid points in the reader's browser, offline,
with no Python. Interpolation is multilinear, the same here (to measure
its error at random off-grid points) as in the browser (to show values).

Which parameters: the evaluation's ``explore`` (contract) or, by default, the three with the
largest total Sobol index (then, when fewer than three have a distribution, those with only a
range, by their tornado swing). Each axis spans the parameter's documented range and its
distribution's bounds together, centred on the scenario's value as the uncertainty analysis
centres it (``uncertainty.centred``: an override shifts the range with it), and always includes
the scenario's value; a whole-number parameter gets one grid point per whole number.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import reconcile, uncertainty, verdict

POINTS = 11  # grid points per axis of a continuous parameter (plus the scenario's value)
MAX_WHOLE_POINTS = 41  # a whole-number axis with more values than this is treated as continuous
CHECKS = 400  # random off-grid points at which the interpolation error is measured
SEED = 20261203
SLIDER_STEPS = 200  # a continuous slider moves in steps of 1/SLIDER_STEPS of its span
SIGNIFICANT = 10  # digits kept in the embedded grid (the rounding is inside the measured error)


def chosen(ev, sc, entries: dict, n: int = 3, indices=None, first: str | None = None) -> list:
    """The parameters the explorer varies: the contract's ``explore``, else ``first`` (the
    assumption the verdict names most fragile, so that its switching value can be reached) and
    those with the largest total Sobol index (``indices``: the chapter's, from
    :func:`uncertainty.analyse`; else computed the same way), then those with only a documented
    range by tornado swing, ``n`` in all."""
    if ev.explore:
        return list(ev.explore)
    keys = [first] if first else []
    if any("distribution" in e for e in entries.values()):
        sob = indices if indices is not None else uncertainty.sobol(ev, sc.values, entries)
        keys += [k for k in sob.sort_values("total", ascending=False, kind="stable")["parameter"] if k not in keys]
    if len(keys) < n and any("range" in e for e in entries.values()):
        keys += [k for k in uncertainty.tornado(ev, sc.values, entries)["parameter"] if k not in keys]
    return keys[:n]


def span(entry: dict) -> tuple:
    """(low, high, the blocks that cite them) of a parameter: its documented range and its
    distribution's bounds together (a switching value the verdict names may lie between them, as
    Peru's house-price growth does), the value included."""
    blocks = [entry[b] for b in ("range", "distribution") if b in entry]
    if not blocks:
        raise ValueError(f"parameter value {entry['value']!r} has no range or distribution to explore")
    value = float(entry["value"])
    low = min([float(b["low"]) for b in blocks] + [value])
    high = max([float(b["high"]) for b in blocks] + [value])
    return low, high, blocks


def axis(spec, entry: dict) -> np.ndarray:
    """The grid points of one parameter."""
    low, high, _ = span(entry)
    if spec.kind == "integer" and high - low + 1 <= MAX_WHOLE_POINTS:
        return np.arange(round(low), round(high) + 1, dtype=float)
    # the scenario's value is a grid point: the page opens on the engine's exact results
    return np.unique(np.append(np.linspace(low, high, POINTS), float(entry["value"])))


def outputs(ev, values: dict) -> list:
    """The metrics the explorer shows: the headline metrics, then the evaluation's series
    (``explore_series``: e.g. the effort rate at every income), in the engine's names."""
    names = [m.name for m in ev.metrics]
    if ev.explore_series:
        batch = ev.evaluate_batch(values, {})
        names += [k for k in batch if k.startswith(ev.explore_series) and k not in names]
    return names


def evaluate(ev, values: dict, keys: list, points: np.ndarray, names: list) -> dict:
    """The metrics at each row of ``points`` (one column per parameter of ``keys``)."""
    draws = {k: points[:, i] for i, k in enumerate(keys)}
    out = ev.evaluate_batch(values, draws)
    n = len(points)
    return {name: np.broadcast_to(np.asarray(out[name], dtype=float), (n,)).copy() for name in names}


def interpolate(axes: list, table: np.ndarray, point) -> float:
    """Multilinear interpolation of ``table`` (shape: one axis per parameter) at ``point``; NaN
    when a corner it needs is NaN (no IRR there). ``explorer.js`` does the same."""
    lows, weights = [], []
    for ax, x in zip(axes, point):
        if len(ax) == 1:
            lows.append(0)
            weights.append(0.0)
            continue
        i = int(np.clip(np.searchsorted(ax, x, side="right") - 1, 0, len(ax) - 2))
        lows.append(i)
        weights.append(float(np.clip((x - ax[i]) / (ax[i + 1] - ax[i]), 0.0, 1.0)))
    total = 0.0
    for corner in itertools.product((0, 1), repeat=len(axes)):
        w = 1.0
        for c, t in zip(corner, weights):
            w *= t if c else 1.0 - t
        if w == 0.0:
            continue
        index = tuple(min(i + c, len(ax) - 1) for i, c, ax in zip(lows, corner, axes))
        total += w * table[index]
    return float(total)


def _published_series(ev, name: str, scenario: str) -> float | None:
    """The document's figure for an output of the evaluation's series (``explore_series``)."""
    if not ev.explore_series_published or not name.startswith(ev.explore_series or "\0"):
        return None
    key = name[len(ev.explore_series) :]
    table, row, column, scale = ev.explore_series_published
    return reconcile.published_cell(
        ev, table.format(key=key), row.format(key=key), column.format(key=key), scale, scenario
    )


def slider_step(low: float, high: float, value: float) -> float:
    """The step of a continuous slider over [low, high]: about 1/SLIDER_STEPS of the span, chosen
    (up to four times finer) so that the grid's points and the scenario's value lie on the slider's
    lattice and the page opens on the value (a browser snaps a range input to min + k x step)."""
    span = high - low
    if span <= 0:
        return 1.0
    where = (value - low) / span
    for n in range(SLIDER_STEPS, 4 * SLIDER_STEPS + 1, POINTS - 1):  # multiples of the grid's intervals
        if abs(where * n - round(where * n)) < 1e-9:
            return span / n
    return span / SLIDER_STEPS


def _round(x: np.ndarray) -> list:
    return [None if not np.isfinite(v) else float(f"{v:.{SIGNIFICANT}g}") for v in np.asarray(x, dtype=float)]


def build(ev, sc, result=None, keys: list | None = None, indices=None, first: str | None = None) -> dict:
    """Everything the page embeds: axes, grid values, the scenario's and published values, the
    criterion, and the interpolation error measured at random off-grid points."""
    values = sc.values
    entries, _ = uncertainty.centred(sc, ev.parameters, "shift")
    keys = keys or chosen(ev, sc, entries, indices=indices, first=first)
    if not keys:
        return None
    axes = [axis(ev.parameters[k], entries[k]) for k in keys]
    names = outputs(ev, values)
    grid = np.array(list(itertools.product(*axes)), dtype=float)
    at_grid = evaluate(ev, values, keys, grid, names)
    shape = tuple(len(a) for a in axes)
    tables = {n: np.array(_round(at_grid[n]), dtype=float).reshape(shape) for n in names}  # None -> NaN

    # The error of what the page shows: interpolation of the rounded grid against the engine.
    rng = np.random.default_rng(SEED)
    checks = np.column_stack(
        [
            np.round(rng.uniform(a[0], a[-1], CHECKS))
            if ev.parameters[k].kind == "integer"
            else rng.uniform(a[0], a[-1], CHECKS)
            for k, a in zip(keys, axes)
        ]
    )
    exact = evaluate(ev, values, keys, checks, names)
    errors, flips = {}, {}
    for n in names:
        approx = np.array([interpolate(axes, tables[n], pt) for pt in checks])
        both = np.isfinite(approx) & np.isfinite(exact[n])
        errors[n] = float(np.max(np.abs(approx[both] - exact[n][both]))) if both.any() else 0.0
        if n == ev.criterion.metric:
            flips[n] = int(np.sum(ev.criterion.passes(approx[both]) != ev.criterion.passes(exact[n][both])))

    result = result if result is not None else ev.evaluate(values)
    metrics = []
    for n in names:
        m = next((m for m in ev.metrics if m.name == n), None)
        published = reconcile.published_metric(ev, m, sc.name) if m is not None else _published_series(ev, n, sc.name)
        metrics.append(
            {
                "name": n,
                "label": m.label if m else n.replace("_", " ").replace(".", " at "),
                "unit": m.unit if m else "",
                "fmt": m.fmt if m else ("percent" if n.startswith(("effort_rate", "irr")) else "number"),
                "decimals": m.decimals if m else 1,
                "values": _round(at_grid[n]),
                "scenario": _round([result.metrics.get(n, np.nan)])[0],
                "published": published,
                "error": errors[n],
            }
        )
    params = []
    for k, ax in zip(keys, axes):
        spec, entry = ev.parameters[k], entries[k]
        low, high, blocks = span(entry)
        params.append(
            {
                "key": k,
                "label": spec.doc or k.replace("_", " "),
                "unit": entry["unit"],
                "percent": spec.kind == "share" or spec.fmt == "percent",
                "whole": spec.kind == "integer",
                "low": low,
                "high": high,
                "step": 1.0 if spec.kind == "integer" else slider_step(low, high, float(entry["value"])),
                "value": float(entry["value"]),
                "axis": [float(x) for x in ax],
                "sources": [{"source": b["source"], "locator": b["locator"]} for b in blocks],
            }
        )
    crit = ev.criterion
    return {
        "evaluation": ev.name,
        "scenario": sc.name,
        "parameters": params,
        "metrics": metrics,
        "criterion": {
            "metric": crit.metric,
            "threshold": crit.threshold,
            "direction": crit.direction,
            "label": crit.label,
            # the words of analysis.core.verdict at one point (the grid has no draws: no verdict)
            "holds": verdict.AT_A_POINT[True],
            "fails": verdict.AT_A_POINT[False],
        },
        "checks": CHECKS,
        "flips": flips.get(crit.metric, 0),
        "points": int(grid.shape[0]),
    }


def held(ev, sc, keys: list) -> list:
    """The parameters the explorer keeps at the scenario's values: (key, value, unit)."""
    return [(k, e["value"], e["unit"]) for k, e in sc.entries.items() if k not in keys]

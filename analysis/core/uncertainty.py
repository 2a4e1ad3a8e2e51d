"""Uncertainty beyond the published tables: switching values, tornado and Monte Carlo.

Every evaluation provides ``evaluate_batch(p, draws)`` (N parameter sets at once, arrays along a
leading axis) and its decision ``criterion`` (the metric, the threshold at which the conclusion
changes and its direction: NPV >= 0, an effort rate <= its ceiling); see ``analysis.core.contract``.
Ranges and distributions are declared, with their sources, in the parameter files.

The analyses follow the scenario (:func:`centred`): a range or distribution is declared around
the value its parameter has in the file that declares it. When a scenario file or an override
moves that value, ``follow="shift"`` (the default) moves the range and the distribution with it
(same width, clipped to the parameter's admissible values): the new value is the new central
estimate and the uncertainty about it is the same. ``follow="hold"`` holds the parameter at its
value instead (no longer drawn, no tornado bar). ``analyse`` returns what it did to each parameter
as ``treatment``; :func:`treatment_lines` says it in words.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd

from . import numbers, params

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
DEFAULT_DRAWS = 100_000
DEFAULT_SEED = 20261124


def _batch(ev, p, draws, irr: bool = False):
    """``ev.evaluate_batch`` on float arrays; without the rate of return unless ``irr`` (its root
    search is most of a batch's cost, and only the Monte Carlo's percentiles read it)."""
    draws = {k: np.asarray(v, dtype=float) for k, v in draws.items()}
    if not irr and "with_irr" in inspect.signature(ev.evaluate_batch).parameters:
        return ev.evaluate_batch(p, draws, with_irr=False)
    return ev.evaluate_batch(p, draws)


def _search_interval(spec, value):
    low = spec.low if spec.low is not None else min(0.0, value)
    high = spec.high if spec.high is not None else max(10.0 * abs(value), 1.0)
    if spec.kind == "share":
        low, high = 0.0, 1.0
    return float(low), float(high)


def switching_value(ev, p, key, spec, grid: int = 401, zooms: int = 3):
    """The value of ``key`` at which the headline metric crosses its threshold, others at ``p``.

    The metric is evaluated on a grid over the parameter's admissible interval; the crossing
    nearest the current value is refined by zooming into its grid cell. None when the metric
    does not cross the threshold anywhere in the interval.
    """
    crit = ev.criterion
    low, high = _search_interval(spec, p[key])
    if spec.kind == "integer":
        # No value in between: the whole number nearest p[key] at which the conclusion changes.
        # only the whole numbers the evaluation's cross-parameter rules admit (a model need not
        # compute the others: GRET's solidarity savers cannot save fewer years than its borrowers)
        xs = np.array([x for x in range(int(low), int(high) + 1) if ev.check({**p, key: x}) is None], dtype=int)
        y = _batch(ev, p, {key: np.append(xs, p[key])})[crit.metric]
        changed = xs[crit.fails(y[:-1]) != crit.fails(y[-1])]
        return int(changed[np.argmin(np.abs(changed - p[key]))]) if changed.size else None
    value = None
    for _ in range(zooms):
        xs = np.linspace(low, high, grid)
        y = _batch(ev, p, {key: xs})[crit.metric] - crit.threshold
        cross = np.flatnonzero(
            ((np.sign(y[:-1]) != np.sign(y[1:])) | (y[:-1] == 0)) & np.isfinite(y[:-1]) & np.isfinite(y[1:])
        )
        if cross.size == 0:
            return value
        i = cross[np.argmin(np.abs(xs[cross] - p[key]))]
        low, high = xs[i], xs[i + 1]
        value = float(low - y[i] * (high - low) / (y[i + 1] - y[i])) if y[i + 1] != y[i] else float(low)
    return value


def tornado(ev, p, entries) -> pd.DataFrame:
    """The decision metric at the low and high end of each parameter's documented range."""
    metric = ev.criterion.metric
    base = float(_batch(ev, p, {})[metric][0])
    rows = []
    for key, e in entries.items():
        if "range" not in e:
            continue
        lo, hi = e["range"]["low"], e["range"]["high"]
        y = _batch(ev, p, {key: [lo, hi]})[metric]
        rows.append(
            {
                "parameter": key,
                "base_value": p[key],
                "low": lo,
                "high": hi,
                "metric_at_low": float(y[0]),
                "metric_at_high": float(y[1]),
                "base_metric": base,
                "swing": float(abs(y[1] - y[0])),
                "source": e["range"]["source"],
                "locator": e["range"]["locator"],
            }
        )
    return pd.DataFrame(rows).sort_values("swing", ascending=False, ignore_index=True)


def draw(entries, n: int, seed: int) -> dict:
    """``n`` draws of every parameter with a declared distribution (fixed seed, sorted keys)."""
    rng = np.random.default_rng(seed)
    out = {}
    for key in sorted(entries):
        d = entries[key].get("distribution")
        if d is None:
            continue
        if d["kind"] == "uniform":
            out[key] = rng.uniform(d["low"], d["high"], n)
        else:
            out[key] = rng.triangular(d["low"], d["mode"], d["high"], n)
    return out


def monte_carlo(ev, p, entries, n: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED, chunk: int = 100_000) -> dict:
    """Distribution of the decision metric (and the IRR) under the declared distributions.

    ``p_fails`` is the probability that the conclusion fails (the criterion is not met)."""
    crit, irr_name = ev.criterion, ev.rate_of_return
    draws = draw(entries, n, seed)
    parts = [
        _batch(ev, p, {k: v[i : i + chunk] for k, v in draws.items()}, irr=bool(irr_name)) for i in range(0, n, chunk)
    ]
    metric = np.concatenate(
        [np.broadcast_to(r[crit.metric], (min(chunk, n - i * chunk),)) for i, r in enumerate(parts)]
    )
    out = {
        "draws": n,
        "seed": seed,
        "parameters": sorted(draws),
        "metric": crit.metric,
        "threshold": crit.threshold,
        "fails_when": crit.failure,
        "mean": float(metric.mean()),
        "std": float(metric.std()),
        "p_fails": float(np.mean(crit.fails(metric))),
        "percentiles": {
            crit.metric: {str(q): float(v) for q, v in zip(PERCENTILES, np.percentile(metric, PERCENTILES))}
        },
        "values": metric,
    }
    if irr_name:
        irr = np.concatenate([r[irr_name] for r in parts])
        ok = np.isfinite(irr)
        out["share_without_irr"] = float(1 - ok.mean())
        out["percentiles"][irr_name] = (
            {str(q): float(v) for q, v in zip(PERCENTILES, np.percentile(irr[ok], PERCENTILES))} if ok.any() else {}
        )
        out["irr_values"] = irr
    return out


SOBOL_N = 2**14  # base sample of the Sobol' design (n (d + 2) model runs): every 95 % interval narrower than 0.05
SOBOL_RESAMPLES = 200  # bootstrap resamples of the 95 % intervals (percentile; SALib uses 100)


def distributions(entries) -> dict:
    """The declared distribution of every uncertain parameter as a frozen ``scipy.stats``
    distribution (sorted keys): uniform, or triangular with its mode."""
    from scipy import stats  # slow to import: only where it is used

    out = {}
    for key in sorted(entries):
        d = entries[key].get("distribution")
        if d is None:
            continue
        width = d["high"] - d["low"]
        if d["kind"] == "uniform":
            out[key] = stats.uniform(loc=d["low"], scale=width)
        else:
            out[key] = stats.triang(c=(d["mode"] - d["low"]) / width, loc=d["low"], scale=width)
    return out


def sobol(ev, p, entries, n: int = SOBOL_N, seed: int = DEFAULT_SEED, resamples: int = SOBOL_RESAMPLES) -> pd.DataFrame:
    """Variance-based (Sobol) indices of the decision metric for each uncertain parameter, with
    95 % bootstrap intervals: a scrambled Sobol' (quasi-random, ``scipy.stats.qmc.Sobol``) design
    of the declared distributions, evaluated on the vectorised engine (n (d + 2) model runs, ``n``
    a power of 2), and ``scipy.stats.sobol_indices`` for the estimates (Saltelli 2010 first order,
    Jansen 1999 total). The intervals are percentile bootstraps over the design's rows
    (``scipy.stats.bootstrap``), as SALib computes them: scipy's own ``bootstrap()`` method uses BCa,
    whose jackknife costs n estimates (about 5 s here) for intervals no narrower.

    The first-order index is the share of the metric's variance that the parameter explains
    alone; the total adds its interactions. Estimates are shown as computed (a first-order index
    can come out slightly negative or above its total within its interval). Columns: parameter,
    first_order, first_order_low, first_order_high, total, total_low, total_high, n."""
    from scipy import stats  # slow to import: only where it is used

    dists = distributions(entries)
    keys = list(dists)
    d, metric = len(keys), ev.criterion.metric
    columns = [
        "parameter",
        "first_order",
        "first_order_low",
        "first_order_high",
        "total",
        "total_low",
        "total_high",
        "n",
    ]
    if d == 0:
        return pd.DataFrame(columns=columns)
    if d == 1:  # one uncertain input explains all the variance, exactly (scipy 1.17 fails at d = 1)
        one = dict.fromkeys(
            ("first_order", "first_order_low", "first_order_high", "total", "total_low", "total_high"), 1.0
        )
        return pd.DataFrame([{"parameter": keys[0], **one, "n": n}])
    rng = np.random.default_rng(seed)
    unit = stats.qmc.Sobol(d=2 * d, scramble=True, seed=rng).random(n).T  # (2d, n)
    a, b = unit[:d], unit[d:]
    ab = np.repeat(a[None], d, axis=0)  # ab[i]: a with row i taken from b
    ab[np.arange(d), np.arange(d)] = b

    def f(x):  # (d, m) points in the unit cube -> (m,) values of the decision metric (a writable copy)
        values = {k: dists[k].ppf(row) for k, row in zip(keys, x)}
        return np.array(np.broadcast_to(_batch(ev, p, values)[metric], x.shape[1:]), dtype=float)

    f_a, f_b = f(a)[None], f(b)[None]
    f_ab = f(ab.transpose(1, 0, 2).reshape(d, d * n)).reshape(d, 1, n)  # the d cross matrices in one batch

    def indices(rows):
        got = stats.sobol_indices(func={"f_A": f_a[:, rows], "f_B": f_b[:, rows], "f_AB": f_ab[..., rows]}, n=n)
        return np.concatenate([np.ravel(got.first_order), np.ravel(got.total_order)])

    estimate = indices(np.arange(n))
    boot = stats.bootstrap(
        (np.arange(n),), indices, n_resamples=resamples, method="percentile", vectorized=False, rng=rng
    )
    low, high = boot.confidence_interval
    frame = pd.DataFrame(
        {
            "parameter": keys,
            "first_order": estimate[:d],
            "first_order_low": low[:d],
            "first_order_high": high[:d],
            "total": estimate[d:],
            "total_low": low[d:],
            "total_high": high[d:],
            "n": n,
        }
    )
    return frame.sort_values("total", ascending=False, ignore_index=True)


FOLLOW = ("shift", "hold")
AS_DECLARED = "as declared"


def declared_values(sc) -> dict:
    """For each parameter with a range or a distribution, the value it had in the scenario file
    that declared them (the value they were declared around): ``{key: {"range": v, ...}}``."""
    value, out = {}, {}
    for path in sc.files:
        for key, e in params._read(Path(path))["parameters"].items():
            if "value" in e:
                value[key] = e["value"]
            for block in ("range", "distribution"):
                if block in e:
                    out.setdefault(key, {})[block] = value.get(key)
    return out


def _bounds(spec) -> tuple:
    if spec.kind == "share":
        return 0.0, 1.0
    return (-np.inf if spec.low is None else spec.low), (np.inf if spec.high is None else spec.high)


def centred(sc, specs: dict, follow: str = "shift") -> tuple:
    """The scenario's entries with every range and distribution centred on the scenario's value.

    Returns ``(entries, treatment)``: copies of the entries whose ``range`` and ``distribution``
    are shifted by (value - the value they were declared around), same width, clipped to the
    Spec's bounds (``follow="shift"``), or removed so that the parameter stays at its value
    (``follow="hold"``, and a shift clipped to nothing); ``treatment`` says, for each parameter
    with a range or a distribution, "as declared", "shifted by ..." or "held at ...".
    """
    if follow not in FOLLOW:
        raise ValueError(f"follow must be one of {', '.join(FOLLOW)}, got {follow!r}")
    declared = declared_values(sc)
    entries, treatment = {}, {}
    for key, e in sc.entries.items():
        entries[key] = e
        if key not in declared:
            continue
        value = e["value"]
        moves = {b: value - float(v) for b, v in declared[key].items() if v is not None and value != v}
        if not moves:
            treatment[key] = AS_DECLARED
            continue
        anchors = {numbers.written(declared[key][b]) for b in moves}
        around = f"{' and '.join(moves)} declared around {' and '.join(sorted(anchors))}"
        e = dict(e)
        lo, hi = _bounds(specs[key])
        clipped = False
        if follow == "shift":
            for block, delta in moves.items():
                shifted = {f: e[block][f] + delta for f in ("low", "mode", "high") if f in e[block]}
                kept = {f: float(np.clip(v, lo, hi)) for f, v in shifted.items()}
                clipped |= kept != shifted
                if kept["low"] >= kept["high"]:
                    break
                if "mode" in kept:
                    kept["mode"] = min(max(kept["mode"], kept["low"]), kept["high"])
                e[block] = {**e[block], **kept}
            else:
                delta = next(iter(moves.values()))
                shift = ("+" if delta > 0 else "") + numbers.written(delta)
                treatment[key] = f"shifted by {shift} with its value {numbers.written(value)} ({around})" + (
                    ", clipped to its admissible values" if clipped else ""
                )
                entries[key] = e
                continue
        for block in moves:
            e.pop(block, None)
        why = "" if follow == "hold" else ": shifted and clipped to its admissible values, its range would be empty"
        treatment[key] = f"held at {numbers.written(value)} ({around}){why}"
        entries[key] = e
    return entries, treatment


def treatment_lines(result: dict) -> list:
    """What the analysis did to each range and distribution, as lines for the command line:
    the rule, then one line per parameter whose value the scenario or an override moved.
    ``result``: what :func:`analyse` returns, or its ``monte_carlo`` part (as in the JSON)."""
    moved = {k: t for k, t in result["treatment"].items() if t != AS_DECLARED}
    head = f"ranges and distributions follow the scenario (follow={result['follow']})"
    if not moved:
        return [f"{head}: every one as declared"]
    return [f"{head}:"] + [f"  {k:<28} {t}" for k, t in moved.items()]


def treatment_text(result: dict) -> str:
    """What the analysis did to the ranges and distributions, as one Markdown sentence."""
    moved = {k: t for k, t in result["treatment"].items() if t != AS_DECLARED}
    if not moved:
        return "Every range and distribution is as declared in the parameter files."
    rule = "moved with it" if result["follow"] == "shift" else "held at its value"
    parts = "; ".join(f"`{k}` {t}" for k, t in moved.items())
    return f"Where this page's scenario moves a parameter, its range and distribution are {rule}: {parts}."


def analyse(
    ev,
    scenario: str | None = None,
    overrides: dict | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    follow: str = "shift",
    with_sobol: bool = True,
) -> dict:
    """Switching values, tornado, Monte Carlo and Sobol indices of one scenario, centred on its
    values (see :func:`centred`; ``treatment`` says what was done to each parameter). ``ev``: an
    :class:`analysis.core.contract.Evaluation` (``analysis.evaluations.get(name)``). The verdict
    needs no Sobol indices: ``with_sobol=False`` leaves them out (``sobol`` is None)."""
    sc = ev.load(scenario, overrides)
    p = sc.values
    entries, treatment = centred(sc, ev.parameters, follow)
    ranged = [k for k, e in sc.entries.items() if "range" in e or "distribution" in e]
    mc = monte_carlo(ev, p, entries, draws, seed)
    mc["follow"], mc["treatment"] = follow, treatment  # also here, so that the sensitivity JSON carries them
    return {
        "evaluation": ev,
        "scenario": sc,
        "entries": entries,
        "follow": follow,
        "treatment": treatment,
        "switching_values": {k: switching_value(ev, p, k, ev.parameters[k]) for k in ranged},
        "tornado": tornado(ev, p, entries),
        "monte_carlo": mc,
        "sobol": sobol(ev, p, entries, seed=seed) if with_sobol else None,
    }


def uniform_shapes(entries: dict) -> dict:
    """``entries`` with every declared distribution made uniform over the same bounds: the shapes
    (triangular, its mode) are this book's choice, so a ranking that rests on them is checked
    against the shape that assumes least."""
    out = {}
    for k, e in entries.items():
        d = e.get("distribution")
        if d is not None and d["kind"] != "uniform":
            e = {**e, "distribution": {**{x: y for x, y in d.items() if x != "mode"}, "kind": "uniform"}}
        out[k] = e
    return out


def distribution_mean(d: dict) -> float:
    """The mean of a declared distribution (uniform or triangular)."""
    if d["kind"] == "uniform":
        return (float(d["low"]) + float(d["high"])) / 2
    return (float(d["low"]) + float(d["mode"]) + float(d["high"])) / 3


def mean_gap(result: dict) -> pd.DataFrame:
    """Why the Monte Carlo mean of the decision metric differs from its value at the scenario: for
    each drawn assumption, the mean of its declared distribution against the scenario's value and
    the metric with that assumption alone at that mean (the others at the scenario), largest move
    first. ``attrs``: the scenario's value, the Monte Carlo mean and the metric with every drawn
    assumption at its mean (the rest of the gap is the model's non-linearity)."""
    ev, p, entries = result["evaluation"], result["scenario"].values, result["entries"]
    metric = ev.criterion.metric
    drawn = [k for k in sorted(entries) if entries[k].get("distribution")]
    means = {k: distribution_mean(entries[k]["distribution"]) for k in drawn}
    n = len(drawn)
    # row i: assumption i at its mean; the last row: all of them
    rows = {k: np.full(n + 1, float(p[k])) for k in drawn}
    for i, k in enumerate(drawn):
        rows[k][i] = means[k]
        rows[k][n] = means[k]
    y = np.asarray(_batch(ev, p, rows)[metric], dtype=float) if n else np.zeros(1)
    at_scenario = float(ev.evaluate(p).metrics[metric])
    out = pd.DataFrame(
        {
            "parameter": drawn,
            "kind": [entries[k]["distribution"]["kind"] for k in drawn],
            "value": [float(p[k]) for k in drawn],
            "distribution_mean": [means[k] for k in drawn],
            "metric_alone_at_mean": y[:n],
            "shift": y[:n] - at_scenario,
        }
    )
    out = out.reindex(out["shift"].abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True)
    out.attrs.update(
        metric=metric,
        at_scenario=at_scenario,
        monte_carlo_mean=float(result["monte_carlo"]["mean"]),
        all_at_means=float(y[n]) if n else at_scenario,
    )
    return out


def one_at_a_time(ev, p, entries, n: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """For each parameter with a distribution, the probability that the conclusion fails when
    only that parameter is drawn (the others at their values): which uncertainty alone suffices."""
    rows = []
    for key, values in draw(entries, n, seed).items():
        y = _batch(ev, p, {key: values})[ev.criterion.metric]
        rows.append({"parameter": key, "p_fails_alone": float(np.mean(ev.criterion.fails(y)))})
    return pd.DataFrame(rows, columns=["parameter", "p_fails_alone"]).sort_values(
        "p_fails_alone", ascending=False, ignore_index=True
    )


def label(spec) -> str:
    """A parameter in words, from its Spec's ``doc``: the first clause, without the Spanish term
    in brackets ("share of the credit that buys new homes")."""
    text = spec.doc.split(";")[0].split(" (")[0].split(", which")[0].split(", paid")[0].strip()
    return text[3:] if text.startswith("x: ") else text


def fragility(result: dict) -> pd.DataFrame:
    """How far each assumption must move, from its value, for the conclusion to change, ranked
    by the one rule of :mod:`analysis.core.verdict`: the assumptions that flip it inside their
    documented range first, then by ``widths``, the distance |switching value - value| in widths
    of that range (by ``relative_move``, |switching value - value| / |value|, where there is no
    range); assumptions without a switching value last.

    ``kind``: "uncertain" (a declared distribution: drawn in the Monte Carlo), "design choice"
    (a documented range, no distribution) or "policy" (``Evaluation.policy``: the social discount
    rate, which is never "the most fragile assumption")."""
    ev = result["evaluation"]
    entries, values = result.get("entries", result["scenario"].entries), result["scenario"].values
    rows = []
    for key, sv in result["switching_values"].items():
        base, rng = values[key], entries[key].get("range") or result["scenario"].entries[key].get("range")
        move = None if sv is None else abs(sv - base)
        width = None if rng is None else rng["high"] - rng["low"]
        rows.append(
            {
                "parameter": key,
                "label": label(ev.parameters[key]),
                "kind": "policy"
                if key in ev.policy
                else ("uncertain" if "distribution" in entries[key] else "design choice"),
                "value": base,
                "switching_value": sv,
                "range_low": None if rng is None else rng["low"],
                "range_high": None if rng is None else rng["high"],
                "relative_move": None if move is None else move / max(abs(base), 1e-12),
                "widths": None if move is None or not width else move / width,
                "within_range": bool(sv is not None and rng is not None and rng["low"] <= sv <= rng["high"]),
                "uncertain": "distribution" in entries[key],  # design choices and the discount rate are not
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["_rank"] = frame["widths"].fillna(frame["relative_move"]).astype(float)
    frame = frame.sort_values(["within_range", "_rank"], ascending=[False, True], na_position="last", kind="stable")
    return frame.drop(columns="_rank").reset_index(drop=True)


def candidates(frag: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`fragility` that can be "the assumption the conclusion is most fragile
    to", in its order: not a policy choice, and with a switching value."""
    if frag.empty:
        return frag
    return frag[(frag["kind"] != "policy") & frag["switching_value"].notna()]


def book_bounds(entries) -> str:
    """'k of n': how many of the declared distributions have bounds chosen by this book."""
    dists = [e["distribution"] for e in entries.values() if "distribution" in e]
    return f"{sum(d['bounds'] == 'this book' for d in dists)} of {len(dists)}"


def sources(scenarios) -> pd.DataFrame:
    """Every documented range and declared distribution of the given scenarios, with
    their sources, where the distribution's bounds come from, and whether the distribution reaches
    beyond the documented range (then its note says why). ``scenarios``: (evaluation name,
    :class:`analysis.core.params.Scenario`) pairs."""
    rows = []
    for name, sc in scenarios:
        for key, e in sc.entries.items():
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

"""What would change the conclusion: the value of information and the acceptability curve.

The decision each evaluation supports is binary: fund (adopt) the operation, or not. Its
incremental **net benefit** over not doing it is the decision metric's distance from the
criterion's threshold (:func:`net_benefit`): the NPV (VNA) itself for a cost-benefit
evaluation, in USD; for GRET, how far the effort rate (tasa de esfuerzo) stays below its
ceiling, as a share of income. Not adopting is worth 0.

- :func:`evpi`, the expected value of perfect information: what resolving every uncertainty
  before deciding would be worth, E[max(nb, 0)] - max(E[nb], 0).
- EVPPI, the expected value of partial perfect information: the same for one assumption alone,
  computed two independent ways that must agree: :func:`evppi_regression`, the nonparametric
  regression estimator of Strong, Oakley and Brennan (2014, Medical Decision Making
  34(3):311-326) on one probabilistic sample, and :func:`evppi_nested`, nested Monte Carlo on
  the vectorised engine. :func:`value_of_information` tabulates both for every uncertain
  parameter; :func:`most_valuable` names the one worth most to learn.
- :func:`acceptability`: the probability that the conclusion holds as a function of the
  discount rate, a policy choice and not an uncertain quantity (it has no distribution).

The draws are those of :func:`analysis.core.uncertainty.draw` (the declared distributions,
centred on the scenario by :func:`analysis.core.uncertainty.centred`).
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import numbers, uncertainty
from .verdict import Number

REGRESSION_KNOTS = 6  # knots of the regression spline: 5 degrees of freedom beyond the mean
REGRESSION_SE_DRAWS = 200  # draws of the spline's coefficients for the standard error
SE_ROWS = 10_000  # rows of the sample those draws are evaluated on
NESTED_OUTER = 100  # stratified outer draws of the parameter learnt (one per equal-probability slice)
NESTED_INNER = 1000  # inner draws of the others for each outer value
ACCEPTABILITY_DRAWS = 10_000  # draws at every rate of the acceptability curve
CHUNK = 50_000  # rows per evaluate_batch call (at most ~200,000; smaller chunks stay in the CPU cache)
RATES = np.round(np.arange(0.0, 0.2 + 1e-9, 0.005), 6)  # the acceptability grid: 0 % to 20 % a year


class Estimate(NamedTuple):
    """An EVPPI estimate (clipped at 0), its standard error, and for the nested method the
    estimated upward bias from its inner-loop noise (included in ``value``, not subtracted)."""

    value: float
    se: float
    bias: float = 0.0


def net_benefit(criterion, values):
    """Incremental net benefit of the decision the conclusion supports (fund / adopt) over not
    doing it, in the decision metric's units: ``values - threshold`` for a ``>=`` criterion (NPV,
    VNA, in USD), ``threshold - values`` for a ``<=`` one (GRET: how far the effort rate stays
    below its ceiling, a share of income). Not adopting is worth 0. Array-safe."""
    v = np.asarray(values, dtype=float)
    return v - criterion.threshold if criterion.direction == ">=" else criterion.threshold - v


def evpi(nb) -> float:
    """Expected value of perfect information from draws of the net benefit ``nb``:
    E[max(nb, 0)] - max(E[nb], 0), what choosing after every uncertainty is resolved would add
    to choosing now on the expected net benefit."""
    nb = np.asarray(nb, dtype=float)
    return float(np.mean(np.maximum(nb, 0.0)) - max(np.mean(nb), 0.0))


def _gain_se(nb) -> float:
    """Standard error of the Monte Carlo mean in :func:`evpi` (and in the outer averages of the
    EVPPI): the mean gain per draw over the decision taken now."""
    nb = np.asarray(nb, dtype=float)
    gain = np.maximum(nb, 0.0) - (nb if nb.mean() > 0 else 0.0)
    return float(gain.std(ddof=1) / np.sqrt(nb.size)) if nb.size > 1 else 0.0


def spline_basis(x, knots: int = REGRESSION_KNOTS):
    """Design matrix of a natural (restricted) cubic regression spline in ``x``: intercept,
    linear term and ``knots - 2`` truncated-power terms (Harrell's parameterisation), knots at
    quantiles 5 % ... 95 % of ``x``; linear beyond the outer knots, so stable in the tails. Fewer
    distinct knots than 3 give a straight line (a constant when ``x`` does not vary)."""
    x = np.asarray(x, dtype=float)
    t = np.unique(np.quantile(x, np.linspace(0.05, 0.95, knots)))
    if t.size < 3:
        span = np.ptp(x)
        return np.column_stack([np.ones_like(x), (x - x.mean()) / span] if span > 0 else [np.ones_like(x)])
    z, t = (x - t[0]) / (t[-1] - t[0]), (t - t[0]) / (t[-1] - t[0])  # on [0, 1] between the outer knots
    cube = lambda k: np.maximum(z - k, 0.0) ** 3
    last, before = t[-1], t[-2]
    terms = [
        cube(k) - cube(before) * (last - k) / (last - before) + cube(last) * (before - k) / (last - before)
        for k in t[:-2]
    ]
    return np.column_stack([np.ones_like(z), z, *terms])


def _evppi_of_fit(g) -> float:
    return max(float(np.mean(np.maximum(g, 0.0)) - max(np.mean(g), 0.0)), 0.0)


def evppi_regression(
    theta, nb, knots: int = REGRESSION_KNOTS, se_draws: int = REGRESSION_SE_DRAWS, seed: int = uncertainty.DEFAULT_SEED
) -> Estimate:
    """EVPPI of one parameter by the nonparametric regression of Strong, Oakley and Brennan (2014).

    ``theta`` and ``nb``: the parameter's draws and the net benefit at the same draws (one
    probabilistic sample, every parameter drawn). The net benefit is regressed on ``theta`` by
    least squares on a natural cubic spline (:func:`spline_basis`), which estimates
    g(theta) = E[nb | theta]; EVPPI = mean(max(g, 0)) - max(mean(g), 0), clipped at 0.

    The standard error combines, as independent parts, the spread of the EVPPI over ``se_draws``
    draws of the spline's coefficients from their sampling distribution (Strong et al.'s approach,
    there for a GAM's fitted values; evaluated on a fixed subsample of about :data:`SE_ROWS` of
    the draws) and the Monte Carlo error of the mean over the sample. The fitted g carries noise
    too, which biases the estimate slightly upwards: negligible with a few knots and 10^4 or more
    draws.
    """
    from scipy import linalg  # slow to import: only where it is used

    nb = np.asarray(nb, dtype=float)
    x = spline_basis(theta, knots)
    q, r = np.linalg.qr(x)
    beta = linalg.solve_triangular(r, q.T @ nb)
    g = x @ beta
    value = _evppi_of_fit(g)
    dof = nb.size - x.shape[1]
    if dof <= 0 or se_draws < 2:
        return Estimate(value, float("nan"))
    sigma = np.sqrt(np.sum((nb - g) ** 2) / dof)
    # beta ~ N(beta_hat, sigma^2 (X'X)^-1) = beta_hat + sigma R^-1 z, so X beta = g + sigma Q z. Only
    # the spread over the draws is wanted: a fixed subsample of rows suffices, and einsum keeps
    # these products out of multithreaded BLAS (slow when another process holds the cores).
    rows = slice(None, None, max(1, nb.size // SE_ROWS))
    z = np.random.default_rng(seed).standard_normal((x.shape[1], se_draws))
    fits = g[rows, None] + sigma * np.einsum("ij,jk->ik", q[rows], z)
    mean = fits.mean(axis=0)
    draws = np.maximum(np.maximum(fits, 0.0).mean(axis=0) - np.maximum(mean, 0.0), 0.0)
    return Estimate(value, float(np.hypot(np.std(draws, ddof=1), _gain_se(g))))


def quantile(distribution: dict, u):
    """The declared ``distribution`` (an entry's: uniform, or triangular with its mode) at
    probabilities ``u``: its inverse distribution function."""
    from scipy import stats  # slow to import: only where it is used

    d, u = distribution, np.asarray(u, dtype=float)
    low, high = d["low"], d["high"]
    if d["kind"] == "uniform":
        return low + u * (high - low)
    return stats.triang.ppf(u, c=(d["mode"] - low) / (high - low), loc=low, scale=high - low)


def _metric(ev, p, draws: dict, n: int, chunk: int = CHUNK):
    """The decision metric at ``n`` draws, in calls of at most ``chunk`` rows, as a writable float
    array. The rate of return is not computed when the engine allows (``with_irr``): the
    decision metric does not need it and its root search is most of the time."""
    skip_irr = "with_irr" in inspect.signature(ev.evaluate_batch).parameters
    out = np.empty(n)
    for i in range(0, n, chunk):
        part = {k: np.asarray(v[i : i + chunk], dtype=float) for k, v in draws.items()}
        y = ev.evaluate_batch(p, part, with_irr=False) if skip_irr else ev.evaluate_batch(p, part)
        out[i : i + chunk] = np.broadcast_to(y[ev.criterion.metric], (min(chunk, n - i),))
    return out


def evppi_nested(
    ev,
    p: dict,
    entries: dict,
    key: str,
    n_outer: int = NESTED_OUTER,
    n_inner: int = NESTED_INNER,
    seed: int = uncertainty.DEFAULT_SEED + 1,
) -> Estimate:
    """EVPPI of parameter ``key`` by nested Monte Carlo on the vectorised engine.

    Outer loop: ``n_outer`` draws of ``key`` from its declared distribution, stratified (one
    uniform draw in each of ``n_outer`` equal-probability strata, through the inverse
    distribution function) so that the outer average converges much faster than with simple
    random draws. Inner loop: for each outer value, ``n_inner`` fresh draws of every other
    uncertain parameter; their mean net benefit estimates E[nb | key]. EVPPI =
    mean(max(cond_mean, 0)) - max(mean(cond_mean), 0), clipped at 0. The n_outer * n_inner
    evaluations run in calls of at most :data:`CHUNK` rows.

    The inner-loop noise biases the estimate **upwards** (max(., 0) is convex). Where the
    conditional mean spreads over much more than the inner noise s = sd(nb | key) / sqrt(n_inner),
    the bias is about density-of-cond_mean-at-0 * s^2 / 2, falling as 1 / n_inner; for a parameter
    that hardly matters when the expected net benefit is itself near 0 it reaches
    s / sqrt(2 pi) = 0.4 s. ``bias`` estimates it from each outer value's inner spread (plug-in:
    the expected excess of max(., 0) under normal noise, at the estimated conditional means): close
    in the first case, an underestimate in the second (0.165 s of 0.4 s at worst). It is reported,
    not subtracted. ``se`` is the collapsed-strata standard error (adjacent strata paired), which
    covers both loops' noise. Hence the defaults: few outer draws (stratified, they need few) and
    many inner ones.
    """
    from scipy import stats  # slow to import: only where it is used

    rng = np.random.default_rng([seed, 1])  # a stream apart from the inner draws' (same seed)
    outer = quantile(entries[key]["distribution"], (np.arange(n_outer) + rng.random(n_outer)) / n_outer)
    n = n_outer * n_inner
    draws = uncertainty.draw(entries, n, seed)
    draws[key] = np.repeat(outer, n_inner)
    nb = net_benefit(ev.criterion, _metric(ev, p, draws, n)).reshape(n_outer, n_inner)
    c = nb.mean(axis=1)
    value = max(float(np.mean(np.maximum(c, 0.0)) - max(c.mean(), 0.0)), 0.0)
    gain = np.maximum(c, 0.0) - (c if c.mean() > 0 else 0.0)
    pairs = gain[: n_outer // 2 * 2].reshape(-1, 2)
    se = float(np.sqrt(np.sum((pairs[:, 0] - pairs[:, 1]) ** 2)) / pairs.size) if pairs.size else float("nan")
    s = nb.std(axis=1, ddof=1) / np.sqrt(n_inner) if n_inner > 1 else np.zeros(n_outer)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(s > 0, c / s, np.sign(c) * np.inf)
        excess = np.where(s > 0, s * stats.norm.pdf(r) + c * stats.norm.cdf(r) - np.maximum(c, 0.0), 0.0)
    return Estimate(value, se, float(np.mean(excess)))


def uncertain(entries: dict) -> list:
    """The uncertain parameters: those with a declared distribution (sorted), the ones drawn."""
    return sorted(k for k, e in entries.items() if e.get("distribution") is not None)


def value_of_information(
    ev,
    result: dict,
    draws: int | None = None,
    seed: int | None = None,
    n_outer: int = NESTED_OUTER,
    n_inner: int = NESTED_INNER,
) -> pd.DataFrame:
    """EVPI and, for every uncertain parameter, EVPPI by both methods, at the scenario of
    ``result`` (what :func:`analysis.core.uncertainty.analyse` returns).

    The regression method and the EVPI use one sample of ``draws`` draws with ``seed`` (default:
    those of the result's Monte Carlo, so the same sample); the nested method uses ``n_outer`` *
    ``n_inner`` evaluations per parameter with ``seed + 1``. One row per parameter with a
    distribution (the discount rate, a policy choice, has none), sorted by ``evppi_regression``
    descending: parameter, label, evppi_regression, se_regression, evppi_nested, se_nested,
    bias_nested, share_of_evpi. Values in the decision metric's units (``attrs["unit"]``: USD
    for an NPV, a share of income for GRET). ``attrs``: evpi, evpi_se, draws, seed, n_outer,
    n_inner, metric, unit, expected_net_benefit.
    """
    p, entries, mc = result["scenario"].values, result["entries"], result["monte_carlo"]
    draws = mc["draws"] if draws is None else draws
    seed = mc["seed"] if seed is None else seed
    sample = uncertainty.draw(entries, draws, seed)
    nb = net_benefit(ev.criterion, _metric(ev, p, sample, draws))
    if not np.all(np.isfinite(nb)):
        raise ValueError(f"{ev.name}: the decision metric {ev.criterion.metric} is not finite at some draws")
    total = evpi(nb)
    rows = []
    for key in uncertain(entries):
        reg = evppi_regression(sample[key], nb, seed=seed)
        nest = evppi_nested(ev, p, entries, key, n_outer, n_inner, seed + 1)
        rows.append(
            {
                "parameter": key,
                "label": uncertainty.label(ev.parameters[key]),
                "evppi_regression": reg.value,
                "se_regression": reg.se,
                "evppi_nested": nest.value,
                "se_nested": nest.se,
                "bias_nested": nest.bias,
                "share_of_evpi": reg.value / total if total > 0 else 0.0,
            }
        )
    columns = ["parameter", "label", "evppi_regression", "se_regression", "evppi_nested", "se_nested"]
    frame = pd.DataFrame(rows, columns=columns + ["bias_nested", "share_of_evpi"])
    frame = frame.sort_values("evppi_regression", ascending=False, kind="stable", ignore_index=True)
    frame.attrs = {
        "evpi": total,
        "evpi_se": _gain_se(nb),
        "draws": draws,
        "seed": seed,
        "n_outer": n_outer,
        "n_inner": n_inner,
        "metric": ev.criterion.metric,
        "unit": ev.metric(ev.criterion.metric).unit,
        "expected_net_benefit": float(nb.mean()),
    }
    return frame


def most_valuable(frame: pd.DataFrame) -> str | None:
    """The parameter worth most to learn: the largest ``evppi_regression`` of
    :func:`value_of_information`'s table (ties: the first row); None without parameters."""
    if frame.empty:
        return None
    return str(frame.loc[frame["evppi_regression"].idxmax(), "parameter"])


def acceptability(
    ev,
    result: dict,
    key: str = "discount_rate",
    rates=None,
    draws: int = ACCEPTABILITY_DRAWS,
    seed: int | None = None,
) -> pd.DataFrame:
    """The acceptability curve: the probability that the conclusion holds (``criterion.passes``)
    as a function of ``key``, the social discount rate by default, at the scenario of ``result``
    (what :func:`analysis.core.uncertainty.analyse` returns).

    ``rates``: the values of ``key`` (default :data:`RATES`, 0 % to 20 % a year in steps of half
    a point, plus the scenario's value). Common random numbers: the same ``draws`` draws of the
    uncertain parameters (``seed``, default the result's Monte Carlo seed) at every rate, so the
    curve moves only with the rate; with the Monte Carlo's draws and seed it passes through its
    probability of holding at the scenario's rate. A ValueError when the evaluation has no
    parameter ``key`` (GRET has no discount rate). Columns: rate, p_holds, scenario (the
    scenario's rate); ``attrs``: key, draws, seed.
    """
    if key not in ev.parameters:
        raise ValueError(
            f"{ev.name} has no parameter {key!r}: the acceptability curve needs a cost-benefit evaluation's "
            f"discount rate (its parameters: {', '.join(sorted(ev.parameters))})"
        )
    p, entries = result["scenario"].values, result["entries"]
    seed = result["monte_carlo"]["seed"] if seed is None else seed
    here = float(p[key])
    grid = np.union1d(RATES, [here]) if rates is None else np.unique(np.asarray(rates, dtype=float))
    sample = {k: np.tile(v, grid.size) for k, v in uncertainty.draw(entries, draws, seed).items()}
    sample[key] = np.repeat(grid, draws)  # replaces its draws if it had a distribution
    y = _metric(ev, p, sample, grid.size * draws).reshape(grid.size, draws)
    frame = pd.DataFrame({"rate": grid, "p_holds": ev.criterion.passes(y).mean(axis=1), "scenario": grid == here})
    frame.attrs = {"key": key, "draws": draws, "seed": seed}
    return frame


def worth_most(ev, frame: pd.DataFrame) -> list:
    """What would change the conclusion, as the one sentence the chapter shows: the EVPI and the
    single assumption worth most to learn, with both methods' estimates. A list of text pieces and
    :class:`analysis.core.verdict.Number` s (so that the book glues every number)."""
    money = frame.attrs["unit"] == "USD"

    def amount(name, value):
        if money:
            return ["USD ", Number(name, round(float(value)), ",.0f")]
        return [Number(name, round(100 * float(value), 2), ",.2f", " percentage points of income")]

    total = frame.attrs["evpi"]
    if frame.empty or total <= 0:
        return ["No uncertainty is worth resolving before deciding: the decision is the same at every draw."]
    top = frame.iloc[0]
    idle = int((frame["evppi_regression"] <= 0).sum())
    out = ["Resolving every uncertain assumption before deciding would be worth ", *amount("evpi", total)]
    out += [" to the decision to fund (the expected value of perfect information, EVPI). Learning the "]
    out += [f"{top['label']} alone would be worth ", *amount("evppi", top["evppi_regression"]), " ("]
    out += [Number("evppi_share", *numbers.glued(top["share_of_evpi"], 1, "percent")), " of it), more than any other"]
    out += [" single assumption (nested Monte Carlo: ", *amount("evppi_nested", top["evppi_nested"]), ")."]
    if idle:
        out += [" ", Number("idle", idle, ".0f"), " of the ", Number("uncertain", len(frame), ".0f")]
        out += [" uncertain assumptions are worth nothing alone: none of them can change the decision by itself."]
    return out

"""Benchmarks: throughput measured in one run (ratios, not timed tests; the machines are shared)."""

from __future__ import annotations

import time

import numpy as np

from . import evaluations
from .core import finance, grid, information, uncertainty
from .evaluations.elsalvador import model as elsalvador
from .publish import explorer, workbook


def _seconds(fn, repeat: int = 3) -> float:
    """Best of ``repeat`` wall-clock times: the least disturbed by other load."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def workbooks(folder) -> dict:
    """Seconds to write each evaluation's live-formula workbook and to recompute it with the
    independent `formulas` engine (load + one full calculation)."""
    from pathlib import Path

    try:
        import formulas
    except ImportError:  # a test dependency: without it, writing times only
        formulas = None
    out = {}
    for name, ev in evaluations.REGISTRY.items():
        if ev.workbook is None:
            continue
        path = Path(folder) / f"{name}.xlsx"
        out[f"{name}.workbook_write_seconds"] = _seconds(
            lambda name=name, path=path: workbook.write(name, path=path, commit="bench"), repeat=1
        )
        if formulas is not None:
            out[f"{name}.workbook_recompute_seconds"] = _seconds(
                lambda path=path: formulas.ExcelModel().loads(str(path)).finish().calculate(), repeat=1
            )
    return out


def explorer_grid(ev, sc) -> dict:
    """The chapter's explorer: time to compute its grid (with the error measurement and the
    choice of parameters) and the size it embeds in the page (goal: under 1 s and 500 KB)."""
    import time

    start = time.perf_counter()
    payload = grid.build(ev, sc)
    seconds = time.perf_counter() - start
    if payload is None:
        return {}
    return {
        f"{ev.name}.explorer_grid_seconds": seconds,
        f"{ev.name}.explorer_grid_points": payload["points"],
        f"{ev.name}.explorer_embedded_kb": len(explorer.embedded(payload).encode()) / 1000,
    }


def uncertainty_analysis(ev) -> dict:
    """The whole uncertainty analysis of one evaluation at the book's scenario, as a chapter runs
    it: switching values, tornado, Monte Carlo, Sobol indices with bootstrap intervals, the value
    of information by both methods and, for a cost-benefit evaluation, the acceptability curve.
    Target: within 10 s on 2 cores."""
    start = time.perf_counter()
    res = uncertainty.analyse(ev)
    voi = information.value_of_information(ev, res)
    if "discount_rate" in ev.policy:
        information.acceptability(ev, res)
    return {
        f"{ev.name}.uncertainty_analysis_seconds": time.perf_counter() - start,
        f"{ev.name}.evpi": voi.attrs["evpi"],
    }


def run(n: int = 100_000, npf_sample: int = 300, with_workbooks: bool = True) -> dict:
    """Scenario evaluations per second (headline metric, no IRR) and the time of a Monte Carlo
    run for each evaluation with a batch path; IRRs per second (vectorised vs numpy-financial,
    pyxirr if installed) on El Salvador's cash flows."""
    import numpy_financial as npf

    metrics = {}
    for name, ev in evaluations.REGISTRY.items():
        sc = ev.load()
        draws = uncertainty.draw(sc.entries, n, uncertainty.DEFAULT_SEED)
        t = _seconds(lambda ev=ev, sc=sc, draws=draws: ev.evaluate_batch(sc.values, draws, with_irr=False))
        metrics[f"{name}.scenarios_per_second"] = n / t
        t = _seconds(lambda ev=ev, sc=sc: uncertainty.monte_carlo(ev, sc.values, sc.entries, n), repeat=1)
        metrics[f"{name}.monte_carlo_seconds_{n}_draws"] = t
        metrics.update(explorer_grid(ev, sc))
        metrics.update(uncertainty_analysis(ev))
    # The IRR benchmark runs on El Salvador's cash flows (35 periods, one sign change).
    sc = evaluations.load("elsalvador")
    draws = uncertainty.draw(sc.entries, n, uncertainty.DEFAULT_SEED)
    flows = np.ascontiguousarray(
        elsalvador.flows({**sc.values, **draws})["net_flow"][:, : sc.values["irr_last_period"]]
    )
    t_batch = _seconds(lambda: finance.irr_batch(flows))
    sample = flows[:npf_sample]
    t_npf = _seconds(lambda: [npf.irr(row) for row in sample], repeat=1) / npf_sample
    metrics["irr.vectorised_per_second"] = flows.shape[0] / t_batch
    metrics["irr.numpy_financial_per_second"] = 1.0 / t_npf
    metrics["irr_speedup_vs_numpy_financial"] = t_npf / (t_batch / flows.shape[0])
    got = finance.irr_batch(sample).rate
    metrics["irr.max_abs_difference_vs_numpy_financial"] = float(np.nanmax(np.abs(got - [npf.irr(r) for r in sample])))
    try:
        import pyxirr
    except ImportError:
        pass
    else:
        t_px = _seconds(lambda: [pyxirr.irr(row) for row in sample], repeat=1) / npf_sample
        metrics["irr_speedup_vs_pyxirr"] = t_px / (t_batch / flows.shape[0])
    if with_workbooks:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            metrics.update(workbooks(tmp))
    return metrics

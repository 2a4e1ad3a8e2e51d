"""Financial primitives shared by every evaluation.

Small, documented functions in the style of numpy-financial. Spanish terms used by the
source documents: VNA/VPN = NPV (valor neto actualizado / valor presente neto),
TIR = IRR (tasa interna de retorno), cuota = instalment, B/C = razón beneficio/costo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RATE_CONVENTIONS = ("nominal", "effective")


def column(x):
    """A parameter as a column: scalars stay scalars, a batch of N values becomes shape (N, 1),
    so that it broadcasts against rows of years."""
    return np.asarray(x, dtype=float)[..., None] if np.ndim(x) else float(x)


def periodic_rate(annual_rate: float, periods_per_year: int = 12, convention: str = "nominal") -> float:
    """Rate per period from an annual rate.

    ``nominal``: annual_rate / periods_per_year (tasa nominal anual, the usual mortgage quote).
    ``effective``: (1 + annual_rate) ** (1 / periods_per_year) - 1, the periodic rate equivalent
    to an effective annual rate (tasa efectiva anual, TEA/EA).
    """
    if convention == "nominal":
        return annual_rate / periods_per_year
    if convention == "effective":
        return (1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0
    raise ValueError(f"unknown rate convention {convention!r}; expected one of {RATE_CONVENTIONS}")


def level_payment(principal, rate, n_periods):
    """Level payment (cuota fija, French annuity) that repays ``principal`` in ``n_periods``.

    ``rate`` is the rate per period. Payments are made at the end of each period, no grace period:
    C * r / (1 - (1 + r) ** -n); C / n when r == 0. Same as ``-numpy_financial.pmt(rate, n, C)``.
    Arguments may be arrays (they broadcast); a scalar call returns a float.
    """
    n = np.asarray(n_periods)
    if np.any(n <= 0):
        raise ValueError("n_periods must be positive")
    r = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # expm1/log1p keep full precision when the rate is tiny.
        factor = np.where(r == 0, 1.0 / n, r / -np.expm1(-n * np.log1p(r)))
    out = principal * factor
    return float(out) if np.ndim(out) == 0 else out


def annual_debt_service(principal, annual_rate, years: int, periods_per_year: int = 12, convention: str = "nominal"):
    """Yearly total of a loan repaid in ``periods_per_year`` level instalments a year."""
    r = periodic_rate(annual_rate, periods_per_year, convention)
    return periods_per_year * level_payment(principal, r, years * periods_per_year)


def amortization_schedule(principal: float, rate: float, n_periods: int) -> pd.DataFrame:
    """Period-by-period schedule of a level-payment loan (cuadro de amortización).

    Columns: period (1..n), opening_balance, payment, interest, principal, closing_balance.
    The last closing balance is zero up to floating-point error.
    """
    pay = level_payment(principal, rate, n_periods)
    periods = np.arange(1, n_periods + 1)
    # The balance after k payments is the value of the n - k payments left; this closed form has
    # no cancellation between large numbers, so the last balance is exactly zero.
    if rate == 0:
        closing = pay * (n_periods - periods)
    else:
        closing = pay * -np.expm1(-(n_periods - periods) * math.log1p(rate)) / rate
    opening = np.concatenate(([principal], closing[:-1]))
    repaid = opening - closing  # principal paid, so that it sums exactly to the loan
    return pd.DataFrame(
        {
            "period": periods,
            "opening_balance": opening,
            "payment": np.full(n_periods, pay),
            "interest": pay - repaid,
            "principal": repaid,
            "closing_balance": closing,
        }
    )


def discount_factors(rate, n: int, first_period: int = 0) -> np.ndarray:
    """Discount factors (factores de descuento) 1 / (1 + rate) ** t for t = first_period ..
    first_period + n - 1: shape (n,) for one rate, (N, n) for a batch of N rates. The one
    definition every model, workbook and NPV uses."""
    t = np.arange(first_period, first_period + n, dtype=float)
    return (1.0 + column(rate)) ** -t


def npv(rate: float, values, first_period: int = 0) -> float:
    """Net present value (VNA/VPN) of a flow of equally spaced values.

    The timing convention is explicit because the source documents use both:
    ``first_period=0``: the first value is at t=0 and is not discounted (numpy-financial's ``npv``);
    ``first_period=1``: the first value is at t=1 and is discounted once (Excel's ``NPV()``).
    """
    values = np.asarray(values, dtype=float)
    return float(np.sum(values * discount_factors(rate, values.size, first_period)))


def bc_ratio(pv_benefits: float, pv_costs: float) -> float:
    """Benefit-cost ratio (razón beneficio/costo): PV of benefits over PV of costs."""
    if pv_costs == 0:
        return math.nan
    return float(pv_benefits / pv_costs)


@dataclass(frozen=True)
class IRRResult:
    """An internal rate of return (TIR) with every root found and why it may be NaN.

    ``rate`` is the root nearest ``guess`` (NaN when there is none); ``roots`` lists all roots
    found in the search range, ascending; ``reason`` is empty for a unique root, otherwise says
    why ``rate`` is NaN or that the IRR is not unique.
    """

    rate: float
    roots: tuple = field(default_factory=tuple)
    reason: str = ""

    def __float__(self) -> float:
        return float(self.rate)

    @property
    def unique(self) -> bool:
        return len(self.roots) == 1


def irr(
    values, guess: float = 0.1, low: float = -0.99, high: float = 10.0, grid_points: int = 4000, tol: float = 1e-13
) -> IRRResult:
    """Internal rate of return: every rate in (low, high] at which the NPV is zero.

    The NPV is evaluated on a grid that is even in log(1 + r) and every sign change is refined
    by bisection, so multiple roots are all reported (numpy-financial's ``irr`` returns one
    arbitrary root). The first value is at t=0; the IRR does not depend on that choice.
    Returns an :class:`IRRResult`; ``rate`` is NaN with a reason when the flow has no sign
    change or no root in range.
    """
    v = np.asarray(values, dtype=float)
    if v.size < 2 or not np.all(np.isfinite(v)):
        return IRRResult(math.nan, (), "need at least two finite values")
    nonzero = v[v != 0]
    if nonzero.size == 0 or np.all(nonzero > 0) or np.all(nonzero < 0):
        return IRRResult(math.nan, (), "no IRR: the flow never changes sign")
    grid = np.expm1(np.linspace(math.log1p(low), math.log1p(high), grid_points))
    f = (discount_factors(grid, v.size) * v[None, :]).sum(axis=1)
    roots = []
    s = np.sign(f)  # signs, not products: tiny values underflow to 0
    for i in np.flatnonzero((f[:-1] == 0) | (s[:-1] != s[1:])):  # a zero or a sign change
        a, b, fa = grid[i], grid[i + 1], f[i]
        if fa == 0:
            roots.append(a)
            continue
        for _ in range(200):  # bisection: slow but certain, and this is not a hot path
            m = 0.5 * (a + b)
            fm = npv(m, v)
            if fm == 0 or (b - a) < tol * max(1.0, abs(m)):
                break
            if np.sign(fa) != np.sign(fm):
                b = m
            else:
                a, fa = m, fm
        roots.append(0.5 * (a + b))
    if f[-1] == 0:
        roots.append(grid[-1])
    if not roots:
        return IRRResult(math.nan, (), f"no IRR between {low:.0%} and {high:.0%}")
    roots = tuple(sorted(float(r) for r in roots))
    rate = min(roots, key=lambda r: abs(r - guess))
    reason = "" if len(roots) == 1 else f"multiple IRRs: {', '.join(f'{r:.4%}' for r in roots)}"
    return IRRResult(rate, roots, reason)


def _sign_changes(vt: np.ndarray) -> np.ndarray:
    """Sign changes of each flow (a column of ``vt``), zeros skipped; by Descartes' rule of
    signs, an upper bound on the number of IRRs."""
    last = np.zeros(vt.shape[1])
    changes = np.zeros(vt.shape[1], dtype=int)
    for row in vt:
        s = np.sign(row)
        changes += (s * last) < 0
        last = np.where(s != 0, s, last)
    return changes


def _npv_rows(vt: np.ndarray, r: np.ndarray):
    """NPV and its derivative in r of each flow at its own rate, by Horner's rule in 1/(1 + r).

    ``vt`` holds the flows as columns (time along axis 0, first value at t=0): Horner's rule
    needs no powers, which is what makes the batch IRR fast.
    """
    x = 1.0 / (1.0 + r)
    p = vt[-1].copy()
    dp = np.zeros_like(p)
    for row in vt[-2::-1]:
        dp *= x
        dp += p
        p *= x
        p += row
    return p, -dp * x * x


def _narrow(vt, a, b, points: int):
    """Shrink each bracket [a, b] to the grid cell (even in log(1 + r)) where the NPV changes sign."""
    fa, _ = _npv_rows(vt, a)
    la, lb = np.log1p(a), np.log1p(b)
    for k in range(1, points + 1):
        r = np.expm1(la + (lb - la) * k / (points + 1))
        f, _ = _npv_rows(vt, r)
        same = np.sign(f) == np.sign(fa)
        # Before the first sign change the left end moves right; after it, b is fixed.
        moving = same & (a < r) & (np.sign(fa) != 0)
        a, fa = np.where(moving, r, a), np.where(moving, f, fa)
        b = np.where(~same & (r < b), r, b)
    return a, b


def _refine(vt, a, b, start, tol=1e-14, iterations=200):
    """Safeguarded Newton on brackets [a, b] (NPV changes sign): bisect when Newton leaves them.

    Only the rows not yet converged are iterated, so a few slow rows cost little.
    """
    r = np.clip(start, a, b)
    fa, _ = _npv_rows(vt, a)
    active = np.arange(r.size)
    for _ in range(iterations):
        sub = vt[:, active] if active.size < r.size else vt
        ra, aa, ba, fa_a = r[active], a[active], b[active], fa[active]
        f, df = _npv_rows(sub, ra)
        same = np.sign(f) == np.sign(fa_a)
        aa, fa_a, ba = np.where(same, ra, aa), np.where(same, f, fa_a), np.where(same, ba, ra)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = ra - f / df
        ok = np.isfinite(newton) & (newton > aa) & (newton < ba)
        nxt = np.where(f == 0, ra, np.where(ok, newton, 0.5 * (aa + ba)))
        done = np.abs(nxt - ra) <= tol * (1.0 + np.abs(ra))
        r[active], a[active], b[active], fa[active] = nxt, aa, ba, fa_a
        active = active[~done]
        if active.size == 0:
            break
    return r


@dataclass(frozen=True)
class IRRBatch:
    """IRRs of many flows: ``rate`` (NaN where there is none in range) and ``n_roots`` per row.

    ``n_roots`` is 0 (no IRR: no sign change or no root in range), 1, or more (the IRR is not
    unique; ``rate`` is then the root nearest ``guess``, as :func:`irr` reports it).
    """

    rate: np.ndarray
    n_roots: np.ndarray


def irr_batch(flows, guess: float = 0.1, low: float = -0.99, high: float = 10.0, grid_points: int = 400) -> IRRBatch:
    """Vectorised IRR of each row of ``flows`` (first value at t=0), agreeing with :func:`irr`.

    A row with one sign change has exactly one IRR (Descartes' rule of signs): it is bracketed
    by the search range and found by safeguarded Newton. Rows with more sign changes are scanned
    on a grid even in log(1 + r), every sign change counted, and the root nearest ``guess`` refined.
    """
    v = np.atleast_2d(np.asarray(flows, dtype=float))
    n = v.shape[0]
    rate, n_roots = np.full(n, np.nan), np.zeros(n, dtype=int)
    lo, hi = np.full(n, low), np.full(n, high)
    vt_all = np.ascontiguousarray(v.T)
    changes = _sign_changes(vt_all)
    one = np.flatnonzero(changes == 1)
    if one.size:
        vt = vt_all if one.size == n else vt_all[:, one]
        f_lo, _ = _npv_rows(vt, lo[one])
        f_hi, _ = _npv_rows(vt, hi[one])
        inside = np.sign(f_lo) != np.sign(f_hi)
        if inside.any():
            vt = vt[:, inside] if not inside.all() else vt
            rows = one[inside]
            a, b = _narrow(vt, lo[rows], hi[rows], 6)
            rate[rows] = _refine(vt, a, b, 0.5 * (a + b))
            n_roots[rows] = 1
    many = np.flatnonzero(changes > 1)
    if many.size:
        grid = np.expm1(np.linspace(math.log1p(low), math.log1p(high), grid_points))
        f = v[many] @ discount_factors(grid, v.shape[1]).T
        cross = (np.sign(f[:, :-1]) != np.sign(f[:, 1:])) & (f[:, :-1] != 0)
        n_roots[many] = cross.sum(axis=1)
        has = cross.any(axis=1)
        mid = 0.5 * (grid[:-1] + grid[1:])
        pick = np.argmin(np.where(cross, np.abs(mid - guess), np.inf), axis=1)
        rows = many[has]
        a, b = grid[pick[has]], grid[pick[has] + 1]
        rate[rows] = _refine(np.ascontiguousarray(v[rows].T), a, b, 0.5 * (a + b))
    return IRRBatch(rate, n_roots)

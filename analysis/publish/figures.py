"""The book's figures, drawn for print: at most ``WIDTH`` inches wide (the PDF's text width, so a
figure is never printed smaller than drawn), no text under ``MIN_POINTS`` points, every mark
inside its axes. Each returns a matplotlib figure; the pages only show them.

The distributions mark the scenario's value, the document's (where the inputs are its own) and
the decision threshold; the tornado shows each assumption alone, the others at the scenario.
"""

from __future__ import annotations

import re

import numpy as np

from ..core import numbers, reconcile, uncertainty
from .markup import FIGURE_DPI

WIDTH = 7.0  # inches: the PDF's text width is 182 mm (A4 less two 14 mm margins), 7.17 in
MIN_POINTS = 9.0  # the smallest text of a figure, in points at the printed size
_RC = {
    "figure.dpi": FIGURE_DPI,
    "savefig.dpi": FIGURE_DPI,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "figure.titlesize": 10,
}


_NUMBER = re.compile(r"^Figure \d+\.\s*")


def number_captions(nb) -> int:
    """Number a page's figures 1..n in page order: each caption of the notebook's figure cells (the
    ``mystnb.figure.caption`` myst-nb renders) starts "Figure k. ", as each table's caption starts
    "Table k. " (:func:`analysis.publish.markup.table_caption`). The build calls it on every executed
    page, so the number follows the cell's place; the source notebooks carry no number. Returns n."""
    n = 0
    for cell in nb.cells:
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if cell.get("cell_type") == "code" and figure.get("caption"):
            n += 1
            figure["caption"] = f"Figure {n}. " + _NUMBER.sub("", figure["caption"])
    return n


def setup_figures() -> None:
    """Matplotlib defaults of the book's figures: sharp PNGs (``FIGURE_DPI``), text of at least
    ``MIN_POINTS``."""
    import matplotlib as mpl

    mpl.rcParams.update(_RC)


def _figure(height: float, rows: int = 1, cols: int = 1, **kw):
    import matplotlib.pyplot as plt

    setup_figures()
    return plt.subplots(rows, cols, figsize=(WIDTH, height), dpi=FIGURE_DPI, **kw)


def thousands(ax, axis: str = "y", decimals: int = 0) -> None:
    """Thousands separators on an axis's tick labels: 1,500,000 not 1500000 (or 1.5e6)."""
    from matplotlib.ticker import StrMethodFormatter

    fmt = StrMethodFormatter(f"{{x:,.{decimals}f}}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _scale(ev, values):
    """(factor, axis label) for the decision metric: percent points for rates, millions for large
    money amounts."""
    m = ev.metric(ev.criterion.metric)
    if m.fmt == "percent":
        return 100.0, f"{m.label} (%)"
    if np.nanmax(np.abs(np.asarray(values, dtype=float)), initial=0) >= 1e6:
        return 1e-6, f"{m.label} (million {m.unit})"
    return 1.0, f"{m.label} ({m.unit})"


def tornado(ev, unc):
    """Tornado: the decision metric with each assumption alone at the low and the high end of its
    documented range, the others at the scenario's values."""
    import matplotlib.pyplot as plt

    tor = unc["tornado"]
    k, label = _scale(ev, tor[["metric_at_low", "metric_at_high"]].to_numpy())
    fig, ax = _figure(0.42 * max(len(tor), 3) + 1.5)
    y = np.arange(len(tor))[::-1]
    base = k * float(tor["base_metric"].iloc[0]) if len(tor) else 0.0
    for yi, row in zip(y, tor.itertuples()):
        ax.barh(yi, k * row.metric_at_low - base, left=base, color="tab:blue", alpha=0.8)
        ax.barh(yi, k * row.metric_at_high - base, left=base, color="tab:orange", alpha=0.8)
    ax.axvline(k * ev.criterion.threshold, color="black", lw=1, ls="--")
    ax.axvline(base, color="grey", lw=0.8)
    names = [uncertainty.label(ev.parameters[p]) if p in ev.parameters else p for p in tor["parameter"]]
    ax.set_yticks(y, [_wrap(n, 38) for n in names])
    ax.set(xlabel=label, title="Each assumption alone at the ends of its documented range")
    thousands(ax, "x", 0 if k == 1.0 else 1)
    ax.legend(
        handles=[
            plt.Rectangle((0, 0), 1, 1, color="tab:blue", alpha=0.8),
            plt.Rectangle((0, 0), 1, 1, color="tab:orange", alpha=0.8),
            ax.lines[0],
        ],
        labels=["low end", "high end", "decision threshold"],
        loc="best",
    )
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def marks(ev, unc) -> dict:
    """The values a distribution of the decision metric marks: the scenario's, the document's
    (only where the scenario is a published one at its own inputs: no override) and the threshold."""
    sc = unc["scenario"]
    metric = ev.metric(ev.criterion.metric)
    published = None if sc.overrides else reconcile.published_metric(ev, metric, sc.name)
    return {
        "this scenario": float(unc["tornado"]["base_metric"].iloc[0]) if len(unc["tornado"]) else None,
        "published": published,
        "decision threshold": float(ev.criterion.threshold),
    }


def histogram(ev, unc):
    """Histogram of the decision metric under the declared distributions: the scenario's value, the
    document's and the decision threshold marked."""
    mc = unc["monte_carlo"]
    k, label = _scale(ev, mc["values"])
    values = k * np.asarray(mc["values"], dtype=float)
    fig, ax = _figure(3.6)
    ax.hist(values, bins=80, color="tab:grey", alpha=0.85)
    styles = {
        "this scenario": {"color": "tab:blue", "lw": 1.4, "ls": "-"},
        "published": {"color": "tab:green", "lw": 1.4, "ls": ":"},
        "decision threshold": {"color": "tab:red", "lw": 1.2, "ls": "--"},
    }
    for name, value in marks(ev, unc).items():
        if value is not None:
            ax.axvline(k * value, label=name, **styles[name])
    ax.set(
        xlabel=label,
        ylabel="number of draws",
        title=f"{mc['draws']:,} draws: P(conclusion fails) = {numbers.percent(mc['p_fails'], 1)}",
    )
    thousands(ax, "x", 0 if k == 1.0 else 1)
    thousands(ax, "y")
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def acceptability(ev, curve, sc):
    """The acceptability curve: the probability that the conclusion holds at each discount rate,
    the scenario's rate and the documented range marked."""
    fig, ax = _figure(3.2)
    ax.plot(100 * curve["rate"], 100 * curve["p_holds"], color="tab:blue", lw=1.6)
    rng = sc.entries[curve.attrs["key"]].get("range")
    if rng:
        ax.axvspan(100 * rng["low"], 100 * rng["high"], color="tab:grey", alpha=0.15, label="documented range")
    here = curve[curve["scenario"]].iloc[0]
    ax.plot([100 * here["rate"]], [100 * here["p_holds"]], "o", color="tab:red", label="this scenario")
    ax.set(
        xlabel="social discount rate (% a year)",
        ylabel="P(conclusion holds) (%)",
        ylim=(-2, 102),
        title=f"{curve.attrs['draws']:,} draws at every rate (the same draws)",
    )
    ax.legend(loc="upper right", frameon=False)
    fig.tight_layout()
    return fig


# --- the chapters' own figures --------------------------------------------------------------------

CASH_FLOW_PARTS = (
    "imputed_rent",
    "value_added_new",
    "value_added_used",
    "investment",
    "credit_recovery",
    "default_cost",
)


def stacked_bottoms(values) -> np.ndarray:
    """Where each part's bar starts, period by period, in a stack of signed parts (columns): a
    positive value above the positive parts before it, a negative one below the negative ones (each
    value by its own sign, so that a part that changes sign stays inside the stack)."""
    v = np.asarray(values, dtype=float)
    pos = np.cumsum(np.clip(v, 0, None), axis=1) - np.clip(v, 0, None)
    neg = np.cumsum(np.clip(v, None, 0), axis=1) - np.clip(v, None, 0)
    return np.where(v >= 0, pos, neg)


def cash_flow(cf):
    """El Salvador: the cash flow by component with the net flow (top), the cumulative discounted
    net flow, whose last point is the NPV (bottom); USD million by period."""
    fig, (ax1, ax2) = _figure(7.4, 2, 1, sharex=True)
    parts = list(CASH_FLOW_PARTS)
    bottoms = stacked_bottoms(cf[parts].to_numpy())
    for j, name in enumerate(parts):
        ax1.bar(cf["period"], cf[name] / 1e6, bottom=bottoms[:, j] / 1e6, label=name.replace("_", " "))
    ax1.plot(cf["period"], cf["net_flow"] / 1e6, color="black", marker=".", label="net flow")
    ax1.axhline(0, color="grey", lw=0.8)
    # a zero-height bar on top of a stack is a sticky edge that stops the margin: the tallest bar
    # (period 35, the residual value) would touch or leave the axes
    ax1.use_sticky_edges = False
    ax1.margins(x=0.02, y=0.06)
    ax1.set(ylabel="flow (USD million)", title="Cash flow by component")
    ax1.legend(ncols=2, loc="best")
    ax2.plot(cf["period"], cf["discounted_net_flow"].cumsum() / 1e6, marker=".")
    ax2.axhline(0, color="grey", lw=0.8)
    ax2.set(
        xlabel="period (year)",
        ylabel="cumulative discounted\nnet flow (USD million)",
        title="Cumulative discounted net flow (NPV)",
    )
    fig.tight_layout()
    return fig


def cumulative_net_benefit(curves):
    """Peru: the cumulative discounted net benefit per beneficiary of each subcomponent, this
    page's run against the ones it is compared with."""
    fig, axes = _figure(7.4, 2, 1, sharex=True)
    for ax, sub, title in zip(axes, ("sub1", "sub2"), ("Subcomponent 1: new home", "Subcomponent 2: improvement")):
        for name, curve in curves[curves["subcomponent"] == sub].groupby("run", sort=False):
            style = "--" if name.startswith("this page") else "-"
            ax.plot(curve["year"], curve["value"], marker=".", label=name, linestyle=style)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(ylabel="cumulative discounted net\nbenefit (USD per beneficiary)", title=title, xticks=range(1, 21, 2))
        thousands(ax)
        ax.legend(loc="best")
    axes[1].set_xlabel("year")
    fig.tight_layout()
    return fig


def effort_grid(grid, incomes, living_minimum, living_minimum_usd, savings_rates, ratios):
    """GRET: the effort rate against the family's income, for each savings rate (a panel) and
    subsidy-to-savings ratio (a line), with the effort that leaves the living minimum."""
    fig, axes = _figure(6.6, 2, 2, sharex=True, sharey=True)
    for ax, rate in zip(axes.flat, savings_rates):
        for ratio in ratios:
            d = grid[(grid["savings_rate"] == rate) & (grid["subsidy_to_savings_ratio"] == ratio)]
            ax.plot(d["income"], 100 * d["effort_rate"], label=f"subsidy {ratio:g} × savings")
        ax.plot(incomes, 100 * living_minimum, "k--", lw=0.9, label=f"{living_minimum_usd} USD left to live on")
        ax.set(title=f"savings {numbers.written_percent(rate)} of the cost a year")
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("family income (USD/month)")
    for ax in axes[:, 0]:
        ax.set_ylabel("tasa de esfuerzo (%)")
    axes[0, 0].legend(loc="best")
    fig.tight_layout()
    return fig


def financing(conventions):
    """GRET: what is still to finance for one generation (top) and the organisation's financing
    need by calendar year (bottom), under the page's convention and the other."""
    fig, (ax1, ax2) = _figure(7.4, 2, 1)
    for key, style in (("page", "-"), ("other", "--")):
        c = conventions[key]
        ax1.plot(c["to_finance"]["year"], c["to_finance"]["to_finance"], style, marker=".", label=c["label"])
        ax2.plot(c["need"]["year"], c["need"]["need"], style, marker=".", label=c["label"])
    ax1.axhline(0, color="grey", lw=0.8)
    ax1.set(
        xlabel="year of the generation (j)",
        ylabel="still to finance\n(% of origin value)",
        title="a financiar, one generation (3.3)",
    )
    ax2.set(xlabel="calendar year", ylabel="financing need\n(thousand USD)", title="the organisation's financing need")
    thousands(ax2)
    for ax in (ax1, ax2):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    fig.tight_layout()
    return fig


def failure_ranking(labels, p_fails):
    """The programmes by the probability that their conclusion fails (% of the draws)."""
    fig, ax = _figure(2.6)
    ax.barh(labels, 100 * np.asarray(p_fails, dtype=float), color="tab:red", alpha=0.8)
    ax.set(xlabel="probability that the conclusion fails (% of the Monte Carlo draws)", xlim=(0, 100))
    fig.tight_layout()
    return fig

"""The book's figures drawn for print (analysis.publish.figures): no wider than the PDF's text, no
text under 9 pt, every bar inside its axes, the distributions marked."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from analysis import evaluations  # noqa: E402
from analysis.core import information, reconcile, verdict  # noqa: E402
from analysis.core.params import ROOT  # noqa: E402
from analysis.evaluations.gret import extensions, model  # noqa: E402
from analysis.evaluations.peru import findings  # noqa: E402
from analysis.publish import figures  # noqa: E402


def _texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]


def _assert_printable(fig):
    """At most the print width, text of at least MIN_POINTS, every bar inside its axes' limits."""
    try:
        fig.canvas.draw()
        assert fig.get_figwidth() <= figures.WIDTH + 1e-9
        small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < figures.MIN_POINTS]
        assert not small, small
        for ax in fig.axes:
            (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
            for p in ax.patches:
                if not isinstance(p, matplotlib.patches.Rectangle) or p.get_height() == 0 or p.get_width() == 0:
                    continue
                bx = sorted([p.get_x(), p.get_x() + p.get_width()])
                by = sorted([p.get_y(), p.get_y() + p.get_height()])
                assert x0 <= bx[0] and bx[1] <= x1 and y0 <= by[0] and by[1] < y1, (ax.get_title(), bx, by, (y0, y1))
    finally:
        plt.close(fig)


def test_stacked_bars_start_by_each_values_own_sign():
    values = np.array([[2.0, -1.0, 3.0], [1.0, 4.0, -2.0]])
    bottoms = figures.stacked_bottoms(values)
    assert bottoms.tolist() == [[0.0, 0.0, 2.0], [0.0, 1.0, 0.0]]


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_the_uncertainty_figures_print_and_mark_scenario_published_and_threshold(name):
    ev = evaluations.get(name)
    unc = verdict.analysed(ev)
    _assert_printable(figures.tornado(ev, unc))
    fig = figures.histogram(ev, unc)
    marks = figures.marks(ev, unc)
    metric = ev.metric(ev.criterion.metric)
    assert marks["published"] == reconcile.published_metric(ev, metric, unc["scenario"].name)
    assert marks["decision threshold"] == ev.criterion.threshold
    k, _ = figures._scale(ev, unc["monte_carlo"]["values"])
    drawn = {line.get_label(): line.get_xdata()[0] for line in fig.axes[0].lines}
    for label, value in marks.items():
        if value is not None:
            assert drawn[label] == pytest.approx(k * value), label
    _assert_printable(fig)


def test_an_edition_does_not_mark_the_documents_figure_beside_other_inputs():
    ev = evaluations.get("elsalvador")
    assert figures.marks(ev, verdict.analysed(ev, None, {"rent_to_price": 0.07}))["published"] is None
    assert figures.marks(ev, verdict.analysed(ev))["published"] is not None


def test_the_chapters_own_figures_print():
    es = evaluations.get("elsalvador")
    sc, res = es.run()
    _assert_printable(figures.cash_flow(res.tables["cash_flow"]))
    pe = evaluations.get("peru")
    sc, res = pe.run()
    _assert_printable(
        figures.cumulative_net_benefit(
            findings.cumulative_discounted_net_benefit(findings.runs_to_compare(pe, sc, res))
        )
    )
    unc = verdict.analysed(pe)
    _assert_printable(figures.acceptability(pe, information.acceptability(pe, unc), sc))
    p = evaluations.get("gret").load().values
    incomes = extensions.income_range(p)
    grid = extensions.effort_grid(p, incomes=incomes)
    _assert_printable(
        figures.effort_grid(
            grid,
            incomes,
            extensions.living_minimum_effort(incomes),
            model.LIVING_MINIMUM_USD,
            extensions.GRID_SAVINGS_RATES,
            extensions.GRID_RATIOS,
        )
    )
    _assert_printable(figures.financing(extensions.financing_conventions(p)))
    _assert_printable(figures.failure_ranking(["Peru", "El Salvador", "GRET"], [0.38, 0.71, 0.39]))


def test_the_build_numbers_each_pages_figures_in_page_order_and_the_sources_carry_no_number():
    import nbformat

    from analysis.publish.contents import pages

    nb = nbformat.v4.new_notebook()
    caption = {"mystnb": {"figure": {"caption": "Figure 7. Second"}}}
    nb.cells = [
        nbformat.v4.new_code_cell("a", metadata={"mystnb": {"figure": {"caption": "First"}}}),
        nbformat.v4.new_markdown_cell("Figure 9. prose is not a caption"),
        nbformat.v4.new_code_cell("b"),
        nbformat.v4.new_code_cell("c", metadata=caption),
    ]
    assert figures.number_captions(nb) == 2
    shown = [c.metadata.get("mystnb", {}).get("figure", {}).get("caption") for c in nb.cells]
    assert shown == ["Figure 1. First", None, None, "Figure 2. Second"]
    assert nb.cells[1].source == "Figure 9. prose is not a caption"
    for stem, _, _ in pages():  # one place for the numbers: the build
        source = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        captions = [c.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption", "") for c in source.cells]
        numbered = [c for c in captions if c.startswith("Figure ")]
        assert not numbered, f"notebooks/{stem}.ipynb numbers its own figures"

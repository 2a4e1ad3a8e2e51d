"""The one number vocabulary (analysis.core.numbers) and the forms the notebooks' Markdown asks of
glued numbers. Fast: no book is built (the built pages are scanned by test_number_forms.py)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from analysis import evaluations
from analysis.core import numbers, reconcile
from analysis.core.contract import Metric
from analysis.publish import contents, markup

ROOT = Path(__file__).resolve().parents[1]
NBSP = "\u00a0"


def test_percent_has_one_form_a_no_break_space_before_the_sign():
    assert numbers.percent(0.0705) == f"7.05{NBSP}%"
    assert numbers.percent(0.5, 0) == f"50{NBSP}%"
    assert numbers.percent(None) == numbers.percent(float("nan")) == "n/a"


@pytest.mark.parametrize("x", [-1e-9, -0.0049, -0.0])
def test_no_signed_zero(x):
    """A value that rounds to zero at the decimals shown is "0.00", never "-0.00" nor "+0.00"."""
    assert numbers.number(x, 2) == "0.00"
    assert numbers.number(x, 2, sign=True) == "0.00"
    assert numbers.percent(x / 100, 2) == f"0.00{NBSP}%"
    assert numbers.points(x / 100, 2) == f"0.00{NBSP}percentage points"
    value, spec, suffix = numbers.glued(x / 100, 2, "percent")
    assert f"{value:{spec}}{suffix}" == numbers.percent(x / 100, 2)


def test_differences_of_rates_are_in_percentage_points():
    irr = Metric("irr", "IRR", "% a year", "percent", 1)
    assert irr.change(0.012) == f"+1.2{NBSP}percentage points"
    assert irr.change(-0.012) == f"-1.2{NBSP}percentage points"
    assert Metric("npv", "NPV", "USD", "money", 0).change(2244.4) == "+2,244"
    value, spec, suffix = numbers.glued(0.012, 2, "points", sign=True)
    assert f"{value:{spec}}{suffix}" == numbers.points(0.012, 2)


def test_scales_in_words():
    assert numbers.usd(310e6) == f"USD{NBSP}310{NBSP}million"
    assert numbers.usd(2.2e9) == f"USD{NBSP}2.2{NBSP}billion"
    assert numbers.usd(310e9) == f"USD{NBSP}310{NBSP}billion"  # never "USD 310,000 million"
    assert numbers.usd(42582.4) == f"USD{NBSP}42,582"


def test_parameters_with_the_digits_they_were_written_with_at_most_four_significant():
    assert numbers.written(42582) == "42,582"
    assert numbers.written(0.4842) == "0.4842"
    assert numbers.written_percent(0.6201525596) == f"62.02{NBSP}%"  # not 62.01525596 %
    assert numbers.written_percent(0.0705) == f"7.05{NBSP}%"
    assert numbers.written(0.1 + 0.2) == "0.3"  # no float noise
    for x in (0.5, 0.402634, 0.0705, 8.5, 0.55):  # a glued parameter reads as a tabled one
        value, spec, suffix = numbers.glued(x, 0, "written percent")
        assert f"{value:{spec}}{suffix}" == numbers.written_percent(x)


def test_computed_values_no_finer_than_their_uncertainty():
    assert numbers.decimals_for(0.0312) == 3  # two significant digits of the standard error
    assert numbers.decimals_for(0.0312, 100) == 1  # the same in percentage points
    assert numbers.decimals_for(1234) == 0
    assert numbers.decimals_for(0) == 0


def test_a_published_figure_at_the_decimals_the_source_printed():
    # the GRET effort rate of the reference family is printed "31" (no decimals): not "31.0 %"
    ev = evaluations.get("gret")
    metric = ev.metric(ev.criterion.metric)
    decimals = reconcile.published_decimals(ev, metric, ev.scenario)
    assert decimals is not None and decimals < metric.decimals
    shown = reconcile.published_shown(ev, metric, ev.scenario)
    assert shown == numbers.percent(reconcile.published_metric(ev, metric, ev.scenario), decimals)
    assert shown.endswith(f"{NBSP}%") and "." not in shown


def test_a_spanish_edition_needs_only_the_locale():
    assert numbers.number(1234567.891, 2, locale="es") == "1.234.567,89"
    assert numbers.percent(0.0705, 2, locale="es") == f"7,05{NBSP}%"


def test_markup_delegates_and_recognises_the_forms_as_numbers():
    assert markup.percent is numbers.percent
    assert markup.money(-0.0001, 2) == "0.00"
    for cell in (numbers.percent(0.0705), numbers.points(0.01), "1,234.5", f"2.2{NBSP}billion", "-7"):
        assert markup._NUMBER.match(cell), cell
    assert markup.text("rent 0.5 % a month, as printed: 12%") == f"rent 0.5{NBSP}% a month, as printed: 12%"


def test_downloads_name_the_scenario_and_digest_and_head_each_column_with_its_unit():
    ev = evaluations.get("elsalvador")
    sc, result = ev.run()
    name = contents.download_name("cash_flow", sc)
    assert name == f"cash_flow-{sc.name}-{sc.sha256[:12]}.csv"
    df = contents.download_table(ev, "cash_flow", result.tables["cash_flow"])
    assert "period" in df.columns and "net_flow (USD)" in df.columns
    noisy = result.tables["cash_flow"]["net_flow"]
    assert all(len(repr(v).replace("-", "").replace(".", "").lstrip("0")) <= 17 for v in df["net_flow (USD)"])
    assert list(df["net_flow (USD)"]) == [numbers.stored(v) for v in noisy]


def test_every_downloaded_table_declares_its_units():
    for ev in evaluations.REGISTRY.values():
        _, result = ev.run()
        for name in contents.download_tables(ev):
            units = ev.units.get(name)
            assert units, f"{ev.name}: table {name} declares no units for its download"
            numeric = [c for c in result.tables[name].columns if result.tables[name][c].dtype.kind == "f"]
            assert all(units.get(c, units.get("*")) for c in numeric), (ev.name, name)


# --- the notebooks' Markdown: the {glue:text} format specs ----------------------------------------

ROLE = re.compile(r"\{glue:text\}`(?P<key>[^`:]+):(?P<spec>[^`]*)`(?P<after>.{0,2})", re.S)
SPEC = re.compile(r"^\+?,?\.\d{1,2}f$|^g$")  # fixed decimals (thousands separated), or a parameter as written


def _glued(path: Path) -> dict:
    """name -> glued value of an executed notebook (the papermill records of its outputs)."""
    out = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            record = o.get("metadata", {}).get("scrapbook")
            if record:
                out[record["name"]] = o["data"].get("application/papermill.record/text/plain")
    return out


def _roles(path: Path):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            yield from ROLE.finditer(cell.source)


@pytest.mark.parametrize("stem", ["peru", "elsalvador", "gret", "uncertainty"])
def test_glue_specs_have_one_form(stem):
    """Every {glue:text} spec is fixed decimals with thousands separated, or ``g`` for a parameter
    as written; a spec without the separator only for values below 1,000 (years, counts); a "%"
    after a number always after a no-break space; a ``g`` value no finer than numbers.written."""
    values = _glued(ROOT / "book" / f"{stem}.ipynb")
    roles = list(_roles(ROOT / "notebooks" / f"{stem}.ipynb"))
    assert roles, f"{stem}: no glued numbers found"
    bad = []
    for r in roles:
        key, spec, after = r["key"], r["spec"], r["after"]
        value = float(values[key]) if key in values else None
        if not SPEC.match(spec):
            bad.append(f"{key}: spec {spec!r}")
        if spec.startswith((".", "+.")) and value is not None and abs(value) >= 1000:
            bad.append(f"{key}: {value} without a thousands separator ({spec!r})")
        if after.startswith(("%", " %")):
            bad.append(f"{key}: '%' not after a no-break space")
        if spec == "g" and value is not None and format(value, "g") != numbers.written(value):
            bad.append(f"{key}: {value} shown finer than as written")
    assert not bad, f"{stem}:\n" + "\n".join(bad)


def test_the_spec_check_can_fail():
    bad = "{glue:text}`x:.6g` % and {glue:text}`y:,.0f`%"
    found = [(m["spec"], m["after"]) for m in ROLE.finditer(bad)]
    assert found == [(".6g", " %"), (",.0f", "%")]
    assert not SPEC.match(".6g") and SPEC.match(",.0f") and SPEC.match("+,.1f") and SPEC.match("g")


def test_a_glued_change_of_zero_has_no_sign():
    value, spec, suffix = numbers.glued(0.0004, 0, sign=True)
    assert f"{value:{spec}}{suffix}" == "0" == numbers.number(0.0004, 0, sign=True)
    value, spec, suffix = numbers.glued(2.5, 0, sign=True)
    assert f"{value:{spec}}" == "+2" == numbers.number(2.5, 0, sign=True)  # round half to even, as Python

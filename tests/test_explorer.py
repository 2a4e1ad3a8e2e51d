"""The what-if explorer: the grid the engine computes, the interpolation error it states, and
the page's JavaScript (book/_static/explorer.js) against the engine in a real browser."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from analysis import evaluations
from analysis.core import grid, verdict
from analysis.publish import explorer

EVALUATIONS = list(evaluations.REGISTRY)


@pytest.fixture(scope="module")
def payloads():
    out = {}
    for name, ev in evaluations.REGISTRY.items():
        sc, res = ev.run()
        out[name] = (ev, sc, grid.build(ev, sc, res))
    return out


def test_interpolation_is_exact_at_grid_points_and_linear_between():
    axes = [np.array([0.0, 1.0, 3.0]), np.array([10.0, 20.0])]
    table = np.array([[1.0, 2.0], [3.0, 5.0], [7.0, 11.0]])
    for i, x in enumerate(axes[0]):
        for j, y in enumerate(axes[1]):
            assert grid.interpolate(axes, table, (x, y)) == table[i, j]
    assert grid.interpolate(axes, table, (0.5, 10.0)) == pytest.approx(2.0)
    assert grid.interpolate(axes, table, (2.0, 15.0)) == pytest.approx(0.5 * (4.0 + 9.0))
    table[1, 1] = np.nan
    assert math.isnan(grid.interpolate(axes, table, (0.5, 15.0)))


@pytest.mark.slow  # builds every evaluation's explorer payload (2.6 s): an integration test
@pytest.mark.parametrize("name", EVALUATIONS)
def test_grid_values_are_the_engines_and_the_stated_error_bounds_fresh_off_grid_points(payloads, name):
    ev, sc, payload = payloads[name]
    keys = [p["key"] for p in payload["parameters"]]
    axes = [np.array(p["axis"]) for p in payload["parameters"]]
    assert len(keys) == 3 and all(sc.entries[k].get("range") or sc.entries[k].get("distribution") for k in keys)
    shape = tuple(len(a) for a in axes)
    rng = np.random.default_rng(7)
    for m in payload["metrics"]:
        table = np.array([np.nan if v is None else v for v in m["values"]]).reshape(shape)
        # a grid point: the engine's value through evaluate (one scenario at a time)
        idx = tuple(rng.integers(0, n) for n in shape)
        point = {k: float(a[i]) for k, a, i in zip(keys, axes, idx)}
        exact = ev.evaluate({**sc.values, **_typed(ev, point)}).metrics[m["name"]]
        if np.isfinite(exact):
            assert table[idx] == pytest.approx(exact, rel=1e-9, abs=1e-9)
        # fresh off-grid points, not the ones the build measured: within the stated error (x 1.5)
        pts = np.column_stack([rng.uniform(a[0], a[-1], 50) for a in axes])
        for i, k in enumerate(keys):
            if ev.parameters[k].kind == "integer":
                pts[:, i] = np.round(pts[:, i])
        got = grid.evaluate(ev, sc.values, keys, pts, [m["name"]])[m["name"]]
        approx = np.array([grid.interpolate(axes, table, p) for p in pts])
        ok = np.isfinite(got) & np.isfinite(approx)
        assert np.all(np.abs(approx[ok] - got[ok]) <= 1.5 * m["error"] + 1e-9 * np.abs(got[ok]) + 1e-12)


@pytest.mark.slow  # builds every evaluation's explorer payload (2.6 s): an integration test
@pytest.mark.parametrize("name", EVALUATIONS)
def test_embedded_payload_is_small_and_cannot_close_its_script_element(payloads, name):
    _, _, payload = payloads[name]
    text = explorer.embedded(payload)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == json.loads(json.dumps(payload))
    assert len(text) < 500_000


@pytest.mark.slow  # builds every evaluation's explorer payload (2.6 s): an integration test
def test_default_parameters_are_the_largest_total_sobol_indices(payloads):
    from analysis.core import uncertainty

    ev, sc, payload = payloads["elsalvador"]
    entries, _ = uncertainty.centred(sc, ev.parameters, "shift")
    sob = uncertainty.sobol(ev, sc.values, entries, n=2048, seed=grid.SEED)
    assert [p["key"] for p in payload["parameters"]] == list(sob["parameter"][:3])


def test_an_override_moves_the_axis_with_it_as_the_uncertainty_analysis_does():
    from analysis.core import uncertainty

    ev = evaluations.get("elsalvador")
    declared = ev.load().entries["rent_to_price"]["range"]
    sc = ev.load(None, {"rent_to_price": 0.2})
    payload = grid.build(ev, sc, keys=["rent_to_price", "new_home_share"])
    rent = payload["parameters"][0]
    entries, _ = uncertainty.centred(sc, ev.parameters, "shift")
    blocks = [entries["rent_to_price"][b] for b in ("range", "distribution") if b in entries["rent_to_price"]]
    # the documented range and the distribution's bounds together, both moved with the override
    assert (rent["low"], rent["high"]) == (min(b["low"] for b in blocks), max(b["high"] for b in blocks))
    assert (
        rent["low"]
        <= entries["rent_to_price"]["range"]["low"]
        < entries["rent_to_price"]["range"]["high"]
        <= rent["high"]
    )
    assert entries["rent_to_price"]["range"]["high"] - entries["rent_to_price"]["range"]["low"] == pytest.approx(
        declared["high"] - declared["low"]
    )
    assert [b["source"] for b in rent["sources"]] == [b["source"] for b in blocks]
    assert rent["low"] <= 0.2 <= rent["high"] and rent["value"] == 0.2
    # an entry whose value lies outside its range (no shift): the axis still includes the value
    low, high, _ = grid.span({"value": 0.3, "range": {"low": 0.0, "high": 0.1}})
    assert (low, high) == (0.0, 0.3)


def test_an_evaluation_with_ranges_but_few_distributions_still_gets_three_parameters():
    ev = evaluations.get("elsalvador")
    sc = ev.load()
    entries = {k: {kk: vv for kk, vv in e.items() if kk != "distribution"} for k, e in sc.entries.items()}
    keys = grid.chosen(ev, sc, entries)
    assert len(keys) == 3 and all("range" in entries[k] for k in keys)


def _typed(ev, point: dict) -> dict:
    return {k: (int(round(v)) if ev.parameters[k].kind == "integer" else v) for k, v in point.items()}


# --- the page's JavaScript, in Debian's chromium ------------------------------------------------


def _page(tmp_path, payload) -> str:
    js = (ROOT / "book" / "_static" / "explorer.js").read_text(encoding="utf-8")
    css = (ROOT / "book" / "_static" / "analysis.css").read_text(encoding="utf-8")
    page = tmp_path / f"{payload['evaluation']}.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
        f"<style>{css}</style></head><body><div class='explorer'>"
        f"<script type='application/json'>{explorer.embedded(payload)}</script>"
        f"</div><script>{js}</script></body></html>",
        encoding="utf-8",
    )
    return page.as_uri()


def _set(page, key, value):
    page.evaluate(
        """([key, value]) => { const i = document.querySelector(`input[data-parameter="${key}"]`);
        i.value = value; i.dispatchEvent(new Event('input', {bubbles: true})); return i.value; }""",
        [key, str(value)],
    )


def _shown(page) -> dict:
    return page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('td[data-metric]')]"
        ".map(td => [td.dataset.metric, td.dataset.value]))"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", EVALUATIONS)
def test_sliders_in_the_browser_show_the_engines_values(payloads, tmp_path, browser, name):
    ev, sc, payload = payloads[name]
    params = payload["parameters"]
    errors, failed = [], []
    rng = np.random.default_rng(11)
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(_page(tmp_path, payload))
    shown = _shown(page)
    assert set(shown) == {m["name"] for m in payload["metrics"]}
    cases = []
    for _ in range(4):  # grid points: equal to the engine
        cases.append(("grid", {p["key"]: p["axis"][rng.integers(0, len(p["axis"]))] for p in params}))
    for _ in range(4):  # off-grid slider positions: within the stated error
        point = {}
        for p in params:
            steps = round((p["high"] - p["low"]) / p["step"])
            point[p["key"]] = p["low"] + p["step"] * int(rng.integers(0, steps + 1))
        cases.append(("off", point))
    for kind, point in cases:
        actual = {}
        for key, value in point.items():
            _set(page, key, value)
            actual[key] = float(page.eval_on_selector(f'input[data-parameter="{key}"]', "i => i.value"))
        exact = ev.evaluate({**sc.values, **_typed(ev, actual)}).metrics
        shown = _shown(page)
        for m in payload["metrics"]:
            want = exact[m["name"]]
            if not np.isfinite(want) or shown[m["name"]] == "":
                continue
            got = float(shown[m["name"]])
            tol = 1e-8 * max(1.0, abs(want)) if kind == "grid" else m["error"] * 1.5 + 1e-8 * abs(want)
            assert abs(got - want) <= tol, (kind, actual, m["name"], got, want, m["error"])
    said = page.text_content(".explorer-verdict")
    value = exact[ev.criterion.metric]
    words = verdict.AT_A_POINT[bool(ev.criterion.passes(value))]
    assert said.startswith((words[0].upper() + words[1:] + ":", "Too close", "No value")), (said, value)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    page.close()
    assert not errors and not failed


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_the_slider_of_the_most_fragile_assumption_reaches_its_switching_value(name):
    """The explorer moves the assumption the verdict names first, over its range and its
    distribution's bounds: the switching value the verdict names lies on the slider."""
    from analysis.core import verdict

    ev = evaluations.get(name)
    unc = verdict.analysed(ev)
    top = unc["verdict"].most_fragile
    sc = ev.load()
    drawn = [k for k, e in unc["entries"].items() if "distribution" in e]
    indices = pd.DataFrame({"parameter": drawn, "total": np.linspace(1, 0, len(drawn))})  # any order
    keys = grid.chosen(ev, sc, unc["entries"], indices=indices, first=top.parameter)
    assert keys[0] == top.parameter and len(keys) == len(set(keys)) == 3
    first = grid.build(ev, sc, keys=[top.parameter])["parameters"][0]
    assert first["low"] <= top.switching_value <= first["high"], (first["low"], top.switching_value, first["high"])


def test_the_gret_explorer_shows_the_published_effort_rate_at_every_income_the_sheet_prints():
    ev = evaluations.get("gret")
    payload = grid.build(ev, ev.load(), keys=["subsidy_to_savings_ratio"])
    published = {m["name"]: m["published"] for m in payload["metrics"]}
    assert published["effort_rate.200"] == pytest.approx(0.31) == published["effort_rate.reference"]
    assert published["effort_rate.100"] == pytest.approx(0.62)

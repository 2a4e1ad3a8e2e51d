"""The built book in a real browser: Playwright for Python driving Debian's chromium.

The session's built book (``conftest.built_book``: ``jupyter-book build -W -n`` into a temporary
folder, as ``analysis.publish.build`` does, without touching ``book/_build``) is served on 127.0.0.1. Every
page is then opened once in chromium; the tests check what a reader would see: no console error
or failed request, every image rendered, every internal link and anchor resolving, every
citation pointing at an entry of the references page, MathJax formulas rendered and the El
Salvador headline numbers equal to the model. Every page is also opened at a desktop (1400 x 900)
and a phone (390 x 844) viewport: no page scrolls sideways, no table or display formula is clipped
outside its own scroll box, every table has a caption. Full-page screenshots of the chapters at
both widths are written to ``tests/_artifacts/screenshots/`` for a person to look at.

No browser is downloaded: chromium comes from Debian (``make test`` installs it when missing).
"""

from __future__ import annotations

import functools
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import browsing
import nbformat
import numpy as np
import pytest
from browsing import SCREENSHOTS, VIEWPORTS, _chapters, _QuietHandler, _Server
from bs4 import BeautifulSoup
from conftest import EDITION_OVERRIDES, HOSTILE, HOSTILE_MARKDOWN, chapter_parts

from analysis import evaluations
from analysis.core import verdict
from analysis.publish import chapter, contents

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _layout(crawl, phone_crawl, viewport):
    if viewport == "desktop":
        return {rel: f["layout"] for rel, f in crawl[2].items() if not f["redirect"]}
    return phone_crawl


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_page_scrolls_sideways(crawl, phone_crawl, viewport):
    layout = _layout(crawl, phone_crawl, viewport)
    wide = {
        rel: f"{f['scroll_width']} px > {f['inner_width']} px"
        for rel, f in layout.items()
        if f["scroll_width"] > f["inner_width"] + 1
    }
    assert not wide, f"pages that scroll sideways at the {viewport} viewport: {wide}"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_table_or_formula_is_clipped_outside_a_scroll_box(crawl, phone_crawl, viewport):
    layout = _layout(crawl, phone_crawl, viewport)
    clipped = {rel: f["clipped"] for rel, f in layout.items() if f["clipped"]}
    assert not clipped, f"wider than their container with no scroll box of their own ({viewport}): {clipped}"
    if viewport == "phone":  # the check can fail: the chapters' wide tables do overflow a phone
        assert sum(f["tables"] for rel, f in layout.items()) > 20


# At 1,400 px every table a reader sees without opening a <details> fits the visible width of its
# scroll box, all its columns in view (issue 21); 1 px: sub-pixel rounding of the layout.
FIT_TOLERANCE_PX = 1
# "A chapter reads in about a dozen screens before its appendix-like parts" (issue 21): screens of
# the desktop viewport's height above the first of chapter.APPENDIX_PARTS. The chapters take 6 to
# 15 today (prose, formulas, the register, figures); they took 10 to 24 with their long tables
# unfolded. 15 keeps them there, not yet at the dozen (the aim; see CHANGELOG).
MAX_SCREENS_BEFORE_APPENDIX = 15


def test_every_table_fits_its_visible_box_at_the_desktop_width(crawl):
    """No column of a table in view, least of all a key one (value, unit, source, set by, verdict),
    sits off-screen in a scroll box at 1,400 px: wide tables take the page's full width, long or
    very wide ones show their summary and fold the whole table below."""
    layout = _layout(crawl, None, "desktop")
    measured = [t for rel in _chapters() for t in layout[rel]["table_fit"]]
    assert len(measured) > 30, "the measurement found the chapters' tables"
    wide = {
        rel: [f"{t['table'][:50]}: {t['width']} px in {t['visible']} px, {t['keys_out'] or ''}" for t in over]
        for rel in _chapters()
        if (over := [t for t in layout[rel]["table_fit"] if t["width"] > t["visible"] + FIT_TOLERANCE_PX])
    }
    assert not wide, f"tables wider than the visible part of their box at 1,400 px: {wide}"
    keys_out = {rel: [t for t in layout[rel]["table_fit"] if t["keys_out"]] for rel in _chapters()}
    assert not any(keys_out.values()), f"key columns out of view: {keys_out}"


def test_no_number_is_cut_at_the_phone_width(phone_crawl):
    """At 390 px no glued number of the prose and no number cell of a table is cut by the edge of
    a scroll box or of the screen ("38." for 38.3 %): a table's rows stack on a phone."""
    cut = {rel: phone_crawl[rel]["cut_numbers"] for rel in _chapters() if phone_crawl[rel]["cut_numbers"]}
    assert not cut, f"numbers cut at 390 px: { {rel: (len(c), c[:5]) for rel, c in cut.items()} }"


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_a_chapter_reads_in_a_limited_number_of_screens_before_its_appendix_like_parts(crawl, name):
    layout = crawl[2][f"book/{name}.html"]["layout"]
    assert layout["above_appendix"] is not None, f"{name}: no appendix-like part {chapter.APPENDIX_PARTS} found"
    screens = layout["above_appendix"] / layout["inner_height"]
    assert screens <= MAX_SCREENS_BEFORE_APPENDIX, (
        f"{name}: {screens:.1f} screens of {layout['inner_height']} px before its appendix-like parts "
        f"(at most {MAX_SCREENS_BEFORE_APPENDIX})"
    )


def test_every_table_has_a_numbered_caption(crawl):
    """On every page of the table of contents (Sphinx's generated index lays itself out in tables)."""
    layout = _layout(crawl, None, "desktop")
    pages = _chapters()
    missing = {rel: layout[rel]["uncaptioned"] for rel in pages if layout[rel]["uncaptioned"]}
    assert not missing, f"tables without a caption: {missing}"
    for name in evaluations.REGISTRY:
        captions = layout[f"book/{name}.html"]["captions"]
        assert captions, f"{name}: no table caption"
        # a table folded whole below its summary repeats its number: "Table 9 in full. ..."
        numbered = [m for c in captions if (m := re.match(r"Table (\d+)( in full)?\. \S", c))]
        assert len(numbered) == len(captions), f"{name}: captions without a number: {captions[:5]}"
        numbers = list(dict.fromkeys(int(m.group(1)) for m in numbered))
        assert numbers == list(range(1, len(numbers) + 1)), f"{name}: captions not numbered 1..n: {captions[:5]}"


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_every_chapter_figure_has_a_numbered_caption_with_its_source_and_scenario_and_alt_text(crawl, name):
    _, html, _ = crawl
    soup = BeautifulSoup((html / "book" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
    images = soup.select("article img")
    assert images, f"{name}: no figure"
    # one scheme with the tables: numbered per page in the caption's own text; no book-wide number
    # of Sphinx's (book/_ext/page_fixes.py turns them off)
    numbers = [
        int(m.group(1)) if (m := re.match(r"Figure (\d+)\. \S", c.get_text(" ", strip=True))) else None
        for c in soup.select("article figure figcaption .caption-text")
    ]
    assert numbers == list(range(1, len(images) + 1)), f"{name}: figures not numbered 1..n in their captions: {numbers}"
    assert not soup.select(".caption-number"), f"{name}: Sphinx's book-wide numbers are written"
    for img in images:
        alt = img.get("alt", "")
        assert len(alt.split()) >= 6 and not re.search(r"\.(png|svg|jpe?g)\b", alt), f"{name}: alt text {alt!r}"
        src = html / "book" / img["src"]
        if src.suffix == ".png":  # drawn at chapter.FIGURE_DPI at least (the PNG records its dpi)
            from PIL import Image

            with Image.open(src) as png:
                assert png.info.get("dpi", (0, 0))[0] >= chapter.FIGURE_DPI - 1, f"{name}: {src.name} below 150 dpi"
        figure = img.find_parent("figure")
        assert figure is not None, f"{name}: an image outside a figure: {img.get('src')}"
        caption = figure.find("figcaption").get_text(" ", strip=True)
        assert "Source:" in caption and "scenario" in caption, (
            f"{name}: caption without source or scenario: {caption!r}"
        )


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_every_chapter_hides_its_code_and_links_its_notebook_and_the_glossary(crawl, name):
    base, html, _ = crawl
    text = (html / "book" / f"{name}.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert "Show code cell" not in text and not soup.select("article div.cell_input"), f"{name}: code shows"
    notebooks = [a["href"] for a in soup.select("article a[href]") if a["href"].endswith(f"/{name}.ipynb")]
    assert notebooks, f"{name}: no link to its source notebook"
    assert _status(base + "book/" + notebooks[0]) == 200
    terms = {a["href"].split("#", 1)[1] for a in soup.select("article a[href*='glossary.html#term-']")}
    assert len(terms) >= 3, f"{name}: glossary terms linked: {sorted(terms)}"


def test_the_page_shows_one_search_box(crawl, browser, site):
    base, _ = site
    for viewport in VIEWPORTS.values():
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(base + "book/glossary.html", wait_until="networkidle")
        visible = page.evaluate(
            "() => Array.from(document.querySelectorAll('.search-button-field, .search-button, form.bd-search'))"
            ".filter(e => e.offsetParent !== null && e.getBoundingClientRect().width > 0).length"
        )
        context.close()
        assert visible == 1, f"{visible} search boxes at {viewport}"


def test_every_chapter_is_built_and_crawled(crawl):
    _, _, pages = crawl
    missing = [c for c in _chapters() if c not in pages]
    assert not missing, f"pages of _toc.yml missing from the build: {missing}"
    assert "index.html" in pages


def test_every_page_loads_without_console_errors_or_failed_requests(crawl):
    _, _, pages = crawl
    bad = {rel: f["problems"] for rel, f in pages.items() if f["problems"]}
    assert not bad, "\n".join(f"{rel}: {p}" for rel, ps in bad.items() for p in ps)


def test_every_image_is_rendered(crawl):
    _, _, pages = crawl
    broken = [(rel, i["src"]) for rel, f in pages.items() for i in f["images"] if i["width"] <= 0]
    assert not broken, "images with naturalWidth 0:\n" + "\n".join(f"{rel}: {src}" for rel, src in broken)
    assert any(f["images"] for f in pages.values()), "no image at all: the figures are missing"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_internal_link_and_anchor_resolves(crawl):
    base, _, pages = crawl
    host = urlsplit(base).netloc
    ids = {base + rel: set(f["ids"]) for rel, f in pages.items()}
    links = {(rel, href) for rel, f in pages.items() for href in f["links"] if urlsplit(href).netloc == host}
    links |= {(rel, base + f["redirect"]) for rel, f in pages.items() if f["redirect"]}
    assert links, "no internal link found"
    status, broken = {}, []
    for rel, href in sorted(links):
        doc, fragment = urldefrag(href)
        if doc not in status:
            status[doc] = _status(doc)
        if status[doc] != 200:
            broken.append(f"{rel}: {href} -> HTTP {status[doc]}")
            continue
        if fragment:
            path = urlsplit(doc)._replace(query="").geturl()
            if path not in ids:
                broken.append(f"{rel}: {href} -> anchor on a page that is not HTML")
            elif unquote(fragment) not in ids[path]:
                broken.append(f"{rel}: {href} -> no element with id {unquote(fragment)!r}")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken)


def test_every_citation_points_to_a_reference(crawl):
    base, _, pages = crawl
    entries = set(pages["book/references.html"]["bibliography"])
    assert entries, "the references page lists no bibliography entry"
    references = base + "book/references.html"
    cited = [(rel, href) for rel, f in pages.items() for href in f["citations"]]
    pages_citing = ["book/context.html", "book/intro.html"] + [f"book/{n}.html" for n in evaluations.REGISTRY]
    for page in pages_citing:
        assert any(rel == page for rel, _ in cited), f"no citation found on {page}"
    bad = [
        f"{rel}: {href}" for rel, href in cited if urldefrag(href)[0] != references or urldefrag(href)[1] not in entries
    ]
    assert not bad, "citations that do not point to an entry of the references page:\n" + "\n".join(bad)


def test_mathjax_renders_the_formulas(crawl):
    _, _, pages = crawl
    es = pages["book/elsalvador.html"]
    assert es["mathjax"] > 0, "MathJax rendered no formula on the El Salvador page"
    errors = {rel: f["math_errors"] for rel, f in pages.items() if f["math_errors"]}
    assert not errors, f"TeX errors rendered by MathJax: {errors}"


def _glued_text_refs(notebook: Path) -> list[tuple[str, str]]:
    """(name, format spec) of every {glue:text} role in the notebook's prose, in page order: in its
    Markdown cells and in the Markdown its cells display (the landing page writes its findings so)."""
    nb = nbformat.read(notebook, as_version=4)
    role = r"\{glue:text\}`([^`:]+):([^`]*)`"
    refs = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            refs += re.findall(role, cell.source)
        for out in cell.get("outputs", []):
            if not out.get("metadata", {}).get("scrapbook") and "text/markdown" in out.get("data", {}):
                refs += re.findall(role, out["data"]["text/markdown"])
    return refs


def test_el_salvador_headline_numbers_equal_the_model(crawl):
    """The glued NPV and IRR shown on the page are the model's, formatted as the prose asks."""
    _, _, pages = crawl
    notebook = ROOT / "book" / "elsalvador.ipynb"
    refs = _glued_text_refs(notebook)
    shown = pages["book/elsalvador.html"]["pasted"]
    assert len(shown) == len(refs), f"{len(refs)} {{glue:text}} roles in the prose but {len(shown)} on the page"
    params = nbformat.read(notebook, as_version=4).metadata["analysis_build"]["parameters"]
    m = evaluations.run("elsalvador", params["scenario"], params["overrides"])[1].metrics
    base = evaluations.run("elsalvador", "as_published")[1].metrics
    model = {
        "es_npv": m["npv"],
        "es_irr_pct": 100 * m["irr"],
        "es_base_npv": base["npv"],
        "es_base_irr_pct": 100 * base["irr"],
    }
    checked = []
    for (name, spec), text in zip(refs, shown):
        if name in model:
            assert text == format(model[name], spec), f"{name}: page shows {text!r}, model gives {model[name]!r}"
            checked.append(name)
    assert {"es_npv", "es_irr_pct"} <= set(checked), f"headline NPV/IRR not found in the prose: {refs}"


def _glued_values(notebook: Path) -> dict:
    """The numbers an executed notebook glued (its stored results), name -> float."""
    out = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            text = o.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                try:
                    out[name] = float(text)
                except ValueError:
                    pass
    return out


def test_every_glued_number_on_every_page_equals_the_executed_notebook(crawl):
    """Each number in the prose of every notebook page is the one its executed notebook stored."""
    _, _, pages = crawl
    checked = 0
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        refs, values = _glued_text_refs(notebook), _glued_values(notebook)
        shown = pages[f"book/{notebook.stem}.html"]["pasted"]
        assert len(shown) == len(refs), f"{notebook.name}: {len(refs)} glue roles, {len(shown)} on the page"
        for (name, spec), text in zip(refs, shown):
            assert text == format(values[name], spec), f"{notebook.name} {name}: page {text!r}, stored {values[name]!r}"
            checked += 1
    assert checked > 50


def test_chapter_screenshots_are_written(crawl, phone_crawl):
    for page in _chapters():
        for suffix in ("", "-390"):
            shot = SCREENSHOTS / f"{Path(page).stem}{suffix}.png"
            assert shot.is_file() and shot.stat().st_size > 10_000, f"no usable screenshot {shot}"


def test_missing_chromium_skips_locally_but_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browsing, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is missing"):
        browsing._require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        browsing._require_chromium()


# --- every evaluation chapter delivers the same parts ---------------------------------------------


def _section(html: Path, rel: str, section_id: str):
    soup = BeautifulSoup((html / rel).read_text(encoding="utf-8"), "html.parser")
    found = soup.find(id=section_id)
    assert found is not None, f"{rel}: no section {section_id!r}"
    # a MyST label renders as an empty <span id=...> at the start of its section
    return found if found.name == "section" else found.find_parent("section")


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_every_evaluation_chapter_has_every_part_in_order(crawl, name):
    _, html, _ = crawl
    page = (html / "book" / f"{name}.html").read_text(encoding="utf-8")
    assert chapter_parts(page, name) == [f"{name}-{part}" for part in chapter.PARTS]


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_every_register_cites_each_source_with_a_live_link(crawl, name):
    """Each row of the assumptions register links its source to an entry of the references page."""
    base, html, pages = crawl
    entries = set(pages["book/references.html"]["bibliography"])
    section = _section(html, f"book/{name}.html", f"{name}-assumptions")
    table = section.find("table")
    assert table is not None, f"{name}: the assumptions section has no table"
    header = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    assert header[:3] == ["parameter", "meaning", "value"] and "source" in header
    rows = table.find("tbody").find_all("tr")
    assert len(rows) == len(evaluations.get(name).parameters), f"{name}: one register row per parameter"
    col = header.index("source")
    for row in rows:
        cell = row.find_all("td")[col]
        links = [a["href"] for a in cell.find_all("a", href=True)]
        assert links, f"{name}: a register source without a citation link: {cell.get_text(strip=True)!r}"
        for href in links:
            target, fragment = urldefrag(href)
            assert target.endswith("references.html") and fragment in entries, f"{name}: {href}"
        assert "_" not in cell.get_text(strip=True), f"{name}: a raw BibTeX key shows: {cell.get_text(strip=True)!r}"


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_every_chapter_links_its_downloads_and_they_resolve(crawl, name):
    base, html, _ = crawl
    section = _section(html, f"book/{name}.html", f"{name}-downloads")
    hrefs = [a["href"] for a in section.find_all("a", href=True) if "_downloads" in a["href"]]
    ev = evaluations.get(name)
    sc = ev.load()  # each table's file is named by the page's scenario and its parameters' digest
    wanted = {contents.download_name(t, sc) for t in contents.download_tables(ev)} | {f"{name}.xlsx"}
    wanted |= {contents.workbook_name(ev)} - {None}
    assert {h.rsplit("/", 1)[-1] for h in hrefs} == wanted
    for h in hrefs:
        url = base + "book/" + h
        assert _status(url) == 200, url


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_every_uncertainty_part_shows_its_figures_and_the_sources_of_its_ranges(crawl, name):
    _, html, _ = crawl
    section = _section(html, f"book/{name}.html", f"{name}-uncertainty")
    assert len(section.find_all("img")) >= 2, f"{name}: tornado and histogram expected"
    cites = section.select("span.bibtex-citation a, a[href*='references.html']")
    ranged = [k for k, e in evaluations.load(name).entries.items() if "range" in e or "distribution" in e]
    assert len(cites) >= len(ranged), f"{name}: each range and distribution shows its source"


# --- an edition built from a hostile scenario file: its text shows as text, nothing runs -----------


def test_text_from_a_hostile_scenario_file_shows_literally_and_never_runs(edition, browser):
    """The suite's edition (conftest.edition) comes from a scenario file whose texts are HTML,
    Markdown and MyST: every page shows them as text and nothing of them runs."""
    html = edition[0]
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        for rel in ("book/elsalvador.html", "book/intro.html", "book/uncertainty.html"):
            page = browser.new_page()
            dialogs, errors = [], []
            page.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
            page.goto(base + rel, wait_until="networkidle")
            facts = page.evaluate(
                """() => (document.querySelectorAll('article details').forEach(d => { d.open = true; }), {
                  banner: (document.querySelector('.edition-banner') || {innerText: ''}).innerText,
                  article: document.querySelector('article').innerText,
                  injected: Array.from(document.querySelectorAll('script')).filter(
                    s => s.textContent.includes('alert(')).length
                    + document.querySelectorAll('article b, .edition-banner b, a[href^="javascript:"]').length,
                })"""
            )
            page.wait_for_timeout(300)  # a script that would run late
            page.close()
            assert not dialogs and not errors, f"{rel}: dialogs {dialogs}, console errors {errors}"
            assert facts["injected"] == 0, f"{rel}: an element from the parameter file's text"
            assert HOSTILE in facts["banner"], f"{rel}: the banner does not show the replaced locator as text"
            if rel == "book/elsalvador.html":  # the register, its notes: every text literally
                assert facts["article"].count(HOSTILE) >= 3, facts["article"][:2000]
                assert HOSTILE_MARKDOWN in facts["article"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the what-if explorer of each chapter -------------------------------------------------------


@pytest.mark.parametrize("name", list(evaluations.REGISTRY))
def test_every_chapter_explorer_works_by_keyboard_and_shows_the_engines_values(site, browser, name):
    """Sliders in words with their units, usable by keyboard (End: the top of the range, a grid
    point, where the page must show the engine's value exactly; one step right: off the grid,
    within the stated error), the verdict announced, readable at 390 px."""
    import json as _json

    base, html = site
    ev = evaluations.get(name)
    sc = ev.load()
    for viewport in ("desktop", "phone"):
        page = browser.new_page(viewport=VIEWPORTS[viewport])
        problems = []
        page.on("console", lambda m, p=problems: p.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, p=problems: p.append(str(e)))
        page.goto(f"{base}book/{name}.html", wait_until="load")
        data = _json.loads(page.text_content("div.explorer script[type='application/json']"))
        sliders = page.locator("div.explorer input[type=range]")
        assert sliders.count() == len(data["parameters"]) >= 1
        assert page.get_attribute(".explorer-verdict", "aria-live") == "polite"
        for i, p in enumerate(data["parameters"]):
            label = page.text_content(f"label[for='{sliders.nth(i).get_attribute('id')}']")
            assert p["unit"] in label and "_" not in label.split("(")[0]
        first = data["parameters"][0]
        sliders.nth(0).focus()
        page.keyboard.press("End")  # the top of the range: a grid point
        shown = page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('td[data-metric]')]"
            ".map(td => [td.dataset.metric, td.dataset.value]))"
        )
        exact = ev.run(None, {first["key"]: _typed(ev, first["key"], first["high"])})[1].metrics
        for m in data["metrics"]:
            if shown[m["name"]]:
                assert float(shown[m["name"]]) == pytest.approx(exact[m["name"]], rel=1e-8, abs=1e-8), m["name"]
        page.keyboard.press("Home")
        page.keyboard.press("ArrowRight")  # one step in: off the grid for a continuous slider
        value = float(sliders.nth(0).input_value())
        assert value > first["low"]
        exact = ev.run(None, {first["key"]: _typed(ev, first["key"], value)})[1].metrics
        shown = page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('td[data-metric]')]"
            ".map(td => [td.dataset.metric, td.dataset.value]))"
        )
        for m in data["metrics"]:
            if shown[m["name"]] and np.isfinite(exact[m["name"]]):
                assert abs(float(shown[m["name"]]) - exact[m["name"]]) <= 1.5 * m["error"] + 1e-8 * abs(
                    exact[m["name"]]
                ), m["name"]
        words = verdict.AT_A_POINT[bool(ev.criterion.passes(exact[ev.criterion.metric]))]
        said = page.text_content(".explorer-verdict")
        assert said.startswith((words[0].upper() + words[1:] + ":", "Too close", "No value")), said
        assert page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
        page.close()
        assert not problems, problems
    assert sc.name == ev.scenario


def _typed(ev, key, value):
    return int(round(value)) if ev.parameters[key].kind == "integer" else value


def test_the_introduction_table_links_every_registered_chapter_and_its_source(built_book):
    page = BeautifulSoup((built_book / "book" / "intro.html").read_text(encoding="utf-8"), "html.parser")
    table = next(t for t in page.find_all("table") if "The evaluations" in t.get_text())
    rows = table.find("tbody").find_all("tr")
    assert len(rows) == len(evaluations.REGISTRY)
    for ev, row in zip(evaluations.REGISTRY.values(), rows):
        cells = row.find_all("td")
        assert cells[0].find("a", href=f"{ev.name}.html") is not None, ev.name
        assert cells[2].find("a", href=lambda h: h and "references.html" in h) is not None, ev.name


# --- the verdicts: one sentence per evaluation, the same on every page that shows it ---------------


def verdict_boxes(html: Path) -> dict:
    """evaluation -> {page: the text of its verdict box} over every page of a built book."""
    found = {}
    for page in sorted(html.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for box in soup.select("div.verdict"):
            name = next(c for c in box["class"] if c.startswith("verdict-"))[len("verdict-") :]
            body = " ".join(p.get_text() for p in box.find_all("p") if "admonition-title" not in p.get("class", []))
            found.setdefault(name, {})[str(page.relative_to(html))] = _spaced(body.replace("’", "'"))
    return found


def _spaced(text: str) -> str:
    """``text`` with each run of blanks one space, the no-break space kept (it is the book's: "7.05 %")."""
    return re.sub(r"[ \t\n\r\f\v]+", " ", text).strip()


VERDICT_PAGES = ("book/intro.html", "book/summary.html", "book/uncertainty.html")


def readings_tables(html: Path) -> dict:
    """evaluation -> the rows (reading, verdict, flips) of its chapter's "Readings that can change
    the answer" table, as the built page shows them."""
    found = {}
    for name in evaluations.REGISTRY:
        soup = BeautifulSoup((html / "book" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        tables = [t for t in soup.select("table") if "Readings that can change the answer" in t.get_text()]
        assert len(tables) == 1, name
        rows = [[_spaced(td.get_text()) for td in tr.find_all("td")] for tr in tables[0].select("tbody tr")]
        found[name] = [(r[1].replace("’", "'").removeprefix("this book's: "), r[3], r[5]) for r in rows]
    return found


@pytest.mark.slow
def test_each_chapter_shows_its_readings_with_the_verdicts_the_library_computes(built_book):
    shown = readings_tables(built_book)
    for name in evaluations.REGISTRY:
        table = verdict.under_readings(evaluations.get(name))
        want = [(r.reading, r.verdict, "yes" if r.flips else "no") for r in table.itertuples()]
        assert shown[name] == want, name
    assert ("Real flows (deflated by the CPI) at the same rate, read as real", verdict.FAILS, "yes") in shown["peru"]


@pytest.mark.slow
def test_the_uncertainty_page_ranks_the_programmes_as_the_library_does(built_book):
    from analysis.publish import summary

    across = summary.comparison(summary.analyses(with_sobol=True))[0]
    ranking = "".join(p if isinstance(p, str) else p.shown() for p in verdict.ranking(across))
    page = BeautifulSoup((built_book / "book" / "uncertainty.html").read_text(encoding="utf-8"), "html.parser")
    assert ranking in _spaced(page.get_text()).replace("’", "'")  # MyST's smart quotes
    assert "The ranking does not survive uniform shapes." in ranking  # the finding, as of this release


@pytest.mark.slow
def test_every_page_shows_each_verdict_as_the_library_computes_it(built_book, edition):
    book = verdict_boxes(built_book)
    for name in evaluations.REGISTRY:
        assert set(book.get(name, {})) == {*VERDICT_PAGES, f"book/{name}.html"}, name
        want = verdict.analysed(evaluations.get(name))["verdict"].sentence
        assert set(book[name].values()) == {want}, (name, book[name])
    # an edition whose overrides change El Salvador's verdict: its pages say the edition's, alike
    folder, _, _ = edition
    shown = verdict_boxes(folder)
    es = verdict.analysed(evaluations.get("elsalvador"), "corrected", EDITION_OVERRIDES)["verdict"]
    assert es.word != verdict.analysed(evaluations.get("elsalvador"))["verdict"].word
    # the edition's scenario file (hostile) extends corrected and changes only texts
    want = es.sentence.replace("At scenario corrected with overrides", "At scenario hostile with overrides", 1)
    assert set(shown["elsalvador"]) == {*VERDICT_PAGES, "book/elsalvador.html"}
    assert set(shown["elsalvador"].values()) == {want}, shown["elsalvador"]
    for name in set(evaluations.REGISTRY) - {"elsalvador"}:  # the others keep the book's
        assert shown[name] == book[name]

"""The PDF edition and the version stamps, on a book built into a temporary folder.

The session's built book (``conftest.built_book``: ``analysis.publish.build.jupyter_book``, which
prints the PDF after a successful build) is read here, its PDF's text extracted with pypdf. The PDF
needs Debian's chromium: without it the tests that read the PDF skip, and fail under CI=true (as
tests/test_browser.py does).
"""

from __future__ import annotations

import io
import re
import sys
import unicodedata
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, require_chromium

from analysis import __version__, evaluations
from analysis.publish import citation, contents, pdf


def _require_chromium() -> None:
    require_chromium(pdf.CHROMIUM)


def _body(built, pages) -> str:
    """The pages' text joined without their footers, so that a paragraph broken across two pages
    reads as one."""
    left = re.escape(f"{pdf._book_title()} · version {__version__} · commit {built[1]}")
    return " ".join(re.sub(rf"{left}|page \d+ of \d+", " ", _squash(page)) for page in pages)


def _squash(text: str) -> str:
    """Ligatures undone (the PDF prints "fi" as one glyph) and whitespace collapsed (the PDF breaks
    lines where the HTML does not)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@pytest.fixture(scope="session")
def built(built_book):
    """(html folder, commit) of the session's built book (conftest.built_book), with its PDF."""
    _require_chromium()
    return built_book, contents.git_commit()


@pytest.fixture(scope="session")
def pdf_text(built):
    """(text of each PDF page, outline titles and their page indices)."""
    from pypdf import PdfReader

    html, _ = built
    path = html / pdf.NAME
    assert path.is_file(), f"no {pdf.NAME} in the built book"
    reader = PdfReader(path)
    pages = [page.extract_text() or "" for page in reader.pages]
    # the chapters: the outline's top level (each chapter's sections are nested under it)
    outline = [(i.title, reader.get_destination_page_number(i)) for i in reader.outline if not isinstance(i, list)]
    return pages, outline


def _titles(html: Path) -> list:
    """The title (h1, without its permalink) of every page of the table of contents, in order."""
    titles = []
    for page in contents.toc_pages():
        soup = BeautifulSoup((html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        h1 = soup.select_one("article h1") or soup.find("h1")
        for link in h1.select(".headerlink"):
            link.decompose()
        titles.append(_squash(h1.get_text()))
    return titles


@pytest.mark.slow
def test_the_cover_is_a_page_of_its_own_with_title_version_commit_date_and_how_to_cite(built, pdf_text):
    _, commit = built
    cover = _squash(pdf_text[0][0])
    assert "Social-housing finance in Latin America" in cover
    assert f"analysis version {__version__}" in cover
    assert f"commit {commit} of {pdf.commit_date()}" in cover, f"commit and date not on the cover: {cover[:400]!r}"
    meta = citation.metadata()
    assert _squash(citation.reference(meta)) in cover, "the cover does not say how to cite the book"
    assert "@software{housing_finance_book," in cover
    assert "Contents" not in cover and "page 1 of" not in cover, "the cover shares its page, or has a footer"


@pytest.mark.slow
def test_every_chapter_of_the_toc_is_printed_in_order_from_the_page_the_contents_give(built, pdf_text):
    html, _ = built
    pages, outline = pdf_text
    titles = _titles(html)
    assert [t for t, _ in outline] == titles, "one bookmark per page of the table of contents, in its order"
    starts = [p for _, p in outline]
    assert starts == sorted(starts) and len(set(starts)) == len(starts) and starts[0] == 2  # cover, contents
    listing = _squash(pages[1])
    assert "Contents" in listing, listing[:300]
    for (title, start), end in zip(outline, [*starts[1:], len(pages)]):
        assert title in _squash(pages[start]), f"{title!r} is not at the top of PDF page {start + 1}"
        assert f"{title} {start + 1}" in listing, f"the contents do not give {title!r} page {start + 1}"
        assert end > start
    positions = [listing.index(t) for t in titles]
    assert positions == sorted(positions), "the contents list the chapters in the order of the table of contents"


@pytest.mark.slow
def test_every_page_after_the_cover_is_numbered_in_one_sequence_from_the_cover(built, pdf_text):
    """The footer's number is the page's number in the file (what the contents and a PDF viewer
    give), not a number restarting in each chapter."""
    _, commit = built
    pages = pdf_text[0]
    total = len(pages)
    for number, text in enumerate(pages[1:], start=2):
        # the footer: "<title> · version V · commit C" and "page N of M", which the text gives in
        # either order (the prose may quote the form: only beside the footer's left part counts)
        left = re.escape(f"{pdf._book_title()} · version {__version__} · commit {commit}")
        number_box = r"page (\d+) of (\d+)"
        found = [
            tuple(g for g in m if g) for m in re.findall(rf"{number_box}\s*{left}|{left}\s*{number_box}", _squash(text))
        ]
        assert found == [(str(number), str(total))], f"PDF page {number}'s footer reads {found}"


@pytest.mark.slow
def test_every_folded_section_prints_open_and_no_interactive_element_prints(built, pdf_text):
    html, _ = built
    text = re.sub(r"\s", "", _body(built, pdf_text[0]))
    folded, missing, explorers = 0, [], 0
    for page in contents.toc_pages():
        soup = BeautifulSoup((html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        explorers += len(soup.select(".explorer"))
        for details in soup.select("article details"):
            if "above-input" in details.get("class", []):  # a code cell's toggle: code is not printed
                continue
            details.summary.decompose()
            words = re.sub(r"\s", "", _squash(details.get_text()))
            if len(words) > 20:
                folded += 1
                # a table's cells come out of the PDF's text in no fixed order: its last row's
                # cells, each, rather than the last 20 characters
                rows = details.select("tr")
                ends = [re.sub(r"\s", "", _squash(c.get_text())) for c in rows[-1].select("td, th")] if rows else []
                ends = [e for e in ends if e] or [words[-20:]]
                if words[:20] not in text or any(e not in text for e in ends):
                    missing.append(f"{page}: {words[:80]}")
    assert folded >= 3, "the book has folded sections (the explorers' other assumptions, at least)"
    assert not missing, f"{len(missing)} folded sections printed closed:\n" + "\n".join(missing)
    squashed = _body(built, pdf_text[0]).replace("’", "'")
    assert explorers >= 3 and squashed.count(pdf.EXPLORER_NOTE) == explorers, "each explorer is named, not printed"
    script = (ROOT / "book" / "_static" / "explorer.js").read_text(encoding="utf-8")
    controls = re.findall(r'el\("button", \{[^}]*\}, "([^"]+)"\)', script)
    assert controls, "explorer.js changed: find its buttons' labels again"
    for label in controls:
        assert label.replace("\\'", "'") not in squashed, f"the explorer's button {label!r} is printed"


def _geometry(page) -> tuple[float, list]:
    """How far down its printable area the page's content reaches (text and images, 0 to 1), and
    each piece of text that starts outside the page's width, as (text, x)."""
    mm = 72 / 25.4
    height, width = float(page.mediabox.height), float(page.mediabox.width)
    top, bottom = height - 16 * mm, 18 * mm  # pdf.MARGIN: the footer is below ``bottom``
    lowest, off = [top], []

    def text(t, cm, tm, font, size):
        if not t.strip():
            return
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        if y > bottom:
            lowest.append(y)
        if not 0 <= x < width - 5:
            off.append((t.strip()[:40], round(x)))

    def image(op, args, cm, tm):
        if op == b"Do":  # an image fills the unit square the matrix maps
            lowest.append(min(cm[5], cm[5] + cm[3]))

    page.extract_text(visitor_text=text, visitor_operand_before=image)
    return (top - min(lowest)) / (top - bottom), off


@pytest.fixture(scope="session")
def geometry(built):
    """(share filled, text off the page) of every page of the PDF, read once."""
    from pypdf import PdfReader

    html, _ = built
    return [_geometry(page) for page in PdfReader(html / pdf.NAME).pages]


@pytest.mark.slow
def test_no_page_is_half_blank_except_before_a_chapter(pdf_text, geometry):
    starts = {p for _, p in pdf_text[1]}
    # the cover and the contents are pages of their own; a chapter's last page ends where it ends
    exempt = {0, 1, len(geometry) - 1} | {s - 1 for s in starts}
    blank = {i + 1: round(f, 2) for i, (f, _) in enumerate(geometry) if i not in exempt and f < 0.5}
    assert not blank, f"pages (number: share filled) half blank inside a chapter: {blank}"


@pytest.mark.slow
def test_the_pdf_is_tagged_and_names_its_title_authors_and_date(built):
    from pypdf import PdfReader

    html, commit = built
    reader = PdfReader(html / pdf.NAME)
    info, meta = reader.metadata, citation.metadata()
    assert info.get("/Title") == pdf._book_title()
    assert info.get("/Author") == "; ".join(citation.authors(meta))
    assert info.get("/Subject") == f"analysis version {__version__}, commit {commit}"
    assert str(info.get("/CreationDate")).startswith("D:" + pdf.commit_date().replace("-", ""))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"], "the PDF is not tagged"
    assert root["/Lang"] == "en"
    sections = [i for i in reader.outline if isinstance(i, list)]
    assert len(sections) >= 6, "the chapters' sections are bookmarked under them"


def _glued_text_refs(notebook: Path) -> list:
    """(name, format spec) of every {glue:text} role in the notebook's prose, in page order."""
    refs = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            refs += re.findall(r"\{glue:text\}`([^`:]+):([^`]*)`", cell.source)
    return refs


@pytest.mark.slow
def test_the_headline_numbers_are_printed_as_the_chapter_shows_them(pdf_text):
    """El Salvador's NPV and IRR, formatted as the chapter's prose asks, in the El Salvador pages."""
    pages, outline = pdf_text
    ev = evaluations.get("elsalvador")
    title = next(i for i, (t, _) in enumerate(outline) if t.startswith("El Salvador"))
    first, last = outline[title][1], outline[title + 1][1]
    text = _squash(" ".join(pages[first:last]))
    notebook = ROOT / "book" / "elsalvador.ipynb"
    params = nbformat.read(notebook, as_version=4).metadata["analysis_build"]["parameters"]
    metrics = ev.run(params["scenario"], params["overrides"])[1].metrics
    model = {"es_npv": metrics["npv"], "es_irr_pct": 100 * metrics["irr"]}
    refs = [(name, spec) for name, spec in _glued_text_refs(notebook) if name in model]
    assert {name for name, _ in refs} == set(model), f"headline NPV/IRR not glued in the prose: {refs}"
    for name, spec in refs:
        shown = _squash(format(model[name], spec))  # the PDF's text has a plain space for a no-break one
        assert shown in text, f"{name} {shown!r} is not in the El Salvador pages of the PDF"
    for m in ev.metrics:  # the results table, formatted by the contract
        assert _squash(m.format(metrics[m.name])) in text


@pytest.mark.slow
def test_the_print_style_hides_the_navigation_the_footer_and_the_code_toggles(built, pdf_text):
    html, _ = built
    soup = BeautifulSoup((html / "book" / "summary.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one(".bd-sidebar-primary") and soup.select_one(".prev-next-area"), "the theme changed"
    text = _body(built, pdf_text[0])
    shown_online = ("Skip to main content", "Back to top", "Ctrl+K", "each chapter's assumptions", "for printing:")
    for chrome in (*shown_online, "Show code cell source", "Hide code cell source"):
        assert chrome not in text, f"{chrome!r} (navigation or footer) is printed"


@pytest.mark.slow
def test_every_page_footer_links_the_pdf_and_the_link_resolves(built):
    html, _ = built
    pages = sorted(p for p in html.rglob("*.html") if "_static" not in p.parts and p.name != "index.html")
    assert len(pages) >= len(contents.toc_pages())
    for page in pages:
        links = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select("a.pdf-edition")
        assert len(links) == 1, f"{page.relative_to(html)}: no link to the PDF edition in the footer"
        assert (page.parent / links[0]["href"]).resolve() == (html / pdf.NAME).resolve()


@pytest.mark.slow
def test_the_changelog_page_shows_the_commit(built):
    html, commit = built
    text = _squash(BeautifulSoup((html / "book" / "changelog.html").read_text(encoding="utf-8"), "html.parser").text)
    assert "{{" not in text and "}}" not in text, "a MyST substitution is printed literally"
    assert f"version {__version__}, built from commit {commit}." in text
    assert re.fullmatch(r"[0-9a-f]{12}(\+dirty)?|unknown", commit)


@pytest.mark.slow
def test_the_what_changed_page_lists_previous_and_current_values(built):
    html, _ = built
    soup = BeautifulSoup((html / "book" / "changes.html").read_text(encoding="utf-8"), "html.parser")
    tables = soup.select("article table")
    assert tables, "the What changed page has no table"
    header = [th.get_text(strip=True) for th in tables[0].select("thead th")]
    assert header[:4] == ["evaluation", "scenario", "measure", "unit"]
    assert any(h.startswith("previous") for h in header) and any(h.startswith("current") for h in header)
    evaluations_shown = {tr.select("td")[0].get_text(strip=True) for tr in tables[0].select("tbody tr")}
    assert evaluations_shown == {ev.title.split(":")[0] for ev in evaluations.REGISTRY.values()}


def test_without_chromium_the_pdf_is_skipped_with_one_line_and_no_link(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "CHROMIUM", tmp_path / "no-chromium")
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert pdf.write(tmp_path) is None
    assert printed.getvalue().count("\n") == 1 and "PDF edition skipped" in printed.getvalue()
    assert "no-chromium is missing" in printed.getvalue()
    assert not list(tmp_path.iterdir())

    class App:
        connected = []

        def connect(self, event, handler):
            self.connected.append(event)

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import pdf_link

    pdf_link.setup(App())
    assert App.connected == [], "no footer link to a PDF that is not written"


def test_missing_chromium_skips_locally_but_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is missing"):
        _require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _require_chromium()
    assert sys.modules[__name__]  # the module's own helper, as tests/test_browser.py's


@pytest.mark.slow
def test_the_print_layout_keeps_every_paragraph_within_the_page(built, pdf_text):
    """The start and the end of each plain paragraph of every chapter are printed: nothing is cut
    at the page's edges (the theme's layout is wider than an A4 page unless the print style
    narrows it). Compared without spaces: the PDF's text breaks lines after hyphens."""
    html, _ = built
    text = re.sub(r"\s", "", _body(built, pdf_text[0]))
    # a page's text, without its footer, as it starts: where a paragraph broken across two pages
    # resumes (the PDF's text of the first page may end with a floated table, not the paragraph)
    starts = [re.sub(r"\s", "", _body(built, [page]))[:40] for page in pdf_text[0]]

    def printed(fragment: str) -> bool:
        return fragment in text or any(
            fragment[:k] in text and any(s.startswith(fragment[k:]) for s in starts) for k in range(1, len(fragment))
        )

    checked, missing = 0, []
    for page in contents.toc_pages():
        soup = BeautifulSoup((html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        for p in soup.select("article p"):
            if p.find_parent(["table", "footer", "details", "nav"]) or p.select("code, .math, span.pasted-text, img"):
                continue
            for anchor in p.select("a.headerlink"):  # the '#' permalink shows on screen only
                anchor.decompose()
            words = re.sub(r"\s", "", _squash(p.get_text()))
            if len(words) > 80:
                checked += 1
                if not printed(words[:30]) or not printed(words[-30:]):
                    missing.append(f"{page}: {words[:100]}")
    assert checked > 50
    assert not missing, f"{len(missing)} paragraphs not printed whole:\n" + "\n".join(missing[:10])


@pytest.mark.slow
def test_no_text_is_printed_off_the_page(geometry):
    """Every piece of text starts within the page's width (a layout wider than the paper is cut)."""
    off = [f"page {n}: {t!r} at x = {x}" for n, (_, found) in enumerate(geometry, start=1) for t, x in found]
    assert len(geometry) > 50
    assert not off, f"{len(off)} pieces of text off the page:\n" + "\n".join(off[:10])


@pytest.mark.slow
def test_the_pdf_prints_each_verdict_as_the_pages_show_it(built, pdf_text):
    from analysis.core import verdict

    # compared without spaces: the PDF's text breaks lines after hyphens ("real- estate")
    text = re.sub(r"\s", "", _body(built, pdf_text[0]).replace("’", "'"))
    for name, ev in evaluations.REGISTRY.items():
        sentence = verdict.analysed(ev)["verdict"].sentence
        assert text.count(re.sub(r"\s", "", sentence)) >= 4, (name, sentence)  # landing, summary, uncertainty, chapter


@pytest.mark.slow
def test_the_pdf_prints_each_readings_table_and_the_ranking_as_the_library_computes_them(built, pdf_text):
    from analysis.core import verdict
    from analysis.publish import summary
    from analysis.publish.markup import percent

    text = _body(built, pdf_text[0]).replace("’", "'")
    for name, ev in evaluations.REGISTRY.items():
        for r in verdict.under_readings(ev).itertuples():
            # a row: the reading, its decision measure (after the measure's name when it is not the
            # table's first), its verdict, P(fails), whether it flips the conclusion
            row = (
                re.escape(_squash(r.reading))
                + r" (?:[^|]{0,80}: )?"
                + re.escape(_squash(f"{r.shown} {r.verdict} {percent(r.p_fails, 1)} {'yes' if r.flips else 'no'}"))
            )
            assert re.search(row, text), (name, r.reading)
    across = summary.comparison(summary.analyses(with_sobol=True))[0]
    ranking = "".join(p if isinstance(p, str) else p.shown() for p in verdict.ranking(across))
    assert _squash(ranking).replace("’", "'") in text

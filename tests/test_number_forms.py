"""Every built page shows its numbers in the book's one vocabulary (analysis.core.numbers): one
form of "%" (a no-break space before it), no signed zero, no percentage with more than four
decimals, no "310,000 million" (the scale word takes the figure below a thousand), a change of a
rate in percentage points, and bold only on the headline figures.

Scanned: the visible text of every page of the HTML root, without scripts, styles, code and
math. Exempt, because they print the source as it is written: text inside quotation marks («»,
“”, ‘’), the cells of columns that give where a value comes from (headed "locator" or "... source
..."), and the changelog (history, as it was written then)."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow

NBSP = "\u00a0"
QUOTED = re.compile(r"«[^»]*»|“[^”]*”|‘[^’]*’")
FORMS = {
    # a percent sign straight after its figure, or after an ordinary (breaking) space
    "percent without its no-break space": re.compile(r"\d[ ]?%"),
    "signed zero": re.compile(r"(?<![\w.,])[-−+]0(?:\.0+)?(?![\d.,])(?!\s*(?:to|–)\s*\d)"),
    "percentage finer than four decimals": re.compile(r"\d\.\d{5,}\s?%"),
    "a thousand or more of a scale word": re.compile(r"\d,\d{3}\s(?:million|billion|trillion)\b"),
}
SKIPPED = ["script", "style", "code", "pre", "kbd", "samp", "math"]
EXEMPT_PAGES = ("book/changelog.html",)  # the changelog quotes what was written at each release


def _source_column(td) -> bool:
    """A table cell under a header that says where a value comes from (a literal locator)."""
    table = td.find_parent("table")
    heads = table.find("thead") if table else None
    if heads is None:
        return False
    cells = heads.find_all("th")
    i = len(td.find_previous_siblings(["td", "th"]))
    head = cells[i].get_text(" ", strip=True).lower() if i < len(cells) else ""
    return "locator" in head or "source" in head


def visible_text(html: str) -> str:
    """The text a reader sees in a page's article, without the exempt parts (see the module)."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main") or soup
    for tag in main.find_all(SKIPPED):
        tag.decompose()
    for tag in main.select(".math, .MathJax, span.math"):
        tag.decompose()
    for td in main.find_all("td"):
        if _source_column(td):
            td.decompose()
    return QUOTED.sub(" ", main.get_text(" "))


def wrong_forms(text: str) -> list:
    """(form, excerpt) of every number written in a form the book does not use."""
    out = []
    for form, pattern in FORMS.items():
        for m in pattern.finditer(text):
            out.append((form, " ".join(text[max(m.start() - 40, 0) : m.end() + 15].split())))
    return out


def change_cells(html: str) -> list:
    """Cells of a column headed "difference" or "change" that give a change of a rate in %."""
    soup = BeautifulSoup(html, "html.parser")
    out = []
    for table in soup.find_all("table"):
        heads = [th.get_text(" ", strip=True).lower() for th in table.select("thead th")]
        for row in table.select("tbody tr"):
            for head, td in zip(heads, row.find_all(["td", "th"])):
                if head in ("difference", "change") and td.get_text(strip=True).endswith("%"):
                    out.append(" | ".join(c.get_text(" ", strip=True) for c in row.find_all(["td", "th"]))[:160])
    return out


def test_the_scan_finds_each_form():
    """The patterns catch what the reviewer found (so that the test of the book can fail)."""
    found = {f for f, _ in wrong_forms("50% and 7.05 % and -0.00 % and 62.01525596 % and USD 310,000 million")}
    assert found == set(FORMS)
    assert not wrong_forms(f"50{NBSP}% and 0.00{NBSP}% and USD{NBSP}310{NBSP}billion, from -0.5 to 0.5, 2002-03")
    assert not wrong_forms(visible_text("<main><p>«del 12% nominal» ‘5%’</p></main>"))
    row = "<table><thead><tr><th>measure</th><th>difference</th></tr></thead><tbody><tr><td>IRR</td><td>+0.1 %</td>"
    assert change_cells(row + "</tr></tbody></table>")


def scan(root) -> list:
    """Every number of every page under the HTML ``root`` in a form the book does not use."""
    pages = sorted(p for p in root.rglob("*.html") if "_static" not in p.parts)
    assert len(pages) > 5, f"{root}: not a built book"
    bad = []
    for page in pages:
        name = page.relative_to(root).as_posix()
        if name in EXEMPT_PAGES:
            continue
        html = page.read_text(encoding="utf-8")
        bad += [f"{name}: {form}: …{excerpt}…" for form, excerpt in wrong_forms(visible_text(html))]
        bad += [f"{name}: a change of a rate in %: {row}" for row in change_cells(html)]
    return bad


def test_every_page_writes_numbers_in_the_books_forms(built_book):
    bad = scan(built_book)
    assert not bad, f"{len(bad)} numbers in other forms:\n" + "\n".join(bad[:60])


def test_bold_only_on_the_headline_figures(built_book, browser):
    """A glued number is bold only in the verdict box or where the prose marks it strong (myst-nb
    makes every pasted number bold; book/_static/analysis.css undoes it)."""
    page = browser.new_page()
    try:
        wrong, seen = [], 0
        for stem in ("peru", "elsalvador", "gret", "summary", "uncertainty"):
            page.goto((built_book / "book" / f"{stem}.html").as_uri())
            spans = page.eval_on_selector_all(
                "main span.pasted-text",
                """els => els.map(e => [e.textContent, parseInt(getComputedStyle(e).fontWeight) >= 600,
                                        !!e.closest('strong, b, .verdict')])""",
            )
            seen += len(spans)
            wrong += [f"{stem}: {t!r} bold={b}, headline={h}" for t, b, h in spans if b != h]
        assert seen > 50 and not wrong, "\n".join(wrong[:40])
    finally:
        page.close()

"""The bibliography is exact: author-year labels that are unique and match the text, titles as
their documents give them (case kept), [descriptions] only where a document has no title, and no
BibTeX key or file path in anything a reader sees.

Fast tests format book/references.bib with the book's own pybtex style (book/_ext/
bibliography_style.py), through the same calls sphinxcontrib-bibtex makes (sort, format_labels,
format_entry). The slow test builds the book and reads the references page and the chapters'
citations in the HTML.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest
from pybtex.database import parse_file
from pybtex.richtext import Text

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "book" / "references.bib"
# The plain-text source documents (outside the repository; the checks against them skip without it).
SEEDS = Path(os.environ.get("BOOK_SEEDS_DIR", "/work/shared/seeds"))

# The five source documents of the book, and words each one's entry must show with its capitals.
SOURCES = {
    "idb_pe_fmv": "Fondo Mivivienda",
    "idb_es_cclip": "Fondo Social para la Vivienda",
    "idb_gret_2002": "Estudio BID Vivienda",
    "vilab_2024": "Transformando el Mercado de Vivienda Progresiva",
    "redeamerica_2010": "Iniciativas comunitarias exitosas",
}
URL = re.compile(r"https?://\S+")


def _style_module():
    path = ROOT / "book" / "_ext" / "bibliography_style.py"
    spec = importlib.util.spec_from_file_location("bibliography_style", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STYLE = _style_module()


def _formatted(bib_path: Path = BIB) -> dict:
    """key -> (label, plain text, html) as sphinxcontrib-bibtex formats the entries."""
    entries = parse_file(str(bib_path)).entries
    style = STYLE.AuthorYearExactStyle()
    ordered = style.sort(entries.values())
    labels = style.format_labels(ordered)
    out = {}
    for label, entry in zip(labels, ordered):
        fe = style.format_entry(label, entry)
        out[fe.key] = (fe.label, fe.text.render_as("text"), fe.text.render_as("html"))
    return out


def _leaks(text: str, keys) -> list:
    """BibTeX keys (as whole words, case-sensitive) and file paths in a reader-visible text."""
    bare = URL.sub(" ", text)
    found = [k for k in keys if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", bare)]
    found += [m for m in ("seeds/", ".txt", "shared/") if m in bare]
    return found


@pytest.fixture(scope="module")
def bib():
    return parse_file(str(BIB)).entries


@pytest.fixture(scope="module")
def formatted():
    return _formatted()


def test_labels_are_unique_author_year(bib, formatted):
    labels = [label for label, _, _ in formatted.values()]
    assert len(set(labels)) == len(labels), sorted(label for label in labels if labels.count(label) > 1)
    for key, (label, text, _) in formatted.items():
        author, year = STYLE.split_label(label, bib[key])
        handle = bib[key].fields.get("handle")
        tail = f", {re.escape(handle)}" if handle else ""
        assert re.fullmatch(rf"(\d{{4}}[a-z]?|n\.d\.(-[a-z])?){tail}", year), (key, label)
        # the list entry opens with the label's author and year
        assert text.startswith(author.split(" et al.")[0].split(" and ")[0].split(",")[0]), (key, text)
        assert re.match(r".*?\(([^()]+)\)\. ", text).group(1) == year, (key, text)


def test_labels_get_suffixes_only_where_two_would_read_alike(bib, formatted):
    by_base = defaultdict(list)
    for key, (label, _, _) in formatted.items():
        author, year = STYLE.split_label(label, bib[key])
        by_base[(author, STYLE.label_year(bib[key]))].append(year)
    for (author, base), years in by_base.items():
        if len(years) == 1:
            assert years == [base], (author, years)
        else:
            assert sorted(years) == [f"{base}{'-' if base == 'n.d.' else ''}{c}" for c in "abcdefgh"[: len(years)]]


def test_the_source_documents_have_distinct_labels(formatted):
    labels = [formatted[key][0] for key in SOURCES]
    assert len(set(labels)) == len(labels), labels
    # the two undated IDB analyses are told apart by what a reader can search for, not "n.d.-a"/"n.d.-b"
    assert formatted["idb_es_cclip"][0] == "Banco Interamericano de Desarrollo, n.d., ES-L1165"
    assert formatted["idb_pe_fmv"][0] == "Banco Interamericano de Desarrollo, n.d., Peru FMV"
    assert not [label for label, _, _ in formatted.values() if "n.d.-" in label]


def test_the_source_documents_say_where_to_find_them(bib, formatted):
    for key in ("idb_es_cclip", "idb_pe_fmv", "idb_gret_2002"):
        fields = bib[key].fields
        assert fields["institution"] and ("url" in fields or "howpublished" in fields), key
        assert fields["howpublished"] in formatted[key][1].replace("–", "--"), key
        if "description" in fields:  # no title of its own: the note says so
            assert "has no title page, title" in fields["note"], key
    # the El Salvador analysis names its operation (POD ES-L1165, footnote 8)
    assert "Ex ante economic analysis of operation ES-L1165." in formatted["idb_es_cclip"][1]


def test_titles_keep_their_capitals(bib, formatted):
    for key, words in SOURCES.items():
        assert words in formatted[key][1], (key, formatted[key][1])
    for key, entry in bib.items():
        for name in ("title", "description"):
            if name in entry.fields:
                assert Text.from_latex(entry.fields[name]).render_as("text") in formatted[key][1], key


def test_a_description_is_bracketed_a_title_is_not(bib, formatted):
    for key, entry in bib.items():
        fields = entry.fields
        assert ("title" in fields) != ("description" in fields), f"{key}: a title or a description, not both"
        html = formatted[key][2]
        if "title" in fields:
            assert not fields["title"].lstrip("{").startswith("["), f"{key}: a bracketed title is a description"
            assert "<em>" in html and "[" not in html.split("<em>")[1].split("</em>")[0][:1], key
        else:
            shown = Text.from_latex(fields["description"]).render_as("text")
            assert f"[{shown}]." in formatted[key][1], key
            assert "<em>" not in html, key


def test_no_key_or_file_path_in_an_entry(bib, formatted):
    for key, (_, text, _) in formatted.items():
        assert not _leaks(text, bib), (key, _leaks(text, bib), text)


def test_the_leak_check_catches_a_key_and_a_path(tmp_path):
    bad = BIB.read_text(encoding="utf-8").replace(
        "its latest data are of March 2024",
        "Source document 001 (seeds/001.txt), as quoted in idb\\_es\\_cclip",
    )
    (tmp_path / "bad.bib").write_text(bad, encoding="utf-8")
    text = _formatted(tmp_path / "bad.bib")["idb_pe_fmv"][1]
    assert set(_leaks(text, parse_file(str(BIB)).entries)) >= {"idb_es_cclip", "seeds/", ".txt"}


def test_urls_are_links(bib, formatted):
    for key, entry in bib.items():
        if "url" in entry.fields:
            assert f'href="{entry.fields["url"]}"' in formatted[key][2], key


def _words(text: str) -> list:
    return re.findall(r"\w+", text)


def _contains(haystack: list, needle: list) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the source documents are not on this machine")
def test_titles_and_urls_are_as_the_documents_give_them(bib):
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    words = [_words(t) for t in texts]
    for key, entry in bib.items():
        if "title" in entry.fields and "doi" not in entry.fields:  # a method's paper: its DOI is its handle
            title = _words(Text.from_latex(entry.fields["title"]).render_as("text"))
            assert any(_contains(w, title) for w in words), f"{key}: title not found as written in a source document"
        if "url" in entry.fields:
            assert any(entry.fields["url"] in t for t in texts), f"{key}: URL not given by a source document"


# ---- the built book ---------------------------------------------------------------------------


@pytest.mark.slow
def test_built_references_and_citations(built_book, bib):
    from bs4 import BeautifulSoup

    html = built_book / "book"
    page = BeautifulSoup((html / "references.html").read_text(encoding="utf-8"), "html.parser")

    # an unnumbered author-year list: no <ol>, no [1] label column, one item per entry
    items = page.select("ul.bibliography > li")
    assert len(items) == len(bib)
    assert not page.select("ol.bibliography, div.citation span.label, li span.label")
    entry = {li["id"]: li.get_text(" ", strip=True) for li in items}
    leads = [re.match(r"(.*?\([^()]+\))\.", text).group(1) for text in entry.values()]
    assert len(set(leads)) == len(leads), "two entries open with the same author and year"
    for text in entry.values():
        assert not _leaks(text, bib), (_leaks(text, bib), text)
    assert "Fondo Social para la Vivienda" in page.get_text()
    assert "fondo social para la vivienda" not in page.get_text()

    # every citation in every chapter: the label it shows is its entry's author and year, one label per entry
    label_of = defaultdict(set)
    for path in sorted(html.glob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for span in soup.select("span.bibtex-citation"):
            assert not _leaks(span.get_text(" "), bib), (path.name, span.get_text())
            for a in span.select("a"):
                assert not _leaks(a.get("title", ""), bib), (path.name, a.get("title"))
                target = a["href"].split("#")[1]
                assert a["href"].startswith("references.html#") and target in entry, (path.name, a["href"])
                shown = a.get_text()
                # the year part of the entry's label ("2018", "n.d., ES-L1165")
                year = re.match(r".*?\(([^()]+)\)\. ", entry[target]).group(1)
                if shown != year:  # (Author, Year); else Author (Year), whose link is the year
                    assert shown.endswith(f", {year}"), (shown, entry[target])
                    first = shown[: -len(year) - 2].split(" et al.")[0].split(" and ")[0]
                    assert entry[target].startswith(first), (shown, entry[target])
                assert f"({year})." in entry[target], (shown, entry[target])
                label_of[target].add(year)
    assert all(len(years) == 1 for years in label_of.values()), label_of
    # the three analyses the evaluations re-implement are cited with three different labels
    cited = {t: entry[t] for t in label_of}
    sources = [
        next(t for t, text in cited.items() if words in text)
        for words in ("Fondo Mivivienda", "Fondo Social para la Vivienda", "Estudio BID Vivienda")
    ]
    assert len(set(sources)) == 3
    assert len({next(iter(label_of[t])) for t in sources}) == 3


@pytest.mark.slow
def test_every_entry_is_cited_in_the_built_book(built_book, bib):
    """An entry no page cites is not a source of the book: cite it where it is used or remove it."""
    from bs4 import BeautifulSoup

    html = built_book / "book"
    page = BeautifulSoup((html / "references.html").read_text(encoding="utf-8"), "html.parser")

    def lead(text):  # "Authors (Year).": unique to an entry (test_built_references_and_citations)
        return " ".join(re.match(r"(.*?\([^()]+\))\.", text).group(1).split())

    key_by_lead = {lead(plain): k for k, (_, plain, _) in _formatted().items()}
    key_of = {li["id"]: key_by_lead[lead(li.get_text(" ", strip=True))] for li in page.select("ul.bibliography > li")}
    cited = set()
    for path in sorted(html.glob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for a in soup.select("span.bibtex-citation a"):
            cited.add(key_of[a["href"].split("#")[1]])
    assert sorted(set(bib) - cited) == [], "entries no page of the book cites"

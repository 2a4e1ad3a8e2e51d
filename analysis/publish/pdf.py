"""The book's PDF edition, for printing and circulation: ``book.pdf`` at the root of the HTML.

After a successful HTML build the whole book is printed as **one document** in Debian's chromium
(Playwright, no browser download; the HTML is served on 127.0.0.1, nothing else is reached): the
first page of the table of contents (:func:`analysis.contents.toc_pages`) is opened and every
other page's article is appended to it, in order, each chapter starting a new page, behind a cover
page of its own (title, version, the commit and its date, how to cite the book, from
``CITATION.cff``) and a contents page. One document rather than one per chapter, so that

- the pages are numbered once, from the cover to the end, and the contents give those numbers
  (the footer is a CSS page-margin box: "page 46 of 136" is page 46 of the file);
- chromium tags the PDF (its structure tree survives: no merging, which drops it).

It is printed twice: the first print tells on which page each chapter starts (chromium's outline
of the headings), the second prints those numbers in the contents, and is checked to start every
chapter on the same page. pypdf then writes one bookmark per chapter and per section, and the
metadata (title, authors, subject, keywords, the commit's date).

The print style sheet drops what only works on a screen: sidebars, navigation, header buttons,
the explorers' sliders and buttons (a line says the explorer is in the HTML book), and links
inside the site (they would point at the local server); every folded ``<details>`` prints open.

Every HTML page's footer links the PDF (this module is also read by a Sphinx extension, added by
the build's stamped config). Without chromium the PDF is skipped with one line and no link is
written; ``tests/test_pdf.py`` then skips, or fails under CI=true.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import html as html_escape
import io
import logging
import subprocess
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .. import __version__
from ..core.params import ROOT
from . import citation
from . import contents as book_contents

CHROMIUM = Path("/usr/bin/chromium")
NAME = "book.pdf"  # at the root of the HTML
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000
MARGIN = {"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}
PRINT_WIDTH_PX = round((210 - 28) / 25.4 * 96)
EXPLORER_NOTE = "The explorer is interactive: it is in the HTML book of this version."

# The printed page: the article only, its tables and figures within the page width; what only
# works on a screen is not printed; folded sections print open (their summary as a plain lead).
PAGE_CSS = """
@page {
  margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: LEFT; font: 8px sans-serif; color: #555; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8px sans-serif; color: #555; }
}
@page :first { @bottom-left { content: none; } @bottom-right { content: none; } }
"""
PRINT_CSS = """
@media print {
  .bd-header, .bd-header-article, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
  .bd-footer-article, .bd-footer-content, .prev-next-area, .header-article-items, #pst-back-to-top,
  .skip-link, .search-button__wrapper, .headerlink, .toggle-button, nav, .d-print-none,
  details.hide.above-input, .cell_input, #jb-print-docs-body,
  input, button, select, textarea, .explorer > :not(.print-note)
    { display: none !important; }
  .bd-container, .bd-container__inner, .bd-main, .bd-content, .bd-article-container, .bd-article
    { max-width: 100% !important; min-width: 0 !important; width: auto !important;
      margin: 0 !important; padding: 0 !important; }
  .bd-main .bd-content .bd-article h1:first-of-type { display: block !important; }
  html { font-size: 13px; }
  table { font-size: 0.82em; max-width: 100% !important; }
  .table-wrapper, .pst-scrollable-table-container, .output, .cell_output, .table-scroll
    { overflow: visible !important; max-height: none !important; max-width: 100% !important; }
  h1, h2, h3, h4 { break-after: avoid; }
  img, figure, tr { break-inside: avoid; }
  /* the theme keeps a table whole, which moves a long one to the next page and leaves half a page
     blank: a table breaks between rows, its header repeated */
  table { break-inside: auto !important; }
  caption { break-after: avoid; }
  /* a figure never takes more than about half a page, so one that does not fit leaves no half-blank page */
  img { max-height: 120mm; width: auto !important; max-width: 100% !important; }
  a:not([href]) { color: inherit; text-decoration: none; }
  details > summary { list-style: none; font-weight: 600; }
  details > summary::-webkit-details-marker { display: none; }
  .print-chapter, .print-contents { break-before: page; }
  .print-cover { break-after: page; }
  .print-cover h1 { font-size: 26px; margin: 40mm 0 8mm; line-height: 1.25; }
  .print-cover p { margin: 0 0 2mm; }
  .print-cover .commit, .print-cover pre { font-family: monospace; }
  .print-cover h2 { font-size: 15px; margin: 14mm 0 3mm; }
  .print-cover pre { font-size: 10px; white-space: pre-wrap; background: none; border: 0; padding: 0; }
  .print-contents table { border-collapse: collapse; width: 100%; font-size: 13px; }
  .print-contents td { padding: 1.2mm 0; border-bottom: 1px dotted #aaa; }
  .print-contents td.page { text-align: right; width: 20mm; }
  .print-note { font-style: italic; }
}
"""

# Build the one printed document in the first page: the cover, then every page's article as a
# chapter (the contents go after the cover once the chapters' titles are known); open every fold;
# drop the local links. Returns each chapter's title and its sections' (h2), as the page shows them.
ASSEMBLE = """async ({pages, cover, note}) => {
  const article = document.querySelector('article.bd-article');
  const chapter = nodes => {
    const sec = document.createElement('section');
    sec.className = 'print-chapter';
    for (const n of nodes) sec.appendChild(document.adoptNode(n));
    return sec;
  };
  const chapters = [chapter(Array.from(article.childNodes))];
  for (const rel of pages.slice(1)) {
    const response = await fetch(new URL(rel, location.origin + '/'));
    if (!response.ok) throw new Error(rel + ': HTTP ' + response.status);
    const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
    chapters.push(chapter(Array.from(doc.querySelector('article.bd-article').childNodes)));
  }
  article.innerHTML = cover;
  chapters.forEach(c => article.appendChild(c));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
    await MathJax.typesetPromise();
  }
  await document.fonts.ready;
  await Promise.all(Array.from(document.images, i => { i.loading = 'eager'; return i.decode().catch(() => null); }));
  for (const d of document.querySelectorAll('details')) d.open = true;
  for (const e of document.querySelectorAll('.explorer')) {
    const p = document.createElement('p');
    p.className = 'print-note';
    p.textContent = note;
    e.appendChild(p);
  }
  for (const a of document.querySelectorAll('a[href]')) {
    if (new URL(a.href, location.href).host === location.host) { a.removeAttribute('href'); }
  }
  // A wide table: a smaller font, never cut. Not CSS zoom, which chromium prints as one block,
  // moving a long table whole to the next page and leaving the page before it half blank.
  for (const t of document.querySelectorAll('article table')) {
    const room = t.parentElement.getBoundingClientRect().width;
    for (let k = 0; k < 4 && t.scrollWidth > room + 1; k++) {
      const size = parseFloat(getComputedStyle(t).fontSize);
      t.style.fontSize = Math.max(size * room / t.scrollWidth, 5.5).toFixed(2) + 'px';
    }
  }
  const text = h => {
    const c = h.cloneNode(true);
    c.querySelectorAll('.headerlink').forEach(e => e.remove());
    return c.textContent.replace(/\\s+/g, ' ').trim();
  };
  return chapters.map(c => ({
    title: text(c.querySelector('h1')),
    sections: Array.from(c.querySelectorAll('h2'), text),
  }));
}"""

# Write the chapters' first pages into the contents (the second print).
NUMBER_CONTENTS = """numbers => {
  document.querySelectorAll('.print-contents td.page').forEach((td, i) => { td.textContent = numbers[i]; });
}"""


def available() -> bool:
    return CHROMIUM.exists()


def skip_message() -> str:
    return f"PDF edition skipped: {CHROMIUM} is missing (install Debian's chromium: apt-get install chromium)"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a dropped connection is not the book's error
        pass


@contextlib.contextmanager
def _serve(folder: Path):
    server = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_css(title: str, commit: str) -> str:
    """The page box: the margins, and the footer of every page but the cover (title, version,
    commit; the page's number in the whole file, out of the file's pages)."""
    return PAGE_CSS.replace("LEFT", _css_string(f"{title} · version {__version__} · commit {commit}"))


def commit_date() -> str:
    """The ISO date of the commit the book is built from (the cover's date: the same commit gives
    the same PDF, whenever it is printed); today's date when git cannot say."""
    done = subprocess.run(["git", "show", "-s", "--format=%cs", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    return time.strftime("%Y-%m-%d")


def cover_html(title: str, commit: str, date: str, meta: dict) -> str:
    """The cover page: title, version, the commit and its date, licences, how to cite."""
    esc = html_escape.escape
    licences = ", ".join(citation.licences(meta))
    return (
        '<section class="print-cover">'
        f"<h1>{esc(title)}</h1>"
        f"<p>Print edition of analysis version {esc(__version__)}</p>"
        f'<p>Built from commit <span class="commit">{esc(commit)}</span> of {esc(date)}</p>'
        f"<p>Licences: {esc(licences)}</p>"
        "<h2>How to cite this book</h2>"
        f"<p>{esc(citation.reference(meta))}</p>"
        f"<pre>{esc(citation.bibtex(meta))}</pre>"
        "<p>Every number in this edition is the one the HTML book of the same version and commit "
        "shows; the HTML book also holds the downloadable tables, the workbooks and the explorers.</p>"
        "</section>"
    )


def contents_html(titles: list, numbers: list | None = None) -> str:
    """The contents page: each chapter's title and its first page (blank until the first print)."""
    esc = html_escape.escape
    numbers = numbers or ["000"] * len(titles)  # the widest a number gets: the page keeps its length
    rows = "".join(f'<tr><td>{esc(t)}</td><td class="page">{n}</td></tr>' for t, n in zip(titles, numbers))
    return f'<section class="print-contents"><h2>Contents</h2><table>{rows}</table></section>'


def _book_title() -> str:
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]


def _outline(reader) -> list:
    """Chromium's outline as (page index, [page index of each child]) per top-level heading."""
    out, items = [], list(reader.outline)
    for k, item in enumerate(items):
        if isinstance(item, list):
            continue
        children = items[k + 1] if k + 1 < len(items) and isinstance(items[k + 1], list) else []
        kids = [reader.get_destination_page_number(c) for c in children if not isinstance(c, list)]
        out.append((reader.get_destination_page_number(item), kids))
    return out


STAMP = ".book-pdf.sha256"  # beside the PDF: the digest of the pages it was printed from


def pages_digest(html: Path) -> str:
    """SHA-256 of what the PDF prints: the pages of the table of contents, the stylesheets and the
    citation."""
    import hashlib

    h = hashlib.sha256()
    files = [html / f"{p}.html" for p in book_contents.toc_pages()] + sorted((html / "_static").glob("*.css"))
    files.append(citation.CFF)  # the cover's citation
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes() if f.is_file() else b"missing")
    return h.hexdigest()


def reuse(html: Path, previous: Path) -> bool:
    """Copy the PDF of the previous build (``previous``: its HTML folder) when it was printed from
    the same pages: a rebuild with no change does not print again."""
    import shutil

    stamp = previous / STAMP
    if not (stamp.is_file() and (previous / NAME).is_file()) or stamp.read_text() != pages_digest(html):
        return False
    shutil.copy2(previous / NAME, html / NAME)
    shutil.copy2(stamp, html / STAMP)
    return True


def _edition(final: bytes, shown: list, starts: list, title: str, commit: str, date: str, meta: dict):
    """The printed book with its bookmarks and metadata (a pypdf writer)."""
    from pypdf import PdfReader, PdfWriter

    # clone_from keeps chromium's structure tree (the tags); the outline is written anew with the
    # pages' own titles (chromium's joins a heading's lines without a space)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(final)))
    if "/Outlines" in writer._root_object:
        del writer._root_object["/Outlines"]
    for chapter, (first, kids) in zip(shown, starts):
        parent = writer.add_outline_item(title=chapter["title"], page_number=first)
        if len(kids) == len(chapter["sections"]):  # else chromium skipped a heading: chapters only
            for section, page_index in zip(chapter["sections"], kids):
                writer.add_outline_item(title=section, page_number=page_index, parent=parent)
    stamp = f"D:{date.replace('-', '')}000000Z"
    writer.add_metadata(
        {
            "/Title": title,
            "/Author": "; ".join(citation.authors(meta)),
            "/Subject": f"analysis version {__version__}, commit {commit}",
            "/Keywords": ", ".join(meta.get("keywords", [])),
            "/Creator": f"analysis {__version__} (chromium, pypdf)",
            "/CreationDate": stamp,
            "/ModDate": stamp,
        }
    )
    return writer


def write(html: Path, previous: Path | None = None) -> Path | None:
    """Print the book built in ``html`` into ``html / NAME``; None (and one line) without chromium.
    With ``previous`` (the last build's HTML folder), its PDF is reused when the pages are the same.

    Raises RuntimeError when chromium fails on a page or the two prints disagree.
    """
    if not available():
        print(skip_message(), flush=True)
        return None
    if previous is not None and reuse(html, previous):
        print("PDF edition: unchanged pages, the previous book.pdf is kept", flush=True)
        return html / NAME
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    start = time.perf_counter()
    title, commit, date, meta = _book_title(), book_contents.git_commit(), commit_date(), citation.metadata()
    pages = [f"{p}.html" for p in book_contents.toc_pages()]
    cover = cover_html(title, commit, date, meta)
    options = dict(format="A4", margin=MARGIN, print_background=True, tagged=True, outline=True)

    def print_book():
        try:
            with _serve(html) as base, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
                try:
                    # the printable width of an A4 page at 96 dpi: tables are measured as printed
                    page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
                    page.emulate_media(media="print")
                    page.set_default_timeout(TIMEOUT_MS)
                    page.goto(base + pages[0], wait_until="load")
                    page.add_style_tag(content=page_css(title, commit) + PRINT_CSS)
                    # a first contents with the chapters' titles as the pages show them
                    shown = page.evaluate(ASSEMBLE, {"pages": pages, "cover": cover, "note": EXPLORER_NOTE})
                    page.evaluate(
                        "html => document.querySelector('.print-cover').insertAdjacentHTML('afterend', html)",
                        contents_html([c["title"] for c in shown]),
                    )
                    first = page.pdf(**options)
                    starts = _outline(PdfReader(io.BytesIO(first)))
                    if len(starts) != len(pages) + 1:  # the cover's title is a heading too
                        raise RuntimeError(f"the printed outline has {len(starts)} headings for {len(pages)} pages")
                    page.evaluate(NUMBER_CONTENTS, [s + 1 for s, _ in starts[1:]])
                    final = page.pdf(**options)
                finally:
                    browser.close()
        except PlaywrightError as exc:
            raise RuntimeError(f"chromium could not print the book: {exc}") from None
        if _outline(PdfReader(io.BytesIO(final))) != starts:
            raise RuntimeError("the contents' page numbers moved the chapters: the PDF would misquote them")
        return final, shown, starts[1:]

    # A thread of its own: Playwright's sync API refuses to run inside an asyncio loop, which a
    # caller (a test session driving the browser, a notebook) may be running in this thread.
    # pypdf's warning that chromium's trailer undercounts its objects is chromium's, and harmless.
    quiet = logging.getLogger("pypdf")
    level, quiet.level = quiet.level, logging.ERROR
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            final, shown, starts = pool.submit(print_book).result()
        writer = _edition(final, shown, starts, title, commit, date, meta)
    finally:
        quiet.setLevel(level)

    dest = html / NAME
    tmp = dest.with_suffix(".pdf.tmp")
    with open(tmp, "wb") as f:
        writer.write(f)
    tmp.replace(dest)
    (html / STAMP).write_text(pages_digest(html))
    print(f"PDF edition: {NAME}, {len(writer.pages)} pages, printed in {time.perf_counter() - start:.1f} s", flush=True)
    return dest

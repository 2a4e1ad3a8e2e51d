"""The book's PDF edition, for printing and circulation: ``book.pdf`` at the root of the HTML.

After a successful HTML build, every page of the table of contents (:func:`analysis.contents.toc_pages`)
is opened, in order, in Debian's chromium (Playwright, no browser download; the HTML is served on
127.0.0.1, nothing else is reached) and printed with the print style sheet below (no sidebars, no
navigation, no header buttons; links inside the site become plain text, since they would point at
the local server). A cover page states the book's title, the analysis version, the git commit and
the contents with each chapter's first page; pypdf merges cover and chapters and adds a bookmark
per chapter.

Every page's footer links the PDF (this module is also a Sphinx extension, added by the build's
stamped config: the link is relative to each page). Without chromium the PDF is skipped with one
line and no link is written; ``tests/test_pdf.py`` then skips, or fails under CI=true.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import html as html_escape
import io
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .. import __version__
from ..core.params import ROOT
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
COVER_MARGIN = {"top": "20mm", "bottom": "20mm", "left": "25mm", "right": "25mm"}
PRINT_WIDTH_PX = round((210 - 28) / 25.4 * 96)

# The printed page: the article only, its tables and figures within the page width.
PRINT_CSS = """
@media print {
  .bd-header, .bd-header-article, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
  .bd-footer-article, .bd-footer-content, .prev-next-area, .header-article-items, #pst-back-to-top,
  .skip-link, .search-button__wrapper, .headerlink, .toggle-button, nav, .d-print-none,
  details.hide.above-input, .cell_input, #jb-print-docs-body
    { display: none !important; }
  .bd-container, .bd-container__inner, .bd-main, .bd-content, .bd-article-container, .bd-article
    { max-width: 100% !important; min-width: 0 !important; width: auto !important;
      margin: 0 !important; padding: 0 !important; }
  .bd-main .bd-content .bd-article h1:first-of-type { display: block !important; }
  html { font-size: 13px; }
  table { font-size: 0.82em; max-width: 100% !important; }
  .table-wrapper, .pst-scrollable-table-container, .output, .cell_output
    { overflow: visible !important; max-height: none !important; max-width: 100% !important; }
  h1, h2, h3, h4 { break-after: avoid; }
  img, figure, tr { break-inside: avoid; }
  a:not([href]) { color: inherit; text-decoration: none; }
}
"""

# Before printing: wait for MathJax, drop the local links, return the page's title.
PREPARE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  await document.fonts.ready;
  await Promise.all(Array.from(document.images, i => { i.loading = 'eager'; return i.decode().catch(() => null); }));
  for (const a of document.querySelectorAll('a[href]')) {
    if (new URL(a.href, location.href).host === location.host) { a.removeAttribute('href'); }
  }
  for (const t of document.querySelectorAll('article table')) {  // a wide table: smaller, not cut
    const room = t.parentElement.getBoundingClientRect().width;
    if (t.scrollWidth > room) { t.style.zoom = Math.max(0.45, room / t.scrollWidth).toFixed(3); }
  }
  const h1 = document.querySelector('article h1, main h1, h1').cloneNode(true);
  h1.querySelectorAll('.headerlink').forEach(e => e.remove());
  return h1.textContent.trim();
}"""

FOOTER = (
    '<div style="font-size:8px;width:100%;margin:0 14mm;display:flex;justify-content:space-between;'
    'color:#555;font-family:sans-serif"><span>{left}</span>'
    '<span>{right} &middot; <span class="pageNumber"></span>/<span class="totalPages"></span></span></div>'
)

COVER = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
  body {{ font-family: sans-serif; margin: 0; color: #222; }}
  h1 {{ font-size: 26px; margin: 60mm 0 8mm; line-height: 1.25; }}
  .edition {{ font-size: 15px; margin: 0 0 2mm; }}
  .commit {{ font-family: monospace; }}
  h2 {{ font-size: 15px; margin: 22mm 0 4mm; }}
  table {{ border-collapse: collapse; width: 100%; font-size: 13px; }}
  td {{ padding: 1.2mm 0; border-bottom: 1px dotted #aaa; }}
  td.page {{ text-align: right; width: 20mm; }}
  .note {{ margin-top: 14mm; font-size: 11px; color: #555; }}
</style></head><body>
<h1>{title}</h1>
<p class="edition">Print edition of analysis version {version}</p>
<p class="edition">Built from commit <span class="commit">{commit}</span></p>
<h2>Contents</h2>
<table>{rows}</table>
<p class="note">Every number in this edition is the one the HTML book of the same version and commit shows;
the HTML book also holds the downloadable tables and workbooks.</p>
</body></html>"""


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


def _cover_html(title: str, version: str, commit: str, contents: list) -> str:
    esc = html_escape.escape
    rows = "".join(f'<tr><td>{esc(t)}</td><td class="page">{p}</td></tr>' for t, p in contents)
    return COVER.format(title=esc(title), version=esc(version), commit=esc(commit), rows=rows)


def _book_title() -> str:
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]


STAMP = ".book-pdf.sha256"  # beside the PDF: the digest of the pages it was printed from


def pages_digest(html: Path) -> str:
    """SHA-256 of what the PDF prints: the pages of the table of contents and the stylesheets."""
    import hashlib

    h = hashlib.sha256()
    files = [html / f"{p}.html" for p in book_contents.toc_pages()] + sorted((html / "_static").glob("*.css"))
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


def write(html: Path, previous: Path | None = None) -> Path | None:
    """Print the book built in ``html`` into ``html / NAME``; None (and one line) without chromium.
    With ``previous`` (the last build's HTML folder), its PDF is reused when the pages are the same.

    Raises RuntimeError when chromium fails on a page.
    """
    if not available():
        print(skip_message(), flush=True)
        return None
    if previous is not None and reuse(html, previous):
        print("PDF edition: unchanged pages, the previous book.pdf is kept", flush=True)
        return html / NAME
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    start = time.perf_counter()
    title, commit = _book_title(), book_contents.git_commit()
    pages = [f"{p}.html" for p in book_contents.toc_pages()]

    def print_pages():
        chapters = []  # (title, PDF bytes)
        try:
            with _serve(html) as base, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
                try:
                    # the printable width of an A4 page at 96 dpi: tables are measured as printed
                    page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
                    page.emulate_media(media="print")
                    page.set_default_timeout(TIMEOUT_MS)
                    for rel in pages:
                        page.goto(base + rel, wait_until="load")
                        page.add_style_tag(content=PRINT_CSS)
                        heading = page.evaluate(PREPARE)
                        esc = html_escape.escape
                        footer = FOOTER.format(left=esc(f"version {__version__}, commit {commit}"), right=esc(heading))
                        pdf = page.pdf(
                            format="A4",
                            margin=MARGIN,
                            print_background=True,
                            display_header_footer=True,
                            header_template="<span></span>",
                            footer_template=footer,
                        )
                        chapters.append((heading, pdf))
                    cover_pages, cover = 1, b""
                    while True:  # the contents give absolute page numbers: they depend on the cover's length
                        first, contents = cover_pages + 1, []
                        for heading, pdf in chapters:
                            contents.append((heading, first))
                            first += len(PdfReader(io.BytesIO(pdf)).pages)
                        page.set_content(_cover_html(title, __version__, commit, contents))
                        cover = page.pdf(format="A4", margin=COVER_MARGIN)
                        if len(PdfReader(io.BytesIO(cover)).pages) == cover_pages:
                            break
                        cover_pages = len(PdfReader(io.BytesIO(cover)).pages)
                finally:
                    browser.close()
        except PlaywrightError as exc:
            raise RuntimeError(f"chromium could not print the book: {exc}") from None
        return chapters, cover, contents

    # A thread of its own: Playwright's sync API refuses to run inside an asyncio loop, which a
    # caller (a test session driving the browser, a notebook) may be running in this thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        chapters, cover, contents = pool.submit(print_pages).result()

    writer = PdfWriter()
    writer.append(io.BytesIO(cover))
    for (heading, pdf), (_, first) in zip(chapters, contents):
        writer.append(io.BytesIO(pdf))
        writer.add_outline_item(title=heading, page_number=first - 1)
    writer.add_metadata({"/Title": title, "/Subject": f"analysis version {__version__}, commit {commit}"})
    dest = html / NAME
    tmp = dest.with_suffix(".pdf.tmp")
    with open(tmp, "wb") as f:
        writer.write(f)
    tmp.replace(dest)
    (html / STAMP).write_text(pages_digest(html))
    print(f"PDF edition: {NAME}, {len(writer.pages)} pages, printed in {time.perf_counter() - start:.1f} s", flush=True)
    return dest

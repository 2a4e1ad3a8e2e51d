"""The built book opened in chromium, once per width: the fixtures ``site``, ``crawl`` and
``phone_crawl``, which conftest registers for the whole session so that ``test_browser`` and
``test_accessibility`` share one crawl (a fixture imported into two test modules is built twice).

While each page is open the crawls collect what a reader would see (``PAGE_FACTS``,
``LAYOUT_FACTS``) and what axe-core finds (``RUN_AXE``), and screenshot the chapters.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import require_chromium

from analysis import evaluations
from analysis.publish import chapter, contents, pdf

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "tests" / "_artifacts" / "screenshots"
LAUNCH_ARGS, TIMEOUT_MS = pdf.LAUNCH_ARGS, pdf.TIMEOUT_MS  # the same browser set-up as the PDF edition
VIEWPORTS = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
# axe-core for test_accessibility, installed from the npm registry by `make test` (no CDN: offline).
# It runs inside the two crawls below, so that every page is loaded once per width, not twice.
AXE = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
# axe's violations, with every rule's impact, as plain data (one call, one JSON result)
RUN_AXE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' '))}));
}"""

# The ids of the chapters' appendix-like parts (analysis.publish.chapter.APPENDIX_PARTS): a
# chapter's reading path is the page above the first of them.
APPENDIX_IDS = [f"{name}-{part}" for name in evaluations.REGISTRY for part in chapter.APPENDIX_PARTS]
# The columns a reader needs in view (issue 21): a table's heading cells with these names.
KEY_COLUMNS = ["parameter", "value", "unit", "source", "set by", "measure", "verdict", "reason", "change"]

# What a reader sees of the layout at the page's viewport (one call, one JSON result): the page's
# sideways overflow, each table or display formula wider than its container with no scroll box of
# its own between it and the article, and each table without a caption. Then, for what shows
# without opening a <details>: each table's width beside the visible width of its scroll box and
# the key columns that lie beyond it; each number (a glued number, a table's number cell) cut by
# the edge of a box that clips it or of the viewport; the height of the page above the first
# appendix-like part.
LAYOUT_FACTS = """([appendixIds, keyColumns]) => {
  const inScrollBox = el => {
    for (let p = el.parentElement; p && !p.matches('article, .bd-article-container, body'); p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const words = el => (el.textContent || '').trim().replace(/\\s+/g, ' ');
  const describe = el => el.tagName.toLowerCase() + ': ' + words(el).slice(0, 60);
  const folded = el => { const d = el.closest('details'); return d !== null && !d.open; };
  const clipper = el => {  // the nearest ancestor that clips what overflows it sideways
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return p;
    }
    return null;
  };
  const captionText = t => t.caption ? (t.caption.innerText.trim() || (folded(t) ? words(t.caption) : '')) : '';
  const clipped = [];
  for (const el of document.querySelectorAll('article table, article mjx-container[display="true"] > mjx-math')) {
    const container = el.tagName === 'MJX-MATH' ? el.parentElement.parentElement : el.parentElement;
    if (el.getBoundingClientRect().width > container.clientWidth + 1 && !inScrollBox(el)) clipped.push(describe(el));
  }
  const tableFit = [];
  for (const t of document.querySelectorAll('article table')) {
    if (folded(t)) continue;
    const box = clipper(t) || t.parentElement;
    const right = box.getBoundingClientRect().left + box.clientLeft + box.clientWidth;
    const keysOut = Array.from(t.querySelectorAll('thead th'))
      .filter(th => keyColumns.includes(words(th)) && th.getBoundingClientRect().right > right + 1).map(words);
    tableFit.push({table: (t.caption ? words(t.caption) : describe(t)).slice(0, 80),
                   width: Math.round(t.getBoundingClientRect().width), visible: box.clientWidth, keys_out: keysOut});
  }
  const cutNumbers = [];
  for (const n of document.querySelectorAll('article span.pasted-text, article table td.num')) {
    if (folded(n) || !words(n)) continue;  // an empty cell holds no number to cut
    const r = n.getBoundingClientRect();
    if (r.width === 0) continue;
    let by = null, hidden = false;
    for (let p = clipper(n); p && !by && !hidden; p = clipper(p)) {
      const b = p.getBoundingClientRect(), left = b.left + p.clientLeft, right = left + p.clientWidth;
      hidden = r.right <= left + 1 || r.left >= right - 1;  // wholly out of its box's view: scroll to it
      if (!hidden && (r.left < left - 1 || r.right > right + 1)) by = describe(p).slice(0, 40);
    }
    if (!by && !hidden && (r.left < -1 || r.right > innerWidth + 1)) by = 'the viewport';
    if (by) cutNumbers.push(words(n) + ' (cut by ' + by + ')');
  }
  const article = document.querySelector('article');
  const top = article ? article.getBoundingClientRect().top : 0;
  const starts = appendixIds.map(id => document.getElementById(id)).filter(Boolean)
    .map(e => e.getBoundingClientRect().top - top);
  return {
    scroll_width: document.scrollingElement.scrollWidth,
    inner_width: innerWidth,
    inner_height: innerHeight,
    clipped,
    tables: document.querySelectorAll('article table').length,
    // a caption as shown (Sphinx's hidden numbers left out); a folded table's is not rendered: its text
    uncaptioned: Array.from(document.querySelectorAll('article table')).filter(t => !captionText(t)).map(describe),
    captions: Array.from(document.querySelectorAll('article table'), captionText).filter(Boolean),
    table_fit: tableFit,
    cut_numbers: cutNumbers,
    above_appendix: starts.length ? Math.min(...starts) : null,
  };
}"""

# What the page does when it loads, in the browser (one call, one JSON result).
PAGE_FACTS = """async () => {
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(i => { i.loading = 'eager'; return i.decode().catch(() => null); }));
  return {
    images: imgs.map(i => ({src: i.currentSrc || i.src, width: i.naturalWidth})),
    links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
    ids: Array.from(document.querySelectorAll('[id]'), e => e.id)
           .concat(Array.from(document.querySelectorAll('a[name]'), a => a.name)),
    citations: Array.from(document.querySelectorAll('span.bibtex-citation a'), a => a.href),
    bibliography: Array.from(document.querySelectorAll('[role="doc-biblioentry"], .citation'), e => e.id),
    mathjax: document.querySelectorAll('mjx-container').length,
    math_errors: document.querySelectorAll('mjx-merror').length,
    pasted: Array.from(document.querySelectorAll('span.pasted-text'), s => s.textContent.trim()),
  };
}"""


def _require_chromium() -> None:
    require_chromium(CHROMIUM)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A browser that drops a connection it no longer needs is not an error of the book."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site(built_book):
    """The session's built book (conftest.built_book), served; yields (base URL, html folder)."""
    _require_chromium()
    html = built_book
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", html
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _chapters() -> list[str]:
    """The pages of the table of contents (as the build writes it), relative to the HTML root."""
    return [f"{f}.html" for f in contents.toc_pages()]


def _axe(page) -> list | None:
    """axe-core's violations on the open page, or None when axe-core is not installed."""
    if not AXE.is_file():
        return None  # test_accessibility skips, or fails under CI
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def _redirect_target(path: Path) -> str | None:
    m = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', path.read_text(), re.I)
    return m.group(1) if m else None


@pytest.fixture(scope="session")
def crawl(site, browser):
    """Open every HTML page of the built book once; return what each page did and showed."""
    base, html = site
    pages = sorted(str(p.relative_to(html)) for p in html.rglob("*.html") if "_static" not in p.parts)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chapters = set(_chapters())
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    results = {}
    for rel in pages:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = []
        page.on("console", lambda m, p=problems: p.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e, p=problems: p.append(f"page error: {e}"))
        page.on("requestfailed", lambda r, p=problems: p.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r, p=problems: p.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        url = base + rel
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            problems.append(f"HTTP {response.status if response else 'no response'}: {url}")
        target = _redirect_target(html / rel)
        if target:  # index.html: a meta refresh to the root page of the book
            page.wait_for_url(base + target)
        page.wait_for_load_state("networkidle")
        if rel == "book/elsalvador.html":
            page.wait_for_selector("mjx-container")
        facts = page.evaluate(PAGE_FACTS)
        facts["layout"] = page.evaluate(LAYOUT_FACTS, [APPENDIX_IDS, KEY_COLUMNS])
        facts["problems"] = problems
        facts["redirect"] = target
        if rel in chapters:
            page.screenshot(path=str(SCREENSHOTS / f"{Path(rel).stem}.png"), full_page=True)
        # the redirect has left for the page it names, which is checked under its own name
        facts["axe"] = None if target else _axe(page)
        results[rel] = facts
        page.close()
    context.close()
    return base, html, results


@pytest.fixture(scope="session")
def phone_crawl(site, browser):
    """Every page again at a phone's viewport: the layout facts, and screenshots of the chapters."""
    base, html = site
    pages = sorted(str(p.relative_to(html)) for p in html.rglob("*.html") if "_static" not in p.parts)
    chapters = set(_chapters())
    context = browser.new_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True)
    results = {}
    for rel in pages:
        if _redirect_target(html / rel):
            continue
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(base + rel, wait_until="load")
        page.wait_for_load_state("networkidle")
        if rel == "book/elsalvador.html":
            page.wait_for_selector("mjx-container")
        results[rel] = page.evaluate(LAYOUT_FACTS, [APPENDIX_IDS, KEY_COLUMNS])
        if rel in chapters:
            page.screenshot(path=str(SCREENSHOTS / f"{Path(rel).stem}-390.png"), full_page=True)
        results[rel]["axe"] = _axe(page)
        page.close()
    context.close()
    return results

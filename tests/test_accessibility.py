"""The built book's accessibility, checked by axe-core in chromium.

Every page of the session's built book (``conftest.built_book``, served as ``test_browser`` serves
it) is opened at the desktop (1400 px) and phone (390 px) widths; a local axe-core (installed
from the npm registry by ``make test`` into ``.venv/npm``: no CDN, works offline) is injected and
must find no serious or critical violation. The root ``index.html``, a redirect, is checked on its
own: a valid page with a doctype, a language and a title.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from test_browser import TIMEOUT_MS, VIEWPORTS, _redirect_target, site  # noqa: F401 (site: the fixture)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")

# axe's violations, with every rule's impact, as plain data (one call, one JSON result)
RUN_AXE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.is_file():
        message = f"{AXE} is missing: `make test` installs axe-core from the npm registry"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " -- CI=true, so this is a failure, not a skip")
        pytest.skip(message)
    return AXE


@pytest.fixture(scope="session")
def violations(site, browser, axe_script):  # noqa: F811 (site: test_browser's fixture)
    """(viewport, page) -> axe's violations on every page but the redirect, at both widths."""
    base, html = site
    pages = sorted(str(p.relative_to(html)) for p in html.rglob("*.html") if "_static" not in p.parts)
    found = {}
    for viewport, size in VIEWPORTS.items():
        phone = viewport == "phone"
        context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
        for rel in pages:
            if _redirect_target(html / rel):
                continue  # it leaves at once; test_the_root_redirect_is_a_valid_page reads it
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(base + rel, wait_until="load")
            page.wait_for_load_state("networkidle")
            page.add_script_tag(path=str(axe_script))
            found[viewport, rel] = page.evaluate(RUN_AXE)
            page.close()
        context.close()
    return found


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_page_has_a_serious_or_critical_violation(violations, viewport):
    pages = {rel: v for (vp, rel), v in violations.items() if vp == viewport}
    assert len(pages) >= 10, sorted(pages)
    bad = [
        f"{rel}: {v['id']} ({v['impact']}) at {target}"
        for rel, found in pages.items()
        for v in found
        if v["impact"] in FAILING
        for target in v["targets"]
    ]
    assert not bad, f"{len(bad)} serious or critical axe-core violations at {viewport} width:\n" + "\n".join(bad)


def test_the_root_redirect_is_a_valid_page(built_book):
    text = (built_book / "index.html").read_text(encoding="utf-8")
    assert _redirect_target(built_book / "index.html"), text[:300]
    assert re.match(r"\s*<!doctype html>", text, re.I), f"no doctype: {text[:300]}"
    assert re.search(r"<html [^>]*\blang=\"[a-z]", text), f"no <html lang>: {text[:300]}"
    assert re.search(r"<title>[^<]*\S[^<]*</title>", text), f"no title: {text[:300]}"

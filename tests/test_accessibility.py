"""The built book's accessibility, checked by axe-core in chromium.

Every page of the session's built book (``conftest.built_book``) is opened at the desktop (1400 px)
and phone (390 px) widths by the session's two crawls (``tests/browsing.py``), which inject a local
axe-core (installed from the npm registry by ``make test`` into ``.venv/npm``: no CDN, works
offline) into each page while it is open, so that no page is loaded twice. axe must find no
violation of any impact, minor and moderate included (the last, ``region`` on the sidebar's logo
link, is fixed by ``book/_templates/navbar-logo.html``). The root ``index.html``, a redirect, is
checked on its own: a valid page with a doctype, a language and a title.
"""

from __future__ import annotations

import os
import re

import pytest
from browsing import AXE, VIEWPORTS, _redirect_target

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def axe_installed() -> None:
    if not AXE.is_file():
        message = f"{AXE} is missing: `make test` installs axe-core from the npm registry"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " -- CI=true, so this is a failure, not a skip")
        pytest.skip(message)


@pytest.fixture(scope="session")
def violations(axe_installed, crawl, phone_crawl):
    """(viewport, page) -> axe's violations on every page but the redirect, at both widths."""
    found = {("desktop", rel): facts["axe"] for rel, facts in crawl[2].items() if not facts["redirect"]}
    found.update({("phone", rel): facts["axe"] for rel, facts in phone_crawl.items()})
    missing = sorted(key for key, v in found.items() if v is None)
    assert not missing, f"axe-core did not run on {missing}"
    return found


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_page_has_an_axe_violation(violations, viewport):
    pages = {rel: v for (vp, rel), v in violations.items() if vp == viewport}
    assert len(pages) >= 10, sorted(pages)
    bad = [
        f"{rel}: {v['id']} ({v['impact']}) at {target}"
        for rel, found in pages.items()
        for v in found
        for target in v["targets"]
    ]
    assert not bad, f"{len(bad)} axe-core violations at {viewport} width:\n" + "\n".join(bad)


def test_the_root_redirect_is_a_valid_page(built_book):
    text = (built_book / "index.html").read_text(encoding="utf-8")
    assert _redirect_target(built_book / "index.html"), text[:300]
    assert re.match(r"\s*<!doctype html>", text, re.I), f"no doctype: {text[:300]}"
    assert re.search(r"<html [^>]*\blang=\"[a-z]", text), f"no <html lang>: {text[:300]}"
    assert re.search(r"<title>[^<]*\S[^<]*</title>", text), f"no title: {text[:300]}"

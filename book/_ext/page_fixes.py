"""Keep the book's pages free of errors in the browser console, and accessible.

sphinx-thebe adds its inline configuration script (``const THEBE_JS_URL = ...``) twice to every
page (and sphinx-togglebutton its selector); the second copy throws "Identifier 'THEBE_JS_URL'
has already been declared". Repeated scripts are dropped when each page is written. (The theme's
other console error, "Got invalid theme mode", is fixed in _config.yml with ``html_context: {default_mode: auto}``.)

Accessibility (axe-core, ``tests/test_accessibility.py``): the theme's print-only heading is empty
on pages without a title of their own (``genindex``), so it gets the page's title; the root
``index.html``, which sphinx-external-toc writes as a bare ``<meta>`` redirect when it is missing,
is written first as a whole page (doctype, language, title, and a link for a browser that does not
follow the redirect). The theme's buttons are fixed by templates in ``book/_templates``.

Figure and table numbers: the book numbers them per page in their captions ("Table 3.",
"Figure 2."; ``analysis.publish.markup.table_caption``, ``analysis.publish.figures.number_captions``).
Sphinx's book-wide numbers ("Fig. 5") would contradict them, and ``numfig: false`` in _config.yml
is not enough: sphinx-jupyterbook-latex, which Jupyter Book loads, sets ``numfig = True`` for
every builder when the configuration is read. It is set back after it.

``tests/test_browser.py`` checks that every page loads with no console error.
"""

import html
from pathlib import Path

from sphinx.locale import _


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for js in context.get("script_files", []):
        # an inline script is added once with filename None and once with '': same script
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def _title_the_print_heading(app, pagename, templatename, context, doctree):
    # sphinx-book-theme's print heading shows "pagetitle", which it sets only for source pages;
    # genindex has no title in its context (its template sets one)
    if not context.get("pagetitle"):
        context["pagetitle"] = context.get("title") or (_("Index") if pagename == "genindex" else "")


def _write_root_redirect(app, exception):
    root = app.config.root_doc
    if exception is not None or app.builder.format != "html" or root == "index":
        return
    target = html.escape(app.builder.get_target_uri(root))
    title = html.escape(app.config.html_title or app.config.project)
    page = (
        f'<!DOCTYPE html>\n<html lang="{html.escape(app.config.language or "en")}">\n<head>\n'
        f'<meta charset="utf-8">\n<meta http-equiv="Refresh" content="0; url={target}">\n'
        f"<title>{title}</title>\n</head>\n<body>\n"
        f'<p><a href="{target}">{title}</a></p>\n</body>\n</html>\n'
    )
    Path(app.outdir, "index.html").write_text(page, encoding="utf-8")


def _no_book_wide_numbers(app, config):
    config.numfig = False


def setup(app):
    # after sphinx-jupyterbook-latex's config-inited handler (default priority 500)
    app.connect("config-inited", _no_book_wide_numbers, priority=900)
    app.connect("html-page-context", _drop_repeated_scripts)
    app.connect("html-page-context", _title_the_print_heading)
    # before sphinx-external-toc's bare redirect (priority 500), which then leaves this one alone
    app.connect("build-finished", _write_root_redirect, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

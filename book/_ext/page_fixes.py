"""Keep the book's pages free of errors in the browser console.

sphinx-thebe adds its inline configuration script (``const THEBE_JS_URL = ...``) twice to every
page (and sphinx-togglebutton its selector); the second copy throws "Identifier 'THEBE_JS_URL'
has already been declared". Repeated scripts are dropped when each page is written. (The theme's
other console error, "Got invalid theme mode", is fixed in _config.yml with ``html_context: {default_mode: auto}``.)

``tests/test_browser.py`` checks that every page loads with no console error.
"""


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for js in context.get("script_files", []):
        # an inline script is added once with filename None and once with '': same script
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

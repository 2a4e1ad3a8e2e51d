"""Sphinx extension: the footer link to the book's PDF edition (``analysis.publish.pdf``), relative
to each page; added by the build only when the PDF is printed (chromium present)."""

from analysis.publish import pdf


def _footer_link(app, pagename, templatename, context, doctree):
    href = context["pathto"](pdf.NAME, 1)
    link = f'<p>The book as one PDF, for printing: <a class="pdf-edition" href="{href}">{pdf.NAME}</a>.</p>'
    context["theme_extra_footer"] = context.get("theme_extra_footer", "") + link


def setup(app):
    if pdf.available():
        app.connect("html-page-context", _footer_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

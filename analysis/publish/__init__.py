"""Publishing: markup and number formatting, chapter parts, summary pages, downloads, workbooks,
the explorer's page, the build, editions and the PDF. Built on ``analysis.core`` and
``analysis.evaluations``; nothing below imports it."""

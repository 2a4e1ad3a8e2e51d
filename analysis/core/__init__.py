"""The numerical library: parameters, financial primitives, the evaluation contract, reconciliation
with the published tables, readings, uncertainty and the explorer's grid. It imports nothing that
renders (no Markdown, HTML, workbook or PDF); ``analysis.evaluations`` builds on it."""

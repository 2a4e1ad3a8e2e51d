"""Readings of a document: one shape (``contract.Reading``) and one table of their effects."""

from __future__ import annotations

import pandas as pd


def effects(evaluation, values: dict, scenario: str | None = None) -> pd.DataFrame:
    """Each reading that applies to ``scenario``, applied alone to ``values``: its headline metrics
    and their change against ``values``. Columns: key, reading, kind, locator, then for every
    headline metric ``<metric>`` and ``<metric> change``."""
    base = evaluation.evaluate(values).metrics
    rows = []
    for r in evaluation.readings:
        if not r.applies_to(scenario):
            continue
        m = evaluation.evaluate({**values, **r.overrides}).metrics
        row = {"key": r.key, "reading": r.label, "kind": r.kind, "locator": r.locator}
        for metric in evaluation.metrics:
            row[metric.name] = m[metric.name]
            row[f"{metric.name} change"] = m[metric.name] - base[metric.name]
        rows.append(row)
    return pd.DataFrame(
        rows,
        columns=["key", "reading", "kind", "locator"]
        + [c for metric in evaluation.metrics for c in (metric.name, f"{metric.name} change")],
    )


def all_together(evaluation, kind: str) -> dict:
    """The overrides of every reading of ``kind`` at once (later readings win on shared keys)."""
    out = {}
    for r in evaluation.readings:
        if r.kind == kind:
            out.update(r.overrides)
    return out


def flipping(evaluation, values: dict, scenario: str | None, holds: bool) -> tuple:
    """Each reading of ``evaluation`` (its document's readings and its choices' alternatives) that,
    applied alone to ``values``, turns the conclusion the other way from ``holds``: (reading, the
    value of its criterion's metric). A reading of the rule itself is judged by its own criterion."""
    out = []
    for r in evaluation.all_readings:
        if not r.applies_to(scenario):
            continue
        crit = r.criterion or evaluation.criterion
        value = evaluation.evaluate({**values, **r.overrides}).metrics[crit.metric]
        if bool(crit.passes(value)) != holds:
            out.append((r, float(value)))
    return tuple(out)

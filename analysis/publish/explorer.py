"""The explorer's page: the chapter's Explore part as MyST Markdown with the engine's grid
(``analysis.core.grid``) embedded as JSON; ``book/_static/explorer.js`` interpolates it in the
reader's browser, offline."""

from __future__ import annotations

import html
import json

from ..core import grid
from . import markup


def embedded(payload: dict) -> str:
    """The payload as the text of a ``<script type="application/json">`` element: no ``<`` at
    all, so that no text from a parameter file can close the element or open another."""
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(ev, sc, result=None, indices=None, first=None) -> str:
    """The chapter's Explore part as MyST Markdown: a sentence on what the sliders do, the
    parameters they move with their ranges' live citations, the explorer itself (raw HTML with the
    embedded grid; ``explorer.js`` draws it) and the parameters held at the scenario's values."""
    payload = grid.build(ev, sc, result, indices=indices, first=first)
    if payload is None:
        return "No assumption of this scenario has a documented range or distribution: there is nothing to explore."
    keys = [p["key"] for p in payload["parameters"]]
    if ev.explore:
        how = "the evaluation declares them"
    elif first:
        how = "the one the verdict names most fragile, then those explaining the largest shares of its variance"
    else:
        how = "they explain the largest shares of its variance"
    head = "| parameter | range explored | scenario's value | sources of the range and the distribution |"
    lines = [head, "|---|---|---|---|"]
    for p in payload["parameters"]:
        spec = ev.parameters[p["key"]]
        lines.append(
            f"| {markup.cell(p['label'])} | {markup.cell(markup.format_value(p['low'], spec))} to "
            f"{markup.cell(markup.format_value(p['high'], spec))} | "
            f"{markup.cell(markup.format_value(p['value'], spec))} | "
            + "; ".join(f"{{cite:p}}`{b['source']}`, {markup.cell(b['locator'])}" for b in p["sources"])
            + " |"
        )
    ranges = markup.myst_table("The assumptions the explorer moves, their documented ranges and sources", lines)
    # the outputs table the browser draws is numbered with the page's tables (after the one above)
    payload["caption"] = markup.table_caption("What the engine's grid gives at the sliders' values")
    others = "".join(
        f"<li><code>{html.escape(k)}</code>: {html.escape(markup.format_value(v, ev.parameters.get(k)))} "
        f"{html.escape(str(unit))}</li>"
        for k, v, unit in grid.held(ev, sc, keys)
    )
    text = [
        f"Move the sliders to see whether the conclusion holds ({ev.criterion.label}) and how the headline "
        f"results change. They move the "
        f"{len(keys)} assumptions of the decision measure that matter most ({how}), each over its documented "
        f"range and its distribution's bounds; every other assumption stays at the value of scenario "
        f"`{sc.name}`. The page holds the engine's "
        f"results at {payload['points']:,} points of a grid over these ranges, computed when the book was built, and "
        f"interpolates between them in the browser: no Python, no connection needed. The last column states the "
        f"largest difference from the engine at {payload['checks']} random points off the grid. For exact values, "
        f"run `python -m analysis run {ev.name} --set KEY=VALUE`.",
        "",
        ranges,
        "",
        f'<div class="explorer" data-evaluation="{html.escape(ev.name)}">'
        f'<script type="application/json">{embedded(payload)}</script>'
        "<noscript>The explorer needs JavaScript; the tables above give the scenario's values.</noscript></div>",
        "",
        f"<details><summary>The other {len(sc.entries) - len(keys)} assumptions, held at the scenario's values"
        f"</summary><ul>{others}</ul></details>",
    ]
    return "\n".join(text)

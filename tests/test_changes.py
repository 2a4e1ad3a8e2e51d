"""The "What changed" page as a reviewer reads it: words, no missing-value markers or keys, the
changes of value first, the locators reworded alone counted in one line."""

import re

import nbformat
import pandas as pd

from analysis.core.params import ROOT
from analysis.release import changes

SHOWN = ("release 0.1.0", "release 0.2.0")


def _metrics(rows):
    return pd.DataFrame(rows, columns=["evaluation", "scenario", "metric", "value_old", "value_new"])


def test_metrics_in_words_with_their_change_and_rates_in_percentage_points():
    t = changes.metrics(
        _metrics(
            [
                ("peru", "base", "npv_total", 1.0e6, 2.5e6),
                ("gret", "as_published", "effort_rate.reference", None, 0.3075),
                ("elsalvador", "as_published", "irr", 0.12, 0.125),
            ]
        ),
        "old",
        "new",
        SHOWN,
    )
    assert list(t.columns) == ["evaluation", "scenario", "measure", "unit", *SHOWN, "change"]
    text = t.to_string()
    assert "NaN" not in text and "None" not in text and "_" not in text
    assert t.loc[1, SHOWN[0]] == "absent" and t.loc[1, "change"] == "added"
    assert t.loc[0, "evaluation"] == "Peru" and t.loc[0, "change"].startswith("+")
    assert t.loc[2, "change"].endswith("percentage points"), t.loc[2, "change"]


def _parameters(rows):
    cols = ["evaluation", "scenario", "parameter"] + [
        f"{c}_{s}" for c in ("value", "source", "locator") for s in ("old", "new")
    ]
    return pd.DataFrame(rows, columns=cols)


def test_value_changes_first_grouped_sources_cited_and_rewordings_counted():
    frame = _parameters(
        [
            ("elsalvador", s, "rent_to_price", 0.085, 0.07, "gpg_elsalvador", "gpg_elsalvador", "p. 1", "p. 1")
            for s in ("as_published", "corrected")
        ]
        + [
            ("peru", "base", "discount_rate", 0.12, 0.12, "idb_pe_fmv", "idb_pe_fmv", "para. 4", "para. 4 (reworded)"),
            ("peru", "base", "home_price_growth", 0.0705, 0.0705, "bcrp_vivienda", "idb_pe_fmv", "a", "b"),
            ("peru", "conservative", "home_price_growth", 0.0705, 0.0705, "no_such_key", "idb_pe_fmv", "a", "b"),
        ]
    )
    parts = changes.parameters(frame, "old", "new", SHOWN)
    values = parts["values"]
    assert len(values) == 1  # one row for the two scenarios that share the change
    row = values.iloc[0]
    assert row["scenarios"] == "as published, corrected"
    assert (row[SHOWN[0]], row[SHOWN[1]]) == ("8.5\u00a0%", "7\u00a0%")
    assert "_" not in row["parameter"]
    sources = "\n".join(parts["sources"])
    assert "{cite:t}`bcrp_vivienda`" in sources and "{cite:t}`idb_pe_fmv`" in sources
    assert "no_such_key" not in sources and "no longer in the bibliography" in sources
    assert parts["reworded"] == {"Peru": 1}
    assert changes.reworded_sentence(parts["reworded"]).startswith("1 locator was reworded")
    assert changes.reworded_sentence({}) == ""


def test_a_value_written_as_json_text_in_a_release_reads_as_the_register_shows_it():
    frame = _parameters([("peru", "base", "credit_cost", '"debt_service"', "resource_cost", "k", "k", "", "")])
    assert changes.parameters(frame, "old", "new", SHOWN)["values"].iloc[0][list(SHOWN)].tolist() == [
        "debt service",
        "resource cost",
    ]


def _page_text() -> str:
    """What the committed "What changed" page shows: its outputs (HTML tables and Markdown)."""
    nb = nbformat.read(ROOT / "book" / "changes.ipynb", as_version=4)
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {})
            out.append(data.get("text/html") or data.get("text/markdown") or "")
    return "\n".join(out)


def test_the_page_shows_no_missing_value_marker_key_or_snake_case_heading():
    text = _page_text()
    cells = re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", text, flags=re.S)
    assert cells, "the page shows tables"
    for bad in ("NaN", "None", "nan"):
        assert bad not in cells, bad
    keys = {k for k in re.findall(r"@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text())}
    without_roles = re.sub(r"\{cite:[tp]\}`[^`]+`", "", text)
    shown_keys = [k for k in keys if re.search(rf"\b{re.escape(k)}\b", without_roles)]
    assert not shown_keys, f"bibliography keys shown as text: {shown_keys}"
    headings = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", text, flags=re.S)
    assert not [h for h in headings if re.fullmatch(r"[a-z]+(_[a-z]+)+", h.strip())], headings


def test_a_changelog_line_shows_its_code_as_code_and_nothing_else_as_markup():
    md = changes.changelog_markdown("Added: GRET's `reference_income` and *no* [link]")
    assert "`reference_income`" in md and "\\*no\\*" in md and "\\[link\\]" in md
    assert "`" not in changes.changelog_markdown("an unpaired ` backtick")
    assert changes.changelog_markdown("the `a_b` and `c`.") == "the `a_b` and `c`."

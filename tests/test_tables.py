"""Table layout (analysis.publish.tables, markup.show's wide/rows/columns): what a reader sees
first, and the whole table folded behind it. The browser measures the result (test_browser)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.core import reconcile
from analysis.publish import chapter, tables

FLOW = pd.DataFrame({"year": range(1, 21), "benefits": range(20), "costs": range(20, 40), "net": range(-20, 0)})


@pytest.fixture(autouse=True)
def numbering():
    chapter.reset_numbering()
    yield
    chapter.reset_numbering()


def test_ends_are_the_first_rows_and_the_last():
    assert tables.ends(FLOW) == [0, 1, 2, 19]
    assert tables.ends(FLOW, head=1) == [0, 19]
    assert tables.ends(FLOW.head(2)) == [0, 1]
    assert tables.ends(FLOW.head(0)) == []


def test_a_preview_takes_rows_by_position_or_mask_and_columns_by_name():
    assert tables.preview(FLOW, [19, 0])["year"].tolist() == [20, 1]
    mask = FLOW["net"] > -3
    assert tables.preview(FLOW, mask)["year"].tolist() == [19, 20]
    assert list(tables.preview(FLOW, None, ["year", "net"]).columns) == ["year", "net"]
    assert tables.preview(FLOW).shape == FLOW.shape


def test_differences_come_first_each_group_in_its_order():
    df = pd.DataFrame({"cell": list("abcde"), "verdict": ["exact", "differs", "exact", "differs", "exact"]})
    ordered, n = tables.differences_first(df, df["verdict"] != "exact")
    assert ordered["cell"].tolist() == ["b", "d", "a", "c", "e"] and n == 2
    with pytest.raises(ValueError, match="2 values for 5 rows"):
        tables.differences_first(df, [True, False])


def test_a_whole_table_shows_as_before_and_a_wide_one_takes_the_full_width():
    plain = chapter.show(FLOW, "Flow").data
    assert plain.startswith('<div class="table-scroll" tabindex="0">') and "<details" not in plain
    wide = chapter.show(FLOW, "Flow", wide=True).data
    assert wide.startswith(f'<div class="table-scroll {tables.FULL_WIDTH}"') and "Table 2. Flow" in wide


def test_a_preview_is_followed_by_the_whole_table_folded_under_the_same_number():
    out = chapter.show(FLOW, "Flow", rows=tables.ends(FLOW), columns=["year", "net"]).data
    seen, folded = out.split("<details", 1)
    assert "<caption>Table 1. Flow</caption>" in seen and seen.count("</tr>") == 1 + 4  # header + 4 rows
    assert "<th>benefits</th>" not in seen
    assert "<summary>Table 1 in full: 20 rows, 4 columns (4 rows and 2 columns of it above)</summary>" in folded
    assert "<caption>Table 1 in full. Flow</caption>" in folded and folded.count("</tr>") == 1 + 20
    assert "Table 2. Next" in chapter.show(FLOW, "Next").data  # one number for both


def test_no_rows_folds_the_whole_table_behind_its_caption():
    out = chapter.show(FLOW, "Flow", rows=[]).data
    assert out.lstrip().startswith('<details class="table-fold">')
    assert "<summary>Table 1. Flow (20 rows, 4 columns)</summary>" in out and "Table 1 in full. Flow" in out


def test_the_fold_label_says_what_of_the_table_is_above():
    above = "Table 3 in full: 20 rows, 4 columns (5 rows of it above)"
    assert tables.fold_label(FLOW, "Table 3", FLOW.head(5)) == above
    assert tables.fold_label(FLOW, "Table 3", None) == "Table 3 in full: 20 rows, 4 columns"


def _rec(verdicts):
    n = len(verdicts)
    return pd.DataFrame(
        {
            "table": ["T"] * n,
            "scenario": ["s"] * n,
            "row": [f"r{i}" for i in range(n)],
            "column": ["c"] * n,
            "published": [1.0] * n,
            "reproduced": [1.0] * n,
            "difference": [0.0] * n,
            "decimals": [0] * n,
            "tolerance": [float("nan")] * n,
            "verdict": verdicts,
            "reason": [""] * n,
        }
    )


def test_a_reconciliation_shows_its_differing_cells_first_in_view_and_folds_the_exact_ones():
    exact, differs = reconcile.VERDICTS[0], reconcile.VERDICTS[3]
    out = chapter.reconciliation_cells(_rec([exact, differs, exact, differs]), differences_first=True).data
    seen, folded = out.split("<details", 1)
    assert seen.count(differs) == 2 and exact not in seen  # every differing cell in view, first
    assert folded.index("r1") < folded.index("r3") < folded.index("r0") < folded.index("r2")
    assert f"{tables.FULL_WIDTH}" in seen
    # without the option, every cell in view, in its order
    plain = chapter.reconciliation_cells(_rec([exact, differs])).data
    assert "<details" not in plain and plain.index("r0") < plain.index("r1")


def test_wide_markdown_tables_sit_in_the_themes_full_width_container():
    md = chapter.myst_table("Register", ["| a |", "|---|", "| 1 |"], wide=True)
    assert md.startswith(f"::::{{container}} {tables.FULL_WIDTH}\n:::{{table}} Table 1. Register") and md.endswith(
        ":::\n::::"
    )
    assert chapter.myst_table("Other", ["| a |"]).startswith(":::{table} Table 2. Other")


def test_appendix_like_parts_are_parts_of_every_chapter():
    assert set(chapter.APPENDIX_PARTS) < set(chapter.PARTS)
    assert chapter.PARTS.index("results") < min(chapter.PARTS.index(p) for p in chapter.APPENDIX_PARTS)


def test_every_cell_carries_its_columns_heading_for_the_phone_layout():
    df = pd.DataFrame({"year": [1, 2], 'a "b" <c>': ["x", "y"], 7: [0.5, 1.5]})
    out = chapter.show(df, "Labels").data
    assert out.count('data-label="year"') == 2 and out.count('data-label="7"') == 2
    assert out.count('data-label="a &quot;b&quot; &lt;c&gt;"') == 2
    assert out.count("<td") == out.count("data-label=") == 6


def test_a_row_after_rows_left_out_is_marked():
    assert tables.gaps(FLOW, tables.ends(FLOW)) == [3] and tables.gaps(FLOW, [0, 1, 2]) == []
    assert tables.gaps(FLOW, None) == []
    out = chapter.show(FLOW, "Flow", rows=tables.ends(FLOW)).data
    seen, folded = out.split("<details", 1)
    assert seen.count('<tr class="after-gap">') == 1 and "after-gap" not in folded
    assert seen.index('<tr class="after-gap">') < seen.index('"year" class="num">20</td>')

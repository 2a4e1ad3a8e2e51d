"""The assumptions register: every value cited, every parameter the models read is registered."""

import numpy as np
import pytest

from analysis import evaluations
from analysis.core import params, reconcile
from analysis.publish import chapter, markup


class Tracking(dict):
    """A parameter dict that records every key the model reads."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


CASES = [(name, s) for name, ev in evaluations.REGISTRY.items() for s in ev.scenarios()]


@pytest.mark.parametrize("evaluation, scenario", CASES, ids=[f"{e}/{s}" for e, s in CASES])
def test_every_entry_is_cited_and_located(evaluation, scenario):
    keys = params.bibliography_keys()
    sc = evaluations.load(evaluation, scenario)
    for key, entry in sc.entries.items():
        assert entry["source"] in keys, (key, entry["source"])
        assert entry["locator"].strip() and entry["unit"].strip(), key
        for block in ("range", "distribution"):
            if block in entry:
                assert entry[block]["source"] in keys and entry[block]["locator"].strip(), (key, block)


@pytest.mark.parametrize("evaluation", list(evaluations.REGISTRY))
def test_the_model_reads_only_registered_parameters(evaluation):
    ev = evaluations.get(evaluation)
    sc = ev.load()
    p = Tracking(sc.values)
    ev.evaluate(p)
    assert p.read, "the model read no parameter through the register"
    assert p.read <= set(sc.entries), f"read but not registered: {sorted(p.read - set(sc.entries))}"


def test_a_model_reading_an_unregistered_parameter_is_caught():
    p = Tracking({"a": 1})
    p.get("b")
    assert not p.read <= {"a"}


@pytest.mark.parametrize("evaluation", list(evaluations.REGISTRY))
def test_published_cells_are_cited_and_located(evaluation):
    pub = reconcile.published(evaluation)
    assert pub["locator"].str.strip().astype(bool).all()
    assert np.isfinite(pub["published"]).all() and (pub["decimals"] >= 0).all()
    tol = pub.dropna(subset=["tolerance"])
    assert (tol["tolerance"] > 0).all() and tol["tolerance_reason"].str.strip().astype(bool).all(), (
        "a stated tolerance needs its reason"
    )


@pytest.mark.parametrize("evaluation", list(evaluations.REGISTRY))
def test_the_register_shows_meaning_formatted_values_and_live_citations(evaluation):
    ev = evaluations.get(evaluation)
    sc = ev.load()
    md = chapter.register(sc, ev.parameters).data
    rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert len(rows) == len(sc.entries)
    for row, (key, entry) in zip(rows, sc.entries.items(), strict=True):
        assert f"`{key}`" in row and f"{{cite:p}}`{entry['source']}`" in row
    assert all(ev.parameters[k].doc for k in sc.entries), "every parameter needs its meaning (Spec.doc)"


def test_values_are_shown_with_their_unit():
    share, rate = params.Spec("share"), params.Spec("number", 0, 1, fmt="percent")
    assert chapter.format_value(0.0705, share) == "7.05\u00a0%"
    assert chapter.format_value(0.12, rate) == "12\u00a0%"
    assert chapter.format_value({20: 1.0}, params.Spec("share_map")) == "20 years: 100\u00a0%"
    assert chapter.format_value(True, params.Spec("boolean")) == "yes"
    assert chapter.format_value("works_plus_premium", params.Spec("choice")) == "works plus premium"
    assert chapter.format_value(42582.0, params.Spec("number")) == "42,582"
    assert chapter.format_value([0.5, 1.0], params.Spec("number_list")) == "0.5, 1"


def test_text_from_a_parameter_file_is_escaped_in_the_register():
    sc = params.Scenario(
        "x",
        "s",
        "",
        {"a": {"value": 1.0, "unit": "<b>u</b>", "source": "k", "locator": "<script>alert(1)</script>", "file": "f"}},
    )
    md = chapter.register(sc, {"a": params.Spec("number", doc="a | b")}).data
    assert "<script>" not in md and "&lt;script&gt;" in md and "a \\| b" in md


def test_tables_are_numbered_captioned_and_scroll_in_their_own_box():
    import pandas as pd

    chapter.reset_numbering()
    first = chapter.show(pd.DataFrame({"a": [1]}), "First <table>").data
    md = chapter.register(
        params.Scenario("x", "s", "", {"a": {"value": 1.0, "unit": "u", "source": "k", "locator": "l", "file": "f"}}),
        {"a": params.Spec("number", doc="d")},
    ).data
    third = chapter.show(pd.DataFrame({"a": [1]}), "Third").data
    assert first.startswith('<div class="table-scroll"') and first.rstrip().endswith("</div>")
    assert "<caption>Table 1. First &lt;table&gt;</caption>" in first
    assert ":::{table} Table 2. Assumptions register of scenario s" in md and md.endswith(":::\n::::")
    assert "<caption>Table 3. Third</caption>" in third
    assert "<caption>" not in chapter.show(pd.DataFrame({"a": [1]})).data  # no caption asked, none given
    chapter.reset_numbering()


def test_identifiers_are_shown_as_words():
    assert chapter.label("irr_percent") == "irr percent" and chapter.label(3) == 3


def test_numeric_columns_are_aligned_as_numbers_and_text_is_not():
    import pandas as pd

    df = pd.DataFrame(
        {
            "row": ["Tabla 3", "x"],
            "money": ["1,234.5", "-7.05\u00a0%"],
            "n": [1, 2],
            "text": ["a b", "3"],
            "flag": [True, False],
        }
    )
    assert markup._numeric_columns(df) == [1, 2]
    out = chapter.show(df).data
    assert '<td data-label="money" class="num">1,234.5</td>' in out and '<th class="num">money</th>' in out
    assert '<td data-label="row">Tabla 3</td>' in out and '<td data-label="text">a b</td>' in out
    assert '<td data-label="flag">True</td>' in out


def test_no_bibtex_key_or_file_path_in_the_text_of_a_parameter_file():
    """Units, locators, notes and descriptions reach the page as text: they name documents, never a
    BibTeX key (the register cites through `source`) or a path of the project's working files."""
    import re

    keys = params.bibliography_keys()
    found = []
    for path in sorted(params.DATA_DIR.glob("*/*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.split("#", 1)[0]
            if re.match(r"\s*source:", text):
                continue
            leaks = [k for k in keys if re.search(rf"\b{re.escape(k)}\b", text)]
            if leaks or "seeds/" in text:
                found.append(f"{params.display_path(path)}: {line.strip()}")
    assert not found, "\n".join(found)

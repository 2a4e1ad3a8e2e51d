"""The verdict on each conclusion (analysis.core.verdict): one vocabulary, one rule, its reasons as
data, the same sentence wherever it is shown (the built book's pages: test_browser; the PDF:
test_pdf)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest
from conftest import ROOT

from analysis import evaluations
from analysis.core import uncertainty, verdict
from analysis.publish import chapter, summary

NAMES = list(evaluations.REGISTRY)


def test_wilson_interval_known_values():
    # Wilson (1927); values as in Brown, Cai and DasGupta (2001), and the proportion's bounds
    low, high = verdict.wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = verdict.wilson(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    low, high = verdict.wilson(10, 10)
    assert round(low, 4) == 0.7225 and high == 1.0
    low, high = verdict.wilson(38_254, 100_000)
    assert low < 0.38254 < high and high - low < 0.007


@pytest.mark.parametrize("holds", [True, False])
@pytest.mark.parametrize("reading", [True, False])
@pytest.mark.parametrize("inside", [True, False])
@pytest.mark.parametrize("p_fails", [0.0, 0.049, 0.05, 0.7])
def test_the_rule_applies_the_first_word_that_fits(holds, reading, inside, p_fails):
    word = verdict.rule(holds, reading, inside, p_fails)
    if not holds:
        assert word == verdict.FAILS
    elif reading:
        assert word == verdict.READING
    elif inside or p_fails >= verdict.FAILS_IN_DRAWS:
        assert word == verdict.FRAGILE
    else:
        assert word == verdict.ROBUST
    assert word in verdict.WORDS


def test_the_vocabulary_is_defined_once_and_in_rule_order():
    table = verdict.vocabulary()
    assert list(table["verdict"]) == [verdict.FAILS, verdict.READING, verdict.FRAGILE, verdict.ROBUST]
    assert set(table["verdict"]) == set(verdict.WORDS) and all(table["when"].str.len() > 20)


@pytest.mark.parametrize("name", NAMES)
def test_the_most_fragile_assumption_is_the_rules_never_a_policy_and_in_words(name):
    ev = evaluations.get(name)
    res = verdict.analysed(ev)
    v = res["verdict"]
    ranked = verdict.ranked(res)
    assert v.most_fragile == (ranked[0] if ranked else None)
    assert all(a.parameter not in ev.policy for a in ranked)
    # inside-range flips first, then by distance in widths of the range
    inside = [a.inside for a in ranked]
    assert inside == sorted(inside, reverse=True)
    for group in (True, False):
        widths = [a.widths for a in ranked if a.inside is group and a.widths is not None]
        assert widths == sorted(widths)
    for a in ranked:
        assert a.label and "_" not in a.label and len(a.label) < 80, a
        if a.inside:
            assert a.low <= a.switching_value <= a.high
    assert v.flips_inside == tuple(a for a in ranked if a.inside)


def test_el_salvador_and_gret_name_an_assumption_that_flips_inside_its_range():
    # The finding: rent_to_price (switching outside its range) and borrower_savings_rate were
    # named while others flip the conclusion inside theirs.
    es = verdict.analysed(evaluations.get("elsalvador"))["verdict"]
    assert es.most_fragile.parameter == "new_home_share" and es.most_fragile.inside
    assert {a.parameter for a in es.flips_inside} >= {"new_home_share", "construction_weight", "recovery_share"}
    gret = verdict.analysed(evaluations.get("gret"))["verdict"]
    assert gret.most_fragile.parameter == "years_between" and gret.most_fragile.inside
    peru = verdict.analysed(evaluations.get("peru"))["verdict"]
    assert peru.most_fragile.parameter != "discount_rate" and not peru.flips_inside


def test_the_verdicts_of_the_book_and_their_probabilities():
    for name in NAMES:
        v = verdict.analysed(evaluations.get(name))["verdict"]
        # each holds at its scenario and fails often; Peru's turns on two readings of its method
        assert v.holds and v.word == (verdict.READING if name == "peru" else verdict.FRAGILE)
        assert v.p_fails_low < v.p_fails < v.p_fails_high and v.draws == uncertainty.DEFAULT_DRAWS
        assert v.p_fails >= verdict.FAILS_IN_DRAWS


def test_a_reading_that_flips_the_conclusion_makes_it_depend_on_the_reading():
    ev = evaluations.get("elsalvador")
    v = verdict.analysed(ev, None, {"new_home_share": 0.41})["verdict"]  # just above its switching value
    assert v.holds and v.word == verdict.READING
    keys = [k for k, _, _ in v.readings_flipping]
    assert "value_added_text" in keys
    effects = ev.reading_effects({**ev.load().values, "new_home_share": 0.41}, "as_published").set_index("key")
    assert effects.loc["value_added_text", "npv"] < 0
    assert "A reading flips it: Value added as the text states" in v.sentence


def test_a_conclusion_that_fails_at_the_scenario_does_not_hold():
    v = verdict.analysed(evaluations.get("elsalvador"), None, {"new_home_share": 0.35})["verdict"]
    assert not v.holds and v.word == verdict.FAILS and v.sentence.startswith("Does not hold.")
    assert "it does not" in v.sentence


@pytest.mark.parametrize("name", NAMES)
def test_the_sentence_is_its_parts_and_the_box_glues_every_number(name):
    v = verdict.analysed(evaluations.get(name))["verdict"]
    parts = v.parts()
    numbers = [p for p in parts if isinstance(p, verdict.Number)]
    assert v.sentence == "".join(p if isinstance(p, str) else p.shown() for p in parts)
    assert v.sentence.startswith(v.word[0].upper() + v.word[1:] + ".")
    text = "".join(p for p in parts if isinstance(p, str)).replace(v.criterion, "").replace(v.measure, "")
    for _, _, how in v.calibrated:  # how a value was solved names the tables ("Tabla 5")
        text = text.replace(how, "")
    assert not re.search(r"\d", text), text  # every number is a Number
    box = chapter.verdict_box(v)
    assert box.count("{glue:text}") == len(numbers)
    assert f":class: verdict verdict-{name}" in box
    json.dumps(v.as_dict(), allow_nan=False)


@pytest.mark.slow
def test_summary_and_uncertainty_tables_carry_the_verdicts_word():
    runs = summary.analyses(with_sobol=True)
    across, _, _, verdicts = summary.comparison(runs)
    for _, row in across.iterrows():
        v = verdicts[row["evaluation"]]
        assert row["verdict"] == v.word and row["probability it fails"] == v.p_fails
        assert row["most fragile assumption"] == (v.most_fragile.label if v.most_fragile else None)
    frame = summary.summary()
    for name in NAMES:
        table = summary.summary_table(frame, name)
        last = table[table["measure"].str.startswith("verdict on the conclusion")]
        assert len(last) == len(evaluations.get(name).summary_scenarios())
        assert set(last["this book"]) <= set(verdict.WORDS)
        assert not table["this book"].isin(["yes", "no"]).any()  # never a bare "holds: yes"


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_the_command_line_gives_the_same_verdict(command):
    done = subprocess.run(
        [sys.executable, "-m", "analysis", command, "elsalvador", "--json"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)["verdict"]
    v = verdict.analysed(evaluations.get("elsalvador"))["verdict"]
    assert got["word"] == v.word and got["sentence"] == v.sentence
    assert got["most_fragile"]["parameter"] == v.most_fragile.parameter
    assert math.isclose(got["monte_carlo"]["p_fails"], v.p_fails)
    text = subprocess.run(
        [sys.executable, "-m", "analysis", command, "elsalvador"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    # the terminal wraps lines: compared with all whitespace (no-break spaces too) as one space
    assert " ".join(v.sentence.split()) in " ".join(text.split())


def test_no_other_module_or_notebook_words_a_verdict():
    """The verdict's words are written once, in analysis/core/verdict.py; no notebook, template or
    other module spells them or says "holds: yes"."""
    words = [w for w in verdict.WORDS if w != verdict.ROBUST] + ["holds: yes", "is met in this run"]
    places = [
        *sorted((ROOT / "analysis").rglob("*.py")),
        *sorted((ROOT / "notebooks").glob("*.ipynb")),
        *sorted((ROOT / "book" / "_static").glob("*.js")),
    ]
    found = [
        f"{p.relative_to(ROOT)}: {w!r}"
        for p in places
        if p.name != "verdict.py"
        for w in words
        if w in p.read_text(encoding="utf-8")
    ]
    assert not found, found


@pytest.mark.slow
def test_the_workbook_states_the_books_verdict_at_its_inputs(tmp_path):
    import openpyxl

    from analysis.publish import workbook

    overrides = {"new_home_share": 0.35}
    path = workbook.write("elsalvador", "as_published", overrides, path=tmp_path / "es.xlsx", commit="test")
    about = {r[0].value: r[1].value for r in openpyxl.load_workbook(path)["About"].iter_rows()}
    v = verdict.analysed(evaluations.get("elsalvador"), "as_published", overrides)["verdict"]
    assert about["verdict (the book's, at these inputs)"] == v.sentence and v.word == verdict.FAILS

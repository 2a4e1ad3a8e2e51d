"""The evaluation contract, the registry, the reconciliation engine and the readings shape."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis import evaluations
from analysis.core import contract, params, readings, reconcile
from analysis.core.contract import Criterion, Metric, Reading
from analysis.publish import build, contents

EVALUATIONS = list(evaluations.REGISTRY.values())
IDS = [ev.name for ev in EVALUATIONS]


# --- the registry ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ev", EVALUATIONS, ids=IDS)
def test_every_registered_evaluation_fulfils_the_contract(ev):
    assert isinstance(ev, contract.Evaluation)
    assert ev.name == ev.name.lower() and ev.name.isidentifier()
    assert ev.source in params.bibliography_keys()
    assert ev.scenario in ev.scenarios()
    assert set(ev.summary_scenarios()) <= set(ev.scenarios())
    sc, res = ev.run()
    for m in ev.metrics:  # every headline metric is computed, finite, by the scalar and the batch path
        assert m.name in res.metrics and math.isfinite(res.metrics[m.name]), m.name
    batch = ev.evaluate_batch(sc.values, {}, with_irr=bool(ev.rate_of_return))
    assert batch[ev.criterion.metric][0] == pytest.approx(res.metrics[ev.criterion.metric], rel=1e-9, abs=1e-9)
    assert set(sc.entries) == set(ev.parameters)


def test_no_evaluation_words_its_own_verdict():
    """The verdict is judged once (analysis.core.verdict): no module of an evaluation defines a
    verdict, a rule or a "most fragile" of its own."""
    import ast

    own = [
        f"{path.relative_to(build.ROOT)}:{n.lineno}"
        for path in sorted((build.ROOT / "analysis" / "evaluations").rglob("*.py"))
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(n, ast.FunctionDef) and n.name in ("verdict", "judge", "rule")
    ]
    assert not own, own


@pytest.mark.parametrize("ev", EVALUATIONS, ids=IDS)
def test_every_evaluation_has_its_notebook_data_and_published_tables(ev):
    assert (build.ROOT / "notebooks" / f"{ev.name}.ipynb").is_file()
    assert (params.DATA_DIR / ev.name / f"{ev.scenario}.yaml").is_file()
    pub = reconcile.published(ev.name)
    assert len(pub) and pub["locator"].str.strip().astype(bool).all()
    assert set(pub["scenario"]) <= set(ev.scenarios())


def test_the_build_the_toc_and_the_release_read_the_registry():
    chapters = [stem for stem, evaluation, _ in contents.pages() if evaluation != "*"]
    assert chapters == list(evaluations.REGISTRY)
    assert [p for p in contents.toc_pages() if p.split("/")[-1] in evaluations.REGISTRY] == [
        f"book/{n}" for n in evaluations.REGISTRY
    ]
    for stem, _, parameters in contents.pages():
        if stem in evaluations.REGISTRY:
            assert parameters == {"scenario": evaluations.REGISTRY[stem].scenario, "overrides": {}}


def test_an_unknown_evaluation_names_the_known_ones():
    known = ", ".join(evaluations.REGISTRY)
    with pytest.raises(params.ParameterError, match=rf"unknown evaluation 'nope' \(known: {known}\)"):
        evaluations.get("nope")


# --- metrics, criteria, readings ------------------------------------------------------------------


def test_metric_formats_in_its_unit():
    assert Metric("npv", "NPV", "USD", "money", 0).format(2244518.08) == "2,244,518"
    assert Metric("irr", "IRR", "% a year", "percent", 1).format(0.1327) == "13.3\u00a0%"
    assert Metric("bc", "B/C", "ratio", "ratio", 2).format(1.8749) == "1.87"
    assert Metric("npv", "NPV", "USD", "money", 0).format(-0.2) == "0"  # never "-0"
    assert Metric("irr", "IRR", "%", "percent", 1).format(float("nan")) == "n/a"
    with pytest.raises(ValueError, match="format"):
        Metric("x", "x", "x", "dollars")


@pytest.mark.parametrize(
    "criterion, passing, failing",
    [
        (Criterion("npv", 0.0, ">="), [0.0, 5.0], [-1e-9, -5.0, float("nan")]),
        (Criterion("effort", 0.5, "<="), [0.5, 0.2], [0.5000001, 0.9, float("nan")]),
        (Criterion("bc", 1.0, ">="), [1.0, 1.2], [0.99]),
    ],
)
def test_a_criterion_knows_its_direction(criterion, passing, failing):
    assert all(criterion.passes(v) and not criterion.fails(v) for v in passing)
    assert all(criterion.fails(v) and not criterion.passes(v) for v in failing)
    arr = np.array(passing + failing)
    assert list(criterion.fails(arr)) == [False] * len(passing) + [True] * len(failing)


def test_criterion_failure_text():
    assert Criterion("npv", 0.0, ">=").failure == "npv < 0"
    assert Criterion("effort_rate.200", 0.5, "<=").failure == "effort_rate.200 > 0.5"
    with pytest.raises(ValueError, match="direction"):
        Criterion("npv", 0.0, ">")


def test_a_reading_has_one_of_three_kinds():
    with pytest.raises(ValueError, match="kind"):
        Reading("x", "x", {}, "p. 1", "ambiguity")
    r = Reading("x", "x", {"a": 1}, "p. 1", "correction", ("base",))
    assert r.applies_to("base") and not r.applies_to("other") and r.applies_to(None)


def test_an_evaluation_rejects_readings_of_unknown_parameters():
    es = evaluations.get("elsalvador")
    bad = Reading("bad", "bad", {"no_such_parameter": 1}, "p. 1", "alternative reading")
    with pytest.raises(ValueError, match="no_such_parameter"):
        contract.Evaluation(**{**es.__dict__, "readings": (bad,)})
    with pytest.raises(ValueError, match="criterion's metric"):
        contract.Evaluation(**{**es.__dict__, "criterion": Criterion("not_a_headline", 0.0)})


@pytest.mark.parametrize(
    "ev", [ev for ev in EVALUATIONS if ev.readings], ids=[ev.name for ev in EVALUATIONS if ev.readings]
)
def test_readings_effects_have_one_shape(ev):
    sc = ev.load()
    eff = ev.reading_effects(sc.values, sc.name)
    expected = ["key", "reading", "kind", "locator"] + [c for m in ev.metrics for c in (m.name, f"{m.name} change")]
    assert list(eff.columns) == expected
    assert set(eff["kind"]) <= set(contract.READING_KINDS)
    assert len(eff) == sum(r.applies_to(sc.name) for r in ev.readings)
    base = ev.evaluate(sc.values).metrics
    row = eff.iloc[0]
    m = ev.metrics[0].name
    alone = (
        ev.evaluate({**sc.values, **ev.readings[0].overrides}).metrics[m]
        if ev.readings[0].applies_to(sc.name)
        else None
    )
    if alone is not None:
        assert row[m] == pytest.approx(alone) and row[f"{m} change"] == pytest.approx(alone - base[m])


def test_all_together_merges_the_overrides_of_one_kind():
    es = evaluations.get("elsalvador")
    merged = readings.all_together(es, "document slip")
    assert merged and all(r.overrides.items() <= merged.items() for r in es.readings if r.kind == "document slip")


# --- the reconciliation engine --------------------------------------------------------------------


@pytest.mark.parametrize(
    "published, reproduced, decimals, tolerance, threshold, reason, expected",
    [
        (13.3, 13.27, 1, np.nan, np.nan, "", "exact at printed precision"),
        (13.3, 13.349, 1, np.nan, np.nan, "", "exact at printed precision"),
        (13.3, 13.36, 1, np.nan, np.nan, "", "differs, unexplained"),
        (100.0, 100.9, 0, 1.0, np.nan, "", "within stated tolerance"),
        (100.0, 101.5, 0, 1.0, np.nan, "why", "differs, explained"),
        # a different sign is never within tolerance, however large the tolerance
        (4.0, -56.57, 0, 300.0, np.nan, "", "differs, unexplained"),
        (4.0, -56.57, 0, 300.0, np.nan, "the deduction", "differs, explained"),
        (0.4, -0.4, 0, np.nan, np.nan, "", "differs, unexplained"),
        # nor on the other side of the decision threshold
        (1.02, 0.99, 2, 0.05, 1.0, "", "differs, unexplained"),
        (12.4, 11.9, 1, 1.0, 12.0, "", "differs, unexplained"),
        (12.4, 12.1, 1, 1.0, 12.0, "", "within stated tolerance"),
        (5.0, np.nan, 0, 1.0, np.nan, "", "differs, unexplained"),
    ],
)
def test_verdicts(published, reproduced, decimals, tolerance, threshold, reason, expected):
    assert reconcile.verdict(published, reproduced, decimals, tolerance, threshold, reason) == expected


def _cells(rows):
    return pd.DataFrame(rows, columns=reconcile.PUBLISHED_COLUMNS)


def test_compare_returns_the_same_columns_and_keeps_reasons():
    pub = _cells(
        [
            ("t", "base", "a", "npv", 4.0, 0, 300.0, "rounding", 0.0, "Tabla 6"),
            ("t", "base", "b", "npv", 10.0, 0, 1.0, "rounding", 0.0, "Tabla 6"),
            ("t", "base", "c", "npv", 10.0, 0, np.nan, "", np.nan, "Tabla 6"),
        ]
    )
    rep = pd.DataFrame(
        {"table": "t", "scenario": "base", "row": ["a", "b", "c"], "column": "npv", "value": [-56.6, 10.6, 10.2]}
    )
    why = pd.DataFrame([("t", "base", "a", "npv", "the deduction is unspecified")], columns=reconcile.KEY + ["reason"])
    out = reconcile.compare(pub, rep, why)
    assert list(out.columns) == reconcile.COLUMNS
    v = out.set_index("row")
    assert v.loc["a", "verdict"] == "differs, explained" and v.loc["a", "reason"] == "the deduction is unspecified"
    assert v.loc["b", "verdict"] == "within stated tolerance" and v.loc["b", "reason"] == "rounding"
    assert v.loc["c", "verdict"] == "exact at printed precision" and v.loc["c", "reason"] == ""
    s = reconcile.summary(out)
    assert list(s.columns) == ["table", "scenario", "cells", *reconcile.VERDICTS] and s["cells"].sum() == 3


def test_a_published_table_with_a_duplicate_cell_is_refused(tmp_path):
    folder = tmp_path / "published" / "toy"
    folder.mkdir(parents=True)
    (folder / "published.csv").write_text(
        "table,scenario,row,column,published,decimals,locator\nt,s,1,x,1.0,0,p. 1\nt,s,1,x,2.0,0,p. 1\n"
    )
    with pytest.raises(params.ParameterError, match=r"published.csv: t/s/1/x: the same cell appears twice"):
        reconcile.published("toy", data_dir=tmp_path)
    (folder / "published.csv").write_text("table,scenario,row,published\nt,s,1,1.0\n")
    with pytest.raises(params.ParameterError, match="published.csv: column: missing column"):
        reconcile.published("toy", data_dir=tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("ev", EVALUATIONS, ids=IDS)
def test_every_evaluation_reconciles_with_one_vocabulary(ev):
    rec = ev.reconcile()
    assert list(rec.columns) == reconcile.COLUMNS
    assert set(rec["verdict"]) <= set(reconcile.VERDICTS)
    unexplained = rec[rec["verdict"] == "differs, unexplained"]
    assert unexplained.empty, f"{ev.name}: differences without a reason:\n{unexplained.to_string()}"
    assert reconcile.stale_explanations(ev, rec).empty, f"{ev.name}: explanations of cells that no longer differ"
    # never "exact" or "within" across a sign or a decision threshold
    ok = rec[rec["verdict"].isin(reconcile.VERDICTS[:2])]
    assert not (ok["published"] * ok["reproduced"] < 0).any()
    th = ok.dropna(subset=["threshold"])
    assert ((th["published"] >= th["threshold"]) == (th["reproduced"] >= th["threshold"])).all()

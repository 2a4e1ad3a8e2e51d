"""El Salvador CCLIP: every published cell of Tablas 3, 5 and 6 through the reconciliation engine,
what the chapter finds, the readings, and the model's properties."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import evaluations
from analysis.core import reconcile
from analysis.evaluations.elsalvador import findings, model, reconciliation
from analysis.release import releases

ROOT = Path(__file__).resolve().parent.parent
EV = evaluations.get("elsalvador")
EXACT, WITHIN, EXPLAINED, UNEXPLAINED = reconcile.VERDICTS


@pytest.fixture(scope="module")
def base():
    return EV.load("as_published").values


@pytest.fixture(scope="module")
def rec():
    return EV.reconcile()


# --- the published tables through the engine ------------------------------------------------------


def test_verdict_counts_per_table(rec):
    counts = reconcile.summary(rec, by=("table",)).set_index("table")
    assert counts.loc["Tabla 3", "cells"] == 35 * 6 - 16  # the blank cells of the original are not published
    assert counts.loc["Tabla 3", EXACT] == 194
    assert counts.loc["Tabla 5", "cells"] == 35 * 8 + 2 and counts.loc["Tabla 5", EXACT] == 282
    assert counts.loc["Tabla 6", "cells"] == 22
    assert counts.loc["Tabla 6", EXACT] == 20 and counts.loc["Tabla 6", WITHIN] == 2
    assert counts[[EXPLAINED, UNEXPLAINED]].to_numpy().sum() == 0


def test_no_cell_differs_unexplained_and_every_cell_is_reproduced(rec):
    assert len(rec) == 498
    assert rec["reproduced"].notna().all(), rec[rec["reproduced"].isna()]
    assert not (rec["verdict"] == UNEXPLAINED).any(), rec[rec["verdict"] == UNEXPLAINED]


def test_no_stale_explanation(rec):
    assert reconcile.stale_explanations(EV, rec).empty


def test_only_two_tabla6_npvs_need_the_stated_tolerance(rec):
    within = rec[rec["verdict"] == WITHIN]
    assert sorted(within["scenario"]) == ["h3_s1", "h3_s4"] and set(within["column"]) == {"npv"}
    npv = rec[(rec["table"] == "Tabla 6") & (rec["column"] == "npv")]
    assert len(npv) == 11 and (npv["difference"].abs() <= 0.02).all()  # all NPVs within USD 0.02
    assert (npv["difference"].abs() > 0.005).sum() == 2  # two are not exact at the cent


def test_tolerances_are_stated_only_on_tabla6_npvs_with_a_reason():
    pub = reconcile.published("elsalvador")
    tol = pub[pub["tolerance"].notna()]
    assert set(zip(tol["table"], tol["column"])) == {("Tabla 6", "npv")} and len(tol) == 11
    assert (tol["tolerance_reason"].str.len() > 20).all()


def test_thresholds_on_decision_cells_only():
    pub = reconcile.published("elsalvador")
    decision = pub["column"].isin(["npv", "irr_percent"])
    assert pub.loc[decision & (pub["column"] == "npv"), "threshold"].eq(0).all()
    assert np.allclose(
        pub.loc[decision & (pub["column"] == "irr_percent"), "threshold"], 100 * EV.load().values["discount_rate"]
    )
    assert pub.loc[~decision, "threshold"].isna().all()


def test_tabla5_totals_and_tabla6_irrs_at_their_printed_decimals(rec):
    cell = rec.set_index(["table", "scenario", "row", "column"])
    npv = cell.loc[("Tabla 5", "as_published", "total", "npv")]
    irr = cell.loc[("Tabla 5", "as_published", "total", "irr_percent")]
    assert (npv["published"], npv["decimals"], npv["verdict"]) == (2_244_518.08, 2, EXACT)  # VAN 2.244.518,08
    assert (irr["published"], irr["decimals"], irr["verdict"]) == (13.3, 1, EXACT)  # TIR 13,3 %
    irrs = rec[(rec["table"] == "Tabla 6") & (rec["column"] == "irr_percent")]
    assert (irrs["verdict"] == EXACT).all()
    assert set(irrs.loc[irrs["decimals"] == 1, "scenario"]) == {"h2_s1", "h2_s2"}


def test_reproduce_gives_the_published_keys(base):
    rep = reconciliation.reproduce("as_published", base)
    assert list(rep.columns) == ["table", "row", "column", "value"]
    assert all(rep[c].map(type).eq(str).all() for c in ("table", "row", "column"))
    assert set(rep["table"]) == set(reconciliation.TABLES)
    pub = reconcile.published("elsalvador")
    keys = set(zip(rep["table"], rep["row"], rep["column"]))
    mine = pub[pub["scenario"] == "as_published"]
    assert set(zip(mine["table"], mine["row"], mine["column"])) <= keys


def test_a_different_sign_is_never_within_tolerance(base):
    """h1_s1 with the term mix printed in Tabla 6 (20/30 years) turns the published positive NPV
    negative: whatever the tolerance, the cell differs (sign rule)."""
    pub = reconcile.published("elsalvador").query("table == 'Tabla 6' and scenario == 'h1_s1'").copy()
    pub["tolerance"] = 1e9
    printed = next(r for r in EV.readings if r.key == "printed_term_mix")
    p = EV.load("h1_s1").values
    rep = reconciliation.reproduce("h1_s1", {**p, **printed.overrides}).assign(scenario="h1_s1")
    out = reconcile.compare(pub, rep, reconcile.explained("elsalvador")).set_index("column")
    assert out.loc["npv", "published"] > 0 > out.loc["npv", "reproduced"]
    assert out.loc["npv", "verdict"] == UNEXPLAINED
    # and the IRR, which falls below the 12 % threshold, is not within the huge tolerance either
    assert out.loc["irr_percent", "reproduced"] < 12 < out.loc["irr_percent", "published"]
    assert out.loc["irr_percent", "verdict"] == UNEXPLAINED


def test_reconciliation_summary_has_no_stray_column(rec):
    summary = reconcile.summary(rec)
    assert summary.columns.name is None
    assert list(summary.columns[:3]) == ["table", "scenario", "cells"] and summary["cells"].sum() == 498


# --- what the chapter finds -----------------------------------------------------------------------


def test_value_added_fit_to_tabla6_recovers_the_parameter_file(base):
    fit = findings.value_added_fitted_to_tabla6(EV)
    assert fit["value_added_construction"] == pytest.approx(base["value_added_construction"], abs=1e-8)
    assert fit["value_added_intermediation"] == pytest.approx(base["value_added_intermediation"], abs=1e-8)
    assert len(fit["residuals"]) == 5 and max(abs(r) for r in fit["residuals"]) < 0.01  # 5 equations, 2 unknowns


def test_tabla5_rounded_cells_give_close_coefficients(base):
    va = findings.value_added_from_published_tabla5(EV)
    assert va["value_added_construction"] == pytest.approx(base["value_added_construction"], abs=1e-6)
    assert va["value_added_intermediation"] == pytest.approx(base["value_added_intermediation"], abs=1e-6)
    table = findings.value_added_comparison(EV).set_index("coefficient")
    assert table.loc["value_added_construction", "text (para. 2.5)"] == 0.47
    assert table.loc["value_added_intermediation", "parameter file"] == base["value_added_intermediation"]


def test_general_value_added_of_the_text_is_not_its_65_percent(base):
    assert findings.general_value_added_as_text_states(EV) == pytest.approx(0.7 * 0.47 + 0.3 * 0.76)
    assert reconciliation.general_value_added(base) == pytest.approx(0.6632, abs=1e-4)


def test_tabla6_with_corrections(rec):
    t = findings.tabla6_with_corrections(EV).set_index("scenario")
    assert list(t.index) == findings.tabla6_scenarios(EV) and len(t) == 11
    pub = rec[(rec["table"] == "Tabla 6") & (rec["column"] == "npv")].set_index("scenario")["published"]
    assert (t["npv"] - pub).abs().max() <= 0.02
    assert (t["npv corrected"] < t["npv"]).all()  # the 21st payments were worth more than the rent they displaced
    assert (t["irr corrected"] > t["irr"]).all()  # period 35 holds the residual value
    corrected = EV.run("corrected")[1].metrics
    assert t.loc["as_published", "npv corrected"] == pytest.approx(corrected["npv"], abs=1e-6)


def test_printed_term_mix_does_not_reproduce_hypotheses_1_and_2():
    t = findings.printed_term_mix(EV)
    assert list(t["scenario"]) == ["h1_s1", "h1_s2", "h2_s1", "h2_s2"]
    assert ((t["npv"] - t["published npv"]).abs() <= 0.02).all()
    assert ((t["npv with the printed mix"] - t["published npv"]).abs() > 1e6).all()


# --- readings -------------------------------------------------------------------------------------


def test_reading_effects_table(base):
    eff = EV.reading_effects(base, "as_published").set_index("key")
    assert list(eff.columns) == ["reading", "kind", "locator", "npv", "npv change", "irr", "irr change"]
    assert len(eff) == len(EV.readings) - 1 and "printed_term_mix" not in eff.index  # it applies to h1/h2 only
    assert len(EV.reading_effects(EV.load("h1_s1").values, "h1_s1")) == len(EV.readings)
    assert eff.loc["irr_all_periods", "npv change"] == 0
    assert eff.loc["irr_all_periods", "irr"] == pytest.approx(model.evaluate(base).metrics["irr_all_periods"])
    assert eff.loc["residual_20", "npv change"] < 0
    assert eff.loc["discount_from_1", "npv"] == pytest.approx(model.evaluate(base).metrics["npv"] / 1.12)
    assert eff.loc["corrected", "npv"] == pytest.approx(EV.run("corrected")[1].metrics["npv"], abs=1e-6)


# --- the model ------------------------------------------------------------------------------------


def test_corrected_fixes_the_slips(base):
    corr = EV.load("corrected").values
    sched = model.recovery_schedule(corr)
    assert ((sched.filter(like="disbursement_") > 0).sum() == 20).all()
    pub_sched = model.recovery_schedule(base)
    assert list((pub_sched.filter(like="disbursement_") > 0).sum()) == [20, 20, 20, 21, 21]
    m, mc = model.evaluate(base).metrics, model.evaluate(corr).metrics
    assert mc["npv"] < m["npv"]
    assert mc["irr"] == pytest.approx(mc["irr_all_periods"])
    assert m["irr"] < m["irr_all_periods"]  # period 35 holds the residual value


def test_metrics_match_the_released_snapshot():
    head, _ = releases.snapshot("0.1.0")
    head = head[head["evaluation"] == "elsalvador"]
    for scenario, rows in head.groupby("scenario"):
        m = EV.run(scenario)[1].metrics
        assert set(m) == set(rows["metric"])
        for name, value in zip(rows["metric"], rows["value"]):
            assert m[name] == pytest.approx(value, rel=1e-12, abs=1e-9), (scenario, name)


def test_rate_parameters_show_as_percent_and_every_spec_says_what_it_means():
    for key in ("annual_interest_rate", "recovery_share", "discount_rate"):
        assert EV.parameters[key].fmt == "percent"
    assert all(len(spec.doc) > 25 for spec in EV.parameters.values())


def test_hypothesis3_is_linear_in_recovery_share(base):
    npvs = [
        model.evaluate({**base, "annual_interest_rate": 0.03, "recovery_share": s}).metrics["npv"]
        for s in (1.0, 0.8, 0.6)
    ]
    assert npvs[0] - npvs[1] == pytest.approx(npvs[1] - npvs[2], rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 0.2), st.floats(0.001, 0.05))
def test_higher_rent_to_price_raises_npv(rent, step):
    p = EV.load().values
    low = model.evaluate({**p, "rent_to_price": rent}).metrics["npv"]
    high = model.evaluate({**p, "rent_to_price": rent + step}).metrics["npv"]
    assert high > low


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 0.3), st.floats(0.001, 0.1))
def test_higher_discount_rate_lowers_npv(extra, step):
    p = EV.load().values
    # The flow is negative then positive: NPV falls with the discount rate everywhere.
    a = model.evaluate({**p, "discount_rate": extra}).metrics["npv"]
    b = model.evaluate({**p, "discount_rate": extra + step}).metrics["npv"]
    assert b < a


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.05, 0.12),
            st.floats(0.0, 0.06),
            st.floats(0.01, 0.06),
            st.floats(0.2, 0.8),
            st.floats(0.5, 1.0),
            st.floats(0.05, 0.2),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_batch_equals_scalar(rows):
    p = EV.load().values
    keys = [
        "rent_to_price",
        "default_rate",
        "annual_interest_rate",
        "new_home_share",
        "recovery_share",
        "discount_rate",
    ]
    batch = EV.evaluate_batch(p, {k: np.array([r[i] for r in rows]) for i, k in enumerate(keys)})
    for j, r in enumerate(rows):
        m = EV.evaluate({**p, **dict(zip(keys, r))}).metrics
        assert batch["npv"][j] == pytest.approx(m["npv"], abs=1e-9 * max(1.0, abs(m["npv"])))
        if math.isnan(m["irr"]):
            assert math.isnan(batch["irr"][j])
        else:
            assert batch["irr"][j] == pytest.approx(m["irr"], abs=1e-9)


def test_npv_is_zero_at_the_irr(base):
    m = model.evaluate({**base, "irr_last_period": 35}).metrics
    at_irr = model.evaluate({**base, "discount_rate": m["irr"]}).metrics["npv"]
    assert abs(at_irr) < 1e-4
    assert not math.isnan(m["irr"])


# --- the chapter's shape --------------------------------------------------------------------------


def test_chapter_has_the_parts_in_order_and_the_plain_parameters_cell():
    nb = json.loads((ROOT / "notebooks" / "elsalvador.ipynb").read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    labels = [line[1:-2].split("-", 1)[1] for line in text.splitlines() if line.startswith("(elsalvador-")]
    assert labels == [
        "operation",
        "model",
        "assumptions",
        "results",
        "reconciliation",
        "readings",
        "uncertainty",
        "explore",
        "downloads",
    ]
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    assert "".join(params["source"]).strip().splitlines()[:3] == [
        "scenario = None",
        "overrides = {}",
        'origin = "papermill"  # where the overrides come from, as the register shows it',
    ]
    assert set(params["metadata"]["tags"]) == {"parameters", "remove-cell"}
    for name in ("es_npv", "es_irr_pct", "es_base_npv", "es_base_irr_pct"):
        assert f"{{glue:text}}`{name}:" in text
    assert "$$" in text.split("(elsalvador-model)=")[1].split("(elsalvador-assumptions)=")[0]  # MathJax formulas


def test_published_csv_is_the_only_published_file():
    folder = ROOT / "data" / "published" / "elsalvador"
    assert sorted(p.name for p in folder.iterdir()) == ["published.csv"]
    pub = pd.read_csv(folder / "published.csv")
    assert list(pub.columns) == reconcile.PUBLISHED_COLUMNS


# --- the figures and phrases of the prose ----------------------------------------------------------


def test_term_mix_text():
    assert findings.term_mix_text({20: 1.0}) == "everything at 20 years"
    assert findings.term_mix_text({10: 1 / 3, 20: 1 / 3, 30: 1 / 3}) == "equal shares at 10, 20 and 30 years"
    assert findings.term_mix_text({10: 0.25, 20: 0.75, 30: 0.0}) == "25\u00a0% at 10 and 75\u00a0% at 20 years"


def test_slip_follows_the_parameters(base):
    assert findings.slip(base) == {
        "payments": 20,
        "title": "21 payments for disbursements 4 and 5.",
        "text": "disbursements 4 and 5 over 21 years, disbursements 1, 2 and 3 over 20",
    }
    moved = findings.slip({**base, "slip_disbursements": [2], "slip_term_years": [10]})
    assert (
        moved["title"] == "11 payments for disbursements 2." and "disbursements 1, 3, 4 and 5 over 10" in moved["text"]
    )
    assert findings.slip({**base, "slip_disbursements": []})["title"] == "No extra payment."


def test_negative_scenarios_besides_a_higher_construction_weight():
    names = findings.negative_besides_construction_weight(EV)
    npv = reconcile.published("elsalvador").query("table == 'Tabla 6' and column == 'npv'").set_index("scenario")
    weight = EV.load("as_published").values["construction_weight"]
    negative = [s for s in npv.index if npv.loc[s, "published"] < 0]
    assert set(names) == {s for s in negative if EV.load(s).values["construction_weight"] <= weight}
    assert set(negative) - set(names)  # the higher construction weight is one of the negatives
    assert (
        findings.negative_text(["h2_s2", "h3_s2", "h3_s3"])
        == "Hipótesis 2 Escenario 2 and Hipótesis 3 Escenarios 2 and 3"
    )
    assert findings.scenario_label("h3_s5") == "Hipótesis 3 Escenario 5"


def test_recovery_shares_and_the_reproducing_term_mix():
    shares = findings.recovery_shares(EV)
    assert shares == sorted(shares, reverse=True) and all(0 < s < 1 for s in shares)
    assert set(shares) == {EV.load(s).values["recovery_share"] for s in EV.scenarios() if s.startswith("h3_")} - {1.0}
    mix = findings.reproducing_term_mix(EV)
    printed = next(r for r in EV.readings if r.key == "printed_term_mix")
    assert mix != printed.overrides["term_mix"]
    assert all(EV.load(s).values["term_mix"] == mix for s in printed.scenarios)


def test_verdict_follows_the_parameters():
    from analysis.core import verdict

    assert verdict.analysed(EV)["verdict"].holds
    assert verdict.analysed(EV, None, {"discount_rate": 0.3})["verdict"].word == verdict.FAILS

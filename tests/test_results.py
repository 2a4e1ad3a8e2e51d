"""Versioned results: a release's snapshot reproduces, and "what changed" finds every change."""

import re

import nbformat
import pandas as pd
import pytest
from conftest import ROOT

from analysis import __version__
from analysis.core import verdict
from analysis.publish import summary
from analysis.release import releases


def release_changes(version: str) -> tuple:
    """What changed in the scenarios the release's snapshot holds: a scenario file, a metric or a
    parameter added since is new, not a change of a released number (What changed lists it);
    removing or changing a released one still is."""
    old, new = releases.snapshot(version), summary.current()
    released = set(zip(old[0]["evaluation"], old[0]["scenario"]))
    new = tuple(frame[[pair in released for pair in zip(frame["evaluation"], frame["scenario"])]] for frame in new)
    metrics, parameters = releases.compare(old, new, names=("previous", "current"))
    return metrics[metrics["value_previous"].notna()], parameters[parameters["value_previous"].notna()]


def test_the_current_release_reproduces_its_snapshot():
    if __version__ not in releases.releases():
        pytest.skip(f"{__version__} is not released yet (no data/results/{__version__}/)")
    metrics, parameters = release_changes(__version__)
    assert metrics.empty, f"headline results of released {__version__} changed: bump the version\n{metrics}"
    assert parameters.empty, f"parameters of released {__version__} changed: bump the version\n{parameters}"


def test_an_added_scenario_file_keeps_the_release_comparison_green(tmp_path, monkeypatch):
    """Adding data/<evaluation>/<name>.yaml needs no version bump; changing a released one does."""
    import shutil

    from analysis.core import params

    if __version__ not in releases.releases():
        pytest.skip(f"{__version__} is not released yet")
    data = tmp_path / "data"
    from analysis import evaluations

    for name in evaluations.REGISTRY:
        shutil.copytree(ROOT / "data" / name, data / name)
    monkeypatch.setattr(params, "DATA_DIR", data)
    (data / "elsalvador" / "rent_7.yaml").write_text(
        "description: As published with rent at 7\u00a0% of the home's value (an illustration).\n"
        "extends: as_published\nparameters:\n"
        "  rent_to_price: {value: 0.07, source: gpg_elsalvador, locator: an illustration}\n",
        encoding="utf-8",
    )
    assert "rent_7" in set(summary.current()[0]["scenario"])
    metrics, parameters = release_changes(__version__)
    assert metrics.empty and parameters.empty
    path = data / "elsalvador" / "corrected.yaml"  # a released scenario changed: flagged
    path.write_text(path.read_text(encoding="utf-8").replace("value: 35", "value: 34"), encoding="utf-8")
    metrics, parameters = release_changes(__version__)
    assert set(metrics["scenario"]) == {"corrected"} and list(parameters["parameter"]) == ["irr_last_period"]


def test_every_release_snapshot_is_complete():
    for version in releases.releases():
        head, par = releases.snapshot(version)
        assert {"evaluation", "scenario", "metric", "value"} <= set(head.columns)
        assert {"evaluation", "scenario", "parameter", "value", "parameters_sha256"} <= set(par.columns)
        assert len(head) and len(par)


def test_compare_finds_changed_added_and_removed_rows():
    head = pd.DataFrame(
        {
            "evaluation": ["a", "a", "a"],
            "scenario": ["s"] * 3,
            "metric": ["npv", "irr", "old"],
            "value": [100.0, 0.1, 1.0],
        }
    )
    par = pd.DataFrame(
        {
            "evaluation": ["a", "a"],
            "scenario": ["s", "s"],
            "parameter": ["x", "y"],
            "value": ["1", "[1, 2]"],
            "parameters_sha256": ["h", "h"],
        }
    )
    new_head = head.copy()
    new_head.loc[0, "value"] = 100.5  # changed
    new_head.loc[1, "value"] = 0.1 + 1e-15  # below tolerance: unchanged
    new_head = pd.concat(
        [
            new_head[new_head.metric != "old"],
            pd.DataFrame([{"evaluation": "a", "scenario": "s", "metric": "new", "value": 2.0}]),
        ]
    )
    new_par = par.copy()
    new_par.loc[1, "value"] = "[1, 3]"
    m, p = releases.compare((head, par), (new_head, new_par), names=("previous", "current"))
    assert set(m["metric"]) == {"npv", "old", "new"}
    assert m.set_index("metric").loc["npv", "change"] == pytest.approx(0.5)
    assert list(p["parameter"]) == ["y"]


def test_a_release_is_written_once(tmp_path, monkeypatch):
    monkeypatch.setattr(releases, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(
        releases,
        "current",
        lambda: (
            pd.DataFrame({"evaluation": ["a"], "scenario": ["s"], "metric": ["npv"], "value": [1.0]}),
            pd.DataFrame(
                {"evaluation": ["a"], "scenario": ["s"], "parameter": ["x"], "value": ["1"], "parameters_sha256": ["h"]}
            ),
        ),
    )
    releases.write_release("0.1.0")
    with pytest.raises(FileExistsError, match="not rewritten"):
        releases.write_release("0.1.0")
    releases.write_release("0.2.0")
    assert releases.releases() == ["0.1.0", "0.2.0"]
    assert releases.previous_release("0.2.0") == "0.1.0" and releases.previous_release("0.1.0") is None
    assert releases.previous_release("0.10.0") == "0.2.0"  # versions sort as numbers, not text


def test_the_summary_covers_every_registered_evaluation_and_equals_the_current_results():
    from analysis import evaluations

    frame = summary.summary()
    head = summary.current()[0].set_index(["evaluation", "scenario", "metric"])["value"]
    for ev in evaluations.REGISTRY.values():
        part = frame[frame["evaluation"] == ev.name]
        assert list(dict.fromkeys(part["scenario"])) == list(ev.summary_scenarios())
        assert set(part["metric"]) == {m.name for m in ev.metrics}
        for row in part.itertuples():
            assert row.value == head[(row.evaluation, row.scenario, row.metric)]
            assert row.verdict == verdict.analysed(ev, row.scenario)["verdict"].word
        table = summary.summary_table(frame, ev.name)
        assert list(table.columns) == ["measure", "scenario", "published", "this book", "difference", "note"]
        assert table["measure"].iloc[-1].startswith("verdict on the conclusion")
        assert len(table) == len(part) + len(ev.summary_scenarios())
        for r in part.itertuples():  # the published figure, where the document gives one, beside this book's
            assert (r.published is None or pd.isna(r.published)) == (r.published_shown == "not published")


def test_summary_page_shows_every_evaluation():
    """The executed summary page has one table per registered evaluation, titled."""
    from analysis import evaluations

    nb = nbformat.read(ROOT / "book" / "summary.ipynb", as_version=4)
    text = "".join(
        o.get("data", {}).get("text/markdown", "") + o.get("data", {}).get("text/html", "")
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    for ev in evaluations.REGISTRY.values():
        assert ev.title.split(":")[0] in text and f"{{doc}}`the chapter <{ev.name}>`" in text


@pytest.mark.slow
def test_findings_are_the_model_the_published_figures_and_the_monte_carlo():
    from analysis import evaluations
    from analysis.core import reconcile

    runs = summary.analyses(draws=2000, with_sobol=True)
    found = summary.findings(runs).set_index("evaluation")
    across, _, _, verdicts = summary.comparison(runs)
    for name, ev in evaluations.REGISTRY.items():
        row = found.loc[name]
        metric = ev.metric(ev.criterion.metric)
        assert row["reproduced"] == ev.run()[1].metrics[metric.name]
        assert row["published"] == reconcile.published_metric(ev, metric, ev.scenario)
        assert row["difference"] == pytest.approx(row["reproduced"] - row["published"])
        if ev.corrected:
            assert row["corrected"] == ev.run(ev.corrected)[1].metrics[metric.name]
        else:
            assert pd.isna(row["corrected"])
        assert row["verdict"] is verdicts[name]
        assert row["verdict"].p_fails == across.set_index("evaluation").loc[name, "probability it fails"]


def test_the_landing_page_glues_every_finding():
    """The executed landing page glued, per evaluation, its published, reproduced and robustness figures."""
    from analysis import evaluations

    nb = nbformat.read(ROOT / "book" / "intro.ipynb", as_version=4)
    glued = {
        o["metadata"]["scrapbook"]["name"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("metadata", {}).get("scrapbook")
    }
    for name in evaluations.REGISTRY:
        assert {f"fi_{name}_reproduced", f"fi_{name}_published", f"vd_{name}_p_fails", f"vd_{name}_draws"} <= glued


def test_a_disagreement_in_sign_is_flagged_in_the_summary():
    frame = summary.summary()
    row = frame[
        (frame["evaluation"] == "peru") & (frame["scenario"] == "conservative") & (frame["metric"] == "sub1.npv")
    ]
    assert row["published"].iloc[0] > 0 > row["value"].iloc[0]
    assert row["note"].iloc[0].startswith("opposite sign")
    flagged = frame[frame["note"] != ""]
    assert (flagged["published"] * flagged["value"] < 0).all()  # here every flag is a sign change
    agreeing = frame.dropna(subset=["published"])
    agreeing = agreeing[agreeing["note"] == ""]
    assert (agreeing["published"] * agreeing["value"] >= 0).all()


def test_headline_changes_lists_every_headline_metric_and_collapses_the_unchanged():
    """Each evaluation's contract metrics, in words, previous and current as the book shows them;
    a changed, added or removed metric is a row, the equal ones one "N metrics unchanged" row."""
    from analysis import evaluations

    new = summary.current()[0]
    ev = evaluations.get("elsalvador")
    npv, irr = ev.metric("npv"), ev.metric("irr")
    old = new.copy()
    at = (old["evaluation"] == "elsalvador") & (old["scenario"] == "corrected")
    old.loc[at & (old["metric"] == "npv"), "value"] -= 1000.0  # changed
    old.loc[at & (old["metric"] == "irr"), "value"] += 1e-15  # below tolerance: unchanged
    old = old[~((old["evaluation"] == "gret") & (old["scenario"] == "corrected") & (old["metric"] == "loan1"))]
    table = releases.headline_changes(old, new)
    assert list(table.columns) == ["evaluation", "scenario", "measure", "unit", "previous", "current", "change"]
    changed = table[table["measure"] == npv.label].iloc[0]
    current_npv = new.set_index(["evaluation", "scenario", "metric"])["value"][("elsalvador", "corrected", "npv")]
    assert (changed["evaluation"], changed["scenario"]) == ("El Salvador", "corrected")
    assert changed["previous"] == npv.format(current_npv - 1000.0) and changed["current"] == npv.format(current_npv)
    assert changed["change"] == "+1,000" and changed["unit"] == "USD"
    added = table[table["change"] == "added"]
    assert list(added["measure"]) == [evaluations.get("gret").metric("loan1").label]
    assert list(added["previous"]) == ["not in the release"]
    counted = table[table["measure"].str.endswith("unchanged")].set_index("evaluation")["measure"]
    n_scenarios = {name: len(e.scenarios()) for name, e in evaluations.REGISTRY.items()}
    assert counted["El Salvador"] == f"{2 * n_scenarios['elsalvador'] - 1} metrics unchanged"
    assert counted["Peru"] == f"{5 * n_scenarios['peru']} metrics unchanged"
    shown = len(table) - len(counted) + sum(int(m.split()[0]) for m in counted)
    assert shown == sum(len(e.metrics) * n_scenarios[e.name] for e in evaluations.REGISTRY.values())
    assert irr.label not in set(table["measure"])  # unchanged: counted, not listed
    # labels in words, never the metrics' keys
    assert not set(table["measure"]) & {m.name for e in evaluations.REGISTRY.values() for m in e.metrics}


def test_headline_changes_of_identical_results_is_one_count_row_per_evaluation():
    from analysis import evaluations

    new = summary.current()[0]
    table = releases.headline_changes(new, new)
    assert len(table) == len(evaluations.REGISTRY)
    assert table["measure"].str.fullmatch(r"\d+ metrics unchanged").all()
    assert set(table["change"]) == {"none"}


def test_the_baseline_is_the_previous_release_or_the_first_release_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(releases, "RESULTS_DIR", tmp_path)
    assert releases.baseline("0.1.0") is None
    (tmp_path / "0.1.0").mkdir()
    (tmp_path / "0.1.0" / "headline.csv").write_text("evaluation,scenario,metric,value\n")
    assert releases.baseline("0.1.0") == "0.1.0"  # the first release: its own snapshot
    assert releases.baseline("0.2.0") == "0.1.0"
    (tmp_path / "0.2.0").mkdir()
    (tmp_path / "0.2.0" / "headline.csv").write_text("evaluation,scenario,metric,value\n")
    assert releases.baseline("0.2.0") == "0.1.0"  # a later release: what it changed


def test_the_what_changed_page_has_previous_and_current_columns_for_every_evaluation():
    """The executed page shows the headline table with the previous release's and current values."""
    from analysis import evaluations

    nb = nbformat.read(ROOT / "book" / "changes.ipynb", as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", []))
    prev = releases.baseline()
    if prev is None:
        pytest.skip("no release to compare with")
    assert f"<th>previous (release {prev})</th>" in html and "<th>current (this build)</th>" in html
    for ev in evaluations.REGISTRY.values():
        assert re.search(rf'<td( data-label="[^"]*")?>{re.escape(ev.title.split(":")[0])}</td>', html), ev.name


def test_the_introduction_lists_every_registered_evaluation():
    """The introduction's table of the evaluations comes from the registry, one row each."""
    from analysis import evaluations

    table = summary.evaluations_table()
    rows = [line for line in table.splitlines() if line.startswith("| {doc}")]
    assert len(rows) == len(evaluations.REGISTRY)
    for ev, row in zip(evaluations.REGISTRY.values(), rows):
        assert row.startswith(f"| {{doc}}`{ev.name}` |") and f"{{cite:t}}`{ev.source}`" in row and ev.operation in row
    nb = nbformat.read(ROOT / "book" / "intro.ipynb", as_version=4)
    shown = "".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", []))
    assert table in shown

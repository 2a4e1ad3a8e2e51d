"""Every bad-input path: a clear ParameterError naming file, key and reason."""

import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

from analysis import cli, evaluations
from analysis.core import params

es = evaluations.get("elsalvador")  # the contract: parameters and the cross-parameter check


def load(data_dir, name="as_published", overrides=None):
    return params.load("elsalvador", name, es.parameters, overrides, es.check, data_dir=data_dir)


def edit(data_dir, name, change):
    path = data_dir / "elsalvador" / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


def set_value(key, value):
    return lambda doc: doc["parameters"][key].__setitem__("value", value)


def test_every_scenario_loads_and_cites_a_bibliography_key():
    keys = params.bibliography_keys()
    for name in params.scenario_names("elsalvador"):
        sc = load(params.DATA_DIR, name)
        assert set(sc.entries) == set(es.parameters)
        for key, entry in sc.entries.items():
            assert entry["source"] in keys, (name, key)
            assert entry["locator"] and entry["unit"], (name, key)


def test_extends_merges_and_drops_stale_notes():
    sc = load(params.DATA_DIR, "corrected")
    assert sc.values["slip_disbursements"] == [] and sc.values["irr_last_period"] == 35
    assert sc.entries["rent_to_price"]["file"].endswith("as_published.yaml")
    assert len(sc.files) == 2
    h = load(params.DATA_DIR, "h1_s1")
    assert "note" not in h.entries["construction_weight"]


@pytest.mark.parametrize(
    "key, value, reason",
    [
        ("rent_to_price", 1.5, "above the maximum 1.0"),
        ("default_rate", -0.1, "below the minimum 0.0"),
        ("annual_interest_rate", "four", "expected a number"),
        ("horizon_periods", 35.5, "expected a whole number"),
        ("rate_convention", "daily", "is not one of nominal, effective"),
        ("term_mix", {10: 0.5, 20: 0.4}, "shares must sum to 1"),
        ("term_mix", {-10: 1.0}, "must be a positive whole number"),
        ("disbursements", [7.5e6, -1], "below the minimum"),
        ("discount_first_period", 2, "is not one of 0, 1"),
        ("horizon_periods", 20, "beyond the horizon of 20 periods"),
        ("irr_last_period", 40, "beyond the horizon of 35 periods"),
        ("slip_disbursements", [9], "disbursement 9 does not exist"),
        ("disbursements", [0, 0], "at least one positive disbursement"),
    ],
)
def test_impossible_values(data_copy, key, value, reason):
    path = edit(data_copy, "as_published", set_value(key, value))
    with pytest.raises(params.ParameterError) as err:
        load(data_copy)
    msg = str(err.value)
    assert reason in msg and str(path) in msg
    assert err.value.key.split("[")[0] in (key, "term_mix", "disbursements")


def test_term_beyond_horizon_names_the_loan(data_copy):
    edit(data_copy, "as_published", set_value("term_mix", {20: 0.5, 30: 0.5}))  # D5 + 30 + slip? no: slip is 20y
    assert load(data_copy).values["term_mix"] == {20: 0.5, 30: 0.5}
    edit(data_copy, "as_published", set_value("slip_term_years", [20, 30]))
    with pytest.raises(
        params.ParameterError,
        match=r"term_mix: a 30-year loan from disbursement 4 is repaid until period 35|"
        r"term_mix: a 30-year loan from disbursement 5 is repaid until period 36",
    ):
        load(data_copy)


@pytest.mark.parametrize(
    "change, key, reason",
    [
        (
            lambda d: d["parameters"].__setitem__("colour", {"value": 1, "unit": "x", "source": "fsv", "locator": "x"}),
            "colour",
            "unknown parameter for elsalvador",
        ),
        (
            lambda d: d["parameters"]["rent_to_price"].__setitem__("units", "x"),
            "rent_to_price",
            "unknown field 'units'",
        ),
        (lambda d: d["parameters"]["rent_to_price"].pop("locator"), "rent_to_price", "missing field 'locator'"),
        (
            lambda d: d["parameters"]["rent_to_price"].__setitem__("source", "nobody2020"),
            "rent_to_price",
            "source 'nobody2020' is not a key of references.bib",
        ),
        (lambda d: d["parameters"].pop("default_rate"), "default_rate", "missing (every parameter"),
        (lambda d: d.__setitem__("parameter", {}), "parameter", "unknown top-level key"),
        (lambda d: d["parameters"].__setitem__("rent_to_price", 0.085), "rent_to_price", "an entry must be a mapping"),
    ],
)
def test_malformed_entries(data_copy, change, key, reason):
    path = edit(data_copy, "as_published", change)
    with pytest.raises(params.ParameterError) as err:
        load(data_copy)
    assert err.value.key == key and reason in str(err.value) and str(path) in str(err.value)


def test_not_yaml(data_copy):
    (data_copy / "elsalvador" / "as_published.yaml").write_text("parameters: [unclosed\n")
    with pytest.raises(params.ParameterError, match="not valid YAML") as err:
        load(data_copy)
    assert str(err.value).startswith(str(data_copy / "elsalvador" / "as_published.yaml") + ": not valid YAML")


def test_unknown_and_circular_extends(data_copy):
    edit(data_copy, "corrected", lambda d: d.__setitem__("extends", "nothere"))
    with pytest.raises(params.ParameterError, match="extends: no scenario 'nothere'"):
        load(data_copy, "corrected")
    edit(data_copy, "as_published", lambda d: d.__setitem__("extends", "corrected"))
    edit(data_copy, "corrected", lambda d: d.__setitem__("extends", "as_published"))
    with pytest.raises(params.ParameterError, match="circular extends"):
        load(data_copy, "corrected")


def test_unknown_scenario_lists_the_known_ones():
    with pytest.raises(params.ParameterError, match=r"no scenario 'nope' \(known: as_published, corrected"):
        load(params.DATA_DIR, "nope")


def test_overrides_are_validated():
    with pytest.raises(params.ParameterError, match="override: colour: unknown parameter"):
        load(params.DATA_DIR, overrides={"colour": 1})
    with pytest.raises(params.ParameterError, match="override: new_home_share: 1.2 is above"):
        load(params.DATA_DIR, overrides={"new_home_share": 1.2})
    sc = load(params.DATA_DIR, overrides={"rent_to_price": 0.07})
    entry = sc.entries["rent_to_price"]
    assert sc.values["rent_to_price"] == 0.07 and entry["origin"] == "override"
    assert entry["replaced"]["value"] == 0.085 and entry["replaced"]["origin"].endswith("as_published.yaml")
    assert sc.sha256 != load(params.DATA_DIR).sha256


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--set", "rent_to_price=2"], "error: command line: rent_to_price: 2 is above the maximum 1.0"),
        (["--set", "colour=1"], "error: command line: colour: unknown parameter"),
        (["--set", "rent_to_price"], "error: command line: rent_to_price: --set expects KEY=VALUE"),
        (["--scenario", "nope"], "no scenario 'nope'"),
    ],
)
def test_cli_bad_input_exits_2_without_traceback(capsys, args, expected):
    assert cli.main(["run", "elsalvador", *args]) == 2
    out, err = capsys.readouterr()
    assert expected in err and "Traceback" not in err and err.count("\n") == 1
    assert out == ""


def test_cli_unknown_evaluation():
    # as a process, `python -m analysis` (the others run the command line in-process)
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "run", "atlantis"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 2 and "unknown evaluation 'atlantis'" in out.stderr
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1 and out.stdout == ""


def test_every_changed_value_in_data_gives_its_own_citation():
    """Provenance follows the value: in a file that extends another, an entry that changes a value
    names its own source and locator in that file."""
    for ev in evaluations.REGISTRY.values():
        for name in ev.scenarios():
            doc = params.parse_yaml((params.DATA_DIR / ev.name / f"{name}.yaml").read_text(encoding="utf-8"))
            if "extends" not in doc:
                continue
            parent = ev.load(doc["extends"])
            for key, entry in doc["parameters"].items():
                if "value" in entry and entry["value"] != parent.entries[key]["value"]:
                    assert {"source", "locator"} <= set(entry), (ev.name, name, key)


def test_the_origin_follows_the_value(data_copy):
    path = data_copy / "elsalvador" / "cited.yaml"
    path.write_text(
        "extends: as_published\nparameters:\n  rent_to_price: {locator: a second locator for the same value}\n",
        encoding="utf-8",
    )
    sc = load(data_copy, "cited")
    entry = sc.entries["rent_to_price"]
    assert entry["locator"] == "a second locator for the same value" and entry["value"] == 0.085
    assert entry["origin"].endswith("as_published.yaml") and entry["file"].endswith("cited.yaml")
    path.write_text(
        "extends: as_published\nparameters:\n  rent_to_price: {value: 0.085, locator: the same value restated}\n",
        encoding="utf-8",
    )
    assert load(data_copy, "cited").values["rent_to_price"] == 0.085  # the same value: the citation still fits


def test_a_rule_broken_by_a_file_names_that_file(data_copy):
    (data_copy / "elsalvador" / "short.yaml").write_text(
        "extends: as_published\nparameters:\n  horizon_periods: {value: 20, source: idb_es_cclip, locator: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(params.ParameterError) as err:
        load(data_copy, "short")
    assert err.value.file.endswith("short.yaml") and err.value.key == "term_mix"
    assert err.value.reason.endswith(f"(term_mix as set in {data_copy / 'elsalvador' / 'as_published.yaml'})")
    edit(data_copy, "as_published", set_value("horizon_periods", 20))  # the parent itself is broken: it is named
    with pytest.raises(params.ParameterError) as err:
        load(data_copy, "corrected")
    assert err.value.file.endswith("as_published.yaml") and "(term_mix as set" not in err.value.reason


def test_a_rule_broken_by_an_override_names_the_overrides_origin():
    with pytest.raises(params.ParameterError) as err:
        params.load("elsalvador", "as_published", es.parameters, {"horizon_periods": 20}, es.check, origin="papermill")
    assert err.value.file == "papermill" and err.value.key == "term_mix"
    assert err.value.reason.endswith("beyond the horizon of 20 periods (after horizon_periods=20)")
    with pytest.raises(params.ParameterError, match=r"^papermill: irr_last_period: 40 is beyond the horizon"):
        params.load("elsalvador", "as_published", es.parameters, {"irr_last_period": 40}, es.check, origin="papermill")


@pytest.mark.parametrize("path", sorted((ROOT / "data").rglob("*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_libyaml_reads_every_parameter_file_as_the_pure_python_loader_does(path):
    text = path.read_text(encoding="utf-8")
    assert params._plain(text), "a parameter file takes the fast path"
    fast = yaml.load(text, Loader=params._CLoader)  # noqa: S506
    slow = yaml.load(text, Loader=params.Loader)  # noqa: S506
    assert fast == slow and repr(fast) == repr(slow)  # the same values, types and key order


@pytest.mark.parametrize(
    "text, reason",
    [
        ("a: &x 1\nb: *x\n", "anchors and aliases"),
        ("a: 1\na: 2\n", "duplicate key"),
        ("a: [1, 2\n", r"not valid YAML \(line 2: expected .,. or .\]., but got .<stream end>.\)"),
        ("a: " + "[" * 150 + "]" * 150 + "\n", "nested too deeply"),
        ("a: 1e999\n", "too large"),
        ("a: yes\n", None),  # YAML 1.2: text, not a boolean
    ],
)
def test_the_fast_parser_refuses_what_the_pure_python_one_does(text, reason):
    if reason is None:
        assert params.parse_yaml(text) == {"a": "yes"}
        return
    params._PARSED.clear()
    with pytest.raises(params.InputError, match=reason):
        params.parse_yaml(text)


@pytest.mark.parametrize("overrides", [0.1, "discount_rate=0.1", [("discount_rate", 0.1)]])
def test_overrides_that_are_not_a_mapping_are_one_clear_error(overrides):
    """papermill's ``-p overrides 0.1`` reached the loader as a float: a TypeError, not our line."""
    with pytest.raises(
        params.ParameterError, match=r"^papermill: overrides: expected a mapping of parameter: value, got "
    ):
        evaluations.get("elsalvador").load(None, overrides, "papermill")

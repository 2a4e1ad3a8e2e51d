"""The command line: run (text and JSON, with provenance), list, help; a new scenario file needs no code."""

import argparse
import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from analysis import __version__, cli, evaluations
from analysis.core import params


def cli_process(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=ROOT)


def run(capsys, *args) -> str:
    assert cli.main(list(args)) == 0
    out, err = capsys.readouterr()
    return out


def test_run_json_payload(capsys):
    doc = json.loads(run(capsys, "run", "elsalvador", "--scenario", "h2_s1", "--set", "rent_to_price=0.09", "--json"))
    assert doc["evaluation"] == "elsalvador" and doc["scenario"] == "h2_s1" and doc["version"] == __version__
    sc, res = evaluations.run("elsalvador", "h2_s1", {"rent_to_price": 0.09})
    assert doc["parameters_sha256"] == sc.sha256 and len(doc["parameters_sha256"]) == 64
    assert doc["metrics"]["npv"] == res.metrics["npv"] and doc["metrics"]["irr"] == res.metrics["irr"]
    flows = doc["tables"]["cash_flow"]
    assert len(flows) == 35 and flows[0]["period"] == 1
    assert abs(sum(r["discounted_net_flow"] for r in flows) - doc["metrics"]["npv"]) < 1e-6


def test_run_json_names_the_provenance_of_every_parameter(capsys):
    doc = json.loads(run(capsys, "run", "elsalvador", "--scenario", "h2_s1", "--set", "rent_to_price=0.09", "--json"))
    sc = evaluations.load("elsalvador", "h2_s1")
    assert set(doc["parameters"]) == set(sc.entries)
    fields = {"value", "unit", "source", "locator", "origin", "replaced"}
    assert all(set(p) == fields for p in doc["parameters"].values())
    changed = doc["parameters"]["rent_to_price"]
    before = sc.entries["rent_to_price"]
    assert changed["value"] == 0.09 and changed["origin"] == "command line"
    assert changed["replaced"] == {
        "value": 0.08,
        "unit": before["unit"],
        "source": "idb_es_cclip",
        "locator": before["locator"],
        "origin": "data/elsalvador/h2_s1.yaml",
    }
    # the override keeps the replaced entry's unit and citation beside it, flagged by its origin
    assert (changed["unit"], changed["source"], changed["locator"]) == (
        before["unit"],
        before["source"],
        before["locator"],
    )
    for key in ("new_home_share", "discount_rate"):  # set by the scenario's file, and by the file it extends
        p, e = doc["parameters"][key], sc.entries[key]
        assert p["replaced"] is None and p["origin"] == e["origin"] and p["value"] == e["value"]
    assert doc["parameters"]["new_home_share"]["origin"] == "data/elsalvador/h2_s1.yaml"
    assert doc["parameters"]["discount_rate"]["origin"] == "data/elsalvador/as_published.yaml"


@pytest.mark.slow  # two processes (each with its own hash seed), not two calls in one
def test_same_call_same_json():
    a, b = cli_process("run", "elsalvador", "--json"), cli_process("run", "elsalvador", "--json")
    assert a.stdout == b.stdout and a.returncode == 0


def test_run_text_names_the_overrides_and_compares_with_the_unmodified_scenario(capsys):
    out = run(capsys, "run", "peru", "--set", "discount_rate=0.1", "--set", "house_price_growth=0.059")
    lines = out.splitlines()
    assert lines[0].startswith("peru / base (analysis ")
    assert "  set discount_rate: 0.1 (was 0.12, data/peru/base.yaml)" in lines
    assert "  set house_price_growth: 0.059 (was 0.0705, data/peru/base.yaml)" in lines
    ev = evaluations.get("peru")
    new = ev.run("base", {"discount_rate": 0.1, "house_price_growth": 0.059})[1].metrics
    old = ev.run("base")[1].metrics
    for m in ev.metrics:  # at the metric's precision: a rate as 14.5 %, money in whole units
        row = f"  {m.label} ({m.unit}): {m.format(new[m.name])}; unmodified {m.format(old[m.name])}; difference "
        assert any(line.startswith(row) for line in lines), row
    irr = ev.metric("total.irr")
    assert f"unmodified {irr.format(old['total.irr'])}" in out and irr.format(old["total.irr"]).endswith("\u00a0%")
    assert "percentage points" in out and "programme_cash_flow" in out


def test_run_text_without_overrides_shows_the_metrics_alone(capsys):
    out = run(capsys, "run", "elsalvador", "--scenario", "corrected")
    ev = evaluations.get("elsalvador")
    m = ev.run("corrected")[1].metrics
    assert "elsalvador / corrected" in out and "cash_flow" in out and "unmodified" not in out and " set " not in out
    assert f"  {ev.metric('irr').label} ({ev.metric('irr').unit}): {ev.metric('irr').format(m['irr'])}\n" in out


def test_list_shows_every_evaluation_and_scenario_with_its_description(capsys):
    out = run(capsys, "list")
    flat = " ".join(out.split())
    for name, ev in evaluations.REGISTRY.items():
        assert f"\n{name}: {ev.title}\n" in "\n" + out
        for scenario in ev.scenarios():
            description = " ".join(ev.load(scenario).description.split())
            assert f" {scenario} {description}" in flat, (name, scenario)
    assert max(map(len, out.splitlines())) <= 120


def test_list_one_scenario_shows_its_chain_values_units_and_sources(capsys):
    out = run(capsys, "list", "elsalvador", "--scenario", "h1_s1")
    flat = " ".join(out.split())
    sc = evaluations.load("elsalvador", "h1_s1")
    assert out.startswith("elsalvador / h1_s1: ")
    assert "data/elsalvador/as_published.yaml -> data/elsalvador/h1_s1.yaml" in out
    for key, e in sc.entries.items():
        assert f" {key} " in flat and e["unit"] in flat and " ".join(f"{e['source']}, {e['locator']}".split()) in flat
    assert "(set in data/elsalvador/h1_s1.yaml)" in out  # the values this scenario changes
    assert flat.count("(set in ") == sum(
        e["origin"] != "data/elsalvador/as_published.yaml" for e in sc.entries.values()
    )
    assert "  construction_weight" in out and " 0.8 share" in out


def test_list_one_evaluation_shows_its_scenarios_and_the_books_parameters(capsys):
    out = run(capsys, "list", "peru")
    assert "base" in out and "conservative" in out and "(the book shows this one)" in out
    assert "  house_price_growth" in out and "bcrp_vivienda" in out


def _actions(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield parser.prog, action
            for sub in action.choices.values():
                yield from _actions(sub)
        elif not isinstance(action, argparse._HelpAction):
            yield parser.prog, action


def test_every_option_of_every_command_has_help():
    actions = list(_actions(cli.parser()))
    assert len(actions) >= 24
    missing = [f"{prog} {a.option_strings or a.dest}" for prog, a in actions if not (a.help or "").strip()]
    assert not missing, missing
    commands = next(a for _, a in actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"run", "list", "sensitivity", "bench", "release", "workbook", "build"} <= set(commands)


def test_help_and_version_exit_0(capsys):
    assert cli.main(["--version"]) == 0 and capsys.readouterr().out.strip() == __version__
    assert cli.main(["run", "--help"]) == 0
    assert "--set KEY=VALUE" in capsys.readouterr().out


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    dest = tmp_path / "data"
    for name in evaluations.REGISTRY:
        shutil.copytree(ROOT / "data" / name, dest / name)
    monkeypatch.setattr(params, "DATA_DIR", dest)
    return dest


def test_a_new_scenario_file_needs_no_python_edit(data_dir, capsys):
    (data_dir / "peru" / "slow_growth.yaml").write_text(
        "description: Base case with house prices growing at 3 % a year (an illustration).\n"
        "extends: base\n"
        "parameters:\n"
        "  house_price_growth:\n"
        "    value: 0.03\n"
        "    source: bcrp_vivienda\n"
        "    locator: an illustration below the index's 2007-2023 mean\n",
        encoding="utf-8",
    )
    assert "slow_growth" in evaluations.get("peru").scenarios()
    out = run(capsys, "list")
    assert "slow_growth" in out and "house prices growing at 3 %" in out
    doc = json.loads(run(capsys, "run", "peru", "--scenario", "slow_growth", "--json"))
    assert doc["scenario"] == "slow_growth" and doc["parameters"]["house_price_growth"]["value"] == 0.03
    assert doc["parameters"]["house_price_growth"]["origin"].endswith("peru/slow_growth.yaml")
    base = evaluations.run("peru", "base")[1].metrics
    assert doc["metrics"]["total.npv"] < base["total.npv"]  # slower growth, lower benefits
    out = run(capsys, "list", "peru", "--scenario", "slow_growth")
    assert "base.yaml -> " in out and "slow_growth.yaml" in out

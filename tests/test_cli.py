"""The command line: run (table and JSON) and list."""

import json
import subprocess
import sys

from conftest import ROOT

from analysis import __version__, evaluations


def cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=ROOT)


def test_run_json_payload():
    out = cli("run", "elsalvador", "--scenario", "h2_s1", "--set", "rent_to_price=0.09", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["evaluation"] == "elsalvador" and doc["scenario"] == "h2_s1" and doc["version"] == __version__
    sc, res = evaluations.run("elsalvador", "h2_s1", {"rent_to_price": 0.09})
    assert doc["parameters_sha256"] == sc.sha256 and len(doc["parameters_sha256"]) == 64
    assert doc["metrics"]["npv"] == res.metrics["npv"] and doc["metrics"]["irr"] == res.metrics["irr"]
    flows = doc["tables"]["cash_flow"]
    assert len(flows) == 35 and flows[0]["period"] == 1
    assert abs(sum(r["discounted_net_flow"] for r in flows) - doc["metrics"]["npv"]) < 1e-6


def test_same_call_same_json():
    a, b = cli("run", "elsalvador", "--json"), cli("run", "elsalvador", "--json")
    assert a.stdout == b.stdout and a.returncode == 0


def test_run_table_and_list():
    out = cli("run", "elsalvador", "--scenario", "corrected")
    assert out.returncode == 0 and "elsalvador / corrected" in out.stdout and "cash_flow" in out.stdout
    out = cli("list")
    assert out.returncode == 0
    for name, ev in evaluations.REGISTRY.items():  # every registered evaluation, with its scenarios
        assert f"{name}: {ev.title}; scenarios {', '.join(ev.scenarios())} (the book shows {ev.scenario})" in out.stdout
    assert "rent_to_price" in out.stdout and "gpg_elsalvador" in out.stdout

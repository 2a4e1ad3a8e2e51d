"""Bad input at every entry point: one line ``error: <file or option>: <key>: <reason>`` on stderr,
exit status 2, nothing on stdout, never a traceback, never a silent wrong result.

Two tables: command lines (run in-process through ``analysis.cli.main``) and parameter files
(written into a temporary copy of data/, which ``params.DATA_DIR`` then points at), plus a few
cases through a real process (a closed pipe, an alias bomb's timing).
"""

import re
import shutil
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from analysis import cli
from analysis.core import params

HUGE = "1" + "0" * 400  # an integer far beyond the range of a float
BOMB = "[&a [1, 1, 1, 1, 1, 1, 1, 1, 1], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a], [*b, *b, *b, *b, *b, *b]]"
LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    + "parameters: *i\n"
)

# (command line, expected message after "error: "); every case exits with status 2
COMMAND_LINES = [
    # evaluation, scenario, command, options
    ("run atlantis", r"command line: evaluation: unknown evaluation 'atlantis' \(known: peru, elsalvador, gret\)"),
    ("run peru --scenario nope", r"data/peru: scenario: no scenario 'nope' \(known: base, conservative\)"),
    ("run peru --scenario ../elsalvador/as_published", r"data/peru: scenario: no scenario '\.\./elsalvador"),
    ("run peru --scenario ''", r"command line: --scenario: the scenario name is empty"),
    ("list peru --scenario ' '", r"command line: --scenario: the scenario name is empty"),
    ("run", r"command line: the following arguments are required: EVALUATION"),
    ("", r"command line: the following arguments are required: COMMAND"),
    ("fly peru", r"command line: COMMAND: invalid choice: 'fly'"),
    ("run peru --bogus", r"command line: unrecognized arguments: --bogus"),
    ("run peru --json=yes", r"command line: --json: ignored explicit argument 'yes'"),
    # --set: its form
    ("run elsalvador --set rent_to_price", r"command line: rent_to_price: --set expects KEY=VALUE \(no '='\)"),
    ("run elsalvador --set =0.08", r"command line: =0\.08: --set expects KEY=VALUE \(the key is empty\)"),
    ("run elsalvador --set ''", r"command line: --set: --set expects KEY=VALUE \(no '='\)"),
    ("run elsalvador --set rent_to_price=", r"command line: rent_to_price: no value after '='"),
    ("run elsalvador --set rent_to_price=0.07 --set rent_to_price=0.08", r"command line: rent_to_price: set twice"),
    ("run elsalvador --set colour=1", r"command line: colour: unknown parameter for elsalvador \(known: "),
    # --set: its value, read as YAML 1.2
    ("run elsalvador --set rent_to_price=2", r"command line: rent_to_price: 2 is above the maximum 1\.0$"),
    ("run elsalvador --set default_rate=-0.1", r"command line: default_rate: -0\.1 is below the minimum 0\.0$"),
    ("run elsalvador --set rent_to_price=yes", r"command line: rent_to_price: expected a number, got 'yes'$"),
    ("run elsalvador --set rent_to_price=off", r"command line: rent_to_price: expected a number, got 'off'$"),
    ("run elsalvador --set rent_to_price=true", r"command line: rent_to_price: expected a number, got True$"),
    ("run elsalvador --set rent_to_price=null", r"command line: rent_to_price: expected a number, got None$"),
    ("run elsalvador --set rent_to_price=~", r"command line: rent_to_price: expected a number, got None$"),
    ("run elsalvador --set rent_to_price=[0.08]", r"command line: rent_to_price: expected a number, got \[0\.08\]$"),
    (
        "run elsalvador --set rent_to_price=.nan",
        r"command line: rent_to_price: expected a number, got nan: not a finite",
    ),
    (
        "run elsalvador --set rent_to_price=-.inf",
        r"command line: rent_to_price: expected a number, got -inf: not a fin",
    ),
    ("run elsalvador --set rent_to_price=1e400", r"command line: rent_to_price: the number 1e400 is too large"),
    ("run elsalvador --set horizon_periods=1e400", r"command line: horizon_periods: the number 1e400 is too large"),
    (f"run elsalvador --set horizon_periods={HUGE}", r"command line: horizon_periods: the number 1000.* is too large"),
    ("run elsalvador --set horizon_periods=1e5", r"command line: horizon_periods: 100000 is above the maximum 100$"),
    ("run elsalvador --set horizon_periods=0o1000", r"command line: horizon_periods: 512 is above the maximum 100$"),
    ("run elsalvador --set horizon_periods=35.5", r"command line: horizon_periods: expected a whole number, got 35\.5"),
    (
        "run elsalvador --set rate_convention=daily",
        r"command line: rate_convention: 'daily' is not one of nominal, eff",
    ),
    (
        "run elsalvador --set discount_first_period=true",
        r"command line: discount_first_period: True is not one of 0, 1",
    ),
    (
        'run elsalvador --set "term_mix={20: 0.5, 20: 0.5}"',
        r"command line: term_mix: duplicate key \(twice on line 1\)",
    ),
    (
        'run elsalvador --set "term_mix={10: 0.5, 20: 0.4}"',
        r"command line: term_mix: shares must sum to 1, they sum to 0\.9",
    ),
    ('run elsalvador --set "term_mix={-10: 1.0}"', r"command line: term_mix: term -10 must be a positive whole number"),
    (
        'run elsalvador --set "disbursements=[1, 2"',
        r"command line: disbursements: not valid YAML \(.*expected ',' or ']'",
    ),
    (
        'run elsalvador --set "disbursements=[&a 1, *a]"',
        r"command line: disbursements: .*anchors and aliases .* not allowed",
    ),
    (
        f'run elsalvador --set "disbursements={BOMB}"',
        r"command line: disbursements: .*anchors and aliases .* not allowed",
    ),
    ("run elsalvador --set rent_to_price=\udcff", r"command line: rent_to_price: not valid YAML \(unacceptable char"),
    ("run elsalvador --set rent_to_price=\x01", r"command line: rent_to_price: not valid YAML \(unacceptable char"),
    ("run elsalvador --set disbursements=!!python/name:os.system", r"command line: disbursements: not valid YAML"),
    ("run elsalvador --set disbursements=" + "[" * 3000, r"command line: disbursements: not valid YAML \(nested too"),
    (
        'run elsalvador --set "disbursements=[7.5e6, -1]"',
        r"command line: disbursements\[1\]: -1 is below the minimum 0",
    ),
    # rules across parameters broken by an override: the override's origin is named, not the file
    ("run peru --set horizon_years=10", r"command line: sub1_loan_years: .*10-year horizon \(after horizon_years=10\)"),
    (
        "run elsalvador --set irr_last_period=40",
        r"command line: irr_last_period: 40 is beyond the horizon of 35 periods",
    ),
    ("run elsalvador --set slip_disbursements=[9]", r"command line: slip_disbursements: disbursement 9 does not exist"),
    # impossible values: more credits than households (1e15 was accepted)
    (
        "run peru --set sub1_credits=1e15",
        r"command line: sub1_credits: 1e\+15 credits are more than the country's 9,999,278 households$",
    ),
    ("run peru --set sub2_credits=9999000", r"command line: sub2_credits: the two subcomponents' credits together"),
    ("sensitivity peru --set horizon_years=10", r"command line: sub1_loan_years: .*\(after horizon_years=10\)"),
    ("workbook peru --set horizon_years=10 --out {tmp}/w.xlsx", r"command line: sub1_loan_years: .*\(after horizon"),
    # overflow: never exit 0 with n/a metrics
    (
        "run peru --set sub1_loan=1.0e+308",
        r"command line: total\.npv: the result is nan .*overflows.*sub1_loan=1e\+308",
    ),
    ("run peru --set sub1_loan=1.0e+308 --json", r"command line: total\.npv: the result is nan .*overflows"),
    (
        "run peru --set sub1_credits=1e308 --set sub2_credits=1e308",
        r"command line: sub1_credits: 1e\+308 credits are more than the country's 9,999,278 households$",
    ),
    (
        'run elsalvador --set "disbursements=[1e308, 1e308, 1e308, 1e308, 1e308]"',
        r"command line: npv: the result is inf \(net present value, VNA\): the computation overflows",
    ),
    (
        "run gret --set materials_cost=1.7e308",
        r"command line: effort_rate\.reference: the result is (nan|inf) .*overflows",
    ),
    ("workbook peru --set sub1_loan=1e308 --out {tmp}/w.xlsx", r"command line: total\.npv: the result is nan"),
    # list
    ("list atlantis", r"command line: evaluation: unknown evaluation 'atlantis'"),
    ("list --scenario base", r"command line: --scenario: needs an evaluation"),
    ("list peru --scenario nope", r"data/peru: scenario: no scenario 'nope'"),
    # sensitivity and bench: draws and seed
    ("sensitivity peru --draws 0", r"command line: --draws: 0 draws: give 1 to 5,000,000 \(.*about 2 GB"),
    ("sensitivity peru --draws -5", r"command line: --draws: -5 draws: give 1 to 5,000,000"),
    ("sensitivity peru --draws 5000001", r"command line: --draws: 5,000,001 draws: give 1 to 5,000,000"),
    ("sensitivity peru --draws many", r"command line: --draws: 'many' is not a whole number"),
    ("sensitivity peru --draws 1e5", r"command line: --draws: '1e5' is not a whole number"),
    ("sensitivity peru --seed -1", r"command line: --seed: -1: a seed is a whole number >= 0 \(numpy"),
    ("sensitivity peru --seed x", r"command line: --seed: 'x' is not a whole number"),
    ("sensitivity atlantis", r"command line: evaluation: unknown evaluation 'atlantis'"),
    ("sensitivity elsalvador --set rent_to_price=2", r"command line: rent_to_price: 2 is above the maximum"),
    ("bench --draws 0", r"command line: --draws: 0 draws: give 1 to 5,000,000"),
    ("bench --draws 10000000", r"command line: --draws: 10,000,000 draws: give 1 to 5,000,000"),
    # workbook: where it goes
    ("workbook peru", r"command line: the following arguments are required: --out"),
    ("workbook peru --out {tmp}/missing/w.xlsx", r"--out: .*/missing/w\.xlsx: the folder .*/missing does not exist"),
    ("workbook peru --out {tmp}/folder.xlsx", r"--out: .*/folder\.xlsx: is a folder"),
    (
        "workbook peru --out {tmp}/file.txt/w.xlsx",
        r"--out: .*/file\.txt/w\.xlsx: the folder .*file\.txt does not exist",
    ),
    ("workbook peru --out {tmp}/w.csv", r"--out: .*/w\.csv: the workbook's name must end in \.xlsx"),
    ("workbook peru --out /proc/w.xlsx", r"--out: /proc/w\.xlsx: cannot write the file"),
    ("workbook atlantis --out {tmp}/w.xlsx", r"command line: evaluation: unknown evaluation 'atlantis'"),
    ("workbook peru --scenario nope --out {tmp}/w.xlsx", r"data/peru: scenario: no scenario 'nope'"),
    # release and diff: versions that cannot be released or compared
    ("release 0.1.0", r"command line: release 0\.1\.0: version 0\.1\.0: already released"),
    ("release 0.2", r"command line: release 0\.2: version '0\.2': expected MAJOR\.MINOR\.PATCH"),
    ("release 0.0.1", r"command line: release 0\.0\.1: version 0\.0\.1: must be above the latest release"),
    ("release 99.0.0", r"command line: release 99\.0\.0: CHANGELOG\.md: no section '## 99\.0\.0"),
    ("diff 0.1.0 9.9.9", r"command line: diff 0\.1\.0 9\.9\.9: version '9\.9\.9': no release of that version"),
    ("diff 0.1.0 0.1.0", r"command line: diff 0\.1\.0 0\.1\.0: diff 0\.1\.0 0\.1\.0: the first version must be"),
]


def _split(line: str, tmp) -> list:
    import shlex

    return [a.replace("{tmp}", str(tmp)) for a in shlex.split(line)]


def expect_error(capsys, argv, message) -> str:
    """Run the command line in-process; the one line it printed on stderr."""
    status = cli.main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (argv, status, err)
    assert out == "", argv
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert re.match(r"error: (?:" + message + ")", err.rstrip("\n")), err
    return err


@pytest.mark.parametrize("line, message", COMMAND_LINES, ids=[c[0][:60] for c in COMMAND_LINES])
def test_command_line(tmp_path, capsys, line, message):
    (tmp_path / "folder.xlsx").mkdir()
    (tmp_path / "file.txt").write_text("x")
    expect_error(capsys, _split(line, tmp_path), message)
    assert not (tmp_path / "w.xlsx").exists()


# (file written, its text or a change of as_published.yaml, expected message after "error: <file>: ")
BASE = "as_published"
CHILD = "x"  # a new scenario that extends as_published
ENTRY = "  rent_to_price:\n    value: 0.085\n"
LOCATOR = "    locator: para. 2.4, footnote 4 (as quoted in the IDB analysis of the CCLIP operation)\n"
FILES = [
    # the file as text
    (BASE, b"description: caf\xe9\nparameters: {}\n", r"not UTF-8 text \(byte 0xe9 at offset 16\)"),
    (BASE, "", r"empty file \(expected a mapping with 'description' and 'parameters'\)"),
    (BASE, "# nothing but a comment\n", r"empty file"),
    (BASE, "- value: 1\n- value: 2\n", r"expected a mapping with 'parameters', got a list \(a YAML list\)"),
    (BASE, "just text\n", r"expected a mapping with 'parameters', got a str"),
    (BASE, "parameters: [unclosed\n", r"not valid YAML \(line 2: expected ',' or ']'"),
    (BASE, "parameters:\n\t- x\n", r"not valid YAML \(line 2: found character '\\t'"),
    (BASE, "parameters: " + "[" * 3000 + "\n", r"not valid YAML \(nested too deeply\)"),
    (BASE, LAUGHS, r"line 1: YAML anchors and aliases \(& and \*\) are not allowed"),
    (BASE, "description: x\ndescription: y\nparameters: {}\n", r"description: duplicate key \(line 1 and line 2\)"),
    (BASE, "parameters: !!python/object/apply:os.system [ls]\n", r"not valid YAML \(.*could not determine a constr"),
    (BASE, "? [1, 2]\n: x\n", r"line 1: a key must be text or a number"),
    (BASE, "x" * (params.MAX_FILE_BYTES + 1), r"larger than 1,000,000 bytes: not a parameter file"),
    # the file's structure
    (BASE, ("parameters:\n", "parameter:\n"), r"parameter: unknown top-level key \(allowed: description, extends, par"),
    (BASE, ("description: >-\n", "description:\n  - a list\nx: >-\n"), r"x: unknown top-level key"),
    (BASE, ("parameters:\n", "notes: x\nparameters:\n"), r"notes: unknown top-level key"),
    (BASE, "description: [a, b]\nparameters: {x: 1}\n", r"description: must be text"),
    (BASE, "description: no parameters\n", r"parameters: missing or not a mapping of entries"),
    (BASE, "description: x\nparameters: [a, b]\n", r"parameters: missing or not a mapping of entries"),
    (BASE, "description: x\nparameters:\n  1: {value: 1}\n", r"1: a parameter's name must be text"),
    (BASE, ("  rent_to_price:\n", "  rent_to_price: 0.085\n  ignored:\n"), r"rent_to_price: an entry must be a mappi"),
    (BASE, ("  rent_to_price:\n", "  rent_to_price:\n    value: 1\n  rent_to_price:\n"), r"rent_to_price: duplic"),
    (BASE, ("  rent_to_price:\n    value: 0.085\n", ENTRY + "    value: 0.09\n"), r"value: duplicate key \(line"),
    (BASE, ("  rent_to_price:\n", "  colour:\n    value: 1\n  rent_to_price:\n"), r"colour: unknown parameter for"),
    (BASE, ("  rent_to_price:\n    value: 0.085\n", ENTRY + "    units: x\n"), r"rent_to_price: unknown field 'units'"),
    (BASE, ("    locator: para. 2.4", "    locators: para. 2.4"), r"rent_to_price: unknown field 'locators'"),
    (BASE, ("  rent_to_price:\n    value: 0.085\n", "  rent_to_price:\n"), r"rent_to_price: missing field 'value'"),
    (BASE, ("  rent_to_price:\n    value: 0.085\n", "  rent_to_price:\n    value: null\n"), r"rent_to_price: missing"),
    (
        BASE,
        ("  rent_to_price:\n    value: 0.085\n", ENTRY.replace("0.085", "") + "    xx: 1\n"),
        r"rent_to_price: unknown field 'xx'",
    ),
    (BASE, (LOCATOR, ""), r"rent_to_price: missing field 'locator'"),
    (BASE, (LOCATOR, "    locator: ''\n"), r"rent_to_price: missing field 'locator'"),
    (
        BASE,
        ("    source: gpg_elsalvador\n", "    source: nobody2020\n"),
        r"\w+: source 'nobody2020' is not a key of ref",
    ),
    (BASE, ("    source: gpg_elsalvador\n", "    source: [gpg]\n"), r"\w+: source must be text, got \['gpg'\]"),
    (BASE, ("    unit: yearly rent / home value\n", "    unit: {a: 1}\n"), r"rent_to_price: unit must be text"),
    (BASE, ("  default_rate:\n", "  default_ratio:\n"), r"default_ratio: unknown parameter for elsalvador"),
    # values
    (BASE, ("    value: 0.085\n", "    value: 1.5\n"), r"rent_to_price: 1\.5 is above the maximum 1\.0"),
    (BASE, ("    value: 0.085\n", "    value: 1e400\n"), r"line \d+: the number 1e400 is too large"),
    (BASE, ("    value: 0.085\n", f"    value: {HUGE}\n"), r"line \d+: the number 1000.* is too large"),
    (BASE, ("    value: 0.085\n", "    value: .inf\n"), r"rent_to_price: expected a number, got inf: not a finite"),
    (BASE, ("    value: 0.085\n", "    value: .nan\n"), r"rent_to_price: expected a number, got nan: not a finite"),
    (BASE, ("    value: 0.085\n", "    value: yes\n"), r"rent_to_price: expected a number, got 'yes'"),
    (BASE, ("    value: 0.085\n", "    value: 2026-01-01\n"), r"rent_to_price: expected a number, got '2026-01-01'"),
    (BASE, ("    value: nominal\n", "    value: no\n"), r"rate_convention: 'no' is not one of nominal, effective"),
    (BASE, ("    value: 34\n", "    value: 40\n"), r"irr_last_period: 40 is beyond the horizon of 35 periods"),
    (BASE, ("    value: 0.085\n", "    value: &x 0.085\n"), r"line \d+: YAML anchors and aliases"),
    # range and distribution blocks
    (BASE, ("      low: 0.02\n      high: 0.04\n", "      low: 0.04\n      high: 0.02\n"), r"annual_interest_rate\.ra"),
    (BASE, ("      kind: uniform\n", "      kind: normal\n"), r"annual_interest_rate\.distribution: kind 'normal' is"),
    (BASE, ("      bounds: document  #", "      bounds: [document]  #"), r"annual_interest_rate\.distribution: bou"),
    # scenarios that extend another
    (CHILD, "extends: nothere\nparameters:\n  rent_to_price: {locator: x}\n", r"extends: no scenario 'nothere'"),
    (
        CHILD,
        "extends: ../peru/base\nparameters:\n  rent_to_price: {locator: x}\n",
        r"extends: no scenario '\.\./peru/b",
    ),
    (CHILD, "extends: x\nparameters:\n  rent_to_price: {locator: x}\n", r"extends: circular extends"),
    (
        CHILD,
        "extends: [as_published]\nparameters:\n  rent_to_price: {locator: x}\n",
        r"extends: must be a scenario name",
    ),
    (
        CHILD,
        "extends: as_published\nparameters:\n  construction_weight: {value: 0.8, locator: Tabla 6}\n",
        r"construction_weight: changes the value, so it needs its own source and locator \(it would inherit "
        r"as_published\.yaml's citation for a number that source never gave\)",
    ),
    (
        CHILD,
        "extends: as_published\nparameters:\n  rent_to_price: {value: 0.08, source: idb_es_cclip}\n",
        r"rent_to_price: changes the value, so it needs its own source and locator",
    ),
    (
        CHILD,
        "extends: as_published\nparameters:\n  horizon_periods: {value: 20, source: idb_es_cclip, locator: x}\n",
        r"term_mix: a 20-year loan from disbursement \d is repaid until period \d+, beyond the horizon of 20 periods "
        r"\(term_mix as set in .*as_published\.yaml\)",
    ),
]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of the evaluations' parameter folders, which the loader then reads."""
    dest = tmp_path / "data"
    for name in ("elsalvador", "peru"):
        shutil.copytree(ROOT / "data" / name, dest / name)
    monkeypatch.setattr(params, "DATA_DIR", dest)
    return dest


def _write(data_dir, name, change):
    path = data_dir / "elsalvador" / f"{name}.yaml"
    if isinstance(change, tuple):
        text = path.read_text(encoding="utf-8")
        assert change[0] in text, change  # the case changes what it means to
        path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    elif isinstance(change, bytes):
        path.write_bytes(change)
    else:
        path.write_text(change, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, change, message", FILES, ids=[f"{i}-{c[2][:40]}" for i, c in enumerate(FILES)])
def test_parameter_file(data_dir, capsys, name, change, message):
    path = _write(data_dir, name, change)
    err = expect_error(capsys, ["run", "elsalvador", "--scenario", name], re.escape(str(path)) + ": " + message)
    ev = cli.evaluations.get("elsalvador")
    with pytest.raises(params.ParameterError) as exc:  # the same message from the library
        params.load("elsalvador", name, ev.parameters, checker=ev.check, data_dir=data_dir)
    assert err == f"error: {exc.value}\n"


def test_there_are_at_least_sixty_cases():
    assert len(COMMAND_LINES) + len(FILES) >= 60


def test_a_file_error_in_the_list_command(data_dir, capsys):
    path = _write(data_dir, "h1_s1", ("    source: idb_es_cclip\n", ""))
    expect_error(capsys, ["list"], re.escape(str(path)) + r": construction_weight: changes the value")


def test_an_alias_bomb_is_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(params.InputError, match="anchors and aliases"):
        params.parse_yaml(LAUGHS)  # 9 levels of 9: 387 million items if expanded
    assert time.perf_counter() - started < 1.0
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "run", "elsalvador", "--set", "disbursements=" + LAUGHS.replace("\n", ", ")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 2 and out.stdout == "" and out.stderr.count("\n") == 1, out.stderr


@pytest.mark.slow  # real processes and pipes
def test_a_closed_pipe_stops_quietly():
    """``python -m analysis run peru | head -1``: the reader goes away; status 141 (SIGPIPE's), no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "analysis", "run", "peru", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    proc.stdout.close()  # before the first write: every write meets a closed pipe
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert err == b""
    shell = subprocess.run(
        f"{sys.executable} -m analysis run peru | head -1", shell=True, capture_output=True, text=True, cwd=ROOT
    )
    assert shell.stdout.startswith("peru / base") and shell.stderr == "" and shell.returncode == 0


def test_yaml_12_numbers_and_booleans():
    """--set and files share one loader with YAML 1.2's core schema."""
    parse = params.parse_yaml
    assert parse("010") == 10 and parse("0o10") == 8 and parse("0x1f") == 31 and parse("+5") == 5
    assert parse("3e4") == 30000.0 and isinstance(parse("3e4"), float) and parse("1e5") == 100000.0
    assert [parse(t) for t in ("yes", "no", "on", "off", "y", "n")] == ["yes", "no", "on", "off", "y", "n"]
    assert [parse(t) for t in ("true", "True", "false", "FALSE")] == [True, True, False, False]
    assert parse("null") is None and parse("~") is None and parse("") is None
    assert parse("2026-01-01") == "2026-01-01" and parse("1_000") == "1_000" and parse("1:30") == "1:30"
    assert parse("{20: 1.0}") == {20: 1.0} and parse("[1, 2.5]") == [1, 2.5]


def test_an_override_value_is_read_like_a_file_value(capsys):
    assert cli.main(["run", "elsalvador", "--set", "horizon_periods=035", "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["overrides"] == {"horizon_periods": 35} and doc["parameters"]["horizon_periods"]["value"] == 35


def test_an_undefined_rate_of_return_is_not_an_error(capsys):
    """The IRR may be undefined (no sign change) without any overflow: shown as n/a, status 0."""
    assert cli.main(["run", "peru", "--set", "monthly_rent_yield=1", "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["metrics"]["total.irr"] is None and doc["metrics"]["total.npv"] > 0


def test_an_unexpected_failure_is_one_line_naming_the_command(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "run_payload", broken)
    assert cli.main(["run", "peru", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == "error: run: unexpected ZeroDivisionError: division by zero (a bug: please report it)\n"
    monkeypatch.setenv("ANALYSIS_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["run", "peru", "--json"])

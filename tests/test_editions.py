"""Editions of the book for a user's scenarios and overrides (`python -m analysis build --scenario
EVAL=NAME --set EVAL.KEY=VALUE [--edition NAME]`), bad input to the build, and reproducible bytes."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import EDITION, EDITION_OVERRIDES, ROOT, tree

from analysis import cli, evaluations
from analysis.core import params
from analysis.publish import build, chapter, contents

# --- bad options: one line naming the option, exit 2, nothing written -----------------------------

BAD_OPTIONS = [
    (["--scenario", "peru=nope"], r"--scenario peru=nope: no scenario 'nope' in data/peru/ \(known: .*base"),
    (["--scenario", "peru"], r"--scenario peru: expected EVALUATION=SCENARIO"),
    (["--scenario", "nope=base"], r"--scenario nope=base: unknown evaluation 'nope' \(known: peru"),
    (["--set", "peru.discount=0.1"], r"--set peru.discount=0.1: unknown parameter of peru \(known: .*discount_rate"),
    (["--set", "nope.discount_rate=0.1"], r"--set nope.discount_rate=0.1: unknown evaluation 'nope'"),
    (["--set", "discount_rate=0.1"], r"--set discount_rate=0.1: expected EVALUATION.PARAMETER=VALUE"),
    (["--set", "peru.discount_rate"], r"--set peru.discount_rate: expected EVALUATION.PARAMETER=VALUE"),
    (["--set", "peru.discount_rate=7"], r"--set peru.discount_rate=7: 7 is above the maximum"),
    (["--set", "peru.discount_rate=ten"], r"--set peru.discount_rate=ten: expected a number, got 'ten'"),
    (["--edition", "../escape"], r"--edition \.\./escape: use letters, digits"),
    (["--only", "peru", "--set", "peru.discount_rate=0.1"], r"--only: an option of the book, not of an edition"),
]


def _names(path: Path) -> set:
    """Every path under ``path``, with its size and modification time."""
    return {(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")} if path.exists() else set()


@pytest.mark.parametrize("argv, message", BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_a_bad_edition_option_is_one_line_exit_2_and_writes_nothing(argv, message, capsys):
    before = _names(contents.BOOK / "_build")
    assert cli.main(["build", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and re.search(message, err), err
    assert _names(contents.BOOK / "_build") == before


@pytest.mark.parametrize(
    "config, message",
    [
        ("title: [unclosed\n", r"error: _config\.yml: not valid YAML \("),
        ("- a list\n- not a mapping\n", r"error: _config\.yml: expected a mapping of settings, got list"),
        ("just text\n", r"error: _config\.yml: expected a mapping of settings, got str"),
    ],
)
@pytest.mark.parametrize("argv", [[], ["--set", "elsalvador.rent_to_price=0.09"]], ids=["book", "edition"])
def test_a_malformed_config_stops_the_build_in_one_line_and_keeps_the_book(
    tmp_path, monkeypatch, capsys, config, message, argv
):
    (tmp_path / "_config.yml").write_text(config)
    html = tmp_path / "book" / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text("previous book")
    stale = html.parent / "staging-killed"  # a build killed earlier: the next one removes it
    stale.mkdir()
    monkeypatch.setattr(build, "ROOT", tmp_path)
    monkeypatch.setattr(build, "HTML", html)
    monkeypatch.setattr(build, "EDITIONS", html.parent / "editions")
    notebooks = tree(contents.BOOK)
    assert cli.main(["build", *argv]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.match(message, err), err
    assert (html / "index.html").read_text() == "previous book"
    assert sorted(p.name for p in html.parent.iterdir()) == ["html"]  # stale staging removed, no edition
    assert tree(contents.BOOK) == notebooks


def test_edition_options_become_scenarios_and_overrides_and_a_default_name():
    scenarios, overrides = build.edition_choices(
        ["peru=conservative"], ["peru.discount_rate=0.10", "elsalvador.term_mix={10: 0.5, 20: 0.5}"]
    )
    assert scenarios == {"peru": "conservative"}
    assert overrides == {"peru": {"discount_rate": 0.10}, "elsalvador": {"term_mix": {10: 0.5, 20: 0.5}}}
    name = build.edition_name(scenarios, overrides)
    assert name.startswith("peru-conservative-elsalvador-as_published-") and len(name.rsplit("-", 1)[1]) == 8
    assert build.edition_name(scenarios, {"peru": {"discount_rate": 0.11}}) != build.edition_name(
        scenarios, {"peru": {"discount_rate": 0.10}}
    )
    pages = {stem: p for stem, _, p in build.edition_pages(scenarios, overrides)}
    assert pages["peru"] == {"scenario": "conservative", "overrides": {"discount_rate": 0.10}, "origin": "command line"}
    assert pages["gret"] == {"scenario": "as_published", "overrides": {}}  # not named: the book's page
    assert pages["summary"] == {"scenarios": scenarios, "overrides": overrides, "origin": "command line"}


def test_edition_options_refuse_a_key_set_twice_and_blame_only_the_options_given():
    with pytest.raises(
        build.OptionError,
        match=r"--set peru.discount_rate=0.12: peru.discount_rate is set twice "
        r"\(also by --set peru.discount_rate=0.1\)",
    ):
        build.edition_choices([], ["peru.discount_rate=0.1", "peru.discount_rate=0.12"])
    # a value valid alone that the scenario's other values refuse: the --set is named, and no
    # --scenario that was never given
    with pytest.raises(build.OptionError) as caught:
        build.edition_choices([], ["peru.horizon_years=10"])
    assert str(caught.value).startswith("--set peru.horizon_years=10: ") and "--scenario" not in str(caught.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--edition", ""], "error: --edition: an empty name"),
        (["--edition", " ", "--set", "peru.discount_rate=0.1"], "error: --edition: an empty name"),
        (["--only", "nosuch", "--no-html"], "error: --only nosuch: no page of that name (pages: peru,"),
    ],
)
def test_an_empty_edition_name_or_an_unknown_page_is_one_line_and_exit_2(argv, message, capsys):
    """They exited 0 doing something else: the whole book built, or nothing executed."""
    from analysis import cli

    assert cli.main(["build", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


def test_a_scenario_file_added_under_data_needs_no_python_edit(data_copy, monkeypatch):
    (data_copy / "peru" / "my_case.yaml").write_text(
        "description: my case\nextends: base\nparameters:\n  discount_rate:\n    value: 0.11\n"
        "    source: campos_2018\n    locator: a reviewer's choice within the range it discusses\n"
    )
    monkeypatch.setattr(params, "DATA_DIR", data_copy)
    monkeypatch.setattr(params.load, "__defaults__", (None, None, data_copy, params.BIBLIOGRAPHY, "override"))
    monkeypatch.setattr(params.scenario_names, "__defaults__", (data_copy,))
    scenarios, _ = build.edition_choices(["peru=my_case"], [])
    assert scenarios == {"peru": "my_case"}
    facts = build.edition_facts("x", scenarios, {})
    peru = next(e for e in facts["evaluations"] if e["evaluation"] == "peru")
    assert peru["files"][-1].endswith("peru/my_case.yaml") and peru["changed"]


def test_the_banner_names_scenarios_files_overrides_and_their_replaced_citations_escaped(monkeypatch):
    facts = build.edition_facts("e1", {"elsalvador": "corrected"}, {"elsalvador": {"rent_to_price": 0.09}})
    es = next(e for e in facts["evaluations"] if e["evaluation"] == "elsalvador")
    assert es["files"] == ["data/elsalvador/as_published.yaml", "data/elsalvador/corrected.yaml"]
    (o,) = es["overrides"]
    assert (o["parameter"], o["value"], o["replaced"]) == ("rent_to_price", "9\u00a0%", "8.5\u00a0%")
    assert o["replaced_origin"] == "data/elsalvador/as_published.yaml" and o["locator"]
    banner = build.banner_html(facts)
    shown = ("9\u00a0%", "8.5\u00a0%")
    for text in ("corrected", "as_published.yaml", "rent_to_price", *shown, es["sha256"], facts["commit"]):
        assert text in banner
    assert [e["scenario"] for e in facts["evaluations"] if not e["changed"]] == ["base", "as_published"]
    o["locator"] = "<b>x</b><script>alert(1)</script>"
    hostile = build.banner_html(facts)
    assert "<script>" not in hostile and "&lt;b&gt;x&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in hostile


# --- text from a parameter file is text -----------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "<b>x</b><script>alert(1)</script>",
        "[click](javascript:alert(1))",
        "{download}`x <../../etc/passwd>`",
        "$x$ *em* _u_ ~~s~~ a|b \\ {{ version }}",
        "&lt;script&gt; &amp;",
    ],
)
def test_text_for_markdown_shows_literally(hostile):
    from markdown_it import MarkdownIt

    md = chapter.text(hostile)
    assert "\n" not in md
    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(md)
    assert "<script" not in rendered and "<a " not in rendered and "<em>" not in rendered and "<s>" not in rendered
    # what the reader sees is the text itself
    assert BeautifulSoup(rendered, "html.parser").get_text().strip() == hostile


def test_the_register_marks_an_overridden_value_with_the_value_it_replaced_and_its_citation():
    ev = evaluations.get("elsalvador")
    sc = ev.load("as_published", {"rent_to_price": 0.09}, origin="command line")
    lines = chapter.register(sc, ev.parameters).data.splitlines()
    rows = {line.split("|")[1].strip(): line for line in lines if line.startswith("| `")}
    row = rows["`rent_to_price`"]
    was = sc.entries["rent_to_price"]["replaced"]
    assert "9\u00a0% — set by command line; replaces 8.5\u00a0% (data/elsalvador/as\\_published.yaml)" in row
    assert f"replaced value's citation: {{cite:p}}`{was['source']}`" in row
    assert f"replaced value's locator: {chapter.text(was['locator'])}" in row
    assert row.rstrip(" |").endswith("command line")
    plain = rows["`discount_rate`"]  # a value from the file: its own citation, the file as its origin
    assert "replaced" not in plain and plain.rstrip(" |").endswith("data/elsalvador/as\\_published.yaml")


# --- a chapter's start: papermill with bad parameters stops in one line ---------------------------


def test_chapter_start_raises_one_line_for_bad_parameters():
    ev, sc, res = chapter.start("elsalvador", "corrected", {"rent_to_price": 0.09}, "papermill")
    assert sc.name == "corrected" and sc.entries["rent_to_price"]["origin"] == "papermill" and res.metrics
    for args, message in [
        (("elsalvador", "nope"), "data/elsalvador: scenario: no scenario 'nope'"),
        (("elsalvador", None, {"rent": 1}), "papermill: rent: unknown parameter for elsalvador"),
        (("nope",), "command line: evaluation: unknown evaluation 'nope'"),
    ]:
        with pytest.raises(chapter.ChapterError) as info:
            chapter.start(*args)
        assert str(info.value).startswith(message)
        assert info.value._render_traceback_() == [f"ChapterError: {info.value}"]  # what IPython shows


def _notebook_with_start(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    parameters = nbformat.v4.new_code_cell('scenario = None\noverrides = {}\norigin = "papermill"')
    parameters.metadata["tags"] = ["parameters"]
    start = nbformat.v4.new_code_cell(
        'from analysis.publish import chapter\nev, sc, res = chapter.start("elsalvador", scenario, overrides, origin)'
    )
    nb.cells = [parameters, start]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_papermill_on_a_chapter_with_a_bad_scenario_stops_in_the_first_cell_with_one_line(tmp_path):
    src = _notebook_with_start(tmp_path / "chapter.ipynb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    papermill = Path(sys.executable).with_name("papermill")
    done = subprocess.run(
        [str(papermill), str(src), str(tmp_path / "out.ipynb"), "-p", "scenario", "nope"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    cell = lines[next(i for i, line in enumerate(lines) if line.startswith("Exception encountered at")) + 1 :]
    assert len(cell) == 1 and cell[0].startswith("ChapterError: data/elsalvador: scenario: no scenario 'nope' (known:")
    with pytest.raises(RuntimeError, match=r"failed in cell 2 .*ChapterError: data/elsalvador: scenario: no scen"):
        build.execute(src, tmp_path / "book.ipynb", {"scenario": "nope"}, "x")
    assert not (tmp_path / "book.ipynb").exists()


def test_an_interrupted_execution_leaves_no_half_written_notebook(tmp_path, monkeypatch):
    import papermill

    dest = tmp_path / "book" / "page.ipynb"
    dest.parent.mkdir()
    dest.write_text("previous result")

    def interrupted(src, out, **kwargs):
        Path(out).write_text('{"cells": [')  # half written, then the user presses Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build.execute(ROOT / "notebooks" / "summary.ipynb", dest, {}, "x")
    assert dest.read_text() == "previous result" and [p.name for p in dest.parent.iterdir()] == ["page.ipynb"]


# --- reproducible bytes and clean staging ---------------------------------------------------------


def test_the_injected_parameters_cell_gets_an_id_from_the_parameters():
    def executed():
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("scenario = 'x'")
        cell.metadata["tags"] = ["injected-parameters"]
        cell.metadata["papermill"] = {"start_time": "now"}
        nb.cells = [cell]
        nb.metadata["papermill"] = {"start_time": "now", "parameters": {"scenario": "x"}}
        return nb

    a, b, c = executed(), executed(), executed()
    assert a.cells[0].id != b.cells[0].id  # nbformat draws random ids, as papermill does
    build._tidy(a, {"scenario": "x"})
    build._tidy(b, {"scenario": "x"})
    build._tidy(c, {"scenario": "y"})
    assert a == b and a.cells[0].id != c.cells[0].id
    assert "remove-cell" in a.cells[0].metadata["tags"] and "start_time" not in a.metadata["papermill"]
    nbformat.validate(a)


@pytest.mark.slow
def test_executing_twice_gives_the_same_bytes(tmp_path):
    parameters = {"scenarios": {}, "overrides": {}, "origin": "papermill"}  # an injected cell
    first, second = tmp_path / "a" / "summary.ipynb", tmp_path / "b" / "summary.ipynb"
    for dest in (first, second):
        dest.parent.mkdir()
        build.execute(ROOT / "notebooks" / "summary.ipynb", dest, parameters, "digest")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.slow
def test_exporting_twice_gives_the_same_xlsx_bytes(tmp_path):
    build.export_tables(tmp_path / "a")
    time.sleep(2.1)  # a zip entry's time has 2 s resolution: a timestamp would differ
    build.export_tables(tmp_path / "b")
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert a == b and sum(name.endswith(".xlsx") for name in a) >= 2 * len(evaluations.REGISTRY)


@pytest.mark.slow  # writes every download, as the build does
def test_text_in_the_downloads_is_text_never_a_formula_or_a_link(tmp_path, monkeypatch):
    import openpyxl

    from analysis.publish import workbook

    hostile = {"unit": "=1+1", "locator": "external:c:\\evil.exe", "note": "http://example.com/<script>"}
    original = params.load

    def load(*args, **kwargs):
        sc = original(*args, **kwargs)
        sc.entries["rent_to_price"].update(hostile)
        return sc

    monkeypatch.setattr(params, "load", load)
    path = workbook.write("elsalvador", None, {}, tmp_path / "w.xlsx", commit="x")
    ws = openpyxl.load_workbook(path)[workbook.INPUTS]
    row = next(r for r in ws.iter_rows() if r[0].value == "rent_to_price")
    for c in row[2:6]:
        assert c.data_type == "s" and c.hyperlink is None
    assert (row[2].value, row[4].value) == (hostile["unit"], hostile["locator"])
    assert row[5].value.startswith(hostile["note"])


def test_stale_staging_folders_are_removed_and_running_ones_kept(tmp_path):
    (tmp_path / "staging-nopid").mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "staging-dead").mkdir()
    (tmp_path / "staging-dead" / build.PID_FILE).write_text(dead.stdout.strip())
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / "staging-alive").mkdir()
        (tmp_path / "staging-alive" / build.PID_FILE).write_text(str(alive.pid))
        (tmp_path / "html").mkdir()
        removed = build.clean_stale_staging(tmp_path)
        assert sorted(p.name for p in removed) == ["staging-dead", "staging-nopid"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["html", "staging-alive"]
    finally:
        alive.kill()
        alive.wait()


@pytest.mark.slow  # starts a build and stops it
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_build_stopped_by_a_signal_removes_its_staging_folder(tmp_path, signum):
    """The HTML build waits (a stand-in for jupyter-book) in a child process; the signal ends it
    through its clean-up: no staging folder is left and the previous HTML is kept."""
    html = tmp_path / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text("previous book")
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from analysis.publish import build
        build.HTML = Path({str(html)!r})
        def slow(out, **kwargs):
            print("staging", out, flush=True)
            time.sleep(60)
        build.jupyter_book = slow
        sys.exit(build.main(only=["none"]))
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    line = child.stdout.readline()
    while line and not line.startswith("staging"):
        line = child.stdout.readline()
    staging = Path(line.split(" ", 1)[1].strip())
    assert staging.is_dir()
    child.send_signal(signum)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert "interrupted" in err and len(err.strip().splitlines()) == 1, err
    assert not staging.exists() and sorted(p.name for p in html.parent.iterdir()) == ["html"]
    assert (html / "index.html").read_text() == "previous book"


# --- an edition, built ----------------------------------------------------------------------------


@pytest.mark.slow
def test_an_edition_leaves_the_book_untouched(edition):
    folder, before, after = edition
    assert before == after  # the executed notebooks, the downloads, the release snapshots, the HTML
    assert before["html"] == {"index.html": tree(folder.parents[1] / "html")["index.html"]}
    assert not list(folder.parents[1].glob("staging-*"))


@pytest.mark.slow
def test_every_page_of_an_edition_carries_its_banner(edition):
    folder, _, _ = edition
    pages = [p for p in folder.rglob("*.html") if "_static" not in p.parts]
    assert len(pages) >= len(contents.toc_pages())
    facts = json.loads((folder / "edition.json").read_text())
    es = next(e for e in facts["evaluations"] if e["evaluation"] == "elsalvador")
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        if soup.find("meta", attrs={"http-equiv": "Refresh"}):  # index.html: a redirect
            continue
        banner = soup.select_one(".bd-header-announcement .edition-banner")
        assert banner is not None, f"{page.relative_to(folder)}: no banner"
        text = banner.get_text(" ", strip=True)
        shown = ("9\u00a0%", "replaces 8.5\u00a0%")
        for part in (EDITION, "hostile", "rent_to_price", *shown, es["sha256"], facts["commit"]):
            assert part in text, f"{page.relative_to(folder)}: {part!r} missing from the banner"
    main = contents.HTML / "book" / "elsalvador.html"
    if main.is_file():  # the book itself has no banner
        assert "edition-banner" not in main.read_text(encoding="utf-8")


@pytest.mark.slow
def test_an_edition_shows_the_overridden_value_with_the_value_it_replaced(edition):
    folder, _, _ = edition
    soup = BeautifulSoup((folder / "book" / "elsalvador.html").read_text(encoding="utf-8"), "html.parser")
    section = soup.find(id="elsalvador-assumptions")
    section = section if section.name == "section" else section.find_parent("section")
    row = next(tr for tr in section.find("table").find_all("tr") if "rent_to_price" in tr.get_text())
    text = row.get_text(" ", strip=True)
    assert "9\u00a0% — set by command line; replaces 8.5\u00a0% (data/elsalvador/as_published.yaml)" in text
    assert "replaced value’s citation" in text or "replaced value's citation" in text
    assert row.find("a", href=lambda h: h and "references.html" in h) is not None
    summary = (folder / "book" / "summary.html").read_text(encoding="utf-8")
    assert "hostile with overrides" in summary  # the overview pages show the edition's run


@pytest.mark.slow
def test_an_edition_has_its_own_downloads(edition):
    import csv

    folder, _, _ = edition
    soup = BeautifulSoup((folder / "book" / "elsalvador.html").read_text(encoding="utf-8"), "html.parser")
    # named by the edition's scenario (hostile: corrected with other texts) and its inputs' digest
    named = re.compile(r"/cash_flow-hostile-([0-9a-f]{12})\.csv$")
    href = next(a["href"] for a in soup.find_all("a", href=True) if named.search(a["href"]))
    book_sc, book_result = evaluations.run("elsalvador")
    assert named.search(href).group(1) != book_sc.sha256[:12]
    edition_rows = list(csv.DictReader((folder / "book" / href).open()))
    expected = evaluations.run("elsalvador", "corrected", EDITION_OVERRIDES)[1].tables["cash_flow"]
    book = book_result.tables["cash_flow"]
    column = "imputed_rent"
    shown = [float(r[f"{column} (USD)"]) for r in edition_rows]  # the header names the unit
    assert shown == pytest.approx(list(expected[column]), rel=1e-11)  # kept to 12 significant digits
    assert shown != pytest.approx(list(book[column]), rel=1e-6)  # not the book's table


# --- pages executed in parallel, several per kernel -----------------------------------------------


def test_as_many_pages_at_once_as_processors_or_book_jobs(monkeypatch):
    monkeypatch.setenv("BOOK_JOBS", "3")
    assert build.jobs() == 3
    for bad in ("0", "-1", "two", ""):
        monkeypatch.setenv("BOOK_JOBS", bad)
        assert 1 <= build.jobs() <= 4


@pytest.mark.slow  # starts kernels
def test_pages_executed_one_after_another_in_one_kernel_are_as_in_kernels_of_their_own(tmp_path, monkeypatch):
    """Table numbers, the cell count, the names a page defined and matplotlib's state do not pass
    from one page to the next: the same bytes as a new kernel per page (the committed pages are
    written this way and nbval re-executes each in a kernel of its own)."""
    monkeypatch.setattr(build, "LOG", tmp_path / "build.log")
    pages = {stem: parameters for stem, _, parameters in contents.pages() if stem in ("summary", "changes", "intro")}
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    alone.mkdir(), shared.mkdir()
    for stem, parameters in pages.items():
        build.execute(ROOT / "notebooks" / f"{stem}.ipynb", alone / f"{stem}.ipynb", parameters, "x")
    monkeypatch.setenv("BOOK_JOBS", "1")  # one kernel for the three, in this order
    build.execute_pages([(i, 3, stem, shared / f"{stem}.ipynb", p, "x") for i, (stem, p) in enumerate(pages.items())])
    for stem in pages:
        assert (shared / f"{stem}.ipynb").read_bytes() == (alone / f"{stem}.ipynb").read_bytes(), stem
    tables = nbformat.read(shared / "changes.ipynb", as_version=4)
    assert "Table 1." in json.dumps(tables.cells)  # numbered from 1 again after the summary's tables


@pytest.mark.slow  # starts kernels
def test_a_failing_page_stops_the_others_in_one_line_and_writes_nothing_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "LOG", tmp_path / "build.log")
    monkeypatch.setenv("BOOK_JOBS", "2")
    pages = {stem: p for stem, _, p in contents.pages() if stem in ("elsalvador", "changes")}
    todo = [
        (1, 2, "elsalvador", tmp_path / "elsalvador.ipynb", {**pages["elsalvador"], "scenario": "nope"}, "x"),
        (2, 2, "changes", tmp_path / "changes.ipynb", pages["changes"], "x"),
    ]
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match=r"elsalvador.ipynb failed in cell \d+ .*no scenario 'nope'"):
        build.execute_pages(todo)
    assert not (tmp_path / "elsalvador.ipynb").exists()
    assert time.perf_counter() - start < 60
    import psutil

    assert not [c for c in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(c.cmdline())]


def test_a_second_build_at_the_same_time_stops_at_once_with_one_line(tmp_path):
    """Two builds at once wrote over each other (143 warnings, then a failure): the second now
    stops before anything is written; the lock goes with the first."""
    with build.build_lock(tmp_path):
        with pytest.raises(RuntimeError, match=r"^another build is running in .*: wait for it to finish$"):
            with build.build_lock(tmp_path):
                pass
    with build.build_lock(tmp_path):  # released: the next build runs
        pass
    assert list(tmp_path.iterdir()) == [], "the lock writes nothing"


def test_the_cli_says_another_build_is_running(tmp_path, monkeypatch, capsys):
    from analysis import cli

    monkeypatch.setattr(build, "HTML", tmp_path / "_build" / "html")
    with build.build_lock(tmp_path / "_build"):
        assert cli.main(["build", "--only", "peru", "--no-html"]) == 1
        assert cli.main(["build", "--set", "peru.discount_rate=0.1"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(e.startswith("error: another build is running") for e in err), err


def test_the_readmes_papermill_examples_write_into_an_ignored_folder_outside_book():
    """An economist who copies the README's papermill line leaves the repository clean and the
    committed notebooks in book/ untouched."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    outputs = re.findall(r"papermill (\S+\.ipynb) (\S+\.ipynb)", readme)
    assert outputs, "the README shows a papermill run"
    for _, out in outputs:
        assert not out.startswith("book/"), out
        ignored = subprocess.run(["git", "check-ignore", "-q", out], cwd=ROOT)
        assert ignored.returncode == 0, f"the README's papermill output {out} is not ignored by git"

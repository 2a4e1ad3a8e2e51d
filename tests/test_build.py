"""The build: committed executed notebooks match their inputs; failures name the cell and keep results;
an evaluation added as a package, a notebook, a data folder and one registry entry gets its chapter."""

import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT, chapter_parts, project_copy, tree

from analysis import __version__, evaluations
from analysis.publish import build, chapter, contents, inputs

PAGES = contents.pages()


@pytest.mark.parametrize("stem, evaluation, parameters", PAGES, ids=[n[0] for n in PAGES])
def test_committed_notebook_is_up_to_date(stem, evaluation, parameters):
    stored = build.stored_sha256(contents.BOOK / f"{stem}.ipynb")
    assert stored == build.inputs_sha256(stem, evaluation, parameters), (
        f"book/{stem}.ipynb was executed from other inputs: run `make book` and commit it"
    )


def _read(stem, evaluation) -> set:
    return {p.relative_to(ROOT).as_posix() for p in inputs.page_files(stem, evaluation)}


@pytest.mark.parametrize("stem, evaluation, parameters", PAGES, ids=[n[0] for n in PAGES])
def test_a_page_is_re_executed_only_for_what_it_reads(stem, evaluation, parameters):
    """A page's input hash covers its notebook, its data, the modules it imports (transitively),
    the bibliography and the requirements; not the command line, the site or the release code
    it does not import; the version only where the page or a module it imports reads it."""
    read = _read(stem, evaluation)
    assert {f"notebooks/{stem}.ipynb", "book/references.bib", "requirements.txt"} <= read
    assert {"analysis/core/params.py", "analysis/evaluations/__init__.py"} <= read
    assert not read & {"analysis/cli.py", "analysis/bench.py", "analysis/release/site.py"}
    names = list(evaluations.REGISTRY) if evaluation == "*" else [evaluation]
    assert {p.split("/")[1] for p in read if p.startswith("data/") and not p.startswith("data/results/")} == {
        *names,
        "published",
    }
    assert {p.split("/")[2] for p in read if p.startswith("data/published/")} == set(names)
    for name in evaluations.PACKAGES:  # the registry imports them by name
        assert f"analysis/evaluations/{name}/__init__.py" in read
    sources = [ROOT / f"notebooks/{stem}.ipynb"] + [ROOT / p for p in read if p.startswith("analysis/")]
    shows_version = any("__version__" in p.read_text(encoding="utf-8") for p in sources if p.name != "__init__.py")
    assert ("analysis/__init__.py" in read) == shows_version
    assert not any(p.startswith(f"data/results/{__version__}/") for p in read)


def test_the_package_root_holds_only_the_version():
    """What lets a page that does not show the version skip analysis/__init__.py (a release bump)."""
    import ast

    tree = ast.parse((ROOT / "analysis" / "__init__.py").read_text(encoding="utf-8"))
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    assert len(body) == 1 and [t.id for t in body[0].targets] == ["__version__"]


def test_an_imported_module_changes_the_hash_and_an_unread_one_does_not(tmp_path, monkeypatch):
    stem, evaluation, parameters = PAGES[0]
    before = build.inputs_sha256(stem, evaluation, parameters)
    real = type(ROOT).read_bytes

    def edited(path, target):
        return lambda self: real(self) + (b"\n# edited\n" if self == ROOT / target else b"")

    monkeypatch.setattr(type(ROOT), "read_bytes", edited(None, "analysis/cli.py"))
    assert build.inputs_sha256(stem, evaluation, parameters) == before
    monkeypatch.setattr(type(ROOT), "read_bytes", edited(None, "analysis/core/finance.py"))
    assert build.inputs_sha256(stem, evaluation, parameters) != before


@pytest.mark.slow
def test_failing_notebook_names_the_cell_and_keeps_the_previous_result(tmp_path):
    src = tmp_path / "broken.ipynb"
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('bad rent')")]
    nbformat.write(nb, src)
    dest = tmp_path / "book.ipynb"
    dest.write_text("previous result")
    with pytest.raises(RuntimeError, match=r"broken.ipynb failed in cell 1 .*ValueError: bad rent"):
        build.execute(src, dest, {}, "digest")
    assert dest.read_text() == "previous result"


@pytest.mark.slow
def test_bad_parameter_in_a_notebook_is_reported_with_file_and_key(tmp_path):
    dest = tmp_path / "elsalvador.ipynb"
    # one line: the ParameterError, or the ChapterError of chapter.start, naming origin, key and reason
    with pytest.raises(RuntimeError, match=r"(Parameter|Chapter)Error: papermill: rent_to_price: 7 is above the max"):
        build.execute(build.ROOT / "notebooks" / "elsalvador.ipynb", dest, {"overrides": {"rent_to_price": 7}}, "x")
    assert not dest.exists()


@pytest.mark.slow
def test_failed_html_build_keeps_the_previous_book(tmp_path, monkeypatch):
    html = tmp_path / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text("old book")
    monkeypatch.setattr(build, "HTML", html)
    monkeypatch.setattr(build, "ROOT", tmp_path)  # not a book: jupyter-book fails on it
    with pytest.raises(RuntimeError, match="previous HTML is kept"):
        build.build_html()
    assert (html / "index.html").read_text() == "old book"
    assert [p.name for p in html.parent.iterdir()] == ["html"]  # no staging folder left behind


def _glued(nb, name):
    """The value glued as ``name`` in an executed notebook."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == name:
                return out["data"]["application/papermill.record/text/plain"]
    raise KeyError(name)


@pytest.mark.slow
def test_papermill_parameters_reach_the_prose(tmp_path):
    from analysis import evaluations

    dest = tmp_path / "elsalvador.ipynb"
    params = {"scenario": "corrected", "overrides": {"rent_to_price": 0.09}}
    build.execute(build.ROOT / "notebooks" / "elsalvador.ipynb", dest, params, "x")
    nb = nbformat.read(dest, as_version=4)
    expected = evaluations.run("elsalvador", "corrected", {"rent_to_price": 0.09})[1].metrics["npv"]
    assert float(_glued(nb, "es_npv")) == pytest.approx(expected, rel=1e-11)  # glued at 12 significant digits
    assert nb.metadata["analysis_build"]["parameters"] == params
    assert "papermill" not in nb.cells[0].metadata  # timings stripped


@pytest.mark.slow
def test_a_new_evaluation_is_a_package_a_notebook_a_data_folder_and_one_registry_entry(tmp_path):
    """Copy the project, add the synthetic evaluation of tests/fixtures/toy and its name to the
    registry (the files it touches are counted: four places, nothing else), build: its chapter is
    executed, listed in the table of contents and has every part."""
    project = project_copy(tmp_path / "project")
    before = tree(project)
    shutil.copytree(ROOT / "tests" / "fixtures" / "toy", project, dirs_exist_ok=True)
    registry = project / "analysis" / "evaluations" / "__init__.py"
    text = registry.read_text()
    line = re.search(r"^PACKAGES = \((.*)\)$", text, re.M)
    assert line and [p.strip(" \"'") for p in line.group(1).split(",")] == list(evaluations.PACKAGES)
    registry.write_text(text.replace(line.group(0), f'PACKAGES = ({line.group(1)}, "toy")'))
    # What the new evaluation touched: its package, its notebook, its data (parameters and
    # published tables) and the registry's entry; nothing else of the project.
    after = tree(project)
    touched = sorted(p for p in after.keys() | before.keys() if before.get(p) != after.get(p))
    places = {
        "package": [p for p in touched if p.startswith("analysis/evaluations/toy/")],
        "notebook": [p for p in touched if p == "notebooks/toy.ipynb"],
        "data folder": [p for p in touched if p.startswith(("data/toy/", "data/published/toy/"))],
        "registry entry": [p for p in touched if p == "analysis/evaluations/__init__.py"],
    }
    elsewhere = sorted(set(touched) - {p for paths in places.values() for p in paths})
    assert not elsewhere, f"adding an evaluation touched more than its four places: {elsewhere}"
    assert all(places.values()) and len(places) == 4, places
    env = {**os.environ, "PYTHONPATH": str(project)}
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--only", "toy"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = project / "book" / "_build" / "html"
    page = (html / "book" / "toy.html").read_text(encoding="utf-8")
    assert chapter_parts(page, "toy") == [f"toy-{part}" for part in chapter.PARTS]
    assert 'href="toy.html"' in (html / "book" / "gret.html").read_text(encoding="utf-8")  # in the navigation
    flows = list((project / "book" / "_generated" / "toy").glob("flows-base-*.csv"))
    assert len(flows) == 1 and re.fullmatch(r"flows-base-[0-9a-f]{12}\.csv", flows[0].name)  # scenario, digest
    assert flows[0].name in page and "toy.xlsx" in page
    nb = nbformat.read(project / "book" / "toy.ipynb", as_version=4)
    assert nb.metadata["analysis_build"]["parameters"] == {"scenario": "base", "overrides": {}}
    # A quiet build: one line per step (each page executed or reused, the PDF, the HTML) and the
    # final path; Sphinx, papermill and the kernels' warnings go to book/_build/build.log.
    lines = done.stdout.strip().splitlines()
    pages = [line for line in lines if line.startswith("[")]
    assert len(pages) == 1 and re.fullmatch(r"\[1/1\] toy: executed in \d+\.\d s", pages[0]), lines
    assert lines[-1] == f"done: open {html / 'index.html'}", lines
    assert any(line.startswith("HTML: built in ") for line in lines), lines
    assert len(lines) <= 5, lines
    assert "TCP without encryption" not in done.stdout + done.stderr and not done.stderr.strip(), done.stderr
    log = (project / "book" / "_build" / "build.log").read_text(encoding="utf-8")
    assert "build succeeded" in log and "executing notebooks/toy.ipynb" in log

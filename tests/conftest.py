import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_copy(tmp_path):
    """A writable copy of data/ for tests that break parameter files."""
    dest = tmp_path / "data"
    shutil.copytree(ROOT / "data", dest)
    return dest


def chapter_parts(html: str, name: str) -> list:
    """The ids of an evaluation chapter's parts (``<name>-<part>`` sections), in page order."""
    from bs4 import BeautifulSoup

    from analysis.publish import chapter

    wanted = {f"{name}-{part}" for part in chapter.PARTS}
    soup = BeautifulSoup(html, "html.parser")
    return [s["id"] for s in soup.find_all(["section", "span", "div"], id=True) if s["id"] in wanted]


def require_chromium(path) -> None:
    """Skip a test that needs Debian's chromium at ``path`` when it is missing, except under
    CI=true, where a missing browser is a failure."""
    import os

    if path.exists():
        return
    message = f"{path} is missing: install Debian's chromium (`make test` does it: apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " -- CI=true, so this is a failure, not a skip")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, one for the whole session: Playwright's sync API
    cannot start twice in one thread, so every browser test shares this one."""
    from analysis.publish import pdf

    require_chromium(pdf.CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(pdf.CHROMIUM), args=pdf.LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The HTML folder of the book built once per session (jupyter-book -W -n, then the PDF edition
    when chromium is there) into a temporary folder, without touching book/_build. Every test that
    reads the built book (test_browser, test_pdf, test_bibliography) shares it: they are one unit of
    work for pytest -n (see work_unit below), so that one worker builds it."""
    from analysis.publish import build

    out = tmp_path_factory.mktemp("book")
    done = build.jupyter_book(out, capture=True)
    assert done.returncode == 0, f"jupyter-book build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return out / "_build" / "html"


class Recalculated:
    """A compiled workbook recalculated at the constants of another workbook with the same formulas
    (``inputs``: cell -> that workbook's value, where the two differ): what that workbook computes."""

    def __init__(self, model, inputs: dict):
        self.model, self.inputs = model, inputs

    def calculate(self, inputs: dict | None = None, outputs: list | None = None):
        return self.model.calculate(inputs={**self.inputs, **(inputs or {})}, outputs=outputs)


def _formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _cells(path: Path) -> dict:
    """(sheet, coordinate) -> value (a formula's text) of every cell of a workbook."""
    import openpyxl

    return {
        (ws.title, c.coordinate): c.value
        for ws in openpyxl.load_workbook(path).worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


@pytest.fixture(scope="session")
def compiled_workbook(tmp_path_factory):
    """``get(evaluation, scenario) -> (path, model)``: the evaluation's live-formula workbook written
    and recalculated by the independent ``formulas`` engine. Compiling takes about 25 s for GRET's, so
    a workbook with the same formulas as one compiled before (same cells, only constants differ: the
    inputs of another scenario) is that compiled model recalculated at its own constants; a workbook
    whose formulas differ is compiled."""
    written, compiled = {}, {}

    def get(name: str, scenario: str):
        if (name, scenario) not in written:
            import formulas

            from analysis.publish import workbook

            path = tmp_path_factory.mktemp(f"{name}-{scenario}") / f"{name}.xlsx"
            workbook.write(name, scenario, path=path, commit="test")
            cells = _cells(path)
            model = None
            for _, base_cells, base in compiled.get(name, []):
                keys = base_cells.keys() | cells.keys()
                if any(
                    cells.get(k) != base_cells.get(k)
                    for k in keys
                    if _formula(cells.get(k)) or _formula(base_cells.get(k))
                ):
                    continue  # other formulas: compiled on its own
                ref = {k: f"'[{path.name}]{k[0].upper()}'!{k[1]}" for k in keys}
                changed = [k for k in keys if cells.get(k) != base_cells.get(k) and ref[k] in base.cells]
                if any(cells.get(k) is None for k in changed):
                    continue  # a cell the formulas read is empty here: no constant to give it
                model = Recalculated(base, {ref[k]: cells[k] for k in changed})
                break
            if model is None:
                base = formulas.ExcelModel().loads(str(path)).finish()
                compiled.setdefault(name, []).append((path, cells, base))
                model = Recalculated(base, {})
            written[name, scenario] = (path, model)
        return written[name, scenario]

    return get


def tree(path: Path) -> dict:
    """Relative path -> SHA-256 of every file under ``path`` (empty when it does not exist)."""
    import hashlib

    if not path.exists():
        return {}
    if path.is_file():
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    return {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


# What a copy of the project leaves out: the environment, build outputs, caches, test fixtures.
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "_build",
    "_artifacts",
    "_generated",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    "*.egg-info",
    "fixtures",
)


def project_copy(dest: Path) -> Path:
    """A copy of the project at ``dest`` (its .venv linked: the offline MathJax copy lives there)."""
    shutil.copytree(ROOT, dest, ignore=NOT_COPIED)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    return dest


# --- the one edition the suite builds --------------------------------------------------------------

EDITION = "pytest-edition"
HOSTILE = "<b>x</b><script>alert(1)</script>"
HOSTILE_MARKDOWN = "[click](javascript:alert(2)) {download}`f <x>` $x$"
# The shared edition's overrides: rent_to_price shows a replaced value; new_home_share (below its
# switching value) turns El Salvador's verdict to "does not hold", so that the verdict test sees an
# edition whose verdict differs from the book's.
EDITION_OVERRIDES = {"rent_to_price": 0.09, "new_home_share": 0.35}
EDITION_ARGS = [
    "--scenario",
    "elsalvador=hostile",
    *[a for k, v in EDITION_OVERRIDES.items() for a in ("--set", f"elsalvador.{k}={v}")],
    "--edition",
    EDITION,
]


def _kept(project: Path) -> dict:
    """What an edition must leave as it was: the executed notebooks, the book's downloads, the
    release snapshots and the book's HTML."""
    book = project / "book"
    return {
        "notebooks": {p.name: tree(p)[p.name] for p in sorted(book.glob("*.ipynb"))},
        "downloads": tree(book / "_generated"),
        "results": tree(project / "data" / "results"),
        "html": tree(book / "_build" / "html"),
    }


@pytest.fixture(scope="session")
def edition(tmp_path_factory):
    """The one edition the suite builds (test_editions and test_browser read it): in a copy of the
    project with a scenario file, ``data/elsalvador/hostile.yaml``, that extends ``corrected`` and
    whose texts are HTML, Markdown and MyST, with an override of ``rent_to_price``. The copy's
    book has an HTML folder of its own ("previous book"), which the edition must leave alone.
    Returns (the edition's HTML folder, what the book kept before, and after)."""
    import os
    import subprocess
    import sys

    project = project_copy(tmp_path_factory.mktemp("edition") / "project")
    (project / "book" / "_build" / "html").mkdir(parents=True)
    (project / "book" / "_build" / "html" / "index.html").write_text("previous book", encoding="utf-8")
    (project / "data" / "elsalvador" / "hostile.yaml").write_text(
        "description: 'Hostile " + HOSTILE + "'\n"
        "extends: corrected\n"
        "parameters:\n"
        "  rent_to_price:\n"
        "    locator: '" + HOSTILE + "'\n"
        "  discount_rate:\n"
        "    unit: '" + HOSTILE_MARKDOWN.replace("'", "''") + "'\n"
        "    locator: '" + HOSTILE + "'\n"
        "    note: '" + HOSTILE + " " + HOSTILE_MARKDOWN.replace("'", "''") + "'\n",
        encoding="utf-8",
    )
    before = _kept(project)
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "build", *EDITION_ARGS],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return project / "book" / "_build" / "editions" / EDITION, before, _kept(project)


# --- pytest -n 2 (make test): which tests share a worker, and in what order they start ----------
#
# A unit of work goes to one worker whole, so that its module and session fixtures are built once:
# by default a test file (an nbval notebook's cells must run in order in one kernel); the files
# that read the session's built book or the shared edition form one unit; the tests that
# recalculate a workbook compiled by conftest.compiled_workbook (about 25 s a GRET compilation)
# form two units, one per GRET workbook they share (the scenario's, which most of them recalculate
# at other inputs, and the rest), so that each is compiled once; El Salvador's scenarios share one
# (their formulas are the same; GRET's and Peru's other scenarios leave cells empty that the Checks
# sheet reads, so they are compiled on their own).
# Units start in collection order (--no-loadscope-reorder), and the order below puts the longest
# first, so that no long unit starts last while the other worker idles.
#
# A scheduler of our own rather than --dist loadgroup: with pytest 9.2, xdist 3.8's xdist_group
# marks no longer change the node id it groups by, so loadgroup splits every group.
BOOK_UNIT = "built book"
BOOK_FILES = (
    "test_browser.py",
    "test_accessibility.py",
    "test_pdf.py",
    "test_bibliography.py",
    "test_editions.py",
    "test_number_forms.py",
)
GRET_UNIT = "the GRET workbook as published"
COMPILED_UNIT = "the other compiled workbooks"
GRET_TESTS = (  # of test_workbook_gret.py; their "[corrected]" case goes to COMPILED_UNIT
    "test_every_cell_and_output_equals_the_model",
    "test_saving_years_recompute",
    "test_drawn_inputs_recompute",
)
LONGEST_FIRST = (
    GRET_UNIT,
    COMPILED_UNIT,
    BOOK_UNIT,
    "test_releases.py",
    "test_gret.py",
    "test_prose.py",
    "test_build.py",
    "test_workbook_peru.py",
    # the fast tier's longest files (make check), so that small files fill the end
    "test_uncertainty.py",
    "test_explorer.py",
    "test_bad_input.py",
    "test_peru.py",
    "test_information.py",
)


def _key(nodeid: str) -> str:
    """The unit of a test: the built book, one of the compiled-workbook units, or its file."""
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    if name in BOOK_FILES:
        return BOOK_UNIT
    if name == "test_workbook.py":
        return GRET_UNIT if "[gret/as_published]" in nodeid else COMPILED_UNIT
    if name == "test_workbook_gret.py" and any(t in nodeid for t in GRET_TESTS):
        return COMPILED_UNIT if "[corrected]" in nodeid else GRET_UNIT
    return nodeid.split("::", 1)[0]


def work_unit(nodeid: str) -> str:
    """The unit of work of a test, from its node id."""
    return _key(nodeid)


def _rank(nodeid: str) -> int:
    key = _key(nodeid).rsplit("/", 1)[-1]
    return LONGEST_FIRST.index(key) if key in LONGEST_FIRST else len(LONGEST_FIRST)


@pytest.hookimpl(optionalhook=True)  # without xdist (-p no:xdist, or -n 0) the hook does not exist
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadscope":
        return None  # another --dist: xdist's own scheduler
    from xdist.scheduler import LoadScopeScheduling

    class ByUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    return ByUnit(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: _rank(item.nodeid))  # stable: file order within a unit


# The served book and its two crawls (tests/browsing.py), defined here once for the session:
# test_browser and test_accessibility both read them, and a fixture imported into each of two
# test modules would be two fixtures, each crawling every page.
from browsing import crawl, phone_crawl, site  # noqa: E402,F401

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


BOOK_GROUP = "built-book"  # the xdist group of every test that reads the session's built book


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The HTML folder of the book built once per session (jupyter-book -W -n, then the PDF edition
    when chromium is there) into a temporary folder, without touching book/_build. Every test that
    reads the built book (test_browser, test_pdf, test_bibliography) shares it: they are put in
    one xdist group, so that one worker builds it."""
    from analysis.publish import build

    out = tmp_path_factory.mktemp("book")
    done = build.jupyter_book(out, capture=True)
    assert done.returncode == 0, f"jupyter-book build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return out / "_build" / "html"


@pytest.fixture(scope="session")
def compiled_workbook(tmp_path_factory):
    """``get(evaluation, scenario) -> (path, model)``: the evaluation's live-formula workbook written
    and compiled by the independent ``formulas`` engine once per session (compiling GRET's takes
    about half a minute), shared by every test that recomputes it."""
    cache = {}

    def get(name: str, scenario: str):
        if (name, scenario) not in cache:
            import formulas

            from analysis.publish import workbook

            path = tmp_path_factory.mktemp(f"{name}-{scenario}") / f"{name}.xlsx"
            workbook.write(name, scenario, path=path, commit="test")
            cache[name, scenario] = (path, formulas.ExcelModel().loads(str(path)).finish())
        return cache[name, scenario]

    return get


# --- pytest -n 2 (make test): which tests share a worker, and in what order they start ----------
#
# Every test module is one xdist group, so its module fixtures are built once, and the tests that
# read the session's built book (conftest.built_book) form one group across their files. The groups
# start in collection order (make test passes --no-loadscope-reorder), and the order below puts
# the longest first, so that no long group starts last while the other worker idles.
LONGEST_FIRST = (
    "test_releases.py",
    BOOK_GROUP,
    "test_workbook_gret.py",
    "test_gret.py",
    "test_prose.py",
    "test_workbook.py",
    "test_editions.py",
    "test_build.py",
    "test_workbook_peru.py",
)


def _group(item) -> str:
    return BOOK_GROUP if "built_book" in getattr(item, "fixturenames", ()) else item.path.name


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    rank = {g: i for i, g in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_group(item), len(rank)))  # stable: file order within a group

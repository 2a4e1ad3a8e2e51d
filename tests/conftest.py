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

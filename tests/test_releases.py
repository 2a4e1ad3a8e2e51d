"""Releases, what changed between two, the site of all editions, and the citation metadata."""

import json
import os
import re
import shutil
import subprocess
import sys
import types

import pytest
import yaml
from conftest import ROOT

from analysis import __version__
from analysis.release import releases


def test_citation_cff_is_valid_against_the_cff_schema_and_states_this_version():
    import jsonschema

    schema = json.loads((ROOT / "tests" / "fixtures" / "cff-1.2.0.schema.json").read_text(encoding="utf-8"))
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    jsonschema.validate(cff, schema, format_checker=jsonschema.FormatChecker())
    assert cff["version"] == __version__
    broken = {**cff, "authors": []}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_licence_covers_code_text_data_and_leaves_the_documents_to_their_publishers():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in text and "CC BY 4.0" in text and "remain their publishers'" in text


def test_history_finds_each_release_by_the_commit_that_added_its_snapshot():
    found = {r.version: r for r in releases.history()}
    assert "0.1.0" in found
    r = found["0.1.0"]
    added = releases.git("log", "--diff-filter=A", "--format=%H", "--", "data/results/0.1.0/headline.csv")
    assert r.commit == added.splitlines()[-1]
    assert releases.git("show", f"{r.commit}:analysis/__init__.py").count('__version__ = "0.1.0"') == 1


def test_changelog_sections_and_headlines():
    text = (
        "# Changelog\n\n## Unreleased\n\nSoon.\n\n## 0.2.0 (2026-12-03)\n\nTwo.\nLines.\n\n- a\n\n"
        "## 0.1.0 (2026-11-24)\n\nOne.\n"
    )
    sections = releases.changelog(text)
    assert [(v, d) for _, v, d, _ in sections] == [(None, None), ("0.2.0", "2026-12-03"), ("0.1.0", "2026-11-24")]
    assert releases.headline(sections[1][3]) == "Two. Lines."
    assert [v for v, _, _ in releases.entries_between(text, "0.1.0", "0.2.0")] == ["0.2.0"]
    real = {v for _, v, _, _ in releases.changelog((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))}
    assert {r.version for r in releases.history()} <= real


@pytest.mark.parametrize(
    "version, message",
    [
        ("0.2", "expected MAJOR.MINOR.PATCH"),
        ("v0.2.0", "expected MAJOR.MINOR.PATCH"),
        ("0.1.0", "already released"),
        ("0.0.9", "must be above the latest release"),
        ("9.9.9", "no section '## 9.9.9"),
    ],
)
def test_release_refuses_before_writing_anything(version, message):
    before = releases.git("status", "--porcelain")
    with pytest.raises(releases.ReleaseError, match=message):
        releases.release(version, build=False, commit=False)
    assert releases.git("status", "--porcelain") == before


def test_release_refuses_an_untracked_file_it_would_snapshot_or_commit(tmp_path):
    """A scenario file never committed would be snapshotted into the release, and one under
    analysis/ or book/ committed with it, unseen: the release stops first, naming the file."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", "--no-tags", str(ROOT), str(repo)], check=True)
    log = repo / releases.CHANGELOG
    log.write_text(
        log.read_text(encoding="utf-8").replace("## Unreleased", "## Unreleased\n\n## 9.0.0 (2026-12-09)\n\nX.", 1)
    )
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qam", "9.0.0 notes")
    (repo / "data" / "elsalvador" / "stray.yaml").write_text("extends: as_published\n", encoding="utf-8")
    head = releases.git("rev-parse", "HEAD", repo=repo)
    with pytest.raises(releases.ReleaseError, match=r"untracked file data/elsalvador/stray.yaml under analysis, book"):
        releases.release("9.0.0", repo=repo, build=False, commit=True)
    assert releases.git("rev-parse", "HEAD", repo=repo) == head
    assert releases.git("status", "--porcelain", "--untracked-files=no", repo=repo) == "", "nothing was written"


def test_set_version_updates_the_package_and_the_citation(tmp_path):
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "__init__.py").write_text('"""x"""\n\n__version__ = "0.1.0"\n')
    shutil.copy(ROOT / "CITATION.cff", tmp_path / "CITATION.cff")
    releases.set_version("0.2.0", tmp_path, "2026-12-03")
    assert '__version__ = "0.2.0"' in (tmp_path / "analysis" / "__init__.py").read_text()
    cff = yaml.safe_load((tmp_path / "CITATION.cff").read_text())
    assert cff["version"] == "0.2.0" and cff["date-released"] == "2026-12-03"


def test_a_new_version_is_seen_by_the_next_process_even_within_the_same_second(tmp_path):
    # "0.1.0" -> "0.2.0" keeps the file's size; a .pyc compiled in the same second would still say 0.1.0
    (tmp_path / "analysis").mkdir()
    init = tmp_path / "analysis" / "__init__.py"
    init.write_text('__version__ = "0.1.0"\n')
    version = [sys.executable, "-c", "import analysis; print(analysis.__version__)"]
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = lambda: subprocess.run(version, cwd=tmp_path, env=env, capture_output=True, text=True).stdout.strip()  # noqa: E731
    assert run() == "0.1.0" and list((tmp_path / "analysis" / "__pycache__").glob("__init__.*.pyc"))
    stat = init.stat()
    releases.set_version("0.2.0", tmp_path)
    os.utime(init, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the same second, for certain
    assert init.stat().st_size == stat.st_size
    assert run() == "0.2.0"


def test_diff_refuses_unknown_or_reversed_versions():
    with pytest.raises(releases.ReleaseError, match="no release of that version"):
        releases.diff("0.1.0", "7.0.0")
    with pytest.raises(releases.ReleaseError, match="first version must be the older"):
        releases.diff("0.1.0", "0.1.0")
    with pytest.raises(releases.ReleaseError, match="'abc': no release of that version"):
        releases.diff("abc", "def")  # was a ValueError, reported as "a bug"


def test_diff_of_a_word_is_one_line_and_exit_2():
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "diff", "abc", "def"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2 and not done.stdout
    assert done.stderr.strip().count("\n") == 0 and "version 'abc': no release" in done.stderr, done.stderr
    assert "bug" not in done.stderr


# --- two real releases of a temporary clone, and their site in the browser ----------------------


def _cli(repo, *args):
    """``python -m analysis ARGS`` in ``repo`` (its own package, not this checkout's)."""
    env = {"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=repo, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def released_clone(tmp_path_factory):
    """A clone of this repository (no tags) in which 0.2.0 is released after a change of one
    parameter that moves El Salvador's NPV, and its site built."""
    repo = tmp_path_factory.mktemp("clone") / "repo"
    subprocess.run(["git", "clone", "--quiet", "--no-tags", str(ROOT), str(repo)], check=True)
    (repo / ".venv").symlink_to(ROOT / ".venv")
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    git("config", "user.email", "test@example.org")
    git("config", "user.name", "test")
    assert not subprocess.run(["git", "tag"], cwd=repo, capture_output=True, text=True).stdout.strip()
    path = repo / "data" / "elsalvador" / "as_published.yaml"
    text = path.read_text(encoding="utf-8")
    assert "value: 0.0237" in text
    path.write_text(text.replace("value: 0.0237", "value: 0.03", 1), encoding="utf-8")
    log = repo / "CHANGELOG.md"
    log.write_text(
        log.read_text(encoding="utf-8").replace(
            "## Unreleased", "## Unreleased\n\n## 9.0.0 (2026-12-03)\n\nA higher default rate for El Salvador.", 1
        ),
        encoding="utf-8",
    )
    git("commit", "-qam", "Default rate 3\u00a0%")
    done = _cli(repo, "release", "9.0.0")
    assert done.returncode == 0, done.stderr[-2000:]
    done = _cli(repo, "site")
    assert done.returncode == 0, done.stderr[-2000:]
    return types.SimpleNamespace(repo=repo, site_output=done.stdout)


@pytest.mark.slow
def test_diff_between_two_releases_lists_the_metric_the_parameter_and_the_changelog(released_clone):
    previous = releases.history()[-1].version  # this repository's latest release, the clone's before 9.0.0
    done = _cli(released_clone.repo, "diff", previous, "9.0.0", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    d = json.loads(done.stdout)
    npv = [
        m
        for m in d["metrics"]
        if (m["evaluation"], m["scenario"], m["metric"]) == ("elsalvador", "as_published", "npv")
    ]
    assert npv and npv[0]["value_new"] < npv[0]["value_old"]
    rate = [
        p
        for p in d["parameters"]
        if (p["evaluation"], p["scenario"], p["parameter"]) == ("elsalvador", "as_published", "default_rate")
    ]
    assert rate and rate[0]["value_old"] == "0.0237" and rate[0]["value_new"] == "0.03"
    assert [c["version"] for c in d["changelog"]] == ["9.0.0"]


@pytest.mark.slow
def test_site_has_every_edition_and_its_switcher_links_resolve_in_the_browser(released_clone, browser):
    site = released_clone.repo / "site"
    assert {p.name for p in site.iterdir() if p.is_dir()} >= {"0.1.0", "9.0.0", "latest"}
    front = (site / "index.html").read_text(encoding="utf-8")
    assert "A higher default rate for El Salvador." in front and "2026-11-24" in front
    errors, failed, visited = [], [], set()
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a request cut short by the next navigation (net::ERR_ABORTED, e.g. the favicon) is not a missing
    # file: file:// reports those as net::ERR_FILE_NOT_FOUND
    page.on("requestfailed", lambda r: failed.append(r.url) if r.failure != "net::ERR_ABORTED" else None)
    for start in ("0.1.0/book/elsalvador.html", "latest/book/changes.html", "9.0.0/book/intro.html"):
        page.goto((site / start).as_uri())
        page.wait_for_load_state("load")
        links = page.eval_on_selector_all("nav.edition-switcher a", "as => as.map(a => a.href)")
        assert len(links) >= 3, start
        for href in links:
            if href in visited:
                continue
            visited.add(href)
            page.goto(href)
            page.wait_for_load_state("load")
            assert page.locator("nav.edition-switcher").count() == 1 or href.endswith("site/index.html")
    page.goto((site / "0.1.0" / "book" / "peru.html").as_uri())
    assert "older edition" in page.text_content("nav.edition-switcher")
    page.click("a.edition-latest")
    assert page.url.endswith("latest/book/peru.html")
    page.close()
    assert not errors and not failed, (errors, failed)
    # What changed, in the newer edition, shows the NPV that moved, with both releases' values
    previous = releases.history()[-1].version
    done = _cli(released_clone.repo, "diff", previous, "9.0.0", "--json")
    npv = next(
        m for m in json.loads(done.stdout)["metrics"] if m["metric"] == "npv" and m["scenario"] == "as_published"
    )
    changes = re.sub(r"<[^>]+>", " ", (site / "9.0.0" / "book" / "changes.html").read_text(encoding="utf-8"))
    assert f"release {previous}" in changes
    assert f"{npv['value_old']:,.0f}" in changes and f"{npv['value_new']:,.0f}" in changes


@pytest.mark.slow
def test_a_release_states_its_own_commit_and_the_site_reuses_the_book_it_built(released_clone):
    # release builds the HTML after its commit: the pages state that commit, clean, and site copies
    # that book instead of building the release again from a worktree (the older ones it builds)
    head = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=released_clone.repo, capture_output=True, text=True
    ).stdout.strip()
    assert releases.git("log", "-1", "--format=%s", repo=released_clone.repo) == "Release 9.0.0"
    for folder in ("book/_build/html", "site/9.0.0", "site/latest"):
        intro = (released_clone.repo / folder / "book" / "intro.html").read_text(encoding="utf-8")
        assert f"Analysis version 9.0.0, commit {head}." in intro and "+dirty" not in intro, folder
    lines = released_clone.site_output.splitlines()
    assert f"release 9.0.0: the book built at its commit {head}" in lines
    assert any(line.startswith("building release 0.1.0 from commit") for line in lines)
    # and the release left its tree clean: every page it committed was executed from its inputs
    assert not releases.git("status", "--porcelain", "--untracked-files=no", repo=released_clone.repo)


def test_the_site_front_page_shows_changelog_text_as_text():
    from analysis.release import site

    page = site.index_page([("0.2.0", "0.2.0", "2026-12-03", "Added `x<y>` and <b>z</b><script>alert(1)</script>")])
    assert "<code>x&lt;y&gt;</code>" in page and "&lt;script&gt;" in page and "<script>" not in page

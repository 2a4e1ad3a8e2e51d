"""The site of all editions: every release built from its own commit, side by side.

``python -m analysis site`` (``make site``) builds

- ``site/<version>/`` for every release (:func:`analysis.release.releases.history`), from the commit that
  added its snapshot, checked out in a temporary git worktree and built with that commit's own
  ``python -m analysis build``; with the project's environment when it holds every pinned
  requirement of that commit at the same version, else with an environment made for it (kept in
  ``book/_build/site-envs/``);
- ``site/latest/``: the newest release; ``site/dev/``: the current work tree when it differs from
  the newest release's commit;
- ``site/index.html``: the editions with their dates and changelog headlines.

Every page gets a version switcher of plain links (no script, no request: it works offline and
from ``file://``); a page of an older edition says so and links to the same page in the latest.
Built releases are cached in ``book/_build/site-cache/<version>-<commit>/``: a release never changes.
The book ``release`` just built, at the release's commit, is the release's edition: it is reused.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import __version__
from ..core.params import ROOT
from . import releases

SITE = ROOT / "site"
CACHE = ROOT / "book" / "_build" / "site-cache"
ENVS = ROOT / "book" / "_build" / "site-envs"
SWITCHER_CLASS = "edition-switcher"


def _pins(text: str) -> set:
    return {line.strip() for line in text.splitlines() if "==" in line and not line.strip().startswith("#")}


def environment(requirements: str) -> Path:
    """A Python interpreter with ``requirements`` (the text of a requirements.txt): the running
    one when it pins every package of them at the same version, else a venv made for them."""
    if _pins(requirements) <= _pins((ROOT / "requirements.txt").read_text(encoding="utf-8")):
        return Path(sys.executable)
    digest = hashlib.sha256(requirements.encode()).hexdigest()[:16]
    env = ENVS / digest
    python = env / "bin" / "python"
    if not (env / ".installed").is_file():
        shutil.rmtree(env, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        req = env / "requirements.txt"
        req.write_text(requirements, encoding="utf-8")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(req)], check=True)
        (env / ".installed").touch()
    return python


def build_commit(commit: str, dest: Path) -> None:
    """Build the book as it was at ``commit`` into ``dest`` (its ``_build/html``)."""
    with tempfile.TemporaryDirectory(prefix="edition-") as tmp:
        work = Path(tmp) / "src"
        releases.git("worktree", "add", "--detach", "--quiet", str(work), commit)
        try:
            requirements = releases.git("show", f"{commit}:requirements.txt")
            python = environment(requirements)
            # the build finds MathJax and the static files under .venv/ (Makefile): the project's copy
            (work / ".venv").symlink_to(ROOT / ".venv")
            env = {**os.environ, "PYTHONPATH": str(work)}
            done = subprocess.run(
                [str(python), "-m", "analysis", "build"], cwd=work, env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                raise releases.ReleaseError(f"building commit {commit[:12]} failed: {tail[0]}")
            shutil.copytree(work / "book" / "_build" / "html", dest)
        finally:
            releases.git("worktree", "remove", "--force", str(work), check=False)


def built_here(commit: str) -> bool:
    """Whether ``book/_build/html`` is the book of ``commit``: HEAD is that commit, the tracked
    tree is clean, and the pages state that commit (not ``+dirty``), as ``release`` leaves it."""
    page = ROOT / "book" / "_build" / "html" / "book" / "intro.html"
    if not page.is_file() or releases.git("rev-parse", "HEAD") != commit:
        return False
    if releases.git("status", "--porcelain", "--untracked-files=no"):
        return False
    return f"commit {commit[:12]}." in page.read_text(encoding="utf-8")


def _pages(root: Path) -> list:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))


def switcher(edition: str, page: str, editions: list, newest: str, pages: dict, labels: dict) -> str:
    """The switcher of one page: plain relative links to the same page in every edition (its
    front page when the edition has no such page), and a notice on an older edition's page."""
    up = "../" * (page.count("/") + 1)  # from the page to the site's root

    def href(e):
        target = page if page in pages[e] else "index.html"
        return html.escape(f"{up}{e}/{target}")

    links = " · ".join(
        f'<strong aria-current="page">{html.escape(labels[e])}</strong>'
        if e == edition
        else f'<a href="{href(e)}">{html.escape(labels[e])}</a>'
        for e in editions
    )
    note = ""
    if edition not in (newest, "latest", "dev"):
        note = (
            f" This is an older edition ({html.escape(labels[edition])}); "
            f'<a class="edition-latest" href="{href("latest")}">this page in the latest edition</a>.'
        )
    elif edition == "dev":
        note = " This is the unreleased work in progress, not a release."
    return (
        f'<nav class="{SWITCHER_CLASS}" aria-label="Editions of this book" style="font-size:0.85em;'
        'padding:0.3em 1em;border-bottom:1px solid #ccc;background:#f6f6f2;color:#222">'
        f'Editions: {links} · <a href="{up}index.html">all editions</a>.{note}</nav>'
    )


def inject(root: Path, edition: str, editions: list, newest: str, pages: dict, labels: dict) -> None:
    """Put the switcher at the top of every page of ``root`` (the edition's folder)."""
    for page in pages[edition]:
        path = root / page
        text = path.read_text(encoding="utf-8")
        text = re.sub(rf'<nav class="{SWITCHER_CLASS}".*?</nav>', "", text, flags=re.S)
        nav = switcher(edition, page, editions, newest, pages, labels)
        text, n = re.subn(r"(<body[^>]*>)", lambda m, nav=nav: m.group(1) + nav, text, count=1)
        if n:
            path.write_text(text, encoding="utf-8")


def index_page(rows: list) -> str:
    """The site's front page: one row per edition (label, date, changelog headline)."""

    def markdown(text):  # the changelog's `code` spans, on escaped text
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))

    items = "".join(
        f'<tr><td><a href="{html.escape(e)}/index.html">{html.escape(label)}</a></td>'
        f"<td>{html.escape(date)}</td><td>{markdown(text)}</td></tr>"
        for e, label, date, text in rows
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><title>Editions of the book</title>'
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "td,th{text-align:left;vertical-align:top;padding:0.3em 0.8em}</style></head><body>"
        "<h1>Social-housing finance in Latin America: editions</h1>"
        "<p>Every release of the book, built from the commit that released it. "
        "Each page links to the same page in the other editions.</p>"
        f'<table><caption>Editions</caption><thead><tr><th scope="col">edition</th><th scope="col">date</th>'
        f'<th scope="col">what changed</th></tr></thead><tbody>{items}</tbody></table></body></html>'
    )


def build(dest: Path = SITE, current: bool = True) -> Path:
    """Build every release (cached) and, with ``current``, the work tree, into ``dest``."""

    found = releases.history()
    if not found:
        raise releases.ReleaseError("no release in history (data/results/<version>/): nothing to build")
    staging = Path(tempfile.mkdtemp(prefix="site-", dir=ROOT / "book" / "_build"))
    try:
        editions, labels, dates = [], {}, {}
        for r in found:
            cached = CACHE / f"{r.version}-{r.commit[:12]}"
            if not (cached / "index.html").is_file():
                shutil.rmtree(cached, ignore_errors=True)
                cached.parent.mkdir(parents=True, exist_ok=True)
                if built_here(r.commit):
                    print(f"release {r.version}: the book built at its commit {r.commit[:12]}", flush=True)
                    shutil.copytree(ROOT / "book" / "_build" / "html", cached)
                else:
                    print(f"building release {r.version} from commit {r.commit[:12]}", flush=True)
                    build_commit(r.commit, cached)
            shutil.copytree(cached, staging / r.version)
            editions.append(r.version)
            labels[r.version], dates[r.version] = r.version, r.date
        latest = found[-1]
        shutil.copytree(staging / latest.version, staging / "latest")
        labels["latest"], dates["latest"] = f"latest ({latest.version})", latest.date
        head = releases.git("rev-parse", "HEAD")
        if current and head != latest.commit:
            print("building the current work tree", flush=True)
            done = subprocess.run([sys.executable, "-m", "analysis", "build"], cwd=ROOT)
            if done.returncode != 0:
                raise releases.ReleaseError("building the current work tree failed (see above)")
            shutil.copytree(ROOT / "book" / "_build" / "html", staging / "dev")
            labels["dev"] = f"unreleased ({__version__} + commit {head[:12]})"
            dates["dev"] = releases.git("log", "-1", "--format=%cs")
        order = ["latest"] + editions[::-1] + (["dev"] if "dev" in labels else [])
        pages = {e: _pages(staging / e) for e in order}
        for e in order:
            inject(staging / e, e, order, latest.version, pages, labels)
        text = (ROOT / releases.CHANGELOG).read_text(encoding="utf-8")
        heads = {v: releases.headline(body) for _, v, _, body in releases.changelog(text) if v}
        rows = [
            (e, labels[e], dates[e], heads.get(e if e not in ("latest", "dev") else latest.version, ""))
            for e in order
            if e != "dev"
        ]
        if "dev" in labels:
            unreleased = next((body for title, v, _, body in releases.changelog(text) if v is None), "")
            rows.append(("dev", labels["dev"], dates["dev"], releases.headline(unreleased)))
        (staging / "index.html").write_text(index_page(rows), encoding="utf-8")
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest

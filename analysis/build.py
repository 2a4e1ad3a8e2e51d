"""Build the book: execute the notebooks whose inputs changed, then build the HTML.

1. Each page of ``pages()`` (one chapter per registered evaluation, then the overview pages) is
   executed with papermill from ``notebooks/`` into ``book/`` (the executed copies are committed:
   they are the versioned results). A notebook is skipped when the SHA-256 of its inputs (the
   notebook, its evaluation's parameter and published data, the ``analysis`` package, the
   bibliography and the pinned requirements) equals the one stored in the executed copy.
   jupyter-cache cannot do this: it does not see the helper code.
2. ``jupyter-book build`` runs with execution off, warnings as errors and nitpicky on, into a
   temporary folder that replaces ``book/_build/html`` only when the build succeeds.
A failing notebook or build leaves the previous notebooks and HTML untouched.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .params import ROOT

# Pages that read every evaluation (through the registry) rather than one.
OVERVIEW = ("intro", "uncertainty", "summary", "changes")
EVALUATIONS_CAPTION = "Evaluations"  # the part of _toc.yml the registry fills, one chapter each
BOOK = ROOT / "book"
HTML = BOOK / "_build" / "html"
META_KEY = "analysis_build"


def pages() -> list:
    """(notebook stem, evaluation whose data it reads or "*" for all, papermill parameters) of
    every executed page: one chapter per registered evaluation, at the scenario the book shows."""
    from .evaluations import REGISTRY

    return [(ev.name, ev.name, {"scenario": ev.scenario, "overrides": {}}) for ev in REGISTRY.values()] + [
        (stem, "*", {}) for stem in OVERVIEW
    ]


def toc() -> dict:
    """_toc.yml with its Evaluations part filled from the registry, in the registry's order."""
    import yaml

    from .evaluations import REGISTRY

    try:
        doc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
        part = next(p for p in doc["parts"] if p.get("caption") == EVALUATIONS_CAPTION)
    except (OSError, yaml.YAMLError, KeyError, TypeError, StopIteration) as exc:
        raise RuntimeError(
            f"_toc.yml: needs a part with caption {EVALUATIONS_CAPTION!r} ({type(exc).__name__}: {exc})"
        ) from None
    part["chapters"] = [{"file": f"book/{name}"} for name in REGISTRY]
    return doc


def toc_pages() -> list:
    """The pages of the table of contents, as paths without suffix (``book/peru``)."""
    doc = toc()
    return [doc["root"]] + [c["file"] for part in doc["parts"] for c in part["chapters"]]


def _files(*patterns):
    for pattern in patterns:
        yield from sorted(p for p in ROOT.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)


def inputs_sha256(stem: str, evaluation: str, parameters: dict) -> str:
    """SHA-256 over everything an executed notebook depends on."""
    h = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode())
    for path in _files(
        f"notebooks/{stem}.ipynb",
        f"data/{evaluation}/**/*",
        f"data/published/{evaluation}/**/*",
        "analysis/**/*.py",
        "book/references.bib",
        "requirements.txt",
    ):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def stored_sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    return nbformat.read(path, as_version=4).metadata.get(META_KEY, {}).get("inputs_sha256")


def _tidy(nb) -> None:
    """Drop papermill's timestamps (re-executing unchanged inputs rewrites nothing new) and hide
    the injected parameters cell from the page."""
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")  # the page states its scenario in the prose
    pm = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables"):
        pm.pop(key, None)


def execute(src: Path, dest: Path, parameters: dict, digest: str) -> None:
    """Execute notebook ``src`` into ``dest``, which is replaced only on success.

    Raises RuntimeError naming the notebook and the failing cell.
    """
    import papermill as pm

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / dest.name
        try:
            pm.execute_notebook(
                str(src),
                str(out),
                parameters=parameters,
                cwd=str(dest.parent),
                kernel_name="python3",
                progress_bar=True,
            )
        except pm.PapermillExecutionError as exc:
            raise RuntimeError(
                f"notebook {src} failed in cell {exc.cell_index}"
                f" (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
            ) from None
        except Exception as exc:  # a missing file, a dead kernel: still one clear line
            raise RuntimeError(f"notebook {src} could not be executed: {type(exc).__name__}: {exc}") from None
        nb = nbformat.read(out, as_version=4)
        _tidy(nb)
        nb.metadata[META_KEY] = {"inputs_sha256": digest, "parameters": parameters}
        nbformat.write(nb, out)
        shutil.move(out, dest)


def git_commit() -> str:
    """The commit the book is built from, with ``+dirty`` when the work tree has changes."""

    def git(*args):
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def stamped_config(path: Path) -> None:
    """_config.yml plus a footer on every page: the analysis version and the git commit."""
    import yaml

    from . import __version__

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    stamp = f"Analysis version {__version__}, commit {git_commit()}."
    config.setdefault("html", {})["extra_footer"] = f"<p>{stamp} Parameters: see each chapter's assumptions.</p>"
    # The copy lives elsewhere: paths jupyter-book resolves against the config file become absolute.
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {k: str(ROOT / v) for k, v in sphinx.get("local_extensions", {}).items()}
    sphinx["extra_extensions"] = [*sphinx.get("extra_extensions", []), "analysis.pdf"]  # the footer's PDF link
    sphinx.setdefault("config", {})["myst_substitutions"] = {"version": __version__, "commit": git_commit()}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def download_tables(ev) -> list:
    """The names of the tables a chapter offers for download (the evaluation's ``tables``, or all)."""
    if ev.tables:
        return list(ev.tables)
    return list(ev.run()[1].tables)


def workbook_name(ev) -> str | None:
    """The file name of a chapter's live-formula workbook (None when the evaluation has none)."""
    return f"{ev.name}-workbook.xlsx" if ev.workbook is not None else None


def export_tables(dest: Path = BOOK / "_generated") -> None:
    """Each chapter's tables as CSV files and one XLSX workbook of values, and its live-formula
    workbook, for the chapters' download links. Skipped for a chapter whose inputs are unchanged
    (the digest of :func:`inputs_sha256` is kept beside the files)."""
    import pandas as pd

    from . import workbook
    from .evaluations import REGISTRY

    for ev in REGISTRY.values():
        folder = dest / ev.name
        stamp = folder / ".inputs-sha256"
        digest = inputs_sha256(ev.name, ev.name, {"scenario": ev.scenario, "overrides": {}})
        if stamp.is_file() and stamp.read_text() == digest:
            continue
        _, result = ev.run()
        folder.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(folder / f"{ev.name}.xlsx") as xlsx:
            for name in download_tables(ev):
                df = result.tables[name]
                df.to_csv(folder / f"{name}.csv", index=False)
                df.to_excel(xlsx, sheet_name=name[:31], index=False)
        if ev.workbook is not None:
            workbook.write(ev.name, ev.scenario, {}, folder / workbook_name(ev))
        stamp.write_text(digest)


def jupyter_book(out: Path, capture: bool = False, previous: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``jupyter-book build`` (warnings as errors, nitpicky) with the stamped config into ``out``."""
    import yaml

    export_tables()
    stamped_config(out / "_config.yml")
    (out / "_toc.yml").write_text(yaml.safe_dump(toc(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(jb),
        "build",
        str(ROOT),
        "--path-output",
        str(out),
        "--config",
        str(out / "_config.yml"),
        "--toc",
        str(out / "_toc.yml"),
        "-W",
        "-n",
        "--keep-going",
    ]
    done = subprocess.run(cmd, capture_output=capture, text=True, cwd=ROOT)
    if done.returncode == 0:
        from . import pdf

        # the PDF edition (skipped, with one line, without chromium; reused when the pages are unchanged)
        pdf.write(out / "_build" / "html", previous)
    return done


def build_html() -> None:
    """jupyter-book build into a temporary folder; swap it into book/_build/html on success."""
    HTML.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=HTML.parent))
    try:
        try:
            done = jupyter_book(staging, previous=HTML)
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"cannot read _config.yml ({exc}); the previous HTML is kept") from None
        if done.returncode != 0:
            raise RuntimeError("jupyter-book build failed (see the warnings above); the previous HTML is kept")
        old = HTML.with_name("html.old")
        shutil.rmtree(old, ignore_errors=True)
        if HTML.exists():
            HTML.rename(old)
        (staging / "_build" / "html").rename(HTML)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(force: bool = False, only: list | None = None) -> int:
    todo = [n for n in pages() if not only or n[0] in only]
    try:
        for i, (stem, evaluation, parameters) in enumerate(todo, start=1):
            digest = inputs_sha256(stem, evaluation, parameters)
            if not force and stored_sha256(BOOK / f"{stem}.ipynb") == digest:
                print(f"[{i}/{len(todo)}] book/{stem}.ipynb is up to date (inputs unchanged)", flush=True)
                continue
            print(f"[{i}/{len(todo)}] executing notebooks/{stem}.ipynb with {parameters}", flush=True)
            execute(ROOT / "notebooks" / f"{stem}.ipynb", BOOK / f"{stem}.ipynb", parameters, digest)
        print("building the HTML book (warnings are errors)", flush=True)
        build_html()
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"done: open {HTML / 'index.html'}")
    return 0

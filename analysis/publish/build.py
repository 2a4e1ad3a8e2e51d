"""Build the book: execute the notebooks whose inputs changed, then build the HTML.

1. Each page of ``pages()`` (one chapter per registered evaluation, then the overview pages) is
   executed with papermill from ``notebooks/`` into ``book/`` (the executed copies are committed:
   they are the versioned results). A notebook is skipped when the SHA-256 of what it reads (the
   notebook, its evaluation's parameter and published data, the modules of the package it
   imports, the bibliography and the pinned requirements: :mod:`analysis.publish.inputs`) equals
   the one stored in the executed copy. jupyter-cache cannot do this: it does not see the helper code.
2. ``jupyter-book build`` runs with execution off, warnings as errors and nitpicky on, into a
   temporary folder that replaces ``book/_build/html`` only when the build succeeds.
A failing notebook or build leaves the previous notebooks and HTML untouched; a build stopped by
SIGINT or SIGTERM removes its staging folder, and the next build removes any a killed build left.

An *edition* (``--scenario EVAL=NAME``, ``--set EVAL.KEY=VALUE``, ``--edition NAME``; see
:func:`build_edition`) is the book for a user's scenarios and overrides, built in a copy of the
book's sources into ``book/_build/editions/<name>/``, with a banner on every page (the theme's
announcement, :func:`banner_html`). It writes nothing of the book itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from .. import __version__
from ..core import params
from ..core.params import ROOT
from ..evaluations import REGISTRY
from . import bibliography, chapter, contents, figures, inputs, pdf, summary, workbook
from .contents import BOOK, HTML, download_tables, git_commit, pages, toc, workbook_name

META_KEY = "analysis_build"
# The full output of the last build (papermill's kernels, jupyter-book, Sphinx); the terminal gets
# one line per step, and the log's last lines when a step fails.
LOG = HTML.parent / "build.log"
LOG_TAIL = 25


def log_tail(lines: int = LOG_TAIL) -> str:
    """The last ``lines`` of the build log, indented, to show under a failure."""
    try:
        tail = LOG.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()[-lines:]
    except OSError:
        return ""
    return f"\nlast lines of {LOG.relative_to(ROOT)}:\n" + "\n".join("  " + line for line in tail)


def _log(text: str) -> None:
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("a", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")


_REDIRECT_LOCK = threading.Lock()
_REDIRECTS = [0, None]  # [threads inside, the saved stderr]: file descriptor 2 is the process's


@contextlib.contextmanager
def _stderr_to_log():
    """Send this process's stderr (file descriptor 2, which the notebook kernels inherit: their
    start-up warnings) to the build log while notebooks execute; pages executed in parallel share
    one redirection, undone when the last of them ends."""
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with _REDIRECT_LOCK:
        if _REDIRECTS[0] == 0:
            sys.stderr.flush()
            _REDIRECTS[1] = os.dup(2)
            with LOG.open("a", encoding="utf-8") as f:
                os.dup2(f.fileno(), 2)
        _REDIRECTS[0] += 1
    try:
        yield
    finally:
        with _REDIRECT_LOCK:
            _REDIRECTS[0] -= 1
            if _REDIRECTS[0] == 0:
                sys.stderr.flush()
                os.dup2(_REDIRECTS[1], 2)
                os.close(_REDIRECTS[1])


def inputs_sha256(stem: str, evaluation: str, parameters: dict) -> str:
    """SHA-256 over everything an executed notebook reads (:func:`analysis.publish.inputs.page_files`)."""
    h = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode())
    for path in inputs.page_files(stem, evaluation):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def stored_sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    return nbformat.read(path, as_version=4).metadata.get(META_KEY, {}).get("inputs_sha256")


def _tidy(nb, parameters: dict | None = None) -> None:
    """Drop papermill's timestamps and give its injected parameters cell an id derived from the
    parameters (papermill draws a random one): re-executing unchanged inputs gives the same bytes.
    Hide the injected parameters cell from the page. Number the page's figures."""
    figures.number_captions(nb)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            digest = hashlib.sha256(json.dumps(parameters or {}, sort_keys=True, default=str).encode()).hexdigest()
            cell["id"] = f"injected-parameters-{digest[:12]}"
            if "remove-cell" not in tags:
                tags.append("remove-cell")  # the page states its scenario in the prose
    pm = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables"):
        pm.pop(key, None)


# A kernel executes several pages in turn; between two it is returned to the state of a new one
# (the names a page defined, the table numbers, matplotlib's figures and settings, the cell count),
# so that a page's output is what a kernel of its own gives: nbval re-executes every committed page
# in a kernel of its own and compares. Imports and the library's caches of pure results (parsed
# files, analyses by their inputs) stay, which is the point: a page reuses what another computed.
_KERNEL_START = """
import matplotlib, matplotlib.pyplot
matplotlib._book_rc = dict(matplotlib.rcParams)  # as a new kernel has them, the inline backend's included
del matplotlib
"""
_KERNEL_RESET = """
get_ipython().run_line_magic("reset", "-f")
import matplotlib, matplotlib.pyplot, analysis.publish.markup
matplotlib.pyplot.close("all")
matplotlib.rcParams.update(matplotlib._book_rc)
analysis.publish.markup.reset_numbering()
del matplotlib, analysis
get_ipython().execution_count = 1
"""


class Kernel:
    """A notebook kernel started in ``cwd`` that executes pages one after another (history off:
    the cell count starts at 1 again for each page)."""

    def __init__(self, cwd: Path):
        # The asynchronous manager, as papermill's own: with the blocking one its client waits for
        # a kernel's output without end, and never sees that the kernel died (stopped by a failure).
        from jupyter_client import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.km = AsyncKernelManager(kernel_name="python3")
        self._run_sync = run_sync
        run_sync(self.km.start_kernel)(cwd=str(cwd), extra_arguments=["--HistoryManager.enabled=False"])
        self.run(_KERNEL_START)

    def run(self, code: str) -> None:
        from jupyter_client import BlockingKernelClient

        kc = BlockingKernelClient()
        kc.load_connection_info(self.km.get_connection_info())
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
            reply = kc.execute_interactive(code, store_history=False, timeout=120, output_hook=lambda msg: None)
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the notebook kernel could not be reset: {reply['content'].get('evalue', '')}")

    def reset(self) -> None:
        self.run(_KERNEL_RESET)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._run_sync(self.km.shutdown_kernel)(now=True)


def execute(src: Path, dest: Path, parameters: dict, digest: str, kernel: Kernel | None = None) -> None:
    """Execute notebook ``src`` into ``dest``, which is replaced only on success; in a new kernel
    started in ``dest``'s folder, or in ``kernel`` (started there, and reset after the page).

    Raises RuntimeError naming the notebook and the failing cell.
    """
    import papermill as pm

    where = {"km": kernel.km} if kernel else {"cwd": str(dest.parent)}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / dest.name
        try:
            with _stderr_to_log():
                pm.execute_notebook(
                    str(src), str(out), parameters=parameters, kernel_name="python3", progress_bar=False, **where
                )
                if kernel:
                    kernel.reset()
        except pm.PapermillExecutionError as exc:
            raise RuntimeError(
                f"notebook {src} failed in cell {exc.cell_index}"
                f" (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
            ) from None
        except Exception as exc:  # a missing file, a dead kernel: still one clear line
            raise RuntimeError(f"notebook {src} could not be executed: {type(exc).__name__}: {exc}") from None
        nb = nbformat.read(out, as_version=4)
        _tidy(nb, parameters)
        nb.metadata[META_KEY] = {"inputs_sha256": digest, "parameters": parameters}
        nbformat.write(nb, out)
        shutil.move(out, dest)


def read_config(path: Path | None = None) -> dict:
    """The book's ``_config.yml`` as a mapping; RuntimeError with one line when it is not one."""
    import yaml

    path = path or ROOT / "_config.yml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuntimeError(f"{path.name}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RuntimeError(f"{path.name}: not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(config, dict):
        raise RuntimeError(f"{path.name}: expected a mapping of settings, got {type(config).__name__}")
    return config


def stamped_config(path: Path, source: Path | None = None, banner: str = "", pdf_link: bool = True) -> None:
    """``source``/_config.yml plus a footer on every page: the analysis version and the git commit;
    for an edition, its ``banner`` (HTML) at the top of every page."""
    import yaml

    source = source or ROOT
    config = read_config(source / "_config.yml")
    stamp = f"Analysis version {__version__}, commit {git_commit()}."
    html_options = config.setdefault("html", {})
    html_options["extra_footer"] = f"<p>{stamp} Parameters: see each chapter's assumptions.</p>"
    if banner:
        html_options["announcement"] = banner
    # The copy lives elsewhere: paths jupyter-book resolves against the config file become absolute.
    sphinx = config.setdefault("sphinx", {})
    extensions = dict(sphinx.get("local_extensions", {}))
    if pdf_link:
        extensions["pdf_link"] = "book/_ext"  # the footer's PDF link
    sphinx["local_extensions"] = {k: str(source / v) for k, v in extensions.items()}
    sphinx.setdefault("config", {})["myst_substitutions"] = {"version": __version__, "commit": git_commit()}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def export_tables(
    dest: Path = BOOK / "_generated",
    scenarios: dict | None = None,
    overrides: dict | None = None,
    origin: str = "override",
) -> None:
    """Each chapter's tables as CSV files and one XLSX workbook of values, and its live-formula
    workbook, for the chapters' download links, at the book's scenarios or an edition's
    (``scenarios``: evaluation -> scenario, ``overrides``: evaluation -> {parameter: value}).
    Skipped for a chapter whose inputs are unchanged (the digest of :func:`inputs_sha256` is kept
    beside the files). The same inputs give the same bytes (fixed file dates)."""
    import pandas as pd

    for ev in REGISTRY.values():
        scenario, changes = summary.choice(ev, scenarios, overrides)
        folder = dest / ev.name
        stamp = folder / ".inputs-sha256"
        digest = inputs_sha256(ev.name, ev.name, {"scenario": scenario, "overrides": changes})
        if stamp.is_file() and stamp.read_text() == digest:
            continue
        sc, result = ev.run(scenario, changes, origin)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.csv"):  # named by the scenario and its digest: a new run, new names
            old.unlink()
        values = folder / f"{ev.name}.xlsx"
        inputs = f"scenario {sc.name}, parameters' SHA-256 {sc.sha256}"
        with pd.ExcelWriter(values, engine="xlsxwriter", engine_kwargs={"options": workbook.TEXT_ONLY}) as xlsx:
            xlsx.book.set_properties({"title": ev.title, "subject": inputs, "created": workbook.FIXED_DATE})
            for name in download_tables(ev):
                df = contents.download_table(ev, name, result.tables[name])
                df.to_csv(folder / contents.download_name(name, sc), index=False)
                df.to_excel(xlsx, sheet_name=name[:31], index=False)
        if ev.workbook is not None:
            workbook.write(ev.name, scenario, changes, folder / workbook_name(ev), origin=origin)
        stamp.write_text(digest)


def jupyter_book(
    out: Path,
    capture: bool = False,
    previous: Path | None = None,
    source: Path | None = None,
    banner: str = "",
    pdf_edition: bool = True,
) -> subprocess.CompletedProcess:
    """Run ``jupyter-book build`` (warnings as errors, nitpicky) of ``source`` with the stamped
    config into ``out``. The book's own source exports its downloads first (an edition's source
    tree has its own)."""
    import yaml

    if source is None:
        source = ROOT
        export_tables()
    stamped_config(out / "_config.yml", source, banner, pdf_link=pdf_edition)
    (out / "_toc.yml").write_text(yaml.safe_dump(toc(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(jb),
        "build",
        str(source),
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
    done = subprocess.run(cmd, capture_output=capture, text=True, cwd=source)
    if capture:
        _log(f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    if done.returncode == 0 and pdf_edition:
        # the PDF edition (skipped, with one line, without chromium; reused when the pages are unchanged)
        pdf.write(out / "_build" / "html", previous)
    return done


# --- staging folders: one per build, removed on success, failure, SIGINT or SIGTERM ----------------

STAGING_PREFIX = "staging-"
PID_FILE = ".build-pid"


def new_staging(parent: Path | None = None) -> Path:
    """A staging folder ``<parent>/staging-*`` holding the id of the process that owns it."""
    parent = parent or HTML.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
    (staging / PID_FILE).write_text(str(os.getpid()))
    return staging


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_staging(parent: Path | None = None) -> list:
    """Remove the staging folders of builds that are no longer running (a build killed before its
    clean-up could run); a folder whose build still runs is kept. Returns the removed folders."""
    parent = parent or HTML.parent
    removed = []
    for folder in sorted(parent.glob(STAGING_PREFIX + "*")) if parent.is_dir() else []:
        try:
            pid = int((folder / PID_FILE).read_text())
        except (OSError, ValueError):
            pid = None
        if pid is not None and pid != os.getpid() and _running(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


@contextlib.contextmanager
def build_lock(folder: Path | None = None):
    """One build at a time in a project: two at once wrote over each other's executed notebooks and
    staging folders. The lock is the kernel's (``flock`` on the build folder itself, so that a
    refused build writes nothing and a killed one never leaves it held).

    Raises RuntimeError when another build holds it."""
    import fcntl

    folder = folder or HTML.parent  # read when called: tests move HTML
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another build is running in {folder}: wait for it to finish") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def cleanup_on_signals():
    """SIGTERM and SIGINT end the build through its ``finally`` clauses (which remove the staging
    folder), instead of killing it where it stands. SIGINT is set explicitly: a build started in the
    background by a shell inherits SIGINT ignored, and would otherwise go on."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _swap(new: Path, dest: Path) -> None:
    """Put folder ``new`` in place of ``dest`` (the previous one is removed only after)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    old = dest.with_name(dest.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    new.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def build_html() -> None:
    """jupyter-book build into a temporary folder; swap it into book/_build/html on success."""
    staging = new_staging(HTML.parent)
    try:
        try:
            done = jupyter_book(staging, capture=True, previous=HTML)
        except (OSError, ValueError, RuntimeError) as exc:  # _config.yml or _toc.yml cannot be read
            raise RuntimeError(f"{exc}; the previous HTML is kept") from None
        if done.returncode != 0:
            raise RuntimeError("jupyter-book build failed; the previous HTML is kept" + log_tail())
        _swap(staging / "_build" / "html", HTML)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --- editions: the book for a user's scenarios and overrides --------------------------------------

EDITIONS = BOOK / "_build" / "editions"
EDITION_ORIGIN = "command line"  # what an edition's registers name as the origin of its overrides
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}")
# The book's sources an edition copies (its notebooks are executed into the copy).
SOURCES = (
    "_config.yml",
    "_toc.yml",
    "CHANGELOG.md",
    "book/*.md",
    "book/references.bib",
    "book/_ext/*.py",
    "book/_static/*",
    "book/_extra/*",
    "book/_templates/*",  # the theme overrides that name its buttons by their visible text
    "notebooks/*.ipynb",
)


class OptionError(ValueError):
    """A wrong ``build`` option: the message is one line naming the option, the key and the reason."""


def edition_choices(scenario_options=(), set_options=()) -> tuple:
    """``--scenario EVAL=NAME`` and ``--set EVAL.KEY=VALUE`` options as (scenarios, overrides):
    evaluation -> scenario name, evaluation -> {parameter: value}. Every evaluation named is loaded
    with its choices: OptionError for an unknown evaluation, scenario or parameter, or a value its
    parameter does not admit."""

    def evaluation(option, name):
        if name not in REGISTRY:
            raise OptionError(f"{option}: unknown evaluation {name!r} (known: {', '.join(REGISTRY)})")
        return REGISTRY[name]

    scenarios, overrides, raw = {}, {}, {}
    for item in scenario_options or ():
        option = f"--scenario {item}"
        name, sep, scenario = item.partition("=")
        if not sep or not scenario.strip():
            raise OptionError(f"{option}: expected EVALUATION=SCENARIO, e.g. peru=conservative")
        ev = evaluation(option, name.strip())
        scenario = scenario.strip()
        if ev.name in scenarios:
            raise OptionError(f"{option}: {ev.name} has a scenario already ({scenarios[ev.name]})")
        if scenario not in ev.scenarios():
            raise OptionError(
                f"{option}: no scenario {scenario!r} in data/{ev.name}/ (known: {', '.join(ev.scenarios())})"
            )
        scenarios[ev.name] = scenario
    for item in set_options or ():
        option = f"--set {item}"
        target, sep, text = item.partition("=")
        name, dot, key = target.strip().partition(".")
        if not sep or not dot or not key:
            raise OptionError(f"{option}: expected EVALUATION.PARAMETER=VALUE, e.g. peru.discount_rate=0.10")
        ev = evaluation(option, name)
        if key not in ev.parameters:
            raise OptionError(f"{option}: unknown parameter of {ev.name} (known: {', '.join(sorted(ev.parameters))})")
        try:
            value = params.coerce_override(text, key, EDITION_ORIGIN)  # YAML 1.2, as run --set
            value = params.check_value(EDITION_ORIGIN, key, value, ev.parameters[key])
        except params.ParameterError as exc:
            raise OptionError(f"{option}: {exc.reason}") from None
        if key in overrides.get(ev.name, {}):  # as run --set: two values for one key is a mistake
            raise OptionError(f"{option}: {ev.name}.{key} is set twice (also by {raw[ev.name, key]})")
        overrides.setdefault(ev.name, {})[key] = value
        raw[(ev.name, key)] = option
    for name in dict.fromkeys([*scenarios, *overrides]):
        try:
            REGISTRY[name].load(scenarios.get(name), overrides.get(name), EDITION_ORIGIN)
        except params.ParameterError as exc:
            option = raw.get((name, exc.key))
            if option:
                raise OptionError(f"{option}: {exc.reason}") from None
            # the options that chose these values together (never a --scenario that was not given)
            sets = " ".join(o for (n, _), o in raw.items() if n == name)
            where = f"--scenario {name}={scenarios[name]}" if name in scenarios else sets
            raise OptionError(f"{where}: {exc}") from None
    return scenarios, overrides


def edition_name(scenarios: dict, overrides: dict) -> str:
    """The default name of an edition: each evaluation it changes with its scenario, then a short
    hash of the overrides: ``peru-my_case-1a2b3c4d``."""

    parts = [f"{n}-{scenarios.get(n, ev.scenario)}" for n, ev in REGISTRY.items() if n in scenarios or n in overrides]
    if overrides:
        parts.append(hashlib.sha256(json.dumps(overrides, sort_keys=True, default=str).encode()).hexdigest()[:8])
    return "-".join(parts) or "book"


def edition_pages(scenarios: dict, overrides: dict) -> list:
    """:func:`pages` of an edition: the chapters it names run at its choices (their overrides'
    origin: the command line), the others at the book's; the overview pages get every choice."""
    out = []
    for stem, evaluation, parameters in pages():
        if stem in scenarios or stem in overrides:
            ev_scenario = scenarios.get(stem, parameters["scenario"])
            parameters = {"scenario": ev_scenario, "overrides": overrides.get(stem, {}), "origin": EDITION_ORIGIN}
        elif evaluation == "*":
            parameters = {"scenarios": scenarios, "overrides": overrides, "origin": EDITION_ORIGIN}
        out.append((stem, evaluation, parameters))
    return out


def _citation(key: str) -> str:
    """A bibliography entry as the pages cite it: "Banco Interamericano de Desarrollo (n.d., ES-L1165)"
    (the key when it cannot be read)."""
    try:
        return bibliography.label(key)
    except Exception:  # a banner never fails on a citation: the key is still a pointer
        return key


def edition_facts(name: str, scenarios: dict, overrides: dict) -> dict:
    """What an edition's banner says: for every evaluation, its scenario, file chain, description,
    overrides (each with the value it replaced, that value's origin, citation and locator) and
    parameters' SHA-256; the release and commit it derives from."""

    evaluations = []
    for ev in REGISTRY.values():
        scenario, changes = summary.choice(ev, scenarios, overrides)
        sc = ev.load(scenario, changes, EDITION_ORIGIN)
        rows = []
        for key in changes:
            e, spec = sc.entries[key], ev.parameters[key]
            was = e["replaced"]
            rows.append(
                {
                    "parameter": key,
                    "value": chapter.format_value(e["value"], spec),
                    "replaced": chapter.format_value(was["value"], spec),
                    "replaced_origin": was["origin"],
                    "citation": _citation(was["source"]),
                    "locator": was["locator"],
                }
            )
        evaluations.append(
            {
                "evaluation": ev.name,
                "title": ev.title,
                "scenario": sc.name,
                "changed": ev.name in scenarios or ev.name in overrides,
                "description": sc.description,
                "files": [params.display_path(f) for f in sc.files],
                "overrides": rows,
                "sha256": sc.sha256,
            }
        )
    return {"name": name, "version": __version__, "commit": git_commit(), "evaluations": evaluations}


# The banner sits in the theme's announcement bar (centred, large): compact and left-aligned here.
_BANNER_STYLE = "text-align: left; font-size: 0.8rem; line-height: 1.35; overflow-wrap: anywhere"
_CODE_STYLE = "color: inherit; background: none; border: 0; padding: 0; font-size: inherit"


def banner_html(facts: dict) -> str:
    """The banner at the top of every page of an edition (HTML; every text escaped)."""
    esc = html.escape

    def code(text):
        return f'<code style="{_CODE_STYLE}">{esc(text)}</code>'

    items = []
    for e in facts["evaluations"]:
        text = (
            f"<strong>{esc(e['title'].split(':')[0])}</strong>: scenario {code(e['scenario'])}"
            f"{'' if e['changed'] else ' (the book&#x27;s)'}"
        )
        if e["description"] and e["changed"]:
            text += f" ({esc(' '.join(str(e['description']).split()))})"
        text += f"; files {esc(' → '.join(e['files']))}"
        for o in e["overrides"]:
            text += (
                f"; {code(o['parameter'])} = {esc(o['value'])} (set by {esc(EDITION_ORIGIN)}; replaces"
                f" {esc(o['replaced'])} of {esc(o['replaced_origin'])}, whose citation is {esc(o['citation'])},"
                f" {esc(o['locator'])})"
            )
        text += f"; parameters&#x27; SHA-256 {code(e['sha256'])}"
        items.append(f"<li>{text}</li>")
    return (
        f'<div class="edition-banner" style="{_BANNER_STYLE}"><p style="margin: 0"><strong>Edition'
        f" {esc(facts['name'])}</strong>: this book computed for other parameters than the release&#x27;s."
        f" It derives from release {esc(facts['version'])}, commit {esc(facts['commit'])}.</p>"
        f'<ul style="margin: 0.2rem 0 0 1.2rem; padding: 0">{"".join(items)}</ul></div>'
    )


def stage_sources(src: Path) -> None:
    """Copy the book's sources into ``src`` (an edition's source tree); its offline static files
    (MathJax, under .venv) are linked, not copied."""
    for pattern in SOURCES:
        for path in inputs.files(pattern):
            dest = src / path.relative_to(ROOT)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    static = ROOT / ".venv" / "book-static"
    (src / ".venv").mkdir(exist_ok=True)
    (src / ".venv" / "book-static").symlink_to(static.resolve() if static.exists() else static)


def build_edition(scenarios: dict, overrides: dict, name: str | None = None) -> Path:
    """Build the edition of the book for ``scenarios`` and ``overrides`` into
    ``book/_build/editions/<name>/``, replaced only on success. Nothing of the book itself is
    written (its executed notebooks, its downloads, its HTML, the release snapshot): the edition's
    sources are copied into a staging folder, its pages executed there with its parameters and
    its downloads exported there. Returns the edition's folder."""
    name = name or edition_name(scenarios, overrides)
    if not _NAME.fullmatch(name):
        raise OptionError(f"--edition {name}: use letters, digits, '.', '_' and '-' (a letter or digit first)")
    read_config()
    facts = edition_facts(name, scenarios, overrides)
    _start_log(f"edition {name}")
    staging = new_staging(HTML.parent)
    try:
        src = staging / "src"
        stage_sources(src)
        todo = edition_pages(scenarios, overrides)
        changed = []
        for i, (stem, evaluation, parameters) in enumerate(todo, start=1):
            digest = inputs_sha256(stem, evaluation, parameters)
            dest = src / "book" / f"{stem}.ipynb"
            if stored_sha256(BOOK / f"{stem}.ipynb") == digest:  # the book's page, unchanged by the edition
                print(f"[{i}/{len(todo)}] {stem}: the book's page, reused (inputs unchanged)", flush=True)
                shutil.copy2(BOOK / f"{stem}.ipynb", dest)
                continue
            changed.append((i, len(todo), stem, dest, parameters, digest))
        execute_pages(changed)
        export_tables(src / "book" / "_generated", scenarios, overrides, EDITION_ORIGIN)
        out = staging / "out"
        out.mkdir()
        start = time.perf_counter()
        done = jupyter_book(out, capture=True, source=src, banner=banner_html(facts), pdf_edition=False)
        if done.returncode != 0:
            raise RuntimeError(f"jupyter-book build of edition {name} failed" + log_tail())
        print(f"HTML: built in {time.perf_counter() - start:.1f} s", flush=True)
        dest = EDITIONS / name
        _swap(out / "_build" / "html", dest)
        (dest / "edition.json").write_text(json.dumps(facts, indent=1, default=str) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


# --- the command ----------------------------------------------------------------------------------


def add_arguments(parser) -> None:
    """The options of ``python -m analysis build``."""
    parser.add_argument("--force", action="store_true", help="re-execute every notebook")
    parser.add_argument("--only", action="append", help="execute only this notebook stem (the book is still built)")
    parser.add_argument(
        "--no-html", action="store_true", help="execute the notebooks whose inputs changed, but build no HTML or PDF"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="EVALUATION=SCENARIO",
        help="an edition: this evaluation at this scenario (a file in data/EVALUATION/)",
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="EVALUATION.PARAMETER=VALUE",
        help="an edition: override a parameter (YAML value)",
    )
    parser.add_argument(
        "--edition",
        metavar="NAME",
        help="build an edition named NAME into book/_build/editions/NAME/ (default name: from the choices)",
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    """``python -m analysis build``: the book, or with --scenario/--set/--edition an edition of it."""
    if args.edition is not None and not args.edition.strip():
        print(
            "error: --edition: an empty name (give one, or leave --edition out for a name from the choices)",
            file=sys.stderr,
        )
        return 2
    if not (args.scenario or args.set or args.edition):
        stems = [stem for stem, _, _ in pages()]
        unknown = [o for o in args.only or () if o not in stems]
        if unknown:
            print(f"error: --only {unknown[0]}: no page of that name (pages: {', '.join(stems)})", file=sys.stderr)
            return 2
        return main(force=args.force, only=args.only, html=not args.no_html)
    if args.only or args.no_html:
        option = "--only" if args.only else "--no-html"
        print(f"error: {option}: an option of the book, not of an edition", file=sys.stderr)
        return 2
    try:
        with build_lock(), cleanup_on_signals():
            clean_stale_staging()
            scenarios, overrides = edition_choices(args.scenario, args.set)
            start = time.perf_counter()
            dest = build_edition(scenarios, overrides, args.edition)
    except OptionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; the staging folder is removed, the previous edition is kept", file=sys.stderr)
        return 130
    print(f"done in {time.perf_counter() - start:.0f} s: open {dest / 'index.html'}")
    return 0


def _start_log(what: str) -> None:
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text(f"build of {what}, {time.strftime('%Y-%m-%d %H:%M:%S')}\n", encoding="utf-8")


def _executed(
    i: int, n: int, stem: str, dest: Path, parameters: dict, digest: str, kernel: Kernel | None = None
) -> None:
    """Execute notebook ``stem`` into ``dest`` and say so in one line, with its seconds."""
    start = time.perf_counter()
    _log(f"executing notebooks/{stem}.ipynb with {parameters}")
    execute(ROOT / "notebooks" / f"{stem}.ipynb", dest, parameters, digest, kernel)
    shown = f" with {parameters}" if parameters.get("overrides") else ""
    print(f"[{i}/{n}] {stem}: executed{shown} in {time.perf_counter() - start:.1f} s", flush=True)


def jobs() -> int:
    """How many pages execute at once: one per processor this process may use, at most four
    (each page is one kernel, mostly one core; ``BOOK_JOBS`` sets it)."""
    env = os.environ.get("BOOK_JOBS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _stop_kernels() -> None:
    """End the notebook kernels this process started, so that the pages executing in other
    threads fail at once instead of running to their end after a failure or an interruption."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                child.terminate()
        except psutil.Error:
            pass


def execute_pages(todo: list) -> None:
    """Execute ``todo`` [(i, n, stem, dest, parameters, digest)]: :func:`jobs` threads, each with
    one :class:`Kernel` that executes the pages it takes from the list one after another (the pages
    are independent: each reads the parameter files and the library, none another page; a kernel
    reuses the analyses a previous page computed). The first failure stops the rest and is raised;
    each page is written only when it succeeds."""
    import concurrent.futures as cf
    import queue

    if not todo:
        return
    pending = queue.SimpleQueue()
    for job in todo:
        pending.put(job)
    stop = threading.Event()

    def worker() -> None:
        kernel = None
        try:
            while not stop.is_set():
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                if kernel is None:
                    kernel = Kernel(job[3].parent)
                    if stop.is_set():  # another page failed while this kernel started
                        return
                _executed(*job, kernel=kernel)
        finally:
            if kernel is not None:
                kernel.close()  # in this thread: its manager runs on this thread's event loop

    with _stderr_to_log(), cf.ThreadPoolExecutor(min(jobs(), len(todo))) as pool:
        futures = [pool.submit(worker) for _ in range(min(jobs(), len(todo)))]
        try:
            cf.wait(futures, return_when=cf.FIRST_EXCEPTION)
            failed = [f for f in futures if f.done() and f.exception()]
            if failed:
                stop.set()
                _stop_kernels()
                cf.wait(futures)
                raise failed[0].exception()
        except KeyboardInterrupt:
            stop.set()
            _stop_kernels()
            cf.wait(futures)
            raise


def main(force: bool = False, only: list | None = None, html: bool = True) -> int:
    todo = [n for n in pages() if not only or n[0] in only]
    try:
        with build_lock(), cleanup_on_signals():
            clean_stale_staging()
            read_config()  # a malformed _config.yml stops the build before anything is written
            _start_log("the book")
            changed = []
            for i, (stem, evaluation, parameters) in enumerate(todo, start=1):
                digest = inputs_sha256(stem, evaluation, parameters)
                if not force and stored_sha256(BOOK / f"{stem}.ipynb") == digest:
                    print(f"[{i}/{len(todo)}] {stem}: reused (inputs unchanged)", flush=True)
                    continue
                changed.append((i, len(todo), stem, BOOK / f"{stem}.ipynb", parameters, digest))
            execute_pages(changed)
            if not html:
                print("done: the notebooks are executed (no HTML: --no-html)")
                return 0
            start = time.perf_counter()
            build_html()
            print(
                f"HTML: built in {time.perf_counter() - start:.1f} s (the full log: {LOG.relative_to(ROOT)})",
                flush=True,
            )
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; the staging folder is removed, the previous book is kept", file=sys.stderr)
        return 130
    print(f"done: open {HTML / 'index.html'}")
    return 0

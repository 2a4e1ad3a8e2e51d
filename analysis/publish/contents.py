"""What the book contains: its pages (one chapter per registered evaluation, then the overview
pages), its table of contents, each chapter's downloads, and the commit it is built from. The
build, the chapters, the workbooks and the PDF read these facts here."""

from __future__ import annotations

import subprocess

import pandas as pd
import yaml

from ..core import numbers
from ..core.params import ROOT
from ..evaluations import REGISTRY

# Pages that read every evaluation (through the registry) rather than one.
OVERVIEW = ("intro", "uncertainty", "summary", "changes")
EVALUATIONS_CAPTION = "Evaluations"  # the part of _toc.yml the registry fills, one chapter each
BOOK = ROOT / "book"
HTML = BOOK / "_build" / "html"


def pages() -> list:
    """(notebook stem, evaluation whose data it reads or "*" for all, papermill parameters) of
    every executed page: one chapter per registered evaluation, at the scenario the book shows."""
    return [(ev.name, ev.name, {"scenario": ev.scenario, "overrides": {}}) for ev in REGISTRY.values()] + [
        (stem, "*", {}) for stem in OVERVIEW
    ]


def toc() -> dict:
    """_toc.yml with its Evaluations part filled from the registry, in the registry's order."""

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


def git_commit() -> str:
    """The commit the book is built from, with ``+dirty`` when the work tree has changes."""

    def git(*args):
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def download_tables(ev) -> list:
    """The names of the tables a chapter offers for download (the evaluation's ``tables``, or all)."""
    if ev.tables:
        return list(ev.tables)
    return list(ev.run()[1].tables)


def download_name(table: str, scenario) -> str:
    """The file name of a downloaded table: the table, the scenario and the first 12 hex digits of
    its parameters' SHA-256 (:attr:`Scenario.sha256`, as ``python -m analysis run`` prints it), so
    that a file says which inputs made it: ``cash_flow-as_published-0123456789ab.csv``."""
    return f"{table}-{scenario.name}-{scenario.sha256[:12]}.csv"


def download_table(ev, name: str, df):
    """A result table as a download: each header with its unit (``net_flow (USD)``, from
    :attr:`Evaluation.units`), the values without float noise (:data:`numbers.STORED_DIGITS`)."""
    units = ev.units.get(name, {})

    def header(column) -> str:
        unit = units.get(column, units.get("*", ""))
        return f"{column} ({unit})" if unit else str(column)

    out = df.rename(columns=header)
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(numbers.stored)
    return out


def workbook_name(ev) -> str | None:
    """The file name of a chapter's live-formula workbook (None when the evaluation has none)."""
    return f"{ev.name}-workbook.xlsx" if ev.workbook is not None else None

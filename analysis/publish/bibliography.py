"""A bibliography entry as the book's citations show it, outside Sphinx: :func:`label` gives
``Author (Year)`` from the book's own style (``book/_ext/bibliography_style.py``), so that text
written by code (an edition's banner, a workbook's sources) names a source exactly as the pages do:
``Banco Interamericano de Desarrollo (n.d., ES-L1165)``.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from ..core.params import ROOT

BIB = ROOT / "book" / "references.bib"
STYLE = ROOT / "book" / "_ext" / "bibliography_style.py"


@functools.cache
def _style():
    # the Sphinx extension's module, loaded by path: book/_ext is not a package
    spec = importlib.util.spec_from_file_location("bibliography_style", STYLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _labels(bib: Path = BIB) -> dict:
    """key -> (author, year) for every entry, made unique over the whole list as the book does."""
    from pybtex.database import parse_file

    style = _style()
    ordered = sorted(parse_file(str(bib)).entries.values(), key=style.sort_key)
    return {e.key: style.split_label(lab, e) for lab, e in zip(style.unique_labels(ordered), ordered)}


def label(key: str, bib: Path = BIB) -> str:
    """``Author (Year)``, as ``{cite:t}`` renders the entry; KeyError for a key not in the bibliography."""
    author, year = _labels(bib)[key]
    return f"{author} ({year})"

"""How the book is cited: :func:`metadata`, :func:`authors`, :func:`licences`, :func:`reference`,
:func:`bibtex` and :func:`cite_block` read ``CITATION.cff`` (the one place the book's citation is
written; ``python -m analysis release`` updates its version and date), for the landing page, the
PDF cover and the PDF's metadata.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..core.params import ROOT

CFF = ROOT / "CITATION.cff"


def metadata(path: Path = CFF) -> dict:
    """``CITATION.cff`` as a dict (dates as text)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def authors(meta: dict) -> list[str]:
    """Each author as a reader names it: an entity by its name, a person ``Family, Given``."""
    out = []
    for a in meta["authors"]:
        if "name" in a:
            out.append(a["name"])
        else:
            family = " ".join(p for p in (a.get("name-particle"), a.get("family-names"), a.get("name-suffix")) if p)
            out.append(", ".join(p for p in (family, a.get("given-names")) if p))
    return out


def licences(meta: dict) -> list[str]:
    lic = meta.get("license", [])
    return [lic] if isinstance(lic, str) else list(lic)


def reference(meta: dict) -> str:
    """A plain-text reference: ``Authors (Year). Title (version X). Date. URL``."""
    names = " and ".join(authors(meta))
    date = str(meta.get("date-released", ""))
    parts = [f"{names} ({date[:4] or 'n.d.'}).", f"{meta['title']} (version {meta['version']})."]
    if date:
        parts.append(f"Released {date}.")
    if meta.get("url") or meta.get("repository-code"):
        parts.append(meta.get("url") or meta["repository-code"])
    return " ".join(parts)


def _bibtex_text(text: str) -> str:
    # BibTeX's special characters, so that the snippet parses as the text it shows
    return re.sub(r"([&%$#_])", r"\\\1", text)


def bibtex(meta: dict, key: str = "housing_finance_book") -> str:
    """A BibTeX entry (``@software``); an entity author in double braces, so that BibTeX keeps it
    whole as an institution rather than a person ("contributors, The project's")."""
    names = []
    for a, name in zip(meta["authors"], authors(meta)):
        names.append(f"{{{_bibtex_text(name)}}}" if "name" in a else _bibtex_text(name))
    date = str(meta.get("date-released", ""))
    fields = {
        "author": " and ".join(names),
        "title": f"{{{_bibtex_text(meta['title'])}}}",  # braced: styles keep its capitals
        "version": meta["version"],
        "year": date[:4],
        "month": date[5:7].lstrip("0"),
        "url": meta.get("url") or meta.get("repository-code"),
        "license": ", ".join(licences(meta)),
    }
    lines = [f"  {k} = {{{v}}}," for k, v in fields.items() if v]
    return "\n".join([f"@software{{{key},", *lines, "}"])


def cite_block(meta: dict | None = None) -> str:
    """The body of the landing page's "Cite this book" section (MyST; the heading is the page's: a
    heading in a cell's output is not a section): the message, title, version, date, repository
    (when one is published), licences, a plain-text reference and a BibTeX entry."""
    meta = meta if meta is not None else metadata()
    repo = meta.get("repository-code") or meta.get("url")
    rows = [
        ("Title", meta["title"]),
        ("Version", meta["version"]),
        ("Released", meta.get("date-released", "not yet")),
        ("Repository", repo),
        ("Licences", ", ".join(licences(meta))),
    ]
    rows = [(k, v) for k, v in rows if v]  # no repository address is published yet: no line
    # a list, not a table: every table of the book has a caption and a reason to be one
    facts = "\n".join(f"- **{k}**: {v}" for k, v in rows)
    return "\n\n".join(
        [
            " ".join(str(meta.get("message", "")).split()),
            facts,
            "As a reference:",
            f"> {reference(meta)}",
            "In BibTeX:",
            f"```bibtex\n{bibtex(meta)}\n```",
            "This block is read from the repository's `CITATION.cff`.",
        ]
    )

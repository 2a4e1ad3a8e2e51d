"""What an executed page reads, so that the build re-executes a page only when one of them changed.

A page reads its notebook, its evaluation's data (every evaluation's for an overview page), the
bibliography, the pinned requirements, and the modules of the package it imports, found from
the imports themselves (read with ``ast``, nothing is run), transitively. Importing a module runs
its parent packages' ``__init__``, so those count too; the root ``analysis/__init__.py`` holds
only ``__version__`` and counts only for a page that imports the version (a release then
re-executes only the pages that show it). A page citing the book (:mod:`analysis.publish.citation`)
reads ``CITATION.cff`` too, one naming a source (:mod:`analysis.publish.bibliography`) the
bibliography's style. The registry imports its evaluations by name
(``importlib``): ``analysis.evaluations`` counts as importing every package of ``PACKAGES``.

The same reading of the imports is what ``tests/test_layers.py`` checks the layers with.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from .. import __version__
from ..core.params import ROOT
from ..evaluations import PACKAGES, REGISTRY

PACKAGE = ROOT / "analysis"
# The release snapshots, read by the module that compares with them (analysis.release.releases).
SNAPSHOTS, SNAPSHOTS_READER = "data/results", "analysis.release.releases"
# Files read by a module rather than imported: the citation metadata, the bibliography's style.
READ_BY = {
    "analysis.publish.citation": "CITATION.cff",
    "analysis.publish.bibliography": "book/_ext/bibliography_style.py",
}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """``analysis/core/params.py`` -> ``analysis.core.params``; a package's ``__init__`` -> the package."""
    rel = path.relative_to(package.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def modules(package: Path = PACKAGE) -> dict:
    """Every module of the package: {dotted name: path}."""
    return {module_name(p, package): p for p in sorted(package.rglob("*.py")) if "__pycache__" not in p.parts}


def imports_in(source: str, package: str, known) -> list:
    """(imported module or top-level name, line, inside a function?) of one module's ``source``;
    ``package`` is the package a relative import starts from; ``from . import x`` names the module
    ``x`` when ``known`` has it."""
    tree = ast.parse(source)
    inside = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside.update(id(n) for n in ast.walk(fn) if n is not fn)
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            targets = [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom):
            if n.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - n.level + 1])
                root = f"{base}.{n.module}" if n.module else base
            else:
                root = n.module or ""
            targets = [f"{root}.{a.name}" if f"{root}.{a.name}" in known else root for a in n.names]
        else:
            continue
        out += [(t, n.lineno, id(n) in inside) for t in dict.fromkeys(targets)]
    return out


def imports(name: str, path: Path, known) -> list:
    """:func:`imports_in` of the module ``name`` at ``path``."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    return imports_in(path.read_text(encoding="utf-8"), package, known)


def graph(package: Path = PACKAGE) -> dict:
    """{module: the package's modules it imports at its top level or in a function}."""
    known = modules(package)
    # Parsing every module takes a quarter of a second and a build asks for each page: the graph is
    # kept while no module's size or modification time changes.
    key = tuple((name, p.stat().st_mtime_ns, p.stat().st_size) for name, p in known.items())
    if _GRAPHS.get(package, (None,))[0] != key:
        _GRAPHS[package] = (
            key,
            {
                name: {t for t, _, _ in imports(name, path, known) if t in known and t != name}
                for name, path in known.items()
            },
        )
    return {name: set(targets) for name, targets in _GRAPHS[package][1].items()}


_GRAPHS: dict = {}


def _notebook_imports(path: Path, known) -> set:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    return {t for t, _, _ in imports_in(code, "", known) if t in known}


def modules_read(notebook: Path) -> list:
    """The files of the package a notebook's code imports, directly or through other modules."""
    return [path for _, path in _closure(notebook)]


def _closure(notebook: Path) -> list:
    known = modules()
    g = graph()
    top = PACKAGE.name
    g[f"{top}.evaluations"] |= {f"{top}.evaluations.{p}" for p in PACKAGES}
    seen, todo = set(), list(_notebook_imports(notebook, known))
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo += g[m]
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(2, len(parts))]  # parent packages, not the root
    return sorted((m, known[m]) for m in seen)


def files(pattern: str) -> list:
    """The files under ROOT matching ``pattern``, sorted (no byte-code caches)."""
    return sorted(p for p in ROOT.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)


def page_files(stem: str, evaluation: str) -> list:
    """Every file the page ``stem`` reads: its notebook; the data of ``evaluation`` ("*": of every
    registered one); the modules it imports; the bibliography and the pinned requirements; and,
    for a page that compares with the releases, their snapshots (except this version's own,
    which a release writes after executing the book, from the same results)."""
    notebook = ROOT / "notebooks" / f"{stem}.ipynb"
    names = list(REGISTRY) if evaluation == "*" else [evaluation]
    closure = _closure(notebook)
    read = [notebook]
    for name in names:
        read += files(f"data/{name}/**/*") + files(f"data/published/{name}/**/*")
    if any(m == SNAPSHOTS_READER for m, _ in closure):
        read += [p for p in files(f"{SNAPSHOTS}/**/*") if p.relative_to(ROOT).parts[2] != __version__]
    read += [ROOT / READ_BY[m] for m, _ in closure if m in READ_BY]
    read += [path for _, path in closure]
    read += [ROOT / "book" / "references.bib", ROOT / "requirements.txt"]
    return read

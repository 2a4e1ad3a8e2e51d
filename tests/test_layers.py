"""The package's layers, read from its imports (AST, no import is run).

    analysis.core         the numerical library: parameters, finance, contract, reconcile, readings,
                          uncertainty, the explorer's grid, the workbooks' calculation vocabulary
    analysis.evaluations  the models and the registry
    analysis.publish      markup, chapters, summary pages, downloads, workbooks, explorer page, build, PDF
    analysis.release      releases and the site
    analysis.cli, bench   the command line

A module imports only its own layer and those below; no import of the package sits inside a
function (that is how the old circle build <-> chapter <-> explorer <-> pdf <-> results <-> workbook
hid); there is no circle inside a layer either; the numerical layers import no rendering library;
Sphinx extensions live under book/_ext.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis.publish import inputs  # the build reads a page's imports the same way

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "analysis"
LAYERS = (
    ("analysis",),  # the package's __init__: the version, nothing else
    ("analysis.core",),
    ("analysis.evaluations",),
    ("analysis.publish",),
    ("analysis.release",),
    ("analysis.cli", "analysis.bench", "analysis.__main__"),
)
RENDERING = ("xlsxwriter", "matplotlib", "IPython", "myst_nb", "jupyter_book", "sphinx", "papermill", "nbformat")
RENDERING += ("playwright", "pypdf", "docutils", "bs4")


def modules() -> dict:
    return inputs.modules(PACKAGE)


def layer(name: str) -> int:
    best = None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or (prefix != "analysis" and name.startswith(prefix + ".")):
                best = i
    assert best is not None, f"{name}: in no layer; add it to LAYERS in {Path(__file__).name}"
    return best


def imports(name: str, path: Path) -> list:
    """(imported module of the package or other top-level name, line, inside a function?) of one module."""
    return inputs.imports(name, path, modules())


def graph() -> dict:
    return inputs.graph(PACKAGE)


def test_every_module_is_in_a_layer():
    for name in modules():
        layer(name)


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{path.relative_to(ROOT)}:{line}: {name} (layer {layer(name)}) imports {target} (layer {layer(target)})"
        for name, path in modules().items()
        for target, line, _ in imports(name, path)
        if target.startswith("analysis") and layer(target) > layer(name)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_of_the_package_inside_a_function():
    hidden = [
        f"{path.relative_to(ROOT)}:{line}: imports {target} inside a function"
        for name, path in modules().items()
        for target, line, inside in imports(name, path)
        if inside and target.startswith("analysis")
    ]
    assert not hidden, "\n".join(hidden)


def test_no_import_circle():
    g = graph()
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in g:
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


@pytest.mark.parametrize("top", ["analysis.core", "analysis.evaluations"])
def test_the_numerical_layers_import_nothing_that_renders(top):
    found = [
        f"{path.relative_to(ROOT)}:{line}: {target}"
        for name, path in modules().items()
        if name.startswith(top)
        for target, line, _ in imports(name, path)
        if target.split(".")[0] in RENDERING
    ]
    assert not found, "\n".join(found)


def test_sphinx_extensions_live_under_book():
    in_package = [
        str(path.relative_to(ROOT))
        for path in modules().values()
        if any(
            isinstance(n, ast.FunctionDef) and n.name == "setup" and [a.arg for a in n.args.args] == ["app"]
            for n in ast.parse(path.read_text(encoding="utf-8")).body
        )
    ]
    assert not in_package, f"Sphinx extensions in the package (move them to book/_ext): {in_package}"
    assert (ROOT / "book" / "_ext" / "pdf_link.py").is_file()


def test_the_checks_see_a_violation(tmp_path, monkeypatch):
    """The checks above can fail: a core module importing the publishing layer inside a function is
    caught as both an upward import and a hidden one, and two modules importing each other as a circle."""
    fake = tmp_path / "analysis"
    (fake / "core").mkdir(parents=True)
    (fake / "publish").mkdir()
    for init in (fake / "__init__.py", fake / "core" / "__init__.py", fake / "publish" / "__init__.py"):
        init.write_text("")
    (fake / "core" / "a.py").write_text("def f():\n    from ..publish import b\n")
    (fake / "publish" / "b.py").write_text("from ..core import a\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    with pytest.raises(AssertionError, match="imports analysis.publish.b"):
        test_no_module_imports_a_layer_above_its_own()
    with pytest.raises(AssertionError, match="inside a function"):
        test_no_import_of_the_package_inside_a_function()
    with pytest.raises(AssertionError, match="import circles"):
        test_no_import_circle()

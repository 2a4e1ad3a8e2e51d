"""The registry of evaluations: one :class:`analysis.core.contract.Evaluation` per entry.

Everything that iterates over evaluations (command line, build, summary, uncertainty page,
release snapshot, tests) reads ``REGISTRY`` and nothing else. To add an evaluation, write its
package here (its ``__init__`` defines ``EVALUATION``), its notebook and data folder, and add its
name to ``PACKAGES``.
"""

from __future__ import annotations

import importlib

from ..core.contract import Evaluation
from ..core.params import ParameterError, Scenario

# One entry per evaluation: the package's name. The order is the book's, one chapter each.
PACKAGES = ("peru", "elsalvador", "gret")

REGISTRY: dict[str, Evaluation] = {
    e.name: e for e in (importlib.import_module(f"{__name__}.{package}").EVALUATION for package in PACKAGES)
}


def get(name: str) -> Evaluation:
    """The evaluation called ``name``; a ParameterError naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError(
            "command line", "evaluation", f"unknown evaluation {name!r} (known: {', '.join(REGISTRY)})"
        ) from None


def load(name: str, scenario: str | None = None, overrides: dict | None = None, origin: str = "override") -> Scenario:
    """The validated parameters of ``scenario`` (default: the one the book shows)."""
    return get(name).load(scenario, overrides, origin)


def run(name: str, scenario: str | None = None, overrides: dict | None = None, origin: str = "override"):
    """Load and evaluate: returns ``(Scenario, Result)``."""
    return get(name).run(scenario, overrides, origin)

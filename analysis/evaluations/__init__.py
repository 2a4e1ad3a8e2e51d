"""The registry of evaluations: one :class:`analysis.contract.Evaluation` per entry.

Everything that iterates over evaluations (command line, build, summary, uncertainty page,
release snapshot, tests) reads ``REGISTRY`` and nothing else. To add an evaluation, write its
package here, its notebook and data folder, and add it to the tuple below.
"""
from __future__ import annotations

from ..contract import Evaluation
from ..params import ParameterError, Scenario
from . import elsalvador, gret, peru

# The order is the book's: one chapter each, in this order.
REGISTRY: dict[str, Evaluation] = {e.name: e for e in (
    peru.EVALUATION,
    elsalvador.EVALUATION,
    gret.EVALUATION,
)}


def get(name: str) -> Evaluation:
    """The evaluation called ``name``; a ParameterError naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError("command line", "evaluation",
                             f"unknown evaluation {name!r} (known: {', '.join(REGISTRY)})") from None


def load(name: str, scenario: str | None = None, overrides: dict | None = None) -> Scenario:
    """The validated parameters of ``scenario`` (default: the one the book shows)."""
    return get(name).load(scenario, overrides)


def run(name: str, scenario: str | None = None, overrides: dict | None = None):
    """Load and evaluate: returns ``(Scenario, Result)``."""
    return get(name).run(scenario, overrides)

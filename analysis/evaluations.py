"""The registry of evaluations: load a scenario's parameters and run its model."""
from __future__ import annotations

from . import elsalvador, gret, params, peru

EVALUATIONS = {m.EVALUATION: m for m in (elsalvador, peru, gret)}


def module(evaluation: str):
    try:
        return EVALUATIONS[evaluation]
    except KeyError:
        raise params.ParameterError("command line", "evaluation",
                                    f"unknown evaluation {evaluation!r} (known: {', '.join(EVALUATIONS)})") from None


def load(evaluation: str, scenario: str | None = None, overrides: dict | None = None) -> params.Scenario:
    """The validated parameters of ``scenario`` (default: the evaluation's published case)."""
    m = module(evaluation)
    return params.load(evaluation, scenario or m.DEFAULT_SCENARIO, m.PARAMETERS, overrides, m.check)


def run(evaluation: str, scenario: str | None = None, overrides: dict | None = None):
    """Load and evaluate: returns ``(Scenario, Result)``."""
    sc = load(evaluation, scenario, overrides)
    return sc, module(evaluation).evaluate(sc.values)

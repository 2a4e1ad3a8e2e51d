"""The "What changed" page's tables as a reviewer reads them: evaluations, scenarios, measures and
parameters in words, values as the book shows them (7.05 %, not 0.0705), no missing-value marker,
no bibliography key (a source is a live citation), and the changes of value first. A locator whose
wording alone changed (same value, same source) is counted, not listed: a release that rewords its
locators must not bury the one value that moved.

Each function reads :func:`analysis.release.releases.compare`'s frames, whose value columns are
``value_<a>``, ``value_<b>`` (and ``source_*``, ``locator_*``) for the two names compared.
"""

from __future__ import annotations

import json

import pandas as pd

from .. import evaluations
from ..core import numbers, uncertainty
from ..core.params import bibliography_keys
from ..publish.markup import cell, format_value


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v))


def evaluation_name(name: str) -> str:
    ev = evaluations.REGISTRY.get(name)
    return ev.title.split(":")[0] if ev else name.replace("_", " ")


def _spec(evaluation: str, parameter: str):
    ev = evaluations.REGISTRY.get(evaluation)
    return ev.parameters.get(parameter) if ev else None


def parameter_name(evaluation: str, parameter: str) -> str:
    """A parameter in words, as the registers and verdicts name it."""
    spec = _spec(evaluation, parameter)
    return (uncertainty.label(spec) if spec is not None and spec.doc else "") or parameter.replace("_", " ")


def _measure(evaluation: str, metric: str):
    """(words, unit, formatter) of a metric; a metric that is not a headline one ("effort_rate.reference")
    in words, its value to 6 significant digits."""
    ev = evaluations.REGISTRY.get(evaluation)
    for m in ev.metrics if ev else ():
        if m.name == metric:
            return m.label, m.unit, m.format
    return metric.replace("_", " ").replace(".", ", "), "", lambda x: f"{x:,.6g}"


def _value(evaluation: str, parameter: str, v) -> str:
    """A snapshot's value (JSON text in the release's files, a number or text here) as the register shows it."""
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except ValueError:
            pass
    return format_value(v, _spec(evaluation, parameter))


def _scenarios(names: list, evaluation: str) -> str:
    """Scenarios in words; every scenario of the evaluation as "all N scenarios"."""
    names = list(dict.fromkeys(names))
    ev = evaluations.REGISTRY.get(evaluation)
    if ev is not None and len(names) > 3 and set(names) >= set(ev.scenarios()):
        return f"all {len(names)} scenarios"
    return ", ".join(n.replace("_", " ") for n in names)


def metrics(frame: pd.DataFrame, a: str, b: str, shown: tuple) -> pd.DataFrame:
    """Every metric that differs: evaluation, scenario, measure, unit, the two values (columns
    named ``shown``: "absent" on the side that has none) and the change, or "added", "removed"."""
    rows = []
    for r in frame.to_dict("records"):
        label, unit, fmt = _measure(r["evaluation"], r["metric"])
        old, new = r[f"value_{a}"], r[f"value_{b}"]
        if _missing(old) or _missing(new):
            change = "added" if _missing(old) else "removed"
        else:
            change = ("+" if new > old else "") + fmt(new - old)
            change = change.replace(numbers.NBSP + "%", numbers.NBSP + numbers.POINTS)  # a difference of rates
        rows.append(
            {
                "evaluation": evaluation_name(r["evaluation"]),
                "scenario": r["scenario"].replace("_", " "),
                "measure": label,
                "unit": unit,
                shown[0]: "absent" if _missing(old) else fmt(old),
                shown[1]: "absent" if _missing(new) else fmt(new),
                "change": change,
            }
        )
    return pd.DataFrame(rows, columns=["evaluation", "scenario", "measure", "unit", *shown, "change"])


def _source(key) -> str:
    """A source as a live citation; a key the bibliography no longer has, said in words."""
    if _missing(key) or key == "":
        return "none"
    return f"{{cite:t}}`{key}`" if key in bibliography_keys() else "a source no longer in the bibliography"


def parameters(frame: pd.DataFrame, a: str, b: str, shown: tuple) -> dict:
    """The parameters that differ, in three parts:

    ``values``: the parameters whose value changed, added or removed (one row for the scenarios
    that share the change): evaluation, scenarios, parameter, the two values (columns ``shown``,
    "absent" on a side without it);
    ``sources``: value unchanged, source changed (MyST table lines, live citations);
    ``reworded``: the number of entries whose locator alone changed, and in which evaluations."""
    has_source = f"source_{a}" in frame.columns
    values, sources, reworded = {}, {}, {}
    for r in frame.to_dict("records"):
        ev, par = r["evaluation"], r["parameter"]
        old, new = r[f"value_{a}"], r[f"value_{b}"]
        if _missing(old) or _missing(new) or _value(ev, par, old) != _value(ev, par, new):
            key = (ev, par, *("absent" if _missing(v) else _value(ev, par, v) for v in (old, new)))
            values.setdefault(key, []).append(r["scenario"])
        elif has_source and str(r[f"source_{a}"]) != str(r[f"source_{b}"]):
            key = (ev, par, r[f"source_{a}"], r[f"source_{b}"])
            sources.setdefault(key, []).append(r["scenario"])
        else:
            reworded[evaluation_name(ev)] = reworded.get(evaluation_name(ev), 0) + 1
    value_rows = pd.DataFrame(
        [
            {
                "evaluation": evaluation_name(ev),
                "scenarios": _scenarios(scs, ev),
                "parameter": parameter_name(ev, par),
                shown[0]: old,
                shown[1]: new,
            }
            for (ev, par, old, new), scs in values.items()
        ],
        columns=["evaluation", "scenarios", "parameter", *shown],
    )
    source_lines = []
    if sources:
        source_lines = [
            f"| evaluation | scenarios | parameter | source, {cell(shown[0])} | source, {cell(shown[1])} |",
            "|---|---|---|---|---|",
        ] + [
            f"| {cell(evaluation_name(ev))} | {cell(_scenarios(scs, ev))} | {cell(parameter_name(ev, par))} "
            f"| {_source(old)} | {_source(new)} |"
            for (ev, par, old, new), scs in sources.items()
        ]
    return {"values": value_rows, "sources": source_lines, "reworded": reworded}


def reworded_sentence(reworded: dict) -> str:
    """One line for the locators whose wording alone changed, or "" if none did."""
    n = sum(reworded.values())
    if not n:
        return ""
    where = ", ".join(f"{k} {v}" for k, v in reworded.items())
    return (
        f"{n} {'locator was' if n == 1 else 'locators were'} reworded, with the same value and source "
        f"({where}); `python -m analysis diff` lists them."
    )


def changelog_markdown(text: str) -> str:
    """A CHANGELOG line for the page: its code spans (`reference_income`) as code, every other
    character shown literally (never a backtick printed, never Markdown interpreted)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code span
        return cell(text.replace("`", ""))
    return "".join(_literal(p) if i % 2 == 0 else f"`{p}`" for i, p in enumerate(parts))


def _literal(part: str) -> str:
    """:func:`cell`, keeping one space at either edge (the spaces around a code span)."""
    if not part.strip():
        return " " if part else ""
    return (" " if part[0].isspace() else "") + cell(part) + (" " if part[-1].isspace() else "")

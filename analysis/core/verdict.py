"""The verdict on an evaluation's conclusion: one vocabulary, one rule, computed once.

Every page, the PDF, the workbooks and the command line show what :func:`judge` returns, in the
words of :data:`WORDS`, through :meth:`Verdict.parts` (the sentence, with its numbers as data so
that the book can glue them). Nothing else words a verdict.

The rule, applied in this order:

* **does not hold**: the decision criterion fails at the scenario's values;
* **depends on a reading**: it holds, but one of the readings declared in the evaluation's
  contract (a slip of the document, an alternative reading, a correction, or an alternative of a
  contested choice of method, ``Evaluation.choices``), applied alone, flips it;
* **holds but fragile**: it holds under every reading, but an assumption flips it at a value
  inside its documented range, or it fails in at least :data:`FAILS_IN_DRAWS` of the Monte Carlo
  draws of the declared distributions;
* **robust**: none of these.

"The assumption the conclusion is most fragile to" is the first of :func:`uncertainty.fragility`'s
ranking: the assumptions that flip it inside their documented range first, then by how far the
switching value lies from the value, in widths of that range. Policy choices (the social discount
rate, ``Evaluation.policy``) are not assumptions in this sense and are never named.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass

import pandas as pd

from . import numbers, readings, uncertainty

WORDS = ("robust", "holds but fragile", "depends on a reading", "does not hold")
ROBUST, FRAGILE, READING, FAILS = WORDS
FAILS_IN_DRAWS = 0.05  # "fails in at least 5 % of the draws": fragile
CONFIDENCE = 0.95
Z = 1.959963984540054  # the normal quantile of a two-sided 95 % interval
# What the explorer says at a point of its grid (no draws there: holds or not, no verdict)
AT_A_POINT = {True: "holds at these values", False: "does not hold at these values"}
MEANING = {
    ROBUST: "holds at the scenario, under every declared reading, at every documented range and in "
    f"more than {numbers.percent(1 - FAILS_IN_DRAWS, 0)} of the draws",
    FRAGILE: "holds at the scenario and under every declared reading, but an assumption flips it inside "
    f"its documented range, or it fails in at least {numbers.percent(FAILS_IN_DRAWS, 0)} of the draws",
    READING: "holds at the scenario, but a reading declared in the evaluation (of the document, or of a contested "
    "choice of method) flips it",
    FAILS: "the criterion fails at the scenario's values",
}


def vocabulary() -> pd.DataFrame:
    """The verdicts and their rule, in the order the rule applies them (the uncertainty page)."""
    order = (FAILS, READING, FRAGILE, ROBUST)
    return pd.DataFrame({"verdict": order, "when": [MEANING[w] for w in order]})


def scenario_label(name: str, overrides: dict) -> str:
    """How every page names a run: the scenario, "with overrides" when it has some."""
    return f"{name} with overrides" if overrides else name


def wilson(failures: int, n: int, z: float = Z) -> tuple:
    """Wilson score interval of a proportion (Wilson 1927): (low, high). Unlike the normal
    approximation it stays inside [0, 1] and is not empty at 0 or n failures."""
    if n <= 0:
        return (math.nan, math.nan)
    p = failures / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if failures == 0 else max(0.0, centre - half)  # exact at the ends, not to the last bit
    high = 1.0 if failures == n else min(1.0, centre + half)
    return (low, high)


@dataclass(frozen=True)
class Number:
    """A number in a verdict's sentence: ``value`` shown with the format ``spec`` and ``suffix``
    (a percentage is scaled to percent points here, so that the value is the one shown)."""

    name: str
    value: float
    spec: str
    suffix: str = ""

    def shown(self) -> str:
        return f"{self.value + 0.0:{self.spec}}{self.suffix}"


@dataclass(frozen=True)
class Assumption:
    """An assumption with a switching value: where it flips the conclusion, against its range."""

    parameter: str
    label: str  # in words
    kind: str  # "uncertain" (drawn), "design choice" (ranged, not drawn)
    value: float
    switching_value: float
    low: float | None
    high: float | None
    inside: bool  # the switching value lies inside the documented range
    widths: float | None  # |switching value - value| in widths of the documented range
    percent: bool  # shown as a percentage

    def number(self, name: str, value: float) -> Number:
        if self.percent:
            return Number(name, *numbers.glued(value, 0, "written percent"))
        return Number(name, *numbers.glued(value, 0, "written"))


@dataclass(frozen=True)
class Verdict:
    """The verdict on one evaluation's conclusion at one scenario, with its reasons as data."""

    evaluation: str
    scenario: str
    word: str
    criterion: str  # the conclusion in words: "the programme's NPV ... is at least zero"
    metric: str
    measure: str  # the metric in words
    value: float
    shown: Number  # the value as the pages show it
    unit_before: str  # "USD " before a sum of money, else ""
    holds: bool
    draws: int
    p_fails: float
    p_fails_low: float
    p_fails_high: float
    flips_inside: tuple = ()  # Assumptions flipping it inside their documented range, most fragile first
    most_fragile: Assumption | None = None
    readings_flipping: tuple = ()  # (key, label, value shown) of each reading that flips it
    calibrated: tuple = ()  # (label, value shown, how) of each parameter solved from the published results

    def parts(self) -> list:
        """The verdict as a sentence: a list of text pieces and :class:`Number` s."""
        out = [f"{self.word[0].upper()}{self.word[1:]}. At scenario {self.scenario}, {self.criterion}: "]
        out += [f"{'it holds' if self.holds else 'it does not'} ({self.measure}: {self.unit_before}", self.shown]
        out += ["). It fails in ", _pct("p_fails", self.p_fails), " of ", Number("draws", self.draws, ",.0f")]
        out += [
            " independent draws of the declared distributions (",
            Number("confidence", *numbers.glued(CONFIDENCE, 0, "percent")),
        ]
        out += [" interval "]
        out += [_pct("p_fails_low", self.p_fails_low), " to ", _pct("p_fails_high", self.p_fails_high), ")."]
        if self.flips_inside:
            a = self.flips_inside[0]
            n = len(self.flips_inside)
            if n > 1:
                out += [
                    " ",
                    Number("flipping", n, ".0f"),
                    f" assumptions flip it inside their documented ranges, first the {a.label}, at ",
                ]
            else:
                out += [f" One assumption flips it inside its documented range: the {a.label}, at "]
            out += [a.number("switch", a.switching_value)]
            out += [" against ", a.number("value", a.value), " (range ", a.number("low", a.low)]
            out += [" to ", a.number("high", a.high), ")."]
        elif self.most_fragile is not None:
            a = self.most_fragile
            out += [f" No assumption flips it inside its documented range; the nearest is the {a.label}, at "]
            out += [a.number("switch", a.switching_value), " against ", a.number("value", a.value), "."]
        else:
            out += [" No assumption flips it within the values it may take."]
        if self.readings_flipping:
            labels = "; ".join(label for _, label, _ in self.readings_flipping)
            many = len(self.readings_flipping) > 1
            out += [f" {'Readings flip it' if many else 'A reading flips it'}: {labels}."]
        if self.calibrated:
            out += [" The published result is matched through calibrated values: "]
            for i, (label, number, how) in enumerate(self.calibrated):
                out += ["; " if i else "", f"the {label}, ", number, f", {how}"]
            out += ["."]
        return out

    @property
    def sentence(self) -> str:
        return "".join(p if isinstance(p, str) else p.shown() for p in self.parts())

    def as_dict(self) -> dict:
        """The verdict for JSON (``run --json``, ``sensitivity --json``): words, numbers and reasons."""

        def assumption(a):
            return None if a is None else {k: getattr(a, k) for k in Assumption.__dataclass_fields__}

        return {
            "word": self.word,
            "vocabulary": list(WORDS),
            "sentence": self.sentence,
            "scenario": self.scenario,
            "criterion": self.criterion,
            "metric": self.metric,
            "value": self.value,
            "holds": self.holds,
            "monte_carlo": {
                "draws": self.draws,
                "p_fails": self.p_fails,
                "interval_95": [self.p_fails_low, self.p_fails_high],
                "fragile_at_or_above": FAILS_IN_DRAWS,
            },
            "most_fragile": assumption(self.most_fragile),
            "flips_inside_range": [assumption(a) for a in self.flips_inside],
            "readings_flipping": [{"key": k, "label": label, "value": v} for k, label, v in self.readings_flipping],
            "calibrated": [{"parameter": label, "value": n.shown(), "how": how} for label, n, how in self.calibrated],
        }


def _metric_number(metric, value: float, name: str = "metric") -> Number:
    """The decision metric as :meth:`Metric.format` shows it, as a Number."""
    return Number(name, *numbers.glued(value, metric.decimals, "percent" if metric.fmt == "percent" else "number"))


def _value_number(name: str, spec, value: float) -> Number:
    """A parameter's value as the verdict shows it: with the digits it was written with
    (:func:`numbers.written`), a share as a percentage."""
    form = "written percent" if spec.kind == "share" or spec.fmt == "percent" else "written"
    return Number(name, *numbers.glued(value, 0, form))


def _pct(name: str, share: float) -> Number:
    return Number(name, *numbers.glued(share, 1, "percent"))


def _finite(x) -> bool:
    return x is not None and math.isfinite(float(x))


def ranked(result: dict) -> list:
    """The assumptions of an :func:`uncertainty.analyse` result that have a switching value, most
    fragile first (see the module docstring), as :class:`Assumption` s."""
    ev = result["evaluation"]
    out = []
    for r in uncertainty.candidates(uncertainty.fragility(result)).itertuples():
        spec = ev.parameters[r.parameter]
        out.append(
            Assumption(
                parameter=r.parameter,
                label=uncertainty.label(spec),
                kind=r.kind,
                value=float(r.value),
                switching_value=float(r.switching_value),
                low=float(r.range_low) if _finite(r.range_low) else None,
                high=float(r.range_high) if _finite(r.range_high) else None,
                inside=bool(r.within_range),
                widths=float(r.widths) if _finite(r.widths) else None,
                percent=spec.kind == "share" or spec.fmt == "percent",
            )
        )
    return out


def rule(holds: bool, reading_flips: bool, flips_inside_range: bool, p_fails: float) -> str:
    """The verdict's word (see the module docstring): the first that applies."""
    if not holds:
        return FAILS
    if reading_flips:
        return READING
    if flips_inside_range or p_fails >= FAILS_IN_DRAWS:
        return FRAGILE
    return ROBUST


def judge(result: dict) -> Verdict:
    """The verdict of one :func:`uncertainty.analyse` result (its evaluation, scenario and
    overrides)."""
    ev, sc, mc = result["evaluation"], result["scenario"], result["monte_carlo"]
    crit = ev.criterion
    metric = ev.metric(crit.metric)
    value = float(ev.evaluate(sc.values).metrics[crit.metric])
    holds = bool(crit.passes(value))
    failures = int(round(mc["p_fails"] * mc["draws"]))
    low, high = wilson(failures, mc["draws"])
    order = ranked(result)
    inside = tuple(a for a in order if a.inside)
    flipping = tuple(
        (r.key, r.label, ev.metric((r.criterion or crit).metric).format(v))
        for r, v in readings.flipping(ev, sc.values, sc.name, holds)
    )
    calibrated = tuple(
        (uncertainty.label(ev.parameters[k]), _value_number(f"calibrated_{i}", ev.parameters[k], sc.values[k]), how)
        for i, (k, how) in enumerate(ev.calibrated.items(), start=1)
    )
    return Verdict(
        evaluation=ev.name,
        scenario=scenario_label(sc.name, sc.overrides),
        word=rule(holds, bool(flipping), bool(inside), mc["p_fails"]),
        criterion=crit.label,
        metric=crit.metric,
        value=value,
        measure=metric.label,
        shown=_metric_number(metric, value),
        unit_before="USD " if metric.unit == "USD" else "",
        holds=holds,
        draws=int(mc["draws"]),
        p_fails=float(mc["p_fails"]),
        p_fails_low=low,
        p_fails_high=high,
        flips_inside=inside,
        most_fragile=order[0] if order else None,
        readings_flipping=flipping,
        calibrated=calibrated,
    )


def uniform_p_fails(result: dict) -> float:
    """The probability that the conclusion fails with every distribution of ``result`` uniform
    over its bounds (:func:`uncertainty.uniform_shapes`), the same draws and seed."""
    ev, mc = result["evaluation"], result["monte_carlo"]
    entries = uncertainty.uniform_shapes(result["entries"])
    return uncertainty.monte_carlo(ev, result["scenario"].values, entries, mc["draws"], mc["seed"])["p_fails"]


def ranking(across: pd.DataFrame) -> list:
    """The programmes ranked by the probability that their conclusion fails, and whether the
    ranking survives uniform shapes, as one sentence of text pieces and :class:`Number` s
    (``across``: the first table :func:`comparison` returns)."""
    from_declared = across.sort_values("probability it fails", ascending=False, kind="stable")
    from_uniform = across.sort_values("probability it fails, every shape uniform", ascending=False, kind="stable")
    out = ["Ranked by the probability that the conclusion fails: "]
    for i, (_, r) in enumerate(from_declared.iterrows(), start=1):
        p = r["probability it fails"]
        out += [", " if i > 1 else "", f"{r['programme']} (", _pct(f"declared_{r['evaluation']}", p), ")"]
    out += [". With every distribution uniform over the same bounds (the shapes are this book's choice): "]
    for i, (_, r) in enumerate(from_uniform.iterrows(), start=1):
        p = r["probability it fails, every shape uniform"]
        out += [", " if i > 1 else "", f"{r['programme']} (", _pct(f"uniform_{r['evaluation']}", p), ")"]
    same = list(from_declared["evaluation"]) == list(from_uniform["evaluation"])
    out += [". The ranking survives uniform shapes." if same else ". The ranking does not survive uniform shapes."]
    return out


def comparison(runs) -> tuple:
    """Across programmes: each conclusion's verdict, how likely it fails and what it is most
    fragile to. ``runs``: what :func:`uncertainty.analyse` returned, one per evaluation. Returns
    (one row per evaluation, the fragility table of every evaluation, their Sobol indices, the
    verdicts by evaluation)."""
    rows, frames, indices, verdicts = [], [], [], {}
    for res in runs:
        ev = res["evaluation"]
        v = res.get("verdict") or judge(res)
        verdicts[ev.name] = v
        frames.append(uncertainty.fragility(res).assign(evaluation=ev.name))
        indices.append(res["sobol"].assign(evaluation=ev.name))
        top = v.most_fragile
        rows.append(
            {
                "evaluation": ev.name,
                "programme": ev.title.split(":")[0],  # the title's first words: "Peru", "El Salvador"
                "scenario": v.scenario,
                "the conclusion": v.criterion,
                "verdict": v.word,
                "probability it fails": v.p_fails,
                "95\u00a0% interval, low": v.p_fails_low,
                "95\u00a0% interval, high": v.p_fails_high,
                "probability it fails, every shape uniform": uniform_p_fails(res),
                "most fragile assumption": None if top is None else top.label,
                "its distance to switching, in widths of its range": None if top is None else top.widths,
                "assumptions flipping it inside their range": len(v.flips_inside),
                "largest tornado swing": uncertainty.label(ev.parameters[res["tornado"]["parameter"].iloc[0]]),
                "largest share of the variance": uncertainty.label(ev.parameters[res["sobol"]["parameter"].iloc[0]]),
                "distributions whose bounds are this book's choice": uncertainty.book_bounds(res["scenario"].entries),
            }
        )
    return pd.DataFrame(rows), pd.concat(frames, ignore_index=True), pd.concat(indices, ignore_index=True), verdicts


_ANALYSED: dict = {}


def analysed(
    ev,
    scenario: str | None = None,
    overrides: dict | None = None,
    draws: int = uncertainty.DEFAULT_DRAWS,
    seed: int = uncertainty.DEFAULT_SEED,
    with_sobol: bool = False,
) -> dict:
    """:func:`uncertainty.analyse` with its ``verdict`` added, once per inputs in a process (a page,
    a workbook and the command line ask for the same run more than once). The verdict does not read
    the Sobol indices: they are left out unless ``with_sobol``."""
    overrides = json.dumps(overrides or {}, sort_keys=True, default=str)
    key = (ev.name, ev.criterion, scenario or ev.scenario, overrides, draws, seed, with_sobol)
    if key not in _ANALYSED:
        res = uncertainty.analyse(ev, scenario, json.loads(overrides), draws=draws, seed=seed, with_sobol=with_sobol)
        _ANALYSED[key] = {**res, "verdict": judge(res)}
    return _ANALYSED[key]


def under_readings(
    ev,
    scenario: str | None = None,
    overrides: dict | None = None,
    draws: int = uncertainty.DEFAULT_DRAWS,
    seed: int = uncertainty.DEFAULT_SEED,
    base: Verdict | None = None,
) -> pd.DataFrame:
    """ "Readings that can change the answer": for each choice of method of ``ev``, the book's
    reading and every alternative, each computed in full (its decision metric and its verdict,
    with the Monte Carlo's probability that it fails). Columns: :data:`READING_COLUMNS`. ``base``:
    the verdict at the book's readings, where the caller has it already."""
    base = base or analysed(ev, scenario, overrides, draws, seed)["verdict"]
    rows = []
    for c in ev.choices:
        rows.append(_reading_row(c, "book", c.default, True, base, base))
        for r in c.alternatives:
            variant = ev if r.criterion is None else dataclasses.replace(ev, criterion=r.criterion)
            v = analysed(variant, scenario, {**(overrides or {}), **r.overrides}, draws, seed)["verdict"]
            rows.append(_reading_row(c, r.key, r.label, False, v, base))
    return pd.DataFrame(rows, columns=list(READING_COLUMNS))


READING_COLUMNS = (
    "choice",
    "key",
    "reading",
    "default",  # this book's reading
    "measure",  # the decision metric in words
    "value",
    "shown",  # the value as the verdict shows it
    "verdict",
    "p_fails",
    "flips",  # the conclusion holds under it where it does not under the book's reading, or the reverse
)


def _reading_row(choice, key: str, label: str, default: bool, v: Verdict, base: Verdict) -> dict:
    return {
        "choice": choice.question,
        "key": key,
        "reading": label,
        "default": default,
        "measure": v.measure,
        "value": v.value,
        "shown": f"{v.unit_before}{v.shown.shown()}",
        "verdict": v.word,
        "p_fails": v.p_fails,
        "flips": v.holds != base.holds,
    }


def why_the_mean(result: dict, top: int = 2) -> list:
    """Why the Monte Carlo mean of the decision metric lies away from its value at the scenario, in
    one sentence from :func:`uncertainty.mean_gap`: the declared distributions whose means lie
    furthest from the scenario's values, by how much each alone moves the metric. Text pieces and
    :class:`Number` s (the chapter glues them)."""
    ev = result["evaluation"]
    gap = uncertainty.mean_gap(result)
    metric = ev.metric(gap.attrs["metric"])
    usd = "USD " if metric.unit == "USD" else ""
    a = gap.attrs
    if gap.empty:
        return ["No assumption is drawn: the Monte Carlo mean is the scenario's value."]
    side = "below" if a["monte_carlo_mean"] < a["at_scenario"] else "above"
    out = [
        f"The Monte Carlo mean of the {metric.label}, {usd}",
        _metric_number(metric, a["monte_carlo_mean"], "mc_mean"),
    ]
    out += [f", lies {side} its value at the scenario, {usd}", _metric_number(metric, a["at_scenario"], "at_scenario")]
    out += [", because the scenario's values are not the centres of the declared distributions: with every drawn "]
    out += [f"assumption at its distribution's mean it is {usd}"]
    out += [_metric_number(metric, a["all_at_means"], "all_at_means"), ". The largest moves: "]
    for i, r in enumerate(gap.head(top).itertuples(), start=1):
        spec = ev.parameters[r.parameter]
        if metric.fmt == "percent":  # a change of a rate, in percentage points
            shift = Number(f"shift_{i}", *numbers.glued(r.shift, metric.decimals, "points", sign=True))
        else:
            shift = Number(f"shift_{i}", *numbers.glued(r.shift, metric.decimals, sign=True))
        out += ["; " if i > 1 else "", f"the {uncertainty.label(spec)} ({r.kind}, mean "]
        out += [
            _value_number(f"mean_{i}", spec, r.distribution_mean),
            " against ",
            _value_number(f"value_{i}", spec, r.value),
        ]
        out += [f"; alone at that mean it changes the {metric.label} by {usd}", shift, ")"]
    out += [". The shapes are this book's choice; the bounds and their sources are in the table of switching values."]
    return out

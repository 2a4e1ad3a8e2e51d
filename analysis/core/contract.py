"""The evaluation contract: what every evaluation declares and delivers.

An evaluation is one :class:`Evaluation` object in the registry (``analysis.evaluations``). The
command line, the build, the summary and uncertainty pages, the release snapshot and the tests
read evaluations only through it. Adding an evaluation is its package
(``analysis/evaluations/<name>/``), its notebook (``notebooks/<name>.ipynb``), its data folder
(``data/<name>/``, ``data/published/<name>/``) and one registry entry.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import numbers, params, readings, reconcile

BETTER = ("higher", "lower")
FORMATS = ("money", "percent", "ratio", "number")
DIRECTIONS = (">=", "<=")
READING_KINDS = ("document slip", "alternative reading", "correction", "method")


@dataclass
class Result:
    """What every evaluation returns: headline numbers (flat name -> float), tables (name ->
    DataFrame) and notes (name -> text)."""

    metrics: dict
    tables: dict
    notes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """A headline metric: ``name`` is its key in ``Result.metrics`` (e.g. ``total.npv``)."""

    name: str
    label: str  # in words: "NPV of the programme"
    unit: str  # "USD", "share", "ratio", "USD a month"
    fmt: str = "number"  # one of FORMATS: how the book shows it
    decimals: int = 0  # decimals that mean something (after the format's scaling: percent points)
    better: str = "higher"
    # Where the document publishes it: (table, row, column, scale) of data/published/<name>/published.csv,
    # the scenario being the one evaluated ("{scenario}" in row stands for its name); scale turns the
    # printed unit into the metric's (0.01 for a percentage).
    published: tuple = ()

    def __post_init__(self):
        if self.fmt not in FORMATS:
            raise ValueError(f"metric {self.name}: format {self.fmt!r} is not one of {FORMATS}")
        if self.better not in BETTER:
            raise ValueError(f"metric {self.name}: better must be one of {BETTER}")

    def format(self, value) -> str:
        """The value as the book shows it: ``12.3 %``, ``2,244,518``, ``1.87``."""
        if self.fmt == "percent":
            return numbers.percent(value, self.decimals)
        return numbers.number(value, self.decimals)

    def change(self, difference) -> str:
        """A difference of two values of the metric: ``+1.20 percentage points`` for a rate (never
        %), ``+2,244`` otherwise; zero unsigned."""
        if self.fmt == "percent":
            return numbers.points(difference, self.decimals)
        return numbers.number(difference, self.decimals, sign=True)


@dataclass(frozen=True)
class Criterion:
    """The decision rule: the conclusion holds when ``metric direction threshold``
    (NPV >= 0, B/C >= 1, effort rate <= its ceiling)."""

    metric: str
    threshold: float
    direction: str = ">="
    label: str = ""  # in words: "the programme's NPV is at least zero"

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ValueError(f"criterion on {self.metric}: direction must be one of {DIRECTIONS}")

    def passes(self, value):
        """True where the conclusion holds (array-safe; NaN never passes)."""
        v = np.asarray(value, dtype=float)
        out = v >= self.threshold if self.direction == ">=" else v <= self.threshold
        return bool(out) if out.ndim == 0 else out

    def fails(self, value):
        v = np.asarray(value, dtype=float)
        out = ~np.asarray(self.passes(v)) & np.isfinite(v) | ~np.isfinite(v)
        return bool(out) if out.ndim == 0 else out

    @property
    def failure(self) -> str:
        """The failure condition as text: ``total.npv < 0``."""
        return f"{self.metric} {'<' if self.direction == '>=' else '>'} {self.threshold:g}"


@dataclass(frozen=True)
class Reading:
    """A reading of the document other than the one the published scenario follows.

    ``kind``: ``document slip`` (the published numbers follow a slip the text contradicts),
    ``alternative reading`` (the text supports another value), ``correction`` (what the text
    describes, where the published sheet does otherwise) or ``method`` (an alternative of a
    contested :class:`Choice` of method). ``scenarios``: the scenarios it applies to (empty: all).
    ``criterion``: the decision rule under this reading, where the reading is of the rule itself
    (None: the evaluation's).
    """

    key: str
    label: str
    overrides: Mapping
    locator: str
    kind: str
    scenarios: tuple = ()
    criterion: Criterion | None = None

    def __post_init__(self):
        if self.kind not in READING_KINDS:
            raise ValueError(f"reading {self.key}: kind {self.kind!r} is not one of {READING_KINDS}")

    def applies_to(self, scenario: str | None) -> bool:
        return scenario is None or not self.scenarios or scenario in self.scenarios


@dataclass(frozen=True)
class Choice:
    """A contested choice of method, on which the verdict may turn: what the document says (its
    words, in Spanish, with their locator), the reading this book follows and why, and the
    alternatives, each a :class:`Reading` computed in full, with its own verdict, in the chapter's
    table "Readings that can change the answer" (usually of kind ``method``; a reading of the
    document that is also a contested method is listed in both places, computed once)."""

    key: str
    question: str  # "Are the flows nominal or real?"
    quote: str  # the document's words, as printed
    locator: str
    default: str  # the reading this book follows, in words
    why: str  # why this book follows it
    alternatives: tuple  # Readings


@dataclass(frozen=True)
class Evaluation:
    """One evaluation: its parameters, model, headline metrics, decision rule, published tables
    and readings. See the module docstring for where each part lives."""

    name: str
    title: str  # the chapter's title
    operation: str  # the operation evaluated, in one line (the introduction's table of evaluations)
    source: str  # BibTeX key of the evaluated document
    scenario: str  # the scenario the book shows
    parameters: Mapping[str, params.Spec]
    check: Callable[[dict], tuple | None]  # rules across parameters: (key, reason) or None
    evaluate: Callable[[dict], Result]
    evaluate_batch: Callable[..., dict]  # (values, draws: name -> N values) -> metric -> N values
    metrics: tuple  # headline Metrics, most important first
    criterion: Criterion
    reproduce: Callable[[str, dict], pd.DataFrame]  # (scenario, values) -> table, row, column, value
    readings: tuple = ()  # Readings of the document (slips, alternative readings, corrections)
    choices: tuple = ()  # Choices of method that a reviewer may contest (their alternatives are readings too)
    # parameters whose value is solved from the published results (parameter -> how): the
    # reproduction of those results is then a calibration, and every verdict says so
    calibrated: Mapping = field(default_factory=dict)
    compared: tuple = ()  # scenarios the summary shows side by side (default: the book's)
    corrected: str | None = None  # the scenario that corrects the document's slips, if any
    rate_of_return: str | None = None  # the IRR metric, for Monte Carlo percentiles
    tables: tuple = field(default=())  # Result tables offered as downloads (default: all)
    # the unit of each downloaded table's values, for the files' headers: table -> {column: unit},
    # "*" for the columns not named; a key column (year, period) or a column of words has "" (none)
    units: Mapping = field(default_factory=dict)
    # module with STRUCTURAL and calculation(book, values, result); see analysis.publish.workbook
    workbook: object = None
    # parameters that are policy choices, not uncertain quantities (the social discount rate): shown
    # with their switching value, never named the assumption the conclusion is most fragile to
    policy: tuple = ()
    explore: tuple = ()  # parameters of the chapter's explorer (default: the 3 largest total Sobol indices)
    explore_series: str | None = None  # prefix of batch outputs the explorer adds (e.g. "effort_rate.")
    # where the document prints each of those outputs: (table, row, column, scale), "{key}" in any
    # of them standing for what follows the prefix (the income of "effort_rate.200")
    explore_series_published: tuple = ()

    def __post_init__(self):
        names = {m.name for m in self.metrics}
        if self.criterion.metric not in names:
            raise ValueError(f"{self.name}: the criterion's metric {self.criterion.metric!r} is not a headline metric")
        keys = [r.key for r in self.all_readings]
        if len(keys) != len(set(keys)):
            raise ValueError(f"{self.name}: reading keys must be unique")
        unknown = set(self.policy) - set(self.parameters)
        if unknown:
            raise ValueError(f"{self.name}: policy parameter {sorted(unknown)[0]!r} is not a parameter")
        for r in self.all_readings:
            unknown = set(r.overrides) - set(self.parameters)
            if unknown:
                raise ValueError(f"{self.name}: reading {r.key} overrides unknown parameter {sorted(unknown)[0]!r}")
            if r.criterion is not None and r.criterion.metric not in names:
                raise ValueError(
                    f"{self.name}: reading {r.key}'s criterion is on {r.criterion.metric!r}, no headline metric"
                )
        unknown = set(self.calibrated) - set(self.parameters)
        if unknown:
            raise ValueError(f"{self.name}: calibrated parameter {sorted(unknown)[0]!r} is not a parameter")

    @property
    def all_readings(self) -> tuple:
        """The readings of the document, then the alternatives of every choice of method."""
        own = tuple(self.readings)
        return own + tuple(r for c in self.choices for r in c.alternatives if r not in own)

    # --- parameters --------------------------------------------------------------------------
    def load(
        self, scenario: str | None = None, overrides: dict | None = None, origin: str = "override"
    ) -> params.Scenario:
        """The validated parameters of ``scenario`` (default: the one the book shows); ``origin``
        names where the overrides come from ("command line", "papermill")."""
        return params.load(self.name, scenario or self.scenario, self.parameters, overrides, self.check, origin=origin)

    def run(self, scenario: str | None = None, overrides: dict | None = None, origin: str = "override"):
        """Load and evaluate: ``(Scenario, Result)``.

        A headline metric that is not a finite number is a :class:`params.ParameterError` naming
        the overrides' origin (or the scenario's file) and the metric: inputs too large overflow
        the computation, and "n/a" would be a silent wrong result. The rate of return alone may be
        undefined (no sign change in the flows), unless the computation overflowed."""
        sc = self.load(scenario, overrides, origin)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            try:
                with np.errstate(over="warn"):
                    result = self.evaluate(sc.values)
            except OverflowError:
                result, caught = None, [warnings.WarningMessage("overflow", RuntimeWarning, "", 0)]
        overflow = any("overflow" in str(w.message) for w in caught)
        for m in self.metrics:
            value = math.nan if result is None else result.metrics.get(m.name, math.nan)
            if np.isfinite(value) or (m.name == self.rate_of_return and not overflow and not np.isinf(value)):
                continue
            where = origin if sc.overrides else sc.files[-1]
            cause = "the computation overflows: a value is too large" if overflow else "check the parameter values"
            if sc.overrides:
                cause += f" (set {', '.join(f'{k}={v!r}' for k, v in sc.overrides.items())})"
            raise params.ParameterError(where, m.name, f"the result is {value} ({m.label}): {cause}")
        for w in caught:  # no error: the warnings as they would have been shown
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return sc, result

    def scenarios(self) -> list:
        return params.scenario_names(self.name)

    def summary_scenarios(self) -> tuple:
        return self.compared or (self.scenario,)

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"{self.name}: no headline metric {name!r}")

    # --- published tables and readings ---------------------------------------------------------
    def reconcile(self) -> pd.DataFrame:

        return reconcile.reconcile(self)

    def reading_effects(self, values: dict, scenario: str | None = None) -> pd.DataFrame:

        return readings.effects(self, values, scenario)

"""Parameter files: load, merge (``extends``), override and validate.

A parameter file (``data/<evaluation>/<scenario>.yaml``) holds one entry per assumption::

    description: Base case as published
    extends: as_published          # optional: start from another scenario of the same evaluation
    parameters:
      rent_to_price:
        value: 0.085
        unit: share of home value per year
        source: idb2023elsalvador   # BibTeX key in book/references.bib
        locator: para. 2.4
        note: optional remark

An entry in a file that ``extends`` another may give only the fields it changes.
Every problem is raised as :class:`ParameterError`, naming the file, the key and the reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
BIBLIOGRAPHY = ROOT / "book" / "references.bib"

ENTRY_FIELDS = {"value", "unit", "source", "locator", "note", "range", "distribution"}
# Optional uncertainty fields of an entry (numeric parameters only), each cited like the value:
#   range: {low, high, source, locator, note}              -> tornado and switching-value search
#   distribution: {kind: uniform|triangular, low, high, mode (triangular), bounds, source, locator, note}
#     bounds: "document" when the sources give the bounds, "this book" when the book chose them (the
#     shape of every distribution is this book's choice: no source gives one)
UNCERTAINTY_FIELDS = {"range": {"low", "high"}, "distribution": {"kind", "low", "high", "mode", "bounds"}}
DISTRIBUTIONS = ("uniform", "triangular")
BOUNDS = ("document", "this book")
REQUIRED_FIELDS = ("value", "unit", "source", "locator")
FILE_FIELDS = {"description", "extends", "parameters"}


class ParameterError(ValueError):
    """A parameter file or override is wrong; the message names file, key and reason."""

    def __init__(self, file, key, reason):
        self.file, self.key, self.reason = display_path(file), key, reason
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {reason}")


def display_path(path) -> str:
    """A path as messages show it: relative to the project when inside it."""
    p = Path(path)
    return str(p.relative_to(ROOT)) if p.is_absolute() and p.is_relative_to(ROOT) else str(path)


@dataclass(frozen=True)
class Spec:
    """What a parameter may be. ``kind`` is one of:
    number, integer, share (a number in [0, 1]), boolean, choice, number_list,
    integer_list, share_map (term -> share, shares summing to 1). ``doc`` says what the parameter
    means (the register shows it); ``fmt="percent"`` shows a rate as 7.05 % (shares always are)."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    doc: str = ""
    fmt: str = ""


@dataclass
class Scenario:
    """A validated parameter set with the provenance of every entry."""

    evaluation: str
    name: str
    description: str
    entries: dict  # name -> {value, unit, source, locator, note, file, origin, replaced}
    files: list = field(default_factory=list)
    overrides: dict = field(default_factory=dict)
    origin: str = ""  # where the overrides came from: "command line", "papermill", ...

    @property
    def values(self) -> dict:
        return {k: e["value"] for k, e in self.entries.items()}

    @property
    def sha256(self) -> str:
        """SHA-256 of the parameter files in the chain (base first) and of the overrides."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(Path(f).read_bytes())
        if self.overrides:
            h.update(json.dumps(self.overrides, sort_keys=True, default=str).encode())
        return h.hexdigest()


def bibliography_keys(path: Path = BIBLIOGRAPHY) -> set:
    """Citation keys of a BibTeX file (``@type{key,`` lines)."""
    return set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", path.read_text(encoding="utf-8")))


def scenario_names(evaluation: str, data_dir: Path = DATA_DIR) -> list:
    return sorted(p.stem for p in (data_dir / evaluation).glob("*.yaml"))


def _read(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(path, None, f"not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise ParameterError(path, None, "expected a mapping with 'parameters'")
    unknown = set(doc) - FILE_FIELDS
    if unknown:
        raise ParameterError(
            path, sorted(unknown)[0], f"unknown top-level key (allowed: {', '.join(sorted(FILE_FIELDS))})"
        )
    params = doc.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ParameterError(path, "parameters", "missing or not a mapping of entries")
    for key, entry in params.items():
        if not isinstance(entry, dict):
            raise ParameterError(path, key, "an entry must be a mapping with value, unit, source, locator")
        extra = set(entry) - ENTRY_FIELDS
        if extra:
            raise ParameterError(
                path, key, f"unknown field {sorted(extra)[0]!r} (allowed: {', '.join(sorted(ENTRY_FIELDS))})"
            )
    return doc


def _chain(evaluation: str, name: str, data_dir: Path, seen=()) -> list:
    """The files of a scenario, base first, following ``extends``."""
    path = data_dir / evaluation / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(scenario_names(evaluation, data_dir)) or "none"
        where = seen[-1] if seen else data_dir / evaluation
        raise ParameterError(where, "extends" if seen else "scenario", f"no scenario {name!r} (known: {known})")
    if path in seen:
        raise ParameterError(path, "extends", "circular extends")
    doc = _read(path)
    parent = doc.get("extends")
    if parent is None:
        return [(path, doc)]
    if not isinstance(parent, str):
        raise ParameterError(path, "extends", "must be a scenario name")
    return _chain(evaluation, parent, data_dir, seen + (path,)) + [(path, doc)]


def check_value(file, key, value, spec: Spec):
    """Type and range check of one value against its :class:`Spec`; returns the value."""

    def fail(reason):
        raise ParameterError(file, key, reason)

    def number(x, what="a number"):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            fail(f"expected {what}, got {x!r}")
        lo = 0.0 if spec.kind in ("share", "share_map") else spec.low
        hi = 1.0 if spec.kind in ("share", "share_map") else spec.high
        if lo is not None and x < lo:
            fail(f"{x!r} is below the minimum {lo!r}")
        if hi is not None and x > hi:
            fail(f"{x!r} is above the maximum {hi!r}")
        return x

    kind = spec.kind
    if kind in ("number", "share"):
        return float(number(value))
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            fail(f"expected a whole number, got {value!r}")
        return int(number(value))
    if kind == "boolean":
        if not isinstance(value, bool):
            fail(f"expected true or false, got {value!r}")
        return value
    if kind == "choice":
        if value not in spec.choices:
            fail(f"{value!r} is not one of {', '.join(map(str, spec.choices))}")
        return value
    if kind in ("number_list", "integer_list"):
        if not isinstance(value, list):
            fail(f"expected a list, got {value!r}")
        item = Spec("integer" if kind == "integer_list" else "number", spec.low, spec.high)
        return [check_value(file, f"{key}[{i}]", v, item) for i, v in enumerate(value)]
    if kind == "share_map":
        if not isinstance(value, dict) or not value:
            fail(f"expected a mapping of term to share, got {value!r}")
        out = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
                fail(f"term {k!r} must be a positive whole number")
            out[k] = float(number(v, "a share"))
        if abs(sum(out.values()) - 1.0) > 1e-9:
            fail(f"shares must sum to 1, they sum to {sum(out.values()):g}")
        return out
    raise AssertionError(f"unknown spec kind {kind}")


def _check_uncertainty(file, key, name: str, block, spec: Spec, bib_keys: set) -> dict:
    """Validate a ``range`` or ``distribution`` block of a numeric parameter."""
    where = f"{key}.{name}"
    if spec.kind not in ("number", "share", "integer"):
        raise ParameterError(file, where, f"only numeric parameters can have a {name}")
    if not isinstance(block, dict):
        raise ParameterError(file, where, "must be a mapping")
    allowed = UNCERTAINTY_FIELDS[name] | {"source", "locator", "note"}
    extra = set(block) - allowed
    if extra:
        raise ParameterError(file, where, f"unknown field {sorted(extra)[0]!r} (allowed: {', '.join(sorted(allowed))})")
    required = ["low", "high", "source", "locator"] + (["kind", "bounds"] if name == "distribution" else [])
    for f in required:
        if f not in block:
            raise ParameterError(file, where, f"missing field {f!r}")
    if block["source"] not in bib_keys:
        raise ParameterError(file, where, f"source {block['source']!r} is not a key of the bibliography")
    out = dict(block)
    for f in ("low", "high", "mode"):
        if f in block:
            out[f] = float(
                check_value(
                    file,
                    f"{where}.{f}",
                    block[f],
                    Spec("number" if spec.kind == "integer" else spec.kind, spec.low, spec.high),
                )
            )
    if out["low"] >= out["high"]:
        raise ParameterError(file, where, f"low {out['low']!r} must be below high {out['high']!r}")
    if name == "distribution":
        if block["bounds"] not in BOUNDS:
            raise ParameterError(file, where, f"bounds {block['bounds']!r} is not one of {', '.join(BOUNDS)}")
        if block["kind"] not in DISTRIBUTIONS:
            raise ParameterError(file, where, f"kind {block['kind']!r} is not one of {', '.join(DISTRIBUTIONS)}")
        if block["kind"] == "triangular" and not out["low"] <= out.get("mode", math.nan) <= out["high"]:
            raise ParameterError(file, where, "a triangular distribution needs low <= mode <= high")
    return out


def coerce_override(text: str):
    """Parse a ``KEY=VALUE`` value from the command line as YAML (numbers, lists, mappings)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def load(
    evaluation: str,
    name: str,
    specs: dict,
    overrides: dict | None = None,
    checker=None,
    data_dir: Path = DATA_DIR,
    bibliography: Path = BIBLIOGRAPHY,
    origin: str = "override",
) -> Scenario:
    """Load scenario ``name`` of ``evaluation``, apply ``overrides`` and validate everything.

    ``specs`` maps each parameter to its :class:`Spec`; ``checker(values)`` may raise
    ``(key, reason)`` pairs as :class:`ParameterError` for rules across parameters.
    ``origin`` names where the overrides come from ("command line", "papermill", ...).

    Provenance of every entry: ``file`` and ``origin`` name the file that set its value (or
    ``origin`` for an override); ``replaced`` is None, or for an override the entry it replaced
    ({value, unit, source, locator, origin}): the override has no citation of its own.
    """
    chain = _chain(evaluation, name, data_dir)
    entries, description = {}, ""
    for path, doc in chain:
        description = doc.get("description", description)
        for key, entry in doc["parameters"].items():
            if key not in specs:
                raise ParameterError(
                    path, key, f"unknown parameter for {evaluation} (known: {', '.join(sorted(specs))})"
                )
            inherited = dict(entries.get(key, {}))
            if "value" in entry and "note" not in entry:
                inherited.pop("note", None)  # a note explains a value; a new value drops it
            merged = {**inherited, **entry, "file": display_path(path), "origin": display_path(path), "replaced": None}
            entries[key] = merged
    last = chain[-1][0]
    keys = bibliography_keys(bibliography)
    for key, spec in specs.items():
        if key not in entries:
            raise ParameterError(last, key, "missing (every parameter of the evaluation needs an entry)")
        entry = entries[key]
        for f in REQUIRED_FIELDS:
            if f not in entry or entry[f] in (None, ""):
                raise ParameterError(entry["file"], key, f"missing field {f!r}")
        if entry["source"] not in keys:
            raise ParameterError(entry["file"], key, f"source {entry['source']!r} is not a key of {bibliography.name}")
        entry["value"] = check_value(entry["file"], key, entry["value"], spec)
        for field_name in UNCERTAINTY_FIELDS:
            if field_name in entry:
                entry[field_name] = _check_uncertainty(entry["file"], key, field_name, entry[field_name], spec, keys)
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        if key not in specs:
            raise ParameterError(origin, key, f"unknown parameter for {evaluation} (known: {', '.join(sorted(specs))})")
        value = check_value(origin, key, value, specs[key])
        before = entries[key]
        entries[key] = {
            **before,
            "value": value,
            "file": origin,
            "origin": origin,
            "replaced": {f: before[f] for f in ("value", "unit", "source", "locator", "origin")},
            "note": f"set by {origin}; replaces {before['value']!r} ({before['origin']})",
        }
    scenario = Scenario(evaluation, name, description, entries, [p for p, _ in chain], overrides, origin)
    if checker is not None:
        problem = checker(scenario.values)
        if problem:
            key, reason = problem
            raise ParameterError(entries[key]["file"], key, reason)
    return scenario

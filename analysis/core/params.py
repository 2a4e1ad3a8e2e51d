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

import copy
import hashlib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.cyaml import CParser  # PyYAML's wheels include libyaml

ROOT = Path(__file__).resolve().parents[2]  # the repository: analysis/core/params.py
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
TEXT_FIELDS = ("unit", "source", "locator", "note")
FILE_FIELDS = {"description", "extends", "parameters"}


# --- reading YAML: one loader for files and --set values ---------------------------------------
# YAML 1.2 core schema: only true/false are booleans (yes, no, on, off are text), 010 is ten,
# 3e4 is a float, 0o10 is octal, dates are text. No duplicate keys (the second would silently win)
# and no anchors or aliases (a few lines of aliases can expand to gigabytes: refused, not bounded).
MAX_FILE_BYTES = 1_000_000  # a parameter file is a few kilobytes


class InputError(Exception):
    """A problem found while reading YAML text: ``key`` (or None) and ``reason``."""

    def __init__(self, key, reason):
        self.key, self.reason = key, reason
        super().__init__(f"{key}: {reason}" if key else reason)


def _line(node) -> str:
    return f"line {node.start_mark.line + 1}"


def _int(loader, node):
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-")
    base = 8 if digits.startswith("0o") else 16 if digits.startswith("0x") else 10
    if len(digits) > 400:
        raise InputError(None, f"{_line(node)}: the number {text[:20]}... is too large")
    try:
        value = int(digits[2:] if base != 10 else digits, base) * (-1 if text.startswith("-") else 1)
    except ValueError:
        raise InputError(None, f"{_line(node)}: {text!r} is not a whole number") from None
    if abs(value) > sys.float_info.max:
        raise InputError(None, f"{_line(node)}: the number {text[:20]}... is too large (beyond ±1.8e308)")
    return value


def _float(loader, node):
    text = loader.construct_scalar(node)
    special = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
    if text.lower() in special:
        return special[text.lower()]
    try:
        value = float(text)
    except ValueError:
        raise InputError(None, f"{_line(node)}: {text!r} is not a number") from None
    if math.isinf(value):
        raise InputError(None, f"{_line(node)}: the number {text} is too large (beyond ±1.8e308)")
    return value


class Loader(yaml.SafeLoader):
    """YAML 1.2 core schema, no duplicate keys, no anchors or aliases."""

    yaml_implicit_resolvers: dict = {}  # replaces YAML 1.1's: only the four core-schema resolvers below

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise InputError(None, f"{_line(event)}: YAML anchors and aliases (& and *) are not allowed")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise InputError(None, f"{_line(key_node)}: a key must be text or a number") from None
                if key in seen:
                    where = (
                        f"twice on {seen[key]}"
                        if seen[key] == _line(key_node)
                        else f"{seen[key]} and {_line(key_node)}"
                    )
                    raise InputError(str(key), f"duplicate key ({where}): the second would silently win")
                seen[key] = _line(key_node)
        return super().construct_mapping(node, deep)


Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
Loader.add_constructor("tag:yaml.org,2002:int", _int)
Loader.add_constructor("tag:yaml.org,2002:float", _float)


class _CLoader(CParser, Loader):
    """:class:`Loader`'s resolvers and constructors over libyaml's parser, about five times faster
    than the pure-Python one. libyaml composes anchors and nesting itself, so :func:`parse_yaml`
    only gives it text whose events it has checked; anything else goes to :class:`Loader`."""

    def __init__(self, stream):
        CParser.__init__(self, stream)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


_MAX_DEPTH = 100  # a parameter file nests about five deep; the pure-Python parser fails near 300


def _plain(text: str) -> bool:
    """Whether libyaml reads ``text`` without error, anchor or alias; raises :class:`InputError`
    for nesting deeper than ``_MAX_DEPTH`` (which libyaml's composer would recurse into in C)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CBaseLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                return False
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > _MAX_DEPTH:
                    raise InputError(None, "not valid YAML (nested too deeply)")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except (yaml.YAMLError, UnicodeError):  # e.g. a lone surrogate, which libyaml cannot encode
        return False  # the pure-Python parser words the error as the tests and users know it
    return True


# Parsed documents by their text: a scenario is loaded many times per run (every chapter, every
# uncertainty draw's set-up, the tests) and parsing is the slowest step of a load.
# Keyed by the text itself, so an edited file is parsed again; callers get their own copy.
_PARSED: dict = {}
_PARSED_MAX = 256


def parse_yaml(text: str):
    """Parse YAML text with :class:`Loader`; raises :class:`InputError` (key or None, reason)."""
    if text in _PARSED:
        return copy.deepcopy(_PARSED[text])
    try:
        doc = yaml.load(text, Loader=_CLoader if _plain(text) else Loader)  # noqa: S506 (safe loaders)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark else ""
        raise InputError(None, f"not valid YAML ({where}{exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise InputError(None, f"not valid YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise InputError(None, "not valid YAML (nested too deeply)") from None
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[text] = copy.deepcopy(doc)
    return doc


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


def scenario_names(evaluation: str, data_dir: Path | None = None) -> list:
    return sorted(p.stem for p in ((data_dir or DATA_DIR) / evaluation).glob("*.yaml"))


def _names(keys) -> str:
    return ", ".join(sorted(map(str, keys)))


def _read(path: Path) -> dict:
    """One parameter file, its structure checked (not yet its values)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ParameterError(path, None, f"larger than {MAX_FILE_BYTES:,} bytes: not a parameter file")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ParameterError(path, None, f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ParameterError(
            path, None, f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): save it as UTF-8"
        ) from None
    try:
        doc = parse_yaml(text)
    except InputError as exc:
        raise ParameterError(path, exc.key, exc.reason) from None
    if doc is None:
        raise ParameterError(path, None, "empty file (expected a mapping with 'description' and 'parameters')")
    if not isinstance(doc, dict):
        raise ParameterError(
            path, None, f"expected a mapping with 'parameters', got a {type(doc).__name__} (a YAML {_kind(doc)})"
        )
    unknown = set(doc) - FILE_FIELDS
    if unknown:
        raise ParameterError(
            path, sorted(map(str, unknown))[0], f"unknown top-level key (allowed: {_names(FILE_FIELDS)})"
        )
    if "description" in doc and not isinstance(doc["description"], str):
        raise ParameterError(path, "description", "must be text")
    params = doc.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ParameterError(path, "parameters", "missing or not a mapping of entries")
    for key, entry in params.items():
        if not isinstance(key, str):
            raise ParameterError(path, key, "a parameter's name must be text")
        if not isinstance(entry, dict):
            raise ParameterError(path, key, "an entry must be a mapping with value, unit, source, locator")
        extra = set(entry) - ENTRY_FIELDS
        if extra:
            raise ParameterError(
                path, key, f"unknown field {sorted(map(str, extra))[0]!r} (allowed: {_names(ENTRY_FIELDS)})"
            )
        for f in TEXT_FIELDS:
            if f in entry and entry[f] is not None and not isinstance(entry[f], str):
                raise ParameterError(path, key, f"{f} must be text, got {entry[f]!r}")
    return doc


def _kind(doc) -> str:
    return "list" if isinstance(doc, list) else "text" if isinstance(doc, str) else "scalar"


def _chain(evaluation: str, name: str, data_dir: Path, seen=()) -> list:
    """The files of a scenario, base first, following ``extends``."""
    path = data_dir / evaluation / f"{name}.yaml"
    if not isinstance(name, str) or name not in scenario_names(evaluation, data_dir):
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


def _short(x, width: int = 40) -> str:
    """repr of a value, cut for a one-line message."""
    text = repr(x)
    return text if len(text) <= width else text[: width - 3] + "..."


def check_value(file, key, value, spec: Spec):
    """Type and range check of one value against its :class:`Spec`; returns the value."""

    def fail(reason):
        raise ParameterError(file, key, reason)

    def number(x, what="a number"):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            fail(f"expected {what}, got {_short(x)}")
        if isinstance(x, int) and abs(x) > sys.float_info.max or isinstance(x, float) and not math.isfinite(x):
            fail(f"expected {what}, got {_short(x)}: not a finite number (beyond ±1.8e308 or nan)")
        lo = 0.0 if spec.kind in ("share", "share_map") else spec.low
        hi = 1.0 if spec.kind in ("share", "share_map") else spec.high
        if lo is not None and x < lo:
            fail(f"{_short(x)} is below the minimum {lo!r}")
        if hi is not None and x > hi:
            fail(f"{_short(x)} is above the maximum {hi!r}")
        return x

    kind = spec.kind
    if kind in ("number", "share"):
        return float(number(value))
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            fail(f"expected a whole number, got {_short(value)}")
        return int(number(value))
    if kind == "boolean":
        if not isinstance(value, bool):
            fail(f"expected true or false, got {_short(value)}")
        return value
    if kind == "choice":
        # true is not the choice 1: a boolean matches only a boolean choice
        same = [c for c in spec.choices if c == value and isinstance(c, bool) == isinstance(value, bool)]
        if not same:
            fail(f"{_short(value)} is not one of {', '.join(map(str, spec.choices))}")
        return same[0]
    if kind in ("number_list", "integer_list"):
        if not isinstance(value, list):
            fail(f"expected a list, got {_short(value)}")
        item = Spec("integer" if kind == "integer_list" else "number", spec.low, spec.high)
        return [check_value(file, f"{key}[{i}]", v, item) for i, v in enumerate(value)]
    if kind == "share_map":
        if not isinstance(value, dict) or not value:
            fail(f"expected a mapping of term to share, got {_short(value)}")
        out = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
                fail(f"term {_short(k)} must be a positive whole number")
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
        raise ParameterError(file, where, f"unknown field {sorted(map(str, extra))[0]!r} (allowed: {_names(allowed)})")
    required = ["low", "high", "source", "locator"] + (["kind", "bounds"] if name == "distribution" else [])
    for f in required:
        if f not in block:
            raise ParameterError(file, where, f"missing field {f!r}")
    for f in ("source", "locator", "note", "bounds", "kind"):
        if f in block and not isinstance(block[f], str):
            raise ParameterError(file, where, f"{f} must be text, got {_short(block[f])}")
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


def coerce_override(text: str, key: str = "", origin: str = "command line"):
    """Parse the VALUE of a ``KEY=VALUE`` override as YAML 1.2 (numbers, lists, mappings), with the
    loader of the parameter files; a problem is a :class:`ParameterError` naming ``origin`` and ``key``."""
    if not text.strip():
        raise ParameterError(origin, key, "no value after '=' (expected KEY=VALUE)")
    try:
        return parse_yaml(text)
    except InputError as exc:
        raise ParameterError(origin, key, exc.reason.replace("line 1: ", "")) from None


def _inheritance(path: Path, key: str, entry: dict, inherited: dict) -> None:
    """Provenance follows the value: an entry that changes an inherited value gives its own
    source and locator, or it would cite the parent's source for a number that source never gave."""
    if inherited and "value" in entry and entry["value"] != inherited.get("value"):
        missing = [f for f in ("source", "locator") if f not in entry]
        if missing:
            raise ParameterError(
                path,
                key,
                f"changes the value, so it needs its own source and locator (it would inherit "
                f"{Path(inherited['file']).name}'s citation for a number that source never gave)",
            )


def load(
    evaluation: str,
    name: str,
    specs: dict,
    overrides: dict | None = None,
    checker=None,
    data_dir: Path | None = None,
    bibliography: Path = BIBLIOGRAPHY,
    origin: str = "override",
) -> Scenario:
    """Load scenario ``name`` of ``evaluation``, apply ``overrides`` and validate everything.

    ``specs`` maps each parameter to its :class:`Spec`; ``checker(values)`` may raise
    ``(key, reason)`` pairs as :class:`ParameterError` for rules across parameters.
    ``origin`` names where the overrides come from ("command line", "papermill", ...).
    ``data_dir`` defaults to :data:`DATA_DIR` (read at call time, so a test can point it elsewhere).

    Provenance of every entry: ``file`` names the file that last set any of its fields, ``origin``
    the file that set its value (or ``origin`` for an override); ``replaced`` is None, or for an
    override the entry it replaced ({value, unit, source, locator, origin}): the override has no
    citation of its own. An entry that changes an inherited value must give its own source and locator.
    """
    chain = _chain(evaluation, name, data_dir or DATA_DIR)
    entries, description = {}, ""
    for path, doc in chain:
        description = doc.get("description", description)
        for key, entry in doc["parameters"].items():
            if key not in specs:
                raise ParameterError(path, key, f"unknown parameter for {evaluation} (known: {_names(specs)})")
            inherited = dict(entries.get(key, {}))
            _inheritance(path, key, entry, inherited)
            if "value" in entry and "note" not in entry:
                inherited.pop("note", None)  # a note explains a value; a new value drops it
            shown = display_path(path)
            set_by = shown if "value" in entry or not inherited else inherited["origin"]
            entries[key] = {**inherited, **entry, "file": shown, "origin": set_by, "replaced": None}
    last = chain[-1][0]
    keys = bibliography_keys(bibliography)
    for key, spec in specs.items():
        if key not in entries:
            raise ParameterError(last, key, "missing (every parameter of the evaluation needs an entry)")
        entry = entries[key]
        for f in REQUIRED_FIELDS:
            if f not in entry or entry[f] is None or entry[f] == "":
                raise ParameterError(entry["file"], key, f"missing field {f!r}")
        if entry["source"] not in keys:
            raise ParameterError(entry["file"], key, f"source {entry['source']!r} is not a key of {bibliography.name}")
        entry["value"] = check_value(entry["file"], key, entry["value"], spec)
        for field_name in UNCERTAINTY_FIELDS:
            if field_name in entry:
                entry[field_name] = _check_uncertainty(entry["file"], key, field_name, entry[field_name], spec, keys)
    if checker is not None:  # the files alone: a broken rule is the files' fault
        problem = checker({k: e["value"] for k, e in entries.items()})
        if problem:
            key, reason = problem
            if len(chain) > 1 and entries[key]["file"] != display_path(last):
                # the parent's own error if it has one, else this file's change broke the rule
                load(evaluation, chain[-2][0].stem, specs, None, checker, data_dir, bibliography)
                raise ParameterError(last, key, f"{reason} ({key} as set in {entries[key]['file']})")
            raise ParameterError(entries[key]["file"], key, reason)
    if overrides is not None and not isinstance(overrides, dict):  # e.g. papermill's -p overrides 0.1
        raise ParameterError(
            origin, "overrides", f"expected a mapping of parameter: value, got {type(overrides).__name__} {overrides!r}"
        )
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        if key not in specs:
            raise ParameterError(origin, key, f"unknown parameter for {evaluation} (known: {_names(specs)})")
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
    if checker is not None and overrides:  # the files passed: the overrides broke the rule
        problem = checker(scenario.values)
        if problem:
            key, reason = problem
            cause = "" if key in overrides else f" (after {', '.join(f'{k}={v!r}' for k, v in overrides.items())})"
            raise ParameterError(origin, key, reason + cause)
    return scenario

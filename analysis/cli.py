"""Command line: ``python -m analysis run|list|sensitivity|bench|release|workbook|build``.

Bad input (a parameter file, an option, a --set value) is one line on stderr,
``error: <file or option>: <key>: <reason>``, and exit status 2; nothing is printed on stdout.
An unexpected failure (a bug) is one line naming the command and exit status 1
(``ANALYSIS_TRACEBACK=1`` shows the traceback instead). When the reader of the output goes away
(``python -m analysis run peru | head -1``), the command stops quietly with status 141, as a Unix
tool killed by SIGPIPE does.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import textwrap
from pathlib import Path

from . import __version__, bench, evaluations
from .core import params, uncertainty, verdict
from .publish import build, workbook
from .release import releases, site

# Monte Carlo draws are held in memory at once: about 0.3 KB a draw, so 5,000,000 draws take
# about 2 GB.
MAX_DRAWS = 5_000_000
ORIGIN = "command line"  # the origin of --set overrides in provenance and messages


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one line: ``error: command line: --draws: invalid value``."""

    def error(self, message):
        message = message.replace("argument ", "", 1) if message.startswith("argument ") else message
        self.exit(2, f"error: {ORIGIN}: {message} (see {self.prog} --help)\n")


def _draws(text: str) -> int:
    n = _whole(text)
    if not 1 <= n <= MAX_DRAWS:
        raise argparse.ArgumentTypeError(
            f"{n:,} draws: give 1 to {MAX_DRAWS:,} (they are held in memory: about 2 GB at the limit)"
        )
    return n


def _seed(text: str) -> int:
    n = _whole(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"{n}: a seed is a whole number >= 0 (numpy's generator needs that)")
    return n


def _whole(text: str) -> int:
    try:
        return int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _clean(x):
    """JSON-safe: NaN/inf become null, numpy scalars become Python numbers."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _overrides(pairs) -> dict:
    """``--set KEY=VALUE`` pairs, each VALUE read as YAML 1.2 by the parameter files' loader."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep:
            raise params.ParameterError(ORIGIN, pair or "--set", "--set expects KEY=VALUE (no '=')")
        if not key:
            raise params.ParameterError(ORIGIN, pair, "--set expects KEY=VALUE (the key is empty)")
        if key in out:
            raise params.ParameterError(ORIGIN, key, "set twice with --set (give each parameter once)")
        out[key] = params.coerce_override(value, key, ORIGIN)
    return out


def _raw(value) -> str:
    """A parameter value as one would type it after --set: 0.0705, [4, 5], {20: 1.0}, true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_raw(k)}: {_raw(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_raw(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # 7500000, not 7500000.0
    if isinstance(value, (int, float)) and abs(value) >= 1e15:
        return f"{value:.6g}"  # 1e+300, not 301 digits
    return str(value)


def provenance(sc: params.Scenario) -> dict:
    """Per parameter: value, unit, source, locator, origin (the file that set the value, or the
    overrides' origin) and replaced (None, or the entry an override replaced: value, unit,
    source, locator, origin)."""
    fields = ("value", "unit", "source", "locator", "origin")
    return {
        key: {**{f: e[f] for f in fields}, "replaced": e["replaced"] and {f: e["replaced"][f] for f in fields}}
        for key, e in sc.entries.items()
    }


def _scenario(name: str | None) -> str | None:
    """--scenario as given; an empty name is an error, not the default scenario."""
    if name is not None and not name.strip():
        raise params.ParameterError(ORIGIN, "--scenario", "the scenario name is empty")
    return name


def _run(evaluation: str, scenario: str | None, overrides: dict):
    """Run with the command line as the overrides' origin: (Evaluation, Scenario, Result)."""
    ev = evaluations.get(evaluation)
    sc, result = ev.run(_scenario(scenario), overrides, ORIGIN)
    return ev, sc, result


def _verdict(ev, scenario: str, overrides: dict):
    """The verdict the book shows for this run (analysis.core.verdict), from the same analysis."""
    return verdict.analysed(ev, scenario, overrides)["verdict"]


def run_payload(evaluation: str, scenario: str | None, overrides: dict) -> dict:
    """Everything ``run --json`` prints, as a dict (``parameters``: see :func:`provenance`)."""
    ev, sc, result = _run(evaluation, scenario, overrides)
    return _clean(
        {
            "evaluation": evaluation,
            "scenario": sc.name,
            "version": __version__,
            "parameters_sha256": sc.sha256,
            "overrides": overrides,
            "parameters": provenance(sc),
            "metrics": result.metrics,
            "verdict": _verdict(ev, sc.name, overrides).as_dict(),
            "notes": {k: v for k, v in result.notes.items() if v},
            "tables": {name: df.to_dict(orient="records") for name, df in result.tables.items()},
        }
    )


def _signed(metric, value) -> str:
    return metric.change(value)


def _number(value) -> str:
    """A metric without a declared format: thousands separated, six significant digits below 100."""
    if value is None:
        return "n/a"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.6g}"


def cmd_run(args) -> int:
    overrides = _overrides(args.set)
    if args.json:
        text = json.dumps(run_payload(args.evaluation, args.scenario, overrides), indent=1, allow_nan=False)
        print(text)
        return 0

    ev, sc, result = _run(args.evaluation, args.scenario, overrides)
    base = ev.run(sc.name)[1] if overrides else None
    lines = [f"{ev.name} / {sc.name} (analysis {__version__}, parameters sha256 {sc.sha256[:12]})"]
    for key in overrides:
        e = sc.entries[key]
        lines.append(f"  set {key}: {_raw(e['value'])} (was {_raw(e['replaced']['value'])}, {e['replaced']['origin']})")
    lines.append("headline metrics" + (" (this run; the scenario unmodified; difference)" if base else ""))
    for m in ev.metrics:
        row = f"  {m.label} ({m.unit}): {m.format(result.metrics[m.name])}"
        if base:
            old = base.metrics[m.name]
            diff = result.metrics[m.name] - old
            row += f"; unmodified {m.format(old)}; difference {_signed(m, diff) if math.isfinite(diff) else 'n/a'}"
        lines.append(row)
    shown = {m.name for m in ev.metrics}
    others = {k: v for k, v in _clean(result.metrics).items() if k not in shown}
    if others:
        lines.append("other metrics")
        lines += [f"  {name:<36} {_number(value)}" for name, value in others.items()]
    lines += [f"  note on {name}: {note}" for name, note in result.notes.items() if note]
    lines += ["verdict", *_wrap(_verdict(ev, sc.name, overrides).sentence, 2)]
    for name, df in result.tables.items():
        lines.append(f"\n{name}\n" + df.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print("\n".join(lines))
    return 0


def _wrap(text: str, indent: int) -> list:
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
    return textwrap.wrap(
        " ".join(str(text).split()), width, initial_indent=" " * indent, subsequent_indent=" " * indent
    )


def _scenario_lines(ev) -> list:
    lines = [f"{ev.name}: {ev.title}"]
    names = ev.scenarios()
    pad = max(map(len, names)) + 2
    for name in names:
        sc = ev.load(name)
        mark = " (the book shows this one)" if name == ev.scenario else ""
        text = _wrap(sc.description + mark, 2 + pad)
        lines.append(f"  {name:<{pad}}" + (text[0][2 + pad :] if text else ""))
        lines += text[1:]
    return lines


def _parameter_lines(sc: params.Scenario) -> list:
    base = params.display_path(sc.files[0])
    pad = max(map(len, sc.entries)) + 2
    lines = []
    for key, e in sc.entries.items():
        lines.append(f"  {key:<{pad}}{_raw(e['value'])} {e['unit']}")
        where = f"{e['source']}, {e['locator']}" + ("" if e["origin"] == base else f" (set in {e['origin']})")
        lines += _wrap(where, 4 + pad)
    return lines


def cmd_list(args) -> int:
    if args.scenario is not None and not args.evaluation:
        raise params.ParameterError(ORIGIN, "--scenario", "needs an evaluation: list EVALUATION --scenario NAME")
    if not args.evaluation:
        lines = []
        for ev in evaluations.REGISTRY.values():
            lines += _scenario_lines(ev) + [""]
        print("\n".join(lines[:-1]))
        return 0
    ev = evaluations.get(args.evaluation)
    if args.scenario is None:
        sc = ev.load()
        lines = _scenario_lines(ev) + ["", f"parameters of {sc.name} (list {ev.name} --scenario NAME for another)"]
        print("\n".join(lines + _parameter_lines(sc)))
        return 0
    sc = ev.load(_scenario(args.scenario))
    lines = [f"{ev.name} / {sc.name}: {ev.title}", *_wrap(sc.description, 2)]
    lines.append("files (each extends the one before): " + " -> ".join(params.display_path(f) for f in sc.files))
    lines.append("parameters: value unit, then source (BibTeX key), locator, and the file when not the first")
    print("\n".join(lines + _parameter_lines(sc)))
    return 0


def sensitivity_payload(evaluation, scenario, overrides, draws, seed, follow: str = "shift") -> dict:
    """Everything ``sensitivity --json`` prints, as a dict (no raw draws)."""

    _run(evaluation, scenario, overrides)  # bad input named as the command line's, before the long part
    res = uncertainty.analyse(evaluations.get(evaluation), scenario, overrides, draws, seed, follow)
    mc = {k: v for k, v in res["monte_carlo"].items() if k not in ("values", "irr_values")}
    return _clean(
        {
            "evaluation": evaluation,
            "scenario": res["scenario"].name,
            "version": __version__,
            "parameters_sha256": res["scenario"].sha256,
            "switching_values": res["switching_values"],
            "tornado": res["tornado"].to_dict(orient="records"),
            "monte_carlo": mc,
            "sobol": res["sobol"].to_dict(orient="records"),
            "verdict": verdict.judge(res).as_dict(),
        }
    )


def cmd_sensitivity(args) -> int:

    payload = sensitivity_payload(
        args.evaluation, args.scenario, _overrides(args.set), args.draws, args.seed, args.follow
    )
    if args.json:
        print(json.dumps(payload, indent=1, allow_nan=False))
        return 0
    mc = payload["monte_carlo"]
    lines = uncertainty.treatment_lines(mc)
    lines.append(
        f"{payload['evaluation']} / {payload['scenario']}: switching values ({mc['metric']} = {mc['threshold']:g})"
    )
    for k, v in payload["switching_values"].items():
        lines.append(f"  {k:<28} {'none in range' if v is None else f'{v:.6g}'}")
    lines.append("tornado (metric at the low and high end of each documented range)")
    num = lambda x: "n/a" if x is None else f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"  # noqa: E731
    for row in payload["tornado"]:
        lines.append(
            f"  {row['parameter']:<28} {row['low']:<10.4g} {num(row['metric_at_low']):>16}  "
            f"{row['high']:<10.4g} {num(row['metric_at_high']):>16}"
        )
    lines.append(f"monte carlo: {mc['draws']:,} draws, seed {mc['seed']}, mean {num(mc['mean'])}")
    lines += [f"  {k} = {v:.4f}" for k, v in mc.items() if k.startswith("p_") and v is not None]
    for metric, pct in mc["percentiles"].items():
        lines.append(f"  {metric} percentiles: " + ", ".join(f"p{q} {num(x)}" for q, x in pct.items()))
    lines.append("Sobol indices (share of the variance: alone / with interactions)")
    for row in payload["sobol"]:
        share = lambda x: "   n/a" if x is None else f"{x:6.3f}"  # noqa: E731
        lines.append(f"  {row['parameter']:<28} {share(row['first_order'])} {share(row['total'])}")
    lines += ["verdict", *_wrap(payload["verdict"]["sentence"], 2)]
    print("\n".join(lines))
    return 0


def cmd_bench(args) -> int:

    metrics = bench.run(args.draws, with_workbooks=not args.no_workbooks)
    if args.json:
        print(json.dumps(_clean({"version": __version__, "metrics": metrics}), indent=1))
    else:
        print("\n".join(f"  {k:<48} {v:,.6g}" for k, v in metrics.items()))
    return 0


def cmd_release(args) -> int:

    try:
        r = releases.release(args.version, build=not args.no_build)
    except releases.ReleaseError as exc:
        raise params.ParameterError(ORIGIN, f"release {args.version}", str(exc)) from None
    print(f"released {r.version}: commit {r.commit[:12]} ({r.date}), tag v{r.version}")
    return 0


def cmd_diff(args) -> int:

    try:
        d = releases.diff(args.old, args.new)
    except releases.ReleaseError as exc:
        raise params.ParameterError(ORIGIN, f"diff {args.old} {args.new}", str(exc)) from None
    if args.json:
        print(json.dumps(_clean(d), indent=1, allow_nan=False))
        return 0
    print("\n".join(releases.diff_lines(d)))
    return 0


def cmd_site(args) -> int:

    try:
        dest = site.build(current=not args.releases_only)
    except releases.ReleaseError as exc:
        raise params.ParameterError(ORIGIN, "site", str(exc)) from None
    print(f"done: open {dest / 'index.html'}")
    return 0


def _writable(out: str) -> Path:
    """The --out path, refused before any work when it cannot be written."""
    path = Path(out)
    where = params.ParameterError
    if path.suffix.lower() != ".xlsx":
        raise where("--out", out, "the workbook's name must end in .xlsx")
    if path.is_dir():
        raise where("--out", out, "is a folder: give a file name ending in .xlsx")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise where("--out", out, f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise where("--out", out, "cannot write here (permission denied)")
    return path


def cmd_workbook(args) -> int:
    from xlsxwriter.exceptions import FileCreateError

    path = _writable(args.out)
    overrides = _overrides(args.set)
    _run(args.evaluation, args.scenario, overrides)  # bad input named as the command line's
    try:
        written = workbook.write(args.evaluation, args.scenario, overrides, path)
    except (OSError, FileCreateError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise params.ParameterError("--out", args.out, f"cannot write the file ({reason})") from None
    print(f"wrote {written}")
    return 0


def _stdout_gone() -> int:
    """The reader of stdout went away: no traceback, no "Exception ignored" at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a Unix tool stopped by a closed pipe


def parser() -> argparse.ArgumentParser:
    """The command line's parser (tests walk it: every option has help)."""
    top = Parser(prog="python -m analysis", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=__version__, help="print the version and exit")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do (COMMAND --help)")
    names = ", ".join(evaluations.REGISTRY)
    evaluation = dict(metavar="EVALUATION", help=f"the evaluation: {names}")
    scenario = dict(metavar="NAME", help="scenario: a file data/EVALUATION/NAME.yaml (default: the book's)")
    override = dict(
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter (repeatable); VALUE is YAML 1.2: 0.07, 1e5, [1, 2], {20: 1.0}, true",
    )

    p = sub.add_parser("run", help="run one evaluation and print its results")
    p.add_argument("evaluation", **evaluation)
    p.add_argument("--scenario", **scenario)
    p.add_argument("--set", **override)
    p.add_argument("--json", action="store_true", help="print one JSON object, with each parameter's provenance")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("list", help="list evaluations and scenarios; with EVALUATION, its parameters")
    p.add_argument("evaluation", nargs="?", metavar="EVALUATION", help=f"one evaluation ({names}): its parameters")
    p.add_argument("--scenario", metavar="NAME", help="one scenario: its description, files, values, units and sources")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("sensitivity", help="switching values, tornado and Monte Carlo of one scenario")
    p.add_argument("evaluation", **evaluation)
    p.add_argument("--scenario", **scenario)
    p.add_argument("--set", **override)
    p.add_argument(
        "--draws",
        type=_draws,
        default=100_000,
        help=f"Monte Carlo draws, 1 to {MAX_DRAWS:,}, held in memory (about 2 GB at the limit; default 100,000)",
    )
    p.add_argument(
        "--seed", type=_seed, default=20261124, help="random seed, a whole number >= 0 (same call, same result)"
    )
    p.add_argument(
        "--follow",
        choices=("shift", "hold"),
        default="shift",
        help="when the scenario or --set moves a parameter with a range or distribution: shift them with it "
        "(same width, default) or hold the parameter at its value",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_sensitivity)
    p = sub.add_parser("bench", help="throughput of the vectorised engine, measured in one run")
    p.add_argument(
        "--draws",
        type=_draws,
        default=100_000,
        help=f"draws per measurement, 1 to {MAX_DRAWS:,} (about 2 GB at the limit)",
    )
    p.add_argument("--no-workbooks", action="store_true", help="skip writing and recomputing the workbooks")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser(
        "release",
        help="release VERSION: set the version, rebuild the book, keep the results in data/results/VERSION/, commit",
    )
    p.add_argument(
        "version", metavar="VERSION", help="MAJOR.MINOR.PATCH; CHANGELOG.md needs a '## VERSION (date)' section"
    )
    p.add_argument("--no-build", action="store_true", help="do not re-execute the book before the snapshot")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("diff", help="what changed between two releases: metrics, parameters, changelog")
    p.add_argument("old", metavar="OLD", help="the older release, e.g. 0.1.0")
    p.add_argument("new", metavar="NEW", help="the newer release, e.g. 0.2.0")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser("site", help="build every release and the current book into site/, with a version switcher")
    p.add_argument("--releases-only", action="store_true", help="leave out the current (unreleased) work tree")
    p.set_defaults(func=cmd_site)
    p = sub.add_parser("workbook", help="write the evaluation as a live-formula XLSX workbook")
    p.add_argument("evaluation", **evaluation)
    p.add_argument("--scenario", **scenario)
    p.add_argument("--set", **override)
    p.add_argument("--out", required=True, help="the .xlsx file to write (its folder must exist)")
    p.set_defaults(func=cmd_workbook)

    build.add_arguments(sub.add_parser("build", help="execute the notebooks (when changed) and build the HTML book"))
    return top


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0 done, 2 bad input, 1 a bug, 141 stdout closed)."""
    command = "parse"
    try:
        try:
            args = parser().parse_args(argv)
        except SystemExit as exc:  # --help, --version, or an option argparse refused (one line, status 2)
            sys.stdout.flush()
            return exc.code if isinstance(exc.code, int) else 0
        command = args.command
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except params.ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _stdout_gone()
    except KeyboardInterrupt:
        print(f"error: {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: a bug, still one line; ANALYSIS_TRACEBACK=1 shows where
        if os.environ.get("ANALYSIS_TRACEBACK"):
            raise
        reason = " ".join(str(exc).split())[:300]
        print(f"error: {command}: unexpected {type(exc).__name__}: {reason} (a bug: please report it)", file=sys.stderr)
        return 1

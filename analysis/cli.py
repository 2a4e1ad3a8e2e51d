"""Command line: ``python -m analysis run|list|build``."""

from __future__ import annotations

import argparse
import json
import math
import sys

from . import __version__, evaluations, params


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
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise params.ParameterError("command line", pair, "--set expects KEY=VALUE")
        out[key.strip()] = params.coerce_override(value)
    return out


def run_payload(evaluation: str, scenario: str | None, overrides: dict) -> dict:
    """Everything ``run --json`` prints, as a dict."""
    sc, result = evaluations.run(evaluation, scenario, overrides)
    return _clean(
        {
            "evaluation": evaluation,
            "scenario": sc.name,
            "version": __version__,
            "parameters_sha256": sc.sha256,
            "overrides": overrides,
            "metrics": result.metrics,
            "notes": {k: v for k, v in result.notes.items() if v},
            "tables": {name: df.to_dict(orient="records") for name, df in result.tables.items()},
        }
    )


def cmd_run(args) -> int:
    payload = run_payload(args.evaluation, args.scenario, _overrides(args.set))
    if args.json:
        json.dump(payload, sys.stdout, indent=1, allow_nan=False)
        print()
        return 0
    import pandas as pd

    print(
        f"{payload['evaluation']} / {payload['scenario']} (analysis {payload['version']}, "
        f"parameters sha256 {payload['parameters_sha256'][:12]})"
    )
    for name, value in payload["metrics"].items():
        shown = "n/a" if value is None else f"{value:,.6f}" if abs(value) < 10 else f"{value:,.2f}"
        print(f"  {name:<28} {shown}")
    for name, note in payload["notes"].items():
        print(f"  note on {name}: {note}")
    for name, rows in payload["tables"].items():
        print(f"\n{name}\n" + pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    return 0


def cmd_list(args) -> int:
    names = [args.evaluation] if args.evaluation else list(evaluations.REGISTRY)
    for name in names:
        ev = evaluations.get(name)
        print(f"{name}: {ev.title}; scenarios {', '.join(ev.scenarios())} (the book shows {ev.scenario})")
        sc = ev.load()
        for key, e in sc.entries.items():
            print(f"  {key:<28} {e['value']!s:<24} {e['unit']}  [{e['source']}, {e['locator']}]")
    return 0


def sensitivity_payload(evaluation, scenario, overrides, draws, seed) -> dict:
    """Everything ``sensitivity --json`` prints, as a dict (no raw draws)."""
    from . import uncertainty

    res = uncertainty.analyse(evaluation, scenario, overrides, draws, seed)
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
        }
    )


def cmd_sensitivity(args) -> int:
    payload = sensitivity_payload(args.evaluation, args.scenario, _overrides(args.set), args.draws, args.seed)
    if args.json:
        json.dump(payload, sys.stdout, indent=1, allow_nan=False)
        print()
        return 0
    mc = payload["monte_carlo"]
    print(f"{payload['evaluation']} / {payload['scenario']}: switching values ({mc['metric']} = {mc['threshold']:g})")
    for k, v in payload["switching_values"].items():
        print(f"  {k:<28} {'none in range' if v is None else f'{v:.6g}'}")
    print("tornado (metric at the low and high end of each documented range)")
    num = lambda x: f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"  # noqa: E731  (NPVs, and rates)
    for row in payload["tornado"]:
        print(
            f"  {row['parameter']:<28} {row['low']:<10.4g} {num(row['metric_at_low']):>16}  "
            f"{row['high']:<10.4g} {num(row['metric_at_high']):>16}"
        )
    print(f"monte carlo: {mc['draws']:,} draws, seed {mc['seed']}, mean {num(mc['mean'])}")
    for k, v in mc.items():
        if k.startswith("p_"):
            print(f"  {k} = {v:.4f}")
    for metric, pct in mc["percentiles"].items():
        print(f"  {metric} percentiles: " + ", ".join(f"p{q} {x:,.4g}" for q, x in pct.items()))
    print("Sobol indices (share of the variance: alone / with interactions)")
    for row in payload["sobol"]:
        print(f"  {row['parameter']:<28} {row['first_order']:6.3f} {row['total']:6.3f}")
    return 0


def cmd_bench(args) -> int:
    from . import bench

    metrics = bench.run(args.draws, with_workbooks=not args.no_workbooks)
    if args.json:
        json.dump(_clean({"version": __version__, "metrics": metrics}), sys.stdout, indent=1)
        print()
    else:
        for k, v in metrics.items():
            print(f"  {k:<48} {v:,.6g}")
    return 0


def cmd_release(args) -> int:
    from . import results

    try:
        print(f"wrote {results.write_release(overwrite=args.overwrite)}")
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_workbook(args) -> int:
    from . import workbook

    path = workbook.write(args.evaluation, args.scenario, _overrides(args.set), args.out)
    print(f"wrote {path}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run one evaluation and print its results")
    p.add_argument("evaluation")
    p.add_argument("--scenario", help="scenario name (a file in data/EVALUATION/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter (YAML value)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("list", help="list evaluations, scenarios and parameters")
    p.add_argument("evaluation", nargs="?")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("sensitivity", help="switching values, tornado and Monte Carlo of one scenario")
    p.add_argument("evaluation")
    p.add_argument("--scenario")
    p.add_argument("--set", action="append", metavar="KEY=VALUE")
    p.add_argument("--draws", type=int, default=100_000, help="Monte Carlo draws (default 100,000)")
    p.add_argument("--seed", type=int, default=20261124, help="random seed (fixed: same call, same result)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sensitivity)
    p = sub.add_parser("bench", help="throughput of the vectorised engine, measured in one run")
    p.add_argument("--draws", type=int, default=100_000)
    p.add_argument("--no-workbooks", action="store_true", help="skip writing and recomputing the workbooks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("release", help="keep this version's headline results in data/results/VERSION/")
    p.add_argument("--overwrite", action="store_true", help="rewrite an existing snapshot (before publishing only)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("workbook", help="write the evaluation as a live-formula XLSX workbook")
    p.add_argument("evaluation")
    p.add_argument("--scenario", help="scenario name (a file in data/EVALUATION/)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter (YAML value)")
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_workbook)
    from . import build  # its options: the book, or an edition of it for other scenarios or parameters

    build.add_arguments(sub.add_parser("build", help="execute the notebooks (when changed) and build the HTML book"))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except params.ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

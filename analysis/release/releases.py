"""Releases: make one, find them in history, and say what changed between two.

A release is a version with a results snapshot, ``data/results/<version>/``, and a CHANGELOG
section ``## <version> (<date>)``. Its commit is the one that added its snapshot (found in git
history, so that a clone without tags still finds it); the tag ``v<version>`` is a convenience.

``python -m analysis release VERSION`` sets the version, re-executes the book so that every page
states it, writes the snapshot and commits; ``python -m analysis diff OLD NEW`` lists every
headline metric and every parameter (value and source) that differs, and the changelog entries
in between.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .. import __version__, evaluations
from ..core.params import ROOT
from ..publish.summary import current

VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
CHANGELOG = "CHANGELOG.md"
VERSION_FILE = "analysis/__init__.py"
CITATION = "CITATION.cff"


class ReleaseError(RuntimeError):
    """A release cannot be made or found; the message says which and why, in one line."""


@dataclass(frozen=True)
class Release:
    version: str
    commit: str  # the commit that added the snapshot
    date: str  # its date, YYYY-MM-DD


def version_key(v: str) -> tuple:
    return tuple(int(x) for x in v.split(".")[:3])


def git(*args, repo: Path = ROOT, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)}: {done.stderr.strip().splitlines()[-1] if done.stderr else 'failed'}")
    return done.stdout.strip()


def history(repo: Path = ROOT) -> list:
    """The releases of ``repo`` (:func:`releases`), oldest first, each with the commit that added
    its snapshot and that commit's date; a snapshot not yet committed is not a release yet."""
    out = []
    for version in releases(repo):
        log = git(
            "log", "--diff-filter=A", "--format=%H %cs", "--", f"data/results/{version}/headline.csv", repo=repo
        ).splitlines()
        if log:
            commit, date = log[-1].split()
            out.append(Release(version, commit, date))
    return out


def find(version: str, repo: Path = ROOT) -> Release:
    for r in history(repo):
        if r.version == version:
            return r
    known = ", ".join(r.version for r in history(repo)) or "none"
    raise ReleaseError(f"version {version!r}: no release of that version (released: {known})")


# --- the changelog ------------------------------------------------------------------------------


def changelog(text: str) -> list:
    """The CHANGELOG's sections, newest first: (title, version or None, date or None, body)."""
    parts = re.split(r"^## +(.+)$", text, flags=re.M)
    out = []
    for title, body in zip(parts[1::2], parts[2::2]):
        m = re.match(r"(\d+\.\d+\.\d+)\s*(?:\((\d{4}-\d{2}-\d{2})\))?", title.strip())
        out.append((title.strip(), m.group(1) if m else None, m.group(2) if m and m.group(2) else None, body.strip()))
    return out


def headline(body: str) -> str:
    """A section's headline: its first paragraph, on one line."""
    return " ".join(body.split("\n\n", 1)[0].split())


def entries_between(text: str, old: str, new: str) -> list:
    """Changelog sections of the versions after ``old`` up to ``new``, oldest first."""
    lo, hi = version_key(old), version_key(new)
    picked = [(v, d, body) for _, v, d, body in changelog(text) if v and lo < version_key(v) <= hi]
    return sorted(picked, key=lambda x: version_key(x[0]))


# --- what changed -------------------------------------------------------------------------------


def _show(commit: str, path: str, repo: Path) -> str | None:
    done = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=repo, capture_output=True)
    return done.stdout.decode("utf-8") if done.returncode == 0 else None


def sources_at(commit: str, repo: Path = ROOT) -> pd.DataFrame:
    """(evaluation, scenario, parameter, source, locator) of every scenario at ``commit``, read from
    its parameter files (following ``extends``) as they were then: a snapshot keeps values only."""
    files = git("ls-tree", "-r", "--name-only", commit, "data/", repo=repo).splitlines()
    docs = {}
    for f in files:
        parts = Path(f).parts
        if len(parts) == 3 and f.endswith(".yaml") and parts[1] not in ("results", "published"):
            docs[(parts[1], Path(f).stem)] = yaml.safe_load(_show(commit, f, repo)) or {}

    def entries(evaluation, scenario, depth=0):
        doc = docs.get((evaluation, scenario), {})
        parent = doc.get("extends")
        out = entries(evaluation, parent, depth + 1) if parent and depth < 20 else {}
        for k, e in (doc.get("parameters") or {}).items():
            out[k] = {**out.get(k, {}), **(e or {})}
        return out

    rows = []
    for evaluation, scenario in sorted(docs):
        for k, e in entries(evaluation, scenario).items():
            rows.append(
                {
                    "evaluation": evaluation,
                    "scenario": scenario,
                    "parameter": k,
                    "source": e.get("source", ""),
                    "locator": str(e.get("locator", "")),
                }
            )
    return pd.DataFrame(rows, columns=["evaluation", "scenario", "parameter", "source", "locator"])


def snapshot_at(release: Release, repo: Path = ROOT) -> tuple:
    """(headline, parameters with source and locator) of a release, from its commit."""
    import io

    d = f"data/results/{release.version}"
    head = pd.read_csv(io.StringIO(_show(release.commit, f"{d}/headline.csv", repo)))
    par = pd.read_csv(io.StringIO(_show(release.commit, f"{d}/parameters.csv", repo)), dtype={"value": str})
    par = par.drop(columns=[c for c in ("source", "locator") if c in par.columns])
    par = par.merge(sources_at(release.commit, repo), on=["evaluation", "scenario", "parameter"], how="left")
    return head, par


def diff(old: str, new: str, repo: Path = ROOT, rel_tol: float = 1e-9) -> dict:
    """Every headline metric and every parameter (value, source, locator) that differs between two
    releases, and the changelog entries in between (from the newer release's CHANGELOG)."""
    a, b = find(old, repo), find(new, repo)  # a version that is no release: one line, naming it
    if version_key(old) >= version_key(new):
        raise ReleaseError(f"diff {old} {new}: the first version must be the older one")
    metrics, parameters = compare(snapshot_at(a, repo), snapshot_at(b, repo), rel_tol)
    text = _show(b.commit, CHANGELOG, repo) or ""
    return {
        "old": {"version": a.version, "commit": a.commit, "date": a.date},
        "new": {"version": b.version, "commit": b.commit, "date": b.date},
        "metrics": json.loads(
            metrics[["evaluation", "scenario", "metric", "value_old", "value_new", "change"]].to_json(orient="records")
        ),
        "parameters": json.loads(parameters.to_json(orient="records")),
        "changelog": [{"version": v, "date": d, "text": body} for v, d, body in entries_between(text, old, new)],
    }


def compare(old: tuple, new: tuple, rel_tol: float = 1e-9, names: tuple = ("old", "new")) -> tuple:
    """What differs between two (headline, parameters) pairs, as (metrics, parameters): the one
    comparison of the "What changed" page (a release and this build) and of ``diff`` (two releases).

    A metric differs when its values differ by more than ``rel_tol`` (relative to the larger, at
    least 1) or it is in one pair only; columns ``value_<old>``, ``value_<new>`` and ``change``,
    with ``names`` (old, new). A parameter differs in its value, or in its source or locator where
    both pairs have them; columns ``<field>_<old>``, ``<field>_<new>`` for each compared field."""
    a, b = names
    key = ["evaluation", "scenario", "metric"]
    h = old[0].merge(new[0], on=key, how="outer", suffixes=(f"_{a}", f"_{b}"))
    va, vb = h[f"value_{a}"], h[f"value_{b}"]
    scale = pd.concat([va.abs(), vb.abs()], axis=1).max(axis=1).clip(lower=1.0)
    changed = (va.isna() != vb.isna()) | ((vb - va).abs() > rel_tol * scale)
    metrics = h[changed].assign(change=lambda d: d[f"value_{b}"] - d[f"value_{a}"]).reset_index(drop=True)
    key = ["evaluation", "scenario", "parameter"]
    fields = [c for c in ("value", "source", "locator") if c in old[1].columns and c in new[1].columns]
    p = old[1][key + fields].merge(new[1][key + fields], on=key, how="outer", suffixes=(f"_{a}", f"_{b}"))
    differs = pd.Series(False, index=p.index)
    for col in fields:
        differs |= p[f"{col}_{a}"].fillna("").astype(str) != p[f"{col}_{b}"].fillna("").astype(str)
    parameters = p[differs][key + [f"{c}_{s}" for c in fields for s in names]].reset_index(drop=True)
    return metrics, parameters


def consecutive(repo: Path = ROOT) -> list:
    """:func:`diff` of every pair of consecutive releases in history, oldest first."""
    found = [r.version for r in history(repo)]
    return [diff(a, b, repo) for a, b in zip(found, found[1:])]


def compare_frames(d: dict) -> tuple:
    """A :func:`diff`'s metrics and parameters as :func:`compare`'s frames (names "old", "new"),
    for :mod:`analysis.release.changes` to word them."""
    metrics = pd.DataFrame(
        d["metrics"], columns=["evaluation", "scenario", "metric", "value_old", "value_new", "change"]
    )
    cols = ["evaluation", "scenario", "parameter"] + [
        f"{c}_{s}" for c in ("value", "source", "locator") for s in ("old", "new")
    ]
    return metrics, pd.DataFrame(d["parameters"], columns=cols)


def diff_lines(d: dict) -> list:
    """:func:`diff` as text lines for the command line."""
    old, new = d["old"]["version"], d["new"]["version"]
    num = lambda x: "-" if x is None else f"{x:,.6g}"  # noqa: E731
    a, b = d["old"], d["new"]
    out = [f"from {old} ({a['date']}, {a['commit'][:12]}) to {new} ({b['date']}, {b['commit'][:12]})"]
    out.append(f"metrics that differ: {len(d['metrics'])}")
    out += [
        f"  {m['evaluation']} / {m['scenario']} / {m['metric']}: {num(m['value_old'])} -> {num(m['value_new'])}"
        for m in d["metrics"]
    ]
    out.append(f"parameters that differ (value, source, locator): {len(d['parameters'])}")
    for p in d["parameters"]:
        changed = [c for c in ("value", "source", "locator") if p[f"{c}_old"] != p[f"{c}_new"]]
        parts = "; ".join(f"{c} {p[f'{c}_old']!s} -> {p[f'{c}_new']!s}" for c in changed)
        out.append(f"  {p['evaluation']} / {p['scenario']} / {p['parameter']}: {parts}")
    out.append("changelog:")
    out += [f"  {c['version']} ({c['date']}): {headline(c['text'])}" for c in d["changelog"]]
    return out


# --- making a release ---------------------------------------------------------------------------


def set_version(version: str, repo: Path = ROOT, date: str | None = None) -> None:
    """Write ``version`` into the package (and the citation metadata, with the release date)."""
    path = repo / VERSION_FILE
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(r'^__version__ = "[^"]*"', f'__version__ = "{version}"', text, flags=re.M)
    if n != 1:
        raise ReleaseError(f"{VERSION_FILE}: __version__: no single assignment to update")
    path.write_text(new, encoding="utf-8")
    # Python trusts a .pyc whose source has the same size and mtime (whole seconds): "0.2.0" ->
    # "9.0.0" within the second the release's own process compiled it would keep the old version
    # in every process the release starts (the book then stated the previous version).
    for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
        pyc.unlink()
    cff = repo / CITATION
    if cff.is_file():
        text = re.sub(r"^version: .*$", f'version: "{version}"', cff.read_text(encoding="utf-8"), flags=re.M)
        if date:
            text = re.sub(r"^date-released: .*$", f'date-released: "{date}"', text, flags=re.M)
        cff.write_text(text, encoding="utf-8")


# What a release reads or commits: an untracked file there would be snapshotted or committed unseen.
SNAPSHOT_PATHS = ("analysis", "book", "data", "notebooks", CITATION)


def release(version: str, repo: Path = ROOT, build: bool = True, commit: bool = True) -> Release:
    """Make release ``version``: refuse without a CHANGELOG section for it, with uncommitted
    changes or with untracked files where it reads or commits (``SNAPSHOT_PATHS``); set the
    version, re-execute the pages whose inputs changed (those that state the version among them),
    write the results snapshot, commit ("Release X"), tag ``vX`` (a convenience: releases are
    found by their snapshot), then build the HTML and PDF from the committed tree, so that they
    state the release's commit. ``build=False`` / ``commit=False`` for tests."""
    if not VERSION_RE.match(version or ""):
        raise ReleaseError(f"version {version!r}: expected MAJOR.MINOR.PATCH, e.g. 0.2.0")
    released = [r.version for r in history(repo)]
    if version in released:
        raise ReleaseError(f"version {version}: already released (data/results/{version}/ exists in history)")
    if released and version_key(version) <= version_key(released[-1]):
        raise ReleaseError(f"version {version}: must be above the latest release, {released[-1]}")
    sections = {v: d for _, v, d, _ in changelog((repo / CHANGELOG).read_text(encoding="utf-8")) if v}
    if version not in sections:
        raise ReleaseError(
            f"{CHANGELOG}: no section '## {version} (YYYY-MM-DD)': write what this release changes first"
        )
    if commit and git("status", "--porcelain", "--untracked-files=no", repo=repo):
        raise ReleaseError("the work tree has uncommitted changes: commit them before releasing")
    if commit:  # the snapshot reads every scenario file, and the commit adds these paths whole
        stray = [
            line[3:]
            for line in git(
                "status", "--porcelain", "--untracked-files=all", "--", *SNAPSHOT_PATHS, repo=repo
            ).splitlines()
            if line.startswith("??")
        ]
        if stray:
            more = f" and {len(stray) - 1} more" if len(stray) > 1 else ""
            raise ReleaseError(
                f"untracked file {stray[0]}{more} under {', '.join(SNAPSHOT_PATHS)}: "
                "commit it or remove it before releasing"
            )
    set_version(version, repo, sections[version])
    python = str(Path(__import__("sys").executable))
    steps = [
        [python, "-c", f"from analysis.release import releases; print('wrote', releases.write_release({version!r}))"]
    ]
    if build:  # pages that state the version are re-executed before the snapshot
        steps.insert(0, [python, "-m", "analysis", "build", "--no-html"])
    for step in steps:
        if subprocess.run(step, cwd=repo).returncode != 0:
            raise ReleaseError(
                f"{' '.join(step[1:3])} failed (see above); {VERSION_FILE} now says {version}: "
                "fix the cause and release again, or `git checkout analysis CITATION.cff` to undo"
            )
    if not commit:
        return Release(version, "", sections[version] or "")
    paths = [p for p in ("analysis", "book", "data/results", CITATION) if (repo / p).exists()]  # within SNAPSHOT_PATHS
    git("add", "-A", *paths, repo=repo)
    git("commit", "-q", "-m", f"Release {version}", repo=repo)
    git("tag", f"v{version}", repo=repo, check=False)
    # The HTML after the commit: its pages state the release's commit (a clean tree), so it is the
    # release's edition as `site` would build it from that commit, and `site` reuses it.
    if build and subprocess.run([python, "-m", "analysis", "build"], cwd=repo).returncode != 0:
        raise ReleaseError(
            f"release {version} is committed, but building its HTML failed (see above): fix the cause and run make book"
        )
    return find(version, repo)


# --- the release snapshots: data/results/<version>/ -----------------------------------------------

RESULTS_DIR = ROOT / "data" / "results"


def releases(repo: Path = ROOT) -> list:
    """The released versions, oldest first: the one definition of a release, a version with a
    results snapshot ``data/results/<version>/headline.csv`` (:func:`history` adds the commits)."""
    folder = RESULTS_DIR if repo == ROOT else repo / "data" / "results"
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.iterdir() if VERSION_RE.match(p.name) and (p / "headline.csv").is_file()]
    return sorted(found, key=version_key)


def snapshot(version: str) -> tuple:
    d = RESULTS_DIR / version
    return pd.read_csv(d / "headline.csv"), pd.read_csv(d / "parameters.csv", dtype={"value": str})


def previous_release(version: str = __version__) -> str | None:
    """The latest release before ``version`` (None for the first)."""
    older = [v for v in releases() if version_key(v) < version_key(version)]
    return older[-1] if older else None


def write_release(version: str = __version__, overwrite: bool = False) -> str:
    d = RESULTS_DIR / version
    if (d / "headline.csv").exists() and not overwrite:
        raise FileExistsError(f"{d} exists: a release's results are not rewritten (bump the version)")
    d.mkdir(parents=True, exist_ok=True)
    head, par = current()
    head.to_csv(d / "headline.csv", index=False, float_format="%.17g")
    par.to_csv(d / "parameters.csv", index=False)
    return str(d)


def baseline(version: str = __version__) -> str | None:
    """The release the "What changed" page compares this build with: the latest release before
    ``version``; for the first release, its own snapshot (which this build must reproduce); None
    when nothing is released."""
    return previous_release(version) or (version if version in releases() else None)


def _same(a: float, b: float, rel_tol: float) -> bool:
    if pd.isna(a) or pd.isna(b):
        return pd.isna(a) and pd.isna(b)
    return abs(a - b) <= rel_tol * max(abs(a), abs(b), 1.0)


def headline_changes(old: pd.DataFrame, new: pd.DataFrame, rel_tol: float = 1e-9) -> pd.DataFrame:
    """Every headline metric of every registered evaluation (its contract's ``metrics``) in each
    of its scenarios, previous (``old``) and current (``new``, both headline frames as
    :func:`current` returns them), labelled in words and shown as the book shows them.

    A changed, added or removed metric is a row with both values and the change; the metrics of an
    evaluation whose values are equal (within ``rel_tol``, as :func:`compare`) collapse into one
    row, "N metrics unchanged". Columns: evaluation, scenario, measure, unit, previous, current,
    change."""
    key = ["evaluation", "scenario", "metric"]
    values = {
        "previous": old.drop_duplicates(key).set_index(key)["value"],
        "current": new.drop_duplicates(key).set_index(key)["value"],
    }
    rows = []
    for ev in evaluations.REGISTRY.values():
        seen = [s for frame in (new, old) for s in frame.loc[frame["evaluation"] == ev.name, "scenario"]]
        scenarios = list(dict.fromkeys([*ev.scenarios(), *seen]))
        unchanged, unchanged_scenarios = 0, []
        for scenario in scenarios:
            for m in ev.metrics:
                prev, cur = (values[k].get((ev.name, scenario, m.name)) for k in ("previous", "current"))
                if prev is None and cur is None:
                    continue
                if prev is not None and cur is not None and _same(prev, cur, rel_tol):
                    unchanged += 1
                    unchanged_scenarios.append(scenario)
                    continue
                if prev is None or cur is None:
                    change = "added" if prev is None else "removed"
                else:
                    diff = cur - prev
                    change = m.change(diff)
                    if m.format(cur) == m.format(prev):
                        change = f"{diff:+.3g} (below the precision shown)"
                rows.append(
                    {
                        "evaluation": ev.title.split(":")[0],
                        "scenario": scenario.replace("_", " "),
                        "measure": m.label,
                        "unit": m.unit,
                        "previous": "not in the release" if prev is None else m.format(prev),
                        "current": "not computed" if cur is None else m.format(cur),
                        "change": change,
                    }
                )
        if unchanged:
            names = list(dict.fromkeys(s.replace("_", " ") for s in unchanged_scenarios))
            rows.append(
                {
                    "evaluation": ev.title.split(":")[0],
                    "scenario": ", ".join(names) if len(names) <= 3 else f"all {len(names)} scenarios",
                    "measure": f"{unchanged} metric{'s' if unchanged != 1 else ''} unchanged",
                    "unit": "",
                    "previous": "same",
                    "current": "same",
                    "change": "none",
                }
            )
    columns = ["evaluation", "scenario", "measure", "unit", "previous", "current", "change"]
    return pd.DataFrame(rows, columns=columns)

"""Score pglint on the labelled apps: how many of the mistakes a person found by reading
the code it reports (recall), and how many of its findings on the files that person read
are right (precision).

Run from the repository root:

    python bench/labelled.py                      # fetch what is missing from GitHub
    python bench/labelled.py --mirror DIR         # or take the apps from local git dirs
    python bench/labelled.py --only NAME[,NAME]   # a few apps
    python bench/labelled.py --select PGL3,PGL4   # other rules than the default set

The apps, their pinned commits, the files reviewed and the labels are in
bench/labelled/manifest.toml (README.md beside it says how they were decided). Each app
is fetched once into `.bench-labelled/<name>/` at the repository root (git ignores it):
only its Python files, from GitHub's archive of the pinned commit or, with `--mirror`,
by `git archive` from a git directory found under DIR as `owner+name/repo`,
`owner+name`, `owner/name(.git)` or `name.git`. pglint then runs over each app's whole
tree, so that what one module does with another's connection counts.

Scoring, per rule:
  - a label is found when pglint reports its rule in its file on its line, or on another
    line of the same statement (a multi-line call reported where it starts);
  - a finding in a reviewed file is true when it matches a label, false otherwise:
    listed as "silent" when it hits code labelled as correct, "unlabelled" when it hits
    nothing (read it: either pglint is wrong or the manifest misses a mistake);
  - findings in files nobody reviewed are counted apart and not scored.

Prints a table per rule and the findings to review; writes everything as JSON
(default `.bench-labelled/results.json`), which bench/precision_table.py reads.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from findings import OWN_CONDITIONS, Finding, matches_any, run_pglint, same_place

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the project supports 3.10, where tomli is a dependency
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = REPO_ROOT / "bench" / "labelled" / "manifest.toml"
APPS_DIR = REPO_ROOT / ".bench-labelled"
# What an app needs for pglint to see it as its author does: the code, and the files
# that can say where the import roots are.
KEPT_SUFFIXES = (".py", ".pyi")
KEPT_NAMES = ("pyproject.toml", "setup.cfg", "setup.py")


@dataclass
class Label:
    path: str
    line: int
    code: str
    why: str
    # Written after reading a pglint finding on a reviewed file that the review had
    # missed (the report lists such findings for exactly this); counted apart.
    after_run: bool = False


@dataclass
class App:
    name: str
    repo: str
    commit: str
    reviewed: list[str]
    labels: list[Label]
    silent: list[Label]
    stack: str = ""
    layout: str = ""
    # The app's directory inside the repository, when it is not the repository itself
    # (a repository holding two apps, or an app beside unrelated folders). pglint runs
    # there, and the paths of `reviewed` and of the labels are relative to it.
    root: str = ""


@dataclass
class AppScore:
    app: App
    found: list[tuple[Label, Finding]] = field(default_factory=list)
    missed: list[Label] = field(default_factory=list)
    false_silent: list[tuple[Finding, Label]] = field(default_factory=list)
    false_unlabelled: list[Finding] = field(default_factory=list)
    unreviewed: list[Finding] = field(default_factory=list)
    own: list[Finding] = field(default_factory=list)  # PGL0xx
    error: str = ""


def load_manifest(path: Path = MANIFEST) -> list[App]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    apps = []
    for raw in data["app"]:
        apps.append(
            App(
                name=raw["name"],
                repo=raw["repo"],
                commit=raw["commit"],
                reviewed=list(raw["reviewed"]),
                labels=[Label(**label) for label in raw.get("labels", [])],
                silent=[Label(**label) for label in raw.get("silent", [])],
                stack=raw.get("stack", ""),
                layout=raw.get("layout", ""),
                root=raw.get("root", ""),
            )
        )
    return apps


def check_manifest(apps: list[App]) -> list[str]:
    """What is wrong with the manifest itself: duplicate names, an unpinned commit, a
    label outside the reviewed files (it could never count as found or not)."""
    problems = []
    names = Counter(app.name for app in apps)
    problems += [f"app name used twice: {name}" for name, n in names.items() if n > 1]
    for app in apps:
        if len(app.commit) != 40:
            problems.append(f"{app.name}: commit is not a full sha")
        for label in app.labels + app.silent:
            if not matches_any(label.path, app.reviewed):
                problems.append(f"{app.name}: {label.path}:{label.line} is not in a reviewed file")
    return problems


# --- fetching -----------------------------------------------------------------------


def fetch(app: App, apps_dir: Path, mirror: Path | None) -> Path:
    """The app's tree at its pinned commit, fetched unless already there."""
    target = apps_dir / app.name
    stamp = target / ".pglint-bench-commit"
    if stamp.is_file() and stamp.read_text().strip() == app.commit:
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = from_mirror(app, mirror) if mirror else from_github(app)
    extract(archive, target, strip_top=mirror is None)
    stamp.write_text(app.commit + "\n")
    return target


def from_github(app: App) -> bytes:
    url = f"https://codeload.github.com/{app.repo}/tar.gz/{app.commit}"
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


def mirror_candidates(mirror: Path, repo: str) -> list[Path]:
    owner, name = repo.split("/", 1)
    both = f"{owner}+{name}"
    return [
        mirror / both / "repo" / ".git",
        mirror / both / "repo",
        mirror / both,
        mirror / owner / f"{name}.git",
        mirror / owner / name,
        mirror / f"{name}.git",
    ]


def from_mirror(app: App, mirror: Path) -> bytes:
    for git_dir in mirror_candidates(mirror, app.repo):
        if not git_dir.is_dir():
            continue
        git = ["git", f"--git-dir={git_dir}"]
        known = subprocess.run(
            [*git, "cat-file", "-e", f"{app.commit}^{{commit}}"], capture_output=True
        )
        if known.returncode != 0:
            continue
        listed = subprocess.run(
            [*git, "ls-tree", "-r", "-z", "--name-only", app.commit],
            capture_output=True,
            check=True,
        )
        names = [n for n in listed.stdout.decode().split("\0") if n and kept(n)]
        if not names:
            return tar_of({})
        # One archive of the chosen paths: blobs a snapshot lacks (big files) are never
        # asked for.
        done = subprocess.run(
            [*git, "archive", "--format=tar", app.commit, "--", *names],
            capture_output=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"git archive failed for {app.repo}: {done.stderr.decode()[-500:]}")
        return done.stdout
    raise FileNotFoundError(
        f"no git directory with commit {app.commit[:10]} of {app.repo} under {mirror}"
    )


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def kept(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.endswith(KEPT_SUFFIXES) or base in KEPT_NAMES


def extract(archive: bytes, target: Path, strip_top: bool) -> None:
    """Write the kept regular files of a tar archive under ``target``; nothing outside
    it, whatever the names in the archive say."""
    root = target.resolve()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if not member.isfile():
                continue
            name = member.name.split("/", 1)[1] if strip_top and "/" in member.name else member.name
            if not name or not kept(name):
                continue
            dest = (target / name).resolve()
            if not dest.is_relative_to(root):
                continue
            source = tar.extractfile(member)
            if source is None:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(source.read())


# --- scoring ------------------------------------------------------------------------


def score_app(app: App, root: Path | None, findings: list[Finding]) -> AppScore:
    """Match one app's findings with its labels. ``root`` is the app's tree, used to
    tell the statement a line belongs to (None: only equal lines match)."""
    score = AppScore(app)
    reviewed_findings = []
    for finding in findings:
        if OWN_CONDITIONS.match(finding.code):
            score.own.append(finding)
        elif matches_any(finding.path, app.reviewed):
            reviewed_findings.append(finding)
        else:
            score.unreviewed.append(finding)

    def file_of(path: str) -> Path | None:
        return root / path if root is not None else None

    unmatched = list(reviewed_findings)
    # Exact lines first, so that a label on the same line as its finding is not taken
    # by a neighbour in the same statement.
    pending = list(app.labels)
    for exact in (True, False):
        still = []
        for label in pending:
            hit = next(
                (
                    f
                    for f in unmatched
                    if f.path == label.path
                    and f.code == label.code
                    and (
                        f.line == label.line
                        if exact
                        else same_place(file_of(f.path), f.line, label.line)
                    )
                ),
                None,
            )
            if hit is None:
                still.append(label)
            else:
                unmatched.remove(hit)
                score.found.append((label, hit))
        pending = still
    score.missed = pending
    for finding in unmatched:
        silent = next(
            (
                s
                for s in app.silent
                if s.path == finding.path
                and s.code in (finding.code, "*")
                and same_place(file_of(finding.path), finding.line, s.line)
            ),
            None,
        )
        if silent is not None:
            score.false_silent.append((finding, silent))
        else:
            score.false_unlabelled.append(finding)
    return score


def per_rule(scores: list[AppScore]) -> dict[str, dict[str, int]]:
    """Counts per rule code: labels, found, findings on reviewed files, true, false."""
    rules: dict[str, Counter] = defaultdict(Counter)
    for score in scores:
        if score.error:
            continue
        for label in score.app.labels:
            rules[label.code]["labels"] += 1
            rules[label.code]["labels_after_run"] += label.after_run
        for label, _ in score.found:
            rules[label.code]["found"] += 1
            rules[label.code]["true"] += 1
        for finding, _ in score.false_silent:
            rules[finding.code]["false"] += 1
            rules[finding.code]["false_silent"] += 1
        for finding in score.false_unlabelled:
            rules[finding.code]["false"] += 1
        for finding in score.unreviewed:
            rules[finding.code]["unreviewed"] += 1
    return {code: dict(counts) for code, counts in sorted(rules.items())}


def extend_select(apps: list[App]) -> list[str]:
    """`--extend-select` for every labelled rule pglint has, so that a rule that is off
    by default is measured all the same; a labelled rule pglint does not have yet is left
    out (pglint refuses codes it does not know) and shows as not found."""
    from pglint.rules import all_rules

    known = {rule.code for rule in all_rules()}
    labelled = {label.code for app in apps for label in app.labels + app.silent}
    wanted = sorted(labelled & known)
    return ["--extend-select", ",".join(wanted)] if wanted else []


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(rules: dict[str, dict[str, int]]) -> str:
    head = ("rule", "labels", "found", "recall", "findings", "true", "false", "precision")
    rows = [head]
    total = Counter()
    for code, c in rules.items():
        findings = c.get("true", 0) + c.get("false", 0)
        total.update(c)
        rows.append(
            (
                code,
                str(c.get("labels", 0)),
                str(c.get("found", 0)),
                fmt(ratio(c.get("found", 0), c.get("labels", 0))),
                str(findings),
                str(c.get("true", 0)),
                str(c.get("false", 0)),
                fmt(ratio(c.get("true", 0), findings)),
            )
        )
    findings = total["true"] + total["false"]
    rows.append(
        (
            "all",
            str(total["labels"]),
            str(total["found"]),
            fmt(ratio(total["found"], total["labels"])),
            str(findings),
            str(total["true"]),
            str(total["false"]),
            fmt(ratio(total["true"], findings)),
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def as_json(scores: list[AppScore]) -> dict:
    def f(finding: Finding) -> dict:
        return {
            "path": finding.path,
            "line": finding.line,
            "code": finding.code,
            "message": finding.message,
        }

    def lab(label: Label) -> dict:
        return {"path": label.path, "line": label.line, "code": label.code, "why": label.why}

    return {
        "rules": per_rule(scores),
        "apps": [
            {
                "name": s.app.name,
                "repo": s.app.repo,
                "commit": s.app.commit,
                "error": s.error,
                "found": [{**lab(label), "reported_line": hit.line} for label, hit in s.found],
                "missed": [lab(label) for label in s.missed],
                "false_silent": [{**f(x), "silent": lab(label)} for x, label in s.false_silent],
                "false_unlabelled": [f(x) for x in s.false_unlabelled],
                "unreviewed": [f(x) for x in s.unreviewed],
                "own_conditions": [f(x) for x in s.own],
            }
            for s in scores
        ],
    }


def report(scores: list[AppScore], verbose: bool) -> str:
    rules = per_rule(scores)
    out = [table(rules), ""]
    late = sum(c.get("labels_after_run", 0) for c in rules.values())
    if late:
        out += [
            f"{late} of the labels were written after reading a finding the review had missed.",
            "",
        ]
    for s in scores:
        if s.error:
            out.append(f"{s.app.name}: not scored: {s.error}")
    false = [(s.app.name, x, "") for s in scores for x in s.false_unlabelled]
    false += [
        (s.app.name, x, f" (silent: {label.why})") for s in scores for x, label in s.false_silent
    ]
    if false:
        out.append(
            f"False findings on reviewed files ({len(false)}): "
            "read each; add a label if it is right."
        )
        for name, x, why in sorted(false, key=lambda t: (t[0], t[1].path, t[1].line)):
            out.append(f"  {name}: {x.path}:{x.line} {x.code}{why}")
            if verbose:
                out.append(f"      {x.message}")
    missed = [(s.app.name, label) for s in scores for label in s.missed]
    if missed:
        out.append(f"Labels not found ({len(missed)}):")
        for name, label in sorted(missed, key=lambda t: (t[1].code, t[0], t[1].path, t[1].line)):
            out.append(f"  {label.code} {name}: {label.path}:{label.line}  {label.why}")
    own = [(s.app.name, x) for s in scores for x in s.own]
    if own:
        out.append(f"pglint's own conditions ({len(own)}, not scored):")
        out += [f"  {name}: {x.path}:{x.line} {x.code} {x.message[:100]}" for name, x in own]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument(
        "--apps-dir", type=Path, default=APPS_DIR, help="where the apps are fetched"
    )
    parser.add_argument("--mirror", type=Path, help="take the apps from git directories under DIR")
    parser.add_argument("--only", help="comma-separated app names")
    parser.add_argument(
        "--select", help="rule codes for pglint's --select (default: its default set)"
    )
    parser.add_argument(
        "--json", type=Path, help="where to write the results (default: APPS_DIR/results.json)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print each false finding's message"
    )
    args = parser.parse_args(argv)

    apps = load_manifest(args.manifest)
    problems = check_manifest(apps)
    if problems:
        print("manifest problems:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {a.name for a in apps}
        if unknown:
            print(f"no such app: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        apps = [a for a in apps if a.name in wanted]
    extra = ["--select", args.select] if args.select else extend_select(apps)

    scores = []
    for app in apps:
        try:
            root = fetch(app, args.apps_dir, args.mirror) / app.root
            findings = run_pglint(root, extra=extra)
        except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            score = AppScore(app, error=str(exc))
        else:
            score = score_app(app, root, findings)
        scores.append(score)
        print(f"{app.name}: {len(score.found)}/{len(app.labels)} found, "
              f"{len(score.false_silent) + len(score.false_unlabelled)} false"
              + (f" ERROR {score.error}" if score.error else ""), file=sys.stderr)  # fmt: skip

    print(report(scores, args.verbose))
    out = args.json or args.apps_dir / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(as_json(scores), indent=1) + "\n")
    print(f"\nresults: {out}")
    return 1 if any(s.error for s in scores) else 0


if __name__ == "__main__":
    sys.exit(main())

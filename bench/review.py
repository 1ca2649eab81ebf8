"""Compare pglint's findings on the two bench corpora with the findings read by hand.

Run from the repository root, after bench/corpus.py has built the corpora:

    python bench/review.py                    # both corpora
    python bench/review.py --set apps         # one
    python bench/review.py --append-new       # also add every unread finding to the
                                              # reviewed list, verdict empty, to be read

The reviewed list is bench/reviewed/bench-findings-reviewed.tsv (README.md beside it
gives its columns and verdicts). A current finding and a reviewed one are the same when
they have the file and the rule, and the line or the statement (bench/findings.py).

Prints, per corpus and together:
  - precision: real (TP) and real at low risk (TP-LOW) over all findings; while some
    findings are unread the precision is a range, from counting them all false to
    counting them all right;
  - the new findings nobody has read yet: read each, and add it with its verdict;
  - the reviewed findings that are gone, with their verdict, the real ones first, so
    that none is lost without a reason.
Writes the same as JSON (default `.bench-corpus/review-results.json`), which
bench/precision_table.py reads.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from common import CORPUS_SETS, DEFAULT_DIR
from findings import Finding, run_pglint, same_place

REPO_ROOT = Path(__file__).resolve().parent.parent
REVIEWED = REPO_ROOT / "bench" / "reviewed" / "bench-findings-reviewed.tsv"
COLUMNS = ("file", "line", "code", "verdict", "reason", "fp_class", "corpus")
RIGHT = ("TP", "TP-LOW")
VERDICTS = (*RIGHT, "FP")
# The corpus column's names for corpus.py's sets.
CORPUS_NAMES = {"apps": "apps", "libraries": "libs"}


@dataclass
class Reviewed:
    file: str
    line: int
    code: str
    verdict: str  # TP, TP-LOW, FP, or empty while nobody has read it
    reason: str
    fp_class: str
    corpus: str

    def row(self) -> list[str]:
        return [
            self.file,
            str(self.line),
            self.code,
            self.verdict,
            self.reason,
            self.fp_class,
            self.corpus,
        ]


def load_reviewed(path: Path = REVIEWED) -> list[Reviewed]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if tuple(header) != COLUMNS:
            raise ValueError(f"{path}: columns {header}, expected {list(COLUMNS)}")
        rows = []
        for n, cells in enumerate(reader, start=2):
            if not cells:
                continue
            cells += [""] * (len(COLUMNS) - len(cells))
            file, line, code, verdict, reason, fp_class, corpus = cells[: len(COLUMNS)]
            if verdict and verdict not in VERDICTS:
                raise ValueError(f"{path}:{n}: verdict {verdict!r} is none of {VERDICTS}")
            rows.append(Reviewed(file, int(line), code, verdict, reason, fp_class, corpus))
    return rows


def compare(
    findings: list[Finding], reviewed: list[Reviewed], root: Path | None
) -> tuple[list[tuple[Finding, Reviewed]], list[Finding], list[Reviewed]]:
    """Pair current findings with reviewed ones: (matched, new, gone). Equal lines pair
    first; then lines of one statement (a rule that now reports where a statement
    starts)."""
    by_key: dict[tuple[str, str], list[Reviewed]] = defaultdict(list)
    for item in reviewed:
        by_key[(item.file, item.code)].append(item)
    matched, pending = [], []
    for finding in findings:
        candidates = by_key.get((finding.path, finding.code), [])
        exact = next((r for r in candidates if r.line == finding.line), None)
        if exact is not None:
            candidates.remove(exact)
            matched.append((finding, exact))
        else:
            pending.append(finding)
    new = []
    for finding in pending:
        candidates = by_key.get((finding.path, finding.code), [])
        file = root / finding.path if root is not None else None
        near = next((r for r in candidates if same_place(file, r.line, finding.line)), None)
        if near is not None:
            candidates.remove(near)
            matched.append((finding, near))
        else:
            new.append(finding)
    gone = [r for items in by_key.values() for r in items]
    return matched, new, gone


def summarize(matched, new, gone) -> dict:
    verdicts = Counter(r.verdict or "unread" for _, r in matched)
    unread = verdicts["unread"] + len(new)
    right = sum(verdicts[v] for v in RIGHT)
    total = len(matched) + len(new)
    rules: dict[str, Counter] = defaultdict(Counter)
    for finding, r in matched:
        rules[finding.code][r.verdict or "unread"] += 1
    for finding in new:
        rules[finding.code]["unread"] += 1
    return {
        "findings": total,
        "TP": verdicts["TP"],
        "TP-LOW": verdicts["TP-LOW"],
        "FP": verdicts["FP"],
        "unread": unread,
        "precision_low": right / total if total else None,
        "precision_high": (right + unread) / total if total else None,
        "gone": len(gone),
        "gone_right": sum(r.verdict in RIGHT for r in gone),
        "rules": {code: dict(c) for code, c in sorted(rules.items())},
    }


def precision_text(summary: dict) -> str:
    low, high = summary["precision_low"], summary["precision_high"]
    if low is None:
        return "-"
    return f"{low:.2f}" if low == high else f"{low:.2f} to {high:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="corpus root directory")
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        choices=CORPUS_SETS,
        help="a corpus (repeatable; default: both)",
    )
    parser.add_argument("--reviewed", type=Path, default=REVIEWED)
    parser.add_argument("--json", type=Path, help="default: DIR/review-results.json")
    parser.add_argument(
        "--append-new",
        action="store_true",
        help="append the unread findings to the reviewed list with an empty verdict",
    )
    args = parser.parse_args(argv)

    reviewed = load_reviewed(args.reviewed)
    results: dict[str, dict] = {}
    every_matched, every_new, every_gone = [], [], []
    appended: list[Reviewed] = []
    for corpus_set in args.sets or list(CORPUS_SETS):
        name = CORPUS_NAMES[corpus_set]
        folder = CORPUS_SETS[corpus_set]
        tree = args.dir / folder
        if not tree.is_dir() or not any(tree.iterdir()):
            print(f"{corpus_set}: {tree} is not built (bench/corpus.py --set {corpus_set})")
            results[corpus_set] = {"error": "corpus not built"}
            continue
        findings = run_pglint(args.dir, paths=[folder])
        matched, new, gone = compare(findings, [r for r in reviewed if r.corpus == name], args.dir)
        every_matched += matched
        every_new += new
        every_gone += gone
        summary = summarize(matched, new, gone)
        summary["new"] = [vars(f) for f in new]
        summary["gone_list"] = [vars(r) for r in gone]
        summary["false_list"] = [vars(r) for _, r in matched if r.verdict == "FP"]
        results[corpus_set] = summary
        appended += [Reviewed(f.path, f.line, f.code, "", "", "", name) for f in new]
        print(
            f"{corpus_set}: {summary['findings']} findings, precision {precision_text(summary)}"
            f" (TP {summary['TP']}, TP-LOW {summary['TP-LOW']}, FP {summary['FP']},"
            f" unread {summary['unread']}); {len(gone)} reviewed findings gone"
        )
    if every_matched or every_new or every_gone:
        total = summarize(every_matched, every_new, every_gone)
        results["both"] = total
        print(f"both: {total['findings']} findings, precision {precision_text(total)}")
        if every_new:
            print(f"\nNew findings, not read yet ({len(every_new)}):")
            for f in sorted(every_new, key=lambda f: (f.path, f.line)):
                print(f"  {f.path}:{f.line} {f.code} {f.message[:120]}")
        false = [r for _, r in every_matched if r.verdict == "FP"]
        if false:
            print(f"\nFindings read as false and still reported ({len(false)}):")
            for r in sorted(false, key=lambda r: (r.fp_class, r.file, r.line)):
                print(f"  {r.file}:{r.line} {r.code}  [{r.fp_class}] {r.reason}")
        if every_gone:
            print(f"\nReviewed findings no longer reported ({len(every_gone)}), real ones first:")
            for r in sorted(every_gone, key=lambda r: (r.verdict not in RIGHT, r.file, r.line)):
                print(f"  [{r.verdict or 'unread'}] {r.file}:{r.line} {r.code}  {r.reason}")
    out = args.json or args.dir / "review-results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nresults: {out}")
    if args.append_new and appended:
        with args.reviewed.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
            for item in appended:
                writer.writerow(item.row())
        print(f"appended {len(appended)} unread findings to {args.reviewed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

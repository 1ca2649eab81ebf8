"""The measuring scripts in bench/: how findings meet labels and reviews, and the
README's "How often is it right" table (its shape, not its numbers, which need the
corpora)."""

from __future__ import annotations

import io
import re
import tarfile

import pytest

from conftest import ROOT


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import findings
    import labelled
    import precision_table
    import review

    return findings, labelled, review, precision_table


ROW = re.compile(r"^\|(.*)\|$")


def parse_table(block: str) -> list[list[str]]:
    """The rows of the markdown table at the start of ``block``, header and rule
    excluded; fails on a line that is not a table row of the header's width."""
    lines = block.strip("\n").splitlines()
    table = []
    for line in lines:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in ROW.match(line).group(1).split("|")])
    header, rule, *rows = table
    assert [h.lower() for h in header] == [
        "rule",
        "findings read",
        "right",
        "false",
        "precision",
        "recall on labelled apps",
    ]
    assert all(re.fullmatch(r"-+:?", cell) for cell in rule)
    for row in rows:
        assert len(row) == len(header), row
        name, read, right, false, precision, recall = (c.strip("*") for c in row)
        assert re.fullmatch(r"PGL\d{3}|all", name), name
        assert int(read) == int(right) + int(false)
        assert precision == "-" or 0 <= float(precision) <= 1
        assert recall == "-" or re.fullmatch(r"\d+ of \d+ \((\d\.\d\d)\)", recall), recall
    return rows


def test_readme_has_the_table_under_its_heading(bench):
    *_, precision_table = bench
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    heading = text.index("\n## How often is it right\n")
    begin = text.index(precision_table.BEGIN)
    end = text.index(precision_table.END)
    following = text.find("\n## ", heading + 1)
    assert heading < begin < end and (following == -1 or end < following)
    rows = parse_table(text[begin + len(precision_table.BEGIN) : end])
    if rows:
        assert rows[-1][0] == "**all**"


def test_the_table_adds_both_sources(bench):
    *_, precision_table = bench
    review = {
        "apps": {
            "findings": 5,
            "rules": {"PGL101": {"TP": 1, "TP-LOW": 1, "FP": 2}, "PGL001": {"FP": 1}},
        },
        "libraries": {"error": "corpus not built"},
    }
    labelled = {
        "rules": {
            "PGL101": {"labels": 4, "found": 3, "true": 3, "false": 1},
            "PGL302": {"labels": 2, "found": 0},
        },
        "apps": [{"name": "a"}, {"name": "b", "error": "fetch failed"}],
    }
    block = precision_table.render(labelled, review)
    rows = {row[0].strip("*"): row for row in parse_table(block)}
    assert rows["PGL101"] == ["PGL101", "8", "5", "3", "0.62", "3 of 4 (0.75)"]
    assert rows["PGL302"] == ["PGL302", "0", "0", "0", "-", "0 of 2 (0.00)"]
    assert "PGL001" not in rows  # a syntax error is no rule's finding
    assert rows["all"][1:4] == ["**8**", "**5**", "**3**"]
    prose = " ".join(block.split())
    assert "libraries corpus was not measured" in prose
    assert "1 labelled apps" in prose  # the app that failed is not counted


def test_regenerating_keeps_the_text_around(bench, tmp_path):
    *_, precision_table = bench
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# x\n\n## How often is it right\n\nprose\n\n{precision_table.BEGIN}\nold\n"
        f"{precision_table.END}\n\n## Next\nmore\n"
    )
    results = tmp_path / "labelled.json"
    results.write_text('{"rules": {"PGL403": {"labels": 1, "found": 1, "true": 1}}, "apps": []}')
    argv = ["--readme", str(readme), "--labelled", str(results), "--review", str(tmp_path / "none")]
    assert precision_table.main([*argv, "--check"]) == 1
    assert precision_table.main(argv) == 0
    text = readme.read_text()
    assert "prose" in text and "## Next\nmore" in text and "old" not in text
    assert "| PGL403 | 1 | 1 | 0 | 1.00 | 1 of 1 (1.00) |" in text
    assert precision_table.main([*argv, "--check"]) == 0


MODULE = """\
import psycopg2


def get_conn():
    return psycopg2.connect(
        host="db",
        password="pw",
    )


@app.get("/a")
def route():
    conn = get_conn()
    return conn
"""


def test_labels_match_within_a_statement_and_exact_lines_first(bench, tmp_path):
    findings, labelled, *_ = bench
    (tmp_path / "db.py").write_text(MODULE)
    Finding, Label = findings.Finding, labelled.Label
    app = labelled.App(
        name="x",
        repo="o/x",
        commit="0" * 40,
        reviewed=["*.py"],
        labels=[
            Label("db.py", 7, "PGL601", "the password"),  # reported where the call starts
            Label("db.py", 5, "PGL302", "per request"),
            Label("db.py", 14, "PGL403", "never closed"),
        ],
        silent=[Label("db.py", 11, "*", "the route")],
    )
    reported = [
        Finding("db.py", 5, "PGL601"),
        Finding("db.py", 6, "PGL302"),  # same statement as the label on line 5
        Finding("db.py", 5, "PGL302"),  # and this one on the very line: it takes the label
        Finding("db.py", 12, "PGL502"),  # the decorator belongs to the def's header
        Finding("db.py", 13, "PGL101"),  # nothing there
        Finding("other/mod.py", 1, "PGL101"),  # not reviewed
        Finding("db.py", 1, "PGL001"),  # pglint's own condition
    ]
    score = labelled.score_app(app, tmp_path, reported)
    assert {(label.code, hit.line) for label, hit in score.found} == {
        ("PGL601", 5),
        ("PGL302", 5),
    }
    assert [label.code for label in score.missed] == ["PGL403"]
    assert [(f.line, f.code) for f, _ in score.false_silent] == [(12, "PGL502")]
    assert [(f.line, f.code) for f in score.false_unlabelled] == [(6, "PGL302"), (13, "PGL101")]
    assert [f.path for f in score.unreviewed] == ["other/mod.py"]
    assert [f.code for f in score.own] == ["PGL001"]
    rules = labelled.per_rule([score])
    assert rules["PGL302"] == {
        "labels": 1,
        "labels_after_run": 0,
        "found": 1,
        "true": 1,
        "false": 1,
    }


def test_globs_stay_in_one_directory_unless_told(bench):
    findings, *_ = bench
    assert findings.matches_any("app/routes/a.py", ["app/routes/*.py"])
    assert not findings.matches_any("app/routes/sub/a.py", ["app/routes/*.py"])
    assert findings.matches_any("app/routes/sub/a.py", ["app/**/*.py"])
    assert findings.matches_any("app/a.py", ["app/**/*.py"])


def test_the_manifest_is_consistent(bench):
    _, labelled, *_ = bench
    apps = labelled.load_manifest()
    assert len(apps) >= 20
    assert labelled.check_manifest(apps) == []
    for app in apps:
        for label in app.labels + app.silent:
            assert re.fullmatch(r"PGL\d{3}", label.code) or label.code == "*", label
            assert label.why.strip(), label


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_extracting_keeps_python_files_inside_the_target(bench, tmp_path):
    _, labelled, *_ = bench
    archive = tar_bytes(
        {
            "repo-abc/app/main.py": b"x = 1\n",
            "repo-abc/README.md": b"# no\n",
            "repo-abc/pyproject.toml": b"[project]\n",
            "repo-abc/../../evil.py": b"boom\n",
        }
    )
    target = tmp_path / "app"
    labelled.extract(archive, target, strip_top=True)
    kept = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert kept == ["app/main.py", "pyproject.toml"]
    assert not (tmp_path.parent / "evil.py").exists()


def test_review_pairs_findings_and_lists_the_gone(bench, tmp_path):
    findings, _, review, _ = bench
    (tmp_path / "py-apps").mkdir()
    (tmp_path / "py-apps" / "m.py").write_text("cur.execute(\n    f'SELECT {x}'\n)\n")
    Finding, Reviewed = findings.Finding, review.Reviewed
    reviewed = [
        Reviewed("py-apps/m.py", 2, "PGL101", "TP", "request value", "", "apps"),
        Reviewed("py-apps/m.py", 9, "PGL403", "TP-LOW", "leaks in a script", "", "apps"),
    ]
    now = [Finding("py-apps/m.py", 1, "PGL101"), Finding("py-apps/m.py", 3, "PGL202")]
    matched, new, gone = review.compare(now, reviewed, tmp_path)
    assert [(f.line, r.line) for f, r in matched] == [(1, 2)]
    assert [f.code for f in new] == ["PGL202"]
    assert [r.code for r in gone] == ["PGL403"]
    summary = review.summarize(matched, new, gone)
    assert (summary["TP"], summary["unread"], summary["gone_right"]) == (1, 1, 1)
    assert review.precision_text(summary) == "0.50 to 1.00"


def test_the_reviewed_list_loads(bench):
    _, _, review, _ = bench
    rows = review.load_reviewed()
    assert len(rows) >= 175
    assert {r.corpus for r in rows} <= {"apps", "libs"}

"""The fixture harness: annotated example files checked against the linter, both ways.

Every ``tests/fixtures/*.py`` except ``*.fixed.py`` is a valid Python module (never
executed) made of small independent cases. Expectations are written in comments:

* ``# expect: PGL101`` (or ``# expect: PGL201, PGL202``) at the end of a line: exactly
  these diagnostics are reported on that line;
* ``# expect-next: PGL101`` alone on a line: the diagnostics are reported on the next
  line, for a line that cannot carry a comment (one that opens a multi-line string).

A fixture must produce exactly the annotated multiset of ``(line, code)`` and nothing
else; a ``*_good.py`` fixture carries no annotation and must produce no diagnostic.

Each fixture is also checked in three derived ways:

* **noqa** — the annotations are turned into ``# noqa: CODES`` comments on the reported
  row, or at the end of the multi-line string the row opens (flake8's rule, which
  pglint's command line shares); the result must produce no diagnostic at all.
* **fixes** — when ``<name>.fixed.py`` exists next to a fixture, every ``safe`` fix is
  applied (a structural fix's edits worked out against the text first; edits of one
  diagnostic together, from the end of the file backwards; when two
  diagnostics' fixes overlap or touch, the earlier one wins and the later one waits for
  the next round), the file is linted again and fixed again, at most 10 rounds. The
  result must equal ``<name>.fixed.py`` byte for byte, compile, and offer no further safe
  fix. Fixes never touch comments, so a ``.fixed.py`` file keeps every ``# expect:``
  comment of the original, also on lines whose diagnostic the fix removed: the whole
  text is compared, comments included. ``.fixed.py`` files are not fixtures themselves.
  A ``*_bad.py`` fixture without a ``.fixed.py`` companion must offer no safe fix.
  ``<name>.unsafe.fixed.py`` is the same with unsafe fixes applied too.
* **rule examples** — every rule's documented bad examples are reported by that rule, and
  its good examples produce nothing.

Rules that are off by default run on their own fixtures and examples only (selected by
their code, as a user turns them on); everywhere else the default selection applies.

Only the public API is used: ``pglint.lint_source``, ``Fix.edits_for``,
``pglint.rules.all_rules`` and ``pglint.settings.Settings``.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from pglint import lint_source
from pglint.rules import all_rules
from pglint.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"

FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))
FIXED_FILES = sorted(FIXTURES.glob("*.fixed.py"))

_CODE = r"PGL[0-9]{3}"
_EXPECT = re.compile(rf"#\s*expect(?P<next>-next)?:\s*(?P<codes>{_CODE}(?:\s*,\s*{_CODE})*)\s*$")
_LOOSE_EXPECT = re.compile(r"#\s*expect(-next)?\b", re.IGNORECASE)
MAX_FIX_ROUNDS = 10


# --- reading annotations ------------------------------------------------------------------


@dataclass(frozen=True)
class Annotation:
    comment_row: int  # where the comment is written
    target_row: int  # where the diagnostics are expected
    start: tuple[int, int]  # (row, col) of the comment token
    end: tuple[int, int]
    codes: tuple[str, ...]


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(text).readline))


def read_annotations(text: str) -> list[Annotation]:
    """The ``# expect`` comments of a fixture (real comments only, not string contents)."""
    annotations = []
    for tok in _tokens(text):
        if tok.type != tokenize.COMMENT or not _LOOSE_EXPECT.search(tok.string):
            continue
        row = tok.start[0]
        match = _EXPECT.search(tok.string)
        if match is None:
            raise AssertionError(f"line {row}: malformed expectation comment {tok.string!r}")
        if match.start() != 0:
            raise AssertionError(f"line {row}: put the expectation in its own comment")
        codes = tuple(c.strip() for c in match.group("codes").split(","))
        if match.group("next"):
            if tok.line[: tok.start[1]].strip():
                raise AssertionError(f"line {row}: `# expect-next:` must stand on its own line")
            target = row + 1
        else:
            target = row
        annotations.append(Annotation(row, target, tok.start, tok.end, codes))
    return annotations


def expected_pairs(annotations: list[Annotation]) -> Counter[tuple[int, str]]:
    return Counter((a.target_row, code) for a in annotations for code in a.codes)


def noqa_ranges(text: str) -> dict[int, tuple[int, int]]:
    """Map each row to the rows one ``# noqa`` covers it from, as flake8 draws them: a
    range closes at every NL/NEWLINE token, so only multi-line strings and backslash
    continuations join rows."""
    ranges: dict[int, tuple[int, int]] = {}
    rows: list[int] = []
    for tok in _tokens(text):
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        rows += [tok.start[0], tok.end[0]]
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            for row in range(min(rows), max(rows) + 1):
                ranges[row] = (min(rows), max(rows))
            rows = []
    return ranges


def noqa_variant(text: str, annotations: list[Annotation]) -> str:
    """The fixture with its annotations removed and written back as ``# noqa: CODES`` on
    each reported row (at the end of the string when the row opens a multi-line one)."""
    lines = text.splitlines(keepends=True)
    ranges = noqa_ranges(text)
    # Remove every annotation comment, from the end of the file backwards.
    for a in sorted(annotations, key=lambda a: a.start, reverse=True):
        row, col = a.start
        line = lines[row - 1]
        end_col = a.end[1]
        lines[row - 1] = line[:col].rstrip() + line[end_col:]
    codes_at: dict[int, list[str]] = {}
    for a in annotations:
        last = ranges.get(a.target_row, (a.target_row, a.target_row))[1]
        codes_at.setdefault(last, []).extend(a.codes)
    for row, codes in codes_at.items():
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        newline = line[len(body) :]
        lines[row - 1] = f"{body}  # noqa: {', '.join(dict.fromkeys(codes))}{newline}"
    return "".join(lines)


# --- running the linter -------------------------------------------------------------------


def lint(text: str, filename: str):
    code = filename[:6].upper()
    off = {r.code for r in all_rules() if not r.default_enabled}
    settings = Settings(extend_select=(code,)) if code in off else Settings()
    result = lint_source(text, filename, settings)
    assert result.error is None, f"{filename}: {result.error}"
    return result.diagnostics


def describe(diagnostic) -> str:
    where = f"{diagnostic.location.row}:{diagnostic.location.column}"
    return f"{where} {diagnostic.code} {diagnostic.message}"


def compare(path: Path, text: str, annotations: list[Annotation]) -> None:
    diagnostics = lint(text, path.name)
    expected = expected_pairs(annotations)
    actual = Counter((d.location.row, d.code) for d in diagnostics)
    missing = expected - actual
    unexpected = actual - expected
    if not missing and not unexpected:
        return
    lines = text.splitlines()
    report = [f"{path.name}: diagnostics differ from the annotations"]
    if missing:
        report.append("missing (annotated but not reported):")
        for (row, code), n in sorted(missing.items()):
            times = f" x{n}" if n > 1 else ""
            report.append(f"  {row}: {code}{times}    | {lines[row - 1].strip()}")
    if unexpected:
        report.append("unexpected (reported but not annotated):")
        left = Counter(unexpected)
        for d in diagnostics:
            key = (d.location.row, d.code)
            if left[key] > 0:
                left[key] -= 1
                report.append(f"  {describe(d)}")
                report.append(f"      | {lines[d.location.row - 1].strip()}")
    pytest.fail("\n".join(report), pytrace=False)


# --- applying fixes -----------------------------------------------------------------------


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _offset(starts: list[int], location) -> int:
    """A 1-based (row, character column) location as an offset into the text."""
    row, column = location.row, location.column
    if row - 1 >= len(starts):  # one past the last line
        return starts[-1] + column - 1
    return starts[row - 1] + column - 1


def safe_fixes(diagnostics, applicabilities=("safe",)) -> list:
    return [d for d in diagnostics if d.fix is not None and d.fix.applicability in applicabilities]


def edits_of(fix, text: str):
    """A fix's edits; a structural fix's are worked out against the text (``Fix.edits_for``)."""
    return fix.edits_for(text) if hasattr(fix, "edits_for") else fix.edits


def apply_fixes_once(text: str, diagnostics, applicabilities=("safe",)) -> str:
    starts = _line_starts(text)
    chosen: list[list[tuple[int, int, str]]] = []
    spans: list[tuple[int, int, list[tuple[int, int, str]]]] = []
    for d in safe_fixes(diagnostics, applicabilities):
        edits = [
            (_offset(starts, e.location), _offset(starts, e.end_location), e.content)
            for e in edits_of(d.fix, text)
        ]
        if not edits:
            continue
        spans.append((min(s for s, _, _ in edits), max(e for _, e, _ in edits), edits))
    spans.sort(key=lambda span: (span[0], span[1]))
    last_end = -1
    for start, end, edits in spans:
        if start <= last_end:
            continue  # overlaps (or touches) a fix already chosen: next round
        chosen.append(edits)
        last_end = end
    all_edits = sorted((e for edits in chosen for e in edits), key=lambda e: (e[0], e[1]))
    for start, end, content in reversed(all_edits):
        text = text[:start] + content + text[end:]
    return text


def fix_until_stable(text: str, filename: str, applicabilities=("safe",)) -> tuple[str, int]:
    for rounds in range(MAX_FIX_ROUNDS):
        diagnostics = lint(text, filename)
        if not safe_fixes(diagnostics, applicabilities):
            return text, rounds
        fixed = apply_fixes_once(text, diagnostics, applicabilities)
        if fixed == text:
            return text, rounds
        text = fixed
    return text, MAX_FIX_ROUNDS


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


# --- the tests ----------------------------------------------------------------------------


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_there_are_fixtures():
    assert FIXTURE_FILES, "no fixtures found"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_ids(FIXTURE_FILES))
def test_fixture(path: Path):
    text = read(path)
    compile(text, str(path), "exec")
    annotations = read_annotations(text)
    if path.stem.endswith("_good"):
        assert not annotations, f"{path.name}: a good fixture carries no `# expect` comment"
    if path.stem.endswith("_bad"):
        assert annotations, f"{path.name}: a bad fixture without annotations"
    compare(path, text, annotations)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_ids(FIXTURE_FILES))
def test_fixture_noqa(path: Path):
    text = read(path)
    annotations = read_annotations(text)
    variant = noqa_variant(text, annotations)
    compile(variant, f"{path.name} (noqa variant)", "exec")
    leftover = lint(variant, path.name)
    assert not leftover, f"{path.name} with `# noqa` comments still reports:\n" + "\n".join(
        describe(d) for d in leftover
    )


@pytest.mark.parametrize("path", FIXED_FILES, ids=_ids(FIXED_FILES))
def test_fixed_companion_has_a_fixture(path: Path):
    stem = path.name.removesuffix(".fixed.py").removesuffix(".unsafe")
    original = path.with_name(stem + ".py")
    assert original.exists(), f"{path.name} has no fixture {original.name}"
    compile(read(path), str(path), "exec")


BAD_FILES = [p for p in FIXTURE_FILES if p.stem.endswith("_bad")]


@pytest.mark.parametrize("path", BAD_FILES, ids=_ids(BAD_FILES))
def test_fixes(path: Path):
    text = read(path)
    companion = path.with_name(path.stem + ".fixed.py")
    if not companion.exists():
        offered = safe_fixes(lint(text, path.name))
        assert not offered, (
            f"{path.name} gets safe fixes but has no {companion.name}:\n"
            + "\n".join(describe(d) for d in offered)
        )
        return
    fixed, rounds = fix_until_stable(text, path.name)
    assert rounds < MAX_FIX_ROUNDS, f"{path.name}: fixes did not converge in {rounds} rounds"
    assert_fixed_as(path, fixed, companion, "--fix")
    again = safe_fixes(lint(fixed, companion.name))
    assert not again, f"{companion.name} still gets safe fixes:\n" + "\n".join(
        describe(d) for d in again
    )


UNSAFE_COMPANIONS = [p for p in BAD_FILES if p.with_name(p.stem + ".unsafe.fixed.py").exists()]


@pytest.mark.parametrize("path", UNSAFE_COMPANIONS, ids=_ids(UNSAFE_COMPANIONS))
def test_unsafe_fixes(path: Path):
    """``<name>.unsafe.fixed.py``: the fixture after every fix, unsafe ones included
    (`--fix --unsafe-fixes`), by the same rounds."""
    fixed, rounds = fix_until_stable(read(path), path.name, ("safe", "unsafe"))
    assert rounds < MAX_FIX_ROUNDS, f"{path.name}: fixes did not converge in {rounds} rounds"
    companion = path.with_name(path.stem + ".unsafe.fixed.py")
    assert_fixed_as(path, fixed, companion, "--fix --unsafe-fixes")


def assert_fixed_as(path: Path, fixed: str, companion: Path, how: str) -> None:
    expected = read(companion)
    if fixed != expected:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                fixed.splitlines(keepends=True),
                companion.name,
                f"{path.name} after {how}",
            )
        )
        pytest.fail(f"{path.name}: the fixed text differs from {companion.name}:\n{diff}")
    compile(fixed, companion.name, "exec")


def _load_rules() -> tuple[list, BaseException | None]:
    """The registered rules; an import error in a rule fails one test, not collection."""
    try:
        # PGL000 (pglint's bug) and PGL002 (a budget) have no example in user code.
        return [rule for rule in all_rules() if rule.code not in ("PGL000", "PGL002")], None
    except Exception as exc:
        return [], exc


RULES, RULES_ERROR = _load_rules()


def test_rules_load():
    if RULES_ERROR is not None:
        raise RULES_ERROR
    assert RULES, "no rules registered"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_examples(rule):
    for number, example in enumerate(rule.bad_examples, 1):
        codes = [d.code for d in lint(example, f"{rule.code}_bad_example_{number}.py")]
        assert rule.code in codes, (
            f"{rule.code} bad example {number} is not reported (got {codes}):\n{example}"
        )
    for number, example in enumerate(rule.good_examples, 1):
        found = lint(example, f"{rule.code}_good_example_{number}.py")
        assert not found, (
            f"{rule.code} good example {number} is reported:\n"
            + "\n".join(describe(d) for d in found)
            + f"\n{example}"
        )


# Rules about what comes from outside the program stay silent in test modules, where the
# names and credentials are the test's own.
TEST_MODULE_EXEMPT = ["PGL102", "PGL601"]


@pytest.mark.parametrize("code", TEST_MODULE_EXEMPT)
@pytest.mark.parametrize("name", ["tests/test_tables.py", "tables_test.py", "conftest.py"])
def test_test_modules_are_exempt(code, name):
    rule = next(r for r in RULES if r.code == code)
    assert code in [d.code for d in lint(rule.example, "app/tables.py")]
    assert code not in [d.code for d in lint(rule.example, name)]


CHECKED_RULES = [r for r in RULES if not r.code.startswith("PGL0")]


@pytest.mark.parametrize("rule", CHECKED_RULES, ids=[r.code for r in CHECKED_RULES])
def test_every_rule_has_fixtures(rule):
    stem = rule.code.lower()
    for kind in ("bad", "good"):
        path = FIXTURES / f"{stem}_{kind}.py"
        assert path.exists(), f"{rule.code} has no fixture {path.name}"
    bad = read(FIXTURES / f"{stem}_bad.py")
    codes = {c for a in read_annotations(bad) for c in a.codes}
    assert rule.code in codes, f"{stem}_bad.py never expects {rule.code}"


EXAMPLE_CODES = {"PGL101", "PGL102", "PGL201", "PGL202", "PGL203", "PGL204", "PGL205"}
EXAMPLE_CODES |= {"PGL301", "PGL302", "PGL303", "PGL401", "PGL402", "PGL403", "PGL404"}
EXAMPLE_CODES |= {"PGL701", "PGL702", "PGL703", "PGL704", "PGL705", "PGL706", "PGL707"}


def test_example_app_shows_every_rule():
    files = sorted(EXAMPLES.rglob("*.py"))
    assert files, "the example app is missing"
    found: Counter[str] = Counter()
    for path in files:
        text = read(path)
        compile(text, str(path), "exec")
        for d in lint(text, path.name):
            assert not d.code.startswith("PGL0"), f"{path.name}: {describe(d)}"
            found[d.code] += 1
    missing = EXAMPLE_CODES - set(found)
    assert not missing, f"the example app shows no {sorted(missing)} (found {dict(found)})"


# The async and secrets rules need the whole app: a router's `get_db` and `pg_pool` are
# defined in another module, so the example is linted as a project, like `pglint check`.
EXAMPLE_PROJECT_CODES = {"PGL501", "PGL502", "PGL503", "PGL601"}


def test_example_app_shows_the_project_rules():
    from pglint import lint_paths

    found = Counter(d.code for r in lint_paths([str(EXAMPLES)]) for d in r.diagnostics)
    missing = EXAMPLE_PROJECT_CODES - set(found)
    assert not missing, f"the example app shows no {sorted(missing)} (found {dict(found)})"


# --- multi-module projects ----------------------------------------------------------------

# Each directory under fixtures/projects/ is a small application linted as one project
# (`lint_paths` on the directory, as `pglint check DIR` does): its files carry the same
# `# expect:` annotations, and some findings need what another module defines.
PROJECTS = sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir())


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_project_fixture(project: Path):
    from pglint import lint_paths

    results = {Path(r.filename).resolve(): r for r in lint_paths([str(project)])}
    files = sorted(project.rglob("*.py"))
    assert files and set(results) == {f.resolve() for f in files}
    annotated = 0
    failures = []
    for path in files:
        result = results[path.resolve()]
        assert result.error is None, f"{path}: {result.error}"
        annotations = read_annotations(read(path))
        annotated += len(annotations)
        expected = expected_pairs(annotations)
        actual = Counter((d.location.row, d.code) for d in result.diagnostics)
        if expected != actual:
            shown = path.relative_to(project)
            failures.append(
                f"{shown}: missing {sorted((expected - actual).elements())}, "
                f"unexpected {[describe(d) for d in result.diagnostics if (d.location.row, d.code) in actual - expected]}"
            )
    assert annotated, f"{project.name} has no `# expect` annotations"
    assert not failures, "\n".join(failures)


# --- the harness's own helpers ------------------------------------------------------------


def test_harness_reads_annotations():
    text = (
        "x = 1  # expect: PGL101\n"
        "# expect-next: PGL201, PGL202\n"
        "y = '''a\n"
        "b'''\n"
        "s = '# expect: PGL999'\n"
    )
    annotations = read_annotations(text)
    assert expected_pairs(annotations) == Counter(
        {(1, "PGL101"): 1, (3, "PGL201"): 1, (3, "PGL202"): 1}
    )
    variant = noqa_variant(text, annotations)
    assert variant.splitlines() == [
        "x = 1  # noqa: PGL101",
        "",
        "y = '''a",
        "b'''  # noqa: PGL201, PGL202",
        "s = '# expect: PGL999'",
    ]


def test_harness_rejects_malformed_annotations():
    with pytest.raises(AssertionError):
        read_annotations("x = 1  # expect: PGL1\n")
    with pytest.raises(AssertionError):
        read_annotations("x = 1  # expect-next: PGL101\n")


def test_harness_applies_edits():
    def at(row, column):
        return SimpleNamespace(row=row, column=column)

    def diag(row, col, end_col, content, applicability="safe"):
        edit = SimpleNamespace(
            location=at(row, col), end_location=at(row, end_col), content=content
        )
        fix = SimpleNamespace(applicability=applicability, edits=(edit,))
        return SimpleNamespace(code="PGL999", location=at(row, 1), fix=fix)

    text = "ab(x)\ncd é(y)\n"
    fixes = [diag(1, 5, 5, ","), diag(2, 7, 7, ","), diag(2, 5, 5, "!"), diag(1, 1, 3, "?")]
    # (2, 5) and (2, 7) don't overlap; "é" is one character.
    assert apply_fixes_once(text, fixes) == "?(x,)\ncd é!(y,)\n"
    overlapping = [diag(1, 1, 4, "Z"), diag(1, 2, 3, "Y"), diag(1, 4, 4, "W", "unsafe")]
    assert apply_fixes_once(text, overlapping) == "Zx)\ncd é(y)\n"

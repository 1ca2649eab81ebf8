"""What keeps the cost of one file low without changing its findings: work shared between
rules is handed out so that no caller can spoil it for the next, the facts are freed as
soon as the rules are done, and the string shortcut for plain exclude names agrees with
the glob matching it replaces."""

from __future__ import annotations

import gc
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pglint.engine import lint_source
from pglint.settings import Settings, _excludes, path_matches
from pglint.sql import tokenize

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "app"


def test_tokens_are_shared_but_the_lists_are_not():
    sql = "SELECT id FROM users WHERE email = %s"
    first = tokenize(sql)
    first.clear()  # a caller that changes its list must not change the next caller's
    again = tokenize(sql)
    assert "".join(t.text for t in again) == sql
    assert again is not tokenize(sql)


def test_a_long_text_is_tokenized_whole():
    sql = "SELECT a FROM t WHERE b = %s AND " * 2_000 + "c = 1"
    assert "".join(t.text for t in tokenize(sql)) == sql


def test_linting_leaves_no_reference_cycles_behind():
    # The facts point back and forth (a binding at its scope, the scope at its bindings);
    # once the rules are done they are taken apart, so nothing waits for the cyclic
    # garbage collector. Every example module, database-heavy ones included.
    sources = [p.read_text() for p in sorted(EXAMPLES.glob("*.py"))]
    for source in sources:
        lint_source(source, "example.py")  # first use: imports, caches
    gc.collect()
    gc.disable()
    try:
        found = []
        for source in sources:
            found.extend(lint_source(source, "example.py").diagnostics)
        left = gc.collect()
    finally:
        gc.enable()
    assert found, "the examples have findings: the rules ran"
    assert left == 0


_COMPONENT = st.sampled_from(["a", "b", "venv", ".git", "x.py", "", ".", "..", "tests", "a b"])
_PATH = st.builds(
    lambda lead, parts: lead + "/".join(parts),
    st.sampled_from(["", "/", "//"]),
    st.lists(_COMPONENT, max_size=5),
)
_NAME = st.sampled_from(["venv", ".git", "a", "a/b", "./a", "a/", "b/.git", "x.py", "tests/"])


@given(_PATH, _NAME)
def test_a_plain_name_matches_like_the_same_name_as_a_glob(path, name):
    # `[v]env` is a glob that matches exactly what `venv` names.
    stripped = name.removeprefix("./").rstrip("/")
    as_glob = "[" + stripped[0] + "]" + stripped[1:]
    assert path_matches(path, name) == path_matches(path, as_glob)


@given(_PATH, st.lists(_NAME | st.sampled_from(["*.py", "t*/*", "", "/", "a\\b"]), max_size=6))
def test_a_set_of_excludes_matches_like_each_pattern_alone(path, patterns):
    # Plain names are looked up in a set; the answer must be the patterns' own.
    expected = any(path_matches(path, pattern) for pattern in patterns)
    assert _excludes(tuple(patterns)).match(path) == expected


def test_relative_paths_follow_the_working_directory(tmp_path, monkeypatch):
    # Worked out once per directory, but a directory written relative to the working
    # directory is another directory when that changes.
    settings = Settings(root=str(tmp_path / "a"))
    monkeypatch.chdir(tmp_path)
    assert settings.relative("a/pkg/x.py") == "pkg/x.py"
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert settings.relative("a/pkg/x.py") == "a/pkg/x.py"

"""Which regular expressions check a name well enough to put it into SQL text: every text
they accept (with the method used) is made of letters, digits, `_`, `$` and `.`."""

from __future__ import annotations

import pytest

from pglint.facts.flow import only_name_characters


@pytest.mark.parametrize(
    ("pattern", "method"),
    [
        (r"^[A-Za-z_][A-Za-z0-9_]*$", "match"),
        (r"[A-Za-z_][A-Za-z0-9_]*", "fullmatch"),
        (r"\A\w+\Z", "search"),
        (r"^[a-z_]+(\.[a-z_]+)?$", "match"),
        (r"(?i)^[a-z][a-z0-9_$]{0,62}$", "match"),
        (r"^(?:public|audit)\.[a-z_]+$", "match"),
        (r"^\d+$", "match"),
    ],
)
def test_a_whole_name_check(pattern, method):
    assert only_name_characters(pattern, method)


@pytest.mark.parametrize(
    ("pattern", "method", "why"),
    [
        (r"^[A-Za-z_]+", "match", "only the start is checked: `orders; DROP TABLE x`"),
        (r"[a-z_]+$", "search", "only the end is checked"),
        (r"[a-z_]+", "match", "a prefix is enough to match"),
        (r"^[\w ]+$", "match", "spaces separate words: `a OR true`"),
        (r"^[^;]+$", "match", "a negated set lets quotes through"),
        (r"^.+$", "match", "any character"),
        (r"^[a-z-]+$", "match", "`--` starts a comment"),
        (r"^\S+$", "match", "quotes are not spaces"),
        (r"^(a|b'c)$", "match", "a quote in one branch"),
        (r"^[a-z", "match", "not a pattern"),
    ],
)
def test_not_a_name_check(pattern, method, why):
    assert not only_name_characters(pattern, method), why

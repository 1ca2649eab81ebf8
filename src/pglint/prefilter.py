"""Which files can have a finding at all, decided from their text before any parse.

Most files of a tree never touch a database: schemas, utilities, templates' helpers.
Parsing them and running the facts pass is most of a run's cost, so a file is analysed
only when its text shows it could have a finding. The test is sound, not a guess: every
finding starts from something the facts pass can only see if its name is in the text.

- A driver object comes from a qualified name in the drivers table (`psycopg2.connect`,
  `sqlalchemy.orm.Session`, `django.db.connection`): the file imports the module, so its
  name is in the text. A file that names a driver module is analysed (so a syntax error
  in it is reported); for the frameworks whose users mostly never reach the database
  through them (Django, pandas), the last name must be there too, whatever aliases the
  file uses (`from django import db as d; d.connection`).
- A call of unknown type is checked for SQL only under a method name the table lists
  (`execute`, `fetchrow`, …); a Django manager only through `objects` (or its kin) and
  one of the manager's SQL methods (`raw`, `extra`); a session factory from the
  conventional names (`SessionLocal`).
- PGL601 reads connection URLs of a database scheme (`postgresql://`, any case, with a
  `+driver`) and libpq strings with `password=` (any case).
- Everything else comes from another module of the project (``pglint.project``): a name
  it exports is used by its name, so a file that mentions none of the names its project
  imports export cannot resolve anything through them. Finding which modules a file
  imports is textual too (`textual_imports`): a superset of the real imports, since a
  module found but never imported only costs a lookup.

A skipped file is decoded but not parsed, so its syntax errors are not reported (PGL001
is for files pglint analyses; ruff and flake8 report syntax errors anyway).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pglint.drivers import (
    ANNOTATIONS,
    CONVENTIONAL_SESSION_FACTORIES,
    DATABASE_URL_SCHEMES,
    DJANGO_MANAGER_ATTRIBUTES,
    FACTORIES,
    GENERIC_SQL_METHODS,
    OBJECTS,
    SQL_FUNCTIONS,
    SQL_METHODS,
    TEXT_CONSTRUCTORS,
    UNIQUE_METHODS,
)


def _by_module(qualified: Iterable[str]) -> dict[str, frozenset[str]]:
    leaves: dict[str, set[str]] = {}
    for name in qualified:
        root, _, rest = name.partition(".")
        leaves.setdefault(root, set()).add(rest.rpartition(".")[2] or root)
    return {root: frozenset(names) for root, names in leaves.items()}


# Top-level module -> the last names of its qualified names pglint knows.
_QUALIFIED = _by_module([*FACTORIES, *OBJECTS, *ANNOTATIONS, *SQL_FUNCTIONS, *TEXT_CONSTRUCTORS])
# Modules most importers use for anything but a database: naming them is not enough.
_FRAMEWORKS = frozenset({"django", "pandas"})


def _shortest(words: Iterable[str]) -> tuple[str, ...]:
    """The words not containing another of them: `fetch` in a text covers `fetchrow`."""
    unique = set(words)
    return tuple(sorted(w for w in unique if not any(o != w and o in w for o in unique)))


# Names that count wherever they appear.
_WORDS = _shortest(
    [*GENERIC_SQL_METHODS, *UNIQUE_METHODS, *CONVENTIONAL_SESSION_FACTORIES]
    + [root for root in _QUALIFIED if root not in _FRAMEWORKS]
)
_MANAGER_SQL_METHODS = tuple(SQL_METHODS[("django", "manager")])
# Between two adjacent string literals, which Python joins into one: quotes, blanks,
# line continuations and the next literal's prefix (`"password" f"={x}"`).
_JOIN = r"""(?:[\s"'\\]|\b[rRbBuUfF]{1,2}(?=["']))*"""
# `password` then `=`, in any case (the libpq keyword string of PGL601), maybe split
# into two literals.
_PASSWORD = re.compile(rf"[pP][aA][sS][sS][wW][oO][rR][dD]{_JOIN}=")
# What may stand right before `://` in a URL PGL601 reads (its own pattern is stricter).
_URL_SCHEME = re.compile(rf"(?:{DATABASE_URL_SCHEMES})(?:\+[\w.-]+)?{_JOIN}$", re.IGNORECASE)
_SCHEME_WINDOW = 64


def has_database_code(text: str) -> bool:
    """Whether the text names anything a finding of this file alone could start from."""
    for word in _WORDS:
        if word in text:
            return True
    if any(name in text for name in DJANGO_MANAGER_ATTRIBUTES) and any(
        method in text for method in _MANAGER_SQL_METHODS
    ):
        return True
    for root in _FRAMEWORKS:
        if root in text and any(leaf in text for leaf in _QUALIFIED[root]):
            return True
    if _has_database_url(text):
        return True
    # The pattern has no literal to search for; the lowered text has one.
    return "password" in text.lower() and _PASSWORD.search(text) is not None


def _has_database_url(text: str) -> bool:
    at = text.find("://")
    while at != -1:
        if _URL_SCHEME.search(text, max(0, at - _SCHEME_WINDOW), at):
            return True
        at = text.find("://", at + 3)
    return False


# Blanks inside one logical line: spaces, tabs and backslash continuations. A name list
# stops at a backslash (the continuation is followed) and at the end of the line.
_BLANK = r"(?:[ \t\f]|\\\r?\n)"
_NAMES = r"[^\n;#\\]*(?:\\\r?\n[^\n;#\\]*)*"
# `from.db import x` and `from .import x` need no blank next to the dots. Each pattern
# starts with its keyword and checks the word boundary behind it: a pattern that starts
# with a literal is searched for as one, ten times faster than one starting with `\b`.
_FROM = re.compile(
    rf"from(?<!\wfrom)(?:[ \t\\\n\r]+|(?=\.))(\.*[\w.]*)(?:[ \t\\\n\r]+|(?<=\.))import{_BLANK}*"
    rf"(\((?:[^)#]|#[^\n]*)*\)?|{_NAMES})"
)
_IMPORT = re.compile(rf"import(?<!\wimport){_BLANK}+({_NAMES})")
_NAME = re.compile(r"[\w.]+")
_AS = re.compile(r"\bas(?:\s|\\)+\w+")


def textual_imports(text: str) -> set[str]:
    """Every dotted name an import statement in the text could bind, as pglint's facts
    spell it (`from .db import engine` -> `.db.engine`; `import app.db` -> `app.db` and
    `app`): a superset, since words in strings and comments count too."""
    found: set[str] = set()
    if "import" not in text:
        return found
    for match in _FROM.finditer(text):
        module, names = match.group(1), _AS.sub("", match.group(2))
        found.add(module)
        for name in _NAME.findall(names):
            if name != "import":
                found.add(f"{module}{name}" if module.endswith(".") else f"{module}.{name}")
    for match in _IMPORT.finditer(text):
        for name in _NAME.findall(_AS.sub("", match.group(1))):
            # `import app.db` binds `app` too: `app.get_db` reads `app/__init__.py`.
            parts = name.split(".")
            found.update(".".join(parts[:size]) for size in range(1, len(parts) + 1))
    return found


def mentions(text: str, names: Iterable[str]) -> bool:
    """Whether any of the names appears in the text as a whole identifier."""
    for name in names:
        start = text.find(name)
        while start != -1:
            end = start + len(name)
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                return True
            start = text.find(name, end)
    return False

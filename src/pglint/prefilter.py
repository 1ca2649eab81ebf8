"""Which files can have a finding at all, decided from their text before any parse.

Most files of a tree never touch a database: schemas, utilities, templates' helpers.
Parsing them and running the facts pass is most of a run's cost, so a file is analysed
only when its text shows it could have a finding. The test is sound, not a guess: every
finding starts from something the facts pass can only see if its name is in the text.

- A driver object comes from a qualified name in the drivers table (`psycopg2.connect`,
  `sqlalchemy.orm.Session`, `django.db.connection`): the file has an import statement
  naming the module, and the last name of the qualified name is a whole identifier in
  its text, whatever aliases it uses (`from django import db as d; d.connection`). A
  module of SQLAlchemy models (`Column`, `relationship`) has none of them.
- A call of unknown type is checked for SQL only under a method name the table lists
  (`execute`, `fetchrow`, …), which the text then has right after a dot (`prefetch_related`
  and `def execute` do not count); a Django manager only through `objects` (or its kin)
  and a call of one of the manager's SQL methods (`.raw`, `.extra`); a session factory
  from the conventional names (`SessionLocal`).
- PGL601 reads connection URLs of a database scheme (`postgresql://`, any case, with a
  `+driver`) and libpq strings with `password=` (any case) inside a string literal:
  `login(user, password=pw)` is code, not a connection string.
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
from pglint.facts.frameworks import (
    APP_CONSTRUCTORS,
    DJANGO_VIEW_DECORATORS,
    HTTP_METHODS,
    REQUEST_HOOKS,
)


def _by_module(qualified: Iterable[str]) -> dict[str, frozenset[str]]:
    leaves: dict[str, set[str]] = {}
    for name in qualified:
        root, _, rest = name.partition(".")
        leaves.setdefault(root, set()).add(rest.rpartition(".")[2] or root)
    return {root: frozenset(names) for root, names in leaves.items()}


# Top-level module -> the last names of its qualified names pglint knows.
_QUALIFIED = _by_module([*FACTORIES, *OBJECTS, *ANNOTATIONS, *SQL_FUNCTIONS, *TEXT_CONSTRUCTORS])


def _shortest(words: Iterable[str]) -> tuple[str, ...]:
    """The words not containing another of them: `fetch` in a text covers `fetchrow`."""
    unique = set(words)
    return tuple(sorted(w for w in unique if not any(o != w and o in w for o in unique)))


# Names that count wherever they appear.
_FACTORY_NAMES = _shortest(CONVENTIONAL_SESSION_FACTORIES)
# SQL-taking methods of objects of unknown type: only ever reached as `x.method(...)`.
_METHODS = frozenset([*GENERIC_SQL_METHODS, *UNIQUE_METHODS])
_METHOD_WORDS = _shortest(_METHODS)
_MANAGER_SQL_METHODS = frozenset(SQL_METHODS[("django", "manager")])
_MANAGER_WORDS = _shortest(_MANAGER_SQL_METHODS)
_BLANKS = " \t\f\\\r\n"


def _called_as_method(text: str, words: tuple[str, ...], methods: frozenset[str]) -> bool:
    """Whether one of ``methods`` is written as an attribute (`x.execute`, `x.\\n
    execute`): a whole identifier with a dot before it, maybe after blanks and line
    continuations. Inside brackets a comment may stand between the two; a name at the
    start of a line whose line above has a `#` counts, not to miss that. Each occurrence
    is looked at once, backwards over its own blanks only: linear in the text."""
    for word in words:
        at = text.find(word)
        while at != -1:
            start, end = at, at + len(word)
            while start and _is_name_char(text[start - 1]):
                start -= 1
            while end < len(text) and _is_name_char(text[end]):
                end += 1
            if text[start:end] in methods and _after_a_dot(text, start):
                return True
            at = text.find(word, end)
    return False


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _after_a_dot(text: str, start: int) -> bool:
    before = start - 1
    crossed_a_line = False
    while before >= 0 and text[before] in _BLANKS:
        crossed_a_line = crossed_a_line or text[before] in "\r\n"
        before -= 1
    if before < 0:
        return False
    if text[before] == ".":
        return True
    if not crossed_a_line:
        return False
    while before >= 0 and text[before] not in "\r\n":  # the line above, back to its start
        if text[before] == "#":
            return True
        before -= 1
    return False


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
    for name in _FACTORY_NAMES:
        if name in text:
            return True
    if _called_as_method(text, _METHOD_WORDS, _METHODS):
        return True
    if any(name in text for name in DJANGO_MANAGER_ATTRIBUTES) and _called_as_method(
        text, _MANAGER_WORDS, _MANAGER_SQL_METHODS
    ):
        return True
    imported: set[str] | None = None
    for root, leaves in _QUALIFIED.items():
        if root in text and any(leaf in text for leaf in leaves):  # cheap tests first
            if imported is None:
                imported = _imported_roots(text)
            if root in imported and mentions(text, leaves):
                return True
    if _has_database_url(text):
        return True
    # The pattern has no literal to search for; the lowered text has one.
    return "password" in text.lower() and _password_in_a_literal(text)


# What the scan below steps over: comments and string literals, each from its opening
# quote. A literal left open (by the end of its line, or of the text for a triple-quoted
# one) matches one of the named groups, so `match.lastgroup` tells.
_SQ, _DQ = "'", '"'
_LITERAL_OR_COMMENT = re.compile(
    "|".join(
        [
            r"#[^\r\n]*",
            *(
                rf"{q * 3}[^{q}\\]*(?:(?:\\.|{q}(?!{q * 2}))[^{q}\\]*)*(?:{q * 3}|(?P<{n}>\Z))"
                for q, n in ((_SQ, "open_sq3"), (_DQ, "open_dq3"))
            ),
            *(
                rf"{q}[^{q}\\\r\n]*(?:\\(?:\r\n|.)[^{q}\\\r\n]*)*(?:{q}|(?P<{n}>))"
                for q, n in ((_SQ, "open_sq"), (_DQ, "open_dq"))
            ),
        ]
    ),
    re.DOTALL,
)
_PREFIX_LETTERS = frozenset("rRbBuUfFtT")


def _password_in_a_literal(text: str) -> bool:
    """Whether a `password=` (as `_PASSWORD` finds it) starts inside a string literal,
    where PGL601's libpq keyword strings are. Comments and code do not count. When the
    scan cannot be sure where literals are (one left open; an f-string cut inside a
    replacement field, as `f"{d["k"]}"` is since Python 3.12), the answer is yes."""
    starts = [match.start() for match in _PASSWORD.finditer(text)]
    if not starts:
        return False
    at = 0  # the first of `starts` not yet placed
    for token in _LITERAL_OR_COMMENT.finditer(text):
        begin, end = token.span()
        while starts[at] < begin:  # in code between two literals or comments
            at += 1
            if at == len(starts):
                return False
        if text[begin] == "#":
            continue
        if token.lastgroup is not None or _cut_f_string(text, begin, end):
            return True
        if starts[at] < end:
            return True
    return False


def _cut_f_string(text: str, begin: int, end: int) -> bool:
    """Whether the literal at ``begin`` is an f-string whose replacement fields do not
    all close in it: the scan then ended it at a quote inside one."""
    prefix = begin
    while prefix > 0 and text[prefix - 1] in _PREFIX_LETTERS and begin - prefix < 3:
        prefix -= 1
    if not any(letter in "fFtT" for letter in text[prefix:begin]):
        return False
    body = text[begin:end].replace("{{", "").replace("}}", "")
    return body.count("{") != body.count("}")


def _imported_roots(text: str) -> set[str]:
    return {name.partition(".")[0] for name in textual_imports(text) if name[:1] != "."}


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
_COMMENT = re.compile(r"#[^\n]*")


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


def imported_modules(text: str) -> set[str]:
    """The dotted names the import statements in the text bind, as pglint's facts record
    them (`from app.db import engine` -> `app.db.engine`; `import app.db` -> `app`;
    `import app.db as db` -> `app.db`): the names a module's imports are looked up by.
    Words in strings and comments count too."""
    found: set[str] = set()
    if "import" not in text:
        return found
    keywords = set()  # where each `from ... import` statement has its `import`
    for match in _FROM.finditer(text):
        module = match.group(1)
        keywords.add(text.rfind("import", match.start(), match.start(2)))
        for item in _COMMENT.sub("", match.group(2)).strip("()").split(","):
            words = _NAME.findall(item)
            if words and words[0] != "import":
                name = words[0]
                found.add(f"{module}{name}" if module.endswith(".") else f"{module}.{name}")
    for match in _IMPORT.finditer(text):
        if match.start() in keywords:
            continue  # the `import` of a `from` statement
        for item in match.group(1).split(","):
            words = _NAME.findall(item)
            if words:
                found.add(words[0] if "as" in words[1:] else words[0].partition(".")[0])
    return found


# What a route handler or a dependency is declared with (facts/frameworks.py): a decorator
# naming an HTTP method or a route, `Depends(...)`, a registration call, Django's URL
# patterns and view decorators. A superset, as for database code: a file without any of
# them declares no route, and the program (pglint.program) needs no entry of it.
_ROUTE_DECORATOR = re.compile(
    r"^[ \t]*@[\w.]*\b(?:"
    + "|".join(sorted(HTTP_METHODS | DJANGO_VIEW_DECORATORS | REQUEST_HOOKS | {"middleware"}))
    + r")\b",
    re.MULTILINE,
)
_ROUTE_WORDS = (
    "Depends", "Security", "add_url_rule", "add_api_route", "add_route", "Route(",
    "urlpatterns", "router.add_", "add_get", "add_post", "add_view", "add_resource",
    "as_view", "add_event_handler",
    # A module making an app or a router registers routes on it, maybe as calls
    # (`bp.post("")(create)`) rather than decorators.
    *(f"{name}(" for name in APP_CONSTRUCTORS),
)  # fmt: skip


# A Django class-based view's handler: `def get(self, request, ...)` (facts/role_finder.py).
_DJANGO_METHOD_VIEW = re.compile(
    r"\bdef\s+(?:" + "|".join(sorted(HTTP_METHODS)) + r")\s*\(\s*self\s*,\s*request\b"
)
_DJANGO_VIEW_MODULES = ("views.py", "api.py", "viewsets.py")


def may_declare_routes(text: str, filename: str | None = None) -> bool:
    """Whether the text may declare a route handler or a FastAPI dependency: the roots
    of the program's request paths. With the file's name, a Django module counts only
    where the role finder looks for views: a function taking `request` in a views
    module, or a class-based view's handler method in any."""
    if any(word in text for word in _ROUTE_WORDS):
        return True
    if _ROUTE_DECORATOR.search(text) is not None:
        return True
    if "request" not in text or not ("django" in text or "rest_framework" in text):
        return False
    if filename is None or filename.replace("\\", "/").rpartition("/")[2] in _DJANGO_VIEW_MODULES:
        return True
    return _DJANGO_METHOD_VIEW.search(text) is not None


def mentions(text: str, names: Iterable[str]) -> bool:
    """Whether any of the names appears in the text as a whole identifier."""
    for name in names:
        start = text.find(name)
        while start != -1:
            end = start + len(name)
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            if not (_is_name_char(before) or _is_name_char(after)):
                return True
            start = text.find(name, end)
    return False

"""PGL601: a database password written into the source.

Decision on placeholders: a password that is template syntax (`${DB_PASSWORD}`,
`<password>`, `{password}`, `%(password)s`, `***`, `xxx`) is not a credential and is
never reported; a well-known default (`postgres`, `password`, `changeme`, `secret`...) is
reported with a softer message, because the string still ends up being the password
wherever the environment does not override it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pglint.diagnostics import Edit, Fix, Plan
from pglint.drivers import DATABASE_URL_SCHEMES, FACTORIES
from pglint.facts.containers import Containers
from pglint.facts.model import ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.rules._sqltext import literal_char_offsets, shorten
from pglint.rules._structural import import_plan
from pglint.rules.base import Finding, Rule
from pglint.source import SourceText

# Interpolated parts of an f-string stand in as this character: they are not literal text.
_HOLE = "\x00"
_URL = re.compile(
    rf"(?<![\w+.-])(?P<scheme>(?:{DATABASE_URL_SCHEMES})(?:\+[\w.-]+)?)://"
    r"(?P<user>[^:/@\s?#]*):(?P<password>[^@/\s?#]*)@"
    r"(?P<host>\[[^\]\s]*\]|[^:/\s?#'\"\[]*)(?::(?P<port>[^/\s?#'\"\[]*))?(?P<rest>[^\s'\"]*)",
    re.IGNORECASE,
)
# A URL that shows the form to write, in help text or an error message: the parts named
# by what they are (`user:password@host:port/dbname`), optional parts in brackets.
_FIELD_USERS = frozenset({"user", "username", "login", "role", "usr"})
_FIELD_PASSWORDS = frozenset({"password", "passwd", "pass", "pwd"})
# libpq keyword/value strings: "host=db user=app password=s3cret dbname=app".
_KEYWORD_PASSWORD = re.compile(r"(?:^|\s)password\s*=\s*(?P<password>'[^']*'|[^\s']+)", re.I)
_KEYWORD_CONTEXT = re.compile(r"(?:^|\s)(?:host|hostaddr|dbname|user|port)\s*=", re.I)
_TEMPLATE = re.compile(r"[{}<>$*]|%\(|^x+$|^\.+$|^_+$", re.IGNORECASE)
_DEFAULTS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "changeme", "changeit", "secret", "postgres",
        "postgresql", "admin", "root", "example", "test", "testing", "tests", "dev", "devpass",
        "mysecretpassword", "mypassword", "yourpassword", "dbpassword", "dbpass", "user",
        "default", "local", "localhost", "sample", "demo", "foo", "bar", "pass123",
        "password123", "123456", "1234", "12345", "qwerty", "mysql", "sa", "pgpassword",
    }
)  # fmt: skip
_PASSWORD_KEYWORDS = frozenset({"password", "passwd"})
_CONNECTING_ROLES = frozenset({"connection", "pool", "engine", "database"})


@dataclass(frozen=True)
class _Secret:
    node: ast.expr
    password: str
    kind: str  # "url", "keyword string" or "argument"


def check(facts: ModuleFacts) -> Iterator[Finding]:
    resolver = Resolver.of(facts)
    # A literal may be seen twice (`dict(password=...)` passed as `**settings`): as a
    # password argument when either says so.
    candidates: dict[int, tuple[ast.expr, bool]] = {}
    for node, in_factory in _candidates(facts, resolver):
        known = candidates.get(id(node))
        candidates[id(node)] = (node, in_factory or (known is not None and known[1]))
    for node, in_factory in candidates.values():
        secret = _secret(node, in_factory)
        if secret is None or _is_template(secret.password):
            continue
        source = facts.source
        yield Finding(
            source.start(node),
            source.end(node),
            _message(secret),
            _suggestion(node, facts, resolver),
            _fix(secret, facts, resolver) if facts.wants_fixes else None,
        )


def _candidates(facts: ModuleFacts, resolver: Resolver) -> Iterator[tuple[ast.expr, bool]]:
    """String expressions that may hold a connection string: call arguments (including
    `os.getenv` defaults), and values assigned to names, attributes and class fields."""
    containers = Containers(resolver)
    for site in facts.calls:
        call = site.node
        kind = FACTORIES.get(resolver.qualname(call.func) or "")
        factory = kind is not None and kind.role in _CONNECTING_ROLES
        for arg in call.args:
            if _is_text(arg):
                yield arg, False
        for keyword in call.keywords:
            if factory and keyword.arg is None:
                # `connect(**DB_CONFIG)`: the settings dict the module writes.
                fields = containers.fields(keyword.value, site.scope, _pos(call))
                for name in _PASSWORD_KEYWORDS:
                    if _is_text(fields.get(name)):
                        yield fields[name], True
            if not _is_text(keyword.value):
                continue
            if factory and keyword.arg in _PASSWORD_KEYWORDS:
                yield keyword.value, True
            else:
                yield keyword.value, False
    for scope in facts.scopes:
        for bindings in scope.bindings.values():
            for binding in bindings:
                if binding.kind in ("assign", "param") and _is_text(binding.value):
                    yield binding.value, False  # type: ignore[misc]
    for bindings in facts.attribute_bindings.values():
        for binding in bindings:
            if _is_text(binding.value):
                yield binding.value, False  # type: ignore[misc]


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _is_text(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return isinstance(node, ast.JoinedStr)


def _literal_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return node.value
    parts = []
    for value in node.values:  # type: ignore[attr-defined]
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
        else:
            parts.append(_HOLE)
    return "".join(parts)


def _secret(node: ast.expr, password_argument: bool) -> _Secret | None:
    text = _literal_text(node)
    if password_argument:
        return _Secret(node, text, "argument") if text else None
    if "://" in text:
        match = _URL.search(text)
        if match is not None and match.group("password") and not _shows_the_form(match):
            return _Secret(node, match.group("password"), "url")
        return None
    if "=" in text and _KEYWORD_CONTEXT.search(text):
        match = _KEYWORD_PASSWORD.search(text)
        if match is not None:
            return _Secret(node, match.group("password").strip("'"), "keyword string")
    return None


def _shows_the_form(url: re.Match[str]) -> bool:
    """`postgresql://user:password@host:port/dbname[?key=value]`: a port that is not a
    number, optional parts in brackets or `...`, or a user and a password that are the
    words for them."""
    port, rest = url.group("port"), url.group("rest")
    user, password = url.group("user").lower(), url.group("password").lower()
    return (
        (bool(port) and not port.isdigit() and _HOLE not in port)
        or "[" in rest
        or "..." in rest
        or (user in _FIELD_USERS and password in _FIELD_PASSWORDS)
    )


def _is_template(password: str) -> bool:
    return not password or _HOLE in password or bool(_TEMPLATE.search(password))


def _is_default(password: str) -> bool:
    word = re.sub(r"[\W_]", "", password.lower())
    return word in _DEFAULTS or word.startswith(("your", "change", "replace"))


def _message(secret: _Secret) -> str:
    where = {
        "url": "in this connection URL",
        "keyword string": "in this connection string",
        "argument": "as `password=`",
    }[secret.kind]
    if _is_default(secret.password):
        return (
            f"Default-looking password (`{shorten(secret.password, 12)}`) written {where}; "
            "read it from the environment"
        )
    return f"Database password written {where}; read it from the environment or a secret store"


def _suggestion(node: ast.expr, facts: ModuleFacts, resolver: Resolver) -> str:
    for site in facts.calls:
        call = site.node
        if resolver.qualname(call.func) in ("os.getenv", "os.environ.get") and any(
            arg is node for arg in call.args[1:]
        ):
            name = facts.source.segment(call.args[0])
            return f"os.environ[{name}]  # fail at start-up when it is missing"
    return 'os.environ["DATABASE_URL"]'


# --- the fix ---------------------------------------------------------------------------

_ENVIRONMENT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_GETENV = ("os.getenv", "os.environ.get")


def _fix(secret: _Secret, facts: ModuleFacts, resolver: Resolver) -> Fix | None:
    """The password read from the environment instead (unsafe: where the variable is not
    set, the code now stops at once instead of using the written one)."""
    node = secret.node
    if not isinstance(node, ast.Constant):
        return None  # an f-string: its other parts would have to come from somewhere
    source = facts.source
    getenv = _getenv_call(node, facts, resolver)
    if getenv is not None:
        if not _is_text(getenv.args[0]):
            return None
        target, content = getenv, f"os.environ[{source.segment(getenv.args[0])}]"
        message = "Read it from the environment only, with no written fallback"
    elif secret.kind == "keyword string":
        return _without_password(node, source)
    else:
        name = "PGPASSWORD" if secret.kind == "argument" else _variable_name(node, facts)
        target, content = node, f'os.environ["{name}"]'
        message = f"Read it from the environment (`{name}`)"
    needed = import_plan(facts, "os", None)
    if needed is False:
        return None
    edit = Edit(source.start(target), source.end(target), content)
    return Fix("unsafe", message, (edit,), needed if isinstance(needed, Plan) else None)


def _getenv_call(node: ast.expr, facts: ModuleFacts, resolver: Resolver) -> ast.Call | None:
    """The `os.getenv(NAME, <node>)` whose default the string is."""
    for site in facts.calls:
        call = site.node
        if (
            len(call.args) == 2
            and call.args[1] is node
            and resolver.qualname(call.func) in (_GETENV)
        ):
            return call
    return None


def _variable_name(node: ast.expr, facts: ModuleFacts) -> str:
    """`DATABASE_URL = "..."` -> DATABASE_URL; `database_url: str = "..."` -> the same."""
    bindings = [b for s in facts.scopes for bs in s.bindings.values() for b in bs]
    bindings += [b for bs in facts.attribute_bindings.values() for b in bs]
    for binding in bindings:
        if binding.value is node:
            name = binding.name.rpartition(".")[2]
            if _ENVIRONMENT_NAME.fullmatch(name):
                return name
            if any(word in name.lower() for word in ("url", "uri")):
                return name.upper()
    return "DATABASE_URL"


def _without_password(node: ast.Constant, source: SourceText) -> Fix | None:
    """`"host=db password=s3cret dbname=app"` -> `"host=db dbname=app"`: libpq reads the
    password from PGPASSWORD or ~/.pgpass."""
    match = _KEYWORD_PASSWORD.search(node.value)
    offsets = literal_char_offsets(node, source)
    if match is None or offsets is None:
        return None
    start, end = match.span()
    if start == 0:  # `password=... host=db`: the space after it goes instead
        while end < len(node.value) and node.value[end].isspace():
            end += 1
    if end - start == len(node.value) or offsets[end - 1] - offsets[start] != end - start - 1:
        return None
    first = source.location_at(offsets[start])
    last = source.location_at(offsets[end - 1] + 1)
    message = "Remove the password: libpq reads it from PGPASSWORD or ~/.pgpass"
    return Fix("unsafe", message, (Edit(first, last, ""),))


RULE = Rule(
    code="PGL601",
    checks_test_modules=False,
    test_code="its credentials are those of a throwaway test database.",
    name="hardcoded-database-password",
    summary="database password written into the source",
    what_it_does=(
        "Checks for database passwords written into the source: in a connection URL "
        "(`postgresql://app:s3cret@db/app`), in a libpq keyword string "
        '(`"host=db password=s3cret"`), as the `password=` argument of a driver\'s '
        "`connect()` or pool factory, and as the default of `os.getenv(...)`."
    ),
    why_bad=(
        "A password in the source is in every clone, fork, container image and backup of "
        'the repository, and changing it means a deploy. An `os.getenv("DATABASE_URL", '
        '"postgresql://app:s3cret@...")` default is the same leak, and it also hides a '
        "missing variable: the app silently connects with the baked-in account.\n\n"
        "A URL without a password, a value read from `os.environ` or a settings object, "
        "an f-string whose password part is interpolated, and template text such as "
        "`${DB_PASSWORD}` or `<password>` are not reported, nor the form of a URL shown "
        "in help text or an error message (`postgresql://user:password@host:port/dbname"
        "[?key=value]`: a port that is not a number, optional parts in brackets, or a user "
        "and password that are the words for them). Well-known defaults "
        "(`postgres`, `password`, `changeme`...) are reported with a softer message. "
        "A password in the dict a connect call is given as `**config` counts as one "
        "passed by keyword.\n\n"
        "URLs are read for PostgreSQL and the servers that speak its protocol, as libpq, "
        "SQLAlchemy, dj-database-url and django-environ spell them: `postgres`, "
        "`postgresql` (with any `+driver`), `pgsql`, `postgis`, `redshift`, `cockroach`, "
        "`cockroachdb`, `timescale`, `timescaledb`, `timescalegis`, `yugabytedb`. Other "
        "databases' URLs (`mysql://`, `mssql://`) are left to other tools."
    ),
    example=(
        "import os\n\n"
        'DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://app:Tr0ub4dor@db:5432/app")\n'
    ),
    use_instead=('import os\n\nDATABASE_URL = os.environ["DATABASE_URL"]\n'),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "the written URL or password → `os.environ[...]` (the `os.getenv` name, the "
        "variable's own name, `DATABASE_URL` or `PGPASSWORD`); a libpq string loses its "
        "`password=`",
        "unsafe",
    ),
    fix_safety=(
        "Unsafe (`--fix --unsafe-fixes`): a written connection URL becomes "
        '`os.environ["DATABASE_URL"]` (or the name of the constant it is assigned to, '
        '`READ_URL = ...` → `os.environ["READ_URL"]`), an `os.getenv("X", "<url>")` '
        'becomes `os.environ["X"]`, a `password="..."` argument becomes '
        '`password=os.environ["PGPASSWORD"]`, and a libpq keyword string loses its '
        "`password=...` (libpq then reads PGPASSWORD or ~/.pgpass), adding `import os` "
        "where needed; the rest of the call stays. Proven against PostgreSQL: with the "
        "variable set, the fixed code connects as before. It is unsafe because where the "
        "variable is not set, the code now stops (`KeyError`) instead of using the written "
        "credentials, and the variable has to be set wherever the code runs. An f-string "
        "with a written password gets no fix."
    ),
    references=(
        "https://www.postgresql.org/docs/current/libpq-pgpass.html",
        "https://12factor.net/config",
    ),
    more_bad=(
        "import psycopg2\n\n"
        "def connect():\n"
        '    return psycopg2.connect(host="db", user="app", password="Tr0ub4dor")\n',
    ),
    more_good=(
        'DATABASE_URL = "postgresql://app@db:5432/app"\n',
        'DATABASE_URL = "postgresql://app:${DB_PASSWORD}@db:5432/app"\n',
    ),
)

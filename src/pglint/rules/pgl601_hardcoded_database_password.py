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

from pglint.drivers import DATABASE_URL_SCHEMES, FACTORIES
from pglint.facts.model import ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule

# Interpolated parts of an f-string stand in as this character: they are not literal text.
_HOLE = "\x00"
_URL = re.compile(
    rf"(?<![\w+.-])(?P<scheme>(?:{DATABASE_URL_SCHEMES})(?:\+[\w.-]+)?)://"
    r"(?P<user>[^:/@\s?#]*):(?P<password>[^@/\s?#]*)@",
    re.IGNORECASE,
)
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
    seen: set[int] = set()
    for node, in_factory in _candidates(facts, resolver):
        if id(node) in seen:
            continue
        seen.add(id(node))
        secret = _secret(node, in_factory)
        if secret is None or _is_template(secret.password):
            continue
        source = facts.source
        yield Finding(
            source.start(node),
            source.end(node),
            _message(secret),
            _suggestion(node, facts, resolver),
        )


def _candidates(facts: ModuleFacts, resolver: Resolver) -> Iterator[tuple[ast.expr, bool]]:
    """String expressions that may hold a connection string: call arguments (including
    `os.getenv` defaults), and values assigned to names, attributes and class fields."""
    for site in facts.calls:
        call = site.node
        kind = FACTORIES.get(resolver.qualname(call.func) or "")
        factory = kind is not None and kind.role in _CONNECTING_ROLES
        for arg in call.args:
            if _is_text(arg):
                yield arg, False
        for keyword in call.keywords:
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
        if match is not None and match.group("password"):
            return _Secret(node, match.group("password"), "url")
        return None
    if "=" in text and _KEYWORD_CONTEXT.search(text):
        match = _KEYWORD_PASSWORD.search(text)
        if match is not None:
            return _Secret(node, match.group("password").strip("'"), "keyword string")
    return None


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
        "`${DB_PASSWORD}` or `<password>` are not reported. Well-known defaults "
        "(`postgres`, `password`, `changeme`...) are reported with a softer message."
    ),
    example=(
        "import os\n\n"
        'DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://app:Tr0ub4dor@db:5432/app")\n'
    ),
    use_instead=('import os\n\nDATABASE_URL = os.environ["DATABASE_URL"]\n'),
    check=check,
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

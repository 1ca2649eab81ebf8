"""PGL706: a plain string given to SQLAlchemy's `execute()`, or `Engine.execute()`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix, Location
from pglint.facts.model import DbCall, ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.rules._sqltext import call_with_edits, renderings, replace_span, source_offsets
from pglint.rules.base import Finding, Rule

_SQLALCHEMY = frozenset({"sqlalchemy", "sqlalchemy_async"})
_STATEMENT_METHODS = frozenset({"execute", "scalar", "scalars", "stream"})
_TEXT = "sqlalchemy.text"


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.db_calls:
        kind = call.kind
        if kind is None or kind.driver not in _SQLALCHEMY or call.text_call is not None:
            continue
        if kind.role == "engine" and call.name == "execute":
            message = (
                "`Engine.execute()` is gone in SQLAlchemy 2.0: execute on a connection from "
                "`engine.begin()`"
            )
            yield Finding(source.start(call.node), source.end(call.node), message,
                          _engine_suggestion(call, facts))  # fmt: skip
            continue
        if call.name not in _STATEMENT_METHODS or kind.role not in ("session", "connection"):
            continue
        if not _is_string(call):
            continue
        owner = {"session": "Session", "connection": "Connection"}[kind.role]
        if kind.driver == "sqlalchemy_async":
            owner = "Async" + owner
        message = (
            f"SQLAlchemy 2.0 rejects a plain string in `{owner}.{call.name}()`: wrap it in `text()`"
        )
        fix = (_wrap_fix(call, facts) or _bind_fix(call, facts)) if facts.wants_fixes else None
        suggestion = call_with_edits(call, _local(fix), source) if fix is not None else None
        yield Finding(source.start(call.node), source.end(call.node), message, suggestion, fix)


def _is_string(call: DbCall) -> bool:
    """The statement is text for certain: every way of building it has constant text."""
    node = call.sql_node
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    return bool(call.sql) and all(variant.has_constant_text for variant in call.sql)


def _local(fix: Fix) -> tuple[Edit, ...]:
    """The edits inside the call (not the import added at the top), for the suggestion."""
    return tuple(edit for edit in fix.edits if edit.content != _IMPORT_LINE)


_IMPORT_LINE = "from sqlalchemy import text\n"


def _wrap_fix(call: DbCall, facts: ModuleFacts) -> Fix | None:
    """`execute("...")` -> `execute(text("..."))`, adding the import when it is missing.

    Safe only when wrapping changes nothing else: no placeholder of another style, no
    `%`, no `:word` (which `text()` would read as a bind), no backslash (`\\:` escapes a
    colon in `text()`), and no parameters, or named ones to a session (SQLAlchemy 1.x
    already read a session's string as `text()`)."""
    node = call.sql_node
    if node is None or len(call.sql) != 1 or not call.sql[0].exact:
        return None
    text = renderings(call)[0].text
    if any(mark in text for mark in ("%", "\\", "?", "$")):
        return None
    if _has_bind(text):
        if call.kind is None or call.kind.role != "session" or call.params.shape != "dict":
            return None
    elif call.params.shape not in ("absent", "none"):
        return None
    name, import_edit = _text_name(call, facts)
    if name is None:
        return None
    source = facts.source
    edits = [
        Edit(source.start(node), source.start(node), f"{name}("),
        Edit(source.end(node), source.end(node), ")"),
    ]
    if import_edit is not None:
        edits.insert(0, import_edit)
    return Fix("safe", f"Wrap the statement in `{name}()`", tuple(edits))


def _bind_fix(call: DbCall, facts: ModuleFacts) -> Fix | None:
    """The driver's placeholders as `text()` binds: `execute("... %s", (a,))` ->
    `execute(text("... :p1"), {"p1": a})`, and `%(name)s` with a dict -> `:name` with the
    same dict. Unsafe: the values are now bound by SQLAlchemy, which may type them
    otherwise than the driver did (a list, a custom type); and the statement's text
    changes. Only for a literal string whose every `%` is a placeholder, and values
    written as a display at the call."""
    node = call.sql_node
    if not isinstance(node, ast.Constant) or len(call.sql) != 1 or not call.sql[0].exact:
        return None
    rendered = renderings(call)[0]
    placeholders = rendered.code_placeholders
    text = rendered.text
    if not placeholders or text.count("%") != len(placeholders) or _has_bind(text):
        return None
    if any(mark in text for mark in ("\\", "?", "$")):
        return None
    styles = {p.style for p in placeholders}
    params, source = call.params, facts.source
    values: Edit | None = None
    if styles == {"format"}:
        shown = params.arg_node
        if (
            params.starred
            or not isinstance(shown, ast.Tuple | ast.List)
            or len(shown.elts) != len(placeholders)
            or any(isinstance(e, ast.Starred) for e in shown.elts)
        ):
            return None
        names = [f"p{n}" for n in range(1, len(placeholders) + 1)]
        items = ", ".join(
            f'"{name}": {source.segment(e)}' for name, e in zip(names, shown.elts, strict=True)
        )
        values = Edit(source.start(shown), source.end(shown), "{" + items + "}")
    elif styles == {"pyformat"} and params.shape == "dict" and params.keys is not None:
        names = [p.name or "" for p in placeholders]
        if not set(names) <= params.keys:
            return None
    else:
        return None
    name, import_edit = _text_name(call, facts)
    if name is None:
        return None
    offsets = source_offsets(rendered, source)
    edits = [e for e in (import_edit,) if e is not None]
    edits.append(Edit(source.start(node), source.start(node), f"{name}("))
    for placeholder, bind in zip(placeholders, names, strict=True):
        edit = replace_span(rendered, offsets, placeholder.start, placeholder.end, f":{bind}",
                            source)  # fmt: skip
        if edit is None:
            return None
        edits.append(edit)
    edits.append(Edit(source.end(node), source.end(node), ")"))
    if values is not None:
        edits.append(values)
    return Fix("unsafe", f"Wrap the statement in `{name}()` with `:name` binds", tuple(edits))


def _has_bind(text: str) -> bool:
    """`:word` that `text()` reads as a bind parameter (not `::` casts, not `a:b`)."""
    for i, char in enumerate(text[:-1]):
        if char != ":" or not (text[i + 1].isalnum() or text[i + 1] == "_"):
            continue
        before = text[i - 1] if i else " "
        if before == ":" or before.isalnum() or before == "_":
            continue
        return True
    return False


def _text_name(call: DbCall, facts: ModuleFacts) -> tuple[str | None, Edit | None]:
    """How to spell `text` at the call, and the import to add when none is there."""
    resolver = Resolver.of(facts)
    site = call.site
    pos = (call.node.lineno, call.node.col_offset)
    bindings = resolver.reaching("text", site.scope, pos)
    if bindings:
        if all(b.kind == "import" and facts.imports.get("text") == _TEXT for b in bindings):
            return "text", None
        for local, qual in facts.imports.items():  # `import sqlalchemy as sa` -> `sa.text`
            found = resolver.reaching(local, site.scope, pos)
            if qual == "sqlalchemy" and found and all(b.kind == "import" for b in found):
                return f"{local}.text", None
        return None, None
    return "text", _import_edit(facts)


def _import_edit(facts: ModuleFacts) -> Edit:
    """A line `from sqlalchemy import text` after the module's leading imports."""
    body = facts.tree.body
    row = 1
    for index, stmt in enumerate(body):
        docstring = (
            index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        )
        if isinstance(stmt, ast.Import | ast.ImportFrom) or docstring:
            row = (stmt.end_lineno or stmt.lineno) + 1
        else:
            break
    return Edit(Location(row, 1), Location(row, 1), _IMPORT_LINE)


def _engine_suggestion(call: DbCall, facts: ModuleFacts) -> str:
    source = facts.source
    func = call.node.func
    engine = source.segment(func.value) if isinstance(func, ast.Attribute) else "engine"
    arguments = ", ".join(source.segment(a) for a in call.node.args)
    if call.text_call is None and _is_string(call) and call.sql_node is not None:
        arguments = arguments.replace(
            source.segment(call.sql_node), f"text({source.segment(call.sql_node)})", 1
        )
    return f"with {engine}.begin() as conn:\n    conn.execute({arguments})"


RULE = Rule(
    code="PGL706",
    name="raw-string-execute",
    summary="a plain string given to SQLAlchemy's `execute()`, or `Engine.execute()`",
    what_it_does=(
        "Checks for SQL written as a plain string and passed to SQLAlchemy's "
        "`Session.execute()`, `Connection.execute()` (sync or async, and `scalar()` / "
        "`scalars()`), and for `Engine.execute()`."
    ),
    why_bad=(
        "SQLAlchemy 2.0 executes statement objects only: a plain string raises "
        "`ArgumentError: Textual SQL expression ... should be explicitly declared as "
        "text(...)` from a session and `ObjectNotExecutableError` from a connection, and "
        "`Engine.execute()` no longer exists (`AttributeError`). SQLAlchemy 1.4 still runs "
        "both with a deprecation warning, so the code works until the upgrade — or was "
        "copied from a 1.x tutorial into a 2.0 project and fails on its first request. "
        "`text()` makes "
        "the string a statement, with `:name` bind parameters.\n\n"
        "Not reported: `text(...)`, `select(...)` and other statement objects, and "
        "`exec_driver_sql()`, which takes a string by design."
    ),
    example=(
        "from sqlalchemy.orm import Session\n\n\n"
        "def count_users(session: Session) -> int:\n"
        '    return session.execute("SELECT count(*) FROM users").scalar_one()\n'
    ),
    use_instead=(
        "from sqlalchemy import text\n"
        "from sqlalchemy.orm import Session\n\n\n"
        "def count_users(session: Session) -> int:\n"
        '    return session.execute(text("SELECT count(*) FROM users")).scalar_one()\n'
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "wraps the string in `text()`, adding the import; unsafe: `%s` and `%(name)s` "
        "placeholders become `:name` binds with a dict of the values",
        "safe or unsafe",
    ),
    fix_safety=(
        "Safe: the statement sent is the same. Offered when the string has no "
        "placeholders, or (for a session, which SQLAlchemy 1.x already read this way) "
        "only `:name` ones with a dict of values; not when the string holds `%`, `?`, "
        "`$1` or a backslash, or `:word` on a connection, which `text()` reads "
        "differently. A string with the driver's `%s` placeholders and the values written "
        "as a tuple or list at the call becomes `text()` with `:p1`, `:p2` binds and a "
        "dict of the same values (`%(name)s` with a dict: `:name`, the dict kept): unsafe, "
        "because SQLAlchemy now binds the values and may type them otherwise than the "
        "driver did. Not offered for `Engine.execute()`, whose fix moves the statement "
        "into a `with engine.begin()` block (shown as a suggestion)."
    ),
    see_also="PGL101 for values formatted into the string.",
    checks_test_modules=False,
    test_code=(
        "a test that passes a plain string fails when it runs on SQLAlchemy 2.0, or "
        "provokes the error on purpose."
    ),
    references=(
        "https://docs.sqlalchemy.org/en/20/changelog/migration_20.html"
        "#execute-method-more-strict-execution-options-are-more-prominent",
    ),
    more_bad=(
        "from sqlalchemy import create_engine\n\n"
        'engine = create_engine("postgresql://app@db/app")\n\n\n'
        "def purge():\n"
        '    engine.execute("DELETE FROM sessions WHERE expires < now()")\n',
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
        "async def names(db: AsyncSession):\n"
        '    rows = await db.execute(f"SELECT name FROM users LIMIT {10}")\n'
        "    return rows.all()\n",
    ),
    more_good=(
        "from sqlalchemy import create_engine\n\n"
        'engine = create_engine("postgresql://app@db/app")\n\n\n'
        "def server_version():\n"
        "    with engine.connect() as conn:\n"
        '        return conn.exec_driver_sql("SHOW server_version").scalar()\n',
        "from sqlalchemy import select\n"
        "from sqlalchemy.orm import Session\n\n"
        "from .models import User\n\n\n"
        "def users(session: Session):\n"
        "    return session.execute(select(User)).scalars().all()\n",
    ),
)

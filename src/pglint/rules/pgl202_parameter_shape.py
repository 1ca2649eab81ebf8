"""PGL202: parameters passed in a shape the driver does not accept."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix
from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._sqltext import (
    Rendered,
    call_with_edits,
    exact_rendering,
    renderings,
    shorten,
)
from pglint.rules.base import Finding, Rule
from pglint.source import SourceText
from pglint.sql.lexer import words

_COLLECTION_NAMES = re.compile(
    r"^(params|parameters|args|arguments|values|vals|data|row|rows|record|records|bind|binds"
    r"|items|ids|keys)$|_(params|parameters|args|values|list|tuple|dict|rows|ids|items)$"
)
_ARRAY_CONTEXT = re.compile(r"(ANY|ALL|unnest|array_length|cardinality)\s*\(\s*$", re.IGNORECASE)
_CAST_OPEN = re.compile(r"CAST\s*\(\s*$", re.IGNORECASE)
# The type a placeholder is cast to: `$1::int[]`, `$1::myschema.pair`, `CAST($1 AS text[])`.
_CAST_AFTER = re.compile(
    r"\s*(?:::|AS\s)\s*(?:[\w$]+\.)?(?P<type>[A-Za-z_][\w$]*(?:\s+(?:precision|varying))?)"
    r"\s*(?P<array>\[)?",
    re.IGNORECASE,
)
# Types whose value asyncpg never takes from a tuple or list. A sequence cast to anything
# else (an array, a composite or range type, a geometric type, json with a codec) may be
# that one value.
_SCALAR_TYPES = words("""
    int int2 int4 int8 integer smallint bigint real float float4 float8 double
    numeric decimal money text varchar char bpchar character name citext uuid date time
    timetz timestamp timestamptz interval bool boolean bytea inet cidr macaddr macaddr8
    oid regclass xml bit varbit tsvector tsquery
    """)


def check(facts: ModuleFacts) -> Iterator[Finding]:
    for call in facts.db_calls:
        if not call.resolved or call.spec.many:
            continue
        found = _problem(call, facts.source)
        if found is not None:
            message, fix = found
            source = facts.source
            suggestion = call_with_edits(call, fix.edits, source) if fix else None
            yield Finding(source.start(call.node), source.end(call.node), message, suggestion, fix)


def _problem(call: DbCall, source: SourceText) -> tuple[str, Fix | None] | None:
    mode = call.spec.params_mode
    rendered = renderings(call)[0] if call.sql else None
    if mode == "varargs":
        return _varargs(call, rendered, source)
    if mode == "sequence_or_mapping":
        return _sequence(call, rendered, source)
    if mode == "mapping":
        return _mapping(call, rendered)
    return None


def _sequence(call: DbCall, rendered: Rendered | None, source: SourceText) -> tuple | None:
    params = call.params
    label = call.driver.label  # type: ignore[union-attr]
    if params.extra_positional and params.arg_node is not None:
        values = [params.arg_node, *params.extra_positional]
        if any(isinstance(v, ast.Starred) for v in values):
            return None
        message = (
            f"Values passed as separate arguments; {label}'s `{call.name}()` takes one "
            "sequence: pass a tuple"
        )
        start, end = source.start(values[0]), source.end(values[-1])
        fix = Fix(
            "safe", "Wrap the values in a tuple",
            (Edit(start, start, "("), Edit(end, end, ")")),
        )  # fmt: skip
        return message, fix
    node = params.arg_node
    if node is None or params.shape in ("absent", "none"):
        return None
    styles = {p.style for p in rendered.code_placeholders} if rendered else set()
    positional = bool(styles & {"format", "qmark"})
    named = bool(styles & {"pyformat", "named"})
    if isinstance(node, ast.Constant) and node.value in ("", b""):
        return None  # an empty sequence: no values, as `()` is
    if params.shape == "scalar" or (params.parenthesized and params.shape == "unknown"):
        # `(user.id)` is a value; a bare `self.params` may well be a tuple.
        if isinstance(node, ast.Attribute | ast.Subscript) and (
            not params.parenthesized or _COLLECTION_NAMES.search(_last_name(node))
        ):
            return None
        if params.shape == "unknown":
            if not isinstance(node, ast.Name) or _COLLECTION_NAMES.search(node.id):
                return None
            exact = exact_rendering(call)
            if exact is None or len(exact.code_placeholders) != 1 or not positional:
                return None
        shown = source.segment(node)
        short = shorten(shown, 16)
        if params.parenthesized:
            message = (
                f"`({short})` is not a tuple, and {label} needs a sequence: write `({short},)`"
            )
        else:
            message = (
                f"`{short}` is not a sequence, and {label} needs one for the values: "
                f"write `({short},)`"
            )
        applicability = "safe" if params.shape == "scalar" else "unsafe"
        end = source.end(node)
        if params.parenthesized:
            edits: tuple[Edit, ...] = (Edit(end, end, ","),)
        else:
            start = source.start(node)
            edits = (Edit(start, start, "("), Edit(end, end, ",)"))
        return message, Fix(applicability, f"Pass `({shown},)`", edits)  # type: ignore[arg-type]
    if params.shape in ("tuple", "list") and named and not positional:
        return (
            f"Named placeholders, but a {params.shape} of values; {label} needs a dict keyed "
            "by placeholder name",
            None,
        )
    if params.shape == "dict" and positional and not named:
        return (
            f"Positional placeholders, but a dict of values; {label} needs a tuple or list "
            "in placeholder order",
            None,
        )
    return None


def _varargs(call: DbCall, rendered: Rendered | None, source: SourceText) -> tuple | None:
    params = call.params
    elements = params.elements or []
    if params.starred or len(elements) != 1 or rendered is None:
        return None
    only = elements[0]
    numbers = {p.name for p in rendered.code_placeholders if p.style == "numeric"}
    if not numbers:  # `%s` given to asyncpg (PGL201) still counts as one slot each
        numbers = {str(i) for i, _ in enumerate(rendered.code_placeholders)}
    if isinstance(only, ast.Tuple | ast.List):
        display = only
        if len(numbers) == 1 and _one_value_context(rendered):
            return None  # `= ANY($1)`, `$1::int[]`, `$1::pair`: the sequence is the value
        if any(isinstance(e, ast.Starred) for e in display.elts):
            return None
        if len(display.elts) == 1 and len(numbers) != 1:
            return None
        if len(display.elts) >= 2 and len(numbers) != len(display.elts):
            return None
        inner = ", ".join(source.segment(e) for e in display.elts)
        message = (
            f"asyncpg binds this {'tuple' if isinstance(display, ast.Tuple) else 'list'} "
            "whole to `$1`; pass the values as separate arguments"
        )
        fix = Fix(
            "safe", "Pass the values as separate arguments",
            (Edit(source.start(display), source.end(display), inner),),
        )  # fmt: skip
        return message, fix
    if isinstance(only, ast.Name) and len(numbers) >= 2 and _COLLECTION_NAMES.search(only.id):
        shown = shorten(only.id, 20)
        message = (
            f"asyncpg binds `{shown}` whole to `$1` of {len(numbers)} placeholders; pass `*{shown}`"
        )
        start = source.start(only)
        return message, Fix("unsafe", f"Unpack `{only.id}`", (Edit(start, start, "*"),))
    return None


def _mapping(call: DbCall, rendered: Rendered | None) -> tuple | None:
    params = call.params
    if params.shape not in ("tuple", "list") or params.elements is None or rendered is None:
        return None
    if any(isinstance(e, ast.Dict) for e in params.elements):
        return None  # a list of dicts is executemany
    if not any(p.style == "named" for p in rendered.code_placeholders):
        return None
    return (
        f"`:name` placeholders are bound from a dict, but a {params.shape} is passed; "
        'pass `{"name": value}`',
        None,
    )


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return ""


def _one_value_context(rendered: Rendered) -> bool:
    """The placeholder takes a whole sequence: an array function's argument, or a cast
    to a type that is not a scalar."""
    for placeholder in rendered.code_placeholders:
        before = rendered.text[: placeholder.start]
        if _ARRAY_CONTEXT.search(before):
            return True
        cast = _CAST_AFTER.match(rendered.text, placeholder.end)
        if cast is not None and cast.group().lstrip()[:2].upper() == "AS":
            cast = cast if _CAST_OPEN.search(before) else None  # `$1 AS label` is an alias
        if cast is not None and (
            cast.group("array") or cast.group("type").split()[0].lower() not in _SCALAR_TYPES
        ):
            return True
    return False


RULE = Rule(
    code="PGL202",
    checks_test_modules=False,
    test_code=(
        "a test that passes them wrongly fails when it runs, and tests provoke the "
        "driver's error on purpose (`pytest.raises`, `assertRaises`)."
    ),
    name="parameter-shape-mismatch",
    summary="query parameters passed in a shape the driver does not accept",
    what_it_does=(
        "Checks for parameters in the wrong shape: `(x)` where a one-element tuple "
        "`(x,)` was meant, a single value where a sequence is expected, a tuple given to "
        "asyncpg (which takes `*args`), values passed as separate arguments to a DB-API "
        "`execute()`, and a dict for positional placeholders or a sequence for named ones."
    ),
    why_bad=(
        "Parentheses alone do not make a tuple: `(user_id)` is just `user_id`. psycopg "
        "then raises `TypeError` for a number and, for a string, binds its characters one "
        "by one — a query that fails or, worse, works in tests with one-letter values. "
        "asyncpg is the opposite: it takes each value as its own argument, so a tuple is "
        "bound whole to `$1`.\n\n"
        "The rule runs only when the driver is known. For an unannotated name in "
        "parentheses, it reports only when the query has exactly one placeholder and the "
        "name does not look like a collection (`params`, `values`, `*_ids`...).\n\n"
        "Not reported for asyncpg: one list or tuple for the only placeholder when that "
        "placeholder takes a whole sequence: `= ANY($1)`, a cast to an array "
        "(`$1::int[]`), or to a type that is not a scalar (a composite, range or "
        "geometric type, `json`, which a codec may encode from a list). Not reported "
        "anywhere: `''` as the parameters, an empty sequence like `()`."
    ),
    example=(
        "import psycopg2\n\n"
        "def get_user(user_id: int):\n"
        "    cur = psycopg2.connect().cursor()\n"
        '    cur.execute("SELECT * FROM users WHERE id = %s", (user_id))\n'
        "    return cur.fetchone()\n"
    ),
    use_instead=(
        "import psycopg2\n\n"
        "def get_user(user_id: int):\n"
        "    cur = psycopg2.connect().cursor()\n"
        '    cur.execute("SELECT * FROM users WHERE id = %s", (user_id,))\n'
        "    return cur.fetchone()\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "`(x)` → `(x,)`, unpacks a tuple given to asyncpg, wraps separate values; "
        "unsafe when `x` might already be a sequence",
        "safe or unsafe",
    ),
    fix_safety=(
        "Safe: `(x)` → `(x,)` and `x` → `(x,)` when `x` is known to be a single value "
        "(a literal, an annotated or assigned scalar, an attribute or item); a tuple or "
        "list display given to asyncpg is unpacked into separate arguments; separate "
        "arguments to a DB-API `execute()` are wrapped in a tuple. Unsafe (applied only "
        "with `--unsafe-fixes`): `(name)` → `(name,)` for a name of unknown type, which "
        "would be wrong if it already held a tuple."
    ),
    see_also="PGL203 for the number of values.",
    references=("https://www.psycopg.org/docs/usage.html#passing-parameters-to-sql-queries",),
    more_bad=(
        "import asyncpg\n\n"
        "async def move(conn: asyncpg.Connection, src: int, dst: int):\n"
        '    await conn.execute("UPDATE items SET box = $1 WHERE box = $2", (dst, src))\n',
    ),
    more_good=(
        "import asyncpg\n\n"
        "async def many(conn: asyncpg.Connection, ids: list[int]):\n"
        '    return await conn.fetch("SELECT * FROM items WHERE id = ANY($1)", ids)\n',
    ),
)

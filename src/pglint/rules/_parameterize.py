"""Rewrite a call whose SQL interpolates values into the parameterized call, written in
the driver's own placeholder and parameter style. Used by the suggestions and fixes of
PGL101 and PGL102.

No rewrite is offered where the parameterized call would not run as the original did:
- PostgreSQL takes parameters only in SELECT, INSERT, UPDATE, DELETE, MERGE and VALUES
  (and what holds one); `SET x = $1`, `NOTIFY ch, $1` and DDL are syntax errors on a
  server-side binding driver, and a client-side one quotes what may not be a string
  (`SET search_path = %s` with `"$user", public` names one odd schema); a text that
  is one value alone is a fragment for DDL (`server_default=text("'draft'")`);
- a typed literal (`interval '{n} days'`, `date '{d}'`) takes only a constant, and a
  value cast right after (`'{n} days'::interval`) binds a str where asyncpg wants a
  timedelta;
- an interpolation whose text is not `{expr}`'s (a format spec, `!r`, `', '.join(xs)`)
  cannot be bound or kept as it is written;
- a safe interpolation whose text is unknown (`{int(n)}`, `{LIMIT}`) is kept as
  `{expr}` in an f-string, never replaced by a stand-in, and only where it is a whole
  token and cannot bring a `%` into a query whose parameters are `%s`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from pglint.diagnostics import Edit, Plan
from pglint.drivers import DRIVERS, Driver
from pglint.facts.model import DbCall
from pglint.rules._sqltext import Rendered, python_string
from pglint.source import SourceText
from pglint.sql import HOLE, Token, tokenize
from pglint.sql.lexer import SKIP_KINDS, words

_FALLBACK = DRIVERS["psycopg"]
_LINE = 88
_QUOTE_OR_ESCAPE = re.compile(r"['\"\\\n]")
# Statements that take no parameters: PostgreSQL's utility statements (it binds only in
# SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, and what holds one: WITH, EXPLAIN,
# DECLARE), transaction control, and SQLite's PRAGMA. Text that starts with none of
# these is bound as before: a statement the list misses, or a fragment of one
# (SQLAlchemy's `.where(text("id = :id"))`).
_UTILITY = words("""
    ALTER ANALYZE ATTACH BEGIN CHECKPOINT CLOSE CLUSTER COMMENT COMMIT COPY CREATE
    DEALLOCATE DETACH DISCARD DO DROP END GRANT IMPORT LISTEN LOAD LOCK NOTIFY PRAGMA
    PREPARE REASSIGN REFRESH REINDEX RELEASE RESET REVOKE ROLLBACK SAVEPOINT SECURITY SET
    SHOW START TRUNCATE UNLISTEN VACUUM
    """)
# Words after which a value may stand; after any other word, a string literal is a typed
# literal (`interval '1 day'`), which takes no parameter.
_VALUE_AFTER = words("""
    ALL AND ANY BETWEEN BY CASE DISTINCT ELSE ESCAPE HAVING ILIKE IN IS LIKE LIMIT NOT
    OFFSET ON OR RETURNING SELECT SIMILAR SOME THEN TO WHEN WHERE
    """)


@dataclass
class Rewritten:
    sql: str  # the new SQL text (for Python f-string if ``fstring``)
    fstring: bool  # identifiers are still interpolated
    positional: list[str] = field(default_factory=list)  # parameter expressions, in order
    named: dict[str, str] = field(default_factory=dict)
    identifiers: list[str] = field(default_factory=list)  # expressions in identifier spots
    # What changed, in the rendered text: (start, end, new text), for the fix that
    # rewrites only those places in the string literals as written.
    changes: list[tuple[int, int, str]] = field(default_factory=list)


def rewrite(
    call: DbCall, rendered: Rendered, source: SourceText, *, compose: bool = False
) -> Rewritten | None:
    """Replace value interpolations with placeholders. Identifier interpolations stay as
    `{expr}` (or `{}` for psycopg's `sql.SQL(...).format(...)` when ``compose``).

    Worked out once per rendering: a finding's suggestion and its fix both ask. The
    result is shared, so callers must not change it."""
    known = call.__dict__.setdefault("_rewrites", {})
    key = (id(rendered), id(source), compose)
    if key not in known:
        known[key] = (rendered, source, _rewrite(call, rendered, source, compose=compose))
    return known[key][2]


def _rewrite(
    call: DbCall, rendered: Rendered, source: SourceText, *, compose: bool = False
) -> Rewritten | None:
    driver = call.driver or _FALLBACK
    # Positional placeholders where the driver has them (`%s`, `?`, `$1`); names only
    # for drivers that bind nothing else (SQLAlchemy `text()`, databases, pg8000.native).
    use_names = driver.named is not None and not (driver.styles & {"format", "qmark"})
    existing = _existing_params(call, source)
    contexts = {c.index: c for c in rendered.hole_contexts}
    out = Rewritten("", False)
    # (text, is_sql): SQL text needs its braces doubled if the result is an f-string.
    parts: list[tuple[str, bool]] = []
    hole_index = 0

    def placeholder(expr_src: str) -> str:
        if use_names:
            name = _param_name(expr_src, out.named)
            out.named[name] = expr_src
            return (driver.named or ":{name}").format(name=name)
        out.positional.append(expr_src)
        return driver.positional.replace("{n}", str(len(out.positional)))

    def hole_source() -> str:
        nonlocal hole_index
        piece = rendered.holes[hole_index]
        hole_index += 1
        return source.segment(piece.expr) if piece.expr is not None else "value"

    def interpolate(expr: str) -> str:
        out.identifiers.append(expr)
        out.fstring = out.fstring or not compose
        return "{}" if compose else "{" + expr + "}"

    tokens = tokenize(rendered.text)
    if not _bindable(rendered, tokens, contexts):
        return None
    constants = _kept_as_written(rendered, tokens, source, driver, compose)
    if constants is None:
        return None
    skip_until = -1
    for token in tokens:
        text = token.text
        if token.start < skip_until:
            continue
        if token.start in constants:
            skip_until, expr = constants[token.start]
            out.fstring = True
            parts.append(("{" + expr + "}", False))
        elif token.kind == "hole":
            context = contexts.get(hole_index)
            expr = hole_source()
            if context is not None and context.position == "value":
                parts.append((placeholder(expr), False))
                out.changes.append((token.start, token.end, parts[-1][0]))
            else:
                parts.append((interpolate(expr), False))
                if compose:
                    out.changes.append((token.start, token.end, "{}"))
        elif HOLE in text and token.kind == "string" and text.startswith("'"):
            parts.append((placeholder(_literal_param(text, hole_source)), False))
            out.changes.append((token.start, token.end, parts[-1][0]))
        elif HOLE in text:
            pieces = text.split(HOLE)
            parts.append((pieces[0], True))
            at = token.start + len(pieces[0])
            for rest in pieces[1:]:
                parts.append((interpolate(hole_source()), False))
                if compose:
                    out.changes.append((at, at + 1, "{}"))
                parts.append((rest, True))
                at += 1 + len(rest)
        elif token.kind == "param":
            if existing is None:
                return None
            mapped = existing.take(text)
            if mapped is None:
                return None
            parts.append((placeholder(mapped), False))
            if parts[-1][0] != text:
                out.changes.append((token.start, token.end, parts[-1][0]))
        else:
            parts.append((text, True))
    if out.fstring and any(
        _QUOTE_OR_ESCAPE.search(text) for text, is_sql in parts if not is_sql and text[:1] == "{"
    ):
        return None  # a quote or backslash inside `{...}` is a syntax error before 3.12
    escape = out.fstring or compose
    parts = [
        (t.replace("{", "{{").replace("}", "}}") if is_sql and escape else t, is_sql)
        for t, is_sql in parts
    ]
    out.sql = "".join(t for t, _ in parts)
    if existing is not None and use_names:
        for name, expr in existing.named.items():
            out.named.setdefault(name, expr)
    return out


def _bindable(rendered: Rendered, tokens: list[Token], contexts: dict) -> bool:
    """Whether every value the rewrite would bind can be a parameter where it stands."""
    if any(piece.formatted for _, _, piece in rendered.spans if piece.text is None):
        return False
    code = [t for t in tokens if t.kind not in SKIP_KINDS]
    binds = False
    hole_index = 0
    at = -1  # the token's index in ``code``
    for token in tokens:
        if token.kind not in SKIP_KINDS:
            at += 1
        if token.kind == "hole":
            context = contexts.get(hole_index)
            hole_index += 1
            bound = context is not None and context.position == "value"
        else:
            holes = token.text.count(HOLE)
            hole_index += holes
            bound = bool(holes) and token.kind == "string" and token.text.startswith("'")
        if not bound:
            continue
        binds = True
        before = code[at - 1] if at > 0 else None
        after = code[at + 1] if at + 1 < len(code) else None
        typed = before is not None and before.kind == "word"
        if typed and before.text.upper() not in _VALUE_AFTER:  # type: ignore[union-attr]
            return False  # `interval '{n} days'`: a typed literal
        if after is not None and after.kind == "cast":
            return False  # `'{n} days'::interval`
    if not binds:
        return True
    first = next((t for t in code if t.kind != "punct" or t.text != "("), None)
    if first is None or first.kind != "word":
        return False  # the text is a value alone (`server_default=text("'{x}'")`)
    return first.text.upper() not in _UTILITY


def _kept_as_written(
    rendered: Rendered, tokens: list[Token], source: SourceText, driver: Driver, compose: bool
) -> dict[int, tuple[int, str]] | None:
    """What stays `{expr}` in the new text: start -> (end, the expression's source).

    A named constant (`{TABLE}`) where it lines up with token boundaries, so the
    suggestion keeps the name; and a safe interpolation whose text is unknown, which must
    be kept (None when one cannot be: inside a token, or where its text might hold a `%`
    the driver would then read)."""
    starts = {t.start for t in tokens}
    ends = {t.end for t in tokens}
    percent = bool(driver.styles & {"format", "pyformat"})
    kept = {}
    for start, end, piece in rendered.spans:
        aligned = start in starts and end in ends
        if piece.text is None and piece.safe:
            if compose or piece.expr is None or not aligned:
                return None
            if percent and not _is_number(piece.hint):
                return None
        elif not (piece.text and piece.expr is not None and aligned and not compose):
            continue
        kept[start] = (end, source.segment(piece.expr))
    return kept


def _is_number(text: str | None) -> bool:
    try:
        float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


@dataclass
class _Existing:
    positional: list[str]
    named: dict[str, str]
    cursor: int = 0

    def take(self, placeholder: str) -> str | None:
        name = re.fullmatch(r"%\((\w+)\)[sbt]|:(\w+)", placeholder)
        if name:
            key = name.group(1) or name.group(2)
            return self.named.get(key)
        if self.cursor < len(self.positional):
            self.cursor += 1
            return self.positional[self.cursor - 1]
        return None


def _existing_params(call: DbCall, source: SourceText) -> _Existing | None:
    params = call.params
    if params.shape in ("absent", "none"):
        return _Existing([], {})
    if params.starred:
        return None
    if params.shape in ("tuple", "list", "varargs") and params.elements is not None:
        return _Existing([source.segment(e) for e in params.elements], {})
    if params.shape == "dict" and isinstance(params.node, ast.Dict):
        named = {
            k.value: source.segment(v)
            for k, v in zip(params.node.keys, params.node.values, strict=True)
            if isinstance(k, ast.Constant)
        }
        return _Existing([], named)
    return None


def _literal_param(token_text: str, next_hole) -> str:
    """`'{email}'` -> `email`; `'%{term}%'` -> `f"%{term}%"`."""
    body = token_text[1:-1] if token_text.endswith("'") else token_text[1:]
    body = body.replace("''", "'")
    if body == HOLE:
        return next_hole()
    pieces = body.split(HOLE)
    out = pieces[0].replace("{", "{{").replace("}", "}}")
    for rest in pieces[1:]:
        out += "{" + next_hole() + "}" + rest.replace("{", "{{").replace("}", "}}")
    return "f" + python_string(out)


def _param_name(expr: str, taken: dict[str, str]) -> str:
    # The last word of the expression, found from the end: searching forward for
    # `(\w+)\W*$` backtracks quadratically on a long word followed by more text.
    match = re.match(r"\W*(\w+)", expr[::-1])
    last = match.group(1)[::-1] if match else ""
    base = last if last and not last[0].isdigit() else "value"
    if base in ("self", "cls"):
        base = "value"
    name = base
    n = 2
    while name in taken and taken[name] != expr:
        name = f"{base}_{n}"
        n += 1
    return name


# --- writing the call -------------------------------------------------------------------


def render_call(
    call: DbCall, new: Rewritten, source: SourceText, *, sql_expr: str | None = None
) -> str:
    """The call with its SQL replaced and its parameters passed the driver's way."""
    node = call.node
    driver = call.driver or _FALLBACK
    literal = sql_expr or (("f" if new.fstring else "") + python_string(new.sql))
    args = [source.segment(a) for a in node.args]
    keywords = [(k.arg, source.segment(k.value)) for k in node.keywords]
    sql_index = call.spec.sql_index
    text_func = source.segment(call.text_call.func) if call.text_call is not None else None
    sql_src = f"{text_func}({literal})" if text_func else literal
    sql_by_keyword = not (sql_index is not None and sql_index < len(node.args))
    if call.name == "text" and call.text_call is None:
        # A standalone text(): bind the values on the clause itself.
        binds = ", ".join(f"{k}={v}" for k, v in new.named.items())
        head = f"{source.segment(node.func)}({literal})"
        return head + (f".bindparams({binds})" if binds else "")
    if sql_by_keyword:
        keywords = [(k, sql_src if k in call.spec.sql_keywords else v) for k, v in keywords]
    else:
        args[sql_index] = sql_src  # type: ignore[index]
    mode = call.spec.params_mode
    first_param = (sql_index or 0) + 1
    if mode == "varargs":
        args = args[:first_param] + new.positional
    elif mode == "kwargs":
        keywords = [(k, v) for k, v in keywords if k not in new.named]
        keywords += list(new.named.items())
    elif new.positional or new.named:
        value = _params_display(driver, new)
        names = call.spec.params_keywords
        if call.spec.params_index is not None and not sql_by_keyword:
            args = [*args[: call.spec.params_index], value]
            keywords = [(k, v) for k, v in keywords if k not in names]
        else:
            keywords = [(k, v) for k, v in keywords if k not in names]
            keywords.append((names[0] if names else "params", value))
    rendered = [*args, *(f"{k}={v}" if k else f"**{v}" for k, v in keywords)]
    prefix = "await " if call.site.awaited else ""
    func = source.segment(node.func)
    one_line = f"{prefix}{func}({', '.join(rendered)})"
    if len(one_line) <= _LINE and "\n" not in one_line:
        return one_line
    inner = "".join(f"    {_indent(part)},\n" for part in rendered)
    return f"{prefix}{func}(\n{inner})"


def _params_display(driver: Driver, new: Rewritten) -> str:
    if new.named and not new.positional:
        return "{" + ", ".join(f"{python_string(k)}: {v}" for k, v in new.named.items()) + "}"
    values = new.positional
    if driver.name == "django":
        return "[" + ", ".join(values) + "]"
    if len(values) == 1:
        return f"({values[0]},)"
    return "(" + ", ".join(values) + ")"


def _indent(text: str) -> str:
    # Indenting inside a triple-quoted string would change the SQL it holds.
    return text if '"""' in text else text.replace("\n", "\n    ")


# --- the parameters alone, for a fix that keeps the call as written ----------------------


def written_inside(call: DbCall) -> bool:
    """The SQL is an f-string / formatting expression among the call's own arguments."""
    node = call.sql_node
    if node is None or not isinstance(node, ast.JoinedStr | ast.BinOp | ast.Call):
        return False
    outer = call.text_call if call.text_call is not None else call.node
    arguments = [*outer.args, *(k.value for k in outer.keywords)]
    return any(node is argument for argument in arguments)


def holes_inside(call: DbCall, rendered: Rendered, source: SourceText) -> bool:
    """Every interpolated expression is written in the call itself, so the parameters the
    fix passes (and the safe values it keeps) are evaluated where the query was (not text
    built earlier from other names, which may since have changed), and each is a whole
    operand of the text as written: in `{name.strip()}` the value is `name.strip()`, not
    the `name` the analysis sees through, and a fix must pass the former."""
    start, end = source.start(call.node), source.end(call.node)
    operands = {id(o) for o in _operands(call.sql_node)}
    return all(
        piece.expr is not None
        and id(piece.expr) in operands
        and start <= source.start(piece.expr)
        and source.end(piece.expr) <= end
        for _, _, piece in rendered.spans
        if piece.text is None
    )


def _operands(node: ast.expr | None) -> list[ast.expr]:
    """The expressions a text is built from, as written: an f-string's fields, the terms
    of a `+`, the values after `%`, the arguments of `.format()`."""
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_operands(node.left), *_operands(node.right), node.left, node.right]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        right = node.right
        if isinstance(right, ast.Dict):
            return [*(v for v in right.values if v is not None), right]
        return [*right.elts, right] if isinstance(right, ast.Tuple) else [right]
    if isinstance(node, ast.Call):
        return [*node.args, *(k.value for k in node.keywords)]
    return []


def params_edits(call: DbCall, new: Rewritten, source: SourceText) -> tuple[Edit, ...] | None:
    """The edits that pass ``new``'s parameters the driver's way, leaving the rest of the
    call as it is written (its SQL argument is rewritten in place by the fix's plan)."""
    node = call.node
    driver = call.driver or _FALLBACK
    if call.name == "text" and call.text_call is None:
        # A standalone text(): the values are bound on the clause itself.
        binds = ", ".join(f"{k}={v}" for k, v in new.named.items())
        end = source.end(node)
        return (Edit(end, end, f".bindparams({binds})"),) if binds else ()
    sql_arg = call.text_call if call.text_call is not None else call.sql_node
    if sql_arg is None:
        return None
    sql_index = call.spec.sql_index
    sql_by_keyword = not (sql_index is not None and sql_index < len(node.args))
    first_param = (sql_index or 0) + 1
    mode = call.spec.params_mode
    if mode == "varargs":
        given = node.args[first_param:]
        values = ", ".join(new.positional)
        if given:
            return (Edit(source.start(given[0]), source.end(given[-1]), values),)
        return _after(sql_arg, new.positional, source, node) if values else ()
    if mode == "kwargs":
        edits = []
        taken = {k.arg: k for k in node.keywords if k.arg is not None}
        fresh = []
        for name, value in new.named.items():
            if name in taken:
                given = taken[name].value
                edits.append(Edit(source.start(given), source.end(given), value))
            else:
                fresh.append(f"{name}={value}")
        last = (node.args + [k.value for k in node.keywords])[-1]
        if fresh:
            added = _after(last, fresh, source, node)
            if added is None:
                return None
            edits += added
        return tuple(edits)
    if not (new.positional or new.named):
        return ()
    value = _params_display(driver, new)
    names = call.spec.params_keywords
    existing = next((k.value for k in node.keywords if k.arg in names), None)
    index = call.spec.params_index
    if existing is None and index is not None and not sql_by_keyword and index < len(node.args):
        existing = node.args[index]
    if existing is not None:
        return (Edit(source.start(existing), source.end(existing), value),)
    if call.spec.params_index is not None and not sql_by_keyword:
        return _after(sql_arg, [value], source, node)
    last = (node.args + [k.value for k in node.keywords])[-1]
    return _after(last, [f"{names[0] if names else 'params'}={value}"], source, node)


def _after(
    argument: ast.expr, values: list[str], source: SourceText, call: ast.Call
) -> tuple[Edit, ...] | None:
    """``values`` as the next arguments after ``argument``, laid out as the call is: each
    on a row of its own (with a trailing comma) when the arguments are, else inline."""
    indent = _indent_of(source, argument)
    text = f",\n{indent}".join(values)
    inline = ", ".join(values)
    end = source.end(argument)
    at = source.offset(end)
    call_end = source.offset(source.end(call))
    rest = source.text[at:call_end]
    stripped = rest.lstrip(" \t")
    if stripped.startswith(","):
        after_comma = stripped[1:].lstrip(" \t")
        if after_comma.startswith(("\n", "\r", "#")):
            # One argument per row: a new row after the comma.
            comma = at + (len(rest) - len(stripped))
            row_end = source.text.find("\n", comma)
            if row_end < 0 or row_end > call_end:
                return None
            row_end -= source.text[row_end - 1] == "\r"
            where = source.location_at(row_end)
            return (Edit(where, where, f"\n{indent}{text},"),)
        return (Edit(end, end, f", {inline}"),)
    if stripped.startswith(("\n", "\r", "#")):
        # The closing parenthesis on a row of its own: the value joins the arguments'
        # rows, after the comment the row may end with.
        row_end = source.text.find("\n", at)
        if row_end < 0 or row_end > call_end:
            return None
        row_end -= source.text[row_end - 1] == "\r"
        if row_end == at:
            return (Edit(end, end, f",\n{indent}{text},"),)
        where = source.location_at(row_end)
        return (Edit(end, end, ","), Edit(where, where, f"\n{indent}{text},"))
    return (Edit(end, end, f", {inline}"),)


def _indent_of(source: SourceText, argument: ast.expr) -> str:
    line = source.line(argument.lineno)
    return line[: len(line) - len(line.lstrip())]


def sql_text_plan(
    node: ast.expr, rendered: Rendered, new: Rewritten, source: SourceText, *, compose: bool
) -> Plan:
    """The plan that makes ``new``'s changes in the literal ``node`` as it is written."""
    start, end = source.start(node), source.end(node)
    pieces = tuple(
        (a, b, piece.text is None or piece.expr is not None) for a, b, piece in rendered.spans
    )
    span = (start.row, start.column - 1, end.row, end.column - 1)
    return Plan("sql_text", (span, pieces, tuple(new.changes), compose))

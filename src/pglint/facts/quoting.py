"""Quoting written by hand, recognised where a module defines it.

PostgreSQL reads anything between double quotes as one identifier once every double
quote inside is doubled, and anything between single quotes as one string once every
single quote inside is doubled (backslashes are ordinary characters in such a string
since PostgreSQL 9.1 made `standard_conforming_strings` the default). So helpers such as

    def identifier(name):
        return '"' + name.replace('"', '""') + '"'

    def literal(text):
        return "'" + text.replace("'", "''") + "'"

turn any text into one name or one string that cannot end early and start more SQL.
Only that exact shape counts (concatenation, an f-string, `'"%s"' %` or `'"{}"'.format()`,
around a chain of `.replace` calls of constants that doubles the quote and adds or removes
no other one); a helper that adds the quotes without doubling, or is called through a
name that might be something else, is not trusted.
"""

from __future__ import annotations

import ast

from pglint.facts.model import Pos, Scope
from pglint.facts.resolve import Resolver

_QUOTES = ('"', "'")


def is_quoting_helper(resolver: Resolver, name: ast.Name, scope: Scope, pos: Pos) -> bool:
    """Whether ``name``, called at ``pos``, is a function of this module that quotes its
    result as an identifier or a string on every path."""
    bindings = resolver.reaching(name.id, scope, pos)
    if len(bindings) != 1 or bindings[0].kind != "def":
        return False
    function = resolver.function(name.id)
    if function is None or function.node is not bindings[0].node:
        return False  # a nested function or a method, not the module's own
    return (
        isinstance(function.node, ast.FunctionDef)
        and not function.is_generator
        and bool(function.returns)
        and all(r.value is not None and quotes(r.value) for r in function.returns)
    )


def quotes(expr: ast.expr) -> bool:
    """`'"' + x.replace('"', '""') + '"'`, `f'"{x.replace(...)}"'`, `'"%s"' % x.replace(...)`,
    `'"{}"'.format(x.replace(...))`, or the same with single quotes."""
    return any(_quotes_with(expr, quote) for quote in _QUOTES)


def _quotes_with(expr: ast.expr, quote: str) -> bool:
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
        return _is_text(expr.left, f"{quote}%s{quote}") and doubles(expr.right, quote)
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "format"
        and len(expr.args) == 1
        and not expr.keywords
    ):
        template = expr.func.value
        return (
            _is_text(template, f"{quote}{{}}{quote}") or _is_text(template, f"{quote}{{0}}{quote}")
        ) and doubles(expr.args[0], quote)
    if isinstance(expr, ast.JoinedStr) and len(expr.values) == 3:
        first, field, last = expr.values
        return (
            isinstance(field, ast.FormattedValue)
            and field.conversion == -1
            and field.format_spec is None
            and _is_text(first, quote)
            and _is_text(last, quote)
            and doubles(field.value, quote)
        )
    if (
        isinstance(expr, ast.BinOp)
        and isinstance(expr.op, ast.Add)
        and isinstance(expr.left, ast.BinOp)
        and isinstance(expr.left.op, ast.Add)
    ):
        return (
            _is_text(expr.left.left, quote)
            and _is_text(expr.right, quote)
            and doubles(expr.left.right, quote)
        )
    return False


def doubles(expr: ast.expr, quote: str) -> bool:
    """`x.replace(quote, quote * 2)`, maybe among other `.replace` calls of constants that
    add or remove no lone ``quote``."""
    doubled = False
    while (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "replace"
        and not expr.keywords
        and len(expr.args) == 2
    ):
        old, new = expr.args
        if not (_is_text(old) and _is_text(new)):
            return False
        if (old.value, new.value) == (quote, quote * 2):  # type: ignore[attr-defined]
            doubled = True
        elif quote in old.value or quote in new.value:  # type: ignore[attr-defined]
            return False  # could undo the doubling or add a lone quote
        expr = expr.func.value
    return doubled


def _is_text(node: ast.expr, value: str | None = None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (value is None or node.value == value)
    )

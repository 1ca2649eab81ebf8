"""Identifier quoting written by hand, recognised where a module defines it.

PostgreSQL reads anything between double quotes as one identifier once every double
quote inside is doubled, so a helper such as

    def identifier(name):
        return '"' + name.replace('"', '""') + '"'

turns any text into a name that cannot end the identifier and start more SQL. Only that
exact shape counts (concatenation, an f-string or `'"%s"' %`, around a chain of
`.replace` calls of constants that doubles the double quote and touches no other quote);
a helper that adds the quotes without doubling, or is called through a name that might be
something else, is not trusted.
"""

from __future__ import annotations

import ast

from pglint.facts.model import Pos, Scope
from pglint.facts.resolve import Resolver

_QUOTE = '"'


def is_quoting_helper(resolver: Resolver, name: ast.Name, scope: Scope, pos: Pos) -> bool:
    """Whether ``name``, called at ``pos``, is a function of this module that quotes its
    result as an identifier on every path."""
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
        and all(r.value is not None and quotes_an_identifier(r.value) for r in function.returns)
    )


def quotes_an_identifier(expr: ast.expr) -> bool:
    """`'"' + x.replace('"', '""') + '"'`, `f'"{x.replace(...)}"'` or `'"%s"' % x.replace(...)`."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
        return _is_text(expr.left, '"%s"') and _doubles_quotes(expr.right)
    if isinstance(expr, ast.JoinedStr) and len(expr.values) == 3:
        first, field, last = expr.values
        return (
            isinstance(field, ast.FormattedValue)
            and field.conversion == -1
            and field.format_spec is None
            and _is_text(first, _QUOTE)
            and _is_text(last, _QUOTE)
            and _doubles_quotes(field.value)
        )
    if (
        isinstance(expr, ast.BinOp)
        and isinstance(expr.op, ast.Add)
        and isinstance(expr.left, ast.BinOp)
        and isinstance(expr.left.op, ast.Add)
    ):
        return (
            _is_text(expr.left.left, _QUOTE)
            and _is_text(expr.right, _QUOTE)
            and _doubles_quotes(expr.left.right)
        )
    return False


def _doubles_quotes(expr: ast.expr) -> bool:
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
        if (old.value, new.value) == (_QUOTE, _QUOTE * 2):  # type: ignore[attr-defined]
            doubled = True
        elif _QUOTE in old.value or _QUOTE in new.value:  # type: ignore[attr-defined]
            return False  # could undo the doubling or add a lone quote
        expr = expr.func.value
    return doubled


def _is_text(node: ast.expr, value: str | None = None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (value is None or node.value == value)
    )

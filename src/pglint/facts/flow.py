"""What holds at a use of a name: the definitions that reach it, and the checks it follows.

A check validates a name when the use can only run after it passed: the use sits inside
`if CHECK:`, or after `if not CHECK: raise` (or `return`, `continue`, `break`) in the
same or an enclosing block, with no new definition of the name in between. A check is
membership in a container of constants, a regular expression that matches the whole text
and only word characters (`^[A-Za-z_][A-Za-z0-9_]*$`), `str.isidentifier()` and its
kin, `isinstance(x, int)`, or a function of the module that returns one of these for its
argument. A guard under `if name:` also covers a use under another `if name:`. A call of
a module function that raises unless its argument passes a check (`require_name(x)`,
`require(data={"k": x}, key="k")` where it checks `data.get(key)`) is a guard too, and
`for x in names: if not CHECK(x): raise` checks every item of `names`.

`assert` is not a check: `python -O` removes it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from pglint.drivers import QUOTELESS_TYPES
from pglint.facts.model import Binding, Block, Pos, Scope
from pglint.facts.resolve import Resolver

try:  # the parser of the `re` module: what a pattern can match, read from its own parse
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]

MAX_VARIANTS = 8
_EXITS = (ast.Raise, ast.Return, ast.Continue, ast.Break)
# `str` methods true only for text without quotes, spaces or punctuation.
_CHARACTER_CHECKS = frozenset(
    {"isidentifier", "isalnum", "isalpha", "isdigit", "isdecimal", "isnumeric"}
)
_MATCHERS = frozenset({"match", "fullmatch", "search"})
# Characters a validated name may hold: none can end a name or a string, start a comment
# or another statement, or separate words.
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.")

MembersConstant = Callable[[ast.expr, Scope, Pos], bool]


def reaching_definitions(starts: list[Binding], block: Block) -> list[Binding]:
    """The definitions that may reach the use: the last one that certainly runs before
    it, plus any later conditional ones."""
    dominating = None
    for i, binding in enumerate(starts):
        if is_prefix(binding.block, block):
            dominating = i
    if dominating is None:
        return starts[-MAX_VARIANTS:]
    return starts[dominating:][:MAX_VARIANTS]


def is_prefix(inner: Block, outer: Block) -> bool:
    return outer[: len(inner)] == inner


class Guards:
    def __init__(self, resolver: Resolver, members_constant: MembersConstant) -> None:
        self.resolver = resolver
        self.members_constant = members_constant
        self._checkers: dict[str, bool] = {}  # module function name -> checks its argument
        self._block_ids: dict[tuple[int, str], int] | None = None
        self._validators: dict[int, list[str | tuple[str, str]]] = {}

    def block_of(self, stmt: ast.stmt, function: Scope) -> Block | None:
        """The block a statement of ``function`` sits in, as the facts pass numbered it."""
        if self._block_ids is None:
            blocks = self.resolver.facts.blocks
            self._block_ids = {(id(node), field): b for b, (node, field) in blocks.items()}
        body = getattr(function.node, "body", None)
        return _find_block(body, stmt, (), self._block_ids) if isinstance(body, list) else None

    def validated(
        self, name: str, scope: Scope, pos: Pos, block: Block, *, items: bool = False
    ) -> bool:
        """Whether every way to the use of ``name`` at ``pos`` passes a check of it; with
        ``items``, a check of every item of it (`for x in name: if not CHECK(x): raise`)."""
        bindings = self.resolver.reaching(name, scope, pos)
        if not bindings:
            return False
        after = max(b.pos for b in bindings)  # checks before the last definition do not count
        owner = scope if scope.kind == "function" else scope.function()
        root = getattr(owner.node if owner is not None else self.resolver.facts.tree, "body", None)
        if not isinstance(root, list):
            return False
        blocks = self.resolver.facts.blocks
        levels = [root] + [_statements(*blocks[b]) for b in block if b in blocks]
        covered = False  # a guard ran under `if name:`
        for depth, statements in enumerate(levels):
            holder, field = blocks[block[depth]] if depth < len(block) else (None, "")
            for stmt in statements:
                if stmt is holder or _pos(stmt) >= pos:
                    break
                if _pos(stmt) <= after:
                    continue
                if items:
                    if self._guards_items(stmt, name, scope):
                        return True
                    continue
                if self._guards(stmt, name, scope):
                    return True
                if (
                    isinstance(stmt, ast.If)
                    and _truthy(stmt.test, name)
                    and any(self._guards(s, name, scope) for s in stmt.body)
                ):
                    covered = True
            if isinstance(holder, ast.If) and _pos(holder) > after and not items:
                test = holder.test
                if field == "body" and (
                    self.checks(test, name, scope) or (covered and _truthy(test, name))
                ):
                    return True
                if field == "orelse" and self._refutes(test, name, scope):
                    return True
        return False

    # --- statements and tests ----------------------------------------------------------

    def _guards(self, stmt: ast.stmt, name: str, scope: Scope, exits=_EXITS) -> bool:
        """`if not CHECK(name): raise ...`, or a call of a module function that raises
        unless its argument passes a check: past this statement, the check passed."""
        if isinstance(stmt, ast.If):
            return (
                bool(stmt.body)
                and isinstance(stmt.body[-1], exits)
                and self._refutes(stmt.test, name, scope)
            )
        call = stmt.value if isinstance(stmt, ast.Expr | ast.Assign) else None
        return isinstance(call, ast.Call) and self._validator_call(call, name)

    def _guards_items(self, stmt: ast.stmt, name: str, scope: Scope) -> bool:
        """`for x in name:` whose body raises (or returns) unless x passes a check: a
        `continue` would leave the failing item in the container."""
        return (
            isinstance(stmt, ast.For)
            and _is_name(stmt.iter, name)
            and isinstance(stmt.target, ast.Name)
            and any(
                self._guards(s, stmt.target.id, scope, (ast.Raise, ast.Return)) for s in stmt.body
            )
        )

    def _validator_call(self, call: ast.Call, name: str) -> bool:
        """`require_name(name)`, or `require(data={"k": name}, key="k")`: a module function
        that raises unless what it is given passes a check."""
        if not isinstance(call.func, ast.Name):
            return False
        function = self.resolver.function(call.func.id)
        if function is None or not isinstance(function.node, ast.FunctionDef):
            return False
        params = [a.arg for a in function.node.args.args]
        given = dict(zip(params, call.args, strict=False))
        given.update({k.arg: k.value for k in call.keywords if k.arg is not None})
        for checked in self._validates(function):
            if isinstance(checked, str):
                if _is_name(given.get(checked), name):
                    return True
                continue
            mapping, key = given.get(checked[0]), given.get(checked[1])
            if isinstance(mapping, ast.Dict) and isinstance(key, ast.Constant):
                for k, v in zip(mapping.keys, mapping.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == key.value and _is_name(v, name):
                        return True
        return False

    def _validates(self, function: Scope) -> list[str | tuple[str, str]]:
        """What a function checks before it returns at all, raising otherwise: a
        parameter, or (mapping, key) for `value = mapping.get(key)` of two parameters."""
        known = self._validators.get(id(function.node))
        if known is not None:
            return known
        self._validators[id(function.node)] = []
        node = function.node
        assert isinstance(node, ast.FunctionDef)
        params = {a.arg for a in node.args.args}
        items: dict[str, tuple[str, str]] = {}  # local -> (mapping, key) parameters
        found: list[str | tuple[str, str]] = []
        for stmt in node.body:
            if isinstance(stmt, ast.Return):
                break
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                source = _item_of(stmt.value, params)
                if source is not None:
                    items[stmt.targets[0].id] = source
                continue
            for name in (*params, *items):
                if self._guards(stmt, name, function, ast.Raise):
                    found.append(items.get(name, name))
        self._validators[id(node)] = found
        return found

    def checks(self, test: ast.expr, name: str, scope: Scope) -> bool:
        """Whether ``test`` being true means ``name`` passed a check."""
        if isinstance(test, ast.BoolOp):
            results = [self.checks(v, name, scope) for v in test.values]
            return any(results) if isinstance(test.op, ast.And) else all(results)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, right = test.ops[0], test.comparators[0]
            if isinstance(op, ast.In) and _is_name(test.left, name):
                return self.members_constant(right, scope, _pos(test))
            if _is_none(right) and isinstance(op, ast.IsNot | ast.NotEq):
                return self.checks(test.left, name, scope)
            return isinstance(op, ast.Eq) and _equals_literal(test.left, right, name)
        if not isinstance(test, ast.Call):
            return False
        func, args = test.func, test.args
        if isinstance(func, ast.Name) and func.id == "bool" and len(args) == 1:
            return self.checks(args[0], name, scope)
        if isinstance(func, ast.Name) and func.id == "isinstance" and len(args) == 2:
            return _is_name(args[0], name) and _number_types(args[1])
        if isinstance(func, ast.Attribute) and func.attr in _CHARACTER_CHECKS:
            return _is_name(func.value, name) and not args
        if isinstance(func, ast.Attribute) and func.attr in _MATCHERS:
            return self._regex_check(test, name, scope)
        if isinstance(func, ast.Name) and len(args) == 1 and _is_name(args[0], name):
            return self._checker(func.id)
        return False

    def _refutes(self, test: ast.expr, name: str, scope: Scope) -> bool:
        """Whether ``test`` being false means ``name`` passed a check."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.checks(test.operand, name, scope)
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            return any(self._refutes(v, name, scope) for v in test.values)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, right = test.ops[0], test.comparators[0]
            if isinstance(op, ast.NotIn) and _is_name(test.left, name):
                return self.members_constant(right, scope, _pos(test))
            if _is_none(right) and isinstance(op, ast.Is | ast.Eq):
                return self.checks(test.left, name, scope)
            return isinstance(op, ast.NotEq) and _equals_literal(test.left, right, name)
        return False

    def _regex_check(self, call: ast.Call, name: str, scope: Scope) -> bool:
        """`PATTERN.fullmatch(name)` or `re.match(r"...$", name)` with a pattern that only
        lets word characters through."""
        func = call.func
        assert isinstance(func, ast.Attribute)
        if self.resolver.qualname(func) in {f"re.{m}" for m in _MATCHERS}:
            if len(call.args) < 2 or not _is_name(call.args[1], name):
                return False
            pattern, flags = call.args[0], call.args[2:3]
        else:
            if len(call.args) != 1 or not _is_name(call.args[0], name):
                return False
            compiled = self._compiled(func.value, scope)
            if compiled is None:
                return False
            pattern, flags = compiled.args[0], compiled.args[1:2]
        if not isinstance(pattern, ast.Constant) or not isinstance(pattern.value, str):
            return False
        verbose = any("VERBOSE" in ast.unparse(f) or ast.unparse(f).endswith(".X") for f in flags)
        return not verbose and only_name_characters(pattern.value, func.attr)

    def _compiled(self, expr: ast.expr, scope: Scope) -> ast.Call | None:
        """The `re.compile(PATTERN)` a name or `self.NAME` is bound to, once."""
        if not isinstance(expr, ast.Name):
            return None
        bindings = self.resolver.reaching(expr.id, scope, (1 << 30, 0))
        if len(bindings) != 1 or bindings[0].kind != "assign":
            return None
        value = bindings[0].value
        if (
            isinstance(value, ast.Call)
            and self.resolver.qualname(value.func) == "re.compile"
            and value.args
            and not value.keywords
        ):
            return value
        return None

    def _checker(self, function: str) -> bool:
        """A function of this module whose every return checks its one parameter
        (`return PATTERN.fullmatch(name) is not None`)."""
        known = self._checkers.get(function)
        if known is not None:
            return known
        self._checkers[function] = False  # a recursive checker checks nothing
        scope = self.resolver.function(function)
        result = False
        if scope is not None and isinstance(scope.node, ast.FunctionDef):
            params = [a.arg for a in scope.node.args.args]
            result = (
                len(params) >= 1
                and not scope.is_generator
                and bool(scope.returns)
                and all(
                    r.value is not None and self.checks(r.value, params[0], scope)
                    for r in scope.returns
                )
            )
        self._checkers[function] = result
        return result


def only_name_characters(pattern: str, method: str) -> bool:
    """Whether every text the pattern accepts (with ``method``: match, fullmatch or
    search) is made of letters, digits, `_`, `$` and `.` only."""
    try:
        parsed = list(_sre_parse.parse(pattern))
    except (re.error, RecursionError, OverflowError):
        return False
    starts = method != "search" or _anchored(parsed[:1], {"AT_BEGINNING", "AT_BEGINNING_STRING"})
    ends = method == "fullmatch" or _anchored(parsed[-1:], {"AT_END", "AT_END_STRING"})
    return starts and ends and _matches_only_name_characters(parsed)


def _anchored(items: list, anchors: set[str]) -> bool:
    return bool(items) and str(items[0][0]) == "AT" and str(items[0][1]) in anchors


def _matches_only_name_characters(items) -> bool:
    for op, value in items:
        kind = str(op)
        if kind == "LITERAL":
            if chr(value) not in _NAME_CHARACTERS:
                return False
        elif kind == "IN":
            if not all(_set_member_ok(str(o), v) for o, v in value):
                return False
        elif kind in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if not _matches_only_name_characters(value[2]):
                return False
        elif kind == "SUBPATTERN":
            if not _matches_only_name_characters(value[-1]):
                return False
        elif kind in ("BRANCH",):
            if not all(_matches_only_name_characters(b) for b in value[1]):
                return False
        elif kind in ("ATOMIC_GROUP",):
            if not _matches_only_name_characters(value):
                return False
        elif kind in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # anchors and lookarounds match no character
        else:
            return False  # `.`, negated sets, back references...
    return True


def _set_member_ok(op: str, value) -> bool:
    if op == "LITERAL":
        return chr(value) in _NAME_CHARACTERS
    if op == "RANGE":
        low, high = value
        return all(chr(c) in _NAME_CHARACTERS for c in range(low, high + 1))
    if op == "CATEGORY":
        return str(value) in ("CATEGORY_WORD", "CATEGORY_DIGIT")
    return False


# --- small helpers ------------------------------------------------------------------------


_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _find_block(
    statements: list, target: ast.AST, block: Block, ids: dict[tuple[int, str], int]
) -> Block | None:
    line = getattr(target, "lineno", 0)
    for stmt in statements:
        if stmt is target:
            return block
        first, last = getattr(stmt, "lineno", None), getattr(stmt, "end_lineno", None)
        if first is not None and last is not None and not first <= line <= last:
            continue
        for field in _BODY_FIELDS:
            inner = getattr(stmt, field, None)
            number = ids.get((id(stmt), field))
            if isinstance(inner, list) and number is not None:
                found = _find_block(inner, target, (*block, number), ids)
                if found is not None:
                    return found
    return None


def _statements(node: ast.AST, field: str) -> list:
    value = getattr(node, field, None)
    return value if isinstance(value, list) else []


def _pos(node: ast.AST) -> Pos:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _is_name(expr: ast.expr, name: str) -> bool:
    return isinstance(expr, ast.Name) and expr.id == name


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _item_of(expr: ast.expr, params: set[str]) -> tuple[str, str] | None:
    """`mapping.get(key)` or `mapping[key]` of two parameters."""
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get"
        and expr.args
    ):
        mapping, key = expr.func.value, expr.args[0]
    elif isinstance(expr, ast.Subscript):
        mapping, key = expr.value, expr.slice
    else:
        return None
    if (
        isinstance(mapping, ast.Name)
        and isinstance(key, ast.Name)
        and mapping.id in params
        and key.id in params
    ):
        return mapping.id, key.id
    return None


def _truthy(test: ast.expr, name: str) -> bool:
    """`if name:` or `if name is not None:`."""
    if _is_name(test, name):
        return True
    return (
        isinstance(test, ast.Compare)
        and _is_name(test.left, name)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.IsNot)
        and _is_none(test.comparators[0])
    )


def _number_types(expr: ast.expr) -> bool:
    names = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    return all(
        (n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", None)) in QUOTELESS_TYPES
        for n in names
    )


def _equals_literal(left: ast.expr, right: ast.expr, name: str) -> bool:
    """`name == "title"` (or `"title" == name`): where it holds, the value is that text."""
    for side, other in ((left, right), (right, left)):
        if (
            _is_name(side, name)
            and isinstance(other, ast.Constant)
            and isinstance(other.value, str | int | float)
            and not isinstance(other.value, bool)
        ):
            return True
    return False

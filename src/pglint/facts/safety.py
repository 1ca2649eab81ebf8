"""Whether an interpolated expression can carry text from outside the program.

Safe: literals and module constants; numbers (`int(x)`, `len(xs)`, `n + 1`, a `%d`);
what a quoting function returns (the driver's, one whose name says it quotes, the
module's own `'"' + x.replace('"', '""') + '"'`); items of containers whose items are
all safe (a literal table, `.items()` of a literal dict, a class-level list, a list built
with `append(quote(x))`); a name whose definitions reaching the use are all safe, or
that passed a check of its characters first (see pglint.facts.flow); what a function of
the module returns when every return is safe.
"""

from __future__ import annotations

import ast
from functools import partial

from pglint.drivers import (
    QUOTING_CONSTRUCTORS,
    SANITIZER_NAME_PARTS,
    SANITIZERS,
    TRUSTED_ATTRIBUTES,
    TRUSTED_CONNECTION_HELPERS,
    TRUSTED_METHODS,
)
from pglint.facts.containers import Containers
from pglint.facts.flow import Guards, reaching_definitions
from pglint.facts.model import Binding, Block, Pos, Scope
from pglint.facts.quoting import is_quoting_helper
from pglint.facts.resolve import Resolver, last_name
from pglint.facts.validated import converted_by_framework
from pglint.program.entries import References

MAX_DEPTH = 10
# Operators that raise unless both sides are numbers when one side is a number literal:
# `"a" + 1` and `"a" - 1` raise, while `"a" * 2` repeats and `"%s" % 1` formats.
_NUMERIC_OPERATORS = (ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Pow)
# `str` methods whose result is safe when the text and the arguments are.
_TEXT_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "casefold",
     "replace", "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center", "format"}
)  # fmt: skip
# Decorators that return what the function returns.
_TRANSPARENT_DECORATORS = frozenset({"cache", "lru_cache", "staticmethod", "cached_property"})


class Safety:
    def __init__(self, resolver: Resolver, *, params_safe: bool = False) -> None:
        self.resolver = resolver
        # Every parameter taken as safe: what a function's returns are made of besides
        # its arguments (``FunctionEntry.text``, "if_args").
        self.params_safe = params_safe
        self.containers = Containers(resolver)
        # A function of the containers, not a method: a bound method would tie the two
        # objects in a cycle the garbage collector alone can free.
        self.guards = Guards(resolver, partial(_members_constant, self.containers))
        self._checking: set[int] = set()
        self._known: dict[tuple[ast.expr, Pos, Block | None], bool] = {}
        self._cuts = 0
        self._functions: dict[int, bool] = {}  # id of a def -> every return is safe
        self._scopes: dict[int, Scope] | None = None

    def is_safe(
        self, expr: ast.expr, scope: Scope, pos: Pos, depth: int = 0, block: Block | None = None
    ) -> bool:
        """Whether ``expr``, evaluated at ``pos`` (in ``block``, when known: then the
        definitions reaching it and the checks before it count), is safe in SQL text."""
        if depth > MAX_DEPTH or id(expr) in self._checking:
            self._cuts += 1
            return False
        # Worked out once: a value re-bound many times (`x = "f(%s)" % x` in a chain of
        # branches) is checked through each earlier definition, which is then known. A
        # result reached through a cut (depth or a cycle) is not remembered.
        key = (expr, pos, block)
        known = self._known.get(key)
        if known is not None:
            return known
        cuts = self._cuts
        self._checking.add(id(expr))
        try:
            result = self._is_safe(expr, scope, pos, depth + 1, block)
        finally:
            self._checking.discard(id(expr))
        if self._cuts == cuts:
            self._known[key] = result
        return result

    def _is_safe(
        self, expr: ast.expr, scope: Scope, pos: Pos, depth: int, block: Block | None
    ) -> bool:
        if isinstance(expr, ast.Constant):
            return True
        if isinstance(expr, ast.JoinedStr):
            return all(
                self.is_safe(v.value, scope, pos, depth, block)
                for v in expr.values
                if isinstance(v, ast.FormattedValue)
            )
        if isinstance(expr, ast.Name):
            return self._safe_name(expr, scope, pos, depth, block)
        if isinstance(expr, ast.Attribute):
            return self._safe_attribute(expr, scope, pos, depth)
        if isinstance(expr, ast.Call):
            return self._safe_call(expr, scope, pos, depth, block)
        if isinstance(expr, ast.BinOp):
            if is_numeric(expr):
                return True
            if isinstance(expr.op, ast.Mult) and (
                _is_str_constant(expr.left) or _is_str_constant(expr.right)
                or _is_constant_list(expr.left) or _is_constant_list(expr.right)
            ):  # fmt: skip
                return True
            return self.is_safe(expr.left, scope, pos, depth, block) and self.is_safe(
                expr.right, scope, pos, depth, block
            )
        if isinstance(expr, ast.UnaryOp):
            # `-x`, `+x` and `~x` are numbers (text has no such operators); `not x` a bool.
            return True
        if isinstance(expr, ast.Compare):
            return True  # a bool
        if isinstance(expr, ast.IfExp):
            return self.is_safe(expr.body, scope, pos, depth, block) and self.is_safe(
                expr.orelse, scope, pos, depth, block
            )
        if isinstance(expr, ast.BoolOp):
            return all(self.is_safe(v, scope, pos, depth, block) for v in expr.values)
        if isinstance(expr, ast.Subscript):
            if isinstance(expr.slice, ast.Slice):  # part of a safe text
                return self.is_safe(expr.value, scope, pos, depth, block)
            values = self.containers.items(expr.value, scope, pos, "values")
            return self._all_safe(values, depth)
        if isinstance(expr, ast.Tuple | ast.List):
            return all(self.is_safe(e, scope, pos, depth, block) for e in expr.elts)
        return False

    def _all_safe(self, items, depth: int) -> bool:
        return self.containers.all_safe(items, lambda e, s, p: self.is_safe(e, s, p, depth))

    # --- names -------------------------------------------------------------------------

    def _safe_name(
        self, name: ast.Name, scope: Scope, pos: Pos, depth: int, block: Block | None
    ) -> bool:
        inner = self._comprehension_variable(name, scope, pos)
        bindings = inner or self.resolver.reaching(name.id, scope, pos)
        if not bindings:
            return False
        if block is not None and not inner:
            if self.guards.validated(name.id, scope, pos, block):
                return True
            starts = [b for b in bindings if b.kind not in ("aug", "append")]
            if starts:
                chosen = reaching_definitions(starts, block)
                first = chosen[0].pos
                later = [b for b in bindings if b.kind in ("aug", "append") and b.pos > first]
                bindings = chosen + later
        for binding in bindings:
            value = binding.value
            if binding.kind == "import":
                if not name.id.isupper():
                    return False
            elif binding.kind == "for":
                if not self._all_safe(self.containers.iterated(binding), depth) and not (
                    binding.value is not None
                    and self._items_checked(
                        binding.value, binding.scope, binding.pos, binding.block
                    )
                ):
                    return False
            elif binding.kind in ("assign", "aug") or (
                binding.kind == "append" and binding.op is None
            ):
                if value is None or not self.is_safe(
                    value, binding.scope, binding.pos, depth, binding.block
                ):
                    return False
            elif binding.kind == "append" and value is not None:  # `xs.extend(values)`
                items = self.containers.items(value, binding.scope, binding.pos, "iter")
                if not self._all_safe(items, depth):
                    return False
            elif binding.kind == "param":
                if not self._safe_parameter(binding):
                    return False
            else:
                return False  # a `with` target, an unpacked value...
        return True

    def _safe_parameter(self, binding: Binding) -> bool:
        """A parameter every caller in the program passes a value safe in SQL (a literal,
        a value its caller knows is safe), one typed as a project class whose text
        (`__str__`) is always safe (pglint.program), or one the web framework converted
        to a number before the handler runs (pglint.facts.validated)."""
        if self.params_safe or converted_by_framework(self.resolver.facts, binding):
            return True
        view = self.resolver.facts.reverse
        if view is None:
            return False
        if view.safe_param(binding.scope.qualname, binding.name):
            return True
        annotation = binding.annotation
        if not isinstance(annotation, ast.Name | ast.Attribute):
            return False
        owner = binding.scope.parent or binding.scope
        reference = References.of(self.resolver).reference(annotation, owner)
        return reference is not None and view.callee_text(f"{reference}.__str__") == "always"

    def _comprehension_variable(self, name: ast.Name, scope: Scope, pos: Pos) -> list[Binding]:
        """The variable of a comprehension around ``name`` in the statement at ``pos``:
        it hides any other binding of the name (and is bound after ``pos``)."""
        at = _pos(name)
        if at <= pos:
            return []
        inner = [
            b
            for b in self.resolver.reaching(name.id, scope, at)
            if b.kind == "for" and b.pos >= pos and _contains(b.node, name)
        ]
        return inner[-1:]

    def _safe_attribute(self, expr: ast.Attribute, scope: Scope, pos: Pos, depth: int) -> bool:
        found = self.containers.class_attribute(expr, scope)
        if found is not None:
            value, owner, where = found
            return self.is_safe(value, owner, where, depth)
        if _trusted_chain(expr) or says_quoted(expr.attr):
            return True
        # `settings.TABLE`: an upper-case name of an imported module is a constant.
        if self.resolver.qualname(expr) is not None and expr.attr.isupper():
            return True
        # A property of a project class whose every return is safe (`db.timestamp_now`).
        view = self.resolver.facts.reverse
        return view is not None and view.method_text(expr.attr, True) == "always"

    # --- calls -------------------------------------------------------------------------

    def _safe_call(
        self, call: ast.Call, scope: Scope, pos: Pos, depth: int, block: Block | None
    ) -> bool:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name is not None and (
            name in SANITIZERS
            or (
                any(part in name.lower() for part in SANITIZER_NAME_PARTS)
                and not name.lower().startswith("un")  # `unquote` undoes quoting
            )
        ):
            return True
        if isinstance(func, ast.Attribute) and (
            _trusted_chain(func.value) or func.attr in TRUSTED_METHODS
        ):
            return True
        if isinstance(func, ast.Name) and is_quoting_helper(self.resolver, func, scope, pos):
            return True
        qual = self.resolver.qualname(func)
        if qual is not None and qual.startswith(("psycopg.sql.", "psycopg2.sql.")):
            return True
        if qual in QUOTING_CONSTRUCTORS and not call.keywords:
            return True
        if isinstance(func, ast.Attribute) and func.attr in ("SQL", "Composed", "format"):
            base = self.resolver.qualname(func.value) or ""
            if (base.endswith("sql") or isinstance(func.value, ast.Call)) and (
                self._safe_composition(func.value)
            ):
                return True
        if name == "str" and len(call.args) == 1:
            return self.is_safe(call.args[0], scope, pos, depth, block)
        if isinstance(func, ast.Attribute) and func.attr == "join" and len(call.args) == 1:
            return self.is_safe(func.value, scope, pos, depth, block) and self.items_safe(
                call.args[0], scope, pos, depth, block
            )
        if isinstance(func, ast.Attribute) and func.attr == "get" and call.args:
            values = self.containers.items(func.value, scope, pos, "values")
            default = call.args[1:2] + [k.value for k in call.keywords if k.arg == "default"]
            return self._all_safe(values, depth) and all(
                self.is_safe(d, scope, pos, depth, block) for d in default
            )
        if isinstance(func, ast.Attribute) and func.attr in _TEXT_METHODS:
            return self.is_safe(func.value, scope, pos, depth, block) and self._safe_arguments(
                call, scope, pos, depth, block
            )
        if isinstance(func, ast.Name) and func.id == "next" and call.args:
            # `next(counter)` of `itertools.count()`, or of an iterator over safe items.
            items = self.containers.items(call.args[0], scope, pos, "iter")
            return self._all_safe(items, depth) and all(
                self.is_safe(d, scope, pos, depth, block) for d in call.args[1:]
            )
        return self._safe_function(func, scope, pos, depth) or self._program_text(
            call, scope, pos, depth, block
        )

    def _program_text(
        self, call: ast.Call, scope: Scope, pos: Pos, depth: int, block: Block | None
    ) -> bool:
        """A function of the program whose every return is safe in SQL, or safe when its
        arguments are: one of another module (`literal_string(x)` imported), or a method
        of a project class on an object the module cannot type (`db.placeholder("x")`).
        What the program says is read through the module's view of it."""
        view = self.resolver.facts.reverse
        if view is None:
            return False
        func = call.func
        reference = References.of(self.resolver).reference(func, scope, call)
        if reference is not None:
            verdict = view.callee_text(reference)
        elif isinstance(func, ast.Attribute):
            verdict = view.method_text(func.attr, False)
        else:
            return False
        if verdict == "always":
            return True
        return verdict == "if_args" and self._safe_arguments(call, scope, pos, depth, block)

    def _safe_arguments(
        self, call: ast.Call, scope: Scope, pos: Pos, depth: int, block: Block | None
    ) -> bool:
        """Every value passed, `*args` and `**kwargs` items included, is safe."""
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                items = self.containers.items(arg.value, scope, pos, "iter")
                if not self._all_safe(items, depth):
                    return False
            elif not self.is_safe(arg, scope, pos, depth, block):
                return False
        for keyword in call.keywords:
            if keyword.arg is None:
                values = self.containers.items(keyword.value, scope, pos, "values")
                if not self._all_safe(values, depth):
                    return False
            elif not self.is_safe(keyword.value, scope, pos, depth, block):
                return False
        return True

    def items_safe(
        self, items: ast.expr, scope: Scope, pos: Pos, depth: int = 0, block: Block | None = None
    ) -> bool:
        """Whether every item of ``items`` is safe (what `", ".join(items)` puts in)."""
        element = repeated_element(items)
        if element is not None and not isinstance(
            items, ast.GeneratorExp | ast.ListComp | ast.SetComp
        ):
            return self.is_safe(element, scope, pos, depth, block)  # `["%s"] * n`
        if self._all_safe(self.containers.items(items, scope, pos, "iter"), depth):
            return True
        return self._items_checked(items, scope, pos, block)

    def _items_checked(self, items: ast.expr, scope: Scope, pos: Pos, block: Block | None) -> bool:
        """`for x in names: if not CHECK(x): raise` ran before the use of `names`."""
        return (
            isinstance(items, ast.Name)
            and block is not None
            and self.guards.validated(items.id, scope, pos, block, items=True)
        )

    def _safe_function(self, func: ast.expr, scope: Scope, pos: Pos, depth: int) -> bool:
        """A function of this module (`helper(...)`), or a method of the class the call
        is made in (`self.helper(...)`), whose every return is safe whatever it is
        passed: checked once, in its own scope, with the checks it makes of its
        parameters. (A subclass elsewhere may override the method; the module shows only
        this definition.)"""
        function = self._callee(func, scope, pos)
        if function is None:
            return False
        known = self._functions.get(id(function.node))
        if known is not None:
            return known
        self._functions[id(function.node)] = False  # recursion returns nothing new
        node = function.node
        result = (
            isinstance(node, ast.FunctionDef)
            and not function.is_generator
            and all(_transparent(d) for d in node.decorator_list)
            and bool(function.returns)
            and all(
                r.value is not None
                and self.is_safe(
                    r.value, function, _pos(r), depth, self.guards.block_of(r, function)
                )
                for r in function.returns
            )
        )
        self._functions[id(node)] = result
        return result

    def _callee(self, func: ast.expr, scope: Scope, pos: Pos) -> Scope | None:
        if isinstance(func, ast.Name):
            bindings = self.resolver.reaching(func.id, scope, pos)
            function = self.resolver.function(func.id)
            if len(bindings) != 1 or bindings[0].kind != "def" or function is None:
                return None
            return function if function.node is bindings[0].node else None
        if not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            return None
        method = scope.function()
        owner = method.enclosing_class if method is not None else None
        bindings = owner.bindings.get(func.attr, []) if owner is not None else []
        if len(bindings) != 1 or bindings[0].kind != "def":
            return None
        if self._scopes is None:
            self._scopes = {id(s.node): s for s in self.resolver.facts.scopes}
        return self._scopes.get(id(bindings[0].node))

    def _safe_composition(self, expr: ast.expr) -> bool:
        qual = self.resolver.qualname(expr.func) if isinstance(expr, ast.Call) else None
        if qual is None and isinstance(expr, ast.Call):
            return (
                self._safe_composition(expr.func.value)
                if isinstance(expr.func, ast.Attribute)
                else False
            )
        if qual is None:
            qual = self.resolver.qualname(expr) or ""
        return qual.startswith(("psycopg.sql", "psycopg2.sql"))


# --- shapes -------------------------------------------------------------------------------


def _members_constant(containers: Containers, container: ast.expr, scope: Scope, pos: Pos) -> bool:
    """`x in container` only for constants: then x is one of them."""
    items = containers.items(container, scope, pos, "iter")
    return items is not None and all(
        item.number or isinstance(item.expr, ast.Constant) for item in items
    )


def is_numeric(expr: ast.expr) -> bool:
    """`n + 1`, `total / 2`: arithmetic with a number literal gives a number or raises."""
    return (
        isinstance(expr, ast.BinOp)
        and isinstance(expr.op, _NUMERIC_OPERATORS)
        and (_is_number(expr.left) or _is_number(expr.right))
    )


def numeric_hint(expr: ast.expr) -> str | None:
    """Text that stands for a safe number in SQL (its value when known)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int | float):
        return str(expr.value)
    if isinstance(expr, ast.Call) and getattr(expr.func, "id", None) in ("int", "float", "len"):
        return "0"
    if is_numeric(expr):
        return "0"
    return None


def repeated_element(items: ast.expr) -> ast.expr | None:
    """The element of `["%s"] * n`, `"?" * n`, `("%s" for _ in xs)`, `["%s" for ...]`."""
    if isinstance(items, ast.BinOp) and isinstance(items.op, ast.Mult):
        for side in (items.left, items.right):
            if isinstance(side, ast.List | ast.Tuple) and len(side.elts) == 1:
                return side.elts[0]
            if _is_str_constant(side):
                return side
    if isinstance(items, ast.GeneratorExp | ast.ListComp | ast.SetComp):
        return items.elt
    return None


def says_quoted(name: str) -> bool:
    """An attribute whose name says it holds its value quoted or escaped (`table_quoted`),
    as a function's name does (``SANITIZER_NAME_PARTS``)."""
    lowered = name.lower()
    return any(
        f"{part}d" in lowered and f"un{part}" not in lowered for part in SANITIZER_NAME_PARTS
    )


def _trusted_chain(expr: ast.expr) -> bool:
    """`Model._meta.db_table`, `connection.ops.quote_name`: metadata the code defines."""
    while isinstance(expr, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(expr, ast.Attribute):
            if expr.attr in TRUSTED_ATTRIBUTES or (
                expr.attr in TRUSTED_CONNECTION_HELPERS
                and last_name(
                    expr.value.value if isinstance(expr.value, ast.Subscript) else expr.value
                )
                in ("connection", "connections")
            ):
                return True
            expr = expr.value
        elif isinstance(expr, ast.Call):
            expr = expr.func
        else:
            expr = expr.value
    return False


def _transparent(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return last_name(target) in _TRANSPARENT_DECORATORS


def _is_number(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, int | float | complex)


def _is_str_constant(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str)


def _is_constant_list(expr: ast.expr) -> bool:
    return isinstance(expr, ast.List | ast.Tuple) and all(
        isinstance(e, ast.Constant) for e in expr.elts
    )


def _contains(node: ast.AST | None, inner: ast.AST) -> bool:
    if not isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        return False
    start, end = _pos(node), (node.end_lineno or 0, node.end_col_offset or 0)
    return start <= _pos(inner) and (inner.end_lineno or 0, inner.end_col_offset or 0) <= end


def _pos(node: ast.AST) -> Pos:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))

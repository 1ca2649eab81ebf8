"""Name lookup and driver resolution over the recorded scopes and bindings.

"What is ``cur``?" is answered from the factory that made it, the annotation it carries,
the dependency that provides it, or — less surely — an attribute assigned elsewhere in
the module or a method only one driver has.
"""

from __future__ import annotations

import ast
from typing import Literal

from pglint.drivers import (
    ANNOTATIONS,
    ASYNC_SESSION_CLASSES,
    ATTRIBUTE_NAMES,
    ATTRIBUTE_RESULTS,
    DJANGO_MANAGER_ATTRIBUTES,
    ENGINE_CONNECTIONS,
    FACTORIES,
    METHOD_RESULTS,
    OBJECTS,
    POOL_CHECKOUTS,
    ObjectKind,
)
from pglint.facts.model import Binding, ModuleFacts, Pos, Scope

Confidence = Literal["certain", "likely"]
Resolved = tuple[ObjectKind, Confidence] | None

_MAX_DEPTH = 8
_UNKNOWN = object()
_DEPENDS = frozenset({"Depends", "Security"})
# What a call opens anew, that someone must close: not a pool or engine (PGL301's).
_OPENED = frozenset({"connection", "cursor", "session"})
_CLOSING = frozenset({"contextlib.closing", "contextlib.aclosing"})


def _weaker(a: Confidence, b: Confidence) -> Confidence:
    return "likely" if "likely" in (a, b) else "certain"


class Resolver:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.imports = facts.imports
        self._functions: dict[str, Scope] = {}
        for scope in facts.scopes:
            if scope.kind == "function" and scope.parent is facts.module:
                self._functions.setdefault(scope.name, scope)
        self._active: set[int] = set()
        # Kinds of bindings already worked out, and how many lookups were cut short (by
        # depth or a cycle): a result reached through a cut is not remembered.
        self._binding_kinds: dict[int, Resolved] = {}
        self._qualnames: dict[ast.expr, str | None] = {}
        self._owners: dict[Scope, Scope | None] = {}  # the class a method belongs to
        self._members: dict[tuple[Scope | None, str], Resolved] = {}  # `self.x` / `y.x`
        self._answers: dict[tuple[ast.expr, Scope, Pos], Resolved] = {}
        self._cuts = 0
        self._steps: int | None = None  # lookups left to a bounded question

    @classmethod
    def of(cls, facts: ModuleFacts) -> Resolver:
        """The resolver every rule of one lint shares, so what one rule worked out the
        next one reuses; a new one when the module's imports were resolved anew."""
        cached = facts.__dict__.get("_shared_resolver")
        if cached is None or cached[0] is not facts.imported or cached[1] is not facts.reverse:
            cached = (facts.imported, facts.reverse, cls(facts))
            facts.__dict__["_shared_resolver"] = cached
        return cached[2]

    # --- names -------------------------------------------------------------------------

    def qualname(self, expr: ast.expr) -> str | None:
        """`pg.connect` -> `psycopg2.connect` when `import psycopg2 as pg`."""
        # Asked about every call by the finders and by several rules: worked out once.
        known = self._qualnames.get(expr, _UNKNOWN)
        if known is _UNKNOWN:
            known = self._qualnames[expr] = self._qualname(expr)
        return known  # type: ignore[return-value]

    def _qualname(self, expr: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        base = self.imports.get(expr.id)
        if base is None:
            base = self._star_imported(expr.id)
        if base is None:
            return None
        parts.append(base)
        return ".".join(reversed(parts))

    def _star_imported(self, name: str) -> str | None:
        """`db_connect` after `from db import *`: a name a star-imported project module
        exports (pglint.project), unless the module binds it itself."""
        if not self.facts.star_imports or name in self.facts.module.bindings:
            return None
        for star in self.facts.star_imports:
            if f"{star}.{name}" in self.facts.imported:
                return f"{star}.{name}"
        return None

    def reaching(self, name: str, scope: Scope, pos: Pos) -> list[Binding]:
        """Bindings of ``name`` that may reach a use at ``pos`` in ``scope``."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent
                continue
            if name in current.globals:
                current = self.facts.module
            bindings = current.bindings.get(name)
            if bindings:
                if current is scope and current.kind != "module":
                    return [b for b in bindings if b.pos < pos]
                if current is scope:
                    before = [b for b in bindings if b.pos < pos]
                    return before or bindings
                return bindings
            current = current.parent
            first = False
        return []

    def function(self, name: str) -> Scope | None:
        return self._functions.get(name)

    # --- kinds -------------------------------------------------------------------------

    def kind_of(self, expr: ast.expr | None, scope: Scope, pos: Pos, depth: int = 0) -> Resolved:
        if expr is None:
            return None
        if depth == 0 and not self._active:
            # A question asked from outside (by the call finders, the resource tracker
            # and the rules, often about the same receiver): answered once.
            # Keyed by the nodes themselves, which the key keeps alive: an id could be
            # reused by a node built later (a parsed string annotation).
            key = (expr, scope, pos)
            if key in self._answers:
                return self._answers[key]
            cuts = self._cuts
            resolved = self._checked_kind_of(expr, scope, pos, depth)
            if self._cuts == cuts:
                self._answers[key] = resolved
            return resolved
        return self._checked_kind_of(expr, scope, pos, depth)

    def bounded_kind_of(self, expr: ast.expr, scope: Scope, pos: Pos, steps: int) -> Resolved:
        """``kind_of`` giving up (None: not known) after ``steps`` lookups. For questions
        asked of every argument of every call (pglint.program.entries): in a class of
        hundreds of methods that refer to each other, results reached through a cycle
        are not remembered, and the same lookups can repeat without end."""
        self._steps = steps
        try:
            return self.kind_of(expr, scope, pos)
        finally:
            self._steps = None

    def _checked_kind_of(self, expr: ast.expr, scope: Scope, pos: Pos, depth: int) -> Resolved:
        if self._steps is not None:
            self._steps -= 1
            if self._steps < 0:
                self._cuts += 1
                return None
        if depth > _MAX_DEPTH or id(expr) in self._active:
            self._cuts += 1
            return None
        self._active.add(id(expr))
        try:
            return self._kind_of(expr, scope, pos, depth + 1)
        finally:
            self._active.discard(id(expr))

    def _kind_of(self, expr: ast.expr, scope: Scope, pos: Pos, depth: int) -> Resolved:
        if isinstance(expr, ast.Await):
            return self.kind_of(expr.value, scope, pos, depth)
        if isinstance(expr, ast.Name):
            return self._name_kind(expr.id, scope, pos, depth)
        if isinstance(expr, ast.Attribute):
            return self._attribute_kind(expr, scope, pos, depth)
        if isinstance(expr, ast.Call):
            return self._call_kind(expr, scope, pos, depth)
        if isinstance(expr, ast.Subscript):
            inner = self.kind_of(expr.value, scope, pos, depth)
            return _method_result(inner, "__getitem__")
        return None

    def _name_kind(self, name: str, scope: Scope, pos: Pos, depth: int) -> Resolved:
        return self._kinds_of(self.reaching(name, scope, pos), depth)

    def binding_kind(self, binding: Binding, depth: int = 0) -> Resolved:
        key = id(binding)
        if key in self._binding_kinds:
            return self._binding_kinds[key]
        cuts = self._cuts
        resolved = self._binding_kind(binding, depth)
        if self._cuts == cuts:
            self._binding_kinds[key] = resolved
        return resolved

    def _binding_kind(self, binding: Binding, depth: int) -> Resolved:
        if binding.annotation is not None:
            kind = self.annotation_kind(binding.annotation)
            if kind is not None:
                return kind, "certain"
        if binding.kind in ("assign", "with"):
            return self.kind_of(binding.value, binding.scope, binding.pos, depth)
        if binding.kind == "param":
            view = self.facts.reverse
            passed = view.param_kind(binding.scope.qualname, binding.name) if view else None
            if passed is not None:  # what every caller in the program passes
                return passed, "likely"
            return self.dependency_kind(binding.value, binding.annotation, depth)
        if binding.kind == "import":
            qual = self.imports.get(binding.name)
            if qual in OBJECTS:
                return OBJECTS[qual], "certain"
            return self._imported(qual, "object")
        return None

    def _imported(self, qual: str | None, role: str) -> Resolved:
        """What another module of the project says ``qual`` is (see pglint.project)."""
        export = self.facts.imported.get(qual) if qual else None
        if export is None or export.role != role:
            return None
        return export.kind, export.confidence

    def _attribute_kind(self, expr: ast.Attribute, scope: Scope, pos: Pos, depth: int) -> Resolved:
        qual = self.qualname(expr)
        if qual in OBJECTS:
            return OBJECTS[qual], "certain"
        imported = self._imported(qual, "object")
        if imported is not None:
            return imported
        if expr.attr in DJANGO_MANAGER_ATTRIBUTES and not isinstance(expr.value, ast.Call):
            return ObjectKind("django", "manager"), "likely"
        if expr.attr in ATTRIBUTE_NAMES:  # Flask-SQLAlchemy's `db.session`, `db.engine`
            inner = self.kind_of(expr.value, scope, pos, depth)
            if inner is not None:
                role = ATTRIBUTE_RESULTS.get((inner[0].driver, inner[0].role), {}).get(expr.attr)
                if role is not None:
                    return ObjectKind(inner[0].driver, role), inner[1]
        owner = self._owners.get(scope, _UNKNOWN)
        if owner is _UNKNOWN:
            owner = self._owners[scope] = _method_owner(scope)
        if not (
            owner is not None
            and isinstance(expr.value, ast.Name)
            and expr.value.id in ("self", "cls")
        ):
            owner = None
        # What follows depends only on the class and the attribute: `self.conn` in every
        # method of a repository class is worked out once (unless a lookup was cut short).
        key = (owner, expr.attr)
        if key in self._members:
            return self._members[key]
        cuts = self._cuts
        resolved = self._member_kind(owner, expr.attr, depth)  # type: ignore[arg-type]
        if self._cuts == cuts:
            self._members[key] = resolved
        return resolved

    def _member_kind(self, owner: Scope | None, attr: str, depth: int) -> Resolved:
        if owner is not None:
            found = self._kinds_of(owner.self_bindings.get(attr, ()), depth)
            if found is not None:
                return found
        found = self._kinds_of(self.facts.attribute_bindings.get(attr, ()), depth)
        if found is not None:
            return found[0], "likely"
        return None

    def _kinds_of(self, bindings, depth: int) -> Resolved:
        """The one kind every binding agrees on, at the weakest of their confidences."""
        if len(bindings) == 1:  # the common case, without the set
            return self.binding_kind(bindings[0], depth)
        found: set[ObjectKind] = set()
        confidence: Confidence = "certain"
        for binding in bindings:
            resolved = self.binding_kind(binding, depth)
            if resolved is not None:
                found.add(resolved[0])
                confidence = _weaker(confidence, resolved[1])
        if len(found) == 1:
            return found.pop(), confidence
        return None

    def _call_kind(self, call: ast.Call, scope: Scope, pos: Pos, depth: int) -> Resolved:
        qual = self.qualname(call.func)
        if qual in _CLOSING and call.args:
            # `with closing(psycopg2.connect(...)) as conn`: `conn` is the connection.
            return self.kind_of(call.args[0], scope, pos, depth)
        if qual in FACTORIES:
            kind = FACTORIES[qual]
            if kind.role == "sessionmaker" and not kind.info.is_async:
                for keyword in call.keywords:
                    if keyword.arg == "class_" and self.qualname(keyword.value) in (
                        ASYNC_SESSION_CLASSES
                    ):
                        kind = ObjectKind("sqlalchemy_async", "sessionmaker")
            return kind, "certain"
        func = call.func
        if isinstance(func, ast.Attribute):
            inner = self.kind_of(func.value, scope, pos, depth)
            result = _method_result(inner, func.attr)
            if result is not None:
                return result
        callee = self.kind_of(func, scope, pos, depth)
        if callee is not None:
            return _method_result(callee, "__call__")
        if isinstance(func, ast.Name):
            target = self.function(func.id)
            if target is not None and target is not scope:
                return self.provided_kind(target, depth)
        return self._imported(qual, "provider")

    def provided_kind(self, function: Scope, depth: int = 0) -> Resolved:
        """What a factory function or dependency returns or yields."""
        found: set[ObjectKind] = set()
        confidence: Confidence = "certain"
        values = [r.value for r in function.returns if r.value is not None] + function.yields
        for value in values:
            resolved = self.kind_of(value, function, _end(value), depth)
            if resolved is not None:
                found.add(resolved[0])
                confidence = _weaker(confidence, resolved[1])
        if len(found) == 1:
            return found.pop(), confidence
        return None

    def acquires(self, function: Scope, depth: int = 0) -> str:
        """How a function that returns a connection, cursor or session got it: "open" when
        every value it returns was opened right there (or by a provider that opens one),
        "checkout:<method>" when borrowed from a pool, "" when it hands out one it did not
        open (a shared module-level object, an attribute). Generators hand out a context
        manager, not the object: ""."""
        # `return None` on a failure hands out nothing to close.
        values = [r.value for r in function.returns if r.value is not None and not _none(r.value)]
        if function.is_generator or not values or depth > _MAX_DEPTH:
            return ""
        found = {self._acquired(v, function, _end(v), depth + 1) for v in values}
        return found.pop() if len(found) == 1 else ""

    def _acquired(self, expr: ast.expr, scope: Scope, pos: Pos, depth: int) -> str:
        if isinstance(expr, ast.Await):
            expr = expr.value
        if isinstance(expr, ast.Name):
            bindings = self.reaching(expr.id, scope, pos)
            if not bindings or any(b.kind != "assign" or b.value is None for b in bindings):
                return ""
            found = {self._acquired(b.value, b.scope, b.pos, depth) for b in bindings}  # type: ignore[arg-type]
            return found.pop() if len(found) == 1 else ""
        if not isinstance(expr, ast.Call) or depth > _MAX_DEPTH:
            return ""
        func = expr.func
        qual = self.qualname(func)
        if qual in FACTORIES:
            kind = FACTORIES[qual]
            opened = kind.role in _OPENED and qual != "sqlalchemy.orm.scoped_session"
            return "open" if opened else ""
        if isinstance(func, ast.Attribute):
            owner = self.kind_of(func.value, scope, pos, depth)
            if owner is None:
                return ""
            owner_kind = owner[0]
            key = (owner_kind.driver, owner_kind.role)
            if func.attr in POOL_CHECKOUTS.get(key, {}):
                return f"checkout:{func.attr}"
            if owner_kind.role == "engine" and func.attr in ENGINE_CONNECTIONS:
                return "open"
            if owner_kind.role in ("sessionmaker", "connection") and _method_result(
                owner, func.attr
            ):
                return "open"  # `SessionLocal.begin()`, `conn.cursor()`
            return ""
        if isinstance(func, ast.Name):
            target = self.function(func.id)
            if target is not None and target is not scope:
                return self.acquires(target, depth + 1)
            maker = self.kind_of(func, scope, pos, depth)
            if maker is not None and maker[0].role == "sessionmaker":
                return "open"
        export = self.facts.imported.get(qual) if qual else None
        if export is not None and export.role == "provider":
            return export.fresh
        return ""

    def dependency_kind(
        self, default: ast.expr | None, annotation: ast.expr | None, depth: int
    ) -> Resolved:
        target = _depends_target(default) or _depends_target(_annotated_metadata(annotation))
        if target is None:
            return None
        if isinstance(target, ast.Name):
            function = self.function(target.id)
            if function is not None:
                return self.provided_kind(function, depth)
        return self._imported(self.qualname(target), "provider")

    def annotation_kind(self, annotation: ast.expr | None, depth: int = 0) -> ObjectKind | None:
        if annotation is None or depth > _MAX_DEPTH:
            return None
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except (SyntaxError, ValueError):
                return None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            left = self.annotation_kind(annotation.left, depth + 1)
            right = self.annotation_kind(annotation.right, depth + 1)
            return left or right if not (left and right and left != right) else None
        if isinstance(annotation, ast.Subscript):
            name = self.qualname(annotation.value) or _plain_name(annotation.value)
            if name and name.rpartition(".")[2] in ("Optional", "Annotated"):
                inner = annotation.slice
                if isinstance(inner, ast.Tuple) and inner.elts:
                    inner = inner.elts[0]
                return self.annotation_kind(inner, depth + 1)
            return None
        qual = self.qualname(annotation)
        if qual is None:
            return self._alias_kind(annotation, depth)
        found = ANNOTATIONS.get(qual) or ANNOTATIONS.get(_canonical(qual))
        if found is None:
            imported = self._imported(qual, "annotation")
            found = imported[0] if imported else None
        return found

    def _alias_kind(self, annotation: ast.expr, depth: int) -> ObjectKind | None:
        """`SessionDep = Annotated[Session, Depends(get_db)]` at module level."""
        if not isinstance(annotation, ast.Name):
            return None
        bindings = self.facts.module.bindings.get(annotation.id, [])
        if len(bindings) != 1 or bindings[0].kind != "assign":
            return None
        value = bindings[0].value
        if not isinstance(value, ast.Subscript):
            return None
        return self.annotation_kind(value, depth + 1)


def _none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value in (None, False)


def _canonical(qual: str) -> str:
    # `from sqlalchemy.orm import Session` and `sqlalchemy.orm.session.Session` are one type.
    parts = qual.split(".")
    return ".".join(parts[:2] + parts[-1:]) if len(parts) > 3 else qual


def _plain_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


def _method_result(resolved: Resolved, method: str) -> Resolved:
    if resolved is None:
        return None
    kind, confidence = resolved
    role = METHOD_RESULTS.get((kind.driver, kind.role), {}).get(method)
    if role is None:
        return None
    return ObjectKind(kind.driver, role), confidence


def _method_owner(scope: Scope) -> Scope | None:
    function = scope.function()
    while function is not None:
        owner = function.enclosing_class
        if owner is not None:
            return owner
        parent = function.parent
        function = parent.function() if parent is not None else None
    return None


def _depends_target(expr: ast.expr | None) -> ast.expr | None:
    if not isinstance(expr, ast.Call):
        return None
    name = _plain_name(expr.func)
    if name not in _DEPENDS:
        return None
    if expr.args:
        return expr.args[0]
    for keyword in expr.keywords:
        if keyword.arg == "dependency":
            return keyword.value
    return None


def _annotated_metadata(annotation: ast.expr | None) -> ast.expr | None:
    """The `Depends(...)` inside `Annotated[T, Depends(...)]`."""
    if not isinstance(annotation, ast.Subscript):
        return None
    if _plain_name(annotation.value) != "Annotated":
        return None
    inner = annotation.slice
    if isinstance(inner, ast.Tuple):
        for element in inner.elts[1:]:
            if _depends_target(element) is not None:
                return element
    return None


def _end(node: ast.AST) -> Pos:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


def last_name(expr: ast.expr) -> str | None:
    """The name an expression ends in: `conn` for `conn`, `connect` for `pg.connect`."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None

"""Connections, sessions and pool checkouts acquired in functions, and what becomes of them.

For every acquisition (``psycopg2.connect()``, ``SessionLocal()``, ``engine.connect()``,
``pool.getconn()``, ``await pool.acquire()``...) inside a function, decide from the
recorded facts whether it is:

- ``released`` on every path: a ``with`` / ``async with`` whose context manager closes it
  (the drivers table says which do), ``contextlib.closing``, ``ExitStack.enter_context``,
  or a close / ``putconn`` / ``release`` call in a ``finally`` block;
- ``closed_on_success``: closed, but not when an exception comes first;
- ``with_does_not_close``: in a ``with`` block whose context manager only ends the
  transaction (psycopg2, sqlite3), and not closed otherwise;
- ``handed_over``: returned, stored on an object, in a container or a global, or passed
  to another call — someone else owns it now;
- ``yielded``: handed out by a generator (a dependency, a context manager); whether the
  code after the ``yield`` closes it is in ``released``;
- ``not_closed``: none of the above;
- ``unknown``: used in a way the analysis does not follow (rules stay silent).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from pglint.drivers import (
    CONVENTIONAL_SESSION_FACTORIES,
    ENGINE_CONNECTIONS,
    FACTORIES,
    LIFECYCLE,
    POOL_CHECKOUTS,
    Checkout,
    Lifecycle,
    ObjectKind,
)
from pglint.facts.model import Binding, CallSite, ModuleFacts, Scope, WithItem
from pglint.facts.resolve import Resolver, last_name
from pglint.program.entries import References

State = Literal[
    "released", "closed_on_success", "with_does_not_close", "handed_over", "yielded",
    "not_closed", "unknown",
]  # fmt: skip

_LIBRARIES = frozenset({"sqlalchemy", "sqlmodel", "fastapi", "flask_sqlalchemy"})
_TRACKED_ROLES = frozenset({"connection", "session"})
_CLOSING = frozenset({"closing", "aclosing"})
_ENTER = frozenset({"enter_context", "enter_async_context", "push_async_exit", "callback"})
# Methods whose result keeps the connection alive and reachable (`return conn.cursor()`).
_DERIVED = frozenset({"cursor", "execute"})


@dataclass(eq=False)
class Resource:
    site: CallSite  # the acquiring call
    kind: ObjectKind  # driver and role ("connection" or "session")
    function: Scope  # the function it is acquired in
    lifecycle: Lifecycle | None  # how it is closed (None: a pool checkout)
    checkout: Checkout | None = None  # borrowed from a pool: how it goes back
    pool: ast.expr | None = None  # the pool expression a checkout came from
    # Opened (or borrowed) by a function of the project and handed over by its return:
    # `conn = get_conn()`. The caller owns it now.
    provided: bool = False
    name: str | None = None  # the local name it is bound to
    with_item: WithItem | None = None  # acquired as the context expression of a `with`
    state: State = "unknown"
    released: bool = False  # released on every path (for yielded resources too)
    releases: list[CallSite] = field(default_factory=list)  # close/putconn/release calls
    # `commit()` / `rollback()` calls on it: a SQLAlchemy session gives its connection
    # back to the pool when its transaction ends.
    ends: list[CallSite] = field(default_factory=list)
    returns: list[ast.Return] = field(default_factory=list)  # returns that hand it out
    yields: list[ast.expr] = field(default_factory=list)  # yielded values that hand it out

    @property
    def node(self) -> ast.Call:
        return self.site.node

    @property
    def awaited(self) -> bool:
        return self.site.awaited

    def release_call(self, name: str | None = None) -> str:
        """The statement that releases it, for suggestions: `pool.putconn(conn)`..."""
        name = name or self.name or "conn"
        if self.checkout is not None and self.checkout.release is not None:
            pool = ast.unparse(self.pool) if self.pool is not None else "pool"
            text = f"{pool}.{self.checkout.release}({name})"
            return f"await {text}" if self.checkout.awaited else text
        lifecycle = self.lifecycle
        if lifecycle is None:
            return f"{name}.close()"
        text = f"{name}.{lifecycle.close}()"
        return f"await {text}" if lifecycle.awaited else text


def find_resources(facts: ModuleFacts) -> list[Resource]:
    return _Tracker(facts).run()


class _Tracker:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.resolver = Resolver.of(facts)

    def _index(self) -> None:
        """Where each expression sits: built only for modules that acquire something."""
        facts = self.facts
        self.arg_parent: dict[int, CallSite] = {}
        for site in facts.calls:
            call = site.node
            for arg in call.args:
                self.arg_parent[id(arg.value if isinstance(arg, ast.Starred) else arg)] = site
            for keyword in call.keywords:
                self.arg_parent[id(keyword.value)] = site
        self.binding_of: dict[int, Binding] = {}
        for binding in self._all_bindings():
            value = binding.value
            if value is None or binding.kind in ("param", "with", "for"):
                continue
            self.binding_of.setdefault(id(_unawait(value)), binding)
        self.with_of = {id(_unawait(item.expr)): item for item in facts.with_items}
        self.site_of = {id(site.node): site for site in facts.calls}
        self.returned = {
            id(_unawait(r.value)): r for s in facts.scopes for r in s.returns if r.value
        }
        self.yielded = {id(_unawait(v)): v for s in facts.scopes for v in s.yields}
        # Calls and `with` items by the scope and the function they are in, in source
        # order: each resource looks only at its own function's.
        function_of: dict[Scope, Scope | None] = {}
        self.calls_in_scope: dict[Scope, list[CallSite]] = {}
        self.calls_in_function: dict[Scope | None, list[CallSite]] = {}
        for site in facts.calls:
            scope = site.scope
            if scope not in function_of:
                function_of[scope] = scope.function()
            self.calls_in_scope.setdefault(scope, []).append(site)
            self.calls_in_function.setdefault(function_of[scope], []).append(site)
        self.with_items_in_function: dict[Scope | None, list[WithItem]] = {}
        for item in facts.with_items:
            if item.scope not in function_of:
                function_of[item.scope] = item.scope.function()
            self.with_items_in_function.setdefault(function_of[item.scope], []).append(item)

    def _all_bindings(self) -> list[Binding]:
        facts = self.facts
        stores = [b for bs in facts.attribute_bindings.values() for b in bs]
        everything = [b for s in facts.scopes for bs in s.bindings.values() for b in bs]
        return everything + stores + facts.item_stores

    @cached_property
    def bindings_in(self) -> dict[Scope, list[Binding]]:
        """Every binding by the scope it is made in (for `_escapes` only)."""
        found: dict[Scope, list[Binding]] = {}
        for binding in self._all_bindings():
            found.setdefault(binding.scope, []).append(binding)
        return found

    @cached_property
    def descendants(self) -> dict[Scope, list[Scope]]:
        """Each scope with every scope nested in it, itself first (for `_escapes` only)."""
        found: dict[Scope, list[Scope]] = {}
        for scope in self.facts.scopes:
            ancestor: Scope | None = scope
            while ancestor is not None:
                found.setdefault(ancestor, []).append(scope)
                ancestor = ancestor.parent
        return found

    def run(self) -> list[Resource]:
        found = []
        # `db.get_conn()`: an imported module's function that opens what it returns.
        providers = {
            qual.rpartition(".")[2] for qual, export in self.facts.imported.items()
            if export.role == "provider" and export.fresh
        }  # fmt: skip
        for site in self.facts.calls:
            func = site.node.func
            if not _may_acquire(func) and not (
                isinstance(func, ast.Attribute) and func.attr in providers
            ):
                continue
            function = site.scope.function()
            if function is None:
                continue
            resource = self._acquisition(site, function)
            if resource is not None:
                found.append(resource)
        if found:
            self._index()
            for resource in found:
                self._follow(resource)
        return found

    # --- what is acquired ------------------------------------------------------------------

    def _acquisition(self, site: CallSite, function: Scope) -> Resource | None:
        call = site.node
        func = call.func
        pos = (call.lineno, call.col_offset)
        qual = self.resolver.qualname(func)
        if qual in FACTORIES:
            kind = FACTORIES[qual]
            if kind.role not in _TRACKED_ROLES or qual == "sqlalchemy.orm.scoped_session":
                return None
            if kind.role == "session" and not call.args and not call.keywords:
                return None  # `Session()` bound to nothing never holds a connection
            return Resource(site, kind, function, LIFECYCLE.get((kind.driver, kind.role)))
        if isinstance(func, ast.Attribute):
            owner = self.resolver.kind_of(func.value, site.scope, pos)
            if owner is None:
                return None
            kind = owner[0]
            checkout = POOL_CHECKOUTS.get((kind.driver, kind.role), {}).get(func.attr)
            if checkout is not None:
                connection = ObjectKind(kind.driver, "connection")
                return Resource(site, connection, function, None, checkout, func.value)
            if kind.role == "engine" and func.attr in ENGINE_CONNECTIONS:
                connection = ObjectKind(kind.driver, "connection")
                return Resource(
                    site, connection, function, LIFECYCLE.get((kind.driver, "connection"))
                )
            if kind.role == "sessionmaker" and func.attr == "begin":
                session = ObjectKind(kind.driver, "session")
                return Resource(site, session, function, LIFECYCLE.get((kind.driver, "session")))
            return None
        provided = self._provided(site, function, qual)
        if provided is not None:
            return provided
        if isinstance(func, ast.Name) and self.resolver.function(func.id) is None:
            maker = self.resolver.kind_of(func, site.scope, pos) or self._conventional(func, site)
            if maker is not None and maker[0].role == "sessionmaker":
                session = ObjectKind(maker[0].driver, "session")
                return Resource(
                    site, session, function, LIFECYCLE.get((maker[0].driver, "session"))
                )
        return None

    def _provided(self, site: CallSite, function: Scope, qual: str | None) -> Resource | None:
        """`conn = get_conn()`: a function of this module or another that returns a
        connection, cursor or session it opened (or borrowed from a pool) for the caller."""
        func = site.node.func
        resolved: tuple[ObjectKind, str] | None = None
        if isinstance(func, ast.Name) and (target := self.resolver.function(func.id)):
            if target is not site.scope.function():
                kind = self.resolver.provided_kind(target)
                fresh = self.resolver.acquires(target)
                if kind is not None and fresh:
                    resolved = (kind[0], fresh)
        elif qual is not None:
            export = self.facts.imported.get(qual)
            if export is not None and export.role == "provider" and export.fresh:
                resolved = (export.kind, export.fresh)
        if resolved is None or resolved[0].role not in _TRACKED_ROLES:
            return None
        kind, fresh = resolved
        if fresh.startswith("checkout:"):
            checkout = POOL_CHECKOUTS.get((kind.driver, "pool"), {}).get(fresh[len("checkout:") :])
            if checkout is None:
                return None
            return Resource(site, kind, function, None, checkout, provided=True)
        return Resource(site, kind, function, LIFECYCLE.get((kind.driver, kind.role)),
                        provided=True)  # fmt: skip

    def _conventional(self, func: ast.Name, site: CallSite):
        """`SessionLocal()` with `SessionLocal` imported from the app's own module."""
        kind = CONVENTIONAL_SESSION_FACTORIES.get(func.id)
        if kind is None:
            return None
        bindings = self.resolver.reaching(func.id, site.scope, (site.node.lineno, 0))
        if len(bindings) != 1 or bindings[0].kind != "import":
            return None
        qual = self.facts.imports.get(func.id, "")
        if not qual.startswith(".") and qual.partition(".")[0] in _LIBRARIES:
            return None
        if kind.driver == "sqlalchemy" and site.scope.is_async:
            return None  # a sync or an async sessionmaker: cannot tell which close applies
        return kind, "likely"

    # --- what becomes of it ----------------------------------------------------------------

    def _follow(self, resource: Resource) -> None:
        call = resource.node
        key = id(call)
        with_item = self.with_of.get(key)
        if with_item is not None:
            resource.with_item = with_item
            resource.name = with_item.name
            if self._context_releases(resource):
                resource.state = "released"
                resource.released = True
                self._uses(resource)  # a `return` inside the block still matters
                if resource.yields:
                    resource.state = "yielded"
                return
            if resource.checkout is None and (
                resource.lifecycle is None or resource.lifecycle.with_closes is None
            ):
                return  # unknown context manager
            if resource.name is None:
                resource.state = "with_does_not_close"
                return
            self._by_name(resource, default="with_does_not_close")
            return
        parent = self.arg_parent.get(key)
        if parent is not None:
            last = last_name(parent.node.func)
            if last in _CLOSING or last in _ENTER:
                resource.state = "released"
                resource.released = True
            else:
                resource.state = "handed_over"
            return
        if key in self.returned:
            resource.state = "handed_over"
            resource.returns.append(self.returned[key])
            return
        if key in self.yielded:
            resource.state = "yielded"
            resource.yields.append(self.yielded[key])
            return
        binding = self.binding_of.get(key)
        if binding is None:
            return  # a receiver (`connect().cursor()`), a comprehension...: not followed
        if binding.name == "[]" or _stores_outside(binding):
            resource.state = "handed_over"  # `self.conn = ...`, `conns[key] = ...`
            return
        if binding.kind != "assign" or binding.scope.function() is not resource.function:
            return
        if binding.name in binding.scope.globals:
            resource.state = "handed_over"  # `global pool; pool = ...`
            return
        resource.name = binding.name
        self._by_name(resource, default="not_closed")

    def _context_releases(self, resource: Resource) -> bool:
        if resource.checkout is not None:  # `with pool.connection()`, `async with pool.acquire()`
            return resource.checkout.with_releases
        return resource.lifecycle is not None and resource.lifecycle.with_closes is True

    def _by_name(self, resource: Resource, default: State) -> None:
        self._uses(resource)
        if resource.yields:
            resource.state = "yielded"
            resource.released = self._released_on_every_path(resource)
            return
        if resource.returns or self._escapes(resource):
            resource.state = "handed_over"
            return
        if self._released_on_every_path(resource):
            resource.state = "released"
            resource.released = True
        elif resource.releases:
            resource.state = "closed_on_success"
        else:
            resource.state = default

    def _uses(self, resource: Resource) -> None:
        """Record the release calls, returns and yields that name the resource."""
        name = resource.name
        if name is None:
            return
        function = resource.function
        for site in self.calls_in_function.get(function, ()):
            if _is_release(site.node, name, resource):
                resource.releases.append(site)
            elif _ends_transaction(site.node, name):
                resource.ends.append(site)
            elif _registers_close(site.node, name):
                resource.state = "released"  # `stack.callback(conn.close)`, atexit
        for ret in function.returns:
            value = ret.value
            if value is not None and _hands_out(value, name):
                if self._only_used_by(value, name):
                    continue  # `return fetch_rows(conn)`: the rows, not the connection
                resource.returns.append(ret)
        for value in function.yields:
            if _hands_out(value, name):
                resource.yields.append(value)

    def _escapes(self, resource: Resource) -> bool:
        """Stored, aliased, passed on or captured: another owner may close it."""
        name = resource.name
        function = resource.function
        if name in function.globals:
            return True
        inner = self.descendants.get(function, [function])
        for scope in inner:
            for binding in self.bindings_in.get(scope, ()):
                if binding.value is None or binding.kind in ("param", "for"):
                    continue
                if _mentions(binding.value, name) or (
                    scope is not function and _reads(binding.value, name)
                ):
                    return True
            if isinstance(scope.node, ast.Lambda) and _reads(scope.node.body, name):
                return True
        sites = [site for scope in inner for site in self.calls_in_scope.get(scope, ())]
        for site in sites:
            if site in resource.releases:
                continue
            call = site.node
            if site.scope is not function:  # an inner function or lambda uses it later
                if _reads(call, name):
                    return True
                continue
            values = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
            values += [k.value for k in call.keywords]
            if any(_mentions(v, name) for v in values) and self._passed_on(site, name):
                return True
        return False

    def _only_used_by(self, value: ast.expr, name: str) -> bool:
        """`return fetch_rows(conn, sql)`: what is returned is the call's result, and the
        program says the function only uses the connection it is given."""
        value = _unawait(value)
        if not isinstance(value, ast.Call) or _mentions(value.func, name):
            return False
        site = self.site_of.get(id(value))
        return site is not None and not self._passed_on(site, name)

    def _passed_on(self, site: CallSite, name: str) -> bool:
        """Whether a call the resource is passed to may keep it: unless the program says
        the function it calls only uses what it is given (`repo.find(conn, id)` running
        queries on `conn`), the new owner may close it."""
        view = self.facts.reverse
        if view is None:
            return True
        call = site.node
        reference = References.of(self.resolver).reference(call.func, site.scope, call)
        if reference is None:
            return True
        slots: list[int | str] = []
        for index, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                if _mentions(arg.value, name):
                    return True
            elif _mentions(arg, name):
                slots.append(index)
        for keyword in call.keywords:
            if _mentions(keyword.value, name):
                if keyword.arg is None:
                    return True
                slots.append(keyword.arg)
        return any(view.passes_on(reference, slot) for slot in slots)

    def _released_on_every_path(self, resource: Resource) -> bool:
        if resource.state == "released":
            return True
        in_finally = in_except = outside = False
        for site in resource.releases:
            kinds = [self.facts.blocks.get(b, (None, ""))[1] for b in site.block]
            owners = [type(self.facts.blocks.get(b, (None, ""))[0]) for b in site.block]
            if any(k == "finalbody" for k in kinds):
                in_finally = True
            elif any(o is ast.ExceptHandler for o in owners):
                in_except = True
            else:
                outside = True
        if in_finally or (in_except and outside) or self._closed_in_else(resource):
            return True
        # `with conn:` / `with closing(conn):` later in the function
        for item in self.with_items_in_function.get(resource.function, ()):
            expr = item.expr
            if isinstance(expr, ast.Call) and last_name(expr.func) in _CLOSING:
                expr = expr.args[0] if expr.args else expr
            if (
                isinstance(expr, ast.Name)
                and expr.id == resource.name
                and (item.expr is not expr or self._context_releases(resource))
            ):
                return True
        return False

    def _closed_in_else(self, resource: Resource) -> bool:
        """`try: conn = connect() except ...: bail  else: conn.close()`: the close is the
        first thing that runs once the connection exists, so no path skips it."""
        if not resource.site.block:
            return False
        try_node, field_name = self.facts.blocks.get(resource.site.block[-1], (None, ""))
        if not isinstance(try_node, ast.Try) or field_name != "body" or not try_node.orelse:
            return False
        acquired, first_else = try_node.body[-1], try_node.orelse[0]
        return _contains(acquired, resource.node) and any(
            _contains(first_else, site.node) and isinstance(first_else, ast.Expr)
            for site in resource.releases
        )


# --- helpers ------------------------------------------------------------------------------


def _contains(statement: ast.stmt, node: ast.AST) -> bool:
    start = (statement.lineno, statement.col_offset)
    end = (statement.end_lineno or 0, statement.end_col_offset or 0)
    return start <= (node.lineno, node.col_offset) and (  # type: ignore[attr-defined]
        (node.end_lineno or 0, node.end_col_offset or 0) <= end  # type: ignore[attr-defined]
    )


# Method names that can acquire something; other attribute calls are skipped cheaply.
_ACQUIRING_METHODS = (
    {m for methods in POOL_CHECKOUTS.values() for m in methods} | ENGINE_CONNECTIONS | {"begin"}
)
_FACTORY_TAILS = {q.rpartition(".")[2] for q in FACTORIES}


def _may_acquire(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr in _ACQUIRING_METHODS or func.attr in _FACTORY_TAILS
    return isinstance(func, ast.Name)


def _unawait(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Await) else expr


def _is_release(call: ast.Call, name: str, resource: Resource) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == name:
            return func.attr in ("close", "release", "aclose", "terminate", "dispose")
        if func.attr in ("putconn", "release") and call.args:
            first = call.args[0]
            return isinstance(first, ast.Name) and first.id == name
    if last_name(func) in _CLOSING and call.args:
        first = call.args[0]
        return isinstance(first, ast.Name) and first.id == name
    return False


def _ends_transaction(call: ast.Call, name: str) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("commit", "rollback")
        and isinstance(func.value, ast.Name)
        and func.value.id == name
    )


def _registers_close(call: ast.Call, name: str) -> bool:
    """`stack.callback(conn.close)`, `atexit.register(conn.close)`: closed for sure later."""
    for arg in call.args:
        if (
            isinstance(arg, ast.Attribute)
            and arg.attr in ("close", "aclose", "release")
            and isinstance(arg.value, ast.Name)
            and arg.value.id == name
        ):
            return True
    return False


def _parents(expr: ast.expr) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(expr):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents


def _mentions(expr: ast.expr, name: str | None) -> bool:
    """`name` itself appears in the expression (not only as `name.attr`)."""
    if name is None:
        return False
    parents = None
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id == name:
            parents = parents or _parents(expr)
            parent = parents.get(id(node))
            if isinstance(parent, ast.Attribute) and parent.value is node:
                continue
            return True
    return False


def _hands_out(value: ast.expr, name: str) -> bool:
    """A returned or yielded value that gives the caller the resource (or a cursor on it)."""
    value = _unawait(value)
    if _mentions(value, name):
        return True
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in _DERIVED
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == name
    )


def _stores_outside(binding: Binding) -> bool:
    """An assignment whose target is an attribute or item (`self.conn = ...`)."""
    node = binding.node
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return any(isinstance(t, ast.Attribute | ast.Subscript) for t in targets)


def _reads(expr: ast.AST, name: str | None) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(expr))

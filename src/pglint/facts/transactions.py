"""What each function sends through each connection or session, and what becomes permanent.

For every connection or session a function uses (acquired there, injected by a
dependency, taken as a parameter, or a module-level object), the facts pass records in
source order what goes through it — statements that write or read, commits, rollbacks —
the transaction blocks opened on it (`with conn.transaction()`, `with engine.begin()`,
psycopg's `with conn:`), and whether it runs in autocommit. Cursors are followed to the
connection they come from (`cur = conn.cursor()`, `cur.connection`).

Rules ask, for example: a write on a connection that is not in autocommit, outside any
committing block, with no commit in the function, that the function then closes
(PGL701); two dependent writes on an autocommit connection outside a block (PGL702); a
statement that cannot run in a transaction block, sent inside one (PGL705).

Public API (``facts.transactions``, built by ``find_transactions``):

- ``Handle``: one connection or session as one function sees it, with ``sent``,
  ``commits``, ``rollbacks``, ``blocks``, ``autocommit_at(pos)``;
- ``Sent``: one call through a handle, with the statements it runs and the transaction
  block around it;
- ``dependency_commits(facts, dependency)``: whether a dependency commits the session or
  connection it yields (None when this module cannot tell).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Literal

from pglint.drivers import (
    AUTOCOMMIT_KEYWORD,
    AUTOCOMMIT_LEVEL,
    AUTOCOMMIT_SETTERS,
    COMMITTING_ACQUISITIONS,
    COPY_WRITES,
    FACTORIES,
    SESSION_WRITES,
    SQLALCHEMY_WRITE_CONSTRUCTS,
    TABLE_WRITE_METHODS,
    TRANSACTIONS,
    ObjectKind,
    Transactions,
)
from pglint.facts.model import Binding, CallSite, DbCall, ModuleFacts, Pos, Scope, WithItem
from pglint.facts.resolve import Resolver
from pglint.facts.resources import Resource
from pglint.facts.roles import Dependency
from pglint.sql.lexer import HOLE
from pglint.sql.statements import Statement, statements

Origin = Literal["acquired", "dependency", "parameter", "module", "other"]

# Calls whose result is the same connection, or a cursor on it: followed to the handle.
_DERIVED = frozenset({"cursor", "execute", "execution_options", "connection"})
_CONTROL_METHODS = frozenset({"commit", "rollback"})
_MAX_DEPTH = 6


@dataclass(eq=False)
class TxBlock:
    """A transaction block on a handle: a `with` item that commits when it ends."""

    item: WithItem
    body: int  # the block id of the `with` body
    # True for `conn.transaction()` / `session.begin()`, always a transaction; False for a
    # `with` that commits what is pending when it ends (`with conn:`, `engine.begin()`,
    # `pool.connection()`), which on an autocommit connection holds no transaction.
    explicit: bool = True

    @property
    def node(self) -> ast.With | ast.AsyncWith:
        return self.item.node


@dataclass(eq=False)
class Sent:
    """One call through a handle."""

    site: CallSite
    method: str
    call: DbCall | None  # the SQL call, when it sends SQL text or a statement object
    statements: tuple[Statement, ...] = ()
    writes: bool = False
    tables: tuple[str, ...] = ()  # tables written, when known ("?" where not)
    control: str | None = None  # "commit", "rollback" or "begin"
    block: TxBlock | None = None  # the innermost transaction block of the handle around it
    result: str | None = None  # the name its result is bound to (`order_id = await ...`)

    @property
    def node(self) -> ast.Call:
        return self.site.node

    @property
    def pos(self) -> Pos:
        return (self.site.node.lineno, self.site.node.col_offset)


@dataclass(eq=False)
class Handle:
    """A connection or session as one function (or the module) sees it."""

    scope: Scope  # the function (or module) the name is bound in
    name: str | None
    kind: ObjectKind  # the connection or session (a cursor's connection when followed)
    model: Transactions
    origin: Origin
    resource: Resource | None = None
    dependency: Dependency | None = None
    bindings: list[Binding] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    blocks: list[TxBlock] = field(default_factory=list)
    # The `with` that acquired it is itself one transaction (`engine.begin()`,
    # `with psycopg.connect() as conn`, psycopg_pool's `pool.connection()`).
    committed_by_with: bool = False
    # A transaction begun without a `with` (`conn.begin()`, `tr.start()`, `BEGIN`).
    begun: bool = False
    # Positions where autocommit is switched on (True) or off (False), or where it
    # becomes unknown (None: a pool made elsewhere may hand out autocommit connections).
    autocommit_changes: list[tuple[Pos, bool | None]] = field(default_factory=list)
    # Passed to another function, stored, aliased, returned or used by an inner
    # function: someone this module does not show may commit it.
    escapes: bool = False
    # The function whose calls these are (for a module-level object, the one using it).
    function: Scope | None = None

    @property
    def writes(self) -> list[Sent]:
        return [s for s in self.sent if s.writes]

    @property
    def commits(self) -> list[Sent]:
        return [s for s in self.sent if s.control == "commit"]

    @property
    def rollbacks(self) -> list[Sent]:
        return [s for s in self.sent if s.control == "rollback"]

    def autocommit_at(self, pos: Pos) -> bool | None:
        """Whether a statement at ``pos`` runs in autocommit: True, False, or None when
        the code does not show it (a connection made elsewhere)."""
        state: bool | None = None if self.model.implicit else True
        if self.origin == "acquired" and self.model.implicit:
            state = False
        for at, value in sorted(self.autocommit_changes, key=lambda change: change[0]):
            if at <= pos:
                state = value
        return state


def find_transactions(facts: ModuleFacts) -> list[Handle]:
    return _Finder(facts).run()


class _Finder:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.resolver = Resolver.of(facts)
        self.handles: dict[tuple, Handle] = {}
        self.db_calls = {id(c.node): c for c in facts.db_calls}
        self.with_blocks: dict[int, list[WithItem]] = {}  # id(with node) -> its items
        self.body_of: dict[int, int] = {}  # id(with node) -> block id of its body
        for block_id, (node, name) in facts.blocks.items():
            if name == "body" and isinstance(node, ast.With | ast.AsyncWith):
                self.body_of[id(node)] = block_id
        self.results: dict[int, str] = {}  # id(call) -> the name its result is bound to
        self.resources = {
            (id(r.function), r.name): r for r in facts.resources if r.name is not None
        }
        self.acquired = {id(r.node): r for r in facts.resources}

    def run(self) -> list[Handle]:
        facts = self.facts
        if not facts.db_calls and not facts.resources and not facts.driver_calls:
            return []
        for scope in facts.scopes:
            for bindings in scope.bindings.values():
                for binding in bindings:
                    value = binding.value
                    if binding.kind == "assign" and value is not None:
                        inner = value.value if isinstance(value, ast.Await) else value
                        self.results.setdefault(id(inner), binding.name)
        for site in facts.calls:
            func = site.node.func
            if id(site.node) in self.db_calls:
                self._sent(site, self.db_calls[id(site.node)])
            elif isinstance(func, ast.Attribute) and func.attr in _INTERESTING:
                self._sent(site, None)
        for item in facts.with_items:
            self._with_item(item)
        for handle in list(self.handles.values()):
            self._autocommit(handle)
            self._escape(handle)
        for handle in self.handles.values():
            for sent in handle.sent:
                sent.block = self._block_around(handle, sent.site)
            handle.sent.sort(key=lambda s: s.pos)
        return list(self.handles.values())

    # --- which handle a call goes through ---------------------------------------------------

    def _handle(
        self, expr: ast.expr, scope: Scope, pos: Pos, depth: int = 0, user: Scope | None = None
    ) -> Handle | None:
        """The handle ``expr`` goes through; ``user`` is the function the call is in (kept
        while a cursor is followed to a connection bound elsewhere)."""
        if depth > _MAX_DEPTH:
            return None
        user = user or scope.function() or scope
        if isinstance(expr, ast.Await):
            expr = expr.value
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in _DERIVED:
                return self._handle(func.value, scope, pos, depth + 1, user)
            return None
        if isinstance(expr, ast.Attribute):
            if expr.attr == "connection":  # `cur.connection`
                return self._handle(expr.value, scope, pos, depth + 1, user)
            return None
        if not isinstance(expr, ast.Name):
            return None
        bindings = self.resolver.reaching(expr.id, scope, pos)
        if len(bindings) == 1 and bindings[0].kind in ("assign", "with"):
            value = bindings[0].value
            inner = value.value if isinstance(value, ast.Await) else value
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr in _DERIVED
                and id(inner) not in self.acquired  # `session.connection()` is one
            ):
                # Looked up where it is written: the items of one `with` share the
                # statement's position, and `conn` of `with connect() as conn,
                # conn.cursor() as cur` is bound after it.
                source = inner.func.value
                at = (source.lineno, source.col_offset) if hasattr(source, "lineno") else None
                return self._handle(source, bindings[0].scope, at or bindings[0].pos,
                                    depth + 1, user)  # fmt: skip
        owner = bindings[0].scope if bindings else scope
        module_level = self.facts.module.bindings.get(expr.id, ())
        if bindings and all(any(b is m for m in module_level) for b in bindings):
            owner = self.facts.module  # `global conn` in a startup function included
        elif any(b.scope is not owner for b in bindings):
            return None
        # A module-level object is one handle per function that uses it: what one
        # function sends through it is that function's business.
        # One binding reaching the use names one object; several (`conn` reassigned)
        # are taken together under the name.
        if len(bindings) == 1:
            key: tuple = ("binding", id(bindings[0]), id(user))
            value = bindings[0].value
            resource = self.acquired.get(id(_unawait(value))) if value is not None else None
        else:
            key = ("name", id(owner), expr.id, id(user))
            resource = self.resources.get((id(owner), expr.id))
        known = self.handles.get(key)
        if known is not None:
            return known
        if resource is not None:  # `SessionLocal()` the tracker knows by convention
            resolved: tuple[ObjectKind, str] | None = (resource.kind, "likely")
        else:
            resolved = self.resolver.kind_of(expr, scope, pos)
        if resolved is None:
            return None
        kind = _transactional(resolved[0])
        model = TRANSACTIONS.get((kind.driver, kind.role)) if kind else None
        if kind is None or model is None:
            return None
        handle = Handle(owner, expr.id, kind, model, "other", bindings=list(bindings))
        handle.function = user
        self._origin(handle, resource)
        self.handles[key] = handle
        return handle

    def _origin(self, handle: Handle, resource: Resource | None) -> None:
        scope = handle.scope
        if scope.kind == "module":
            handle.origin = "module"
            return
        if resource is not None and resource.function is scope:
            handle.origin = "acquired"
            handle.resource = resource
            return
        if handle.bindings and all(b.kind == "param" for b in handle.bindings):
            roles = self.facts.roles
            info = roles.of(scope) if roles is not None else None
            for dependency in info.dependencies if info is not None else ():
                if dependency.param == handle.name:
                    handle.origin = "dependency"
                    handle.dependency = dependency
                    return
            handle.origin = "parameter"

    # --- what goes through it -----------------------------------------------------------------

    def _sent(self, site: CallSite, call: DbCall | None) -> None:
        func = site.node.func
        if not isinstance(func, ast.Attribute):
            return
        pos = (site.node.lineno, site.node.col_offset)
        handle = self._handle(func.value, site.scope, pos)
        if handle is None:
            return
        method = func.attr
        sent = Sent(site, method, call, result=self.results.get(id(site.node)))
        if method in _CONTROL_METHODS and call is None:
            sent.control = method
        elif method in handle.model.blocks:
            if id(site.node) not in self._with_exprs():
                handle.begun = True  # `trans = conn.begin()`, `tr = conn.transaction()`
            return
        elif method in AUTOCOMMIT_SETTERS:
            value = _autocommit_setting(site.node)
            if value is not None:
                handle.autocommit_changes.append((pos, value))
            return
        elif method == "execution_options" and call is None:
            if _isolation_autocommit(site.node):
                handle.autocommit_changes.append((pos, True))
            return
        elif call is not None:
            self._statements(sent, call)
        else:
            self._other_write(sent, handle)
        if sent.control == "begin":
            handle.begun = True
        handle.sent.append(sent)

    def _statements(self, sent: Sent, call: DbCall) -> None:
        if any(variant.has_constant_text for variant in call.sql):
            # Interpolated pieces are unknown words: an unknown verb or table stays unknown.
            pieces = call.sql[0].pieces
            found = statements("".join(p.text if p.text is not None else HOLE for p in pieces))
            sent.statements = found
            sent.writes = any(s.writes for s in found)
            sent.tables = tuple(t for s in found for t in s.tables)
            controls = [s.control for s in found if s.control]
            sent.control = controls[-1] if controls else None
        elif call.sql_node is not None and self._write_construct(call.sql_node, call.site):
            sent.writes = True
            sent.tables = ("?",)

    def _write_construct(self, node: ast.expr, site: CallSite) -> bool:
        """`insert(users).values(...)`, `users.update().where(...)`, directly or through
        one local name."""
        pos = (site.node.lineno, site.node.col_offset)
        if isinstance(node, ast.Name):
            bindings = self.resolver.reaching(node.id, site.scope, pos)
            if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].value is None:
                return False
            node = bindings[0].value
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in TABLE_WRITE_METHODS and not node.args:
                return True
            node = node.func.value
        return (
            isinstance(node, ast.Call)
            and self.resolver.qualname(node.func) in SQLALCHEMY_WRITE_CONSTRUCTS
        )

    def _other_write(self, sent: Sent, handle: Handle) -> None:
        kind = handle.kind
        if kind.role == "session" and sent.method in SESSION_WRITES:
            sent.writes = True
            sent.tables = ("?",)
            return
        receiver = sent.node.func.value  # type: ignore[attr-defined]
        pos = sent.pos
        resolved = self.resolver.kind_of(receiver, sent.site.scope, pos)
        receiver_kind = resolved[0] if resolved else kind
        index = COPY_WRITES.get((receiver_kind.driver, receiver_kind.role), {}).get(sent.method)
        if index is not None:
            sent.writes = True
            args = sent.node.args
            table = args[index] if len(args) > index else None
            name = table.value if isinstance(table, ast.Constant) else None
            sent.tables = (name.lower() if isinstance(name, str) else "?",)

    # --- transaction blocks and autocommit ----------------------------------------------------

    def _with_exprs(self) -> set[int]:
        known = self.__dict__.get("_with_expr_ids")
        if known is None:
            known = self.__dict__["_with_expr_ids"] = {
                id(_unawait(item.expr)) for item in self.facts.with_items
            }
        return known

    def _with_item(self, item: WithItem) -> None:
        expr = _unawait(item.expr)
        body = self.body_of.get(id(item.node))
        if body is None:
            return
        pos = (expr.lineno, expr.col_offset)
        resource = self.acquired.get(id(expr))
        if resource is not None:
            if item.name is not None and self._commits_at_exit(resource, item.scope):
                self._acquired_handle(item, resource, body)
            return
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            handle = self._handle(expr.func.value, item.scope, pos)
            if handle is not None and expr.func.attr in handle.model.blocks:
                handle.blocks.append(TxBlock(item, body))  # `with conn.transaction():`
        elif isinstance(expr, ast.Name):  # `with conn:`
            handle = self._handle(expr, item.scope, pos)
            if handle is not None and handle.model.with_commits:
                # psycopg2 (2.9+) opens a transaction here even in autocommit mode.
                explicit = handle.kind.driver == "psycopg2"
                handle.blocks.append(TxBlock(item, body, explicit))

    def _commits_at_exit(self, resource: Resource, scope: Scope) -> bool:
        """The `with` that acquires it commits when it ends: `engine.begin()`,
        `sessionmaker.begin()`, psycopg_pool's `pool.connection()`, and connections whose
        own `with` commits (`with psycopg.connect() as conn`)."""
        call = resource.node
        func = call.func
        if isinstance(func, ast.Attribute):
            pos = (call.lineno, call.col_offset)
            owner = self.resolver.kind_of(func.value, scope, pos)
            if owner is not None:
                key = (owner[0].driver, owner[0].role)
                return func.attr in COMMITTING_ACQUISITIONS.get(key, frozenset())
        model = TRANSACTIONS.get((resource.kind.driver, resource.kind.role))
        return model is not None and model.with_commits

    def _acquired_handle(self, item: WithItem, resource: Resource, body: int) -> None:
        scope = item.scope
        name = item.name
        assert name is not None
        pos = (item.node.lineno, item.node.col_offset + 1)
        handle = self._handle(ast.Name(id=name), scope, (pos[0] + 1, 0))
        if handle is None:
            model = TRANSACTIONS.get((resource.kind.driver, resource.kind.role))
            if model is None:
                return
            handle = Handle(scope, name, resource.kind, model, "acquired", resource)
            handle.function = scope
            self.handles[("resource", id(resource))] = handle
        handle.committed_by_with = True
        handle.blocks.append(TxBlock(item, body, explicit=False))

    def _autocommit(self, handle: Handle) -> None:
        """Autocommit switched on by the factory, the pool or an assignment."""
        facts = self.facts
        if handle.model.autocommit_attribute:
            for binding in facts.attribute_bindings.get("autocommit", ()):
                node = binding.node
                targets = node.targets if isinstance(node, ast.Assign) else []
                for target in targets:
                    if not (isinstance(target, ast.Attribute) and target.attr == "autocommit"):
                        continue
                    owner = target.value
                    value = binding.value
                    if not isinstance(value, ast.Constant) or not isinstance(value.value, bool):
                        continue
                    found = self._handle(owner, binding.scope, binding.pos)
                    if found is handle:
                        handle.autocommit_changes.append((binding.pos, value.value))
        if handle.origin == "module" and handle.model.implicit:
            self._module_autocommit(handle)
        resource = handle.resource
        if resource is None or not handle.model.implicit:
            return  # asyncpg and aiopg: autocommit outside a block, whatever the pool
        start = (0, 0)
        call = resource.node
        if _keyword_true(call, AUTOCOMMIT_KEYWORD) or _isolation_autocommit(call):
            handle.autocommit_changes.append((start, True))
            return
        source = call.func.value if isinstance(call.func, ast.Attribute) else None
        if source is None:
            return
        found = self._autocommit_source(source, resource.site.scope, 0)
        # A psycopg_pool pool built elsewhere may hand out autocommit connections; an
        # engine built elsewhere is taken as the default, which does not autocommit.
        if found or (found is None and resource.checkout is not None):
            handle.autocommit_changes.append((start, found))

    def _module_autocommit(self, handle: Handle) -> None:
        """A module-level connection made by a factory in this module starts out of
        autocommit unless the factory or an assignment anywhere in the module (a startup
        function, say) switches it: the order of the functions is not known."""
        calls = [
            _unawait(b.value)
            for b in handle.bindings
            if b.kind == "assign" and b.value is not None and not _is_none(b.value)
        ]
        if not calls or not all(
            isinstance(c, ast.Call) and self.resolver.qualname(c.func) in FACTORIES for c in calls
        ):
            return
        made = {_keyword_true(c, AUTOCOMMIT_KEYWORD) for c in calls}  # type: ignore[arg-type]
        start: bool | None = made.pop() if len(made) == 1 else None
        later: set[bool | None] = set()  # set in functions, which run in an unknown order
        for binding in sorted(self.facts.attribute_bindings.get("autocommit", ()),
                              key=lambda b: b.pos):  # fmt: skip
            node = binding.node
            for target in node.targets if isinstance(node, ast.Assign) else []:
                owner = target.value if isinstance(target, ast.Attribute) else None
                if not isinstance(owner, ast.Name) or owner.id != handle.name:
                    continue
                reaching = self.resolver.reaching(owner.id, binding.scope, binding.pos)
                if reaching and all(b.scope is handle.scope for b in reaching):
                    value = binding.value
                    known = value.value if isinstance(value, ast.Constant) else None
                    if binding.scope is handle.scope:
                        start = known  # at import, before any function runs
                    else:
                        later.add(known)  # type: ignore[arg-type]
        state = start if not later or later == {start} else None
        handle.autocommit_changes.append(((0, 0), state))

    def _autocommit_source(self, expr: ast.expr, scope: Scope, depth: int) -> bool | None:
        """Whether the engine or pool a connection comes from is set up for autocommit:
        `create_engine(..., isolation_level="AUTOCOMMIT")`,
        `engine.execution_options(isolation_level="AUTOCOMMIT")`,
        `ConnectionPool(..., kwargs={"autocommit": True})`; None when the code that
        made it is not in this module."""
        if depth > _MAX_DEPTH:
            return None
        expr = _unawait(expr)
        if isinstance(expr, ast.Call):
            if _isolation_autocommit(expr) or _pool_kwargs_autocommit(expr):
                return True
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr == "execution_options":
                return self._autocommit_source(func.value, scope, depth + 1)
            return False if self.resolver.qualname(func) in FACTORIES else None
        if isinstance(expr, ast.Name):
            pos = (expr.lineno, expr.col_offset)
            bindings = self.resolver.reaching(expr.id, scope, pos)
            # `pool = None` until startup sets it: the placeholder says nothing.
            bindings = [b for b in bindings if not _is_none(b.value)]
            values = [b for b in bindings if b.kind in ("assign", "with") and b.value is not None]
            if not values or len(values) != len(bindings):
                return None
            answers = {self._autocommit_source(b.value, b.scope, depth + 1) for b in values}  # type: ignore[arg-type]
            return True if True in answers else (None if None in answers else False)
        return None

    def _escape(self, handle: Handle) -> None:
        resource = handle.resource
        if resource is not None:
            handle.escapes = resource.state in ("handed_over", "yielded", "unknown")
            return
        name = handle.name
        scope = handle.scope
        if name is None or scope.kind != "function":
            handle.escapes = True
            return
        facts = self.facts
        inner = {id(s) for s in facts.scopes if _within(s, scope)}
        for site in facts.calls:
            if id(site.scope) not in inner:
                continue
            call = site.node
            if site.scope is not scope and _reads(call, name):
                handle.escapes = True  # an inner function or lambda uses it
                return
            values = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
            if any(_mentions(v, name) for v in [*values, *(k.value for k in call.keywords)]):
                handle.escapes = True
                return
        values = [r.value for r in scope.returns if r.value is not None] + scope.yields
        stores = [b for bs in facts.attribute_bindings.values() for b in bs] + facts.item_stores
        for bindings in scope.bindings.values():
            stores += [b for b in bindings if b.kind not in ("param", "for")]
        values += [b.value for b in stores if b.value is not None and id(b.scope) in inner]
        handle.escapes = any(_mentions(v, name) for v in values)

    def _block_around(self, handle: Handle, site: CallSite) -> TxBlock | None:
        if not handle.blocks:
            return None
        inside = set(site.block)
        autocommit = handle.autocommit_at((site.node.lineno, site.node.col_offset))
        found = None
        for block in handle.blocks:
            if not block.explicit and autocommit is True:
                continue  # commits what is pending at its end: nothing, in autocommit
            if block.body in inside and (
                found is None or site.block.index(block.body) > site.block.index(found.body)
            ):
                found = block
        return found


# Method names that matter without sending SQL: control, blocks, autocommit, ORM writes.
_INTERESTING = (
    _CONTROL_METHODS
    | {"begin", "begin_nested", "transaction", "execution_options"}
    | AUTOCOMMIT_SETTERS
    | SESSION_WRITES
    | {m for methods in COPY_WRITES.values() for m in methods}
)


def _within(scope: Scope, outer: Scope) -> bool:
    current: Scope | None = scope
    while current is not None:
        if current is outer:
            return True
        current = current.parent
    return False


def _reads(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _mentions(expr: ast.expr, name: str) -> bool:
    """``name`` itself appears in the expression, not only as `name.attr` (a method call
    on the handle is not a hand-over)."""
    receivers = {id(n.value) for n in ast.walk(expr) if isinstance(n, ast.Attribute)}
    return any(
        isinstance(n, ast.Name) and n.id == name and id(n) not in receivers for n in ast.walk(expr)
    )


def _transactional(kind: ObjectKind) -> ObjectKind | None:
    """The connection a cursor belongs to; connections, sessions and asyncpg pools as
    they are."""
    if kind.role == "cursor":
        return ObjectKind(kind.driver, "connection")
    if (kind.driver, kind.role) in TRANSACTIONS:
        return kind
    return None


def _is_none(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _unawait(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Await) else expr


def _keyword_true(call: ast.Call, name: str) -> bool:
    return any(
        k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )


def _isolation_autocommit(call: ast.Call) -> bool:
    """`isolation_level="AUTOCOMMIT"`, directly or in `execution_options={...}`."""
    for keyword in call.keywords:
        value = keyword.value
        if (
            keyword.arg == "isolation_level"
            and isinstance(value, ast.Constant)
            and value.value == AUTOCOMMIT_LEVEL
        ):
            return True
        if keyword.arg == "execution_options" and isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "isolation_level"
                    and isinstance(item, ast.Constant)
                    and item.value == AUTOCOMMIT_LEVEL
                ):
                    return True
    return False


def _pool_kwargs_autocommit(call: ast.Call) -> bool:
    """psycopg_pool's `ConnectionPool(..., kwargs={"autocommit": True})`."""
    for keyword in call.keywords:
        if keyword.arg == "kwargs" and isinstance(keyword.value, ast.Dict):
            for key, item in zip(keyword.value.keys, keyword.value.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == AUTOCOMMIT_KEYWORD
                    and isinstance(item, ast.Constant)
                    and item.value is True
                ):
                    return True
    return False


def _autocommit_setting(call: ast.Call) -> bool | None:
    """What `set_autocommit(True)`, `set_session(autocommit=True)` or
    `set_isolation_level(ISOLATION_LEVEL_AUTOCOMMIT)` sets; None when not plain."""
    func = call.func
    method = func.attr if isinstance(func, ast.Attribute) else ""
    if method == "set_session":
        for keyword in call.keywords:
            if keyword.arg == AUTOCOMMIT_KEYWORD and isinstance(keyword.value, ast.Constant):
                return bool(keyword.value.value)
        return None
    if not call.args:
        return None
    arg = call.args[0]
    if method == "set_autocommit":
        return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, bool) else None
    if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
        return arg.value == 0
    name = arg.attr if isinstance(arg, ast.Attribute) else getattr(arg, "id", "")
    if name == "ISOLATION_LEVEL_AUTOCOMMIT":
        return True
    return False if name.startswith("ISOLATION_LEVEL_") else None


# --- dependencies -----------------------------------------------------------------------------


def dependency_commits(facts: ModuleFacts, dependency: Dependency) -> bool | None:
    """Whether the dependency commits the session or connection it yields once the
    handler is done (seed-style `get_db` that commits after `yield`, or yields inside
    `with SessionLocal.begin()` / `async with conn.transaction()`): True or False, or
    None when it cannot be told (not a generator, or a dependency another module defines
    and whose summary does not say)."""
    if dependency.function is not None:
        return commits_what_it_yields(facts, dependency.function)
    target = dependency.target
    if target is None:
        return None
    export = facts.imported.get(Resolver.of(facts).qualname(target) or "")
    return export.commits if export is not None and export.role == "provider" else None


_COMMITTING_METHODS = frozenset({"commit", "begin", "begin_nested", "transaction"})


def commits_what_it_yields(facts: ModuleFacts, function: Scope) -> bool | None:
    """For a generator that yields one named session or connection: True when it commits
    it (`db.commit()` after the `yield`, `db.begin()`) or yields it inside a block that
    commits (`with SessionLocal.begin() as db`, `async with conn.transaction()`), False
    when it does neither. Read from the calls and `with` items alone, so that a module's
    summary can carry it to the modules that import the dependency."""
    if not function.is_generator or len(function.yields) != 1:
        return None
    yielded = _unawait(function.yields[0])
    if not isinstance(yielded, ast.Name):
        return None
    name = yielded.id
    for site in facts.calls:
        func = site.node.func
        if (
            site.scope is function
            and isinstance(func, ast.Attribute)
            and func.attr in _COMMITTING_METHODS
            and isinstance(func.value, ast.Name)
            and func.value.id == name
        ):
            return True
    around = _yield_block(facts, function, yielded)
    for item in facts.with_items:
        expr = _unawait(item.expr)
        if item.scope is not function or not isinstance(expr, ast.Call):
            continue
        func = expr.func
        if not isinstance(func, ast.Attribute) or func.attr not in _COMMITTING_METHODS:
            continue
        opens_it = item.name == name or (isinstance(func.value, ast.Name) and func.value.id == name)
        if opens_it and any(_body_of(facts, item.node) == block for block in around):
            return True
    return False


def _body_of(facts: ModuleFacts, node: ast.AST) -> int | None:
    for block_id, (owner, name) in facts.blocks.items():
        if owner is node and name == "body":
            return block_id
    return None


def _yield_block(facts: ModuleFacts, function: Scope, value: ast.expr) -> set[int]:
    """The block ids around a `yield` of ``value``, from the `with` statements whose
    body holds it."""
    around: set[int] = set()
    for block_id, (node, name) in facts.blocks.items():
        if name != "body" or not isinstance(node, ast.With | ast.AsyncWith):
            continue
        first, last = node.body[0], node.body[-1]
        start = (first.lineno, first.col_offset)
        end = (last.end_lineno or 0, last.end_col_offset or 0)
        if start <= (value.lineno, value.col_offset) <= end:
            around.add(block_id)
    return around

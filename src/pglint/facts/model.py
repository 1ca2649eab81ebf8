"""Plain data the facts pass produces and rules read."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pglint.drivers import Driver, ObjectKind, SqlMethod
from pglint.source import SourceText

if TYPE_CHECKING:
    from pglint.facts.concurrency import SharedUse
    from pglint.facts.resources import Resource
    from pglint.facts.roles import Roles
    from pglint.facts.transactions import Handle
    from pglint.program.entries import ModuleEntry
    from pglint.program.view import ReverseView

Pos = tuple[int, int]
Block = tuple[int, ...]  # ids of the enclosing statement bodies, outermost first

BindingKind = Literal[
    "assign", "aug", "param", "with", "for", "import", "def", "append", "unpack", "global",
]  # fmt: skip


@dataclass(eq=False)
class Binding:
    """One place a name gets a value."""

    name: str
    kind: BindingKind
    value: ast.expr | None
    pos: Pos
    block: Block
    scope: Scope
    annotation: ast.expr | None = None
    is_async: bool = False  # `async with`
    op: ast.operator | None = None  # for augmented assignment
    node: ast.AST | None = None


@dataclass(eq=False)
class Scope:
    """A module, class or function body and the names bound in it."""

    node: ast.AST
    kind: Literal["module", "class", "function"]
    name: str
    parent: Scope | None
    is_async: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    # For a class: `self.<attr>` assignments made in its methods.
    self_bindings: dict[str, list[Binding]] = field(default_factory=dict)
    returns: list[ast.Return] = field(default_factory=list)
    yields: list[ast.expr] = field(default_factory=list)
    is_generator: bool = False  # has a `yield` (with or without a value)

    @property
    def qualname(self) -> str:
        """`Repo.insert` for a method, `outer.inner` for a nested function."""
        parts = []
        current: Scope | None = self
        while current is not None and current.kind != "module":
            parts.append(current.name)
            current = current.parent
        return ".".join(reversed(parts))

    @property
    def enclosing_class(self) -> Scope | None:
        """The class a method belongs to."""
        if self.kind == "function" and self.parent is not None and self.parent.kind == "class":
            return self.parent
        return None

    def function(self) -> Scope | None:
        scope: Scope | None = self
        while scope is not None and scope.kind != "function":
            scope = scope.parent
        return scope

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)


@dataclass(eq=False)
class CallSite:
    """A call the facts pass kept because it may matter to a rule."""

    node: ast.Call
    scope: Scope
    block: Block
    awaited: bool = False
    discarded: bool = False  # the call is a whole expression statement


@dataclass(frozen=True)
class Piece:
    """A run of SQL text, or an interpolated Python expression in it."""

    text: str | None  # constant text; None for an interpolation
    # The interpolated expression; with ``text`` set, a constant whose value is known.
    expr: ast.expr | None = None
    safe: bool = True  # the interpolation cannot carry outside input
    hint: str | None = None  # stand-in text for a safe interpolation (its value if known)
    # The text is not the value as `{expr}` renders it: a format spec or conversion
    # (`{x:.2f}`, `%d`, `{!r}`), a field of it (`{0.name}`), or `sep.join(expr)`.
    formatted: bool = False
    # The quote the text has doubled (`x.replace("'", "''")`): inside a literal or a name
    # of that quote, it cannot end it.
    doubled: str | None = None
    origin: ast.Constant | None = None  # the plain string literal this text comes from
    origin_offset: int = 0  # where ``text`` starts inside ``origin.value``


@dataclass
class SqlText:
    """One way the SQL argument of a call can be built."""

    pieces: list[Piece]
    exact: bool  # every character is known: safe to count placeholders

    @property
    def has_constant_text(self) -> bool:
        return any(p.text for p in self.pieces)


ParamsShape = Literal["absent", "none", "tuple", "list", "dict", "scalar", "unknown"]


@dataclass
class Params:
    """The parameters passed with one SQL call, as far as the code shows them."""

    shape: ParamsShape
    node: ast.expr | None = None  # the expression passed (or a display it was assigned)
    arg_node: ast.expr | None = None  # the argument as written in the call
    elements: list[ast.expr] | None = None  # tuple/list display items, varargs
    keys: frozenset[str] | None = None  # dict display keys (None when not all known)
    starred: bool = False  # `*args` / `**kw` make the count unknown
    parenthesized: bool = False  # `(x)` — parentheses around a non-tuple
    extra_positional: list[ast.expr] = field(default_factory=list)  # DB-API `execute(q, a, b)`


@dataclass(eq=False)
class DbCall:
    """A call that sends SQL text to a database (or builds it, like ``text()``)."""

    site: CallSite
    name: str  # method or function name as written
    spec: SqlMethod
    kind: ObjectKind | None  # the receiver's resolved kind
    driver: Driver | None  # whose placeholder rules apply; None when unknown
    confidence: Literal["certain", "likely", "unknown"]
    sql_node: ast.expr | None
    sql: list[SqlText]  # variants of the SQL text; empty when not a string
    params: Params
    text_call: ast.Call | None = None  # SQLAlchemy text() that carries the SQL
    # The call is known to take SQL text (a function of the drivers table, `text()`, or a
    # method of a receiver whose driver is known), so its text is SQL whatever it looks
    # like; a generic method (`.execute`) of an unknown receiver is not.
    sink: bool = False

    @property
    def node(self) -> ast.Call:
        return self.site.node

    @property
    def resolved(self) -> bool:
        return self.driver is not None and self.confidence != "unknown"


ExportRole = Literal["object", "provider", "annotation"]


@dataclass(frozen=True)
class Export:
    """A name a module offers to others, and the driver object behind it."""

    name: str
    # "object": the name is the object itself (an engine, a pool, a sessionmaker);
    # "provider": a function that returns or yields one (a FastAPI dependency);
    # "annotation": a type alias for one (`SessionDep = Annotated[Session, Depends(...)]`).
    role: ExportRole
    kind: ObjectKind
    confidence: Literal["certain", "likely"]
    yields: bool = False  # a provider that yields (a generator dependency)
    # A provider that opens what it returns ("open"), or borrows it from a pool
    # ("checkout:<method>"): its caller must close it or give it back
    # (``Resolver.acquires``).
    fresh: str = ""
    # A generator provider that commits what it yields once the handler is done (True),
    # that does not (False); None: not a generator, or not known
    # (``facts.transactions.commits_what_it_yields``).
    commits: bool | None = None


# Imported qualified name as this module spells it (`.database.get_db`, `app.db.engine`)
# -> what the imported module says it is.
ImportedNames = dict[str, Export]


@dataclass(eq=False)
class DriverCall:
    """A call that talks to the database through a driver object: a method from the
    drivers table's ``IO_METHODS`` on a resolved receiver, or a factory that connects."""

    site: CallSite
    method: str  # the method name, or the factory's qualified name
    kind: ObjectKind  # the receiver's kind, or what the factory makes
    confidence: Literal["certain", "likely"]
    receiver: ast.expr | None  # None for a factory call

    @property
    def node(self) -> ast.Call:
        return self.site.node


@dataclass(eq=False)
class WithItem:
    """One item of a `with` / `async with` statement, with or without `as`."""

    expr: ast.expr  # the context expression
    name: str | None  # the `as` name, when it is a plain name
    is_async: bool
    node: ast.With | ast.AsyncWith
    scope: Scope
    block: Block


@dataclass
class ModuleFacts:
    tree: ast.Module
    source: SourceText
    filename: str
    module: Scope
    imports: dict[str, str]  # local name -> qualified name
    scopes: list[Scope]
    calls: list[CallSite]
    attribute_bindings: dict[str, list[Binding]]  # `<anything>.attr = value`
    db_calls: list[DbCall] = field(default_factory=list)
    driver_calls: list[DriverCall] = field(default_factory=list)
    # What the modules this one imports provide (see pglint.project); empty when the
    # file is linted alone.
    imported: ImportedNames = field(default_factory=dict)
    # Statement bodies by block id: the statement that owns the body and the field it
    # fills ("body", "orelse", "finalbody", "handlers"...); tells `finally` blocks apart.
    blocks: dict[int, tuple[ast.AST, str]] = field(default_factory=dict)
    with_items: list[WithItem] = field(default_factory=list)
    awaited_refs: list[ast.expr] = field(default_factory=list)  # `await name`, `await a.b`
    item_stores: list[Binding] = field(default_factory=list)  # `x[key] = value`
    star_imports: list[str] = field(default_factory=list)  # `from db import *`: `db`
    # What each function is (route handler, dependency, lifespan...): see facts/roles.py.
    roles: Roles | None = None
    # Connections, sessions and pool checkouts acquired in functions: facts/resources.py.
    resources: list[Resource] = field(default_factory=list)
    # What each function sends through each connection or session, and what commits it:
    # facts/transactions.py.
    transactions: list[Handle] = field(default_factory=list)
    # Connections and sessions used by coroutines that run at the same time:
    # facts/concurrency.py.
    shared_tasks: list[SharedUse] = field(default_factory=list)
    # False when the front end shows only the messages (flake8): rules need not build
    # suggestions and fixes, which the engine then leaves out of every finding.
    wants_fixes: bool = True
    # What the module tells the rest of the program (pglint.program.entries), and what
    # the program says of its functions, as the rules read it (pglint.program.view).
    entry: ModuleEntry | None = None
    reverse: ReverseView | None = None

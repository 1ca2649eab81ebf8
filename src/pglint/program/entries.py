"""What one module tells the rest of the program about its functions: their roles, and
the calls they make to other functions of the project with what they pass.

An entry is made from one module's facts and nothing else, so it is cached by the
module's content. Calls are recorded as written (`get_conn`, `@app.db.get_conn`,
`Repo.insert`); which file and function they reach is worked out over the whole program
(``pglint.program.graph``), where the files of the tree are known.

Arguments are recorded only as far as a caller can tell without its callers: a literal,
a value the caller knows is safe in SQL, a parameter of the caller (its callers decide),
a driver object of a known kind, or nothing.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pglint.facts.model import CallSite, ModuleFacts, Scope
from pglint.facts.quoting import quotes
from pglint.facts.resolve import Resolver
from pglint.facts.roles import FunctionInfo

# An argument: ("lit", value) | ("safe",) | ("param", name) | ("kind", driver, role) | None
Arg = tuple[Any, ...] | None

# How a call reaches its target: called, named in `Depends(...)`, or defined inside the
# caller (an inner function runs when its function does).
CALL, DEPENDS, INNER = "call", "depends", "inner"
# Registered by the module for the framework to call: a view, a startup handler, a class
# whose HTTP-method methods serve requests.
ROUTE, LIFESPAN, RESOURCE = "route", "lifespan", "resource"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# Slotted: a large tree has hundreds of thousands of these, all kept by the run's main
# process until the program is built.
@dataclass(frozen=True, slots=True)
class FunctionEntry:
    qualname: str  # `get_conn`, `Repo.insert`, `outer.inner`
    line: int
    roles: tuple[str, ...]  # as the module shows them (facts/roles.py), sorted
    is_async: bool
    params: tuple[str, ...]  # every parameter, positional ones first, in order
    label: str = ""  # how a route is named in messages: `GET /todos`
    # Every caller can be seen: a `_private` or nested function that the module's text
    # names only where it defines or calls it.
    closed: bool = False
    bound: bool = False  # a method called on an instance or class: `self` is implicit
    # Parameters whose default is a literal: a call that leaves them out passes that.
    literal_defaults: tuple[str, ...] = ()
    # What it returns as SQL text: "always" safe (constant, quoted, checked), safe "if_args"
    # are (built from its parameters and constants only), or "" (anything else).
    text: str = ""
    property: bool = False  # read as an attribute (`@property`)
    # Parameters it may keep, close or pass on (returned, stored, aliased, given to
    # another call): a connection passed to it may change owner. The others it only
    # uses (`conn.cursor()`), and its caller still owns what it passed.
    keeps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CallEntry:
    caller: str  # the calling function's qualname; "" at module level
    target: str  # `name`, `Class.method` (this module) or `@dotted.name` (imported)
    line: int
    how: str = CALL
    args: tuple[Arg, ...] = ()
    keywords: tuple[tuple[str, Arg], ...] = ()
    star: bool = False  # `*args` / `**kwargs`: the arguments are not all known
    # The attributes of `self` the `if`s around the call test (`if not self.pool:`): a
    # method that makes `self.pool` is then called only while there is none.
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleEntry:
    functions: tuple[FunctionEntry, ...]
    calls: tuple[CallEntry, ...]
    module_roles: tuple[str, ...] = ()  # "test", "migration", "script"
    # Names bound at module level by an import (`from .db import get_conn`): a name a
    # module re-exports is followed to where it is defined.
    imports: tuple[tuple[str, str], ...] = ()
    # Classes and their bases as written (`Compat`, `@lnbits.db.Compat`), for methods
    # inherited; module-level instances of classes (`db = Database(...)`).
    classes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    instances: tuple[tuple[str, str], ...] = ()
    stars: tuple[str, ...] = ()  # modules star-imported (`from db import *`)
    _by_name: dict[str, FunctionEntry] = field(default_factory=dict, compare=False, repr=False)
    _names: dict[str, dict] = field(default_factory=dict, compare=False, repr=False)

    def function(self, qualname: str) -> FunctionEntry | None:
        if not self._by_name and self.functions:
            self._by_name.update((f.qualname, f) for f in self.functions)
        return self._by_name.get(qualname)

    def names(self, kind: str) -> dict:
        """`classes`, `instances` or `imports` as a dict, made once."""
        found = self._names.get(kind)
        if found is None:
            found = self._names[kind] = dict(getattr(self, kind))
        return found

    # --- JSON ---------------------------------------------------------------------------

    def to_json(self) -> list:
        return [
            [[f.qualname, f.line, list(f.roles), f.is_async, list(f.params), f.label, f.closed,
              f.bound, list(f.literal_defaults), f.text, f.property, list(f.keeps)]
             for f in self.functions],
            [[c.caller, c.target, c.line, c.how, [_arg_json(a) for a in c.args],
              [[k, _arg_json(a)] for k, a in c.keywords], c.star, list(c.guards)]
             for c in self.calls],
            list(self.module_roles),
            [list(i) for i in self.imports],
            [[name, list(bases)] for name, bases in self.classes],
            [list(i) for i in self.instances],
            list(self.stars),
        ]  # fmt: skip

    @classmethod
    def from_json(cls, data: list) -> ModuleEntry:
        functions, calls, module_roles, imports, classes, instances, stars = data
        return cls(
            tuple(_function_of(item) for item in functions),
            tuple(
                CallEntry(caller, target, int(line), how, tuple(_arg_of(a) for a in args),
                          tuple((k, _arg_of(a)) for k, a in keywords), bool(star),
                          tuple(guards))
                for caller, target, line, how, args, keywords, star, guards in calls
            ),
            tuple(module_roles),
            tuple((str(a), str(b)) for a, b in imports),
            tuple((str(name), tuple(bases)) for name, bases in classes),
            tuple((str(a), str(b)) for a, b in instances),
            tuple(str(star) for star in stars),
        )  # fmt: skip


def _function_of(item: list) -> FunctionEntry:
    qualname, line, roles, is_async, params, label, closed, bound, defaults, text, prop, keeps = (
        item
    )
    return FunctionEntry(
        str(qualname), int(line), tuple(roles), bool(is_async), tuple(params), str(label),
        bool(closed), bool(bound), tuple(defaults), str(text), bool(prop), tuple(keeps),
    )  # fmt: skip


EMPTY_ENTRY = ModuleEntry((), ())


def _arg_json(arg: Arg) -> list | None:
    return list(arg) if arg is not None else None


def _arg_of(data: list | None) -> Arg:
    return tuple(data) if data is not None else None


# --- building an entry --------------------------------------------------------------------


def defining_function(scope: Scope) -> Scope | None:
    """The `def` a piece of code runs in (a lambda's or comprehension's enclosing def)."""
    function = scope.function()
    while function is not None and not isinstance(
        function.node, ast.FunctionDef | ast.AsyncFunctionDef
    ):
        parent = function.parent
        function = parent.function() if parent is not None else None
    return function


class References:
    """How a module names the functions and classes of the program it calls: `name` or
    `Class.method` for its own, `@dotted.name` for what it imports (resolved over the
    whole program by ``pglint.program.graph``)."""

    def __init__(self, facts: ModuleFacts, resolver: Resolver) -> None:
        self.facts = facts
        self.resolver = resolver
        self.scope_of_node: dict[int, Scope] = {id(s.node): s for s in facts.scopes}
        self.classes: dict[str, Scope] = {
            s.name: s for s in facts.scopes if s.kind == "class" and s.parent is facts.module
        }

    @classmethod
    def of(cls, resolver: Resolver) -> References:
        """The one of a resolver's module, made once (kept with the facts, which let go
        of it when they are released)."""
        facts = resolver.facts
        found = facts.__dict__.get("_references")
        if found is None or found.resolver is not resolver:
            found = facts.__dict__["_references"] = cls(facts, resolver)
        return found

    def reference(self, expr: ast.expr, scope: Scope, call: ast.Call | None = None) -> str | None:
        """How the target of a call is named, if it can be a project function or class."""
        pos = (call.lineno, call.col_offset) if call is not None else (expr.lineno, 0)  # type: ignore[attr-defined]
        if isinstance(expr, ast.Name):
            return self._name_reference(expr.id, scope, pos)
        if not isinstance(expr, ast.Attribute):
            return None
        base = expr.value
        if isinstance(base, ast.Name) and base.id in ("self", "cls"):
            owner = _owner(scope)
            return f"{owner.qualname}.{expr.attr}" if owner is not None else None
        qual = self.resolver.qualname(expr)
        if qual is not None:
            return "@" + qual
        owner_ref = self.instance_class(base, scope, pos)
        if owner_ref is not None:
            return f"{owner_ref}.{expr.attr}"
        return None

    def _name_reference(self, name: str, scope: Scope, pos: tuple[int, int]) -> str | None:
        bindings = self.resolver.reaching(name, scope, pos)
        if not bindings:
            # From a star import, maybe: the program looks in each such module.
            return "?" + name if self.facts.star_imports else None
        binding = bindings[-1]
        if binding.kind == "def":
            defined = self.scope_of_node.get(id(binding.node))
            return defined.qualname if defined is not None else None
        if binding.kind == "import":
            qual = self.facts.imports.get(name)
            return "@" + qual if qual else None
        return None

    def instance_class(self, expr: ast.expr, scope: Scope, pos: tuple[int, int]) -> str | None:
        """The class an object was made from: `repo` in `repo = Repo(db); repo.get()`, or
        `self.repo` set to `Repo(...)` in the class."""
        value: ast.expr | None = expr if isinstance(expr, ast.Call) else None  # `Repo(db).get()`
        if isinstance(expr, ast.Name):
            bindings = self.resolver.reaching(expr.id, scope, pos)
            if len(bindings) == 1 and bindings[0].kind in ("assign", "with"):
                value = bindings[0].value
        elif (
            isinstance(expr, ast.Attribute)
            and isinstance(expr.value, ast.Name)
            and expr.value.id == "self"
        ):
            owner = _owner(scope)
            stores = owner.self_bindings.get(expr.attr, []) if owner is not None else []
            values = [b.value for b in stores if b.value is not None]
            if len(values) == 1:
                value = values[0]
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return None
        func = value.func
        if isinstance(func, ast.Name) and func.id in self.classes:
            return func.id
        qual = self.resolver.qualname(func)
        if qual is not None and qual.rpartition(".")[2][:1].isupper():
            return "@" + qual
        return None


def tells_the_program(entry: ModuleEntry) -> bool:
    """Whether a module nothing is linted in must be known before the graph is walked: it
    declares a route or a dependency, registers one, or calls a project function when it
    is imported. Any other is read when a call into it is followed."""
    return any(_ROOT_ROLES.intersection(f.roles) for f in entry.functions) or any(
        not call.caller or call.how not in (CALL, INNER) for call in entry.calls
    )


_ROOT_ROLES = frozenset({"route", "dependency"})


def build_entry(
    facts: ModuleFacts,
    resolver: Resolver | None = None,
    in_project: Callable[[str], bool] | None = None,
) -> ModuleEntry:
    """The module's entry. ``in_project`` tells whether an imported dotted name is a
    module of the project (calls into anything else are left out); without it, only
    relative imports are."""
    return _Builder(facts, resolver, in_project).run()


class _Builder:
    def __init__(
        self,
        facts: ModuleFacts,
        resolver: Resolver | None,
        in_project: Callable[[str], bool] | None,
    ) -> None:
        self.facts = facts
        self.resolver = resolver or Resolver.of(facts)
        self.in_project = in_project or _relative
        self._project_names: dict[str, bool] = {}
        self.refs = References.of(self.resolver)
        self.classes = self.refs.classes
        self._evaluator = None
        self._safety: tuple | None = None  # (as is, with parameters taken as safe)
        # Call sites by the def they run in (lambdas and nested defs count for it).
        self._sites: dict[Scope, list[CallSite]] = {}
        for site in facts.calls:
            function = defining_function(site.scope)
            while function is not None:
                self._sites.setdefault(function, []).append(site)
                parent = function.parent
                function = defining_function(parent) if parent is not None else None
        self._words: Counter[str] | None = None  # identifiers in the text, counted
        self._called: Counter[str | None] = Counter()
        self._inner: dict[Scope, list[Scope]] | None = None
        self._stored: dict[Scope, list[ast.expr]] | None = None
        self._names: dict[int, set[str]] = {}  # _named by node: values are asked again

    def run(self) -> ModuleEntry:
        facts = self.facts
        roles = facts.roles
        functions = []
        calls: list[CallEntry] = []
        infos = roles.functions if roles is not None else {}
        for scope, info in infos.items():
            functions.append(self._function(scope, info))
            parent = defining_function(scope.parent) if scope.parent is not None else None
            if parent is not None:
                calls.append(CallEntry(parent.qualname, scope.qualname, info.node.lineno,
                                       INNER))  # fmt: skip
            for dependency in info.dependencies:
                target = (
                    self.refs.reference(dependency.target, scope) if dependency.target else None
                )
                if target is not None:
                    calls.append(CallEntry(scope.qualname, target, dependency.node.lineno,
                                           DEPENDS))  # fmt: skip
        for site in facts.calls:
            entry = self._call(site)
            if entry is not None:
                calls.append(entry)
        for expr, role in roles.registered if roles is not None else ():
            target = self.refs.reference(expr, facts.module)
            if target is not None:
                calls.append(CallEntry("", target, getattr(expr, "lineno", 0), role))
        return ModuleEntry(
            tuple(sorted(functions, key=lambda f: (f.line, f.qualname))),
            tuple(calls),
            tuple(sorted(roles.module_roles)) if roles is not None else (),
            self._imports(),
            self._classes(),
            self._instances(),
            tuple(facts.star_imports),
        )

    # --- functions ------------------------------------------------------------------------

    def _function(self, scope: Scope, info: FunctionInfo) -> FunctionEntry:
        node = info.node
        args = node.args
        params = [a.arg for a in (*args.posonlyargs, *args.args)]
        if args.vararg is not None:
            params.append("*" + args.vararg.arg)
        params += [a.arg for a in args.kwonlyargs]
        if args.kwarg is not None:
            params.append("**" + args.kwarg.arg)
        qualname = scope.qualname
        defaults = _literal_defaults(node)
        decorators = {_last_name(d) for d in node.decorator_list}
        bound = scope.enclosing_class is not None and "staticmethod" not in decorators
        prop = bound and bool(decorators & _PROPERTIES)
        return FunctionEntry(
            qualname,
            node.lineno,
            tuple(sorted(info.roles)),
            info.is_async,
            tuple(params),
            info.route_label or "",
            self._closed(scope, info),
            bound,
            defaults,
            self._text(scope, decorators),
            prop,
            self._keeps(scope, params),
        )

    def _keeps(self, scope: Scope, params: list[str]) -> tuple[str, ...]:
        """The parameters the function may keep or pass on (``FunctionEntry.keeps``)."""
        names = {p for p in params if not p.startswith("*")}
        if not names:
            return ()
        named = self._handed_on
        kept: set[str] = set()
        for value in [r.value for r in scope.returns if r.value is not None] + scope.yields:
            kept |= named(names, value)
        for inner in self._inner_scopes(scope):
            for bindings in inner.bindings.values():
                for binding in bindings:
                    if binding.value is not None and binding.kind != "param":
                        kept |= named(names, binding.value)
            if inner is not scope:
                kept |= names & set(inner.bindings)  # a nested def sees them
        for site in self._sites.get(scope, ()):
            call = site.node
            for arg in [*call.args, *(k.value for k in call.keywords)]:
                kept |= named(names, arg)
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in names
                and func.attr in _CLOSING_METHODS
            ):
                kept.add(func.value.id)
        for value in self._stored_on_attributes().get(scope, ()):
            kept |= named(names, value)
        return tuple(sorted(kept))

    def _handed_on(self, names: set[str], expr: ast.expr) -> set[str]:
        """Which of ``names`` the expression hands on (`_named`). Most values name no
        parameter at all: the lines they are written on say so without a walk."""
        start, end = getattr(expr, "lineno", None), getattr(expr, "end_lineno", None)
        if start is not None and end is not None:
            lines = self.facts.source.lines[start - 1 : end]
            if not any(name in line for line in lines for name in names):
                return set()
        found = self._names.get(id(expr))
        if found is None:
            found = self._names[id(expr)] = _named(expr)
        return names & found

    def _inner_scopes(self, scope: Scope) -> list[Scope]:
        """The scope and every scope within it; gathered for all scopes at once, since
        each function asks."""
        if self._inner is None:
            self._inner = {}
            for each in self.facts.scopes:
                current: Scope | None = each
                while current is not None:
                    self._inner.setdefault(current, []).append(each)
                    current = current.parent
        return self._inner.get(scope, [scope])

    def _stored_on_attributes(self) -> dict[Scope, list[ast.expr]]:
        """The values each scope stores on an attribute (``self.conn = conn``)."""
        if self._stored is None:
            self._stored = {}
            for bindings in self.facts.attribute_bindings.values():
                for binding in bindings:
                    if binding.value is not None:
                        self._stored.setdefault(binding.scope, []).append(binding.value)
        return self._stored

    def _text(self, scope: Scope, decorators: set[str | None]) -> str:
        """How safe in SQL the text the function returns is (``FunctionEntry.text``):
        asked only of a function whose every return is written as text."""
        values = [r.value for r in scope.returns]
        if scope.is_generator or not values or decorators - _PROPERTIES - {"staticmethod"}:
            return ""
        if not all(v is not None and _textual(v) for v in values):
            return ""
        if all(quotes(v) for v in values):  # type: ignore[arg-type]
            return "always"  # it quotes whatever it is given (pglint.facts.quoting)
        if self._safety is None:
            from pglint.facts.safety import Safety

            self._safety = (Safety(self.resolver), Safety(self.resolver, params_safe=True))
        for safety, verdict in zip(self._safety, ("always", "if_args"), strict=True):
            if all(
                safety.is_safe(r.value, scope, (r.lineno, r.col_offset))  # type: ignore[arg-type]
                for r in scope.returns
            ):
                return verdict
        return ""

    def _closed(self, scope: Scope, info: FunctionInfo) -> bool:
        """Whether every caller of the function can be seen: a private (`_name`) or nested
        function that the text names only where it is defined or called, as a call."""
        name = info.name
        nested = scope.parent is not None and scope.parent.kind == "function"
        if not nested and not (name.startswith("_") and not name.startswith("__")):
            return False
        if (
            info.node.decorator_list
            or len(info.node.args.args) + len(info.node.args.kwonlyargs) == 0
        ):
            return False  # registered somewhere and called by a framework; or no parameter
        if self._words is None:
            self._words = Counter(_IDENTIFIER.findall(self.facts.source.text))
            self._called = Counter(_called_name(s.node.func) for s in self.facts.calls)
        return self._words[name] == self._called[name] + 1

    # --- calls ----------------------------------------------------------------------------

    def _call(self, site: CallSite) -> CallEntry | None:
        target = self.refs.reference(site.node.func, site.scope, site.node)
        if target is None or (target[0] == "@" and not self._in_project(target[1:])):
            return None
        if target[0] == "?" and not any(
            self._in_project(f"{star}.{target[1:]}") for star in self.facts.star_imports
        ):
            return None
        function = defining_function(site.scope)
        caller = function.qualname if function is not None else ""
        call = site.node
        star = any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        )
        # Whether an argument is safe in SQL only matters to a function whose every caller
        # can be seen: a private one (pglint.program.graph, `_safe_params`).
        private = target.rpartition(".")[2].startswith("_")
        args = tuple(
            self._arg(a, site, private) for a in call.args if not isinstance(a, ast.Starred)
        )
        keywords = tuple(
            (k.arg, self._arg(k.value, site, private)) for k in call.keywords if k.arg is not None
        )
        return CallEntry(caller, target, call.lineno, CALL, args, keywords, star,
                         self._guards(site))  # fmt: skip

    def _guards(self, site: CallSite) -> tuple[str, ...]:
        found = set()
        for block in site.block:
            owner = self.facts.blocks.get(block, (None, ""))[0]
            if isinstance(owner, ast.If | ast.While):
                for node in ast.walk(owner.test):
                    if (
                        isinstance(node, ast.Attribute)
                        and isinstance(node.value, ast.Name)
                        and node.value.id == "self"
                    ):
                        found.add(f"self.{node.attr}")
        return tuple(sorted(found))

    def _in_project(self, qual: str) -> bool:
        known = self._project_names.get(qual)
        if known is None:
            known = self._project_names[qual] = self.in_project(qual)
        return known

    # --- arguments ------------------------------------------------------------------------

    def _arg(self, expr: ast.expr, site: CallSite, private: bool) -> Arg:
        if isinstance(expr, ast.Constant) and isinstance(
            expr.value, str | int | float | bool | type(None)
        ):
            return ("lit", expr.value)
        pos = (site.node.lineno, site.node.col_offset)
        if not (isinstance(expr, ast.Name) or _self_attribute(expr)):
            # A driver object is passed by name (`conn`, `self.conn`); anything else
            # matters only for its safety.
            return ("safe",) if private and self._safe(expr, site) else None
        if isinstance(expr, ast.Name):
            bindings = self.resolver.reaching(expr.id, site.scope, pos)
            if bindings and all(b.kind == "param" for b in bindings):
                function = defining_function(site.scope)
                if function is not None and bindings[0].scope is function:
                    annotated = any(b.annotation is not None for b in bindings)
                    # An annotated parameter speaks for itself below.
                    if not annotated:
                        return ("param", expr.id)
        resolved = self.resolver.bounded_kind_of(expr, site.scope, pos, _KIND_STEPS)
        if resolved is not None:
            kind = resolved[0]
            return ("kind", kind.driver, kind.role)
        return ("safe",) if private and self._safe(expr, site) else None

    def _safe(self, expr: ast.expr, site: CallSite) -> bool:
        if self._evaluator is None:
            from pglint.facts.values import SqlEvaluator

            self._evaluator = SqlEvaluator(self.resolver)
        pos = (site.node.lineno, site.node.col_offset)
        return self._evaluator.is_safe(expr, site.scope, pos)

    # --- module names ---------------------------------------------------------------------

    def _imports(self) -> tuple[tuple[str, str], ...]:
        module = self.facts.module
        found = []
        for name, bindings in module.bindings.items():
            if bindings and bindings[-1].kind == "import":
                qual = self.facts.imports.get(name)
                if qual:
                    found.append((name, qual))
        return tuple(sorted(found))

    def _classes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        found = []
        for name, scope in sorted(self.classes.items()):
            node = scope.node
            bases = []
            for base in node.bases:  # type: ignore[attr-defined]
                ref = self.refs.reference(base, self.facts.module) if isinstance(
                    base, ast.Name | ast.Attribute
                ) else None  # fmt: skip
                if ref is not None:
                    bases.append(ref)
            found.append((name, tuple(bases)))
        return tuple(found)

    def _instances(self) -> tuple[tuple[str, str], ...]:
        found = []
        module = self.facts.module
        for name, bindings in module.bindings.items():
            values = [b for b in bindings if b.kind == "assign"]
            if len(values) != 1 or len(bindings) != 1:
                continue
            ref = self.refs.instance_class(ast.Name(id=name), module, _END)
            if ref is not None:
                found.append((name, ref))
        return tuple(sorted(found))


_END = (1 << 62, 0)
# Lookups one argument's driver object may take: a connection is found in a few dozen;
# pandas' DataFrame (hundreds of methods naming each other) once took millions.
_KIND_STEPS = 2_000
_PROPERTIES = frozenset({"property", "cached_property"})
# Methods that give text back as they were given it (`"...".format(...)`, `x.strip()`).
_TEXT_CALLS = frozenset(
    {"format", "join", "replace", "strip", "lower", "upper", "lstrip", "rstrip"}
)


_CLOSING_METHODS = frozenset({"close", "release", "aclose", "terminate", "dispose", "detach"})


def _named(expr: ast.expr) -> set[str]:
    """The names the expression hands on as they are: `conn` in `f(conn)`, `[conn]`,
    `conn or other`, not in `conn.cursor()` (which only uses it)."""
    found = set()
    used = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            used.add(id(node.value))
        elif isinstance(node, ast.Name) and id(node) not in used:
            found.add(node.id)
    return found


def _textual(value: ast.expr) -> bool:
    """Written as text (a literal, an f-string, formatting, a name, a call of a helper):
    not a number, a container or an object of another kind."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str)
    if isinstance(value, ast.JoinedStr | ast.Name):
        return True
    if isinstance(value, ast.BinOp):
        return isinstance(value.op, ast.Add | ast.Mod)
    if isinstance(value, ast.IfExp):
        return _textual(value.body) and _textual(value.orelse)
    if isinstance(value, ast.Call):
        func = value.func
        return isinstance(func, ast.Name) or (
            isinstance(func, ast.Attribute) and func.attr in _TEXT_CALLS
        )
    return isinstance(value, ast.Attribute)


def _last_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Name):
        return expr.id
    return expr.attr if isinstance(expr, ast.Attribute) else None


def _literal_defaults(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
    return tuple(a.arg for a, d in pairs if isinstance(d, ast.Constant))


def _owner(scope: Scope) -> Scope | None:
    """The class whose method (or code nested in one) this scope is."""
    function = defining_function(scope)
    while function is not None:
        owner = function.enclosing_class
        if owner is not None:
            return owner
        parent = function.parent
        function = defining_function(parent) if parent is not None else None
    return None


def _self_attribute(expr: ast.expr) -> bool:
    return (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and expr.value.id in ("self", "cls")
    )


def _relative(qual: str) -> bool:
    return qual.startswith(".")


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None

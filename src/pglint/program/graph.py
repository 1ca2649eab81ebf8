"""The program's call graph, and what it says about each function that its own module
cannot: which route reaches it per request (and through which calls), whether a
`Depends(...)` anywhere names it, whether only code that runs once calls it, and what
its callers pass its parameters.

Built from the module entries (``pglint.program.entries``) of the tree's files. A call is
resolved to the file and function it reaches the way Python would: names of the module,
imports (followed through re-exports), methods of classes (through their bases), methods
of objects made from a project class (`repo = Repo(db); repo.get()`), and module-level
instances (`db = Database(...)` imported elsewhere). What cannot be resolved reaches
nothing: the analysis stays silent rather than guess.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pglint.facts.roles import ONCE_ROLES
from pglint.program.entries import (
    CALL,
    DEPENDS,
    LIFESPAN,
    RESOURCE,
    ROUTE,
    Arg,
    CallEntry,
    FunctionEntry,
    ModuleEntry,
)

Node = tuple[str, str]  # (path, qualname)
# (path of the importing module, dotted name) -> (path of the module it starts with, the
# names after it), or None when it is no module of the project.
Locate = Callable[[str, str], "tuple[str, list[str]] | None"]

_MAX_DEPTH = 12
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_REQUEST_ROLES = frozenset({"route", "dependency"})
_ONCE_MODULES = frozenset({"test", "migration"})


Step = tuple[str, str, int]  # (path, qualname, line of the def)


@dataclass(frozen=True)
class Reached:
    """How a function is reached on every request: the route (or dependency) whose
    request runs it, and the functions called in between."""

    root: Step
    label: str  # the root's route label (`GET /todos`), or ""
    through: tuple[Step, ...] = ()


@dataclass(frozen=True)
class FunctionFacts:
    reached: Reached | None = None
    dependency: bool = False  # a `Depends(...)` somewhere names it
    once: bool = False  # only code that runs once (scripts, tests, startup) calls it
    safe_params: frozenset[str] = frozenset()  # every caller passes a value safe in SQL
    param_kinds: tuple[tuple[str, str, str], ...] = ()  # (parameter, driver, role)


NO_FACTS = FunctionFacts()
# What the program says of a module's functions, by qualname (only the ones it says
# something of).
ReverseFacts = dict[str, FunctionFacts]


@dataclass
class Program:
    """The call graph over the module entries of a tree."""

    modules: dict[str, ModuleEntry]
    locate: Locate | None = None
    # Asked for a module the graph reaches but has no entry of (a module between a route
    # and the database code, which the pre-filter did not analyse): its entry, or None.
    load: Callable[[str], ModuleEntry | None] | None = None
    _edges: dict[Node, list[tuple[Node, CallEntry]]] = field(default_factory=dict)
    _callers: dict[Node, list[tuple[Node | None, CallEntry]]] = field(default_factory=dict)
    _resolved: dict[tuple[str, str], Node | None] = field(default_factory=dict)
    _modules_of: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # Calls whose target is in a module not loaded (yet): loaded when a request reaches
    # the caller, so only the modules between a route and the database are read.
    _pending: dict[Node, list[tuple[str, CallEntry]]] = field(default_factory=dict)
    _built: bool = False
    _cached: dict[str, Any] = field(default_factory=dict)
    _given: frozenset[str] = frozenset()  # the modules it was made with (not loaded later)

    def __post_init__(self) -> None:
        self._given = frozenset(self.modules)

    # --- entries ------------------------------------------------------------------------

    def entry(self, path: str, load: bool = True) -> ModuleEntry | None:
        entry = self.modules.get(path)
        if entry is None and load and self.load is not None and path not in self.modules:
            entry = self.load(path)
            self.modules[path] = entry  # type: ignore[assignment]
            if self._built:
                self._build_module(path)
        return entry

    def with_module(self, path: str, entry: ModuleEntry) -> Program:
        """The program as it is with the module at ``path`` as ``entry`` says (an
        editor's unsaved text, standard input): itself when nothing changes."""
        if self.modules.get(path) == entry:
            return self
        modules = dict(self.modules)
        modules[path] = entry
        return Program(modules, self.locate, self.load)

    def function(self, node: Node) -> FunctionEntry | None:
        entry = self.entry(node[0], load=False)
        return entry.function(node[1]) if entry is not None else None

    # --- resolving calls ----------------------------------------------------------------

    def resolve(self, path: str, target: str) -> Node | None:
        key = (path, target)
        if key not in self._resolved:
            self._resolved[key] = None  # a cycle of re-exports resolves to nothing
            self._resolved[key] = self._resolve(path, target, 0)
        return self._resolved[key]

    def _module_of(self, path: str, target: str) -> str | None:
        """The file a call's target is in (without reading it)."""
        if not target.startswith(("@", "?")):
            return path  # a name of the module itself
        key = (path, target)
        if key not in self._modules_of:
            self._modules_of[key] = self._find_module_of(path, target)
        return self._modules_of[key]

    def _find_module_of(self, path: str, target: str) -> str | None:
        if target.startswith("?"):
            found = self.resolve(path, target)  # rare: read the star-imported modules
            return found[0] if found is not None else None
        if not target.startswith("@"):
            return path
        found = self.locate(path, target[1:]) if self.locate is not None else None
        return found[0] if found is not None and found[1] else None

    def _resolve(self, path: str, target: str, depth: int) -> Node | None:
        if depth > _MAX_DEPTH:
            return None
        if target.startswith("?"):  # a name one of the module's star imports may give
            entry = self.entry(path)
            for star in entry.stars if entry is not None else ():
                found = self._resolve(path, f"@{star}.{target[1:]}", depth + 1)
                if found is not None:
                    return found
            return None
        if target.startswith("@"):
            found = self.locate(path, target[1:]) if self.locate is not None else None
            if found is None or not found[1]:
                return None
            return self._lookup(found[0], found[1], depth + 1)
        return self._lookup(path, target.split("."), depth + 1)

    def _lookup(self, path: str, parts: list[str], depth: int) -> Node | None:
        entry = self.entry(path)
        if entry is None or depth > _MAX_DEPTH:
            return None
        name = ".".join(parts)
        if entry.function(name) is not None:
            return (path, name)
        head, rest = parts[0], parts[1:]
        classes = entry.names("classes")
        if head in classes and len(rest) <= 1:
            return self._method(path, head, rest[0] if rest else "__init__", depth + 1)
        instance = entry.names("instances").get(head)
        if instance is not None and len(rest) == 1:
            owner = self._class(path, instance, depth + 1)
            return self._method(*owner, rest[0], depth + 1) if owner else None
        imported = entry.names("imports").get(head)
        if imported is not None:
            return self._resolve(path, "@" + ".".join([imported, *rest]), depth + 1)
        return None

    def _class(self, path: str, ref: str, depth: int) -> tuple[str, str] | None:
        """The (path, name) of the class a reference names."""
        if depth > _MAX_DEPTH:
            return None
        if ref.startswith("@"):
            found = self.locate(path, ref[1:]) if self.locate is not None else None
            if found is None or len(found[1]) != 1:
                return None
            path, ref = found[0], found[1][0]
        entry = self.entry(path)
        if entry is None:
            return None
        if ref in entry.names("classes"):
            return path, ref
        imported = entry.names("imports").get(ref)
        if imported is not None:
            return self._class(path, "@" + imported, depth + 1)
        return None

    def _method(self, path: str, owner: str, method: str, depth: int) -> Node | None:
        entry = self.entry(path)
        if entry is None or depth > _MAX_DEPTH:
            return None
        qualname = f"{owner}.{method}"
        if entry.function(qualname) is not None:
            return (path, qualname)
        for base in entry.names("classes").get(owner, ()):
            found = self._class(path, base, depth + 1)
            if found is not None:
                node = self._method(*found, method, depth + 1)
                if node is not None:
                    return node
        return None

    # --- the graph ----------------------------------------------------------------------

    def _build(self) -> None:
        """Every call of the modules at hand resolved, once: who calls whom."""
        if not self._built:
            self._built = True
            for path in sorted(self.modules):
                self._build_module(path)

    def _build_module(self, path: str) -> None:
        entry = self.modules.get(path)
        if entry is None:
            return
        for call in entry.calls:
            caller = (path, call.caller) if call.caller else None
            where = self._module_of(path, call.target)
            if where is None:
                continue
            if where not in self.modules and self.load is not None:
                if caller is not None:
                    self._pending.setdefault(caller, []).append((path, call))
                    continue
                if call.how == CALL:
                    continue  # a module-level call of another module: nothing per request
                self.entry(where)  # what a module registers is a root: read it now
            self._add_edge(path, caller, call)

    def _add_edge(self, path: str, caller: Node | None, call: CallEntry) -> None:
        target = self.resolve(path, call.target)
        if target is None:
            return
        if caller is not None:
            self._edges.setdefault(caller, []).append((target, call))
        self._callers.setdefault(target, []).append((caller, call))

    def _out(self, node: Node) -> list[tuple[Node, CallEntry]]:
        """The calls a function makes, reading the modules they reach if need be."""
        for path, call in self._pending.pop(node, ()):
            self.entry(self._module_of(path, call.target) or path)  # loads and builds it
            self._add_edge(path, node, call)
        return self._edges.get(node, [])

    # --- what the program says of a function ---------------------------------------------

    def fact(self, path: str, qualname: str, field: str) -> Any:
        """One fact of one function (a field of ``FunctionFacts``), each kind of fact
        worked out over the whole program the first time one is asked for."""
        node = (path, qualname)
        if field == "reached":
            return self._computed("reached", self._reach).get(node)
        if field == "once":
            return node in self._computed("once", self._once)
        if field == "dependency":
            return node in self._computed("dependency", self._dependencies)
        if field == "safe_params":
            return frozenset(self._computed("safe_params", self._safe_params).get(node, ()))
        if field == "param_kinds":
            kinds = self._computed("param_kinds", self._param_kinds).get(node, {})
            return tuple(sorted((p, *kind) for p, kind in kinds.items()))
        if field == "callee_text":  # ``qualname`` is the call's reference
            target = self.resolve(path, qualname)
            function = self.function(target) if target is not None else None
            return function.text if function is not None else ""
        if field == "guards":  # what every call of it tests first (`if not self.pool:`)
            calls = [call for _, call in self._callers_of(node)]
            if not calls:
                return frozenset()
            return frozenset.intersection(*(frozenset(c.guards) for c in calls))
        if field == "keeps":  # ``qualname`` is `reference#slot` (a position or a keyword)
            return self._keeps(path, qualname)
        if field in ("method_text", "property_text"):  # ``qualname`` is the method's name
            texts = self._computed("methods", self._method_texts)
            return texts.get((qualname, field == "property_text"), "")
        raise ValueError(f"unknown program fact {field!r}")

    def _callers_of(self, node: Node) -> list[tuple[Node | None, CallEntry]]:
        self._build()
        return [c for c in self._callers.get(node, ()) if c[1].how == CALL]

    def _keeps(self, path: str, key: str) -> bool | None:
        """Whether the function a call names may keep (close, store, pass on) what the
        call passes in ``slot``; None when the program cannot tell."""
        reference, _, slot = key.rpartition("#")
        target = self.resolve(path, reference)
        function = self.function(target) if target is not None else None
        if function is None:
            return None
        params = [p for p in function.params if not p.startswith("*")]
        if slot.isdigit():
            positional = params[1:] if function.bound else params
            index = int(slot)
            if index >= len(positional):
                return None  # into `*args`
            param = positional[index]
        elif slot in params:
            param = slot
        else:
            return None  # into `**kwargs`
        return param in function.keeps

    def _method_texts(self) -> dict[tuple[str, bool], str]:
        """For each method (or property) name of the program's classes, what every one of
        that name returns as SQL text: "always" safe, safe "if_args" are, or ""."""
        found: dict[tuple[str, bool], set[str]] = {}
        # The modules it was made with: what a run loads later depends on what it asks.
        for path in sorted(self._given):
            entry = self.modules.get(path)
            for function in entry.functions if entry is not None else ():
                if function.bound:
                    key = (function.qualname.rpartition(".")[2], function.property)
                    found.setdefault(key, set()).add(function.text)
        verdicts = {}
        for key, texts in found.items():
            if texts == {"always"}:
                verdicts[key] = "always"
            elif texts <= {"always", "if_args"}:
                verdicts[key] = "if_args"
        return verdicts

    def _computed(self, name: str, compute: Callable[[], Any]) -> Any:
        if name not in self._cached:
            self._build()
            self._cached[name] = compute()
        return self._cached[name]

    def facts_for(self, path: str) -> ReverseFacts:
        """Everything the program says of the functions of the module at ``path``."""
        entry = self.entry(path, load=False)
        found: ReverseFacts = {}
        for function in entry.functions if entry is not None else ():
            facts = FunctionFacts(
                *(self.fact(path, function.qualname, f) for f in _FIELDS)  # type: ignore[arg-type]
            )
            if facts != NO_FACTS:
                found[function.qualname] = facts
        return found

    def _dependencies(self) -> set[Node]:
        return {
            target for target, callers in self._callers.items()
            if any(call.how == DEPENDS for _, call in callers)
        }  # fmt: skip

    def _runs_once(self, node: Node) -> bool:
        entry = self.entry(node[0])
        if entry is None:
            return False
        if _ONCE_MODULES.intersection(entry.module_roles):
            return True
        function = entry.function(node[1])
        if function is not None and ONCE_ROLES.intersection(function.roles):
            return True
        # A startup handler another module registers (`app.add_event_handler(...)`).
        return any(call.how == LIFESPAN for _, call in self._callers.get(node, ()))

    def _roots(self) -> list[Node]:
        roots = set()
        for path in sorted(self.modules):
            entry = self.modules.get(path)
            if entry is None:
                continue
            for function in entry.functions:
                if _REQUEST_ROLES.intersection(function.roles):
                    roots.add((path, function.qualname))
        for target, callers in self._callers.items():
            if any(call.how in (DEPENDS, ROUTE) for _, call in callers):
                roots.add(target)
        roots.update(self._resource_methods())
        # In the order they are written, so that a chain names the first route of a file.
        return sorted((r for r in roots if not self._runs_once(r)), key=self._position)

    def _resource_methods(self) -> set[Node]:
        """The HTTP-method methods of classes another module registers as resources."""
        found = set()
        for path in sorted(self.modules):
            entry = self.modules.get(path)
            for call in entry.calls if entry is not None else ():
                if call.how != RESOURCE:
                    continue
                owner = self._class(path, call.target, 0)
                if owner is None:
                    continue
                for method in _HTTP_METHODS:
                    node = self._method(*owner, method, 0)
                    if node is not None:
                        found.add(node)
        return found

    def _position(self, node: Node) -> tuple[str, int, str]:
        function = self.function(node)
        return (node[0], function.line if function is not None else 0, node[1])

    def _reach(self) -> dict[Node, Reached]:
        """Breadth first from every root at once: each function gets one of the shortest
        chains from a root, the same one whatever order the files were read in."""
        reached: dict[Node, Reached] = {}
        queue: deque[Node] = deque()
        for root in self._roots():
            function = self.function(root)
            reached[root] = Reached(self._step(root), function.label if function else "")
            queue.append(root)
        while queue:
            node = queue.popleft()
            here = reached[node]
            through = (*here.through, self._step(node)) if node != here.root[:2] else ()
            for target, _call in sorted(self._out(node), key=_edge_order):
                if target in reached or self._runs_once(target):
                    continue  # a cached factory called per request still runs once
                reached[target] = Reached(here.root, here.label, through)
                queue.append(target)
        return reached

    def _step(self, node: Node) -> Step:
        function = self.function(node)
        return (node[0], node[1], function.line if function is not None else 0)

    def _once(self) -> set[Node]:
        """Functions only code that runs once calls (transitively), and not reached per
        request: `main()` -> `load()` -> `connect()`."""
        reached = self._computed("reached", self._reach)
        once: set[Node] = set()
        changed = True
        while changed:
            changed = False
            for target, callers in self._callers.items():
                if target in once or target in reached or self._runs_once(target):
                    continue
                calls = [c for c in callers if c[1].how != DEPENDS]
                if calls and all(
                    caller is None or caller in once or self._runs_once(caller)
                    for caller, _ in calls
                ):
                    once.add(target)
                    changed = True
        return once

    # --- parameters ---------------------------------------------------------------------

    def _arguments(self, node: Node) -> list[tuple[Node | None, dict[str, Arg]]] | None:
        """For each call of the function: its caller and what it passes each parameter
        (None for a parameter left to its default); None when a call cannot be read."""
        function = self.function(node)
        if function is None:
            return None
        params = [p for p in function.params if not p.startswith("*")]
        found = []
        for caller, call in self._callers.get(node, ()):
            if call.how != CALL or call.star:
                return None
            positional = params[1:] if function.bound and not _unbound(call) else params
            if len(call.args) > len(positional):
                return None
            given: dict[str, Arg] = dict(zip(positional, call.args, strict=False))
            for name, arg in call.keywords:
                if name not in params:
                    return None
                given[name] = arg
            found.append((caller, given))
        return found

    def _safe_params(self) -> dict[Node, set[str]]:
        """Parameters every caller passes a value that cannot carry SQL: a literal, a
        value the caller knows is safe, or its own parameter that is safe in turn. Only
        for functions whose every caller can be seen (``FunctionEntry.closed``)."""
        candidates: dict[Node, tuple[FunctionEntry, list]] = {}
        for node in self._callers:
            function = self.function(node)
            if function is None or not function.closed:
                continue
            arguments = self._arguments(node)
            if arguments:
                candidates[node] = (function, arguments)
        safe: dict[Node, set[str]] = {}
        changed = True
        while changed:
            changed = False
            for node, (function, arguments) in candidates.items():
                for param in function.params:
                    if param in safe.get(node, ()) or param.startswith("*"):
                        continue
                    if all(
                        _safe_arg(given.get(param, _DEFAULT), param, function, caller, safe)
                        for caller, given in arguments
                    ):
                        safe.setdefault(node, set()).add(param)
                        changed = True
        return safe

    def _param_kinds(self) -> dict[Node, dict[str, tuple[str, str]]]:
        """The driver object every caller passes a parameter, when they all agree."""
        kinds: dict[Node, dict[str, tuple[str, str]]] = {}
        candidates = []
        for node in self._callers:
            function = self.function(node)
            arguments = self._arguments(node) if function is not None else None
            if arguments:
                candidates.append((node, function, arguments))
        changed = True
        rounds = 0
        while changed and rounds < _MAX_DEPTH:
            changed = False
            rounds += 1
            for node, function, arguments in candidates:
                for param in function.params:
                    if param in kinds.get(node, {}) or param.startswith("*"):
                        continue
                    agreed = _agreed_kind(
                        [(caller, given.get(param)) for caller, given in arguments], kinds
                    )
                    if agreed is not None:
                        kinds.setdefault(node, {})[param] = agreed
                        changed = True
        return kinds


_DEFAULT = ("default",)
_FIELDS = ("reached", "dependency", "once", "safe_params", "param_kinds")


def _edge_order(edge: tuple[Node, CallEntry]) -> tuple:
    return (edge[1].line, edge[0])


def _unbound(call: CallEntry) -> bool:
    """`Class.method(obj, ...)`: the instance is passed explicitly."""
    return False


def _safe_arg(
    arg: Arg, param: str, function: FunctionEntry, caller: Node | None,
    safe: dict[Node, set[str]],
) -> bool:  # fmt: skip
    if arg == _DEFAULT:
        return param in function.literal_defaults
    if arg is None:
        return False
    if arg[0] in ("lit", "safe"):
        return True
    if arg[0] == "param" and caller is not None:
        return arg[1] in safe.get(caller, ())
    return False


def _agreed_kind(
    passed: Iterable[tuple[Node | None, Arg]], kinds: dict[Node, dict[str, tuple[str, str]]]
) -> tuple[str, str] | None:
    agreed: set[tuple[str, str]] = set()
    for caller, arg in passed:
        if arg is None or arg == _DEFAULT:
            return None
        if arg[0] == "kind":
            agreed.add((arg[1], arg[2]))
        elif arg[0] == "param" and caller is not None and arg[1] in kinds.get(caller, {}):
            agreed.add(kinds[caller][arg[1]])
        else:
            return None
    return agreed.pop() if len(agreed) == 1 else None


# --- JSON ----------------------------------------------------------------------------------


def _reached_json(reached: Reached | None) -> list | None:
    if reached is None:
        return None
    return [list(reached.root), reached.label, [list(step) for step in reached.through]]


def _reached_of(data: list | None) -> Reached | None:
    if data is None:
        return None
    root, label, through = data
    return Reached(_step_of(root), str(label), tuple(_step_of(s) for s in through))


def _step_of(data: list) -> Step:
    path, qualname, line = data
    return (str(path), str(qualname), int(line))

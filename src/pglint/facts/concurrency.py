"""Connections and sessions handed to coroutines that run at the same time.

`asyncio.gather(f(conn), g(conn))`, `asyncio.gather(*(f(conn, x) for x in xs))`,
`asyncio.wait([...])`, `create_task(f(conn))` in a loop or twice, a `TaskGroup`'s or an
anyio task group's tasks: for each such place, the connections, cursors and sessions
that more than one of the coroutines uses, when the drivers table says concurrent use of
them fails (asyncpg and aiopg connections, SQLAlchemy's `AsyncSession` and
`AsyncConnection`).

Public API (``facts.shared_tasks``, built by ``find_shared_tasks``): a list of
``SharedUse``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from pglint.drivers import TRANSACTIONS, ObjectKind
from pglint.facts.model import Binding, CallSite, ModuleFacts, Pos, Scope
from pglint.facts.resolve import Resolver

# Functions that run the awaitables they are given at the same time, by qualified name.
_GATHERERS = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.as_completed"})
# Methods and functions that start one task running beside the caller.
_SPAWNERS = frozenset({"create_task", "ensure_future", "start_soon", "spawn"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_MAX_DEPTH = 4


@dataclass(eq=False)
class SharedUse:
    """One connection or session used by several coroutines running at once."""

    site: CallSite  # the gather, or the task creation that makes the use concurrent
    name: str  # the name the coroutines share
    kind: ObjectKind  # the connection or session (a cursor's connection)
    tasks: int  # how many coroutines use it (2 also stands for "one per item")

    @property
    def node(self) -> ast.Call:
        return self.site.node


def find_shared_tasks(facts: ModuleFacts) -> list[SharedUse]:
    if not any(s.is_async for s in facts.scopes):
        return []
    return _Finder(facts).run()


class _Finder:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.resolver = Resolver.of(facts)

    def run(self) -> list[SharedUse]:
        found: list[SharedUse] = []
        spawned: dict[tuple[int, str], list[tuple[CallSite, int, ObjectKind]]] = {}
        spawns: list[tuple[CallSite, Scope, str]] = []
        self.gathered: set[int] = set()  # task creations handed to a gather or a wait
        for site in self.facts.calls:
            function = site.scope.function()
            if function is None or not function.is_async:
                continue
            func = site.node.func
            tail = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if tail in ("gather", "wait", "as_completed"):
                if self.resolver.qualname(func) in _GATHERERS:
                    found += self._gathered(site)
            elif tail in _SPAWNERS and site.node.args:
                spawns.append((site, function, tail))
        for site, function, tail in spawns:
            if id(site.node) in self.gathered:
                continue
            weight = 2 if self._in_loop(site) else 1
            coroutine = site.node.args[0]
            if tail == "start_soon":  # anyio: `tg.start_soon(fetch, conn, x)`
                coroutine = ast.Call(func=coroutine, args=site.node.args[1:], keywords=[])
            for name, kind in self._uses(coroutine, site.scope, _pos(site.node)).items():
                spawned.setdefault((id(function), name), []).append((site, weight, kind))
        for (_, name), started in spawned.items():
            tasks = sum(weight for _, weight, _ in started)
            if tasks >= 2:
                site = started[1][0] if len(started) > 1 else started[0][0]
                found.append(SharedUse(site, name, started[0][2], tasks))
        found.sort(key=lambda use: _pos(use.node))
        return found

    def _gathered(self, site: CallSite) -> list[SharedUse]:
        call = site.node
        awaitables: list[tuple[ast.expr, int]] = []
        arguments = call.args if call.args else []
        name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if name in ("wait", "as_completed") and arguments:
            arguments = [ast.Starred(value=arguments[0])]
        for argument in arguments:
            if isinstance(argument, ast.Starred):
                awaitables += self._items(argument.value, site.scope, _pos(call), 0)
            else:
                awaitables.append((argument, 1))
        counts: dict[str, int] = {}
        kinds: dict[str, ObjectKind] = {}
        for expr, weight in awaitables:
            for used, kind in self._uses(expr, site.scope, _pos(call)).items():
                counts[used] = counts.get(used, 0) + weight
                kinds[used] = kind
        return [SharedUse(site, n, kinds[n], c) for n, c in counts.items() if c >= 2]

    def _items(
        self, expr: ast.expr, scope: Scope, pos: Pos, depth: int
    ) -> list[tuple[ast.expr, int]]:
        """The awaitables an iterable holds: a display's elements, a comprehension's
        element (one per item: weight 2), a list built with `.append()` in a loop."""
        if depth > _MAX_DEPTH:
            return []
        if isinstance(expr, ast.List | ast.Tuple | ast.Set):
            return [(e, 1) for e in expr.elts if not isinstance(e, ast.Starred)]
        if isinstance(expr, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return [(expr.elt, 2)]
        if isinstance(expr, ast.Name):
            items: list[tuple[ast.expr, int]] = []
            for binding in self.resolver.reaching(expr.id, scope, pos):
                if binding.value is None:
                    continue
                if binding.kind == "append":
                    items.append((binding.value, 2 if self._binding_in_loop(binding) else 1))
                elif binding.kind == "assign":
                    items += self._items(binding.value, binding.scope, binding.pos, depth + 1)
            return items
        return []

    def _uses(self, expr: ast.expr, scope: Scope, pos: Pos) -> dict[str, ObjectKind]:
        """The shared-use-sensitive objects a coroutine expression uses: the receiver of
        `conn.fetch(...)` and the names passed to `fetch_user(conn, 1)`."""
        if isinstance(expr, ast.Await):
            expr = expr.value
        if isinstance(expr, ast.Call) and expr.args and _last(expr.func) in _SPAWNERS:
            self.gathered.add(id(expr))
            expr = expr.args[0]
        if not isinstance(expr, ast.Call):
            return {}
        candidates: list[ast.expr] = [*expr.args, *(k.value for k in expr.keywords)]
        func = expr.func
        if isinstance(func, ast.Attribute):
            receiver = func.value
            while isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute):
                receiver = receiver.func.value  # `conn.cursor().fetch(...)`
            candidates.append(receiver)
        found: dict[str, ObjectKind] = {}
        for candidate in candidates:
            if isinstance(candidate, ast.Starred):
                candidate = candidate.value
            if not isinstance(candidate, ast.Name):
                continue
            resolved = self.resolver.kind_of(candidate, scope, pos)
            if resolved is None:
                continue
            kind = resolved[0]
            if kind.role == "cursor":
                kind = ObjectKind(kind.driver, "connection")
            model = TRANSACTIONS.get((kind.driver, kind.role))
            if model is not None and model.concurrent == "error":
                found[candidate.id] = kind
        return found

    def _in_loop(self, site: CallSite) -> bool:
        return any(isinstance(self.facts.blocks.get(b, (None, ""))[0], _LOOPS) for b in site.block)

    def _binding_in_loop(self, binding: Binding) -> bool:
        return any(
            isinstance(self.facts.blocks.get(b, (None, ""))[0], _LOOPS) for b in binding.block
        )


def _last(func: ast.expr) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _pos(node: ast.AST) -> Pos:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))

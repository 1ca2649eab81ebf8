"""What each function in a module is for, decided from the code: route handler, FastAPI
dependency, lifespan or startup handler, app factory, cached factory, entry point, test
code or migration — and whether it runs on every request.

Rules use this to tell a connection opened per request from one opened once at startup.
Everything is read from the recorded facts (decorators, calls, parameters, imports); the
module's own call graph carries "on the request path" from handlers and dependencies to
the helpers they call, across modules when the whole program is known (``pglint.program``).

Public API (``facts.roles``, built by ``role_finder.find_roles``):

- ``Roles.of(scope)`` -> ``FunctionInfo`` for a function scope (None for others);
- ``Roles.endpoints()`` / ``Roles.dependencies()``: route handlers and dependencies;
- ``FunctionInfo.dependencies``: the ``Depends``/``Security`` a function declares, each
  with the module function it resolves to (``Dependency.function``);
- ``FunctionInfo.provides``: what a dependency hands out (yielded values for a
  generator, returned values otherwise);
- ``FunctionInfo.on_request_path`` and ``FunctionInfo.runs_once``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pglint.facts.frameworks import CONTEXT_DECORATORS
from pglint.facts.model import Scope

if TYPE_CHECKING:
    from pglint.program.graph import Reached
    from pglint.program.view import ReverseView

RoleName = Literal[
    "route",  # a web framework calls it for a request
    "dependency",  # FastAPI calls it to provide a parameter (Depends / Security)
    "lifespan",  # lifespan function, startup/shutdown handler
    "app_factory",  # builds the application object (create_app)
    "cached_factory",  # @lru_cache / @cache / @cached_property: runs once per argument set
    "entry_point",  # main(), `if __name__ == "__main__"`, click/typer command
    "test",  # pytest fixture or test function
    "migration",  # Alembic env.py / versions, Django migrations
]
# Roles whose code runs once per process (or outside the server), not once per request.
ONCE_ROLES: frozenset[str] = frozenset(
    {"lifespan", "app_factory", "cached_factory", "entry_point", "test", "migration"}
)


@dataclass(eq=False)
class Dependency:
    """One `Depends(f)` / `Security(f)` / `Annotated[T, Depends(f)]` a function declares."""

    node: ast.Call  # the Depends(...) call
    target: ast.expr | None  # what is passed to Depends (None for `Depends()`)
    function: Scope | None  # the module function (or class `__init__`) it resolves to
    param: str | None  # the parameter it provides; None for `dependencies=[...]`


@dataclass(eq=False)
class FunctionInfo:
    scope: Scope
    roles: set[str] = field(default_factory=set)
    dependencies: list[Dependency] = field(default_factory=list)
    route_label: str | None = None  # `GET /todos`, for a route handler
    # What the program says of the function (pglint.program.view): the properties
    # below read it.
    view: ReverseView | None = None
    # Why a function counts as a dependency: "depends" (a Depends in this module names
    # it) or "name" (a FastAPI module's `get_db`-like generator or factory).
    dependency_evidence: str | None = None
    decorators: list[str] = field(default_factory=list)  # last name of each decorator

    def _program(self, field: str):
        return self.view.get(self.scope.qualname, field) if self.view is not None else None

    @property
    def reached(self) -> Reached | None:
        """How a request reaches it: the route and the calls in between, across modules
        when the whole program is known."""
        return self._program("reached")

    @property
    def on_request_path(self) -> bool:
        """A handler or dependency, or a function one calls."""
        return self.reached is not None

    @property
    def named_by_depends(self) -> bool:
        """A `Depends(...)` somewhere in the program names it."""
        return bool(self._program("dependency"))

    @property
    def once_by_callers(self) -> bool:
        """Called only by once-only code (main() -> load_data()), in any module."""
        return bool(self._program("once"))

    @property
    def node(self) -> ast.FunctionDef | ast.AsyncFunctionDef:
        return self.scope.node  # type: ignore[return-value]

    @property
    def name(self) -> str:
        return self.scope.name

    @property
    def is_async(self) -> bool:
        return self.scope.is_async

    @property
    def is_endpoint(self) -> bool:
        return "route" in self.roles

    @property
    def is_dependency(self) -> bool:
        return "dependency" in self.roles or self.named_by_depends

    @property
    def is_generator(self) -> bool:
        return self.scope.is_generator

    @property
    def is_context_manager(self) -> bool:
        return any(d in CONTEXT_DECORATORS for d in self.decorators)

    @property
    def runs_once(self) -> bool:
        """Startup, factory, script, test or migration code, or a helper only such code
        calls: not run per request."""
        return bool(self.roles & ONCE_ROLES) or self.once_by_callers

    @property
    def provides(self) -> list[ast.expr]:
        """What the function hands out: yielded values for a generator, else returns."""
        if self.is_generator:
            return list(self.scope.yields)
        return [r.value for r in self.scope.returns if r.value is not None]


@dataclass
class Roles:
    functions: dict[Scope, FunctionInfo]
    # The module as a whole: "migration", "test" or "script" (has a __main__ block).
    module_roles: set[str] = field(default_factory=set)
    # What the module registers that it does not define (an imported view, a class of
    # another module): (the expression naming it, "route", "lifespan" or "resource").
    registered: list[tuple[ast.expr, str]] = field(default_factory=list)

    def of(self, scope: Scope | None) -> FunctionInfo | None:
        return self.functions.get(scope) if scope is not None else None

    def endpoints(self) -> list[FunctionInfo]:
        return [f for f in self.functions.values() if f.is_endpoint]

    def dependencies(self) -> list[FunctionInfo]:
        return [f for f in self.functions.values() if f.is_dependency]

    def enclosing(self, scope: Scope) -> FunctionInfo | None:
        """The info of the function a scope belongs to (lambdas and inner defs included:
        the outermost module- or class-level function)."""
        function = scope.function()
        found = None
        while function is not None:
            info = self.functions.get(function)
            if info is not None:
                found = info
            parent = function.parent
            function = parent.function() if parent is not None else None
        return found

    def runs_once(self, scope: Scope) -> bool:
        """Code in this scope runs once, not per request: module level, or a function
        (or one nested in a function) with a once-only role, or a script/test/migration."""
        if self.module_roles & {"migration", "test"}:
            return True
        function = scope.function()
        if function is None:
            return True
        while function is not None:
            info = self.functions.get(function)
            if info is not None and info.runs_once:
                return True
            parent = function.parent
            function = parent.function() if parent is not None else None
        return False

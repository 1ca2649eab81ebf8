"""What each function in a module is for, decided from the code: route handler, FastAPI
dependency, lifespan or startup handler, app factory, cached factory, entry point, test
code or migration — and whether it runs on every request.

Rules use this to tell a connection opened per request from one opened once at startup.
Everything is read from the recorded facts (decorators, calls, parameters, imports); the
module's own call graph carries "on the request path" from handlers and dependencies to
the helpers they call. Calls into other modules are not followed: a function whose role
the module cannot show is a plain helper, and rules stay quiet about it.

Public API (``facts.roles``):

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
import re
from dataclasses import dataclass, field
from typing import Literal

from pglint.facts.model import ModuleFacts, Scope

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

_HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "route",
     "api_route", "websocket", "websocket_route", "view", "add_route"}
)  # fmt: skip
_APP_CONSTRUCTORS = frozenset(
    {"FastAPI", "APIRouter", "Starlette", "Router", "Flask", "Blueprint", "Quart",
     "Sanic", "RouteTableDef", "Application", "Litestar", "Bottle"}
)  # fmt: skip
_ROUTE_OBJECTS = frozenset({"Route", "WebSocketRoute", "APIRoute", "route", "url", "path"})
_AIOHTTP_ADDERS = re.compile(r"^add_(get|post|put|patch|delete|head|route|view)$")
_STARTUP_DECORATORS = frozenset(
    {"on_event", "before_serving", "after_serving", "before_server_start",
     "after_server_start", "before_server_stop", "after_server_stop", "listener",
     "before_first_request", "on_startup", "on_shutdown", "startup", "shutdown"}
)  # fmt: skip
_LIFECYCLE_LISTS = frozenset({"on_startup", "on_shutdown", "on_cleanup", "cleanup_ctx"})
_CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached_property", "cached", "memoize"})
_CLI_DECORATORS = frozenset({"command", "group", "callback"})
_FIXTURE_DECORATORS = frozenset({"fixture", "yield_fixture"})
_CONTEXT_DECORATORS = frozenset({"contextmanager", "asynccontextmanager"})
_FACTORY_NAMES = re.compile(r"^(create|make|build|get|init|setup)_(app|application)$|^app_factory$")
_ENTRY_NAMES = frozenset({"main", "cli", "run", "_main"})
# Without a `Depends` in this module, a FastAPI module's `get_db` is still a dependency.
_DEPENDENCY_NAMES = re.compile(
    r"^(get|provide)_(db|database|session|db_session|async_session|async_db|conn|connection|"
    r"db_conn|db_connection)$"
)
_DEPENDS = frozenset({"Depends", "Security"})
_DJANGO_VIEW_DECORATORS = frozenset(
    {"api_view", "require_http_methods", "require_GET", "require_POST", "login_required",
     "csrf_exempt", "action"}
)  # fmt: skip
_MIGRATION_FUNCTIONS = frozenset(
    {"upgrade", "downgrade", "run_migrations_online", "run_migrations_offline"}
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
    on_request_path: bool = False  # a handler or dependency, or a helper one calls
    # Why a function counts as a dependency: "depends" (a Depends in this module names
    # it) or "name" (a FastAPI module's `get_db`-like generator or factory).
    dependency_evidence: str | None = None
    decorators: list[str] = field(default_factory=list)  # last name of each decorator
    callers: list[Scope] = field(default_factory=list)

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
        return "dependency" in self.roles

    @property
    def is_generator(self) -> bool:
        return self.scope.is_generator

    @property
    def is_context_manager(self) -> bool:
        return any(d in _CONTEXT_DECORATORS for d in self.decorators)

    @property
    def runs_once(self) -> bool:
        """Startup, factory, script, test or migration code: not run per request."""
        return bool(self.roles & ONCE_ROLES)

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


def find_roles(facts: ModuleFacts) -> Roles:
    return _RoleFinder(facts).run()


class _RoleFinder:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.imports = facts.imports
        self.infos: dict[Scope, FunctionInfo] = {}
        self.by_name: dict[str, Scope] = {}
        self.classes: dict[str, Scope] = {}
        for scope in facts.scopes:
            if scope.kind == "function" and _is_def(scope.node):
                self.infos[scope] = FunctionInfo(scope)
                if scope.parent is facts.module:
                    self.by_name.setdefault(scope.name, scope)
            elif scope.kind == "class" and scope.parent is facts.module:
                self.classes.setdefault(scope.name, scope)
        self.app_names = self._app_names()
        self.module_is_test = False

    def run(self) -> Roles:
        module_roles = self._module_roles()
        self.module_is_test = "test" in module_roles
        for info in self.infos.values():
            self._decorators(info, module_roles)
            self._by_name(info, module_roles)
        self._registrations()
        self._depends()
        self._main_block()
        if "migration" in module_roles:
            for info in self.infos.values():
                info.roles.add("migration")
        self._request_path()
        return Roles(self.infos, module_roles)

    # --- module --------------------------------------------------------------------------

    def _module_roles(self) -> set[str]:
        roles: set[str] = set()
        path = self.facts.filename.replace("\\", "/")
        base = path.rpartition("/")[2]
        parts = path.split("/")
        imports = set(self.imports.values())
        if any(q == "alembic" or q.startswith("alembic.") for q in imports) and (
            base == "env.py" or "versions" in parts or "alembic" in parts
            or "migrations" in parts
        ):  # fmt: skip
            roles.add("migration")
        if "migrations" in parts and any(q.startswith("django.db") for q in imports):
            roles.add("migration")
        if base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py":
            roles.add("test")
        if self._main_guard() is not None:
            roles.add("script")
        return roles

    def _main_guard(self) -> ast.If | None:
        for stmt in self.facts.tree.body:
            if isinstance(stmt, ast.If) and _is_main_test(stmt.test):
                return stmt
        return None

    def _app_names(self) -> set[str]:
        """Module names bound to a web application or router object."""
        names = set()
        for name, bindings in self.facts.module.bindings.items():
            for binding in bindings:
                value = binding.value
                if isinstance(value, ast.Call) and _last(value.func) in _APP_CONSTRUCTORS:
                    names.add(name)
        return names

    # --- decorators ------------------------------------------------------------------------

    def _decorators(self, info: FunctionInfo, module_roles: set[str]) -> None:
        node = info.node
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            func = call.func if call is not None else decorator
            last = _last(func) or ""
            info.decorators.append(last)
            receiver = func.value if isinstance(func, ast.Attribute) else None
            if last in _HTTP_METHODS and self._is_route_decorator(receiver, call):
                info.roles.add("route")
                if call is not None:
                    self._decorator_dependencies(info, call)
            elif last in _STARTUP_DECORATORS and receiver is not None:
                info.roles.add("lifespan")
            elif last == "middleware" and receiver is not None:
                info.roles.add("route")  # runs for every request
            elif last in _CACHE_DECORATORS:
                info.roles.add("cached_factory")
            elif last in _FIXTURE_DECORATORS:
                info.roles.add("test")
            elif last in _CLI_DECORATORS and receiver is not None:
                info.roles.add("entry_point")
            elif last in ("command",) and receiver is None:
                info.roles.add("entry_point")  # `from click import command`
            elif last in ("receiver", "task", "shared_task", "periodic_task"):
                info.roles.add("entry_point")  # signal handlers, Celery tasks: not requests
            elif last in _DJANGO_VIEW_DECORATORS and self._is_django():
                info.roles.add("route")
        if info.is_context_manager and info.name == "lifespan":
            info.roles.add("lifespan")

    def _is_route_decorator(self, receiver: ast.expr | None, call: ast.Call | None) -> bool:
        if receiver is None or call is None:
            return False
        if _root_name(receiver) in self.app_names:
            return True
        if isinstance(receiver, ast.Name) and (
            receiver.id in ("app", "router", "api", "bp", "blueprint", "routes", "api_router")
            or receiver.id.endswith(("_router", "_bp", "_blueprint", "_app"))
        ):
            return True
        first = call.args[0] if call.args else None
        return isinstance(first, ast.Constant) and str(first.value).startswith("/")

    def _decorator_dependencies(self, info: FunctionInfo, call: ast.Call) -> None:
        for keyword in call.keywords:
            if keyword.arg == "dependencies" and isinstance(keyword.value, ast.List | ast.Tuple):
                for element in keyword.value.elts:
                    if isinstance(element, ast.Call) and _last(element.func) in _DEPENDS:
                        info.dependencies.append(
                            Dependency(element, _depends_target(element),
                                       self._target(_depends_target(element)), None)
                        )  # fmt: skip

    def _by_name(self, info: FunctionInfo, module_roles: set[str]) -> None:
        scope = info.scope
        if scope.parent is not self.facts.module:
            self._method_roles(info)
            return
        name = info.name
        if _FACTORY_NAMES.match(name) or self._returns_app(scope):
            info.roles.add("app_factory")
        if name in _ENTRY_NAMES and not info.roles & {"route", "dependency"}:
            info.roles.add("entry_point")
        if "test" in module_roles and name.startswith("test"):
            info.roles.add("test")
        if name in _MIGRATION_FUNCTIONS and any(
            q.startswith("alembic") for q in self.imports.values()
        ):
            info.roles.add("migration")
        if self._is_django_view(info):
            info.roles.add("route")

    def _method_roles(self, info: FunctionInfo) -> None:
        owner = info.scope.enclosing_class
        if owner is None:
            return
        if (
            self._is_django()
            and info.name in _HTTP_METHODS
            and _param_names(info)[1:2] == ["request"]
        ):
            info.roles.add("route")
        if info.name.startswith("test") and self.module_is_test:
            info.roles.add("test")

    def _is_django(self) -> bool:
        return any(q.startswith(("django", "rest_framework")) for q in self.imports.values())

    def _is_django_view(self, info: FunctionInfo) -> bool:
        base = self.facts.filename.replace("\\", "/").rpartition("/")[2]
        return (
            base in ("views.py", "api.py", "viewsets.py")
            and self._is_django()
            and _param_names(info)[:1] == ["request"]
        )

    def _returns_app(self, scope: Scope) -> bool:
        for ret in scope.returns:
            value = ret.value
            if isinstance(value, ast.Call) and _last(value.func) in _APP_CONSTRUCTORS:
                return True
            if isinstance(value, ast.Name):
                for binding in scope.bindings.get(value.id, ()):
                    v = binding.value
                    if isinstance(v, ast.Call) and _last(v.func) in _APP_CONSTRUCTORS:
                        return True
        return False

    # --- registrations by call ---------------------------------------------------------------

    def _registrations(self) -> None:
        """`FastAPI(lifespan=f)`, `app.add_event_handler("startup", f)`,
        `app.on_startup.append(f)`, `Route("/", f)`, `web.get("/", f)`, `add_get(...)`."""
        for site in self.facts.calls:
            call = site.node
            func = call.func
            last = _last(func) or ""
            if last in _APP_CONSTRUCTORS:
                for keyword in call.keywords:
                    if keyword.arg == "lifespan":
                        self._mark(keyword.value, "lifespan")
                    elif keyword.arg in ("on_startup", "on_shutdown"):
                        self._mark_each(keyword.value, "lifespan")
                    elif keyword.arg == "dependencies":
                        self._mark_each_depends(keyword.value)
            elif last == "add_event_handler" and len(call.args) >= 2:
                self._mark(call.args[1], "lifespan")
            elif (
                last in ("register_listener", "before_serving", "after_serving")
                or (
                    last in ("append", "insert")
                    and isinstance(func, ast.Attribute)
                    and _last(func.value) in _LIFECYCLE_LISTS
                )
                or (last == "register" and _root_name(func) == "atexit")
            ):
                for arg in call.args:
                    self._mark(arg, "lifespan")
            elif last in _ROUTE_OBJECTS and len(call.args) >= 2 and _is_path(call.args[0]):
                self._mark(call.args[1], "route")
            elif (
                last in _HTTP_METHODS
                and len(call.args) >= 2
                and _is_path(call.args[0])
                and isinstance(func, ast.Attribute)
            ):
                self._mark(call.args[1], "route")  # aiohttp `web.get("/", handler)`
            elif _AIOHTTP_ADDERS.match(last) and len(call.args) >= 2:
                self._mark(call.args[-1], "route")
            elif last in ("add_url_rule", "add_api_route", "add_websocket_route"):
                view = call.args[2] if last == "add_url_rule" and len(call.args) > 2 else None
                view = view or _keyword(call, "view_func") or _keyword(call, "endpoint")
                if view is None and len(call.args) >= 2:
                    view = call.args[1]
                self._mark(view, "route")
            for keyword in call.keywords:
                if keyword.arg in ("endpoint", "view_func", "handler") and last not in (
                    "add_url_rule",
                ):
                    self._mark(keyword.value, "route")

    def _mark(self, expr: ast.expr | None, role: str) -> None:
        scope = self._target(expr)
        if scope is not None:
            self.infos[scope].roles.add(role)

    def _mark_each(self, expr: ast.expr, role: str) -> None:
        if isinstance(expr, ast.List | ast.Tuple):
            for element in expr.elts:
                self._mark(element, role)

    def _mark_each_depends(self, expr: ast.expr) -> None:
        if isinstance(expr, ast.List | ast.Tuple):
            for element in expr.elts:
                if isinstance(element, ast.Call) and _last(element.func) in _DEPENDS:
                    self._mark_dependency(self._target(_depends_target(element)), "depends")

    def _target(self, expr: ast.expr | None) -> Scope | None:
        """The module function (or a class's `__init__`) an expression names."""
        if isinstance(expr, ast.Name):
            if expr.id in self.by_name:
                return self.by_name[expr.id]
            owner = self.classes.get(expr.id)
            if owner is not None:
                for scope in self.infos:
                    if scope.parent is owner and scope.name in ("__init__", "__call__"):
                        return scope
        return None

    # --- dependencies ----------------------------------------------------------------------

    def _depends(self) -> None:
        """Every `Depends(f)` in the module marks f; parameters tie them to functions."""
        for site in self.facts.calls:
            call = site.node
            if _last(call.func) in _DEPENDS:
                self._mark_dependency(self._target(_depends_target(call)), "depends")
        for info in self.infos.values():
            for binding in _params(info.scope):
                found = _depends_call(binding.value) or _annotated_depends(binding.annotation)
                if found is not None:
                    target = _depends_target(found)
                    if target is None:  # `x: Repo = Depends()` depends on the annotation
                        target = _class_of(binding.annotation)
                    function = self._target(target)
                    info.dependencies.append(Dependency(found, target, function, binding.name))
                    self._mark_dependency(function, "depends")
        if self._is_fastapi():
            for scope, info in self.infos.items():
                if (
                    scope.parent is self.facts.module
                    and _DEPENDENCY_NAMES.match(info.name)
                    and not info.node.decorator_list
                    and not info.roles
                    and not self._used_in_with(info.name)
                ):
                    self._mark_dependency(scope, "name")

    def _mark_dependency(self, scope: Scope | None, evidence: str) -> None:
        if scope is None:
            return
        info = self.infos[scope]
        info.roles.add("dependency")
        if info.dependency_evidence != "depends":
            info.dependency_evidence = evidence

    def _is_fastapi(self) -> bool:
        return any(q.startswith("fastapi") for q in self.imports.values())

    def _used_in_with(self, name: str) -> bool:
        for item in self.facts.with_items:
            expr = item.expr
            if isinstance(expr, ast.Call) and _last(expr.func) == name:
                return True
        return False

    # --- scripts ---------------------------------------------------------------------------

    def _main_block(self) -> None:
        guard = self._main_guard()
        if guard is None:
            return
        lines = (guard.lineno, guard.end_lineno or guard.lineno)
        for site in self.facts.calls:
            if site.scope is not self.facts.module:
                continue
            if not lines[0] <= site.node.lineno <= lines[1]:
                continue
            self._mark(site.node.func, "entry_point")
            for arg in site.node.args:  # asyncio.run(main()), main passed to a runner
                if isinstance(arg, ast.Call):
                    self._mark(arg.func, "entry_point")
                else:
                    self._mark(arg, "entry_point")

    # --- the request path ------------------------------------------------------------------

    def _request_path(self) -> None:
        edges: dict[Scope, set[Scope]] = {}
        for site in self.facts.calls:
            caller = site.scope.function()
            if caller is None or caller not in self.infos:
                continue
            callee = self._callee(site.node.func, caller)
            if callee is not None and callee is not caller:
                edges.setdefault(caller, set()).add(callee)
                self.infos[callee].callers.append(caller)
        for scope in self.infos:  # an inner def runs when its function does
            parent = scope.parent.function() if scope.parent is not None else None
            if parent is not None and parent in self.infos:
                edges.setdefault(parent, set()).add(scope)
        todo = [s for s, i in self.infos.items() if i.roles & {"route", "dependency"}]
        seen: set[Scope] = set()
        while todo:
            scope = todo.pop()
            if scope in seen:
                continue
            seen.add(scope)
            info = self.infos[scope]
            if info.runs_once:
                continue  # a cached factory called per request still runs once
            info.on_request_path = True
            todo.extend(edges.get(scope, ()))

    def _callee(self, func: ast.expr, caller: Scope) -> Scope | None:
        if isinstance(func, ast.Name):
            bound = caller.bindings.get(func.id)
            if bound and not any(b.kind == "def" for b in bound):
                return None  # a local name shadows the module function
            inner = [s for s in self.infos if s.parent is caller and s.name == func.id]
            if inner:
                return inner[0]
            return self.by_name.get(func.id)
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            owner = caller.enclosing_class
            if owner is not None:
                for scope in self.infos:
                    if scope.parent is owner and scope.name == func.attr:
                        return scope
        return None


# --- small helpers ------------------------------------------------------------------------


def _is_def(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)


def _last(expr: ast.expr | None) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Call):
        return _last(expr.func)
    return None


def _root_name(expr: ast.expr | None) -> str | None:
    while isinstance(expr, ast.Attribute | ast.Call):
        expr = expr.value if isinstance(expr, ast.Attribute) else expr.func
    return expr.id if isinstance(expr, ast.Name) else None


def _is_path(expr: ast.expr) -> bool:
    return (
        isinstance(expr, ast.Constant)
        and isinstance(expr.value, str)
        and (expr.value.startswith("/") or expr.value.startswith("^") or expr.value == "")
    )


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _is_main_test(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    consts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and consts == ["__main__"]


def _params(scope: Scope):
    for bindings in scope.bindings.values():
        for binding in bindings:
            if binding.kind == "param":
                yield binding


def _param_names(info: FunctionInfo) -> list[str]:
    args = info.node.args
    return [a.arg for a in (*args.posonlyargs, *args.args)]


def _depends_call(expr: ast.expr | None) -> ast.Call | None:
    if isinstance(expr, ast.Call) and _last(expr.func) in _DEPENDS:
        return expr
    return None


def _depends_target(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return _keyword(call, "dependency")


def _annotated_depends(annotation: ast.expr | None) -> ast.Call | None:
    """The `Depends(...)` inside `Annotated[T, Depends(...)]`."""
    if not isinstance(annotation, ast.Subscript) or _last(annotation.value) != "Annotated":
        return None
    inner = annotation.slice
    if isinstance(inner, ast.Tuple):
        for element in inner.elts[1:]:
            found = _depends_call(element)
            if found is not None:
                return found
    return None


def _class_of(annotation: ast.expr | None) -> ast.expr | None:
    if isinstance(annotation, ast.Subscript) and _last(annotation.value) == "Annotated":
        inner = annotation.slice
        if isinstance(inner, ast.Tuple) and inner.elts:
            return inner.elts[0]
    return annotation if isinstance(annotation, ast.Name) else None

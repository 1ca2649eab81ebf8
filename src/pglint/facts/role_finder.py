"""Deciding function roles from the recorded facts: decorators, registration calls,
`Depends(...)`, names, the `__main__` block and the module's call graph. The model it
fills is in `facts/roles.py`; the framework knowledge it reads is in `facts/frameworks.py`.
"""

from __future__ import annotations

import ast

from pglint.facts.frameworks import (
    AIOHTTP_ADDERS,
    APP_CONSTRUCTORS,
    BARE_ROUTE_FRAMEWORKS,
    CACHE_DECORATORS,
    CLI_DECORATORS,
    DEPENDENCY_NAMES,
    DEPENDS,
    DJANGO_VIEW_DECORATORS,
    ENTRY_NAMES,
    FACTORY_NAMES,
    FIXTURE_DECORATORS,
    HTTP_METHODS,
    LIFECYCLE_LISTS,
    MIGRATION_FUNCTIONS,
    REQUEST_HOOKS,
    ROUTE_OBJECTS,
    STARTUP_DECORATORS,
)
from pglint.facts.model import ModuleFacts, Scope
from pglint.facts.roles import Dependency, FunctionInfo, Roles
from pglint.facts.test_code import is_test_module


def find_roles(facts: ModuleFacts) -> Roles:
    return _RoleFinder(facts).run()


class _RoleFinder:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.imports = facts.imports
        self.infos: dict[Scope, FunctionInfo] = {}
        self.by_name: dict[str, Scope] = {}
        self.classes: dict[str, Scope] = {}
        self.members: dict[tuple[int, str], Scope] = {}  # (id(parent scope), name)
        for scope in facts.scopes:
            if scope.kind == "function" and _is_def(scope.node):
                self.infos[scope] = FunctionInfo(scope)
                if scope.parent is not None:
                    self.members.setdefault((id(scope.parent), scope.name), scope)
                if scope.parent is facts.module:
                    self.by_name.setdefault(scope.name, scope)
            elif scope.kind == "class" and scope.parent is facts.module:
                self.classes.setdefault(scope.name, scope)
        self.app_names = self._app_names()
        self.module_is_test = False
        self._called_names: set[str] | None = None  # names called as `name(...)`
        self._django: bool | None = None  # the module imports Django or DRF
        self.registered: list[tuple[ast.expr, str]] = []

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
        # Which functions a request reaches is the program's to say (pglint.program),
        # over this module alone or over the whole tree.
        return Roles(self.infos, module_roles, self.registered)

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
        if is_test_module(self.facts.filename, self.facts.tree):
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
                if isinstance(value, ast.Call) and _last(value.func) in APP_CONSTRUCTORS:
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
            if last in HTTP_METHODS and self._is_route_decorator(receiver, call):
                info.roles.add("route")
                if call is not None:
                    info.route_label = _route_label(last, call)
                    self._decorator_dependencies(info, call)
            elif last in STARTUP_DECORATORS and receiver is not None:
                info.roles.add("lifespan")
            elif (last == "middleware" or last in REQUEST_HOOKS) and receiver is not None:
                info.roles.add("route")  # runs for every request
            elif last in CACHE_DECORATORS:
                info.roles.add("cached_factory")
            elif last in FIXTURE_DECORATORS:
                info.roles.add("test")
            elif last in CLI_DECORATORS and receiver is not None:
                info.roles.add("entry_point")
            elif last in ("command",) and receiver is None:
                info.roles.add("entry_point")  # `from click import command`
            elif last in ("receiver", "task", "shared_task", "periodic_task"):
                info.roles.add("entry_point")  # signal handlers, Celery tasks: not requests
            elif last in DJANGO_VIEW_DECORATORS and self._is_django():
                info.roles.add("route")
        if info.is_context_manager and info.name == "lifespan":
            info.roles.add("lifespan")

    def _is_route_decorator(self, receiver: ast.expr | None, call: ast.Call | None) -> bool:
        if call is None:
            return False
        if receiver is None:  # Litestar's `@get("/")`, imported from the framework
            qual = self.imports.get(_root_name(call.func) or "", "")
            return qual.startswith(BARE_ROUTE_FRAMEWORKS)
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
                    if isinstance(element, ast.Call) and _last(element.func) in DEPENDS:
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
        if FACTORY_NAMES.match(name) or self._returns_app(scope):
            info.roles.add("app_factory")
        if name in ENTRY_NAMES and not info.roles & {"route", "dependency"}:
            info.roles.add("entry_point")
        if "test" in module_roles and name.startswith("test"):
            info.roles.add("test")
        if name in MIGRATION_FUNCTIONS and any(
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
            and info.name in HTTP_METHODS
            and _param_names(info)[1:2] == ["request"]
        ):
            info.roles.add("route")
        if info.name.startswith("test") and self.module_is_test:
            info.roles.add("test")

    def _is_django(self) -> bool:
        if self._django is None:
            self._django = any(
                q.startswith(("django", "rest_framework")) for q in self.imports.values()
            )
        return self._django

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
            if isinstance(value, ast.Call) and _last(value.func) in APP_CONSTRUCTORS:
                return True
            if isinstance(value, ast.Name):
                for binding in scope.bindings.get(value.id, ()):
                    v = binding.value
                    if isinstance(v, ast.Call) and _last(v.func) in APP_CONSTRUCTORS:
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
            if last in APP_CONSTRUCTORS:
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
                    and _last(func.value) in LIFECYCLE_LISTS
                )
                or (last == "register" and _root_name(func) == "atexit")
            ):
                for arg in call.args:
                    self._mark(arg, "lifespan")
            elif (
                last in ROUTE_OBJECTS
                and len(call.args) >= 2
                and _is_path(call.args[0])
                and not (isinstance(call.args[1], ast.Call))
            ):
                self._mark(call.args[1], "route")
            elif (
                last in HTTP_METHODS
                and len(call.args) >= 2
                and _is_path(call.args[0])
                and isinstance(func, ast.Attribute)
            ):
                self._mark(call.args[1], "route")  # aiohttp `web.get("/", handler)`
            elif AIOHTTP_ADDERS.match(last) and len(call.args) >= 2:
                self._mark(call.args[-1], "route")
            elif last in ("add_url_rule", "add_api_route", "add_websocket_route"):
                view = call.args[2] if last == "add_url_rule" and len(call.args) > 2 else None
                view = view or _keyword(call, "view_func") or _keyword(call, "endpoint")
                if view is None and len(call.args) >= 2:
                    view = call.args[1]
                if isinstance(view, ast.Call) and _last(view.func) == "as_view":
                    self._mark_resource(view)
                else:
                    self._mark(view, "route")
            elif last == "add_resource" and call.args:
                self._mark_resource(call.args[0])
            elif (
                isinstance(func, ast.Call)
                and _last(func.func) in HTTP_METHODS
                and isinstance(func.func, ast.Attribute)
                and len(call.args) == 1
            ):
                self._mark(call.args[0], "route")  # `bp.post("/x")(create)`: a decorator
            if last in ROUTE_OBJECTS and len(call.args) >= 2 and _is_path(call.args[0]):
                second = call.args[1]
                if isinstance(second, ast.Call) and _last(second.func) == "as_view":
                    self._mark_resource(second)  # Django `path("x", View.as_view())`
            if last in ROUTE_OBJECTS or last in ("add_api_route", "add_route"):
                for keyword in call.keywords:  # `Route("/", endpoint=handler)`
                    if keyword.arg in ("endpoint", "view", "handler"):
                        self._mark(keyword.value, "route")

    def _mark(self, expr: ast.expr | None, role: str) -> None:
        scope = self._target(expr)
        if scope is not None:
            self.infos[scope].roles.add(role)
        elif expr is not None:
            # An imported function (`bp.post("")(create)`, `path("x", views.list)`): its
            # module cannot tell, the program can (pglint.program.entries).
            self.registered.append((expr, role))

    def _mark_resource(self, expr: ast.expr | None) -> None:
        """A class whose methods named after HTTP methods serve requests (flask-restful's
        `api.add_resource(Orders, "/orders")`, `Orders.as_view("orders")`)."""
        if isinstance(expr, ast.Call) and _last(expr.func) == "as_view":
            func = expr.func
            expr = func.value if isinstance(func, ast.Attribute) else None
        owner = self.classes.get(expr.id) if isinstance(expr, ast.Name) else None
        if owner is None:
            if expr is not None:
                self.registered.append((expr, "resource"))
            return
        for method in HTTP_METHODS:
            scope = self.members.get((id(owner), method))
            if scope is not None:
                self.infos[scope].roles.add("route")

    def _mark_each(self, expr: ast.expr, role: str) -> None:
        if isinstance(expr, ast.List | ast.Tuple):
            for element in expr.elts:
                self._mark(element, role)

    def _mark_each_depends(self, expr: ast.expr) -> None:
        if isinstance(expr, ast.List | ast.Tuple):
            for element in expr.elts:
                if isinstance(element, ast.Call) and _last(element.func) in DEPENDS:
                    self._mark_dependency(self._target(_depends_target(element)), "depends")

    def _target(self, expr: ast.expr | None) -> Scope | None:
        """The module function (or a class's `__init__`) an expression names."""
        if isinstance(expr, ast.Name):
            if expr.id in self.by_name:
                return self.by_name[expr.id]
            owner = self.classes.get(expr.id)
            if owner is not None:
                for method in ("__init__", "__call__"):
                    scope = self.members.get((id(owner), method))
                    if scope is not None:
                        return scope
        return None

    # --- dependencies ----------------------------------------------------------------------

    def _depends(self) -> None:
        """Every `Depends(f)` in the module marks f; parameters tie them to functions."""
        for site in self.facts.calls:
            call = site.node
            if _last(call.func) in DEPENDS:
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
                    and DEPENDENCY_NAMES.match(info.name)
                    and not info.node.decorator_list
                    and not info.roles
                    and not self._called(info.name)
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

    def _called(self, name: str) -> bool:
        """`get_db()` called directly (`with get_db() as db`, `repo = Repo(get_db())`):
        a factory, not a dependency — FastAPI is handed a dependency, it never calls it."""
        if self._called_names is None:
            self._called_names = {
                site.node.func.id
                for site in self.facts.calls
                if isinstance(site.node.func, ast.Name)
            }
        return name in self._called_names

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


# --- small helpers ------------------------------------------------------------------------


def _route_label(method: str, call: ast.Call) -> str:
    """`GET /todos` for `@router.get("/todos")`, `POST /items` for Flask's
    `@app.route("/items", methods=["POST"])`."""
    path = call.args[0] if call.args else _keyword(call, "path") or _keyword(call, "rule")
    where = path.value if isinstance(path, ast.Constant) and isinstance(path.value, str) else ""
    verb = method.upper()
    if method in ("route", "api_route", "view", "add_route"):
        methods = _keyword(call, "methods")
        names = [
            e.value for e in getattr(methods, "elts", ())
            if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]  # fmt: skip
        verb = "/".join(n.upper() for n in names) if names else "GET"
    elif method.startswith("websocket"):
        verb = "WEBSOCKET"
    return f"{verb} {where}".strip()


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
    if isinstance(expr, ast.Call) and _last(expr.func) in DEPENDS:
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

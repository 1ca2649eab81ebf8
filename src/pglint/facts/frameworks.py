"""What pglint knows about web frameworks, as data: the decorators, constructors and
registration calls that tell a route handler, a dependency, a startup handler, a cached
factory or an entry point from a plain function. `facts/role_finder.py` reads these."""

from __future__ import annotations

import re

from pglint.drivers import QUOTELESS_TYPES

HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "route",
     "api_route", "websocket", "websocket_route", "view", "add_route"}
)  # fmt: skip
APP_CONSTRUCTORS = frozenset(
    {"FastAPI", "APIRouter", "Starlette", "Router", "Flask", "Blueprint", "Quart",
     "Sanic", "RouteTableDef", "Application", "Litestar", "Bottle"}
)  # fmt: skip
ROUTE_OBJECTS = frozenset({"Route", "WebSocketRoute", "APIRoute", "route", "url", "path"})
AIOHTTP_ADDERS = re.compile(r"^add_(get|post|put|patch|delete|head|route|view)$")
STARTUP_DECORATORS = frozenset(
    {"on_event", "before_serving", "after_serving", "before_server_start",
     "after_server_start", "before_server_stop", "after_server_stop", "listener",
     "before_first_request", "on_startup", "on_shutdown", "startup", "shutdown"}
)  # fmt: skip
LIFECYCLE_LISTS = frozenset({"on_startup", "on_shutdown", "on_cleanup", "cleanup_ctx"})
# Hooks a framework calls around every request: they run as often as the routes do.
REQUEST_HOOKS = frozenset(
    {"before_request", "after_request", "teardown_request", "before_app_request",
     "after_app_request", "teardown_app_request", "on_request", "on_response"}
)  # fmt: skip
CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached_property", "cached", "memoize"})
CLI_DECORATORS = frozenset({"command", "group", "callback"})
FIXTURE_DECORATORS = frozenset({"fixture", "yield_fixture"})
CONTEXT_DECORATORS = frozenset({"contextmanager", "asynccontextmanager"})
FACTORY_NAMES = re.compile(r"^(create|make|build|get|init|setup)_(app|application)$|^app_factory$")
ENTRY_NAMES = frozenset({"main", "cli", "run", "_main"})
# Without a `Depends` in this module, a FastAPI module's `get_db` that the module never
# calls itself is still a dependency (used by the routers in other modules).
DEPENDENCY_NAMES = re.compile(
    r"^(get|provide)_(db|database|session|db_session|async_session|async_db|conn|connection|"
    r"db_conn|db_connection)$"
)
DEPENDS = frozenset({"Depends", "Security"})
BARE_ROUTE_FRAMEWORKS = ("litestar", "starlite", "blacksheep", "esmerald")
DJANGO_VIEW_DECORATORS = frozenset(
    {"api_view", "require_http_methods", "require_GET", "require_POST", "login_required",
     "csrf_exempt", "action"}
)  # fmt: skip
MIGRATION_FUNCTIONS = frozenset(
    {"upgrade", "downgrade", "run_migrations_online", "run_migrations_offline"}
)
# Frameworks that convert and validate a handler's (and a dependency's) parameters by
# their annotations before calling it: an `id: int` there is a number or the request
# failed with 422.
VALIDATING_FRAMEWORKS = ("fastapi", "litestar", "ninja")
# Annotations whose values cannot carry a quote once converted: the quoteless types, and
# times and pydantic's constrained numbers and UUID versions.
SCALAR_ANNOTATIONS = QUOTELESS_TYPES | frozenset(
    {"UUID1", "UUID3", "UUID4", "UUID5", "time", "timedelta", "PositiveInt", "NegativeInt",
     "NonNegativeInt", "NonPositiveInt", "StrictInt", "StrictFloat", "StrictBool",
     "PositiveFloat"}
)  # fmt: skip
# Flask and Werkzeug route converters whose values are numbers or UUIDs.
SCALAR_CONVERTERS = re.compile(r"<(?:int|float|uuid)(?:\([^)]*\))?:(\w+)>")

"""What pglint knows about database drivers, as data.

Every fact a rule needs about a driver lives here: which placeholders it accepts, how
parameters are passed, which calls create its connections, cursors, pools and sessions,
which methods take SQL and where the SQL and parameters sit. Supporting a new driver
means adding rows to these tables, not code to the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ParamsMode = Literal[
    "sequence_or_mapping",  # DB-API: one tuple/list for %s or ?, one dict for named
    "varargs",  # asyncpg: each value a separate positional argument
    "mapping",  # SQLAlchemy text(), databases: one dict
    "kwargs",  # pg8000.native run(sql, name=value)
    "none",  # the method takes SQL only
]
PlaceholderStyle = Literal["format", "pyformat", "numeric", "qmark", "named"]


@dataclass(frozen=True)
class Driver:
    name: str  # key in DRIVERS, also used in messages
    label: str  # how users call it
    is_async: bool
    styles: frozenset[str]  # placeholder styles the driver binds
    # Conversions psycopg-style drivers accept after '%' when parameters are passed;
    # None for drivers that never %-format the query text.
    percent_conversions: str | None
    positional: str  # the placeholder to suggest for the n-th value ("{n}" is replaced)
    named: str | None  # the placeholder to suggest for a named value ("{name}")
    module: str  # what to import in a suggestion
    # An embedded database (SQLite): opening a connection is a file open, not a network
    # round trip and a server process, so one per request is no pool problem.
    embedded: bool = False


_PERCENT = frozenset({"format", "pyformat"})
_SQLITE = frozenset({"qmark", "named"})
_NAMED = frozenset({"named"})


def _driver(
    name: str,
    label: str,
    styles: frozenset[str],
    positional: str,
    named: str | None,
    *,
    is_async: bool = False,
    percent: str | None = None,
    module: str | None = None,
    embedded: bool = False,
) -> Driver:
    return Driver(
        name, label, is_async, styles, percent, positional, named, module or name, embedded
    )


DRIVERS: dict[str, Driver] = {
    d.name: d
    for d in (
        _driver("psycopg2", "psycopg2", _PERCENT, "%s", "%({name})s", percent="s"),
        _driver("psycopg", "psycopg 3", _PERCENT, "%s", "%({name})s", percent="sbt"),
        _driver(
            "psycopg_async",
            "psycopg 3 (async)",
            _PERCENT,
            "%s",
            "%({name})s",
            is_async=True,
            percent="sbt",
            module="psycopg",
        ),
        _driver("aiopg", "aiopg", _PERCENT, "%s", "%({name})s", is_async=True, percent="s"),
        # pg8000's DB-API layer uses %s, but its handling of a lone % differs by version.
        _driver("pg8000", "pg8000", _PERCENT, "%s", "%({name})s"),
        _driver("django", "Django", _PERCENT, "%s", "%({name})s", percent="s"),
        _driver("asyncpg", "asyncpg", frozenset({"numeric"}), "${n}", None, is_async=True),
        _driver("sqlite3", "sqlite3", _SQLITE, "?", ":{name}", embedded=True),
        _driver("aiosqlite", "aiosqlite", _SQLITE, "?", ":{name}", is_async=True, embedded=True),
        _driver("pg8000_native", "pg8000.native", _NAMED, ":p{n}", ":{name}"),
        # `run()` of pg8000's DB-API connection binds as pg8000.native does.
        _driver("pg8000_run", "pg8000's `run()`", _NAMED, ":p{n}", ":{name}", module="pg8000"),
        # SQLAlchemy's text() binds :name whatever the driver underneath.
        _driver("sqlalchemy", "SQLAlchemy", _NAMED, ":p{n}", ":{name}"),
        _driver(
            "sqlalchemy_async",
            "SQLAlchemy (async)",
            _NAMED,
            ":p{n}",
            ":{name}",
            is_async=True,
            module="sqlalchemy",
        ),
        _driver("databases", "databases", _NAMED, ":p{n}", ":{name}", is_async=True),
    )
}

Role = Literal[
    "connection", "cursor", "pool", "engine", "session", "sessionmaker", "database", "manager",
]  # fmt: skip


@dataclass(frozen=True)
class ObjectKind:
    """A kind of object a driver hands out: a psycopg2 cursor, an asyncpg pool..."""

    driver: str
    role: str

    @property
    def info(self) -> Driver:
        return DRIVERS[self.driver]


def K(driver: str, role: str) -> ObjectKind:
    return ObjectKind(driver, role)


# Calls (by qualified name) that create driver objects.
FACTORIES: dict[str, ObjectKind] = {
    "psycopg2.connect": K("psycopg2", "connection"),
    "psycopg2.pool.SimpleConnectionPool": K("psycopg2", "pool"),
    "psycopg2.pool.ThreadedConnectionPool": K("psycopg2", "pool"),
    "psycopg.connect": K("psycopg", "connection"),
    "psycopg.Connection.connect": K("psycopg", "connection"),
    "psycopg.AsyncConnection.connect": K("psycopg_async", "connection"),
    "psycopg_pool.ConnectionPool": K("psycopg", "pool"),
    "psycopg_pool.AsyncConnectionPool": K("psycopg_async", "pool"),
    "asyncpg.connect": K("asyncpg", "connection"),
    "asyncpg.create_pool": K("asyncpg", "pool"),
    "asyncpg.pool.create_pool": K("asyncpg", "pool"),
    "aiopg.connect": K("aiopg", "connection"),
    "aiopg.create_pool": K("aiopg", "pool"),
    "pg8000.connect": K("pg8000", "connection"),
    "pg8000.dbapi.connect": K("pg8000", "connection"),
    "pg8000.native.Connection": K("pg8000_native", "connection"),
    "sqlite3.connect": K("sqlite3", "connection"),
    "aiosqlite.connect": K("aiosqlite", "connection"),
    "sqlalchemy.create_engine": K("sqlalchemy", "engine"),
    "sqlalchemy.engine.create_engine": K("sqlalchemy", "engine"),
    "sqlmodel.create_engine": K("sqlalchemy", "engine"),
    "sqlalchemy.ext.asyncio.create_async_engine": K("sqlalchemy_async", "engine"),
    "sqlalchemy.orm.sessionmaker": K("sqlalchemy", "sessionmaker"),
    "sqlalchemy.orm.scoped_session": K("sqlalchemy", "session"),
    "sqlalchemy.ext.asyncio.async_sessionmaker": K("sqlalchemy_async", "sessionmaker"),
    "sqlalchemy.orm.Session": K("sqlalchemy", "session"),
    "sqlmodel.Session": K("sqlalchemy", "session"),
    "sqlalchemy.ext.asyncio.AsyncSession": K("sqlalchemy_async", "session"),
    "sqlmodel.ext.asyncio.session.AsyncSession": K("sqlalchemy_async", "session"),
    "databases.Database": K("databases", "database"),
    # Flask-SQLAlchemy's extension object: `db.session` and `db.engine` are SQLAlchemy's.
    "flask_sqlalchemy.SQLAlchemy": K("sqlalchemy", "extension"),
}

# Attributes of driver objects that are driver objects themselves:
# (driver, role) -> attribute -> role.
ATTRIBUTE_RESULTS: dict[tuple[str, str], dict[str, str]] = {
    ("sqlalchemy", "extension"): {"session": "session", "engine": "engine"},
}
ATTRIBUTE_NAMES = frozenset(name for table in ATTRIBUTE_RESULTS.values() for name in table)

# sessionmaker(class_=AsyncSession) makes async sessions.
ASYNC_SESSION_CLASSES = frozenset(
    {"sqlalchemy.ext.asyncio.AsyncSession", "sqlmodel.ext.asyncio.session.AsyncSession"}
)

# Module-level objects that are driver objects themselves.
OBJECTS: dict[str, ObjectKind] = {
    "django.db.connection": K("django", "connection"),
    "django.db.connections": K("django", "connections"),
}

# The top-level packages FACTORIES and OBJECTS know, by the first part of a qualified name.
DRIVER_PACKAGES = frozenset(
    name.partition(".")[0] for table in (FACTORIES, OBJECTS) for name in table
)

# Types used in annotations (`conn: asyncpg.Connection`).
ANNOTATIONS: dict[str, ObjectKind] = {
    "psycopg2.extensions.connection": K("psycopg2", "connection"),
    "psycopg2.extensions.cursor": K("psycopg2", "cursor"),
    "psycopg2.extras.RealDictCursor": K("psycopg2", "cursor"),
    "psycopg2.extras.DictCursor": K("psycopg2", "cursor"),
    "psycopg.Connection": K("psycopg", "connection"),
    "psycopg.Cursor": K("psycopg", "cursor"),
    "psycopg.AsyncConnection": K("psycopg_async", "connection"),
    "psycopg.AsyncCursor": K("psycopg_async", "cursor"),
    "psycopg_pool.ConnectionPool": K("psycopg", "pool"),
    "psycopg_pool.AsyncConnectionPool": K("psycopg_async", "pool"),
    "psycopg2.pool.SimpleConnectionPool": K("psycopg2", "pool"),
    "psycopg2.pool.ThreadedConnectionPool": K("psycopg2", "pool"),
    "psycopg2.pool.AbstractConnectionPool": K("psycopg2", "pool"),
    "asyncpg.Connection": K("asyncpg", "connection"),
    "asyncpg.connection.Connection": K("asyncpg", "connection"),
    "asyncpg.Pool": K("asyncpg", "pool"),
    "asyncpg.pool.Pool": K("asyncpg", "pool"),
    "asyncpg.pool.PoolConnectionProxy": K("asyncpg", "connection"),
    "aiopg.Connection": K("aiopg", "connection"),
    "aiopg.Cursor": K("aiopg", "cursor"),
    "aiopg.Pool": K("aiopg", "pool"),
    "sqlite3.Connection": K("sqlite3", "connection"),
    "sqlite3.Cursor": K("sqlite3", "cursor"),
    "aiosqlite.Connection": K("aiosqlite", "connection"),
    "aiosqlite.Cursor": K("aiosqlite", "cursor"),
    "sqlalchemy.orm.Session": K("sqlalchemy", "session"),
    "sqlmodel.Session": K("sqlalchemy", "session"),
    "sqlalchemy.engine.Connection": K("sqlalchemy", "connection"),
    "sqlalchemy.Connection": K("sqlalchemy", "connection"),
    "sqlalchemy.engine.Engine": K("sqlalchemy", "engine"),
    "sqlalchemy.Engine": K("sqlalchemy", "engine"),
    "sqlalchemy.ext.asyncio.AsyncSession": K("sqlalchemy_async", "session"),
    "sqlmodel.ext.asyncio.session.AsyncSession": K("sqlalchemy_async", "session"),
    "sqlalchemy.ext.asyncio.AsyncConnection": K("sqlalchemy_async", "connection"),
    "sqlalchemy.ext.asyncio.AsyncEngine": K("sqlalchemy_async", "engine"),
    "databases.Database": K("databases", "database"),
}

# (driver, role, method) -> the kind of object the method returns.
_DBAPI_CONNECTION = {"cursor": "cursor"}
_SA_ENGINE = {"connect": "connection", "begin": "connection"}
_SA_SESSIONMAKER = {"__call__": "session", "begin": "session"}
_POOL_CHECKOUT = {"acquire": "connection"}

METHOD_RESULTS: dict[tuple[str, str], dict[str, str]] = {
    ("psycopg2", "connection"): _DBAPI_CONNECTION,
    ("psycopg2", "pool"): {"getconn": "connection"},
    ("psycopg", "connection"): {"cursor": "cursor", "execute": "cursor"},
    ("psycopg", "pool"): {"connection": "connection", "getconn": "connection"},
    ("psycopg_async", "connection"): {"cursor": "cursor", "execute": "cursor"},
    ("psycopg_async", "pool"): {"connection": "connection", "getconn": "connection"},
    ("asyncpg", "pool"): _POOL_CHECKOUT,
    ("aiopg", "connection"): _DBAPI_CONNECTION,
    ("aiopg", "pool"): {"acquire": "connection", "cursor": "cursor"},
    ("pg8000", "connection"): _DBAPI_CONNECTION,
    ("sqlite3", "connection"): {"cursor": "cursor", "execute": "cursor"},
    ("aiosqlite", "connection"): {"cursor": "cursor", "execute": "cursor"},
    ("django", "connection"): _DBAPI_CONNECTION,
    ("django", "connections"): {"__getitem__": "connection"},
    ("django", "manager"): dict.fromkeys(
        (
            "all",
            "filter",
            "exclude",
            "order_by",
            "annotate",
            "select_related",
            "prefetch_related",
            "using",
            "distinct",
            "values",
            "values_list",
            "get_queryset",
        ),
        "manager",
    ),
    ("sqlalchemy", "engine"): _SA_ENGINE,
    ("sqlalchemy_async", "engine"): _SA_ENGINE,
    ("sqlalchemy", "sessionmaker"): _SA_SESSIONMAKER,
    ("sqlalchemy_async", "sessionmaker"): _SA_SESSIONMAKER,
    ("sqlalchemy", "session"): {"connection": "connection"},
    ("sqlalchemy_async", "session"): {"connection": "connection"},
}


@dataclass(frozen=True)
class SqlMethod:
    """Where a SQL-taking call keeps its SQL and its parameters."""

    sql_index: int | None
    sql_keywords: tuple[str, ...]
    params_mode: ParamsMode
    params_index: int | None = None  # for sequence_or_mapping / mapping
    params_keywords: tuple[str, ...] = ()
    many: bool = False  # executemany: parameters are a sequence of rows
    # Django's `extra(where=[...])`: the SQL is a list of conditions joined with AND.
    sql_list_separator: str | None = None
    # The placeholder style comes from the driver unless the call fixes it (text()).
    driver_override: str | None = None
    # Positional arguments after the parameters that are not values (RawSQL's
    # output_field), so they are not "values passed as separate arguments".
    more_positional: int = 0
    # The text may be a table's name instead of SQL (pandas' `read_sql`, which then reads
    # the table through SQLAlchemy, quoting the name): one word is not a query.
    or_table_name: bool = False


def _m(
    mode: ParamsMode, kw: tuple[str, ...] = ("query",), pkw: tuple[str, ...] = (), **extra: object
) -> SqlMethod:
    index = 1 if mode in ("sequence_or_mapping", "mapping") else None
    return SqlMethod(0, kw, mode, index, pkw, **extra)  # type: ignore[arg-type]


_DBAPI_EXECUTE = {
    "execute": _m("sequence_or_mapping", ("query", "operation", "sql"), ("vars", "params", "args")),
    "executemany": _m(
        "sequence_or_mapping", ("query", "operation", "sql"), ("vars_list", "params_seq"),
        many=True,
    ),
}  # fmt: skip
_SQLITE_EXECUTE = {
    "execute": _m("sequence_or_mapping", ("sql",), ("parameters",)),
    "executemany": _m("sequence_or_mapping", ("sql",), ("parameters",), many=True),
    "executescript": _m("none", ("sql_script",)),
}
_ASYNCPG = {
    "execute": _m("varargs"),
    "executemany": _m("sequence_or_mapping", ("command",), ("args",), many=True),
    "fetch": _m("varargs"),
    "fetchrow": _m("varargs"),
    "fetchval": _m("varargs"),
    "fetchmany": _m("varargs"),
    "cursor": _m("varargs"),
    "prepare": _m("none"),
}
_SQLALCHEMY = {
    "execute": _m("mapping", ("statement",), ("parameters", "params")),
    "exec": _m("mapping", ("statement",), ("params",)),
    "scalar": _m("mapping", ("statement",), ("parameters", "params")),
    "scalars": _m("mapping", ("statement",), ("parameters", "params")),
    "stream": _m("mapping", ("statement",), ("parameters", "params")),
    # The driver's own paramstyle applies, and the dialect is not known statically.
    "exec_driver_sql": _m("sequence_or_mapping", ("statement",), ("parameters",)),
}
_DATABASES = {
    name: _m("mapping", ("query",), ("values",))
    for name in ("execute", "fetch_all", "fetch_one", "fetch_val", "iterate")
} | {"execute_many": _m("mapping", ("query",), ("values",), many=True)}

SQL_METHODS: dict[tuple[str, str], dict[str, SqlMethod]] = {
    ("psycopg2", "cursor"): _DBAPI_EXECUTE | {"mogrify": _DBAPI_EXECUTE["execute"]},
    ("psycopg", "cursor"): _DBAPI_EXECUTE,
    ("psycopg", "connection"): {"execute": _DBAPI_EXECUTE["execute"]},
    ("psycopg_async", "cursor"): _DBAPI_EXECUTE,
    ("psycopg_async", "connection"): {"execute": _DBAPI_EXECUTE["execute"]},
    ("aiopg", "cursor"): _DBAPI_EXECUTE,
    ("pg8000", "cursor"): _DBAPI_EXECUTE,
    # `pg8000.connect()` gives the legacy DB-API connection, whose `run(sql, **params)`
    # binds `:name` placeholders from keywords, as pg8000.native's does.
    ("pg8000", "connection"): {"run": _m("kwargs", ("sql",), driver_override="pg8000_run")},
    ("django", "cursor"): _DBAPI_EXECUTE,
    ("sqlite3", "cursor"): _SQLITE_EXECUTE,
    ("sqlite3", "connection"): _SQLITE_EXECUTE,
    ("aiosqlite", "cursor"): _SQLITE_EXECUTE,
    ("aiosqlite", "connection"): _SQLITE_EXECUTE
    | {"execute_fetchall": _m("sequence_or_mapping", ("sql",), ("parameters",))},
    ("asyncpg", "connection"): _ASYNCPG,
    ("asyncpg", "pool"): _ASYNCPG,
    ("pg8000_native", "connection"): {"run": _m("kwargs", ("sql",))},
    ("sqlalchemy", "session"): _SQLALCHEMY,
    ("sqlalchemy", "connection"): _SQLALCHEMY,
    ("sqlalchemy", "engine"): {"execute": _SQLALCHEMY["execute"]},  # SQLAlchemy 1.x
    ("sqlalchemy_async", "session"): _SQLALCHEMY,
    ("sqlalchemy_async", "connection"): _SQLALCHEMY,
    ("databases", "database"): _DATABASES,
    ("django", "manager"): {
        "raw": _m("sequence_or_mapping", ("raw_query",), ("params",)),
        "extra": SqlMethod(
            None,
            ("where",),
            "sequence_or_mapping",
            None,
            ("params",),
            sql_list_separator=" AND ",
        ),
    },
}

# Functions (by qualified name) that take SQL text.
TEXT_CONSTRUCTORS = frozenset(
    {"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "sqlmodel.text"}
)
SQL_FUNCTIONS: dict[str, SqlMethod] = (
    {
        name: SqlMethod(0, ("text",), "none", driver_override="sqlalchemy")
        for name in TEXT_CONSTRUCTORS
    }
    | {
        name: SqlMethod(
            0,
            ("sql",),
            "sequence_or_mapping",
            1,
            ("params",),
            driver_override="django",
            more_positional=1,
        )
        for name in ("django.db.models.expressions.RawSQL", "django.db.models.RawSQL")
    }
    | {
        # pandas: the placeholder style is the connection's; it is resolved from `con`.
        "pandas.read_sql": SqlMethod(
            0, ("sql",), "sequence_or_mapping", None, ("params",), or_table_name=True
        ),
        "pandas.read_sql_query": SqlMethod(0, ("sql",), "sequence_or_mapping", None, ("params",)),
    }
)
PANDAS_CONNECTION_ARG = ("con", 1)

# Method names that, on a receiver of unknown type, may still take SQL. Used only for
# the driver-independent PGL1xx rules, and only when the text looks like SQL.
GENERIC_SQL_METHODS: dict[str, SqlMethod] = {
    "execute": _DBAPI_EXECUTE["execute"],
    "executemany": _DBAPI_EXECUTE["executemany"],
    "executescript": _SQLITE_EXECUTE["executescript"],
    "mogrify": _DBAPI_EXECUTE["execute"],
    "fetch": _ASYNCPG["fetch"],
    "fetchrow": _ASYNCPG["fetchrow"],
    "fetchval": _ASYNCPG["fetchval"],
    "fetch_all": _DATABASES["fetch_all"],
    "fetch_one": _DATABASES["fetch_one"],
    "fetch_val": _DATABASES["fetch_val"],
    "exec_driver_sql": _SQLALCHEMY["exec_driver_sql"],
    "read_sql": SQL_FUNCTIONS["pandas.read_sql"],
    "read_sql_query": SQL_FUNCTIONS["pandas.read_sql_query"],
}

# Methods only one driver has: a receiver that calls them is that driver's, with less
# certainty than a traced factory.
UNIQUE_METHODS: dict[str, ObjectKind] = {
    "fetchrow": K("asyncpg", "connection"),
    "fetchval": K("asyncpg", "connection"),
    "copy_records_to_table": K("asyncpg", "connection"),
}

# Django managers: `Model.objects.raw(...)`.
DJANGO_MANAGER_ATTRIBUTES = frozenset({"objects", "_default_manager", "_base_manager"})

# Calls whose result is safe to put into SQL text: they quote identifiers or yield numbers.
# Calls whose name says they quote or escape (Django's `quote_name_unless_alias`,
# `quote_value`, ORMs' `quoter`) and Django's conventional `qn = quote_name` alias.
SANITIZER_NAME_PARTS = ("quote", "escape")
# Attributes that hold code-defined metadata, not input: Django's `Model._meta.db_table`;
# and Django's backend helpers, trusted on a `connection`: `connection.ops.quote_name`.
TRUSTED_ATTRIBUTES = frozenset({"_meta"})
TRUSTED_CONNECTION_HELPERS = frozenset({"ops", "introspection"})
# Methods of Django's model fields that return the column's SQL type, as the field class
# defines it (`Field.db_type(connection)`, documented for custom fields): metadata.
TRUSTED_METHODS = frozenset({"db_type", "rel_db_type", "cast_db_type"})

# Types whose values cannot carry a quote: numbers, booleans, UUIDs, dates (their text
# is digits, hex, `-`, `:`, `.`, `T`, `+`). A value checked to be one is safe in SQL.
QUOTELESS_TYPES = frozenset({"int", "float", "bool", "Decimal", "UUID", "date", "datetime"})

SANITIZERS = frozenset(
    {
        "int", "float", "len", "bool", "round", "abs", "hash", "ord",
        "quote_ident", "quote_name", "quote_identifier", "escape_identifier", "quote_literal",
        "escape_literal", "Identifier", "Literal", "Placeholder", "literal", "mogrify",
        "qn", "qn2",
    }
)  # fmt: skip

# Constructors whose text is the name quoted where it needs to be: `str(sa.column(name))`
# doubles the double quotes inside and wraps the name in them. Not `table()`, whose text is
# the name as given, nor `column(..., is_literal=True)` or `literal_column()`.
QUOTING_CONSTRUCTORS = frozenset(
    {"sqlalchemy.column", "sqlalchemy.sql.column", "sqlalchemy.sql.expression.column"}
)

# psycopg's composition API builds SQL safely.
COMPOSITION_MODULES = frozenset({"psycopg.sql", "psycopg2.sql", "psycopg2.extensions"})

# Methods that talk to the database, per kind of object. On an async driver's object they
# return a coroutine that does nothing until awaited (PGL503); on a sync driver's object
# they block the calling thread (PGL501). Calls that only build or configure objects
# (`cursor()` on most drivers, `session.add()`, `conn.transaction()`) are not listed.
_DBAPI_CURSOR_IO = frozenset(
    {"execute", "executemany", "fetchone", "fetchall", "fetchmany", "callproc", "scroll",
     "nextset"}
)  # fmt: skip
_SA_SESSION_IO = frozenset(
    {"execute", "exec", "scalar", "scalars", "commit", "rollback", "flush", "refresh", "get",
     "get_one", "merge", "stream", "stream_scalars", "run_sync"}
)  # fmt: skip
_SA_CONNECTION_IO = frozenset(
    {"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback", "stream",
     "stream_scalars", "run_sync"}
)  # fmt: skip
_ASYNCPG_IO = frozenset(
    {"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany", "close",
     "copy_from_table", "copy_from_query", "copy_to_table", "copy_records_to_table"}
)  # fmt: skip
IO_METHODS: dict[tuple[str, str], frozenset[str]] = {
    # sync drivers: blocking calls
    ("psycopg2", "connection"): frozenset({"commit", "rollback"}),
    ("psycopg2", "cursor"): _DBAPI_CURSOR_IO | {"copy_expert", "copy_from", "copy_to"},
    ("psycopg2", "pool"): frozenset({"getconn"}),
    ("psycopg", "connection"): frozenset({"execute", "commit", "rollback"}),
    ("psycopg", "cursor"): _DBAPI_CURSOR_IO | {"copy", "stream"},
    ("psycopg", "pool"): frozenset({"getconn", "connection", "wait", "open"}),
    ("pg8000", "connection"): frozenset({"commit", "rollback", "run"}),
    ("pg8000", "cursor"): _DBAPI_CURSOR_IO,
    ("pg8000_native", "connection"): frozenset({"run"}),
    ("sqlite3", "connection"): frozenset({"execute", "executemany", "executescript", "commit",
                                          "rollback"}),
    ("sqlite3", "cursor"): _DBAPI_CURSOR_IO | {"executescript"},
    ("django", "connection"): frozenset({"cursor"}),  # opens the connection if needed
    ("django", "cursor"): _DBAPI_CURSOR_IO,
    ("sqlalchemy", "session"): (_SA_SESSION_IO - {"run_sync", "stream", "stream_scalars"})
    | {"query", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"},
    ("sqlalchemy", "connection"): _SA_CONNECTION_IO - {"run_sync", "stream", "stream_scalars"},
    ("sqlalchemy", "engine"): frozenset({"connect", "begin", "execute", "raw_connection"}),
    # async drivers: coroutines
    ("psycopg_async", "connection"): frozenset(
        {"execute", "commit", "rollback", "close", "set_autocommit", "set_isolation_level",
         "set_read_only", "set_deferrable"}
    ),
    ("psycopg_async", "cursor"): _DBAPI_CURSOR_IO | {"close"},
    ("psycopg_async", "pool"): frozenset({"getconn", "putconn", "open", "close", "wait",
                                           "check", "resize"}),
    ("asyncpg", "connection"): _ASYNCPG_IO
    | {"prepare", "reset", "set_type_codec", "set_builtin_type_codec", "reset_type_codec",
       "add_listener", "remove_listener", "reload_schema_state"},
    ("asyncpg", "pool"): _ASYNCPG_IO | {"release", "expire_connections"},
    ("aiopg", "cursor"): _DBAPI_CURSOR_IO,
    ("aiopg", "pool"): frozenset({"wait_closed", "clear"}),
    ("aiosqlite", "connection"): frozenset(
        {"execute", "executemany", "executescript", "execute_fetchall", "execute_insert",
         "commit", "rollback", "close", "backup"}
    ),
    ("aiosqlite", "cursor"): _DBAPI_CURSOR_IO | {"executescript", "close"},
    ("sqlalchemy_async", "session"): _SA_SESSION_IO | {"close", "delete", "invalidate", "reset"},
    ("sqlalchemy_async", "connection"): _SA_CONNECTION_IO | {"close", "start", "invalidate"},
    ("sqlalchemy_async", "engine"): frozenset({"dispose"}),
    ("databases", "database"): frozenset(
        {"connect", "disconnect", "execute", "execute_many", "fetch_all", "fetch_one",
         "fetch_val"}
    ),
}  # fmt: skip
IO_METHOD_NAMES = frozenset(name for names in IO_METHODS.values() for name in names)

# Factories that open a connection (or a pool's first connections) when called: on a sync
# driver, the call blocks.
CONNECTING_ROLES = frozenset({"connection", "pool"})

# What to use instead of a sync driver inside `async def` (PGL501, PGL502).
ASYNC_EQUIVALENTS: dict[str, str] = {
    "psycopg2": "asyncpg (`await pool.fetch(...)`) or psycopg 3's `AsyncConnectionPool`",
    "psycopg": "psycopg 3's `AsyncConnection` / `AsyncConnectionPool` (`await cur.execute(...)`)",
    "pg8000": "asyncpg (`await pool.fetch(...)`)",
    "pg8000_native": "asyncpg (`await pool.fetch(...)`)",
    "sqlite3": "aiosqlite (`async with aiosqlite.connect(...) as db`)",
    "django": "Django's async ORM methods or `sync_to_async(...)`",
    "sqlalchemy": "an `AsyncSession` from `async_sessionmaker(create_async_engine(...))`",
}

# --- lifecycle: how driver objects are closed and pool checkouts returned -----------------


@dataclass(frozen=True)
class Lifecycle:
    """How a connection or session is released."""

    close: str  # the method that releases it
    awaited: bool  # `await conn.close()`
    # What `with obj:` does: True closes it; False only commits or rolls back (psycopg2,
    # sqlite3); None: no context manager, or not known.
    with_closes: bool | None


LIFECYCLE: dict[tuple[str, str], Lifecycle] = {
    ("psycopg2", "connection"): Lifecycle("close", False, False),
    ("psycopg", "connection"): Lifecycle("close", False, True),
    ("psycopg_async", "connection"): Lifecycle("close", True, True),
    ("asyncpg", "connection"): Lifecycle("close", True, None),
    ("aiopg", "connection"): Lifecycle("close", True, True),
    ("pg8000", "connection"): Lifecycle("close", False, None),
    ("pg8000_native", "connection"): Lifecycle("close", False, True),
    ("sqlite3", "connection"): Lifecycle("close", False, False),
    ("aiosqlite", "connection"): Lifecycle("close", True, True),
    ("sqlalchemy", "session"): Lifecycle("close", False, True),
    ("sqlalchemy_async", "session"): Lifecycle("close", True, True),
    ("sqlalchemy", "connection"): Lifecycle("close", False, True),
    ("sqlalchemy_async", "connection"): Lifecycle("close", True, True),
}


@dataclass(frozen=True)
class Checkout:
    """A connection borrowed from a pool, and how it goes back."""

    release: str | None  # the pool method that takes it back; None: only `with` returns it
    awaited: bool  # `await pool.release(conn)`
    # `with pool.method() as conn` gives it back. psycopg2's `with pool.getconn()` only
    # ends a transaction; psycopg 3's closes the connection instead of returning it.
    with_releases: bool = True


# (driver, "pool") -> method -> how what it hands out is returned to the pool.
POOL_CHECKOUTS: dict[tuple[str, str], dict[str, Checkout]] = {
    ("psycopg2", "pool"): {"getconn": Checkout("putconn", False, False)},
    ("psycopg", "pool"): {
        "getconn": Checkout("putconn", False, False),
        "connection": Checkout(None, False),
    },
    ("psycopg_async", "pool"): {
        "getconn": Checkout("putconn", True, False),
        "connection": Checkout(None, False),
    },
    ("asyncpg", "pool"): {"acquire": Checkout("release", True)},
    ("aiopg", "pool"): {"acquire": Checkout("release", True)},
}

# Engine methods that check a connection out of the engine's own pool.
ENGINE_CONNECTIONS = frozenset({"connect", "begin"})

# Factories whose result must be awaited (or entered with `async with`) before use.
AWAITABLE_POOL_FACTORIES = frozenset(
    {"asyncpg.create_pool", "asyncpg.pool.create_pool", "aiopg.create_pool"}
)

# Session factories imported from another module of the app: the FastAPI tutorial's names
# are conventions strong enough to know what calling them returns. Async names only.
CONVENTIONAL_SESSION_FACTORIES: dict[str, ObjectKind] = {
    "SessionLocal": K("sqlalchemy", "sessionmaker"),
    "AsyncSessionLocal": K("sqlalchemy_async", "sessionmaker"),
    "async_session": K("sqlalchemy_async", "sessionmaker"),
    "async_session_maker": K("sqlalchemy_async", "sessionmaker"),
    "AsyncSessionFactory": K("sqlalchemy_async", "sessionmaker"),
}

# URL schemes of PostgreSQL and the servers that speak its protocol (a regex alternation),
# as libpq, SQLAlchemy (`postgresql+asyncpg`), dj-database-url and django-environ
# (`pgsql`, `postgis`, `timescale`, `cockroach`) spell them: PGL601 reads passwords in
# these URLs. Other databases' URLs (`mysql://`, `mssql://`) are not pglint's to judge.
DATABASE_URL_SCHEMES = (
    r"postgres(?:ql)?|pgsql|postgis|redshift|cockroach(?:db)?|timescale(?:db|gis)?|yugabytedb"
)

# --- transactions: what commits, what rolls back, what runs in autocommit ------------------


@dataclass(frozen=True)
class Transactions:
    """How statements on a driver's connection or session become permanent."""

    # A statement outside a transaction block opens a transaction that stays open until
    # `commit()` (psycopg2, psycopg 3, pg8000, SQLAlchemy): closing the connection or
    # returning it to its pool rolls the writes back. False: each statement commits by
    # itself unless a transaction block is open (asyncpg; aiopg only works that way).
    implicit: bool
    # `with conn:` commits when the block succeeds and rolls back when it raises
    # (psycopg2, psycopg 3); False: `with` only closes (SQLAlchemy), or there is no `with`.
    with_commits: bool = False
    # Methods whose context manager is a transaction block that commits at its end:
    # `with conn.transaction()` (psycopg 3, asyncpg), `with session.begin()` (SQLAlchemy).
    blocks: frozenset[str] = frozenset()
    # `conn.autocommit = True` switches the connection to autocommit.
    autocommit_attribute: bool = False
    # What several coroutines sharing it at once get: "error" (asyncpg raises
    # InterfaceError, an AsyncSession IllegalStateChangeError), "serialized" (a lock
    # makes them take turns), None for sync objects.
    concurrent: str | None = None


_SA_BLOCKS = frozenset({"begin", "begin_nested"})
_TRANSACTION_BLOCK = frozenset({"transaction"})

TRANSACTIONS: dict[tuple[str, str], Transactions] = {
    ("psycopg2", "connection"): Transactions(True, True, autocommit_attribute=True),
    ("psycopg", "connection"): Transactions(True, True, _TRANSACTION_BLOCK, True),
    ("psycopg_async", "connection"): Transactions(
        True, True, _TRANSACTION_BLOCK, True, "serialized"
    ),
    ("pg8000", "connection"): Transactions(True, autocommit_attribute=True),
    ("asyncpg", "connection"): Transactions(False, blocks=_TRANSACTION_BLOCK, concurrent="error"),
    # Each call on a pool borrows a connection of its own: no block can hold two of them.
    ("asyncpg", "pool"): Transactions(False),
    ("aiopg", "connection"): Transactions(False, concurrent="error"),
    ("sqlalchemy", "connection"): Transactions(True, blocks=_SA_BLOCKS),
    ("sqlalchemy", "session"): Transactions(True, blocks=_SA_BLOCKS),
    ("sqlalchemy_async", "connection"): Transactions(True, blocks=_SA_BLOCKS, concurrent="error"),
    ("sqlalchemy_async", "session"): Transactions(True, blocks=_SA_BLOCKS, concurrent="error"),
}

# Acquisitions whose `with` block is one transaction, committed when the block succeeds:
# `engine.begin()`, `sessionmaker.begin()` and psycopg_pool's `pool.connection()`.
COMMITTING_ACQUISITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("sqlalchemy", "engine"): frozenset({"begin"}),
    ("sqlalchemy_async", "engine"): frozenset({"begin"}),
    ("sqlalchemy", "sessionmaker"): frozenset({"begin"}),
    ("sqlalchemy_async", "sessionmaker"): frozenset({"begin"}),
    ("psycopg", "pool"): frozenset({"connection"}),
    ("psycopg_async", "pool"): frozenset({"connection"}),
}

# Session factories whose result is one session per thread (or task), not one shared
# object, even when it is bound at module level.
SCOPED_SESSIONS = frozenset(
    {"sqlalchemy.orm.scoped_session", "sqlalchemy.ext.asyncio.async_scoped_session"}
)

# SQLAlchemy session methods that write through the unit of work, at the next flush.
SESSION_WRITES = frozenset(
    {"add", "add_all", "delete", "merge", "bulk_save_objects", "bulk_insert_mappings",
     "bulk_update_mappings"}
)  # fmt: skip
# Methods that write rows without SQL text: (driver, role) -> method -> the position of
# the table name argument.
COPY_WRITES: dict[tuple[str, str], dict[str, int]] = {
    ("asyncpg", "connection"): {"copy_records_to_table": 0, "copy_to_table": 0},
    ("asyncpg", "pool"): {"copy_records_to_table": 0, "copy_to_table": 0},
    ("psycopg2", "cursor"): {"copy_from": 1},
}
# SQLAlchemy statement constructors that write, by qualified name, and the same as
# methods of a Table (`users.insert()`).
SQLALCHEMY_WRITE_CONSTRUCTS = frozenset(
    {"sqlalchemy.insert", "sqlalchemy.update", "sqlalchemy.delete",
     "sqlalchemy.sql.insert", "sqlalchemy.sql.update", "sqlalchemy.sql.delete",
     "sqlalchemy.sql.expression.insert", "sqlalchemy.sql.expression.update",
     "sqlalchemy.sql.expression.delete", "sqlalchemy.dialects.postgresql.insert",
     "sqlmodel.insert", "sqlmodel.update", "sqlmodel.delete"}
)  # fmt: skip
TABLE_WRITE_METHODS = frozenset({"insert", "update", "delete"})
# How a connection is put in autocommit mode other than `conn.autocommit = True`:
# factory keywords (`psycopg.connect(autocommit=True)`), SQLAlchemy's isolation level
# (`create_engine(..., isolation_level="AUTOCOMMIT")`, `conn.execution_options(...)`),
# psycopg2's `set_isolation_level(ISOLATION_LEVEL_AUTOCOMMIT)` (0) and `set_session()`,
# psycopg 3's `set_autocommit()`.
AUTOCOMMIT_KEYWORD = "autocommit"
AUTOCOMMIT_LEVEL = "AUTOCOMMIT"
AUTOCOMMIT_SETTERS = frozenset({"set_autocommit", "set_session", "set_isolation_level"})

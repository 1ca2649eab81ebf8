"""Find the calls that send SQL to a database, with their driver, SQL text and parameters."""

from __future__ import annotations

import ast

from pglint.budget import check
from pglint.drivers import (
    DRIVERS,
    GENERIC_SQL_METHODS,
    PANDAS_CONNECTION_ARG,
    SQL_FUNCTIONS,
    SQL_METHODS,
    TEXT_CONSTRUCTORS,
    UNIQUE_METHODS,
    Driver,
    ObjectKind,
    SqlMethod,
)
from pglint.facts.model import CallSite, DbCall, ModuleFacts, Params, Pos
from pglint.facts.resolve import Resolver, last_name
from pglint.facts.values import SqlEvaluator

_METHOD_NAMES = frozenset(
    {name for table in SQL_METHODS.values() for name in table} | set(GENERIC_SQL_METHODS)
)
# `sa.text(...)`, `pd.read_sql(...)`: functions reached through a module attribute.
_FUNCTION_TAILS = frozenset(
    name.rpartition(".")[2] for name in (*SQL_FUNCTIONS, *TEXT_CONSTRUCTORS)
)
_CANDIDATE_ATTRIBUTES = _METHOD_NAMES | _FUNCTION_TAILS
_SCALAR_TYPES = frozenset(
    {"int", "str", "float", "bool", "UUID", "datetime", "date", "time", "Decimal", "EmailStr"}
)
_SCALAR_CALLS = frozenset({"str", "int", "float", "bool", "UUID", "Decimal", "uuid4"})
_SQLALCHEMY = frozenset({"sqlalchemy", "sqlalchemy_async"})


def find_db_calls(facts: ModuleFacts, resolver: Resolver | None = None) -> list[DbCall]:
    resolver = resolver or Resolver(facts)
    finder = _Finder(facts, resolver, SqlEvaluator(resolver))
    text_sites: list[CallSite] = []
    calls: list[DbCall] = []
    for site in facts.calls:
        func = site.node.func
        if isinstance(func, ast.Attribute) and func.attr not in _CANDIDATE_ATTRIBUTES:
            continue
        check()  # the file's budget (pglint.budget): evaluating SQL text can be long
        qual = resolver.qualname(func)
        if qual in TEXT_CONSTRUCTORS:
            text_sites.append(site)
            continue
        found = finder.function_call(site, qual) if qual in SQL_FUNCTIONS else None
        if found is None and isinstance(func, ast.Attribute):
            found = finder.method_call(site, func)
        if found is not None:
            calls.append(found)
    for site in text_sites:
        if id(site.node) not in finder.consumed:
            calls.append(finder.text_call(site))
    calls.sort(key=lambda c: (c.node.lineno, c.node.col_offset))
    return calls


class _Finder:
    def __init__(self, facts: ModuleFacts, resolver: Resolver, evaluator: SqlEvaluator) -> None:
        self.facts = facts
        self.resolver = resolver
        self.evaluator = evaluator
        self.consumed: set[int] = set()

    def method_call(self, site: CallSite, func: ast.Attribute) -> DbCall | None:
        pos = _pos(site.node)
        resolved = self.resolver.kind_of(func.value, site.scope, pos)
        kind: ObjectKind | None = None
        confidence = "unknown"
        spec: SqlMethod | None = None
        if resolved is not None:
            kind, confidence = resolved
            spec = SQL_METHODS.get((kind.driver, kind.role), {}).get(func.attr)
            if spec is None:
                return None
        elif func.attr in UNIQUE_METHODS:
            kind, confidence = UNIQUE_METHODS[func.attr], "likely"
            spec = SQL_METHODS[(kind.driver, kind.role)][func.attr]
        else:
            spec = GENERIC_SQL_METHODS.get(func.attr)
            if spec is None:
                return None
        driver = DRIVERS[kind.driver] if kind is not None else None
        if kind is not None and spec.driver_override:
            driver = DRIVERS[spec.driver_override]  # pg8000's `run()` binds `:name`
        if func.attr == "exec_driver_sql":
            driver = None  # the dialect's own paramstyle applies; unknown statically
        return self._build(site, func.attr, spec, kind, driver, confidence, sink=kind is not None)

    def function_call(self, site: CallSite, qual: str | None) -> DbCall | None:
        spec = SQL_FUNCTIONS[qual]  # type: ignore[index]
        driver: Driver | None = None
        kind: ObjectKind | None = None
        confidence = "certain"
        if spec.driver_override:
            driver = DRIVERS[spec.driver_override]
        else:  # pandas: the connection decides the placeholder style
            con = _argument(site.node, PANDAS_CONNECTION_ARG[1], (PANDAS_CONNECTION_ARG[0],))
            resolved = self.resolver.kind_of(con, site.scope, _pos(site.node)) if con else None
            if resolved is not None and resolved[0].driver not in _SQLALCHEMY:
                kind, confidence = resolved
                driver = DRIVERS[kind.driver]
            else:
                confidence = "unknown"
        name = (qual or "").rpartition(".")[2]
        return self._build(site, name, spec, kind, driver, confidence, sink=True)

    def text_call(self, site: CallSite) -> DbCall:
        spec = SQL_FUNCTIONS["sqlalchemy.text"]
        return self._build(site, "text", spec, None, DRIVERS["sqlalchemy"], "certain", sink=True)

    def _build(
        self,
        site: CallSite,
        name: str,
        spec: SqlMethod,
        kind: ObjectKind | None,
        driver: Driver | None,
        confidence: str,
        *,
        sink: bool,
    ) -> DbCall | None:
        call = site.node
        pos = _pos(call)
        sql_node = _argument(call, spec.sql_index, spec.sql_keywords)
        if sql_node is None:
            return None
        text_call = self._text_call(sql_node, site)
        if text_call is not None:
            self.consumed.add(id(text_call))
            sql_node = _argument(text_call, 0, ("text",))
            driver = DRIVERS["sqlalchemy_async" if driver and driver.is_async else "sqlalchemy"]
        elif kind is not None and kind.driver in _SQLALCHEMY and name != "exec_driver_sql":
            driver = None  # a plain string to Session.execute: SQLAlchemy 2 rejects it anyway
        if sql_node is None:
            sql = []
        elif spec.sql_list_separator is not None:
            sql = self.evaluator.evaluate_join(
                spec.sql_list_separator, sql_node, site.scope, pos, site.block
            )
        else:
            sql = self.evaluator.evaluate(sql_node, site.scope, pos, site.block)
        params = self._params(call, spec, site)
        return DbCall(
            site=site,
            name=name,
            spec=spec,
            kind=kind,
            driver=driver,
            confidence=confidence,  # type: ignore[arg-type]
            sql_node=sql_node,
            sql=sql,
            params=params,
            text_call=text_call,
            sink=sink or text_call is not None,
        )

    def _text_call(self, expr: ast.expr, site: CallSite) -> ast.Call | None:
        """The `text(...)` call an argument is, directly or through one local name."""
        if isinstance(expr, ast.Name):
            bindings = self.resolver.reaching(expr.id, site.scope, _pos(site.node))
            if len(bindings) != 1 or bindings[0].kind != "assign":
                return None
            expr = bindings[0].value  # type: ignore[assignment]
        if isinstance(expr, ast.Call) and self.resolver.qualname(expr.func) in TEXT_CONSTRUCTORS:
            return expr
        return None

    # --- parameters --------------------------------------------------------------------

    def _params(self, call: ast.Call, spec: SqlMethod, site: CallSite) -> Params:
        mode = spec.params_mode
        if mode == "none":
            return Params("absent")
        if mode == "varargs":
            first = 1 if spec.sql_index == 0 and call.args else 0
            elements = list(call.args[first:])
            return Params(
                "varargs",
                elements=elements,
                starred=any(isinstance(e, ast.Starred) for e in elements),
            )
        if mode == "kwargs":
            keys = [k.arg for k in call.keywords if k.arg not in (None, "stream", "types")]
            return Params(
                "dict",
                keys=frozenset(k for k in keys if k),
                starred=any(k.arg is None for k in call.keywords),
            )
        node = _argument(call, spec.params_index, spec.params_keywords)
        extra: list[ast.expr] = []
        if spec.params_index is not None:
            extra = list(call.args[spec.params_index + 1 + spec.more_positional :])
        if node is None:
            return Params("absent", extra_positional=extra)
        params = self._shape(node, site)
        params.arg_node = node
        params.extra_positional = extra
        params.parenthesized = not isinstance(node, ast.Tuple) and _parenthesized(self.facts, node)
        return params

    def _shape(self, node: ast.expr, site: CallSite) -> Params:
        display = node
        if isinstance(node, ast.Name):
            bindings = self.resolver.reaching(node.id, site.scope, _pos(site.node))
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value:
                value = bindings[0].value
                if isinstance(value, ast.Tuple | ast.List | ast.Dict | ast.Call):
                    display = value
        if isinstance(display, ast.Constant) and display.value is None:
            return Params("none", node=display)
        if isinstance(display, ast.Tuple | ast.List):
            return Params(
                "tuple" if isinstance(display, ast.Tuple) else "list",
                node=display,
                elements=list(display.elts),
                starred=any(isinstance(e, ast.Starred) for e in display.elts),
            )
        if isinstance(display, ast.Dict):
            keys = [k.value for k in display.keys if isinstance(k, ast.Constant)]
            complete = all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                           for k in display.keys)  # fmt: skip
            return Params(
                "dict", node=display, keys=frozenset(keys) if complete else None,
                starred=not complete,
            )  # fmt: skip
        if (
            isinstance(display, ast.Call)
            and isinstance(display.func, ast.Name)
            and display.func.id == "dict"
            and not display.args
        ):
            names = [k.arg for k in display.keywords]
            return Params(
                "dict", node=display,
                keys=frozenset(n for n in names if n) if None not in names else None,
                starred=None in names,
            )  # fmt: skip
        if self.is_scalar(node, site):
            return Params("scalar", node=node)
        return Params("unknown", node=node)

    def is_scalar(self, node: ast.expr, site: CallSite) -> bool:
        if isinstance(node, ast.Constant):
            return node.value is not None and not isinstance(node.value, bytes)
        if isinstance(node, ast.JoinedStr | ast.Attribute | ast.Subscript | ast.BinOp):
            return not isinstance(node, ast.BinOp) or _is_string_expr(node)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            return name in _SCALAR_CALLS
        if isinstance(node, ast.Name):
            bindings = self.resolver.reaching(node.id, site.scope, _pos(site.node))
            if not bindings:
                return False
            return all(self._scalar_binding(b, site) for b in bindings)
        return False

    def _scalar_binding(self, binding, site: CallSite) -> bool:
        if binding.annotation is not None:
            return last_name(binding.annotation) in _SCALAR_TYPES
        if binding.kind == "assign" and binding.value is not None:
            value = binding.value
            return isinstance(value, ast.Constant | ast.JoinedStr) and getattr(
                value, "value", "") is not None  # fmt: skip
        return False


def _is_string_expr(node: ast.BinOp) -> bool:
    parts = [node.left, node.right]
    return any(
        isinstance(p, ast.JoinedStr) or (isinstance(p, ast.Constant) and isinstance(p.value, str))
        for p in parts
    )


def _argument(call: ast.Call, index: int | None, keywords: tuple[str, ...]) -> ast.expr | None:
    if index is not None and index < len(call.args):
        arg = call.args[index]
        if any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
            return None
        return arg
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    return None


def _parenthesized(facts: ModuleFacts, node: ast.expr) -> bool:
    """`execute(q, (x))`: the parentheses around x are in the text, not in the tree."""
    source = facts.source
    text = source.text
    start = source.offset(source.start(node)) - 1
    while start >= 0 and text[start] in " \t\r\n":
        start -= 1
    if start < 0 or text[start] != "(":
        return False
    before = start - 1
    while before >= 0 and text[before] in " \t\r\n":
        before -= 1
    if before < 0 or text[before] not in ",=(":
        return False
    end = source.offset(source.end(node))
    while end < len(text) and text[end] in " \t\r\n":
        end += 1
    return end < len(text) and text[end] == ")"


def _pos(node: ast.AST) -> Pos:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))

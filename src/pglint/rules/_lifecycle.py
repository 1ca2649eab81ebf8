"""What the lifecycle rules (PGL3xx, PGL4xx) share: naming where code runs, telling a
per-request object from one stored for the whole app, and building try/finally fixes as
text edits."""

from __future__ import annotations

import ast
import os

from pglint.diagnostics import Edit, Location, Related
from pglint.facts.model import Binding, ModuleFacts, Scope
from pglint.facts.resources import Resource
from pglint.facts.roles import FunctionInfo
from pglint.program.graph import Reached
from pglint.rules._sqltext import shorten
from pglint.source import SourceText

INDENT = "    "


def describe(info: FunctionInfo, facts: ModuleFacts) -> str:
    """`route handler `list_users``, `dependency `get_db``, or `` `load`, reached from
    `GET /items` in routers/items.py through `items()` ``."""
    if info.is_endpoint:
        return f"route handler `{info.name}`"
    if info.is_dependency:
        return f"dependency `{info.name}`"
    if info.reached is None:
        return f"`{info.name}`"
    return f"`{info.name}`, reached from {reached_from(info.reached, facts)}"


def reached_from(reached: Reached, facts: ModuleFacts) -> str:
    """The route (or dependency) whose requests run the code, where it is, and the calls
    in between."""
    path, qualname, _ = reached.root
    text = f"`{reached.label}`" if reached.label else f"`{qualname}`"
    if not same_file(path, facts.filename):
        text += f" in {display_path(path)}"
    if reached.through:
        text += " through " + " → ".join(f"`{q}()`" for _, q, _ in reached.through)
    return text


def chain_locations(info: FunctionInfo) -> tuple[Related, ...]:
    """Where the route and each call in between are defined, for reports that show
    related locations (SARIF)."""
    reached = info.reached
    if reached is None or info.is_endpoint or info.is_dependency:
        return ()
    path, qualname, line = reached.root
    what = f"route `{reached.label}`" if reached.label else f"`{qualname}`"
    steps = [Related(path, Location(line, 1), f"{what} is called on every request")]
    for step_path, step, step_line in reached.through:
        steps.append(Related(step_path, Location(step_line, 1), f"then `{step}()`"))
    return tuple(steps)


def same_file(path: str, filename: str) -> bool:
    return os.path.normcase(os.path.abspath(filename)) == path


def display_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative


def where(info: FunctionInfo, facts: ModuleFacts) -> str:
    """``describe`` in a few words, for a one-line message: `route `list_users``,
    `dependency `get_db``, or the helper's name and the route that reaches it (the
    whole chain is in the finding's related locations)."""
    name = f"`{shorten(info.name, 18)}`"
    if info.is_endpoint:
        return f"route {name}"
    if info.is_dependency:
        return f"dependency {name}"
    reached = info.reached
    if reached is not None:
        root = reached.label or reached.root[1].rpartition(".")[2]
        return f"`{shorten(info.name, 16)}` via `{shorten(root, 16)}`"
    return name


def per_request_function(facts: ModuleFacts, scope: Scope) -> FunctionInfo | None:
    """The function that runs this code on every request, or None when it does not (or
    the module cannot show that it does)."""
    roles = facts.roles
    if roles is None or roles.runs_once(scope):
        return None
    info = roles.enclosing(scope)
    if info is None or not info.on_request_path:
        return None
    return info


def kept_for_the_app(facts: ModuleFacts, call: ast.Call, info: FunctionInfo) -> bool:
    """The object is stored where it outlives the request: a global, an attribute of a
    long-lived object (`app.state.pool`, `self.engine` outside a per-request class), a
    container item — created lazily, once. `request.state.x`, Flask's `g.x` and `self.x`
    in a dependency class live for one request only."""
    target = id(call)
    for bindings in facts.attribute_bindings.values():
        for binding in bindings:
            if binding.value is not None and id(_unawait(binding.value)) == target:
                if _per_request_owner(binding.node, info):
                    return False
                # `self.pool = await create_pool()` in a method a request calls: a new
                # pool each call, unless made only when there is none yet.
                return not _remade_each_call(facts, binding, info)
    for binding in facts.item_stores:
        if binding.value is not None and id(_unawait(binding.value)) == target:
            return True
    for bindings in facts.module.bindings.values():
        for binding in bindings:
            if binding.value is not None and id(_unawait(binding.value)) == target:
                return True  # `global engine; engine = create_engine(...)`
    return False


_PER_REQUEST_OBJECTS = frozenset({"request", "req", "g"})


def _remade_each_call(facts: ModuleFacts, binding: Binding, info: FunctionInfo) -> bool:
    """A method other than `__init__` that stores the object on `self` whatever it holds
    already: no `if self.pool is None:` (or early return) guards the store."""
    node = binding.node
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    stored = [t for t in targets if isinstance(t, ast.Attribute)]
    if (
        not stored
        or not (isinstance(stored[0].value, ast.Name) and stored[0].value.id == "self")
        or info.name == "__init__"
        or binding.scope.function() is not info.scope
    ):
        return False
    text = ast.unparse(stored[0])
    for block in binding.block:
        owner = facts.blocks.get(block, (None, ""))[0]
        if isinstance(owner, ast.If | ast.While) and _mentions_text(owner.test, text):
            return False
    for statement in info.node.body:
        if getattr(statement, "lineno", 0) >= binding.pos[0]:
            break
        if isinstance(statement, ast.If) and _mentions_text(statement.test, text):
            return False  # `if self.pool: return self.pool`
    # Every call of the method, in any module, comes after `if not self.pool:`.
    view = info.view
    return view is None or text not in view.get(info.scope.qualname, "guards")


def _mentions_text(expr: ast.expr, text: str) -> bool:
    return any(isinstance(n, ast.Attribute) and ast.unparse(n) == text for n in ast.walk(expr))


def _per_request_owner(node: ast.AST | None, info: FunctionInfo) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    for target in targets:
        while isinstance(target, ast.Attribute):
            target = target.value
        if isinstance(target, ast.Name):
            if target.id in _PER_REQUEST_OBJECTS:
                return True
            if target.id == "self" and (info.is_dependency or info.is_endpoint):
                return True
    return False


def _unawait(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Await) else expr


def resources_in(facts: ModuleFacts, function: Scope) -> list[Resource]:
    return [r for r in facts.resources if r.function is function]


def line_indent(source: SourceText, row: int) -> str:
    line = source.line(row)
    return line[: len(line) - len(line.lstrip())]


def starts_line(source: SourceText, node: ast.AST) -> bool:
    """Nothing but indentation before the node on its first line."""
    line = source.line(node.lineno)  # type: ignore[attr-defined]
    return not line[: source.char_col(node.lineno, node.col_offset)].strip()  # type: ignore[attr-defined]


def ends_line(source: SourceText, node: ast.AST) -> bool:
    """Nothing but a comment after the node on its last line."""
    row = node.end_lineno  # type: ignore[attr-defined]
    line = source.line(row)
    rest = line[source.char_col(row, node.end_col_offset) :].strip()  # type: ignore[attr-defined]
    return not rest or rest.startswith("#")


def whole_lines(source: SourceText, first: int, last: int) -> tuple[Location, Location]:
    """The span of rows first..last without the final line break."""
    return Location(first, 1), Location(last, len(source.line(last)) + 1)


def statement_of(body: list[ast.stmt], value: ast.expr) -> int | None:
    """Index of the top-level statement in ``body`` that is `yield value` / `return value`."""
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Yield | ast.Await):
            inner = stmt.value
            if isinstance(inner, ast.Yield) and inner.value is value:
                return index
        if isinstance(stmt, ast.Return) and stmt.value is value:
            return index
    return None


def single_line(stmts: list[ast.stmt]) -> bool:
    return all(s.lineno == s.end_lineno for s in stmts)


def reindent(source: SourceText, first: int, last: int, extra: str) -> list[str]:
    """Rows first..last with ``extra`` indentation added (blank rows stay blank)."""
    out = []
    for row in range(first, last + 1):
        line = source.line(row)
        out.append(extra + line if line.strip() else "")
    return out


def free_name(scope: Scope, preferred: tuple[str, ...]) -> str:
    for name in preferred:
        if name not in scope.bindings:
            return name
    base = preferred[0]
    number = 2
    while f"{base}{number}" in scope.bindings:
        number += 1
    return f"{base}{number}"


def yield_and_close_edit(
    source: SourceText,
    function: FunctionInfo,
    resource: Resource,
    anchor: ast.stmt,
    value: ast.expr,
) -> tuple[Edit | None, str]:
    """``anchor`` hands out ``value`` (`return db`, `yield SessionLocal()`): the edit that
    yields it inside try/finally and closes it, naming it first when it has no name;
    with the name it is yielded as."""
    if isinstance(value, ast.Name) and resource.name == value.id:
        name = value.id
        return try_finally_edit(source, function, resource, anchor, f"yield {name}", name), name
    inner = value.value if isinstance(value, ast.Await) else value
    if inner is resource.node:
        preferred = ("db", "session") if resource.kind.role == "session" else ("conn",)
        name = free_name(function.scope, preferred)
        acquire = f"{name} = {source.segment(value)}"
        edit = try_finally_edit(source, function, resource, anchor, f"yield {name}", name, acquire)
        return edit, name
    return None, resource.name or "db"


def try_finally_edit(
    source: SourceText,
    function: FunctionInfo,
    resource: Resource,
    anchor: ast.stmt,
    first_line: str,
    name: str,
    acquire_line: str | None = None,
) -> Edit | None:
    """Rewrite the statements from ``anchor`` to the end of the function body as
    ``try: <first_line, then the rest> finally: <release>``.

    Release statements already at the end of the body move into ``finally``. Returns
    None when the rewrite would not be a pure re-indentation (multi-line statements
    after the anchor, a release followed by other code, a body that is not plain).
    """
    body = function.node.body
    index = body.index(anchor)
    after = body[index + 1 :]
    statements = [anchor, *after]
    if not single_line(statements) or not starts_line(source, anchor):
        return None
    if len({stmt.lineno for stmt in statements}) != len(statements):
        return None  # `yield db; db.close()`: statements sharing a line
    if not all(ends_line(source, stmt) for stmt in statements):
        return None
    releases: list[ast.stmt] = []
    while after and _releases(after[-1], name):
        releases.insert(0, after.pop())
    if any(_releases(stmt, name) for stmt in after):
        return None
    indent = line_indent(source, anchor.lineno)
    unit = "\t" if "\t" in indent else INDENT  # never mix tabs into a tab-indented file
    last_row = body[-1].end_lineno or anchor.lineno
    lines = []
    if acquire_line is not None:
        lines.append(indent + acquire_line)
    lines.append(indent + "try:")
    # The anchor's own line keeps what follows the statement (a trailing comment).
    anchor_line = source.line(anchor.lineno)
    rest = anchor_line[source.char_col(anchor.lineno, anchor.end_col_offset or 0) :]
    lines.append(indent + unit + first_line + rest)
    if after:
        lines += reindent(source, anchor.lineno + 1, after[-1].end_lineno or anchor.lineno, unit)
    lines.append(indent + "finally:")
    if releases:
        lines += reindent(source, releases[0].lineno, last_row, unit)
    else:
        lines.append(indent + unit + resource.release_call(name))
    start, end = whole_lines(source, anchor.lineno, last_row)
    return Edit(start, end, "\n".join(lines))


def _releases(stmt: ast.stmt, name: str) -> bool:
    if not isinstance(stmt, ast.Expr):
        return False
    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
        return False
    func = value.func
    if isinstance(func.value, ast.Name) and func.value.id == name:
        return func.attr in ("close", "release", "aclose")
    return (
        func.attr in ("putconn", "release")
        and bool(value.args)
        and isinstance(value.args[0], ast.Name)
        and value.args[0].id == name
    )


def yield_location(source: SourceText, value: ast.expr) -> tuple[Location, Location]:
    """From the `yield` keyword before ``value`` to the end of the value."""
    row = value.lineno
    line = source.line(row)
    col = source.char_col(row, value.col_offset)
    at = line.rfind("yield", 0, col)
    start = Location(row, at + 1) if at >= 0 else source.start(value)
    return start, source.end(value)

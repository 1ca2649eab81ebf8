"""PGL401: a FastAPI dependency returns a session or connection instead of yielding it."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix
from pglint.facts.model import ModuleFacts
from pglint.facts.resources import Resource
from pglint.facts.roles import FunctionInfo
from pglint.rules._lifecycle import ends_line, starts_line, yield_and_close_edit
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule


def check(facts: ModuleFacts) -> Iterator[Finding]:
    roles = facts.roles
    if roles is None:
        return
    reported: set[int] = set()
    for resource in facts.resources:
        if not resource.returns:
            continue
        if resource.checkout is not None and resource.checkout.release is None:
            continue  # `return pool.connection()` hands out a context manager
        # Asked only of a function that returns what it opened: whether a `Depends(...)`
        # in the program names it is a question about the whole tree.
        info = roles.of(resource.function)
        if info is None or info.is_generator or not info.is_dependency or info.runs_once:
            continue
        for ret in resource.returns:
            if id(ret) in reported:
                continue
            reported.add(id(ret))
            yield _finding(facts, info, resource, ret)


def _finding(facts: ModuleFacts, info: FunctionInfo, resource: Resource, ret: ast.Return):
    source = facts.source
    what = "session" if resource.kind.role == "session" else "connection"
    if resource.with_item is not None:
        message = (
            f"Dependency `{shorten(info.name, 20)}` returns the {what} from inside `with`, "
            "closed before use; `yield` it"
        )
        start = source.start(ret)
        fix = None
        if starts_line(source, ret) and len(info.scope.returns) == 1:
            end = source.location(ret.lineno, ret.col_offset + len("return"))
            fix = Fix("safe", "Yield instead of return", (Edit(start, end, "yield"),))
        suggestion = "yield " + source.segment(ret.value) if ret.value is not None else None
        return Finding(start, source.end(ret), message, suggestion, fix)
    if resource.checkout is not None:
        message = (
            f"Dependency `{shorten(info.name, 20)}` returns a pool connection, never given "
            "back; yield it in try/finally"
        )
    else:
        message = (
            f"Dependency `{shorten(info.name, 20)}` returns the {what} and never closes it; "
            "yield it in try/finally"
        )
    edit, name = _rewrite(facts, info, resource, ret)
    fix = None
    suggestion = _suggestion(facts, resource, ret, name)
    if edit is not None:
        # A return annotation such as `-> Session` no longer fits a generator.
        applicability = "safe" if info.node.returns is None else "unsafe"
        fix = Fix(applicability, "Yield inside try/finally and close", (edit,))  # type: ignore[arg-type]
        suggestion = textwrap.dedent(edit.content)
    return Finding(source.start(ret), source.end(ret), message, suggestion, fix)


def _rewrite(
    facts: ModuleFacts, info: FunctionInfo, resource: Resource, ret: ast.Return
) -> tuple[Edit | None, str]:
    source = facts.source
    body = info.node.body
    value = ret.value
    if value is None or body[-1] is not ret or not ends_line(source, ret):
        return None, resource.name or "db"
    if len(info.scope.returns) != 1:
        return None, resource.name or "db"
    return yield_and_close_edit(source, info, resource, ret, value)


def _suggestion(facts: ModuleFacts, resource: Resource, ret: ast.Return, name: str) -> str:
    value = ret.value
    acquire = ""
    if value is not None and not isinstance(value, ast.Name):
        acquire = f"{name} = {facts.source.segment(value)}\n"
    return f"{acquire}try:\n    yield {name}\nfinally:\n    {resource.release_call(name)}"


RULE = Rule(
    code="PGL401",
    name="dependency-returns-session",
    summary="FastAPI dependency returns a session or connection instead of yielding it",
    what_it_does=(
        "Checks for FastAPI dependencies (functions used in `Depends(...)`, "
        "`Security(...)` or `Annotated[..., Depends(...)]`, and `get_db`-style functions "
        "in a FastAPI module) that `return` a session or connection they open."
    ),
    why_bad=(
        "FastAPI runs the code after `yield` in a dependency when the request is done; "
        'for a dependency that returns, there is no "after". The session is never '
        "closed: its connection stays checked out until the garbage collector finds it. "
        "Tests pass (they use few connections); in production the pool empties under "
        "load and requests time out with `QueuePool limit of size 5 overflow 10 "
        "reached`. Yield the session inside `try`/`finally` and close it in `finally`, "
        "or yield it inside `with SessionLocal() as db:`.\n\n"
        "A function counts as a dependency when this module passes it to `Depends` or "
        "`Security`, or when it is a FastAPI module's undecorated `get_db`, "
        "`get_session`, `get_conn` (and similar) that the module never calls itself "
        "(a function called directly, as in `with get_db() as db`, is a factory). "
        "Returning a shared engine or pool, or a context manager like psycopg_pool's "
        "`pool.connection()`, is fine. `SessionLocal` (and `AsyncSessionLocal`, "
        "`async_session`) imported from the app's own modules is taken to be the "
        "tutorial's sessionmaker."
    ),
    example=(
        "from fastapi import Depends, FastAPI\n"
        "from sqlalchemy.orm import Session\n\n"
        "from .database import SessionLocal\n\n"
        "app = FastAPI()\n\n\n"
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    return db\n\n\n"
        '@app.get("/users")\n'
        "def list_users(db: Session = Depends(get_db)):\n"
        "    return db\n"
    ),
    use_instead=(
        "from fastapi import Depends, FastAPI\n"
        "from sqlalchemy.orm import Session\n\n"
        "from .database import SessionLocal\n\n"
        "app = FastAPI()\n\n\n"
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        yield db\n"
        "    finally:\n"
        "        db.close()\n\n\n"
        '@app.get("/users")\n'
        "def list_users(db: Session = Depends(get_db)):\n"
        "    return db\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "`return db` → `try: yield db finally: db.close()`; "
        "unsafe when a return annotation must change too",
        "safe or unsafe",
    ),
    fix_safety=(
        "When the `return` is the last statement of the dependency and its only return, "
        "the fix turns it into `try: yield ... finally: <close>` (naming the value first "
        "when the `return` opens it directly); a `return` inside a `with` block that "
        "closes the session becomes `yield`. Safe when the function has no return "
        "annotation; with one (`-> Session`) the fix is unsafe, because the annotation "
        "must become `Iterator[Session]` by hand."
    ),
    see_also="PGL402 for a yielded session that is not closed in `finally`.",
    references=("https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/",),
    more_bad=(
        "from typing import Annotated\n\n"
        "from fastapi import Depends\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, "
        "create_async_engine\n\n"
        'engine = create_async_engine("postgresql+asyncpg://app@db/app")\n'
        "SessionLocal = async_sessionmaker(engine)\n\n\n"
        "async def get_session():\n"
        "    return SessionLocal()\n\n\n"
        "async def read(session: Annotated[AsyncSession, Depends(get_session)]):\n"
        "    return session\n",
    ),
    more_good=(
        "from fastapi import Depends\n"
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.orm import Session\n\n"
        'engine = create_engine("postgresql://app@db/app")\n\n\n'
        "def get_session():\n"
        "    with Session(engine) as session:\n"
        "        yield session\n\n\n"
        "def read(session: Session = Depends(get_session)):\n"
        "    return session\n",
    ),
)

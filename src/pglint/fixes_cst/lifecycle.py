"""Closing what a function opens on every path: `try`/`finally`, `async with`, and
borrowing from the app's pool instead of connecting."""

from __future__ import annotations

import libcst as cst

from pglint.diagnostics import Edit
from pglint.fixes_cst._region import (
    NotAsPlanned,
    Position,
    Region,
    parse_statement,
    replace_block,
    strip_blank_lines,
)


def try_finally(
    text: str,
    region: tuple[int, int],
    acquire: Position,
    release: Position | None,
    release_code: str,
    style: str = "try",
) -> tuple[Edit, ...]:
    """The statements after the one that acquires (at ``acquire``) go into `try`, up to
    the release statement (at ``release``, moved into `finally`), or to the end of the
    block, with ``release_code`` in `finally`.

    ``style`` "async_with": `conn = await pool.acquire()` ... `await pool.release(conn)`
    becomes `async with pool.acquire() as conn:` around the statements between."""
    found = Region(text, *region)
    block, at = found.statement(acquire)
    body = list(block.body)
    if release is not None:
        release_block, release_at = found.statement(release)
        if release_block is not block or release_at <= at:
            raise NotAsPlanned("the release is not later in the same block")
        protected, released, rest = (
            body[at + 1 : release_at],
            body[release_at],
            body[release_at + 1 :],
        )
    else:
        released = parse_statement(release_code + "\n", found.module)
        protected, rest = body[at + 1 :], []
    if not protected:
        raise NotAsPlanned("nothing between acquiring and releasing")
    blank = _leading_blank_lines(protected[0])
    protected[0] = strip_blank_lines(protected[0])
    if style == "async_with":
        replacement = [_async_with(body[at], protected, released, blank)]
        body = [*body[:at], *replacement, *rest]
    else:
        guarded = cst.Try(
            body=cst.IndentedBlock(body=protected),
            finalbody=cst.Finally(body=cst.IndentedBlock(body=[strip_blank_lines(released)])),
            leading_lines=blank,
        )
        body = [*body[: at + 1], guarded, *rest]
    return found.edits(replace_block(found.module, block, body))


def _leading_blank_lines(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    lines = []
    for line in statement.leading_lines:  # type: ignore[union-attr]
        if line.comment is not None:
            break
        lines.append(line)
    return lines


def _async_with(
    acquiring: cst.BaseStatement,
    protected: list[cst.BaseStatement],
    released: cst.BaseStatement,
    blank: list[cst.EmptyLine],
) -> cst.With:
    """`conn = await pool.acquire()` -> `async with pool.acquire() as conn:`."""
    if not isinstance(acquiring, cst.SimpleStatementLine):
        raise NotAsPlanned("the acquisition is not a simple statement")
    assign = acquiring.body[0]
    if not (
        isinstance(assign, cst.Assign)
        and len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
        and isinstance(assign.value, cst.Await)
        and isinstance(assign.value.expression, cst.Call)
    ):
        raise NotAsPlanned("not `name = await pool.acquire()`")
    if _has_comment(released):
        raise NotAsPlanned("the release carries a comment that would be lost")
    item = cst.WithItem(
        item=assign.value.expression, asname=cst.AsName(name=assign.targets[0].target)
    )
    return cst.With(
        items=[item],
        body=cst.IndentedBlock(body=protected, header=acquiring.trailing_whitespace),
        asynchronous=cst.Asynchronous(),
        leading_lines=acquiring.leading_lines,
    )


def _has_comment(statement: cst.BaseStatement) -> bool:
    if any(line.comment is not None for line in statement.leading_lines):  # type: ignore[union-attr]
        return True
    trailing = getattr(statement, "trailing_whitespace", None)
    return trailing is not None and trailing.comment is not None


def borrow_from_pool(
    text: str, region: tuple[int, int], connect: Position, pool: str, release: str
) -> tuple[Edit, ...]:
    """`with psycopg2.connect(...) as conn:` (or `with closing(psycopg2.connect(...)) as
    conn, conn:`) becomes `conn = <pool>.getconn()` and `try: with conn: ... finally:
    <release>`: the block still commits or rolls back, and the connection goes back."""
    found = Region(text, *region)
    block, at = found.statement(connect)
    statement = block.body[at]
    if not isinstance(statement, cst.With) or statement.asynchronous is not None:
        raise NotAsPlanned("not a `with` statement")
    items = list(statement.items)
    first = items[0]
    if not isinstance(first.asname, cst.AsName) or not isinstance(first.asname.name, cst.Name):
        raise NotAsPlanned("the connection has no name")
    name = first.asname.name.value
    rest = items[1:]
    call = first.item
    if isinstance(call, cst.Call) and _is_closing(call):
        if not rest or not (isinstance(rest[0].item, cst.Name) and rest[0].item.value == name):
            raise NotAsPlanned("`closing(...)` without the connection's own `with`")
        rest = rest[1:]
    inner_items = [cst.WithItem(item=cst.Name(name)), *rest]
    inner_items = [item.with_changes(comma=cst.MaybeSentinel.DEFAULT) for item in inner_items]
    inner = statement.with_changes(
        items=inner_items, leading_lines=[], lpar=cst.MaybeSentinel.DEFAULT,
        rpar=cst.MaybeSentinel.DEFAULT,
    )  # fmt: skip
    acquire = parse_statement(f"{name} = {pool}.getconn()\n", found.module)
    acquire = acquire.with_changes(leading_lines=statement.leading_lines)
    guarded = cst.Try(
        body=cst.IndentedBlock(body=[inner]),
        finalbody=cst.Finally(
            body=cst.IndentedBlock(body=[parse_statement(release + "\n", found.module)])
        ),
    )
    body = [*block.body[:at], acquire, guarded, *block.body[at + 1 :]]
    return found.edits(replace_block(found.module, block, body))


def _is_closing(call: cst.Call) -> bool:
    func = call.func
    name = (
        func.value
        if isinstance(func, cst.Name)
        else getattr(getattr(func, "attr", None), "value", None)
    )
    return name == "closing"

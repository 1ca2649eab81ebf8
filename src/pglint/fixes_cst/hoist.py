"""Moving an engine or pool out of a function to module level, created once at import."""

from __future__ import annotations

import libcst as cst

from pglint.diagnostics import Edit, Location
from pglint.fixes_cst._region import NotAsPlanned, Position, Region, replace_block


def to_module_scope(
    text: str, region: tuple[int, int], call: Position, name: str, insert_row: int,
    whole_statement: bool,
) -> tuple[Edit, ...]:  # fmt: skip
    """Create the object made by the call at ``call`` once, as module-level ``name``
    (written at ``insert_row``, before the function's top-level statement and the
    comments above it). With ``whole_statement`` the call's statement (`name = call`)
    leaves the function; otherwise the call is replaced by ``name``."""
    found = Region(text, *region)
    block, at = found.statement(call)
    if whole_statement:
        statement = block.body[at]
        if not isinstance(statement, cst.SimpleStatementLine):
            raise NotAsPlanned("not a simple statement")
        body = [*block.body[:at], *block.body[at + 1 :]]
        if not body:
            body = [cst.SimpleStatementLine(body=[cst.Pass()])]
        module = replace_block(found.module, block, body)
        moved = statement.with_changes(leading_lines=[])
    else:
        node = found.node_at(call, cst.Call)
        module = found.module.deep_replace(node, cst.Name(name))  # type: ignore[assignment]
        target = cst.AssignTarget(target=cst.Name(name))
        moved = cst.SimpleStatementLine(body=[cst.Assign(targets=[target], value=node)])  # type: ignore[arg-type]
    code = found.module.with_changes(body=[moved], header=[], footer=[]).code
    insertion = Edit(Location(insert_row, 1), Location(insert_row, 1), code + "\n\n")
    return (insertion, *found.edits(module))

"""The part of a file a structural fix parses with libcst, and the edits its new text
makes."""

from __future__ import annotations

import difflib
import itertools
from functools import cached_property

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from pglint.diagnostics import Edit, Location
from pglint.source import line_starts

Position = tuple[int, int]  # (row, column): 1-based row, 0-based character column


class NotAsPlanned(Exception):
    """The code is not what the plan describes (it changed, or libcst sees it otherwise)."""


class Region:
    """Rows ``first``..``last`` of ``text`` (whole top-level statements), parsed."""

    def __init__(self, text: str, first: int, last: int) -> None:
        starts = line_starts(text)
        if not 1 <= first <= last < len(starts):
            raise NotAsPlanned("the region is outside the file")
        self.first = first
        self.last = last
        self.code = text[starts[first - 1] : starts[last]]
        self.module = cst.parse_module(self.code)

    @cached_property
    def positions(self) -> dict[cst.CSTNode, CodeRange]:
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        return wrapper.resolve(PositionProvider)  # type: ignore[return-value]

    def local(self, position: Position) -> Position:
        return position[0] - self.first + 1, position[1]

    def statement(self, position: Position) -> tuple[cst.Module | cst.IndentedBlock, int]:
        """The innermost statement that holds ``position``: its block and its index there.
        It must be the only statement on its line(s)."""
        target = self.local(position)
        found = self._innermost(self.module, target)
        if found is None:
            raise NotAsPlanned(f"no statement at {position}")
        block, index = found
        statement = block.body[index]
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) != 1:
            raise NotAsPlanned("statements share the line")
        return block, index

    def _innermost(
        self, node: cst.CSTNode, target: Position
    ) -> tuple[cst.Module | cst.IndentedBlock, int] | None:
        for block in _blocks(node):
            for index, statement in enumerate(block.body):
                where = self.positions[statement]
                if not _within(where, target):
                    continue
                if isinstance(statement, cst.BaseCompoundStatement):
                    return self._innermost(statement, target) or (block, index)
                return block, index
        return None

    def node_at(self, position: Position, kind: type[cst.CSTNode]) -> cst.CSTNode:
        """The outermost node of ``kind`` that starts at ``position``."""
        target = self.local(position)
        found = [
            (where.end.line, where.end.column, node)
            for node, where in self.positions.items()
            if isinstance(node, kind) and (where.start.line, where.start.column) == target
        ]
        if not found:
            raise NotAsPlanned(f"no {kind.__name__} at {position}")
        return max(found, key=lambda item: item[:2])[2]

    def edits(self, module: cst.Module) -> tuple[Edit, ...]:
        """The edits that turn the region into ``module``'s code."""
        return line_edits(self.code, module.code, self.first)


def line_edits(before: str, after: str, first_row: int = 1) -> tuple[Edit, ...]:
    """Whole-line edits turning ``before`` into ``after`` (rows counted from
    ``first_row``): one per changed run of lines."""
    old = _lines(before)
    new = _lines(after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = Location(first_row + i1, 1)
        end = Location(first_row + i2, 1)
        edits.append(Edit(start, end, "".join(new[j1:j2])))
    return tuple(edits)


def _lines(text: str) -> list[str]:
    starts = line_starts(text)
    return [text[a:b] for a, b in itertools.pairwise(starts)]


def _within(where: CodeRange, target: Position) -> bool:
    start = (where.start.line, where.start.column)
    end = (where.end.line, where.end.column)
    return start <= target < end or start == target


def _blocks(node: cst.CSTNode) -> list[cst.Module | cst.IndentedBlock]:
    """The statement blocks of ``node`` itself (a module, or a compound statement's
    bodies, `else`, `except` and `finally` included), not those of statements in them."""
    if isinstance(node, cst.Module):
        return [node]
    found: list[cst.Module | cst.IndentedBlock] = []
    pending = list(node.children)
    while pending:
        child = pending.pop(0)
        if isinstance(child, cst.IndentedBlock):
            found.append(child)
        elif isinstance(child, cst.If) or not isinstance(
            child, cst.BaseStatement | cst.BaseExpression
        ):  # an `else`, `except`, `finally`, or an `elif` (part of the same statement)
            pending[:0] = child.children
    return found


def replace_block(
    module: cst.Module, block: cst.Module | cst.IndentedBlock, body: list[cst.BaseStatement]
) -> cst.Module:
    """``module`` with ``block``'s statements replaced by ``body``."""
    if block is module:
        return module.with_changes(body=body)
    return module.deep_replace(block, block.with_changes(body=body))  # type: ignore[return-value]


def strip_blank_lines(statement: cst.BaseStatement) -> cst.BaseStatement:
    """The statement without the blank lines before it (its comments stay)."""
    lines = list(statement.leading_lines)  # type: ignore[union-attr]
    while lines and lines[0].comment is None:
        lines.pop(0)
    return statement.with_changes(leading_lines=lines)


def parse_statement(code: str, module: cst.Module) -> cst.BaseStatement:
    return cst.parse_statement(code, config=module.config_for_parsing)

"""Plain data the facts pass produces and rules read."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from pglint.source import SourceText


@dataclass
class DbCall:
    node: ast.Call


@dataclass
class ModuleFacts:
    tree: ast.Module
    source: SourceText
    filename: str
    db_calls: list[DbCall] = field(default_factory=list)

"""Builds ModuleFacts in one walk."""

from __future__ import annotations

import ast

from pglint.facts.model import ModuleFacts
from pglint.source import SourceText


def build_facts(tree: ast.Module, source: SourceText, filename: str) -> ModuleFacts:
    return ModuleFacts(tree=tree, source=source, filename=filename)

"""The facts pass: one walk over a module's ``ast`` that collects what every rule reads.

The names below are imported when first used: the program layer (pglint.program) reads
the facts' model and is read by the facts' builder, and either may be imported first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["DbCall", "ModuleFacts", "build_facts", "release"]

_WHERE = {
    "DbCall": "pglint.facts.model",
    "ModuleFacts": "pglint.facts.model",
    "build_facts": "pglint.facts.builder",
    "release": "pglint.facts.builder",
}

if TYPE_CHECKING:
    from pglint.facts.builder import build_facts, release
    from pglint.facts.model import DbCall, ModuleFacts


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'pglint.facts' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

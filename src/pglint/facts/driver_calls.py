"""Find the calls that talk to the database through a driver object (PGL501, PGL503).

Only calls whose method name appears in the drivers table's ``IO_METHODS`` have their
receiver resolved, so the cost stays proportional to the candidate calls.
"""

from __future__ import annotations

import ast

from pglint.drivers import CONNECTING_ROLES, FACTORIES, IO_METHOD_NAMES, IO_METHODS
from pglint.facts.model import DriverCall, ModuleFacts
from pglint.facts.resolve import Resolver

# Last names of the connecting factories: only calls ending in one need a qualified name.
_FACTORY_TAILS = frozenset(
    name.rpartition(".")[2] for name, kind in FACTORIES.items() if kind.role in CONNECTING_ROLES
)


def find_driver_calls(facts: ModuleFacts, resolver: Resolver) -> list[DriverCall]:
    found: list[DriverCall] = []
    for site in facts.calls:
        func = site.node.func
        tail = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if tail in _FACTORY_TAILS:
            qual = resolver.qualname(func)
            kind = FACTORIES.get(qual or "")
            if kind is not None:
                found.append(DriverCall(site, qual, kind, "certain", None))  # type: ignore[arg-type]
                continue
        if not isinstance(func, ast.Attribute) or func.attr not in IO_METHOD_NAMES:
            continue
        resolved = resolver.kind_of(func.value, site.scope, _pos(site.node))
        if resolved is None:
            continue
        kind, confidence = resolved
        if func.attr in IO_METHODS.get((kind.driver, kind.role), ()):
            found.append(DriverCall(site, func.attr, kind, confidence, func.value))
    found.sort(key=lambda c: _pos(c.node))
    return found


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))

"""For the async rules: whether a function is `async def`, whether it is a web endpoint,
and which of its parameters the framework injects.

Endpoints come from the function roles of the facts pass (``facts.roles``). Injected
parameters are read here because they may name an `Annotated[..., Depends(...)]` alias
defined in this module or imported from another module of the project.
"""

from __future__ import annotations

import ast

from pglint.facts.model import Binding, ModuleFacts, Scope

_DEPENDS = frozenset({"Depends", "Security"})


def is_async(function: Scope | None) -> bool:
    return function is not None and isinstance(function.node, ast.AsyncFunctionDef)


def is_endpoint(function: Scope, facts: ModuleFacts) -> bool:
    info = facts.roles.of(function) if facts.roles is not None else None
    return info is not None and info.is_endpoint


def injected_parameters(function: Scope, facts: ModuleFacts) -> list[Binding]:
    """Parameters the framework fills through `Depends(...)` (default or `Annotated`),
    including an `Annotated` alias imported from another module of the project."""
    found = []
    for bindings in function.bindings.values():
        for binding in bindings:
            if binding.kind == "param" and (
                _is_depends(binding.value)
                or _annotated_depends(binding.annotation, function) is not None
                or _imported_alias(binding.annotation, facts)
            ):
                found.append(binding)
    found.sort(key=lambda b: b.pos)
    return found


def depends_target(binding: Binding) -> ast.expr | None:
    """The dependency a parameter names: `get_db` in `Depends(get_db)`."""
    call = binding.value if _is_depends(binding.value) else None
    if call is None:
        call = _annotated_depends(binding.annotation, binding.scope)
    if not isinstance(call, ast.Call):
        return None
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg == "dependency":
            return keyword.value
    return None


def _imported_alias(annotation: ast.expr | None, facts: ModuleFacts) -> bool:
    if isinstance(annotation, ast.Name):
        export = facts.imported.get(facts.imports.get(annotation.id, ""))
        return export is not None and export.role == "annotation"
    return False


def _is_depends(expr: ast.expr | None) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name in _DEPENDS


def _annotated_depends(
    annotation: ast.expr | None, scope: Scope, depth: int = 0
) -> ast.expr | None:
    """The `Depends(...)` in `Annotated[T, Depends(...)]`, directly or through a
    module-level alias (`SessionDep = Annotated[Session, Depends(get_db)]`)."""
    if isinstance(annotation, ast.Name) and depth < 3:
        module = scope
        while module.parent is not None:
            module = module.parent
        bindings = module.bindings.get(annotation.id, [])
        if len(bindings) == 1 and bindings[0].kind == "assign":
            return _annotated_depends(bindings[0].value, scope, depth + 1)
        return None
    if not isinstance(annotation, ast.Subscript):
        return None
    head = annotation.value
    name = head.id if isinstance(head, ast.Name) else getattr(head, "attr", None)
    if name != "Annotated" or not isinstance(annotation.slice, ast.Tuple):
        return None
    for element in annotation.slice.elts[1:]:
        if _is_depends(element):
            return element
    return None

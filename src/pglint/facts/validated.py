"""Parameters a web framework has converted before the handler runs: a FastAPI
handler's `user_id: int`, the `id` of Flask's `/users/<int:id>`. Their values are numbers
(or UUIDs, dates) whatever the request sent, so formatting them into SQL cannot inject.
Annotations bind nothing in plain Python: only where the framework enforces them."""

from __future__ import annotations

import ast

from pglint.facts.frameworks import SCALAR_ANNOTATIONS, SCALAR_CONVERTERS, VALIDATING_FRAMEWORKS
from pglint.facts.model import Binding, ModuleFacts


def converted_by_framework(facts: ModuleFacts, binding: Binding) -> bool:
    """Whether the parameter ``binding`` of a handler or dependency holds a value its
    framework converted to a scalar."""
    roles = facts.roles
    info = roles.of(binding.scope) if roles is not None else None
    if info is None or not info.roles & {"route", "dependency"}:
        return False
    label = info.route_label or ""
    if binding.name in SCALAR_CONVERTERS.findall(label):
        return True
    return _scalar(binding.annotation) and any(
        module.partition(".")[0] in VALIDATING_FRAMEWORKS for module in facts.imports.values()
    )


def _scalar(annotation: ast.expr | None) -> bool:
    """`int`, `uuid.UUID`, `int | None`, `Optional[int]`, `Annotated[int, Query(gt=0)]`."""
    if isinstance(annotation, ast.Name):
        return annotation.id in SCALAR_ANNOTATIONS
    if isinstance(annotation, ast.Attribute):
        return annotation.attr in SCALAR_ANNOTATIONS
    if isinstance(annotation, ast.Constant):
        return annotation.value is None  # the `None` of `int | None`
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _scalar(annotation.left) and _scalar(annotation.right)
    if isinstance(annotation, ast.Subscript):
        wrapper = annotation.value
        name = wrapper.attr if isinstance(wrapper, ast.Attribute) else getattr(wrapper, "id", "")
        inner = annotation.slice
        if name == "Optional":
            return _scalar(inner)
        if name == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
            return _scalar(inner.elts[0])
        if name == "Union" and isinstance(inner, ast.Tuple):
            return all(_scalar(e) for e in inner.elts)
    return False

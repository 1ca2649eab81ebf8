"""What a container holds, when the code shows it: the items a loop over it yields, the
values a subscript of it gives, the members an `in` test compares with.

A module-level table of tuples, a class-level dict, `.items()` of a literal dict, a list
built with `append` in the same function, a comprehension: each is followed back to the
expressions that make its items, and a rule asks whether those are safe. A container the
code changes where this module does not show it (a module-level list appended to inside
a function) or one built from anything else (a parameter, a call) holds unknown items.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from pglint.facts.model import Binding, Pos, Scope
from pglint.facts.resolve import Resolver

# How many items one container may show before the answer is "unknown": a literal table
# of a few thousand rows is still read, a generated one of millions is not.
_MAX_ITEMS = 5000
_MAX_DEPTH = 8
_END: Pos = (1 << 30, 0)  # a position after every statement: all of a scope's bindings
# Methods that change a container in place.
_MUTATORS = frozenset(
    {"append", "extend", "insert", "update", "add", "setdefault", "__setitem__", "__iadd__"}
)
# Calls that yield the items of their (first) argument, in some order.
_PASSING = frozenset({"sorted", "reversed", "list", "tuple", "set", "frozenset", "iter"})


@dataclass(frozen=True)
class Item:
    """One thing a container holds: an expression (read in ``scope`` at ``pos``), a tuple
    of such things (`.items()`, `enumerate`, `zip`), any one of several, or a number."""

    expr: ast.expr | None
    scope: Scope | None = None
    pos: Pos = (0, 0)
    parts: tuple[Item, ...] | None = None
    number: bool = False
    # Stands for any one of these (a key of `.items()`, a column of `zip()`).
    choices: tuple[Item, ...] | None = None


NUMBER = Item(None, number=True)
SafeCheck = Callable[[ast.expr, Scope, Pos], bool]


class Containers:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._active: set[tuple[int, str]] = set()
        self._changes: tuple[set[tuple[int, str]], set[str]] | None = None
        self._class_scopes: dict[int, Scope] | None = None

    # --- questions ---------------------------------------------------------------------

    def iterated(self, binding: Binding) -> list[Item] | None:
        """What the loop (or comprehension) variable of a "for" binding takes, or None
        when unknown."""
        path = _target_path(binding)
        if path is None or binding.value is None:
            return None
        items = self.items(binding.value, binding.scope, binding.pos, "iter")
        return None if items is None else _select_all(items, path)

    def items(self, expr: ast.expr, scope: Scope, pos: Pos, mode: str) -> list[Item] | None:
        """What iterating ``expr`` yields, which is also what `x in expr` compares with
        (mode "iter": the keys of a dict), or what ``expr[key]`` gives ("values")."""
        key = (id(expr), mode)
        if key in self._active:
            return None
        self._active.add(key)
        try:
            found = self._items(expr, scope, pos, mode, 0)
        finally:
            self._active.discard(key)
        if found is not None and len(found) > _MAX_ITEMS:
            return None
        return found

    def all_safe(self, items: list[Item] | None, safe: SafeCheck) -> bool:
        return items is not None and all(_item_safe(item, safe) for item in items)

    # --- reading containers ------------------------------------------------------------

    def _items(
        self, expr: ast.expr, scope: Scope, pos: Pos, mode: str, depth: int
    ) -> list[Item] | None:
        if depth > _MAX_DEPTH:
            return None
        depth += 1
        if isinstance(expr, ast.Dict):
            if any(k is None for k in expr.keys):
                return None  # `{**other}`
            if mode == "values":
                return [Item(v, scope, pos) for v in expr.values]
            return [Item(k, scope, pos) for k in expr.keys]  # type: ignore[misc]  # its keys
        if isinstance(expr, ast.List | ast.Tuple | ast.Set):
            found: list[Item] = []
            for element in expr.elts:
                if isinstance(element, ast.Starred):
                    inner = self._items(element.value, scope, pos, "iter", depth)
                    if inner is None:
                        return None
                    found += inner
                else:
                    found.append(Item(element, scope, pos))
            return found
        if isinstance(expr, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            return [Item(expr.elt, scope, pos)]
        if isinstance(expr, ast.DictComp):
            return [Item(expr.value if mode == "values" else expr.key, scope, pos)]
        if isinstance(expr, ast.Name):
            return self._name_items(expr, scope, pos, mode, depth)
        if isinstance(expr, ast.Attribute):
            found = self.class_attribute(expr, scope)
            return None if found is None else self._items(*found, mode, depth)
        if isinstance(expr, ast.Call):
            return self._call_items(expr, scope, pos, mode, depth)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = self._items(expr.left, scope, pos, mode, depth)
            right = self._items(expr.right, scope, pos, mode, depth)
            return None if left is None or right is None else left + right
        if isinstance(expr, ast.Subscript) and not isinstance(expr.slice, ast.Slice):
            # `TABLES[kind]` where every value of TABLES is a container.
            values = self._items(expr.value, scope, pos, "values", depth)
            return self._each(values, mode, depth)
        if isinstance(expr, ast.Subscript):  # a slice holds some of the items
            return self._items(expr.value, scope, pos, mode, depth)
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str) and mode == "iter":
            return [Item(expr, scope, pos)]  # characters of a constant: constants
        return None

    def _each(self, holders: list[Item] | None, mode: str, depth: int) -> list[Item] | None:
        if holders is None:
            return None
        found: list[Item] = []
        for holder in holders:
            if holder.expr is None or holder.scope is None:
                return None
            inner = self._items(holder.expr, holder.scope, holder.pos, mode, depth)
            if inner is None:
                return None
            found += inner
        return found

    def _name_items(
        self, name: ast.Name, scope: Scope, pos: Pos, mode: str, depth: int
    ) -> list[Item] | None:
        bindings = self.resolver.reaching(name.id, scope, pos)
        assigned = [b.value for b in bindings if b.kind == "assign"]
        if not assigned:
            return None
        if (id(bindings[0].scope), name.id) in self._changed()[0]:
            return None
        found: list[Item] = []
        for binding in bindings:
            value = binding.value
            if value is None:
                return None
            if binding.kind == "assign":
                inner = self._items(value, binding.scope, binding.pos, mode, depth)
            elif binding.kind == "append" and binding.op is None:  # `xs.append(v)`
                inner = [Item(value, binding.scope, binding.pos)]
            elif binding.kind == "append" or (  # `xs.extend(vs)`, `xs += vs`
                binding.kind == "aug" and isinstance(binding.op, ast.Add)
            ):
                inner = self._items(value, binding.scope, binding.pos, "iter", depth)
            else:
                return None
            if inner is None:
                return None
            found += inner
        # `d[key] = value` adds a key and a value; `xs[i] = value` replaces an element.
        mapping = any(_is_mapping(v) for v in assigned)
        for store in self._item_stores(name.id, bindings[0].scope):  # followed, see _changed
            subscript = store.node
            if mode == "iter" and mapping and isinstance(subscript, ast.Subscript):
                found.append(Item(subscript.slice, store.scope, store.pos))
            elif store.value is not None:
                found.append(Item(store.value, store.scope, store.pos))
        return found

    def fields(self, expr: ast.expr, scope: Scope, pos: Pos) -> dict[str, ast.expr]:
        """The constant keys of a mapping and their values, when one literal makes it
        and nothing changes it (`dict(a=x)`, `{"a": x}`, a name bound once to one)."""
        if isinstance(expr, ast.Name):
            bindings = self.resolver.reaching(expr.id, scope, pos)
            if (
                len(bindings) != 1
                or bindings[0].kind != "assign"
                or bindings[0].value is None
                or self._item_stores(expr.id, bindings[0].scope)
                or (id(bindings[0].scope), expr.id) in self._changed()[0]
            ):
                return {}
            expr = bindings[0].value
        if isinstance(expr, ast.Dict):
            return {
                k.value: v
                for k, v in zip(expr.keys, expr.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
        if isinstance(expr, ast.Call) and getattr(expr.func, "id", None) == "dict":
            return {k.arg: k.value for k in expr.keywords if k.arg is not None}
        return {}

    def _item_stores(self, name: str, scope: Scope) -> list[Binding]:
        """`name[key] = value` in the scope that binds ``name``."""
        return [
            store
            for store in self.resolver.facts.item_stores
            if isinstance(store.node, ast.Subscript)
            and isinstance(store.node.value, ast.Name)
            and store.node.value.id == name
            and store.scope is scope
        ]

    def _changed(self) -> tuple[set[tuple[int, str]], set[str]]:
        """Containers changed in ways their items are not followed through: (scope id,
        name) of names, and attribute names (`self.tables.append(x)` anywhere).

        `xs.append(v)`, `xs.extend(vs)` and `d[k] = v` in the scope that binds the name are
        followed (they are bindings or item stores); the same in another function, or
        `insert`, `update`, `add`, `setdefault` anywhere, are not."""
        if self._changes is None:
            facts = self.resolver.facts
            names: set[tuple[int, str]] = set()
            attributes: set[str] = set()
            for site in facts.calls:
                func = site.node.func
                if not isinstance(func, ast.Attribute) or func.attr not in _MUTATORS:
                    continue
                if isinstance(func.value, ast.Attribute):
                    attributes.add(func.value.attr)
                elif isinstance(func.value, ast.Name):
                    owner = self._binding_scope(func.value.id, site.scope)
                    recorded = (  # a binding the walk made (pglint.facts.builder)
                        func.attr in ("append", "extend") and site.discarded and site.node.args
                    )
                    if owner is not site.scope or not recorded:
                        names.add((id(owner), func.value.id))
            for store in facts.item_stores:
                target = store.node.value if isinstance(store.node, ast.Subscript) else None
                if isinstance(target, ast.Attribute):
                    attributes.add(target.attr)
                elif isinstance(target, ast.Name):
                    owner = self._binding_scope(target.id, store.scope)
                    if owner is not store.scope:
                        names.add((id(owner), target.id))
            self._changes = (names, attributes)
        return self._changes

    def _binding_scope(self, name: str, scope: Scope) -> Scope | None:
        """The scope a name belongs to: `xs.append(v)` alone does not make it local."""
        current: Scope | None = scope
        while current is not None:
            if name in current.globals:
                current = self.resolver.facts.module
            kinds = {b.kind for b in current.bindings.get(name, ())}
            if kinds - {"append"}:
                return current
            current = current.parent
            while current is not None and current.kind == "class":
                current = current.parent
        return None

    def class_attribute(
        self, expr: ast.Attribute, scope: Scope
    ) -> tuple[ast.expr, Scope, Pos] | None:
        """`self.X`, `cls.X` or `Class.X` bound once in the class body, never assigned
        through `self` nor changed in place: the value, the class scope and where."""
        owner = None
        if isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls"):
            function = scope.function()
            owner = function.enclosing_class if function is not None else None
        elif isinstance(expr.value, ast.Name):
            bindings = self.resolver.reaching(expr.value.id, scope, _END)
            if len(bindings) == 1 and isinstance(bindings[0].node, ast.ClassDef):
                if self._class_scopes is None:
                    self._class_scopes = {
                        id(s.node): s for s in self.resolver.facts.scopes if s.kind == "class"
                    }
                owner = self._class_scopes.get(id(bindings[0].node))
        if owner is None:
            return None
        bindings = owner.bindings.get(expr.attr, [])
        if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].value is None:
            return None
        if owner.self_bindings.get(expr.attr) or expr.attr in self._changed()[1]:
            return None
        return bindings[0].value, owner, bindings[0].pos

    def _dict_call_items(
        self, call: ast.Call, scope: Scope, pos: Pos, mode: str, depth: int
    ) -> list[Item] | None:
        """`dict(a=1, **other)`, `dict(pairs)`: its keys, or its values."""
        found: list[Item] = []
        for keyword in call.keywords:
            if keyword.arg is None:
                inner = self._items(keyword.value, scope, pos, mode, depth)
                if inner is None:
                    return None
                found += inner
            elif mode == "values":
                found.append(Item(keyword.value, scope, pos))
            else:
                found.append(Item(_key(keyword.arg, keyword), scope, pos))
        for arg in call.args:
            if not isinstance(arg, ast.Dict | ast.Name | ast.Attribute):
                return None  # `dict(zip(keys, values))`: not followed
            inner = self._items(arg, scope, pos, mode, depth)
            if inner is None:
                return None
            found += inner
        return found

    def _call_items(
        self, call: ast.Call, scope: Scope, pos: Pos, mode: str, depth: int
    ) -> list[Item] | None:
        func = call.func
        if isinstance(func, ast.Attribute) and not call.args and not call.keywords:
            if func.attr in ("keys", "values", "items"):
                if mode != "iter":
                    return None
                keys = self._items(func.value, scope, pos, "iter", depth)
                if func.attr == "keys":
                    return keys
                values = self._items(func.value, scope, pos, "values", depth)
                if func.attr == "values" or values is None or keys is None:
                    return values
                # Each key with any value: enough to ask whether all of either are safe.
                return [Item(None, parts=(_any(keys), _any(values)))]
            if func.attr in ("split", "splitlines") and isinstance(func.value, ast.Constant):
                return [Item(func.value, scope, pos)]  # pieces of a constant: constants
        if isinstance(func, ast.Name) and func.id == "dict":
            return self._dict_call_items(call, scope, pos, mode, depth)
        if self.resolver.qualname(func) == "itertools.count":
            return [NUMBER] if mode == "iter" else None
        if not isinstance(func, ast.Name) or mode != "iter":
            return None
        if func.id == "range":
            return [NUMBER]
        if func.id in _PASSING and len(call.args) == 1 and not call.keywords:
            return self._items(call.args[0], scope, pos, "iter", depth)
        if func.id == "enumerate" and call.args:
            inner = self._items(call.args[0], scope, pos, "iter", depth)
            return None if inner is None else [Item(None, parts=(NUMBER, _any(inner)))]
        if func.id == "zip" and call.args and not call.keywords:
            columns = [self._items(a, scope, pos, "iter", depth) for a in call.args]
            if any(c is None for c in columns):
                return None
            return [Item(None, parts=tuple(_any(c) for c in columns))]  # type: ignore[arg-type]
        return None


def _key(name: str, keyword: ast.keyword) -> ast.expr:
    """The key `dict(name=...)` gives, as the constant it is."""
    return ast.copy_location(ast.Constant(name), keyword)


def _is_mapping(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Dict | ast.DictComp) or (
        isinstance(value, ast.Call) and getattr(value.func, "id", None) in ("dict", "OrderedDict")
    )


def _any(items: list[Item]) -> Item:
    return items[0] if len(items) == 1 else Item(None, choices=tuple(items))


def _select_all(items: list[Item], path: tuple[int, ...]) -> list[Item] | None:
    found: list[Item] = []
    for item in items:
        chosen = _select(item, path)
        if chosen is None:
            return None
        found += chosen
    return found


def _select(item: Item, path: tuple[int, ...]) -> list[Item] | None:
    """The part of ``item`` at ``path`` (`for name, (table, cols) in ...`)."""
    if not path:
        return [item]
    if item.choices is not None:
        return _select_all(list(item.choices), path)
    index, rest = path[0], path[1:]
    if item.parts is not None:
        return _select(item.parts[index], rest) if index < len(item.parts) else None
    display = item.expr
    if isinstance(display, ast.Tuple | ast.List) and index < len(display.elts):
        if any(isinstance(e, ast.Starred) for e in display.elts):
            return None
        return _select(Item(display.elts[index], item.scope, item.pos), rest)
    if isinstance(item.expr, ast.Constant) and isinstance(item.expr.value, str):
        return [item]  # unpacking a constant string: its characters
    return None


def _item_safe(item: Item, safe: SafeCheck) -> bool:
    if item.number:
        return True
    if item.parts is not None:
        return all(_item_safe(part, safe) for part in item.parts)
    if item.choices is not None:
        return all(_item_safe(choice, safe) for choice in item.choices)
    if item.expr is None or item.scope is None:
        return False
    return safe(item.expr, item.scope, item.pos)


def _target_path(binding: Binding) -> tuple[int, ...] | None:
    """Where ``binding.name`` sits in the loop target (`for name, (a, b) in ...`): () for
    the whole item, (1, 0) for `a`."""
    node = binding.node
    target: ast.expr | None = None
    if isinstance(node, ast.For | ast.AsyncFor):
        target = node.target
    elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        target = next((g.target for g in node.generators if g.iter is binding.value), None)
    if target is None:
        return None
    return _find(target, binding.name)


def _find(target: ast.expr, name: str) -> tuple[int, ...] | None:
    if isinstance(target, ast.Name):
        return () if target.id == name else None
    if isinstance(target, ast.Tuple | ast.List):
        for i, element in enumerate(target.elts):
            if isinstance(element, ast.Starred):
                return None  # `for first, *rest in ...`: not followed
            inner = _find(element, name)
            if inner is not None:
                return (i, *inner)
    return None

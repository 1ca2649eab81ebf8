"""The one walk over a module's ``ast`` that records scopes, bindings, imports and calls.

Everything later (driver resolution, SQL text evaluation, the rules) reads what this walk
recorded; nothing walks the tree again.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from itertools import count

from pglint.budget import check
from pglint.drivers import DRIVER_PACKAGES
from pglint.facts.calls import find_db_calls
from pglint.facts.concurrency import find_shared_tasks
from pglint.facts.driver_calls import find_driver_calls
from pglint.facts.model import (
    Binding,
    Block,
    CallSite,
    ImportedNames,
    ModuleFacts,
    Scope,
    WithItem,
)
from pglint.facts.resolve import Resolver
from pglint.facts.resources import find_resources
from pglint.facts.role_finder import find_roles
from pglint.facts.transactions import find_transactions
from pglint.program import Program, apply_reverse, build_entry, local_program
from pglint.source import SourceText

_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class _Walker:
    def __init__(self, tree: ast.Module) -> None:
        self.module = Scope(tree, "module", "<module>", None)
        self.scopes: list[Scope] = [self.module]
        self.imports: dict[str, str] = {}
        self.calls: list[CallSite] = []
        self.attribute_bindings: dict[str, list[Binding]] = {}
        self._block_ids = count(1)
        self._awaited: set[int] = set()
        self._discarded: set[int] = set()
        self.blocks: dict[int, tuple[ast.AST, str]] = {}
        self.with_items: list[WithItem] = []
        self.awaited_refs: list[ast.expr] = []
        self.item_stores: list[Binding] = []
        self.star_imports: list[str] = []  # `from db import *`
        self._targets: dict[str, set[str]] = {}  # local name -> every module it names

    def run(self, tree: ast.Module) -> None:
        # An explicit stack: deeply nested expressions must not exhaust Python's recursion.
        # Children are pushed in reverse so they are visited in source order.
        stack: list[tuple[ast.AST, Scope, Block]] = [(tree, self.module, ())]
        pop, push, extend = stack.pop, stack.append, stack.extend
        dispatch, skip, attribute = _DISPATCH, _SKIP, ast.Attribute
        while stack:
            node, scope, block = pop()
            cls = node.__class__
            how = dispatch.get(cls) or _dispatch(cls)
            handler, expand, fields = how
            if handler is not None:
                children = handler(self, node, scope, block)
                if not expand:
                    children.reverse()
                    extend(children)
                    continue
            for name in fields:
                value = getattr(node, name, None)
                if value.__class__ is list:
                    for item in reversed(value):
                        while item.__class__ is attribute:
                            item = item.value
                        if item.__class__ not in skip:
                            push((item, scope, block))
                else:
                    # No handler looks at `a.b.c`: only what the chain starts from
                    # (`f().b.c`) can hold something, so the walk goes straight to it.
                    while value.__class__ is attribute:
                        value = value.value
                    if value.__class__ not in skip:
                        push((value, scope, block))
        for site in self.calls:
            site.awaited = id(site.node) in self._awaited
            site.discarded = id(site.node) in self._discarded
        self._ambiguous_imports()

    # --- statements --------------------------------------------------------------------

    def _bodies(self, node: ast.AST, scope: Scope, block: Block) -> list:
        children = []
        for name in _FIELDS_IN_ORDER.get(node.__class__) or _fields_in_order(node.__class__):
            value = getattr(node, name, None)
            if name in _BODY_FIELDS and value.__class__ is list:
                block_id = next(self._block_ids)
                self.blocks[block_id] = (node, name)
                inner = (*block, block_id)
                children.extend([(stmt, scope, inner) for stmt in value])
            elif value.__class__ is list:
                children.extend([(v, scope, block) for v in value if isinstance(v, ast.AST)])
            elif isinstance(value, ast.AST):
                children.append((value, scope, block))
        return children

    def function(self, node: ast.AST, scope: Scope, block: Block) -> list:
        assert isinstance(node, _FUNCTION_NODES)
        cls = node.__class__
        name = getattr(node, "name", "<lambda>")
        check()  # the file's budget (pglint.budget), once per function
        inner = Scope(node, "function", name, scope, cls is ast.AsyncFunctionDef)
        self.scopes.append(inner)
        outer: list = []
        if cls is not ast.Lambda:
            scope.add(Binding(name, "def", None, _pos(node), block, scope, node=node))
            for decorator in node.decorator_list:
                outer.append((decorator, scope, block))
            if node.returns is not None:
                outer.append((node.returns, scope, block))
        args = node.args
        positional = [*args.posonlyargs, *args.args] if args.posonlyargs else args.args
        defaults = args.defaults
        first_default = len(positional) - len(defaults)
        pairs = [
            (arg, defaults[i - first_default] if i >= first_default else None)
            for i, arg in enumerate(positional)
        ]
        if args.kwonlyargs:
            pairs += zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if args.vararg is not None:
            pairs.append((args.vararg, None))
        if args.kwarg is not None:
            pairs.append((args.kwarg, None))
        bindings = inner.bindings
        for arg, default in pairs:
            annotation = arg.annotation
            binding = Binding(
                arg.arg, "param", default, (arg.lineno, arg.col_offset), (), inner, annotation,
                False, None, arg,
            )  # fmt: skip
            if arg.arg in bindings:
                bindings[arg.arg].append(binding)
            else:
                bindings[arg.arg] = [binding]
            if annotation is not None:
                outer.append((annotation, scope, block))
            if default is not None:
                outer.append((default, scope, block))
        if cls is ast.Lambda:
            outer.append((node.body, inner, ()))
        else:
            outer += [(stmt, inner, ()) for stmt in node.body]
        return outer

    def class_def(self, node: ast.AST, scope: Scope, block: Block) -> list:
        assert isinstance(node, ast.ClassDef)
        scope.add(Binding(node.name, "def", None, _pos(node), block, scope, node=node))
        inner = Scope(node, "class", node.name, scope)
        self.scopes.append(inner)
        outer = [(n, scope, block) for n in (*node.decorator_list, *node.bases, *node.keywords)]
        return outer + [(stmt, inner, ()) for stmt in node.body]

    def assign(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.Assign)
        for target in node.targets:
            self._bind_target(target, node.value, scope, block, node)
        return None

    def ann_assign(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.AnnAssign)
        if isinstance(node.target, ast.Name):
            self._bind(node.target.id, "assign", node.value, scope, block, node, node.annotation)
        elif node.value is not None:
            self._bind_target(node.target, node.value, scope, block, node)
        if scope.kind == "class" and isinstance(node.target, ast.Name) and node.value is None:
            # `conn: asyncpg.Connection` in a class body types `self.conn`.
            scope.self_bindings.setdefault(node.target.id, []).append(
                Binding(
                    node.target.id, "assign", None, _pos(node), block, scope,
                    annotation=node.annotation, node=node,
                )
            )  # fmt: skip
        return None

    def aug_assign(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.AugAssign)
        if isinstance(node.target, ast.Name):
            binding = self._bind(node.target.id, "aug", node.value, scope, block, node)
            binding.op = node.op
        return None

    def for_loop(self, node: ast.AST, scope: Scope, block: Block) -> list:
        assert isinstance(node, ast.For | ast.AsyncFor)
        self._bind_loop_target(node.target, node.iter, scope, block, node)
        return self._bodies(node, scope, block)

    def with_stmt(self, node: ast.AST, scope: Scope, block: Block) -> list:
        assert isinstance(node, ast.With | ast.AsyncWith)
        for item in node.items:
            name = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
            self.with_items.append(
                WithItem(item.context_expr, name, isinstance(node, ast.AsyncWith), node, scope,
                         block)
            )  # fmt: skip
            if isinstance(item.optional_vars, ast.Name):
                binding = self._bind(
                    item.optional_vars.id, "with", item.context_expr, scope, block, node
                )
                binding.is_async = isinstance(node, ast.AsyncWith)
        return self._bodies(node, scope, block)

    def global_stmt(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.Global)
        scope.globals.update(node.names)
        return None

    def import_stmt(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.Import)
        for alias in node.names:
            if alias.asname:
                self._import(alias.asname, alias.name)
                local = alias.asname
            else:
                local = alias.name.partition(".")[0]
                self._import(local, local)
            self._bind(local, "import", None, scope, block, node)
        return None

    def import_from(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.ImportFrom)
        base = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                if scope.kind == "module":
                    self.star_imports.append(base)
                continue
            local = alias.asname or alias.name
            if node.module is None:  # `from . import x`: a module of the package
                self._import(local, "." * node.level + alias.name)
            else:
                self._import(local, f"{base}.{alias.name}" if base else alias.name)
            self._bind(local, "import", None, scope, block, node)
        return None

    def return_stmt(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.Return)
        scope.returns.append(node)
        return None

    def expr_stmt(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.Expr)
        value = node.value
        if isinstance(value, ast.Call):
            self._discarded.add(id(value))
            func = value.func
            # `parts.append(...)` builds a list that a later `" ".join(parts)` reads.
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("append", "extend")
                and isinstance(func.value, ast.Name)
                and value.args
            ):
                binding = self._bind(func.value.id, "append", value.args[0], scope, block, node)
                binding.op = ast.Add() if func.attr == "extend" else None
        return None

    # --- expressions -------------------------------------------------------------------

    def call(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.Call)
        self.calls.append(CallSite(node, scope, block))
        return None

    def await_expr(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.Await)
        if isinstance(node.value, ast.Call):
            self._awaited.add(id(node.value))
        elif isinstance(node.value, ast.Name | ast.Attribute):
            self.awaited_refs.append(node.value)
        return None

    def yield_expr(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.Yield | ast.YieldFrom)
        scope.is_generator = True
        if node.value is not None:
            scope.yields.append(node.value)
        return None

    def comprehension(self, node: ast.AST, scope: Scope, block: Block) -> None:
        # Bound in the enclosing scope (Python gives comprehensions their own): enough to
        # know that `j` in `["t%d" % j for j in range(n)]` comes from `range(n)`.
        assert isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp)
        for generator in node.generators:
            self._bind_loop_target(generator.target, generator.iter, scope, block, node)
        return None

    def named_expr(self, node: ast.AST, scope: Scope, block: Block) -> None:
        assert isinstance(node, ast.NamedExpr)
        self._bind(node.target.id, "assign", node.value, scope, block, node)
        return None

    # --- helpers -----------------------------------------------------------------------

    def _import(self, local: str, qualified: str) -> None:
        self.imports[local] = qualified
        self._targets.setdefault(local, set()).add(qualified)

    def _ambiguous_imports(self) -> None:
        """A name imported from a database driver in one place and from a module pglint
        does not know in another (`import MySQLdb as Database` in one branch, `import
        psycopg2 as Database` in the next) names no one driver: it is left unresolved
        rather than taken as the last one imported."""
        for local, targets in self._targets.items():
            if len(targets) < 2:
                continue
            known = [t.partition(".")[0] in DRIVER_PACKAGES for t in targets]
            if any(known) and not all(known):
                del self.imports[local]

    def _bind_loop_target(
        self, target: ast.expr, iterable: ast.expr, scope: Scope, block: Block, node: ast.AST
    ) -> None:
        """`for name, (a, b) in rows`: each name is a "for" binding of the iterable (where
        it sits in the target is read from ``node``); `*rest` is an unknown list."""
        if isinstance(target, ast.Name):
            self._bind(target.id, "for", iterable, scope, block, node)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._bind_loop_target(element, iterable, scope, block, node)
        elif isinstance(target, ast.Starred) and isinstance(target.value, ast.Name):
            self._bind(target.value.id, "unpack", None, scope, block, node)

    def _bind_target(
        self, target: ast.expr, value: ast.expr, scope: Scope, block: Block, node: ast.AST
    ) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, "assign", value, scope, block, node)
        elif isinstance(target, ast.Tuple | ast.List):
            same_shape = isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(
                target.elts
            )
            for i, element in enumerate(target.elts):
                if same_shape:
                    self._bind_target(element, value.elts[i], scope, block, node)  # type: ignore[attr-defined]
                elif isinstance(element, ast.Name):
                    self._bind(element.id, "unpack", None, scope, block, node)
        elif isinstance(target, ast.Attribute):
            binding = Binding(target.attr, "assign", value, _pos(node), block, scope, node=node)
            self.attribute_bindings.setdefault(target.attr, []).append(binding)
            owner = scope.enclosing_class
            if (
                owner is not None
                and isinstance(target.value, ast.Name)
                and target.value.id in ("self", "cls")
            ):
                owner.self_bindings.setdefault(target.attr, []).append(binding)
        elif isinstance(target, ast.Subscript):
            self.item_stores.append(
                Binding("[]", "assign", value, _pos(node), block, scope, node=target)
            )

    def _bind(
        self,
        name: str,
        kind: str,
        value: ast.expr | None,
        scope: Scope,
        block: Block,
        node: ast.AST,
        annotation: ast.expr | None = None,
    ) -> Binding:
        target = self.module if name in scope.globals else scope
        binding = Binding(
            name, kind, value, _pos(node), block if target is scope else (), scope,  # type: ignore[arg-type]
            annotation=annotation, node=node,
        )  # fmt: skip
        target.add(binding)
        return binding


# Nodes no handler looks at and that hold nothing a handler looks at: never pushed.
_LEAVES = frozenset(
    {ast.Name, ast.Constant, ast.alias, ast.Pass, ast.Break, ast.Continue}
    | {cls for base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
       for cls in base.__subclasses__()}
)  # fmt: skip
# What a field holds besides nodes: names, flags, counts, or nothing.
_SKIP = _LEAVES | {str, int, bool, type(None)}
# Fields that never hold a node the walk needs (always scalars, or contexts).
_SCALAR_FIELDS = frozenset(
    {"ctx", "id", "attr", "arg", "asname", "module", "level", "type_comment", "kind",
     "conversion", "is_async", "simple", "op", "rest", "kwd_attrs"}
)  # fmt: skip
_DISPATCH: dict[type, tuple] = {}
_FIELDS_IN_ORDER: dict[type, tuple[str, ...]] = {}


def _dispatch(cls: type) -> tuple:
    """How the walk treats a node type: its handler, whether the node's children are
    walked after the handler, and the fields that may hold them (last first, as they
    are pushed on a stack)."""
    fields = tuple(f for f in getattr(cls, "_fields", ()) if f not in _SCALAR_FIELDS)
    handler = _HANDLERS.get(cls)
    how = _DISPATCH[cls] = (handler, handler is None or cls in _EXPAND_AFTER, fields[::-1])
    return how


def _fields_in_order(cls: type) -> tuple[str, ...]:
    fields = _FIELDS_IN_ORDER[cls] = tuple(getattr(cls, "_fields", ()))
    return fields


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _compound(walker: _Walker, node: ast.AST, scope: Scope, block: Block) -> list:
    return walker._bodies(node, scope, block)


_HANDLERS = {
    ast.FunctionDef: _Walker.function,
    ast.AsyncFunctionDef: _Walker.function,
    ast.Lambda: _Walker.function,
    ast.ClassDef: _Walker.class_def,
    ast.Assign: _Walker.assign,
    ast.AnnAssign: _Walker.ann_assign,
    ast.AugAssign: _Walker.aug_assign,
    ast.For: _Walker.for_loop,
    ast.AsyncFor: _Walker.for_loop,
    ast.With: _Walker.with_stmt,
    ast.AsyncWith: _Walker.with_stmt,
    ast.If: _compound,
    ast.While: _compound,
    ast.Try: _compound,
    ast.ExceptHandler: _compound,
    ast.Global: _Walker.global_stmt,
    ast.Import: _Walker.import_stmt,
    ast.ImportFrom: _Walker.import_from,
    ast.Return: _Walker.return_stmt,
    ast.Expr: _Walker.expr_stmt,
    ast.Call: _Walker.call,
    ast.Await: _Walker.await_expr,
    ast.Yield: _Walker.yield_expr,
    ast.YieldFrom: _Walker.yield_expr,
    ast.NamedExpr: _Walker.named_expr,
    ast.ListComp: _Walker.comprehension,
    ast.SetComp: _Walker.comprehension,
    ast.GeneratorExp: _Walker.comprehension,
    ast.DictComp: _Walker.comprehension,
}
if hasattr(ast, "TryStar"):
    _HANDLERS[ast.TryStar] = _compound
if hasattr(ast, "Match"):
    _HANDLERS[ast.Match] = _compound
    _HANDLERS[ast.match_case] = _compound
# Handlers that only record: the node's children are then walked as usual. The others
# return the children to walk, each with its scope and block.
_EXPAND_AFTER = frozenset(
    {ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Global, ast.Import, ast.ImportFrom,
     ast.Return, ast.Expr, ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr,
     ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp}
)  # fmt: skip


def build_facts(
    tree: ast.Module,
    source: SourceText,
    filename: str,
    imported: ImportedNames | None = None,
    program: Program | None = None,
) -> ModuleFacts:
    """The facts of one module; ``imported`` is what the modules it imports provide,
    ``program`` what the rest of the program says of its functions."""
    facts = walk(tree, source, filename)
    resolve_calls(facts, imported or {}, program)
    return facts


def walk(tree: ast.Module, source: SourceText, filename: str) -> ModuleFacts:
    """The walk alone: scopes, bindings, imports and call sites, no driver resolution."""
    walker = _Walker(tree)
    walker.run(tree)
    facts = ModuleFacts(
        tree=tree,
        source=source,
        filename=filename,
        module=walker.module,
        imports=walker.imports,
        scopes=walker.scopes,
        calls=walker.calls,
        attribute_bindings=walker.attribute_bindings,
    )
    facts.blocks = walker.blocks
    facts.with_items = walker.with_items
    facts.awaited_refs = walker.awaited_refs
    facts.item_stores = walker.item_stores
    facts.star_imports = walker.star_imports
    facts.roles = find_roles(facts)  # decorators, calls and names: no driver resolution
    return facts


def resolve_calls(
    facts: ModuleFacts,
    imported: ImportedNames,
    program: Program | None = None,
    path: str | None = None,
    in_project: Callable[[str], bool] | None = None,
) -> None:
    """Resolve drivers over the walked facts, with what imported modules provide and
    what the program says of the module's functions (``program``; without it, what the
    module says of them itself).

    Runs again (without a new parse or walk) when a project run learns more imports.
    """
    facts.imported = imported
    facts.reverse = None
    resolver = Resolver.of(facts)
    entry = facts.entry = build_entry(facts, resolver, in_project)
    where = path or os.path.normcase(os.path.abspath(facts.filename))
    if program is not None:
        program = program.with_module(where, entry)
    apply_reverse(facts, program or local_program(where, entry), where)
    resolver = Resolver.of(facts)  # anew: the program may give parameters a driver
    facts.db_calls = find_db_calls(facts, resolver)
    facts.driver_calls = find_driver_calls(facts, resolver)
    facts.resources = find_resources(facts)
    facts.transactions = find_transactions(facts)
    facts.shared_tasks = find_shared_tasks(facts)


def release(facts: ModuleFacts) -> None:
    """Break the reference cycles of facts no rule will read again (a binding points at
    its scope, which lists the binding; the shared resolver points back at the facts),
    so that they are freed at once rather than left to the cyclic garbage collector,
    whose passes over them cost a file about as much as a rule does."""
    for scope in facts.scopes:
        scope.bindings = {}
        scope.self_bindings = {}
    facts.__dict__.pop("_shared_resolver", None)
    facts.__dict__.pop("_references", None)

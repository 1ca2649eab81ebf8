"""Follow the SQL argument of a call back to the text it is built from.

The result is one or more ``SqlText`` variants (an ``if`` may build the query two ways),
each a list of pieces: constant text, and interpolated expressions marked safe when
nothing from outside the program can reach them (literals, module constants, numbers,
placeholder lists, quoting functions, a module's own quoting of names and strings).
"""

from __future__ import annotations

import ast
import re
import string
from dataclasses import replace
from itertools import product

from pglint.facts.flow import MAX_VARIANTS as _MAX_VARIANTS
from pglint.facts.flow import is_prefix, reaching_definitions
from pglint.facts.model import Block, Piece, Pos, Scope, SqlText
from pglint.facts.quoting import doubles
from pglint.facts.resolve import Resolver
from pglint.facts.safety import Safety, is_numeric, numeric_hint, repeated_element, says_quoted

_MAX_DEPTH = 10
_PERCENT_SPEC = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?([a-zA-Z%])")
# printf conversions that raise unless given a number (`%c` takes a one-char string).
_NUMERIC_PERCENT = frozenset("diouxXeEfFgG")
_TEXT_METHODS = frozenset({"strip", "lstrip", "rstrip", "upper", "lower", "replace"})
_DEDENT = frozenset({"dedent", "cleandoc"})

Variant = tuple[tuple[Piece, ...], bool]  # pieces, exact


class SqlEvaluator:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.safety = Safety(resolver)
        self._active: set[int] = set()

    # --- public ------------------------------------------------------------------------

    def evaluate(self, expr: ast.expr, scope: Scope, pos: Pos, block: Block) -> list[SqlText]:
        variants = self._eval(expr, scope, pos, block, 0)
        if variants is None:
            return []
        return [SqlText(list(pieces), exact) for pieces, exact in variants]

    def evaluate_join(
        self, separator: str, items: ast.expr, scope: Scope, pos: Pos, block: Block
    ) -> list[SqlText]:
        """The text of `separator.join(items)`, for APIs that take SQL as a list."""
        variants = self._join(separator, items, scope, pos, block, 0)
        return [SqlText(list(pieces), exact) for pieces, exact in variants]

    def is_safe(
        self, expr: ast.expr, scope: Scope, pos: Pos, depth: int = 0, block: Block | None = None
    ) -> bool:
        """Whether ``expr`` can carry no text from outside the program (pglint.facts.safety)."""
        return self.safety.is_safe(expr, scope, pos, depth, block)

    # --- evaluation --------------------------------------------------------------------

    def _eval(
        self, expr: ast.expr, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> list[Variant] | None:
        """Variants of the text ``expr`` evaluates to; None when it is not text at all."""
        if depth > _MAX_DEPTH or id(expr) in self._active:
            return [self._hole(expr, scope, pos, block, depth)]
        self._active.add(id(expr))
        try:
            return self._eval_inner(expr, scope, pos, block, depth + 1)
        finally:
            self._active.discard(id(expr))

    def _eval_inner(
        self, expr: ast.expr, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> list[Variant] | None:
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):
                return [((Piece(expr.value, origin=expr),), True)]
            return None
        if isinstance(expr, ast.JoinedStr):
            return self._fstring(expr, scope, pos, block, depth)
        if isinstance(expr, ast.BinOp):
            return self._binop(expr, scope, pos, block, depth)
        if isinstance(expr, ast.Call):
            return self._call(expr, scope, pos, block, depth)
        if isinstance(expr, ast.Name):
            return self._name(expr, scope, pos, block, depth)
        if isinstance(expr, ast.IfExp):
            body = self._eval(expr.body, scope, pos, block, depth)
            orelse = self._eval(expr.orelse, scope, pos, block, depth)
            if body is None or orelse is None:
                return [self._hole(expr, scope, pos, block, depth)]
            return (body + orelse)[:_MAX_VARIANTS]
        if isinstance(expr, ast.Attribute):
            found = self.safety.containers.class_attribute(expr, scope)
            if found is not None and isinstance(found[0], ast.Constant):
                return self._eval(found[0], scope, pos, block, depth)
        return [self._hole(expr, scope, pos, block, depth)]

    def _hole(
        self,
        expr: ast.expr,
        scope: Scope,
        pos: Pos,
        block: Block,
        depth: int,
        numeric: bool = False,
        *,
        formatted: bool = False,
    ) -> Variant:
        if numeric:
            # `%d`, `{:.2f}`: formatting raises unless the value is a number, and a
            # number cannot carry a quote or a placeholder.
            return (Piece(None, expr, safe=True, hint="0", formatted=True),), True
        safe = self.is_safe(expr, scope, pos, depth, block)
        hint = numeric_hint(expr) if safe else None
        piece = Piece(None, expr, safe, hint, formatted=formatted, doubled=_doubled_quote(expr))
        # A number keeps the text exact: it cannot add or hide a placeholder.
        return (piece,), hint is not None

    def _fstring(
        self, expr: ast.JoinedStr, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> list[Variant]:
        result: list[Variant] = [((), True)]
        for value in expr.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                part: list[Variant] = [((Piece(value.value),), True)]
            elif isinstance(value, ast.FormattedValue):
                inner = None
                if value.conversion == -1 and value.format_spec is None:
                    # `{where}` where `where` is itself built text: follow it.
                    inner = self._eval(value.value, scope, pos, block, depth)
                if inner is None:
                    numeric = value.conversion == -1 and _numeric_spec(
                        _constant_spec(value.format_spec)
                    )
                    plain = value.conversion == -1 and value.format_spec is None
                    part = [
                        self._hole(
                            value.value, scope, pos, block, depth, numeric, formatted=not plain
                        )
                    ]
                elif _is_constant(inner) and isinstance(value.value, ast.Name | ast.Attribute):
                    # `{TABLE}`: keep the name with the text, so suggestions can keep it too.
                    text = "".join(p.text or "" for p in inner[0][0])
                    part = [((Piece(text, value.value),), True)]
                else:
                    part = [(tuple(_unanchor(p) for p in ps), ex) for ps, ex in inner]
            else:
                continue
            result = _concat(result, part)
        return result

    def _binop(
        self, expr: ast.BinOp, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> list[Variant] | None:
        if is_numeric(expr):  # `n + 1`: a number, or the statement raises
            return [self._hole(expr, scope, pos, block, depth)]
        if isinstance(expr.op, ast.Add):
            left = self._eval(expr.left, scope, pos, block, depth)
            right = self._eval(expr.right, scope, pos, block, depth)
            if left is None and right is None:
                return None
            if left is None or (_only_holes(left) and _looks_non_text(expr.left)):
                left = [self._hole(expr.left, scope, pos, block, depth)]
            if right is None:
                right = [self._hole(expr.right, scope, pos, block, depth)]
            return _concat(left, right)
        if isinstance(expr.op, ast.Mod):
            template = self._constant_text(expr.left, scope, pos, depth)
            if template is None:
                return None
            return [self._percent_format(template, expr.right, scope, pos, block, depth)]
        if isinstance(expr.op, ast.Mult):
            return [self._hole(expr, scope, pos, block, depth)]
        return None

    def _percent_format(
        self, template: str, args: ast.expr, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> Variant:
        values = args.elts if isinstance(args, ast.Tuple) else None
        mapping = _dict_items(args)
        pieces: list[Piece] = []
        exact = True
        last = 0
        index = 0
        for match in _PERCENT_SPEC.finditer(template):
            pieces.append(Piece(template[last : match.start()]))
            last = match.end()
            if match.group(2) == "%":
                pieces.append(Piece("%"))
                continue
            key = match.group(1)
            if key is not None and mapping is not None and key in mapping:
                arg = mapping[key]
            elif key is None and values is not None and index < len(values):
                arg = values[index]
            else:
                arg = args
            index += 1
            plain = match.group(0) in ("%s", f"%({key})s") and (
                arg is not args or (values is None and mapping is None)
            )
            numeric = match.group(2) in _NUMERIC_PERCENT
            hole = self._hole(arg, scope, pos, block, depth, numeric, formatted=not plain)
            pieces.extend(hole[0])
            exact = exact and hole[1]
        pieces.append(Piece(template[last:]))
        return tuple(p for p in pieces if p.text != ""), exact

    def _call(
        self, call: ast.Call, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> list[Variant] | None:
        func = call.func
        if isinstance(func, ast.Attribute):
            if func.attr == "format":
                template = self._constant_text(func.value, scope, pos, depth)
                if template is not None:
                    return [self._str_format(template, call, scope, pos, block, depth)]
            elif func.attr == "join" and len(call.args) == 1:
                separator = self._constant_text(func.value, scope, pos, depth)
                if separator is not None:
                    return self._join(separator, call.args[0], scope, pos, block, depth)
            elif func.attr in _TEXT_METHODS or func.attr in _DEDENT:
                target = call.args[0] if func.attr in _DEDENT and call.args else func.value
                inner = self._eval(target, scope, pos, block, depth)
                if inner is not None:
                    # A replace, or a strip of given characters, may undo what a replace did.
                    changes_quotes = func.attr == "replace" or bool(call.args)
                    changes = {"doubled": _doubled_quote(call)} if changes_quotes else {}
                    return [
                        (tuple(_unanchor(p, **changes) for p in pieces), exact)
                        for pieces, exact in inner
                    ]
        if isinstance(func, ast.Name) and func.id in _DEDENT and call.args:
            inner = self._eval(call.args[0], scope, pos, block, depth)
            if inner is not None:
                return [(tuple(_unanchor(p) for p in pieces), exact) for pieces, exact in inner]
        if isinstance(func, ast.Name) and func.id == "str" and len(call.args) == 1:
            return self._eval(call.args[0], scope, pos, block, depth)
        return [self._hole(call, scope, pos, block, depth)]

    def _str_format(
        self, template: str, call: ast.Call, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> Variant:
        keywords: dict[str, ast.expr] = {}
        for keyword in call.keywords:
            if keyword.arg is not None:
                keywords[keyword.arg] = keyword.value
            else:  # `.format(**fields)`: the fields of a mapping the module writes
                keywords.update(self.safety.containers.fields(keyword.value, scope, pos))
        pieces: list[Piece] = []
        exact = True
        auto = 0
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            return self._hole(call, scope, pos, block, depth)
        for literal, field, spec, conversion in parsed:
            if literal:
                pieces.append(Piece(literal))
            if field is None:
                continue
            head = re.split(r"[.\[]", field, maxsplit=1)[0]
            arg: ast.expr | None
            if head == "":
                arg = call.args[auto] if auto < len(call.args) else None
                auto += 1
            elif head.isdecimal():
                # As str.format reads it: decimal digits only ("{²}" is a keyword), and
                # an index too long for the interpreter fails the call (arg None).
                digits = head.lstrip("0") or "0"
                i = int(digits) if len(digits) < 19 else len(call.args)
                arg = call.args[i] if i < len(call.args) else None
            else:
                arg = keywords.get(head)
            numeric = arg is not None and conversion is None and _numeric_spec(spec)
            plain = arg is not None and not spec and conversion is None and field == head
            if arg is not None and field != head and says_quoted(re.split(r"[.\[]", field)[-1]):
                # `"{0.table_quoted}".format(self)`: the field read is what the name says.
                pieces.append(Piece(None, arg, safe=True, formatted=True))
                continue
            shown = arg if arg is not None else call
            hole = self._hole(shown, scope, pos, block, depth, numeric, formatted=not plain)
            pieces.extend(hole[0])
            exact = exact and hole[1]
        return tuple(pieces), exact

    def _join(
        self, separator: str, items: ast.expr, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> list[Variant]:
        elements = self._list_elements(items, scope, pos)
        if elements is None:
            element = repeated_element(items)
            if element is not None:
                text = self._constant_text(element, scope, pos, depth)
                if text is not None:
                    # `", ".join(["%s"] * len(ids))`: safe text, unknown count.
                    return [((Piece(None, items, safe=True, hint=text, formatted=True),), False)]
                inner = self._eval(element, scope, pos, block, depth)
                if inner is not None:
                    return [(pieces, False) for pieces, _ in inner]
            # `", ".join(names)`: safe when every item is, whatever the name itself is.
            safe = self.safety.items_safe(items, scope, pos, depth, block)
            return [((Piece(None, items, safe, formatted=True),), False)]
        result: list[Variant] = [((), True)]
        for i, element in enumerate(elements):
            if i:
                result = _concat(result, [((Piece(separator),), True)])
            evaluated = self._eval(element, scope, pos, block, depth)
            result = _concat(result, evaluated or [self._hole(element, scope, pos, block, depth)])
        return result

    def _list_elements(self, items: ast.expr, scope: Scope, pos: Pos) -> list[ast.expr] | None:
        if isinstance(items, ast.List | ast.Tuple):
            if any(isinstance(e, ast.Starred) for e in items.elts):
                return None
            return list(items.elts)
        if not isinstance(items, ast.Name):
            return None
        bindings = self.resolver.reaching(items.id, scope, pos)
        elements: list[ast.expr] = []
        starts = [b for b in bindings if b.kind == "assign"]
        if len(starts) != 1 or not isinstance(starts[0].value, ast.List | ast.Tuple):
            return None
        for binding in bindings:
            if binding.kind == "assign":
                elements.extend(binding.value.elts)  # type: ignore[union-attr]
            elif binding.kind == "append" and binding.value is not None:
                if binding.op is None:
                    elements.append(binding.value)
                elif isinstance(binding.value, ast.List | ast.Tuple):
                    elements.extend(binding.value.elts)
                else:
                    return None
            elif binding.kind == "aug" and isinstance(binding.value, ast.List | ast.Tuple):
                elements.extend(binding.value.elts)
            else:
                return None
        return elements

    def _name(
        self, name: ast.Name, scope: Scope, pos: Pos, block: Block, depth: int
    ) -> list[Variant] | None:
        bindings = self.resolver.reaching(name.id, scope, pos)
        starts = [b for b in bindings if b.kind != "aug" and b.kind != "append"]
        if not starts:
            return [self._hole(name, scope, pos, block, depth)]
        chosen = reaching_definitions(starts, block)
        variants: list[Variant] = []
        for start in chosen:
            if start.kind != "assign" or start.value is None:
                variants.append(self._hole(name, scope, pos, block, depth))
                continue
            value = self._eval(start.value, start.scope, start.pos, start.block, depth)
            if value is None:
                return None
            value = [_named_hole(name, v) for v in value]
            augs = [b for b in bindings if b.kind == "aug" and b.pos > start.pos]
            for aug in augs:
                if not isinstance(aug.op, ast.Add) or aug.value is None:
                    continue
                added = self._eval(aug.value, aug.scope, aug.pos, aug.block, depth)
                added = added or [self._hole(aug.value, aug.scope, aug.pos, aug.block, depth)]
                conditional = not is_prefix(aug.block, block)
                value = _concat(value, added)
                if conditional:
                    value = [(pieces, False) for pieces, _ in value]
            variants.extend(value)
        if len(chosen) > 1:
            variants = [(pieces, False) for pieces, _ in variants]
        return variants[:_MAX_VARIANTS]

    def _constant_text(self, expr: ast.expr, scope: Scope, pos: Pos, depth: int) -> str | None:
        """The text of ``expr`` when it is one fully known string."""
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if not isinstance(expr, ast.Name | ast.Attribute | ast.BinOp | ast.JoinedStr):
            return None
        if isinstance(expr, ast.Name) and not self._is_constant_name(expr, scope, pos):
            return None
        variants = self._eval(expr, scope, pos, (), depth)
        if not variants or len(variants) != 1:
            return None
        pieces, exact = variants[0]
        if not exact or any(p.text is None for p in pieces):
            return None
        return "".join(p.text for p in pieces if p.text is not None)

    def _is_constant_name(self, name: ast.Name, scope: Scope, pos: Pos) -> bool:
        bindings = self.resolver.reaching(name.id, scope, pos)
        return bool(bindings) and all(
            b.kind == "assign" and isinstance(b.value, ast.Constant | ast.JoinedStr | ast.BinOp)
            for b in bindings
        )


def _concat(left: list[Variant], right: list[Variant]) -> list[Variant]:
    out: list[Variant] = []
    for (lp, le), (rp, re_) in product(left, right):
        out.append((lp + rp, le and re_))
        if len(out) >= _MAX_VARIANTS:
            break
    return out


def _is_constant(variants: list[Variant]) -> bool:
    return len(variants) == 1 and variants[0][1] and all(p.text is not None for p in variants[0][0])


def _only_holes(variants: list[Variant]) -> bool:
    return all(all(p.text is None for p in pieces) for pieces, _ in variants)


def _looks_non_text(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and not isinstance(expr.value, str)


def _named_hole(name: ast.Name, variant: Variant) -> Variant:
    """`name = input()`: an opaque value is referred to by its name, as the SQL wrote it,
    so messages and fixes say `name` (and a fix never calls `input()` a second time)."""
    pieces, exact = variant
    if len(pieces) == 1 and pieces[0].text is None:
        return (replace(pieces[0], expr=name),), exact
    return variant


def _unanchor(piece: Piece, **changes: object) -> Piece:
    """The piece, no longer tied to the literal it was read from (a method changed its
    text), with ``changes`` made."""
    if piece.origin is None and not changes:
        return piece
    return replace(piece, origin=None, origin_offset=0, **changes)  # type: ignore[arg-type]


def _doubled_quote(expr: ast.expr) -> str | None:
    """The quote ``expr`` doubles (`x.replace("'", "''")`, maybe then `.strip()`ped or
    `.upper()`ed), if any."""
    while (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in _TEXT_METHODS
        and expr.func.attr != "replace"
        and not expr.args
    ):
        expr = expr.func.value
    return next((q for q in ("'", '"') if doubles(expr, q)), None)


def _dict_items(expr: ast.expr) -> dict[str, ast.expr] | None:
    if not isinstance(expr, ast.Dict):
        return None
    items: dict[str, ast.expr] = {}
    for key, value in zip(expr.keys, expr.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            items[key.value] = value
    return items


def _numeric_spec(spec: str | None) -> bool:
    """A format spec whose presentation type only numbers accept: `d`, `.2f`, `,`."""
    return bool(spec) and spec[-1] in "bdoxXneEfFgG%"


def _constant_spec(spec: ast.expr | None) -> str | None:
    if isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values):
        return "".join(str(v.value) for v in spec.values)  # type: ignore[attr-defined]
    return None

"""The rule registry: every module in this package named ``pglNNN_<slug>`` defines ``RULE``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from pglint.rules.base import CODE_PATTERN, Finding, Rule

__all__ = ["Finding", "Rule", "all_rules", "get_rule", "off_by_default"]


@cache
def all_rules() -> tuple[Rule, ...]:
    rules: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("pgl"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule: Rule = module.RULE
        if not CODE_PATTERN.match(rule.code):
            raise RuntimeError(f"{info.name}: malformed rule code {rule.code!r}")
        if not info.name.startswith(rule.code.lower() + "_"):
            raise RuntimeError(f"{info.name}: module name does not start with {rule.code}")
        if not rule.default_enabled and not rule.opinionated:
            raise RuntimeError(f"{rule.code} is off by default but does not say why")
        if rule.code in rules:
            raise RuntimeError(f"duplicate rule code {rule.code}")
        rules[rule.code] = rule
    return tuple(sorted(rules.values(), key=lambda r: r.code))


@cache
def off_by_default() -> frozenset[str]:
    """Codes that run only when a selector names them or their family."""
    return frozenset(rule.code for rule in all_rules() if not rule.default_enabled)


def get_rule(code: str) -> Rule | None:
    code = code.strip().upper()
    for rule in all_rules():
        if rule.code == code or rule.name == code.lower():
            return rule
    return None

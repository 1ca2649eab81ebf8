"""The facts pass: one walk over a module's ``ast`` that collects what every rule reads."""

from pglint.facts.builder import build_facts, release
from pglint.facts.model import DbCall, ModuleFacts

__all__ = ["DbCall", "ModuleFacts", "build_facts", "release"]

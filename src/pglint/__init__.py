"""pglint: finds the PostgreSQL mistakes AI assistants write into Python code.

The public names are imported when first used: `import pglint.cli` (every run of the
command) must not pay for the analysis a `--help` or a `pglint rule` never needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "Diagnostic": "pglint.diagnostics",
    "Edit": "pglint.diagnostics",
    "Fix": "pglint.diagnostics",
    "Location": "pglint.diagnostics",
    "LintResult": "pglint.engine",
    "lint_paths": "pglint.engine",
    "lint_source": "pglint.engine",
    "Settings": "pglint.settings",
}

__all__ = [
    "Diagnostic",
    "Edit",
    "Fix",
    "LintResult",
    "Location",
    "Settings",
    "__version__",
    "lint_paths",
    "lint_source",
]

if TYPE_CHECKING:
    from pglint.diagnostics import Diagnostic, Edit, Fix, Location
    from pglint.engine import LintResult, lint_paths, lint_source
    from pglint.settings import Settings


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'pglint' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

"""pglint: finds the PostgreSQL mistakes AI assistants write into Python code."""

from pglint.diagnostics import Diagnostic, Edit, Fix, Location
from pglint.engine import LintResult, lint_paths, lint_source
from pglint.settings import Settings

__version__ = "0.1.0"

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

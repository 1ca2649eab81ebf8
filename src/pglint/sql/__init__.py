"""PostgreSQL text as pglint sees it: tokens, placeholders and interpolation positions."""

from pglint.sql.detect import looks_like_sql
from pglint.sql.lexer import HOLE, Token, tokenize
from pglint.sql.placeholders import Placeholder, find_placeholders, stray_percents
from pglint.sql.positions import HoleContext, classify_holes

__all__ = [
    "HOLE",
    "HoleContext",
    "Placeholder",
    "Token",
    "classify_holes",
    "find_placeholders",
    "looks_like_sql",
    "stray_percents",
    "tokenize",
]

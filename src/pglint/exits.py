"""The exit codes of `pglint check`, as ruff's: 0 nothing found (or everything fixed), 1
findings remain, 2 a usage, configuration or internal error, or a file that could not be
read or written."""

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

"""What the editor has open, as pglint reads it: a Python file, or a notebook whose cells
the editor syncs one by one (LSP 3.17 notebook documents)."""

from __future__ import annotations

import json

from lsprotocol import types

from pglint.notebooks import Notebook

PYTHON_LANGUAGES = ("python",)


def notebook_from_cells(cells: list[tuple[bool, str]]) -> Notebook:
    """A notebook as `pglint check` reads an `.ipynb` file, from its cells in order:
    (whether it is a Python code cell, its text). Markdown cells and cells in another
    language count in the numbering, as editors number cells, and are not analysed."""
    data = {
        "cells": [
            {
                "cell_type": "code" if is_code else "markdown",
                "metadata": {},
                "source": text,
                **({"execution_count": None, "outputs": []} if is_code else {}),
            }
            for is_code, text in cells
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return Notebook(json.dumps(data))


def is_python_cell(cell: types.NotebookCell, language: str | None) -> bool:
    return cell.kind == types.NotebookCellKind.Code and (language or "python") in PYTHON_LANGUAGES

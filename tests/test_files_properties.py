"""Every file pglint reads besides Python source can be malformed: notebooks, configuration,
baselines and caches, generated here as valid documents with parts replaced by values of
any other shape, cut short, nested deep, or not text at all.

The properties: reading one never raises anything but the documented error (a notebook's
per-file error, ``ConfigError``, ``BaselineError``; a cache is silently started afresh),
what is read is usable by the code after it, and standard input under `--fix` always
comes back.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXABLE, INJECTION
from pglint import __version__, baseline
from pglint.cache import Cache
from pglint.checking import Run
from pglint.config import ConfigError, load_config
from pglint.engine import LintResult, lint_source
from pglint.fixes import SAFE
from pglint.notebooks import NotebookResult, fix_notebook, lint_notebook, read_notebook
from pglint.settings import Settings

pytestmark = pytest.mark.slow

SETTINGS = Settings(max_file_seconds=None)
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def replaced(draw, document: object) -> object:
    """``document`` with one value somewhere in it replaced by any JSON value."""
    if isinstance(document, dict) and document and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(document)))
        return {**document, key: draw(replaced(document[key]))}
    if isinstance(document, list) and document and draw(st.booleans()):
        i = draw(st.integers(0, len(document) - 1))
        return [*document[:i], draw(replaced(document[i])), *document[i + 1 :]]
    return draw(JSON)


@st.composite
def damaged_text(draw, document: object) -> bytes:
    """A document as JSON text, whole, with one part of another shape, cut short, nested
    deep, or bytes that are not UTF-8."""
    how = draw(st.sampled_from(["replaced", "cut", "nested", "bytes", "whole"]))
    if how == "replaced":
        return json.dumps(draw(replaced(document))).encode()
    text = json.dumps(document)
    if how == "cut":
        return text[: draw(st.integers(0, len(text)))].encode()
    if how == "nested":
        depth = draw(st.sampled_from([10, 500, 1_000, 5_000]))
        return ("[" * depth + text + "]" * depth).encode()
    if how == "bytes":
        return draw(st.binary(max_size=64))
    return text.encode()


# --- notebooks ---------------------------------------------------------------------------


def cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": source.splitlines(keepends=True)}  # fmt: skip


NOTEBOOK = {
    "cells": [cell(INJECTION), {"cell_type": "markdown", "metadata": {}, "source": ["# x"]},
              cell(FIXABLE)],
    "metadata": {"kernelspec": {"language": "python", "name": "python3"},
                 "language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}  # fmt: skip


@EXAMPLES
@given(damaged_text(NOTEBOOK))
def test_a_malformed_notebook_is_its_own_error(data):
    result = lint_notebook(data, "nb.ipynb", SETTINGS)
    assert isinstance(result, NotebookResult)
    if result.error is not None:
        assert result.error.startswith("not a valid notebook") or "nbformat 3" in result.error
        return
    assert all(d.code != "PGL000" for d in result.diagnostics), result.diagnostics
    for d in result.diagnostics:  # every finding maps back to a cell
        if result.cells is not None and result.cells.first_rows:
            result.cells.cell_location(d.location)
    notebook = read_notebook(data)
    fix_notebook(notebook, "nb.ipynb", SETTINGS)


@EXAMPLES
@given(damaged_text(NOTEBOOK))
def test_standard_input_under_fix_always_comes_back(data):
    said: list[str] = []
    run = Run(SETTINGS, SAFE, say=said.append)
    out = run.check_stdin(data, "nb.ipynb", fix=True, diff=False)
    assert out is not None
    assert not any("internal error" in line for line in said), said
    if out != data:  # fixed: still the notebook it was, its JSON whole
        json.loads(out)


# --- configuration ------------------------------------------------------------------------


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()
                          if v is not None)  # fmt: skip
        return "{" + items + "}"
    return '""'


KEYS = st.sampled_from(["select", "ignore", "extend-select", "per-file-ignores", "exclude",
                        "extend-exclude", "respect-gitignore", "max-file-size",
                        "max-file-seconds"]) | st.text(max_size=10)  # fmt: skip
SECTION = st.dictionaries(KEYS, JSON.filter(lambda v: v is not None), max_size=4)


@st.composite
def config_text(draw) -> bytes:
    how = draw(st.sampled_from(["table", "nested", "raw", "cut"]))
    body = "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in draw(SECTION).items())
    text = "[tool.pglint]\n" + body
    if how == "nested":
        depth = draw(st.sampled_from([50, 1_000, 3_000]))
        text += "deep = " + "[" * depth + "]" * depth + "\n"
    elif how == "raw":
        return draw(st.binary(max_size=80))
    elif how == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode()


@EXAMPLES
@given(config_text())
def test_a_malformed_configuration_is_a_configuration_error(data):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "pyproject.toml"
        path.write_bytes(data)
        try:
            config = load_config(path)
        except ConfigError as exc:
            assert str(exc).startswith(str(path))
            return
    from pglint.config import build_settings

    settings_ = build_settings(config)
    lint_source(INJECTION, "db.py", settings_)


# --- baselines ----------------------------------------------------------------------------


BASELINE = {
    "version": 1,
    "findings": [
        {"file": "db.py", "code": "PGL101", "context": "cur.execute(f", "count": 1},
        {"file": "db.py", "code": "PGL202", "context": "(42)", "count": 2},
    ],
}


@EXAMPLES
@given(damaged_text(BASELINE))
def test_a_malformed_baseline_is_a_clear_error(data):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "baseline.json"
        path.write_bytes(data)
        try:
            loaded = baseline.load(path)
        except baseline.BaselineError as exc:
            assert str(exc).startswith(str(path))
            return
    result = lint_source(INJECTION, str(Path(directory) / "db.py"))
    baseline.apply(loaded, [result])


# --- caches -------------------------------------------------------------------------------


@EXAMPLES
@given(st.data())
def test_a_malformed_cache_is_started_afresh(data):
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "db.py"
        source.write_text(INJECTION)
        cache_dir = str(Path(directory) / "cache")
        first = Cache.open(cache_dir, [str(source)])
        result = lint_source(INJECTION, str(source))
        first.put(str(source), "key", ((1, 2), "digest"), result.diagnostics, [])
        first.record_file(str(first.path), None, "d", [])
        assert first.save() is None
        recorded = json.loads(Path(first.path).read_text())
        recorded["version"] = __version__
        damaged = data.draw(damaged_text(recorded))
        Path(first.path).write_bytes(damaged)
        cache = Cache.open(cache_dir, [str(source)])
        cached = cache.get(str(source), "key")
        if cached is not None:  # what is handed out is well formed
            for d in cached.diagnostics:
                assert isinstance(d.location.row, int) and isinstance(d.message, str)
                LintResult(str(source), [d])
        cache.affected()
        cache.put(str(source), "key", ((1, 2), "digest"), result.diagnostics, [])
        assert cache.save() is None
        from pglint.cache import _well_formed

        assert _well_formed(json.loads(Path(cache.path).read_text()))  # replaced by a good one

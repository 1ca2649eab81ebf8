"""Rules that are off by default (PGL8xx): selected only by their family or their code,
the same way through `pglint check`, `[tool.pglint]`, the flake8 plugin's own options and
flake8's `--select` / `--extend-select`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from conftest import invoke, write
from pglint.config import build_settings, load_config
from pglint.docs import render_rule, render_rules_md
from pglint.rules import all_rules, off_by_default
from pglint.settings import Selection, Settings

ENGINE = textwrap.dedent(
    """\
    import os

    from sqlalchemy import create_engine

    engine = create_engine(os.environ["DATABASE_URL"], pool_size=10)
    """
)


def test_the_opinionated_family_is_off_by_default():
    off = off_by_default()
    assert "PGL802" in off
    assert all(code.startswith("PGL8") for code in off)
    for rule in all_rules():
        assert rule.default_enabled is (rule.code not in off)
        if not rule.default_enabled:
            assert rule.opinionated.strip(), f"{rule.code} does not say why it is off"


@pytest.mark.parametrize(
    ("layer", "enabled"),
    [
        (None, False),
        (Selection(select=("PGL",)), False),
        (Selection(select=("ALL",)), False),
        (Selection(extend_select=("PGL",)), False),
        (Selection(select=("PGL8",)), True),
        (Selection(select=("PGL80",)), True),
        (Selection(extend_select=("PGL802",)), True),
        (Selection(select=("PGL8",), ignore=("PGL802",)), False),
        (Selection(select=("PGL802",), ignore=("PGL8",)), True),
        (Selection(select=("PGL1",)), False),
    ],
)
def test_selection(layer, enabled):
    settings = Settings(layers=(layer,) if layer else ())
    assert settings.is_enabled("PGL802") is enabled


def test_default_rules_keep_their_answers():
    assert Settings().is_enabled("PGL101")
    assert Settings(layers=(Selection(extend_select=("PGL8",)),)).is_enabled("PGL101")
    assert not Settings(layers=(Selection(select=("PGL8",)),)).is_enabled("PGL101")


def test_a_later_layer_that_selects_the_default_set_turns_it_off_again():
    config = Selection(extend_select=("PGL8",))
    command_line = Selection(select=("PGL",))
    assert Settings(layers=(config,)).is_enabled("PGL802")
    assert not Settings(layers=(config, command_line)).is_enabled("PGL802")


def codes(*args: str) -> list[str]:
    run = invoke("check", "--output-format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return [d["code"] for d in json.loads(run.stdout)]


def test_command_line(tmp_path):
    path = write(tmp_path, "db.py", ENGINE)
    assert codes("--isolated", str(path)) == []
    assert codes("--isolated", "--select", "ALL", str(path)) == []
    assert codes("--isolated", "--extend-select", "PGL8", str(path)) == ["PGL802"]
    assert codes("--isolated", "--select", "PGL802", str(path)) == ["PGL802"]
    assert codes("--isolated", "--extend-select", "PGL8", "--ignore", "PGL802", str(path)) == []


def test_configuration_file(tmp_path):
    path = write(tmp_path, "db.py", ENGINE)
    write(tmp_path, "pyproject.toml", '[tool.pglint]\nextend-select = ["PGL8"]\n')
    assert codes(str(path)) == ["PGL802"]
    settings = build_settings(load_config(tmp_path / "pyproject.toml"), None)
    assert settings.is_enabled("PGL802") and settings.is_enabled("PGL101")


def flake8(tmp_path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--format=%(code)s", *args, "db.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("PGL")]


@pytest.mark.slow
def test_flake8_selects_them_like_bugbear_b9(tmp_path):
    write(tmp_path, "db.py", ENGINE)
    assert flake8(tmp_path, "--isolated") == []
    assert flake8(tmp_path, "--isolated", "--select", "PGL") == []
    assert flake8(tmp_path, "--isolated", "--extend-select", "PGL8") == ["PGL802"]
    assert flake8(tmp_path, "--isolated", "--select", "PGL802") == ["PGL802"]
    # pglint's own configuration turns them on under flake8 too.
    write(tmp_path, "pyproject.toml", '[tool.pglint]\nextend-select = ["PGL802"]\n')
    assert flake8(tmp_path, "--select", "PGL") == ["PGL802"]


def test_docs_say_which_rules_are_off_and_why():
    table = render_rules_md()
    rule = next(r for r in all_rules() if r.code == "PGL802")
    assert f"| [{rule.code}](#{rule.anchor}) | {rule.name} |" in table
    row = next(line for line in table.splitlines() if line.startswith(f"| [{rule.code}]"))
    assert row.endswith("| *off* |")
    section = render_rule(rule)
    assert "Off by default" in section
    assert "### Why is it off by default?" in section
    assert rule.opinionated.strip() in section

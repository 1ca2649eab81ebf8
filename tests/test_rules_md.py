"""rules.md is generated from the rules' metadata, and that metadata is complete."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, invoke
from pglint.docs import REGENERATE, render_rule, render_rules_md
from pglint.rules import all_rules

RULES = all_rules()
OWN = {"PGL000", "PGL001", "PGL002"}  # pglint's own conditions, not patterns in user code


def test_rules_md_is_fresh():
    path = ROOT / "rules.md"
    assert path.exists(), f"rules.md is missing; run `{REGENERATE}` from the repository root"
    if path.read_text(encoding="utf-8") != render_rules_md():
        pytest.fail(
            f"rules.md is stale; run `{REGENERATE}` from the repository root", pytrace=False
        )


def test_index_lists_every_rule_with_a_working_anchor():
    text = render_rules_md()
    headings = set(re.findall(r"^## (PGL\d{3}): (\S+)$", text, re.MULTILINE))
    assert headings == {(r.code, r.name) for r in RULES}
    for rule in RULES:
        # GitHub's anchor for "## PGL101: some-name" is "pgl101-some-name".
        assert f"| [{rule.code}](#{rule.anchor}) | {rule.name} |" in text


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_metadata_is_complete(rule):
    assert re.fullmatch(r"PGL\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), "name must be kebab-case"
    assert rule.summary.strip()
    assert rule.what_it_does.strip()
    assert rule.why_bad.strip()
    if rule.code not in OWN:
        assert rule.what_it_does.startswith("Checks for"), rule.what_it_does
    # An internal error or a skipped file has no example in user code.
    if rule.code not in ("PGL000", "PGL002"):
        assert rule.example.strip() and rule.use_instead.strip()
    if rule.fix_availability != "none":
        assert rule.fix_safety.strip(), "a rule with a fix says how safe it is"
    for url in rule.references:
        assert url.startswith("https://"), url


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_section_headings(rule):
    section = render_rule(rule)
    headings = re.findall(r"^### (.+)$", section, re.MULTILINE)
    expected = ["What it does", "Why is this bad?"]
    if rule.opinionated.strip():
        expected.append("Why is it off by default?")
    if rule.example.strip():
        expected += ["Example", "Use instead"]
    if not rule.checks_test_modules:
        expected.append("Test code")
        assert rule.test_code.strip(), "say why test code is not checked"
    if rule.fix_safety.strip():
        expected.append("Fix safety")
    if rule.see_also.strip():
        expected.append("See also")
    if rule.references:
        expected.append("References")
    assert headings == expected


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_pglint_rule_prints_the_section(rule):
    run = invoke("rule", rule.code)
    assert run.exit_code == 0
    assert run.stdout == render_rule(rule)
    assert run.stdout in render_rules_md()


def test_docs_check_mode(tmp_path):
    from pglint.docs import main

    target = tmp_path / "rules.md"
    assert main(["--check", str(target)]) == 1
    assert main([str(target)]) == 0
    assert main(["--check", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_rules_md()


def test_readme_fix_table_is_fresh():
    from pglint.docs import FIXES_END, FIXES_START, with_fix_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert FIXES_START in readme and FIXES_END in readme
    if with_fix_table(readme) != readme:
        pytest.fail(
            f"README's table of fixes is stale; run `{REGENERATE}` from the repository root",
            pytrace=False,
        )


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_fix_summary_matches_fix_availability(rule):
    what, applicability = rule.fix_summary
    if rule.fix_availability == "none":
        assert (what, applicability) == ("", "")
    else:
        assert what and applicability in ("safe", "unsafe", "safe or unsafe")

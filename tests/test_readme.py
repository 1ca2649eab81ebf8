"""The README's links into rules.md point at sections that exist."""

from __future__ import annotations

import re

from conftest import ROOT
from pglint.rules import all_rules


def test_rule_links_point_at_rule_sections():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(rules\.md#([a-z0-9-]+)\)", readme)
    assert len(links) >= 8
    anchors = {rule.anchor for rule in all_rules()}
    assert set(links) <= anchors

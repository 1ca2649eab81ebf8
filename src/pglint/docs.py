"""Rule documentation rendered from the rules' own metadata: `rules.md` and `pglint rule`.

Regenerate `rules.md` from the repository root with::

    python -m pglint.docs            # write rules.md
    python -m pglint.docs --check    # exit 1 when rules.md is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pglint.rules import Rule, all_rules

REGENERATE = "python -m pglint.docs"

_AVAILABILITY = {
    "always": "Fix is always available.",
    "sometimes": "Fix is sometimes available.",
    "none": "",
}


def render_rule(rule: Rule, level: int = 2) -> str:
    """One rule's section; ``level`` is the heading level of its title."""
    head = "#" * level
    sub = "#" * (level + 1)
    parts = [f"{head} {rule.code}: {rule.name}"]
    if _AVAILABILITY[rule.fix_availability]:
        parts.append(f"*{_AVAILABILITY[rule.fix_availability]}*")
    parts += [f"{sub} What it does", rule.what_it_does.strip()]
    parts += [f"{sub} Why is this bad?", rule.why_bad.strip()]
    if rule.example.strip():
        parts += [f"{sub} Example", _code(rule.example)]
    if rule.use_instead.strip():
        parts += [f"{sub} Use instead", _code(rule.use_instead)]
    if rule.fix_safety.strip():
        parts += [f"{sub} Fix safety", rule.fix_safety.strip()]
    if rule.see_also.strip():
        parts += [f"{sub} See also", rule.see_also.strip()]
    if rule.references:
        parts += [f"{sub} References", "\n".join(f"- <{url}>" for url in rule.references)]
    return "\n\n".join(parts) + "\n"


def render_rules_md(rules: tuple[Rule, ...] | None = None) -> str:
    rules = all_rules() if rules is None else rules
    lines = [
        "# pglint rules",
        "",
        f"<!-- Generated from the rules' metadata by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "`pglint rule CODE` prints the same text for one rule.",
        "",
        "| Code | Name | Summary | Fix |",
        "|---|---|---|---|",
    ]
    for rule in rules:
        fix = rule.fix_availability if rule.fix_availability != "none" else "—"
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| [{rule.code}](#{rule.anchor}) | {rule.name} | {summary} | {fix} |")
    sections = [render_rule(rule) for rule in rules]
    return "\n".join(lines) + "\n\n" + "\n".join(sections)


def _code(source: str) -> str:
    return f"```python\n{source.strip(chr(10))}\n```"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pglint.docs", description=__doc__.split("\n")[0]
    )
    parser.add_argument("path", nargs="?", default="rules.md", help="default: rules.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    path = Path(args.path)
    text = render_rules_md()
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if args.check:
        if current != text:
            print(f"{path} is stale; run `{REGENERATE}` from the repository root", file=sys.stderr)
            return 1
        return 0
    if current != text:
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

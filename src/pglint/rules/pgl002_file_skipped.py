from pglint.rules.base import Rule

RULE = Rule(
    code="PGL002",
    name="file-skipped",
    summary="the file was not (fully) checked: over a budget, or for a newer Python",
    what_it_does=(
        "Reports a file larger than `max-file-size` (skipped unread), one whose analysis "
        "took longer than `max-file-seconds` (the rules not yet run are skipped; the "
        "findings before that point are kept), both set in `[tool.pglint]`, and one "
        "written for a newer Python than the one running pglint (its syntax cannot be "
        "read here: the message names the feature and the Python it needs)."
    ),
    why_bad=(
        "A budget keeps one huge generated file from stalling every run, but what was "
        "skipped is unchecked, so it is said rather than hidden. Exclude files nobody "
        "writes by hand (generated code, vendored dumps); raise the budget, or set it to "
        "0 (no limit), for a large file that does hold database code. For a file written "
        "for a newer Python, run pglint with that Python."
    ),
    example="",
    use_instead="",
    check=lambda facts: (),
)

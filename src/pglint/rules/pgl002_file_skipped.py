from pglint.rules.base import Rule

RULE = Rule(
    code="PGL002",
    name="file-skipped",
    summary="the file is over the size or time budget and was not (fully) checked",
    what_it_does=(
        "Reports a file larger than `max-file-size` (skipped unread) or one whose analysis "
        "took longer than `max-file-seconds` (the rules not yet run are skipped; the "
        "findings before that point are kept). Both are set in `[tool.pglint]`."
    ),
    why_bad=(
        "A budget keeps one huge generated file from stalling every run, but what was "
        "skipped is unchecked, so it is said rather than hidden. Exclude files nobody "
        "writes by hand (generated code, vendored dumps); raise the budget, or set it to "
        "0 (no limit), for a large file that does hold database code."
    ),
    example="",
    use_instead="",
    check=lambda facts: (),
)

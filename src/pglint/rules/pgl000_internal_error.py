from pglint.rules.base import Rule

RULE = Rule(
    code="PGL000",
    name="internal-error",
    summary="pglint failed while analysing this file",
    what_it_does=(
        "Reports that pglint itself failed on this file; the other files of the run are "
        "still linted."
    ),
    why_bad=(
        "It is pglint's bug, not yours. It is reported instead of crashing so that one "
        "odd file never stops a CI job or, under flake8, the whole flake8 run. Please "
        "report it with the file (or a reduced copy) attached."
    ),
    example="",
    use_instead="",
    check=lambda facts: (),
)

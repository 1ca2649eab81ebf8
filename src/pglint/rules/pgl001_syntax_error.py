from pglint.rules.base import Rule

RULE = Rule(
    code="PGL001",
    name="syntax-error",
    summary="the file cannot be parsed",
    what_it_does=(
        "Checks that the file parses as Python with the running interpreter, and reports "
        "the syntax error and its line when it does not."
    ),
    why_bad=(
        "A file that does not parse cannot be analysed, so none of its database code is "
        "checked. The message names the error; when the file uses syntax newer than the "
        "Python running pglint, run pglint with a newer Python."
    ),
    example="def get_user(user_id:\n    return user_id\n",
    use_instead="def get_user(user_id):\n    return user_id\n",
    check=lambda facts: (),
)

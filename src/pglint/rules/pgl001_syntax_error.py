from pglint.rules.base import Rule

RULE = Rule(
    code="PGL001",
    name="syntax-error",
    summary="the file cannot be parsed",
    what_it_does=(
        "Checks that a file with database code parses as Python with the running "
        "interpreter, and reports the syntax error and its line when it does not. A file "
        "the pre-filter finds no database code in is not parsed, so its syntax errors are "
        "left to the tools that check every file (ruff, flake8's E999, the compiler)."
    ),
    why_bad=(
        "A file that does not parse cannot be analysed, so none of its database code is "
        "checked. The message names the error. A file written for a newer Python than "
        "the one running pglint (type aliases, t-strings, f-strings that nest quotes) is "
        "not broken: it is PGL002, with the Python to run pglint with."
    ),
    example=(
        "def get_user(conn, user_id:\n"
        '    return conn.execute("SELECT * FROM users WHERE id = %s", (user_id,))\n'
    ),
    use_instead=(
        "def get_user(conn, user_id):\n"
        '    return conn.execute("SELECT * FROM users WHERE id = %s", (user_id,))\n'
    ),
    check=lambda facts: (),
)

"""PGL003: a `# noqa` comment names pglint codes that silence nothing.

The check itself runs in the engine, after `# noqa` comments are applied: it needs the
findings they silenced, which no rule sees.
"""

from pglint.rules.base import Rule

RULE = Rule(
    code="PGL003",
    name="unused-noqa",
    summary="a `# noqa` comment names pglint codes that silence nothing",
    what_it_does=(
        "Checks for `# noqa: PGLxxx` comments where no finding of that code (or prefix) is "
        "reported on the rows the comment covers, and for pglint codes no rule has. Codes "
        "of other tools (`E501`, `F401`) and bare `# noqa` comments are left to their "
        "owners, and so are codes of rules turned off for the file."
    ),
    why_bad=(
        "A suppression outlives the problem it was written for: the query was fixed, the "
        "code moved to another row, or the rule learnt to tell the case apart. Left in "
        "place it silences the next real finding on that row, the one a reviewer would "
        "want to see, and it tells readers there is a problem where there is none. Like "
        "ruff's RUF100, for pglint's own codes.\n\n"
        "Not reported under flake8, which reports unused `# noqa` comments itself when "
        "asked (and applies them itself, so the plugin cannot tell which it used)."
    ),
    example=(
        "import psycopg2\n\n"
        "conn = psycopg2.connect()\n"
        "with conn.cursor() as cur:\n"
        '    cur.execute("SELECT * FROM users WHERE id = %s", (42,))  # noqa: PGL202\n'
    ),
    use_instead=(
        "import psycopg2\n\n"
        "conn = psycopg2.connect()\n"
        "with conn.cursor() as cur:\n"
        '    cur.execute("SELECT * FROM users WHERE id = %s", (42,))\n'
    ),
    more_good=(
        "import psycopg2\n\n"
        "conn = psycopg2.connect()\n"
        "with conn.cursor() as cur:\n"
        '    cur.execute("SELECT * FROM users WHERE id = %s", (42))  # noqa: PGL202\n',
        "import psycopg2\n\n"
        "conn = psycopg2.connect()\n"
        "with conn.cursor() as cur:\n"
        '    cur.execute("SELECT * FROM users WHERE id = %s", (42,))  # noqa: E501\n',
    ),
    fix_availability="always",
    fix_safety=(
        "Safe: the codes removed silence nothing, so no finding appears or goes; other "
        "tools' codes in the same comment stay."
    ),
    fix_summary=("removes the unused codes, or the whole `# noqa` comment", "safe"),
    check=lambda facts: (),
)

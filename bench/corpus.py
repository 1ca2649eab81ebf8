"""Build a benchmark corpus: the Python files of real projects that nobody here wrote.

Run from the repository root:  .venv/bin/python bench/corpus.py [--set apps] [--dir DIR]
                                                                 [--scale N]

There are two corpora, chosen with `--set`, because pglint's cost depends on how much
of a tree holds database code:

  libraries (default)  web frameworks, ORMs, drivers and database tools (django,
                       sqlalchemy, psycopg, ...): database code in most big files.
  apps                 web applications built on FastAPI, Flask or Django with a
                       database behind them (SQLAlchemy, Django's ORM, raw SQL), as
                       deployed rather than imported: the kind of tree pglint's users
                       run it on, where models, queries and migrations sit among views,
                       schemas, utilities and tests. The speed targets against ruff are
                       stated for such code. Versions are pinned, so the tree, and
                       with it the numbers, stay put.

Source distributions are fetched with `pip download --no-binary NAME --no-deps` (only
once: a package whose archive is already there is not fetched again), and only their
`.py` files are extracted. A package that cannot be fetched is skipped and named; the
corpus is whatever was fetched.

Layout under DIR (default `.bench-corpus/` at the repository root, which git ignores):

    sdists/<package>/   the downloaded archives of both sets, reused by later runs
    py/<package>/       the extracted `.py` files of the libraries: the default corpus
    py-apps/<package>/  the same for the apps
    <corpus>-x<N>/copy<i>/  with --scale N: N copies of the corpus, for the linearity check

throughput.py and flake8_latency.py take the same `--set` to run on the apps.
Prints the number of packages, files and lines of the corpus (and of the scaled tree).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from common import CORPUS_SETS, DEFAULT_DIR, add_set_option, corpus_dir

# Web frameworks and apps, ORMs, drivers and database tools: code that talks to databases
# the way pglint's users' code does, plus the frameworks around it.
LIBRARIES = (
    "django",
    "sqlalchemy",
    "fastapi",
    "flask",
    "alembic",
    "sqlmodel",
    "psycopg",
    "psycopg2",
    "asyncpg",
    "databases",
    "fastapi-users",
    "flask-sqlalchemy",
    "flask-appbuilder",
    "ormar",
    "tortoise-orm",
    "pgcli",
    "pg8000",
    "records",
    "dataset",
    "sqlalchemy-utils",
    "django-extensions",
    "djangorestframework",
    "starlette",
    "quart",
    "sanic",
    "aiohttp",
    "aiopg",
    "peewee",
    "piccolo",
    "pony",
)

# Applications, not libraries: each is a server people deploy, with its own models and
# queries. Chosen among those whose sdist builds and holds the Python sources; two to
# four per framework, small and large (about 5,000 files in all). Left out: jupyterhub
# and datasette (Tornado, and a framework of its own), mlflow and prefect (mostly the
# library their users import), indico (its recent releases have no sdist), netbox (its
# sdists need Python 3.12), open-webui, opal-server and pretix (their sdists would not
# build: npm fetching a browser, a file outside the archive, conflicting requirements).
APPS = (
    "lnbits==1.6.2",  # FastAPI, raw SQL over its own SQLite/PostgreSQL layer
    "fief-server==0.27.0",  # FastAPI, async SQLAlchemy
    "dstack==0.22.5",  # FastAPI server, SQLAlchemy over SQLite/PostgreSQL, and its CLI
    "ihatemoney==7.2.1",  # Flask, Flask-SQLAlchemy
    "flaskbb==2.0.2",  # Flask, Flask-SQLAlchemy
    "ckan==2.12.0",  # Flask, SQLAlchemy over PostgreSQL
    "apache-superset==6.1.0",  # Flask, SQLAlchemy, SQL generated for many databases
    "label-studio==1.23.2",  # Django and Django REST framework over PostgreSQL
    "pretalx==2025.2.2",  # Django over PostgreSQL
)

PACKAGE_SETS = {"libraries": LIBRARIES, "apps": APPS}
assert PACKAGE_SETS.keys() == CORPUS_SETS.keys()

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".zip")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="corpus root directory")
    add_set_option(parser)
    parser.add_argument(
        "--scale", type=int, default=0, metavar="N", help="also build N copies of the corpus"
    )
    parser.add_argument(
        "--packages", help="comma-separated package names instead of the set's list"
    )
    args = parser.parse_args(argv)
    chosen = args.packages.split(",") if args.packages else PACKAGE_SETS[args.corpus_set]
    packages = tuple(chosen)
    corpus = build(args.dir, packages, corpus_dir(args.dir, args.corpus_set))
    files, lines = count(corpus)
    print(f"corpus: {corpus}: {files:,} files, {lines:,} lines")
    if args.scale > 1:
        scaled = scale(corpus, args.scale)
        files, lines = count(scaled)
        print(f"scaled x{args.scale}: {scaled}: {files:,} files, {lines:,} lines")
    return 0


def build(root: Path, packages: tuple[str, ...], corpus: Path) -> Path:
    """Fetch what is missing, extract what is not extracted yet into ``corpus``; return it."""
    sdists = root / "sdists"
    corpus.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        fetched = dict(zip(packages, pool.map(lambda p: fetch(p, sdists), packages), strict=True))
    skipped = {name: why for name, (archive, why) in fetched.items() if archive is None}
    for name, (archive, _) in fetched.items():
        if archive is not None:
            extract(archive, corpus / normalize(name))
    ok = len(packages) - len(skipped)
    print(f"packages: {ok} of {len(packages)} in the corpus")
    for name, why in sorted(skipped.items()):
        print(f"  skipped {name}: {why}")
    return corpus


def normalize(package: str) -> str:
    """The directory name of a package, from its name or its pinned ``name==version``."""
    name = package.partition("==")[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def fetch(package: str, sdists: Path) -> tuple[Path | None, str]:
    """The package's source archive, downloaded unless already there; or why not.

    For a pinned ``name==version``, only an archive of that version counts as there."""
    target = sdists / normalize(package)
    version = package.partition("==")[2]
    existing = archives_in(target, version)
    if existing:
        return existing[0], ""
    target.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        *("-m", "pip", "download", "--quiet", "--disable-pip-version-check"),
        # Only the package itself from source: with `:all:` its build requirements are
        # built from source too, and Cython alone takes longer than the timeout here
        # (sqlalchemy, asyncpg and peewee were skipped that way).
        *("--no-binary", package.partition("==")[0], "--no-deps", "--dest", str(target)),
        package,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "pip download timed out"
    existing = archives_in(target, version)
    if done.returncode != 0 or not existing:
        log = target / "pip-error.log"
        log.write_text(done.stderr)
        lines = [ln.strip() for ln in done.stderr.splitlines()]
        # pip's own verdict, else the exception the package's build raised, else anything.
        errors = (
            [ln for ln in lines if ln.startswith("ERROR:")]
            or [ln for ln in lines if re.match(r"\w+(Error|Exception): ", ln)]
            or [ln for ln in lines if ln.lower().startswith("error")]
        )
        reason = errors[-1][:160] if errors else f"pip exited {done.returncode}"
        return None, f"{reason} (full output: {log})"
    return existing[0], ""


def archives_in(directory: Path, version: str = "") -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.name.endswith(ARCHIVE_SUFFIXES) and (not version or f"-{version}." in p.name)
    )


def extract(archive: Path, destination: Path) -> None:
    """Write the archive's `.py` files under ``destination``, without its top directory.

    Extracted into a temporary sibling and renamed, so an interrupted run leaves no
    half-extracted package that a later run would take as done."""
    if destination.exists():
        return
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=destination.parent))
    try:
        for member_name, data in python_members(archive):
            parts = Path(member_name).parts[1:]  # drop the `name-version/` top directory
            if not parts or any(part in ("..", "") for part in parts):
                continue
            out = staging.joinpath(*parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        os.replace(staging, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def python_members(archive: Path):
    """(name, bytes) of every regular `.py` file in a tar or zip archive."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if not info.is_dir() and info.filename.endswith(".py"):
                    yield info.filename, zipped.read(info)
        return
    with tarfile.open(archive) as tarred:
        for member in tarred:
            if member.isfile() and member.name.endswith(".py") and not member.name.startswith("/"):
                handle = tarred.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()


def scale(corpus: Path, factor: int) -> Path:
    """``factor`` full copies of the corpus side by side (kept if already complete)."""
    scaled = corpus.parent / f"{corpus.name}-x{factor}"
    expected, _ = count(corpus)
    for index in range(factor):
        copy = scaled / f"copy{index}"
        if copy.exists() and count(copy)[0] == expected:
            continue
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(corpus, copy)
    return scaled


def count(directory: Path) -> tuple[int, int]:
    files = lines = 0
    for path in directory.rglob("*.py"):
        if path.is_file():
            files += 1
            lines += path.read_bytes().count(b"\n")
    return files, lines


if __name__ == "__main__":
    raise SystemExit(main())

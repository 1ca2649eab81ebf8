"""The bench scripts' two corpora: each its own directory, chosen with --set."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile

import pytest

from conftest import ROOT


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import common
    import corpus
    import throughput

    return common, corpus, throughput


def test_the_sets_live_apart(bench, tmp_path):
    common, corpus, _ = bench
    assert corpus.PACKAGE_SETS.keys() == common.CORPUS_SETS.keys()
    libraries = common.corpus_dir(tmp_path, "libraries")
    apps = common.corpus_dir(tmp_path, "apps")
    assert libraries == tmp_path / "py"  # where the default has always been
    assert not apps.is_relative_to(libraries) and not libraries.is_relative_to(apps)
    # Its copies for the linearity check do not land inside the other either.
    (apps / "app").mkdir(parents=True)
    (apps / "app" / "views.py").write_text("x = 1\n")
    scaled = corpus.scale(apps, 2)
    assert scaled == tmp_path / "py-apps-x2"
    assert (scaled / "copy1" / "app" / "views.py").is_file()


def test_every_app_is_pinned_and_not_a_library(bench):
    _, corpus, _ = bench
    assert all("==" in app for app in corpus.APPS)
    app_names = {corpus.normalize(app) for app in corpus.APPS}
    assert len(app_names) == len(corpus.APPS)
    assert not app_names & {corpus.normalize(lib) for lib in corpus.LIBRARIES}


def test_a_pinned_package_only_takes_an_archive_of_its_version(bench, tmp_path):
    _, corpus, _ = bench
    assert corpus.normalize("Apache_Superset==6.1.0") == "apache-superset"
    (tmp_path / "demo-1.0.tar.gz").write_bytes(b"")
    assert corpus.archives_in(tmp_path, "1.1") == []
    assert [p.name for p in corpus.archives_in(tmp_path, "1.0")] == ["demo-1.0.tar.gz"]
    assert [p.name for p in corpus.archives_in(tmp_path)] == ["demo-1.0.tar.gz"]


def test_build_extracts_a_pinned_app_under_its_name(bench, tmp_path, capsys):
    common, corpus, _ = bench
    archive = tmp_path / "sdists" / "demo-app" / "demo_app-1.0.tar.gz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz") as tarred:
        for name, text in [("demo_app-1.0/app/db.py", b"x = 1\n"), ("demo_app-1.0/README", b"")]:
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tarred.addfile(info, io.BytesIO(text))
    # The archive is there, so nothing is downloaded.
    built = corpus.build(tmp_path, ("demo-app==1.0",), common.corpus_dir(tmp_path, "apps"))
    assert "packages: 1 of 1" in capsys.readouterr().out
    files = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
    assert files == ["demo-app/app/db.py"]


def test_throughput_floors_read_the_chosen_set(bench, tmp_path, capsys):
    _, _, throughput = bench
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "fine.py").write_text("x = 1\n")
    (tmp_path / "py-apps").mkdir()
    (tmp_path / "py-apps" / "broken.py").write_text("def (\n")
    throughput.main(["--dir", str(tmp_path), "--floor", "parse"])
    assert capsys.readouterr().out.strip() == "0 files did not parse"
    throughput.main(["--dir", str(tmp_path), "--set", "apps", "--floor", "parse"])
    assert capsys.readouterr().out.strip() == "1 files did not parse"


def test_the_analysed_floor_parses_what_pglint_analyses(bench, tmp_path, capsys):
    _, _, throughput = bench
    app = tmp_path / "py" / "app"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "db.py").write_text(
        "import psycopg2\n\n\ndef get_conn():\n    return psycopg2.connect('')\n"
    )
    (app / "views.py").write_text(  # database code only through the module it imports
        "from app.db import get_conn\n\n\ndef rows():\n    return get_conn()\n"
    )
    (app / "util.py").write_text("from app.db import other\n\n\ndef add(a, b):\n    return a + b\n")
    (app / "broken.py").write_text("def (\n")  # no database code: skipped, not parsed
    files = throughput.python_files(tmp_path / "py")
    kept = throughput.analysed_files(files)
    assert [p.rpartition("/")[2] for p in kept] == ["db.py", "views.py"]
    # The same choice as `pglint check` makes.
    checked = subprocess.run(
        [sys.executable, "-m", "pglint", "check", "-v", "--no-cache", "--exit-zero", "."],
        cwd=tmp_path / "py", capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "2 analysed" in checked.stderr
    listed = tmp_path / "analysed.txt"
    listed.write_text("\n".join([*kept, str(app / "broken.py")]))
    throughput.main(
        ["--dir", str(tmp_path), "--floor", "parse-analysed", "--floor-files", str(listed)]
    )
    assert capsys.readouterr().out.strip() == "1 files did not parse"

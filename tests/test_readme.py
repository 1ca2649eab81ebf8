"""The README, read top to bottom by someone new, gets to findings on their own project with
no step that fails: its own commands run here, through the real tools, on a scratch copy
of the example app standing in for "your project".

The commands run with the `pglint` (and `flake8`, `pre-commit`) of this environment, except
in the last two tests, which install pglint the ways the README says (from a checkout,
from a git URL pinned to a commit, as a pre-commit hook pinned to a commit) into places of
their own, which needs the package index for pglint's dependencies. Those that run real
tools are marked slow; CI runs them all.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GIT_ENV, ROOT, git, snapshot_repository
from pglint.rules import all_rules

README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent  # where this environment's pglint, flake8 live


def section(heading: str) -> str:
    """The text under ``heading`` (`## X` or `### X`) up to the next heading of its level
    or above."""
    start = README.index(f"\n{heading}\n") + 1
    level = heading.split()[0]
    ends = [m.start() for m in re.finditer(r"\n(#+) ", README[start + 1 :])
            if len(m.group(1)) <= len(level)]  # fmt: skip
    return README[start : start + 1 + ends[0]] if ends else README[start:]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.DOTALL)


def commands(block: str) -> list[str]:
    """The commands of a shell block, without their comments (none has a `#` of its own)."""
    lines = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in block.splitlines())
    return [line for line in lines if line]


def run(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **GIT_ENV, "NO_COLOR": "1", **env}
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    return subprocess.run(
        command, shell=True, cwd=cwd, capture_output=True, text=True, env=environment,
        timeout=900,
    )  # fmt: skip


def failed(done: subprocess.CompletedProcess) -> bool:
    """A step a reader would see fail: an error exit or a traceback (exit 1 is findings)."""
    return done.returncode not in (0, 1) or "Traceback" in done.stdout + done.stderr


@pytest.fixture
def your_project(tmp_path: Path) -> Path:
    """A project of the reader's own: the example app, in a git repository."""
    project = tmp_path / "your-project"
    shutil.copytree(ROOT / "examples", project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    return project


def test_rule_links_point_at_rule_sections():
    links = re.findall(r"\]\(rules\.md#([a-z0-9-]+)\)", README)
    assert len(links) >= 8
    anchors = {rule.anchor for rule in all_rules()}
    assert set(links) <= anchors


def test_local_links_point_at_files_that_exist():
    for target in re.findall(r"\]\(((?:docs/|rules\.md)[^)#]*)", README):
        assert (ROOT / target).is_file(), target


def test_every_rule_is_in_the_table():
    table = section("## What it finds")
    for rule in all_rules():
        assert f"[{rule.code}](rules.md#{rule.anchor})" in table, rule.code


def test_the_sample_output_is_what_pglint_prints(tmp_path):
    [sample] = blocks(README[: README.index("\n## Install\n")], "console")
    command, *shown = sample.splitlines()
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    done = run(command.removeprefix("$ ") + " --no-cache", examples)
    printed = done.stdout.splitlines()
    position = 0
    for line in shown:
        if line == "...":
            continue
        assert line in printed[position:], f"not printed (in this order): {line!r}"
        position = printed.index(line, position) + 1


@pytest.mark.slow
def test_use_it_on_your_project(your_project):
    text = section("## Use it on your project")
    steps = [c for block in blocks(text, "sh") for c in commands(block)]
    assert steps[0] == "pglint check" and len(steps) >= 6
    for step in steps:
        done = run(step, your_project)
        assert not failed(done), f"{step}: exit {done.returncode}\n{done.stdout}{done.stderr}"
        if step == "pglint check":
            assert done.returncode == 1 and re.search(r": PGL\d{3} ", done.stdout)
        if "--baseline " in step:  # recorded just before: nothing new
            assert done.returncode == 0, done.stdout
    assert "pglint-baseline.json" in git("status", "--porcelain", cwd=your_project)


@pytest.mark.slow
def test_the_local_pre_commit_hook(your_project, tmp_path):
    text = section("### In pre-commit")
    config = next(b for b in blocks(text, "yaml") if "repo: local" in b)
    (your_project / ".pre-commit-config.yaml").write_text(config)
    git("add", "-A", cwd=your_project)
    done = run(
        f"{shlex.quote(sys.executable)} -m pre_commit run --all-files",
        your_project,
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"app/crud\.py:\d+:\d+: PGL101 ", done.stdout), done.stdout


@pytest.mark.slow
def test_the_ci_commands(your_project):
    text = section("### In CI")
    steps = [
        line.split("run: ", 1)[1] if "run: " in line else line.lstrip(" -")
        for block in blocks(text, "yaml")
        for line in block.splitlines()
        if re.match(r"\s*(- run: |- )pglint ", line)
    ]
    assert len(steps) >= 3
    for step in steps:
        done = run(step, your_project)
        assert not failed(done), f"{step}: exit {done.returncode}\n{done.stderr}"
    sarif = json.loads((your_project / "pglint.sarif").read_text())
    assert sarif["runs"][0]["results"]
    gitlab = json.loads((your_project / "gl-code-quality-report.json").read_text())
    assert gitlab and all(item["location"]["path"].startswith("app/") for item in gitlab)


@pytest.mark.slow
def test_the_github_annotations(your_project):
    done = run("pglint check --output-format github", your_project)
    assert done.returncode == 1
    assert re.search(r"^::error title=pglint \(PGL101\),file=app/crud\.py,line=", done.stdout, re.M)


@pytest.mark.slow
def test_the_flake8_command(your_project):
    [step] = commands(blocks(section("## flake8"), "sh")[0])
    done = run(step, your_project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"app/crud\.py:\d+:\d+: PGL101 ", done.stdout), done.stdout


def test_the_contributor_commands_are_the_ones_ci_runs():
    text = section("## Contributing")
    assert 'python -m pytest -m "not slow"' in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest\n" in ci  # CI runs every test, slow ones included
    assert "ruff check .\nruff format --check src tests bench" in ci


# --- installing as the README says (the package index for the dependencies) ---------------


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clone of pglint as a reader gets it: a git repository, and its commit."""
    repo = tmp_path_factory.mktemp("pglint-repository") / "pglint"
    return repo, snapshot_repository(repo)


@pytest.mark.slow
def test_install_from_a_checkout_and_from_git(checkout, your_project, tmp_path):
    repo, commit = checkout
    text = section("## Install")
    [block] = blocks(text, "sh")
    clone, install, version = commands(block)
    assert clone == "git clone <repository URL> pglint"
    reader = tmp_path / "reader"
    reader.mkdir()
    venv = reader / ".venv"
    assert run(f"{shlex.quote(sys.executable)} -m venv {venv}", reader).returncode == 0
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    done = run(clone.replace("<repository URL>", shlex.quote(str(repo))), reader, PATH=path)
    assert done.returncode == 0, done.stderr
    for step in (install.replace("python3", str(bin_dir / "python")), version):
        done = run(step, reader, PATH=path)
        assert done.returncode == 0, f"{step}\n{done.stdout}{done.stderr}"
    # The git URL pinned to a commit, as the README writes it.
    url = re.search(r'"git\+<repository URL>@<commit>"', text)
    assert url
    pinned = f'"git+file://{repo}@{commit}"'
    done = run(f"{bin_dir / 'python'} -m pip install -q --no-deps --force-reinstall {pinned}",
               reader, PATH=path)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(
        [str(bin_dir / "pglint"), "check"], cwd=your_project, capture_output=True, text=True
    )
    assert done.returncode == 1 and ": PGL101 " in done.stdout, done.stdout + done.stderr


@pytest.mark.slow
def test_the_pre_commit_hook_pinned_to_a_commit(checkout, your_project, tmp_path):
    repo, commit = checkout
    text = section("### In pre-commit")
    config = next(b for b in blocks(text, "yaml") if "rev: <commit>" in b)
    config = config.replace("<repository URL>", str(repo)).replace("<commit>", commit)
    (your_project / ".pre-commit-config.yaml").write_text(config)
    git("add", "-A", cwd=your_project)
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env_without_venv = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"],
        cwd=your_project, capture_output=True, text=True, timeout=900,
        env={**env_without_venv, **GIT_ENV, **env, "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"app/crud\.py:\d+:\d+: PGL101 ", done.stdout), done.stdout


# --- the editor and assistant set-ups ---------------------------------------------------


def _editor_commands() -> dict[str, list[str]]:
    """The command each client's snippet starts, read from the snippet as written."""
    import tomllib

    text = section("## In your editor")
    lua = blocks(text, "lua")
    (helix,) = [tomllib.loads(b) for b in blocks(text, "toml")]
    (elisp,) = blocks(text, "elisp")
    vscode, mcp = (json.loads(b) for b in blocks(text, "json"))
    found = {
        f"neovim {n}": re.findall(r'"([^"]+)"', re.search(r"cmd = \{(.*?)\}", b).group(1))
        for n, b in enumerate(lua)
    }
    server = helix["language-server"]["pglint"]
    found["helix"] = [server["command"], *server["args"]]
    found["eglot"] = re.findall(r'"([^"]+)"', re.search(r'\. \((".*?)\)\)', elisp).group(1))
    found["vscode"] = [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]]
    entry = mcp["mcpServers"]["pglint"]
    found["mcp"] = [entry["command"], *entry["args"]]
    return found


def _lsp_initialize(argv: list[str], cwd: Path) -> dict:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"processId": None, "rootUri": cwd.as_uri(),
                                  "capabilities": {}}}).encode()  # fmt: skip
    frame = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    exit_ = json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode()
    frame += b"Content-Length: %d\r\n\r\n%s" % (len(exit_), exit_)
    done = subprocess.run(argv, input=frame, cwd=cwd, capture_output=True, timeout=120)
    header, _, rest = done.stdout.partition(b"\r\n\r\n")
    fields = dict(line.split(b": ", 1) for line in header.split(b"\r\n"))
    return json.loads(rest[: int(fields[b"Content-Length"])])


def _mcp_initialize(argv: list[str], cwd: Path) -> dict:
    request = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "readme-test", "version": "0"}}}  # fmt: skip
    done = subprocess.run(argv, input=json.dumps(request) + "\n", cwd=cwd, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    return json.loads(done.stdout.splitlines()[0])


@pytest.mark.slow
def test_each_editor_snippet_starts_a_server_that_answers(your_project):
    """Every client's set-up, as the README writes it, starts a server that answers
    `initialize` (the first thing each client sends)."""
    found = _editor_commands()
    assert set(found) == {"neovim 0", "neovim 1", "helix", "eglot", "vscode", "mcp"}
    for client, argv in found.items():
        assert argv[0] == "pglint", client
        executable = [str(BIN / "pglint"), *argv[1:]]
        if client == "mcp":
            answer = _mcp_initialize(executable, your_project)
            assert "tools" in answer["result"]["capabilities"], client
        else:
            answer = _lsp_initialize(executable, your_project)
            assert answer["result"]["capabilities"]["codeActionProvider"], client

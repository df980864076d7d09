"""Hostile contract repositories and lock files for ``cdcxml pull`` and git sources: no git option
injection, no folder outside the cache, no symlink out of a snapshot, no traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ..helpers import git
from .conftest import SCH, SECRET, one_error, run_cli

CONTRACT = (f'<sch:schema xmlns:sch="{SCH}" xmlns:cdc="urn:cdcxml:contract:1">'
            '<cdc:contract consumer="shop" provider="orders" version="1.0.0"/>'
            '<sch:pattern><sch:rule context="order"><sch:assert test="id">id</sch:assert>'
            "</sch:rule></sch:pattern></sch:schema>\n")


@pytest.fixture
def remote(tmp_path: Path):
    """A bare contracts repository and a function that commits files to it."""
    bare = tmp_path / "contracts.git"
    git("init", "-q", "--bare", "-b", "main", bare)
    work = tmp_path / "author"
    git("init", "-q", "-b", "main", work)

    def commit(files: dict[str, str], links: dict[str, str] | None = None) -> str:
        for name, text in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(text)
        for name, target in (links or {}).items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, work / name)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "contracts", cwd=work)
        git("push", "-q", bare, "HEAD:refs/heads/main", cwd=work)
        return git("rev-parse", "HEAD", cwd=work)

    commit({"shop.sch": CONTRACT})
    return bare, commit


@pytest.fixture
def provider(tmp_path: Path, remote) -> Path:
    bare, _ = remote
    project = tmp_path / "provider"
    project.mkdir()
    (project / "cdcxml.toml").write_text(
        f'[contracts]\nprovider = "orders"\nsources = ["git+{bare.as_uri()}@main"]\n')
    (project / "doc.xml").write_text("<order><id>1</id></order>")
    return project


def source(project: Path) -> str:
    """The git source the provider's lock pins."""
    return json.loads((project / "cdcxml.lock").read_text())["contracts"][0]["source"]


def tamper(project: Path, **fields) -> None:
    lock = project / "cdcxml.lock"
    data = json.loads(lock.read_text())
    data["contracts"][0].update(fields)
    lock.write_text(json.dumps(data))


def test_pull_and_validate_from_a_pinned_repository(provider):
    ran = run_cli("pull", cwd=provider)
    assert ran.code == 0, ran.stderr
    ran = run_cli("validate", "-c", source(provider), "doc.xml", cwd=provider)
    assert ran.code == 0, ran.stdout + ran.stderr


@pytest.mark.parametrize("commit", [
    "--upload-pack=touch {marker};git-upload-pack",
    "-u touch {marker};git-upload-pack",
    "../../../../outside",
])
def test_a_tampered_lock_cannot_run_commands_or_name_folders(provider, tmp_path, commit):
    assert run_cli("pull", cwd=provider).code == 0
    marker = tmp_path / "PWNED"
    tamper(provider, commit=commit.format(marker=marker))
    for args in (("pull",), ("validate", "-c", source(provider), "doc.xml")):
        ran = run_cli(*args, cwd=provider)
        assert ran.code == 2, ran.stdout + ran.stderr
        assert "is not a commit id" in ran.stderr or "not the pinned" in ran.stderr, ran.stderr
        assert not marker.exists()
    assert not (tmp_path / "outside").exists()


def test_a_ref_in_the_config_cannot_inject_git_options(provider, remote, tmp_path):
    bare, _ = remote
    marker = tmp_path / "PWNED"
    (provider / "cdcxml.toml").write_text(
        '[contracts]\nprovider = "orders"\n'
        f'sources = ["git+{bare.as_uri()}@--upload-pack=touch {marker};git-upload-pack"]\n')
    ran = run_cli("pull", cwd=provider)
    one_error(ran, "no tag or branch")
    assert not marker.exists()


def test_a_symlink_out_of_the_repository_is_not_followed(provider, remote, secret):
    _, commit = remote
    (secret.parent / "stolen.sch").write_text(CONTRACT.replace("shop", f"{SECRET}"))
    commit({}, links={"evil.sch": str(secret.parent / "stolen.sch"),
                      "requests/body.xml": str(secret)})
    ran = run_cli("pull", cwd=provider)
    assert SECRET not in ran.stdout + ran.stderr
    if ran.code == 0:
        ran = run_cli("validate", "-c", source(provider), "doc.xml", cwd=provider)
    line = one_error(ran, "evil.sch", "not well-formed")
    assert SECRET not in line


def test_a_contract_with_a_doctype_in_the_repository(provider, remote, listener):
    _, commit = remote
    commit({"shop.sch": f'<!DOCTYPE s [<!ENTITY e SYSTEM "{listener.url}/e">]>\n' + CONTRACT})
    ran = run_cli("pull", cwd=provider)
    if ran.code == 0:
        ran = run_cli("validate", "-c", source(provider), "doc.xml", cwd=provider)
    one_error(ran, "shop.sch", "DOCTYPE not allowed")
    listener.close()
    assert listener.connections == []


@pytest.mark.parametrize(("text", "named"), [
    ("[contracts\n", "cdcxml.toml"), ("[contracts]\nsources = 3\n", "cdcxml.toml"),
    ('[contracts]\nsources = ["git+@"]\n', "git+@"), ("\x00\x01", "cdcxml.toml")])
def test_broken_configurations_are_one_line(provider, text, named):
    (provider / "cdcxml.toml").write_text(text)
    one_error(run_cli("pull", cwd=provider), named)


@pytest.mark.parametrize("text", ["{", '{"cdcxml-lock": 1, "contracts": [{"files": 3}]}', "[]",
                                  '{"cdcxml-lock": 99}'])
def test_broken_lock_files_are_one_line(provider, text):
    assert run_cli("pull", cwd=provider).code == 0
    (provider / "cdcxml.lock").write_text(text)
    one_error(run_cli("pull", cwd=provider), "cdcxml.lock")


# -- publish into a shared repository or folder ---------------------------------------------------

def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder``: a file's bytes, a link's target, a folder as such."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            entries[rel] = "link -> " + os.readlink(path)
        elif path.is_dir():
            entries[rel] = "folder"
        else:
            entries[rel] = path.read_bytes()
    return entries


@pytest.fixture
def publisher(tmp_path: Path) -> tuple[Path, Path]:
    """The publisher's own files (a real folder of theirs) and a contract of theirs to publish."""
    home = tmp_path / "home"
    (home / "src" / "shop").mkdir(parents=True)
    (home / "src" / "shop" / "IMPORTANT.txt").write_text("the publisher's own work\n")
    (home / "src" / "notes.xml").write_text("<notes/>\n")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "shop.sch").write_text(CONTRACT.replace(' version="1.0.0"', ""))
    return home, mine / "shop.sch"


def test_publish_never_writes_through_a_link_planted_in_the_shared_repository(remote, publisher):
    bare, commit = remote
    home, contract = publisher
    # Another team pushes one link named like the provider, pointing at the publisher's files.
    commit({}, links={"orders": str(home / "src")})
    before, refs = snapshot(home), git("for-each-ref", cwd=bare)
    ran = run_cli("publish", contract, "--version", "1.0.0", "--to", bare, cwd=contract.parent)
    one_error(ran, "orders is a symbolic link", "nothing was published")
    assert snapshot(home) == before
    assert git("for-each-ref", cwd=bare) == refs


def test_publish_refuses_a_provider_folder_that_is_a_file_in_the_repository(remote, publisher):
    bare, commit = remote
    home, contract = publisher
    commit({"orders": "not a folder\n"})
    refs = git("for-each-ref", cwd=bare)
    ran = run_cli("publish", contract, "--version", "1.0.0", "--to", bare, cwd=contract.parent)
    one_error(ran, "orders is a file", "nothing was published")
    assert git("for-each-ref", cwd=bare) == refs


@pytest.mark.parametrize("link", ["orders", "orders/shop", "orders/shop/1.0.0"])
def test_publish_to_a_folder_never_writes_through_a_planted_link(tmp_path, publisher, link):
    home, contract = publisher
    out = tmp_path / "published"
    (out / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(home / "src", out / link)
    before = snapshot(home)
    ran = run_cli("publish", contract, "--version", "1.0.0", "--to", out, "--force",
                  cwd=contract.parent)
    one_error(ran, f"{link} is a symbolic link", "nothing was published")
    assert snapshot(home) == before

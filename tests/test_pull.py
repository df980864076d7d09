"""``cdcxml pull`` and ``cdcxml.lock``: pinning published contracts and refusing changed ones."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cdcxml.errors import ConfigError
from cdcxml.sources import load_contracts
from cdcxml.sources.lock import LockMismatchError, pinned_contracts
from cdcxml.sources.publish import publish
from cdcxml.sources.repository import GitSpec, parse_git_source

from .helpers import cli as cdcxml
from .helpers import git

DATA = Path(__file__).parent / "data" / "publish"
RESPONSES = DATA / "responses"
RESELLER_V1_TAG = "reseller-web/product-search/v1.0.0"
MOBILE_V2_TAG = "mobile-app/product-search/v2.0.0"


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare contracts repository with two versions of two consumers' contracts."""
    repo = tmp_path / "contracts.git"
    git("init", "-q", "--bare", str(repo))
    for consumer in ("reseller-web", "mobile-app"):
        for n in (1, 2):
            publish([DATA / consumer / f"v{n}"], f"{n}.0.0", repo.as_uri())
    return repo


@pytest.fixture
def provider(tmp_path: Path, remote: Path, monkeypatch) -> Path:
    """The provider's project: pins reseller-web at v1 and mobile-app at v2."""
    project = tmp_path / "product-search"
    project.mkdir()
    (project / "cdcxml.toml").write_text(
        "[contracts]\n"
        'provider = "product-search"\n'
        "sources = [\n"
        f'  "git+../contracts.git@{RESELLER_V1_TAG}",\n'
        f'  "git+{remote.as_uri()}@{MOBILE_V2_TAG}",\n'
        "]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(project)
    return project


def sources() -> list[str]:
    return [f"git+../contracts.git@{RESELLER_V1_TAG}", f"git+../contracts.git@{MOBILE_V2_TAG}"]


def validate(*docs: Path):
    args = ["validate"]
    for source in sources():
        args += ["-c", source]
    return cdcxml(*args, *docs)


def test_pull_pins_each_contract_at_its_commit_with_file_hashes(provider: Path, remote: Path):
    result = cdcxml("pull")

    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "(2 contracts)" in result.output
    lock = json.loads((provider / "cdcxml.lock").read_text(encoding="utf-8"))
    assert lock["cdcxml-lock"] == 1 and lock["provider"] == "product-search"
    entries = {e["consumer"]: e for e in lock["contracts"]}
    assert entries["reseller-web"]["version"] == "1.0.0"
    assert entries["mobile-app"]["version"] == "2.0.0"
    for entry, tag in ((entries["reseller-web"], RESELLER_V1_TAG),
                       (entries["mobile-app"], MOBILE_V2_TAG)):
        assert entry["kind"] == "git" and entry["ref"] == tag
        assert entry["commit"] == git("--git-dir", str(remote), "rev-parse", f"{tag}^{{commit}}")
        for name, digest in entry["files"].items():
            published = subprocess.run(
                ["git", "--git-dir", str(remote), "show", f"{tag}:{name}"],
                capture_output=True, check=True).stdout
            assert hashlib.sha256(published).hexdigest() == digest
    assert sorted(entries["reseller-web"]["files"]) == [
        "product-search/reseller-web/requests/search-widgets.xml",
        "product-search/reseller-web/reseller-web.sch",
    ]
    assert (provider / ".cdcxml-cache" / ".gitignore").is_file()

    again = cdcxml("pull")
    assert again.exit_code == 0
    assert "unchanged" in again.output


def test_pinned_versions_are_the_ones_checked(provider: Path):
    assert cdcxml("pull").exit_code == 0

    # reseller-web v1 does not need Manufacturer (v2 would); mobile-app v2 needs InStock.
    assert validate(RESPONSES / "no-manufacturer.xml").exit_code == 0
    failing = validate(RESPONSES / "no-instock.xml")
    assert failing.exit_code == 1
    assert "has-in-stock" in failing.output

    found = {c.consumer: c.version for c in pinned_contracts(provider / "cdcxml.toml")}
    assert found == {"reseller-web": "1.0.0", "mobile-app": "2.0.0"}


def test_a_tampered_cache_file_is_refused_until_pulled_again(provider: Path):
    assert cdcxml("pull").exit_code == 0
    lock = json.loads((provider / "cdcxml.lock").read_text(encoding="utf-8"))
    (commit,) = [e["commit"] for e in lock["contracts"] if e["consumer"] == "reseller-web"]
    (snapshot,) = (provider / ".cdcxml-cache" / "git").glob(f"*/{commit}")
    cached = snapshot / "product-search" / "reseller-web" / "requests" / "search-widgets.xml"
    cached.write_bytes(cached.read_bytes().replace(b"widget", b"gadget"))

    refused = validate(RESPONSES / "no-manufacturer.xml")

    assert refused.exit_code == 2
    assert "contract reseller-web 1.0.0" in refused.stderr
    assert "does not match cdcxml.lock" in refused.stderr
    assert "search-widgets.xml" in refused.stderr
    assert "Traceback" not in refused.output
    assert "'cdcxml pull' fetches it again" in refused.stderr
    with pytest.raises(LockMismatchError, match="reseller-web"):
        pinned_contracts(provider / "cdcxml.toml")

    # The pinned commit fixes the content, so pull restores it without moving any pin.
    lock_before = (provider / "cdcxml.lock").read_bytes()
    repaired = cdcxml("pull")
    assert repaired.exit_code == 0, repaired.output
    assert b"widget" in cached.read_bytes()
    assert (provider / "cdcxml.lock").read_bytes() == lock_before
    assert validate(RESPONSES / "no-manufacturer.xml").exit_code == 0


def test_a_moved_tag_is_followed_only_by_pull_update(provider: Path, remote: Path):
    assert cdcxml("pull").exit_code == 0
    pinned = git("--git-dir", str(remote), "rev-parse", f"{RESELLER_V1_TAG}^{{commit}}")
    # The consumer re-publishes v1 with v2's assertions, on purpose.
    publish([DATA / "reseller-web" / "v2"], "1.0.0", remote.as_uri(), force=True)

    assert cdcxml("pull").exit_code == 0
    lock = json.loads((provider / "cdcxml.lock").read_text(encoding="utf-8"))
    assert {e["commit"] for e in lock["contracts"] if e["consumer"] == "reseller-web"} == {pinned}
    assert validate(RESPONSES / "no-manufacturer.xml").exit_code == 0

    assert cdcxml("pull", "--update").exit_code == 0
    lock = json.loads((provider / "cdcxml.lock").read_text(encoding="utf-8"))
    (entry,) = [e for e in lock["contracts"] if e["consumer"] == "reseller-web"]
    assert entry["commit"] != pinned
    assert "product-search/reseller-web/common/manufacturer.sch" in entry["files"]
    assert validate(RESPONSES / "no-manufacturer.xml").exit_code == 1


def test_a_commit_id_pins_as_well_as_a_tag(tmp_path: Path, remote: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commit = git("--git-dir", str(remote), "rev-parse", f"{MOBILE_V2_TAG}^{{commit}}")
    whole = load_contracts([f"git+{remote.as_uri()}@{commit}"])
    # A commit id names the whole repository as it was: both consumers' latest contracts.
    assert sorted((c.consumer, c.version) for c in whole) == [
        ("mobile-app", "2.0.0"), ("reseller-web", "2.0.0"),
    ]
    narrowed = load_contracts([f"git+{remote.as_uri()}@{commit}"
                               "#subdirectory=product-search/mobile-app"])
    assert [c.consumer for c in narrowed] == ["mobile-app"]


def test_a_changed_directory_source_is_refused(tmp_path: Path, monkeypatch):
    project = tmp_path / "provider"
    shutil.copytree(DATA / "mobile-app" / "v1", project / "contracts")
    (project / "cdcxml.toml").write_text(
        '[contracts]\nprovider = "product-search"\nsources = ["contracts"]\n', encoding="utf-8")
    monkeypatch.chdir(project)
    assert cdcxml("pull").exit_code == 0
    assert cdcxml("validate", "-c", "contracts", RESPONSES / "no-instock.xml").exit_code == 0

    sch = project / "contracts" / "mobile-app.sch"
    sch.write_text(sch.read_text(encoding="utf-8").replace("CatalogueID node", "an id"),
                   encoding="utf-8")
    refused = cdcxml("validate", "-c", "contracts", RESPONSES / "no-instock.xml")
    assert refused.exit_code == 2
    assert "mobile-app.sch: contract mobile-app 1.0.0" in refused.stderr

    assert cdcxml("pull", "--update").exit_code == 0
    assert cdcxml("validate", "-c", "contracts", RESPONSES / "no-instock.xml").exit_code == 0


def test_sources_for_other_providers_are_left_out(tmp_path: Path, remote: Path, monkeypatch):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "cdcxml.toml").write_text(
        f'[contracts]\nprovider = "price-list"\nsources = ["git+{remote.as_uri()}"]\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path / "other")
    result = cdcxml("pull")
    assert result.exit_code == 2
    assert "holds no contract for provider price-list" in result.stderr


def test_unknown_tags_bad_config_and_bad_locks_are_one_line_errors(provider: Path):
    (provider / "cdcxml.toml").write_text(
        '[contracts]\nsources = ["git+../contracts.git@nobody/product-search/v9"]\n',
        encoding="utf-8")
    missing = cdcxml("pull")
    assert missing.exit_code == 2
    assert "no tag or branch named 'nobody/product-search/v9'" in missing.stderr

    (provider / "cdcxml.toml").write_text('[contracts]\nsource = ["x"]\n', encoding="utf-8")
    bad = cdcxml("pull")
    assert bad.exit_code == 2
    assert "cdcxml.toml: [contracts]: unknown key 'source'" in bad.stderr

    (provider / "cdcxml.toml").write_text('[contracts]\nsources = ["c"]\n', encoding="utf-8")
    (provider / "cdcxml.lock").write_text("{not json", encoding="utf-8")
    broken = cdcxml("pull")
    assert broken.exit_code == 2
    assert broken.stderr.startswith("cdcxml: cdcxml.lock:1: not a cdcxml lock file")
    assert len(broken.stderr.strip().splitlines()) == 1


def test_no_configuration_is_an_error(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cdcxml("pull")
    assert result.exit_code == 2
    assert "no cdcxml.toml here" in result.stderr
    with pytest.raises(ConfigError):
        pinned_contracts(None)


@pytest.mark.parametrize(("source", "expected"), [
    ("git+https://git.example.com/contracts.git@reseller-web/product-search/v1.2.0",
     GitSpec("https://git.example.com/contracts.git", "reseller-web/product-search/v1.2.0")),
    ("git+ssh://git@git.example.com/contracts.git@v1",
     GitSpec("ssh://git@git.example.com/contracts.git", "v1")),
    ("git+ssh://git@git.example.com/contracts.git",
     GitSpec("ssh://git@git.example.com/contracts.git", None)),
    ("git+git@git.example.com:team/contracts.git@main#subdirectory=product-search/",
     GitSpec("git@git.example.com:team/contracts.git", "main", "product-search")),
])
def test_git_sources_parse_like_pip_urls(source: str, expected: GitSpec):
    assert parse_git_source(source) == expected


def test_a_local_path_in_a_git_source_is_relative_to_its_base(tmp_path: Path):
    spec = parse_git_source("git+../contracts.git@v1", base=tmp_path / "provider")
    assert spec == GitSpec((tmp_path / "contracts.git").as_uri(), "v1")


def test_a_repository_that_is_not_there_is_a_one_line_error(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cdcxml("validate", "-c", "git+missing.git@v1", RESPONSES / "no-instock.xml")
    assert result.exit_code == 2
    assert result.stderr.startswith("cdcxml: git ls-remote failed: ")
    assert "missing.git' does not appear to be a git repository" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

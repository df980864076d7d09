"""``cdcxml publish``: contracts published at a version to a real bare git repository or a folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cdcxml.sources.publish import bundles, is_git_target

from .helpers import cli as cdcxml
from .helpers import git

DATA = Path(__file__).parent / "data" / "publish"
RESELLER_V1 = DATA / "reseller-web" / "v1"
RESELLER_V2 = DATA / "reseller-web" / "v2"
MOBILE_V1 = DATA / "mobile-app" / "v1"
MOBILE_V2 = DATA / "mobile-app" / "v2"


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    repo = tmp_path / "contracts.git"
    git("init", "-q", "--bare", str(repo))
    return repo


def show(repo: Path, rev: str, path: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo), "show", f"{rev}:{path}"],
                          capture_output=True, check=True).stdout


def test_two_consumers_publish_two_versions_each(remote: Path):
    url = remote.as_uri()
    before = (RESELLER_V1 / "reseller-web.sch").read_bytes()
    for folder, version in ((RESELLER_V1, "1.0.0"), (MOBILE_V1, "1.0.0"),
                            (RESELLER_V2, "2.0.0"), (MOBILE_V2, "2.0.0")):
        result = cdcxml("publish", folder, "--version", version, "--to", url)
        assert result.exit_code == 0, result.output
        assert f"{version} for product-search" in result.output

    tags = git("--git-dir", str(remote), "tag", "--list").splitlines()
    assert sorted(tags) == [
        "mobile-app/product-search/v1.0.0", "mobile-app/product-search/v2.0.0",
        "reseller-web/product-search/v1.0.0", "reseller-web/product-search/v2.0.0",
    ]
    # Each tag holds the version it names, set in the published copy only.
    v1 = show(remote, "reseller-web/product-search/v1.0.0",
              "product-search/reseller-web/reseller-web.sch")
    assert b'provider="product-search" version="1.0.0"/>' in v1
    assert (RESELLER_V1 / "reseller-web.sch").read_bytes() == before
    assert v1.replace(b' version="1.0.0"', b"") == before
    body = show(remote, "reseller-web/product-search/v1.0.0",
                "product-search/reseller-web/requests/search-widgets.xml")
    assert body == (RESELLER_V1 / "requests" / "search-widgets.xml").read_bytes()
    # v2 brings its included pattern along; v1's tree does not have it.
    include = show(remote, "reseller-web/product-search/v2.0.0",
                   "product-search/reseller-web/common/manufacturer.sch")
    assert include == (RESELLER_V2 / "common" / "manufacturer.sch").read_bytes()
    v1_files = git("--git-dir", str(remote), "ls-tree", "-r", "--name-only",
                   "reseller-web/product-search/v1.0.0")
    assert "product-search/reseller-web/common/manufacturer.sch" not in v1_files
    # mobile-app v1 already said 1.0.0 itself: published byte for byte.
    assert show(remote, "mobile-app/product-search/v1.0.0",
                "product-search/mobile-app/mobile-app.sch") == (MOBILE_V1 / "mobile-app.sch").read_bytes()


def test_same_version_twice_is_refused_and_the_tag_stays(remote: Path):
    url = remote.as_uri()
    assert cdcxml("publish", RESELLER_V1, "--version", "1.0.0", "--to", url).exit_code == 0
    tag = "reseller-web/product-search/v1.0.0"
    commit = git("--git-dir", str(remote), "rev-parse", f"{tag}^{{commit}}")
    head = git("--git-dir", str(remote), "rev-parse", "HEAD")

    again = cdcxml("publish", RESELLER_V2, "--version", "1.0.0", "--to", url)

    assert again.exit_code == 2
    assert f"tag {tag} exists" in again.stderr
    assert "--force" in again.stderr
    assert git("--git-dir", str(remote), "rev-parse", f"{tag}^{{commit}}") == commit
    assert git("--git-dir", str(remote), "rev-parse", "HEAD") == head


def test_force_moves_the_tag_to_the_new_content(remote: Path):
    url = remote.as_uri()
    assert cdcxml("publish", RESELLER_V1, "--version", "1.0.0", "--to", url).exit_code == 0
    tag = "reseller-web/product-search/v1.0.0"
    old = git("--git-dir", str(remote), "rev-parse", f"{tag}^{{commit}}")

    forced = cdcxml("publish", RESELLER_V2, "--version", "1.0.0", "--to", url, "--force")

    assert forced.exit_code == 0, forced.output
    new = git("--git-dir", str(remote), "rev-parse", f"{tag}^{{commit}}")
    assert new != old
    assert git("--git-dir", str(remote), "rev-parse", f"{new}^") == old
    assert show(remote, tag, "product-search/reseller-web/common/manufacturer.sch")


def test_bare_repository_path_and_folder_are_told_apart(tmp_path: Path, remote: Path):
    bare = tmp_path / "shared-contracts"
    git("init", "-q", "--bare", str(bare))
    assert is_git_target(str(bare))
    assert is_git_target(str(remote))
    assert is_git_target("https://git.example.com/contracts")
    assert is_git_target("git@git.example.com:team/contracts.git")
    assert not is_git_target(str(tmp_path / "published"))

    result = cdcxml("publish", MOBILE_V2, "--version", "2.0.0", "--to", bare)
    assert result.exit_code == 0, result.output
    assert git("--git-dir", str(bare), "tag", "--list") == "mobile-app/product-search/v2.0.0"


def test_a_contract_whose_version_disagrees_is_refused(remote: Path):
    result = cdcxml("publish", MOBILE_V1, "--version", "2.0.0", "--to", remote.as_uri())

    assert result.exit_code == 2
    assert "mobile-app.sch:7: contract version 1.0.0 does not match" in result.stderr
    assert "2.0.0" in result.stderr
    assert git("--git-dir", str(remote), "tag", "--list") == ""


def test_equal_versions_in_other_spelling_agree(remote: Path):
    result = cdcxml("publish", MOBILE_V1, "--version", "1.0", "--to", remote.as_uri())
    assert result.exit_code == 0, result.output
    assert git("--git-dir", str(remote), "tag", "--list") == "mobile-app/product-search/v1.0"


def test_plain_schematron_without_provider_is_refused(tmp_path: Path):
    result = cdcxml("publish", DATA / "plain" / "search.sch", "--version", "1.0.0",
                    "--to", tmp_path / "out")
    assert result.exit_code == 2
    assert "search.sch: names no provider" in result.stderr
    assert not (tmp_path / "out").exists()


def test_unusable_version_and_names_are_refused(tmp_path: Path):
    result = cdcxml("publish", RESELLER_V1, "--version", "1.0 beta", "--to", tmp_path / "out")
    assert result.exit_code == 2
    assert "version '1.0 beta' is not a usable version" in result.stderr

    odd = tmp_path / "odd.sch"
    odd.write_bytes((RESELLER_V1 / "reseller-web.sch").read_bytes()
                    .replace(b'consumer="reseller-web"', b'consumer="reseller/web"')
                    .replace(b' href="requests/search-widgets.xml"', b""))
    result = cdcxml("publish", odd, "--version", "1.0.0", "--to", tmp_path / "out")
    assert result.exit_code == 2
    assert "odd.sch:7: consumer name 'reseller/web' cannot be published" in result.stderr


def test_publish_to_a_folder(tmp_path: Path):
    out = tmp_path / "published"
    result = cdcxml("publish", RESELLER_V2, "--version", "2.0.0", "--to", out)
    assert result.exit_code == 0, result.output

    dest = out / "product-search" / "reseller-web" / "2.0.0"
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "common/manufacturer.sch", "requests/search-widgets.xml", "reseller-web.sch",
    ]
    assert b'version="2.0.0"' in (dest / "reseller-web.sch").read_bytes()

    again = cdcxml("publish", RESELLER_V1, "--version", "2.0.0", "--to", out)
    assert again.exit_code == 2
    assert "already published" in again.stderr
    assert (dest / "common" / "manufacturer.sch").exists()

    forced = cdcxml("publish", RESELLER_V1, "--version", "2.0.0", "--to", out, "--force")
    assert forced.exit_code == 0, forced.output
    assert not (dest / "common").exists()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["2.0.0"]


def test_included_fragments_are_not_contracts_of_their_own():
    (bundle,) = bundles([RESELLER_V2], "2.0.0")
    assert bundle.contracts == ("reseller-web.sch",)
    assert [name for name, _ in bundle.files] == [
        "common/manufacturer.sch", "requests/search-widgets.xml", "reseller-web.sch",
    ]
    assert bundle.tag == "reseller-web/product-search/v2.0.0"


def test_a_folder_that_cannot_be_written_is_a_one_line_error(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    result = cdcxml("publish", MOBILE_V2, "--version", "2.0.0", "--to", blocker)
    assert result.exit_code == 2
    assert "not-a-folder/product-search/mobile-app: cannot write there" in result.stderr
    assert "Traceback" not in result.output

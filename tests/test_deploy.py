"""Verification records, pending contracts, ``can-i-deploy``, ``record-deployment`` and ``matrix``:
two consumers and a provider in real git repositories, the provider a real HTTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from .helpers import cli as cdcxml
from .helpers import git
from .verify_support import FakeProvider, Reply

DATA = Path(__file__).parent / "data" / "publish"
RESPONSES = DATA / "responses"
WITHOUT_STOCK = (RESPONSES / "no-instock.xml").read_bytes()  # CatalogueID, Name, Price
WITH_STOCK = (RESPONSES / "no-manufacturer.xml").read_bytes()  # ... and InStock
ENVELOPE = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b"%s</soap:Body></soap:Envelope>")
IDENTITY = ["-c", "user.name=Provider Team", "-c", "user.email=provider@example.com"]


def answering(products: bytes):
    """A route answering SOAP requests with an envelope, plain XML ones with the bare document."""
    bare = products.split(b"?>", 1)[-1].strip()

    def route(call):
        soap = any(k.lower() == "soapaction" for k in call.headers)
        return Reply(200, ENVELOPE % bare if soap else products)

    return route


@pytest.fixture
def service():
    p = FakeProvider().start()
    p.routes["/ProductSearch"] = answering(WITHOUT_STOCK)
    yield p
    p.close()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    repo = tmp_path / "contracts.git"
    git("init", "-q", "--bare", str(repo))
    return repo


def tags_and_commits(remote: Path) -> dict[str, str]:
    listed = git("--git-dir", str(remote), "show-ref", "--tags", "--dereference")
    return dict(reversed(line.split(" ", 1)) for line in listed.splitlines())


def records_in(remote: Path) -> dict[str, str]:
    """Every record file on the remote's branch and its blob id."""
    listed = git("--git-dir", str(remote), "ls-tree", "-r", "HEAD", "--", "verifications",
                 "deployments")
    return {line.split("\t")[1]: line.split()[2] for line in listed.splitlines()}


def provider_project(tmp_path: Path, remote: Path, monkeypatch) -> Path:
    project = tmp_path / "product-search"
    project.mkdir()
    git("init", "-q", "-b", "main", str(project))
    monkeypatch.chdir(project)
    return project


def pin(project: Path, *tags: str) -> None:
    sources = "".join(f'  "git+../contracts.git@{t}",\n' for t in tags)
    (project / "cdcxml.toml").write_text(
        f'[contracts]\nprovider = "product-search"\nsources = [\n{sources}]\n', encoding="utf-8")
    assert cdcxml("pull", "--update").exit_code == 0


def release(project: Path, tag: str) -> None:
    git("add", "cdcxml.toml", "cdcxml.lock", cwd=project)
    git(*IDENTITY, "commit", "-q", "--allow-empty", "-m", f"release {tag}", cwd=project)
    git(*IDENTITY, "tag", "-a", tag, "-m", tag, cwd=project)


def verify(service, *extra):
    return cdcxml("verify", "--base-url", service.url, "--record", *extra)


def test_the_whole_loop(tmp_path: Path, remote: Path, service, monkeypatch):
    store = remote.as_uri()
    # Two consumers publish their first contracts.
    for folder in (DATA / "reseller-web" / "v1", DATA / "mobile-app" / "v1"):
        assert cdcxml("publish", folder, "--version", "1.0.0", "--to", store).exit_code == 0

    # The provider pins them, releases v1.0.0 and verifies it with records.
    project = provider_project(tmp_path, remote, monkeypatch)
    pin(project, "reseller-web/product-search/v1.0.0", "mobile-app/product-search/v1.0.0")
    release(project, "v1.0.0")
    first = verify(service)
    assert first.exit_code == 0, first.output
    assert "2 interactions: 2 passed" in first.stdout
    written = records_in(remote)
    assert sorted(p.split("/")[2:5] for p in written) == [
        ["mobile-app", "1.0.0", "v1.0.0"], ["reseller-web", "1.0.0", "v1.0.0"]]
    record = json.loads(git("--git-dir", str(remote), "show", f"HEAD:{min(written)}"))
    assert record["provider_version"] == "v1.0.0"  # git describe of the provider's checkout
    assert record["provider_branch"] == "main"
    # Never passed before this run, so it was still pending while it ran.
    assert record["result"] == "passed" and record["pending"] is True
    assert [i["id"] for i in record["interactions"]] == ["search-all"]
    assert len(record["contract_sha256"]) == 64 and record["cdcxml"]

    # Both consumers and the provider run in test and production.
    for env in ("test", "production"):
        for role, name, version in (("consumer", "reseller-web", "1.0.0"),
                                    ("consumer", "mobile-app", "1.0.0"),
                                    ("provider", "product-search", "v1.0.0")):
            done = cdcxml("record-deployment", f"--{role}", name, "--version", version,
                          "--to", env, "--records", store)
            assert done.exit_code == 0, done.output
    assert cdcxml("can-i-deploy", "--provider", "product-search", "--version", "v1.0.0",
                  "--to", "production", "--records", store).exit_code == 0

    # mobile-app publishes a stricter contract: it wants InStock, which v1.0.0 does not send.
    tags_before = tags_and_commits(remote)
    assert cdcxml("publish", DATA / "mobile-app" / "v2", "--version", "2.0.0",
                  "--to", store).exit_code == 0
    pin(project, "reseller-web/product-search/v1.0.0", "mobile-app/product-search/v1.0.0",
        "mobile-app/product-search/v2.0.0")
    git("add", "cdcxml.toml", "cdcxml.lock", cwd=project)
    git(*IDENTITY, "commit", "-q", "-m", "pin mobile-app 2.0.0", cwd=project)
    # The version running in test and production is verified against the new contract.
    pending = verify(service, "--provider-version", "v1.0.0")
    assert pending.exit_code == 0, pending.output  # pending: the build stays green
    assert "FAIL (pending) mobile-app / search-all" in pending.stdout
    assert "has-in-stock" in pending.stdout
    assert "1 of the failures are of pending contracts" in pending.stdout
    # Pending without recording: --records names the store the records are read from.
    check = ("verify", "--base-url", service.url, "--records", store)
    as_json = cdcxml(*check, "--format", "json")
    assert as_json.exit_code == 0
    docs = json.loads(as_json.stdout)["documents"]
    assert [(d["consumer"], d["outcome"], d["pending"]) for d in docs] == [
        ("reseller-web", "passed", False), ("mobile-app", "passed", False),
        ("mobile-app", "failed", True)]
    junit = etree.fromstring(cdcxml(*check, "--format", "junit").stdout_bytes)
    assert junit.get("failures") == "0"
    assert junit.find(".//testsuite[@name='mobile-app']").get("skipped") == "1"
    assert "pending contract: has-in-stock" in junit.find(".//skipped").get("message")
    # Without pending, the same run is red.
    assert cdcxml(*check, "--all-required").exit_code == 1

    # can-i-deploy, the consumer's question: mobile-app 2.0.0 against the v1.0.0 in test: no.
    no = cdcxml("can-i-deploy", "--consumer", "mobile-app", "--version", "2.0.0", "--to", "test",
                "--records", store)
    assert no.exit_code == 1, no.output
    assert no.stdout.startswith("can mobile-app 2.0.0 deploy to test? no")
    assert "FAILED" in no.stdout and "has-in-stock" in no.stdout

    # The provider sends InStock in v1.1.0; before it is verified, it may not go to production.
    service.routes["/ProductSearch"] = answering(WITH_STOCK)
    release(project, "v1.1.0")
    unverified = cdcxml("can-i-deploy", "--provider", "product-search", "--version", "v1.1.0",
                        "--to", "production", "--records", store)
    assert unverified.exit_code == 1
    assert unverified.stdout.count("UNVERIFIED") == 2  # both consumers running there
    green = verify(service)
    assert green.exit_code == 0 and "(pending)" not in green.stdout
    yes = cdcxml("can-i-deploy", "--provider", "product-search", "--version", "v1.1.0",
                 "--to", "production", "--records", store)
    assert yes.exit_code == 0, yes.output
    assert yes.stdout.startswith("can product-search v1.1.0 deploy to production? yes")
    for env in ("test", "production"):
        assert cdcxml("record-deployment", "--provider", "product-search", "--version", "v1.1.0",
                      "--to", env, "--records", store).exit_code == 0
    consumer_yes = cdcxml("can-i-deploy", "--consumer", "mobile-app", "--version", "2.0.0",
                          "--to", "test", "--records", store, "--format", "json")
    assert consumer_yes.exit_code == 0, consumer_yes.output
    answer = json.loads(consumer_yes.stdout)
    assert answer["deploy"] is True
    assert [(r["provider_version"], r["verdict"]) for r in answer["rows"]] == [("v1.1.0", "passed")]

    # Having passed on main, mobile-app 2.0.0 is required: a regression fails the build.
    service.routes["/ProductSearch"] = answering(WITHOUT_STOCK)
    release(project, "v1.2.0")
    red = verify(service)
    assert red.exit_code == 1
    assert "FAIL  mobile-app / search-all" in red.stdout

    # The matrix, in every format: consumers × provider versions.
    text = cdcxml("matrix", "--records", store, "--provider", "product-search")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[1] == "deployed: v1.1.0 in production, v1.1.0 in test"
    header = lines[2].split()
    assert header[:3] == ["consumer", "version", "contract"]
    assert header[3:] == ["v1.0.0", "v1.1.0", "v1.2.0"]
    mobile2 = next(line for line in lines if line.startswith("mobile-app") and "2.0.0" in line)
    assert mobile2.split()[3:] == ["failed", "passed", "failed"]
    matrix = json.loads(cdcxml("matrix", "--records", store, "--format", "json").stdout)
    rows = {(c["consumer"], c["version"]): c for c in matrix["providers"][0]["contracts"]}
    assert rows[("mobile-app", "1.0.0")]["environments"] == ["production", "test"]
    assert rows[("mobile-app", "2.0.0")]["verdicts"]["v1.1.0"]["verdict"] == "passed"
    page = etree.HTML(cdcxml("matrix", "--records", store, "--format", "html").stdout)
    cell = page.xpath("//tr[@data-consumer='mobile-app'][2]/td[@data-provider-version='v1.2.0']")
    assert cell[0].text == "failed" and "reject" in cell[0].get("class")
    assert "has-in-stock" in cell[0].get("title")
    assert page.xpath("//div[@id='legend']//li")  # the frame every HTML report shares

    # Nothing was rewritten: every tag where it was, every record as first written.
    after = tags_and_commits(remote)
    assert {t: after[t] for t in tags_before} == tags_before
    assert all(records_in(remote)[p] == blob for p, blob in written.items())
    log = git("--git-dir", str(remote), "log", "--format=", "--name-status", "--", "verifications",
              "deployments")
    assert {line.split("\t")[0] for line in log.splitlines() if line} == {"A"}
    # Four recorded runs (2, 3, 3 and 3 contracts) and eight deployments.
    assert len(records_in(remote)) == 11 + 8


def test_a_tampered_record_is_refused_in_one_line(tmp_path: Path, remote: Path, service,
                                                  monkeypatch):
    store = remote.as_uri()
    assert cdcxml("publish", DATA / "mobile-app" / "v2", "--version", "2.0.0",
                  "--to", store).exit_code == 0
    project = provider_project(tmp_path, remote, monkeypatch)
    pin(project, "mobile-app/product-search/v2.0.0")
    release(project, "v1.0.0")
    assert verify(service).exit_code == 0  # pending: it fails, and is recorded as failed
    # Someone turns the failed record green in a later commit.
    work = tmp_path / "tamper"
    git("clone", "-q", store, str(work))
    (path,) = records_in(remote)
    record = work / path
    record.write_text(record.read_text().replace('"failed"', '"passed"'), encoding="utf-8")
    git("add", "-A", cwd=work)
    git(*IDENTITY, "commit", "-q", "-m", "all green", cwd=work)
    git("push", "-q", "origin", "HEAD", cwd=work)

    for args in (("can-i-deploy", "--provider", "product-search", "--version", "v1.0.0"),
                 ("matrix",)):
        refused = cdcxml(*args, "--records", store)
        assert refused.exit_code == 2
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert f"record {path} was changed after it was written" in refused.stderr
    # Verify with records refuses too, before sending anything.
    calls = len(service.calls)
    assert verify(service, "--provider-version", "v9").exit_code == 2
    assert len(service.calls) == calls


def test_a_record_whose_digest_does_not_match_is_refused(tmp_path: Path, service, monkeypatch):
    folder = tmp_path / "records"
    assert cdcxml("publish", DATA / "mobile-app" / "v1", "--version", "1.0.0",
                  "--to", folder).exit_code == 0
    monkeypatch.chdir(tmp_path)
    contract = folder / "product-search" / "mobile-app" / "1.0.0"
    done = cdcxml("verify", "--base-url", service.url, "-c", contract, "--record",
                  "--records", folder, "--provider-version", "2.0.0")
    assert done.exit_code == 0, done.output
    assert cdcxml("can-i-deploy", "--provider", "product-search", "--version", "2.0.0",
                  "--records", folder).exit_code == 0
    (record,) = (folder / "verifications").rglob("*.json")
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace('"passed"', '"failed"', 1), encoding="utf-8")

    refused = cdcxml("can-i-deploy", "--provider", "product-search", "--version", "2.0.0",
                     "--records", folder)
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1
    assert "hash mismatch" in refused.stderr and record.name in refused.stderr


def test_records_are_never_written_over_or_through_links(tmp_path: Path, service, monkeypatch):
    from cdcxml.deploy import store
    from cdcxml.deploy.records import Deployment, RecordError

    folder = tmp_path / "records"
    rec = Deployment("test", "consumer", "mobile-app", "1.0.0", 1, "0", "2024-01-01T00:00:00+00:00")
    store.add(str(folder), lambda _root: [rec], "first")
    with pytest.raises(RecordError, match="already exists and records are never rewritten"):
        store.add(str(folder), lambda _root: [rec], "again")
    outside = tmp_path / "outside"
    outside.mkdir()
    other = tmp_path / "planted"
    other.mkdir()
    (other / "deployments").symlink_to(outside)
    with pytest.raises(RecordError, match="deployments is a symbolic link"):
        store.add(str(other), lambda _root: [rec], "through a link")
    assert list(outside.iterdir()) == []


def test_nothing_to_check_is_not_a_yes(tmp_path: Path, remote: Path):
    store = remote.as_uri()
    assert cdcxml("publish", DATA / "mobile-app" / "v1", "--version", "1.0.0",
                  "--to", store).exit_code == 0
    empty = cdcxml("can-i-deploy", "--provider", "product-search", "--version", "v1",
                   "--to", "staging", "--records", store)
    assert empty.exit_code == 1
    assert "nothing to check: no consumer of product-search is recorded as deployed to staging" \
        in empty.stdout
    allowed = cdcxml("can-i-deploy", "--provider", "product-search", "--version", "v1",
                     "--to", "staging", "--records", store, "--allow-empty")
    assert allowed.exit_code == 0 and "? yes" in allowed.stdout and "nothing to check" in allowed.stdout


def test_someone_pushing_meanwhile_is_kept_and_the_record_goes_on_top(tmp_path: Path,
                                                                      remote: Path):
    from cdcxml.deploy import store
    from cdcxml.deploy.records import Deployment

    store_url = remote.as_uri()
    assert cdcxml("publish", DATA / "mobile-app" / "v1", "--version", "1.0.0",
                  "--to", store_url).exit_code == 0
    numbers = []

    def make(root):
        number = store.next_number(root, "deployments/test/consumer/mobile-app")
        numbers.append(number)
        if len(numbers) == 1:  # another deployment lands between our clone and our push
            assert cdcxml("record-deployment", "--consumer", "mobile-app", "--version", "1.0.0",
                          "--to", "test", "--records", store_url).exit_code == 0
        return [Deployment("test", "consumer", "mobile-app", "1.1.0", number, "0",
                           "2024-01-01T00:00:00.000000+00:00")]

    written = store.add(store_url, make, "ours")
    assert numbers == [1, 2]
    assert written == ["deployments/test/consumer/mobile-app/000002.json"]
    theirs = json.loads(git("--git-dir", str(remote), "show",
                            "HEAD:deployments/test/consumer/mobile-app/000001.json"))
    assert theirs["version"] == "1.0.0"
    log = git("--git-dir", str(remote), "log", "--format=%s")
    assert log.splitlines()[:2] == ["ours", "Record deployment of mobile-app 1.0.0 to test"]


def test_record_needs_whole_contracts_and_a_provider_version(tmp_path: Path, service,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)  # no git checkout here: no git describe
    contract = DATA / "mobile-app" / "v1"
    folder = tmp_path / "records"
    base = ("verify", "--base-url", service.url, "-c", contract, "--record", "--records", folder)
    no_version = cdcxml(*base)
    assert no_version.exit_code == 2
    assert "no provider version: give --provider-version" in no_version.stderr
    partial = cdcxml(*base, "--provider-version", "1", "--interaction", "search-all")
    assert partial.exit_code == 2 and "cannot be used with --interaction" in partial.stderr
    unversioned = cdcxml("verify", "--base-url", service.url, "-c", DATA / "mobile-app" / "v2",
                         "--record", "--records", folder, "--provider-version", "1")
    assert unversioned.exit_code == 2 and "has no version" in unversioned.stderr
    assert service.calls == []

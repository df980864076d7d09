"""``cdcxml package``: standard wheels of contracts, installed with pip and found with --installed."""

from __future__ import annotations

import base64
import configparser
import csv
import hashlib
import io
import json
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cdcxml.cli.sources_opt import installed_option

from .helpers import cli as cdcxml

DATA = Path(__file__).parent / "data" / "publish"
REPO = Path(__file__).parents[1]
RESPONSES = DATA / "responses"


def build(source: Path, version: str, dist: Path) -> Path:
    result = cdcxml("package", source, "--version", version, "-o", dist)
    assert result.exit_code == 0, result.output
    (wheel,) = [Path(line) for line in result.output.splitlines()]
    return wheel


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dist")


@pytest.fixture(scope="module")
def reseller_v2(dist: Path) -> Path:
    return build(DATA / "reseller-web" / "v2", "2.0.0", dist)


def test_the_wheel_is_named_after_consumer_and_provider(reseller_v2: Path):
    assert reseller_v2.name == "reseller_web_contracts_product_search-2.0.0-py3-none-any.whl"
    with zipfile.ZipFile(reseller_v2) as zf:
        names = sorted(zf.namelist())
        contract = zf.read("reseller_web_contracts_product_search/contracts/reseller-web.sch")
    info = "reseller_web_contracts_product_search-2.0.0.dist-info"
    assert names == sorted([
        "reseller_web_contracts_product_search/__init__.py",
        "reseller_web_contracts_product_search/contracts/common/manufacturer.sch",
        "reseller_web_contracts_product_search/contracts/requests/search-widgets.xml",
        "reseller_web_contracts_product_search/contracts/reseller-web.sch",
        f"{info}/METADATA", f"{info}/WHEEL", f"{info}/entry_points.txt", f"{info}/RECORD",
    ])
    source = (DATA / "reseller-web" / "v2" / "reseller-web.sch").read_bytes()
    assert b'provider="product-search" version="2.0.0"/>' in contract
    assert contract.replace(b' version="2.0.0"', b"") == source


def test_record_metadata_and_entry_point_pass_the_wheel_checks(reseller_v2: Path):
    info = "reseller_web_contracts_product_search-2.0.0.dist-info"
    with zipfile.ZipFile(reseller_v2) as zf:
        record = list(csv.reader(io.StringIO(zf.read(f"{info}/RECORD").decode("utf-8"))))
        assert sorted(row[0] for row in record) == sorted(zf.namelist())
        for name, digest, size in record:
            if name == f"{info}/RECORD":
                assert digest == "" and size == ""
                continue
            data = zf.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode("ascii"), name
            assert int(size) == len(data), name
        metadata = Parser().parsestr(zf.read(f"{info}/METADATA").decode("utf-8"))
        wheel = Parser().parsestr(zf.read(f"{info}/WHEEL").decode("utf-8"))
        entry_points = configparser.ConfigParser()
        entry_points.read_string(zf.read(f"{info}/entry_points.txt").decode("utf-8"))
    assert metadata["Metadata-Version"] in {"2.1", "2.2", "2.3", "2.4", "2.5"}
    assert metadata["Name"] == "reseller-web-contracts-product-search"
    assert metadata["Version"] == "2.0.0"
    assert "reseller-web" in metadata["Summary"] and "product-search" in metadata["Summary"]
    assert wheel["Wheel-Version"] == "1.0"
    assert wheel["Root-Is-Purelib"] == "true"
    assert wheel["Tag"] == "py3-none-any"
    assert dict(entry_points["cdcxml.contracts"]) == {
        "reseller-web": "reseller_web_contracts_product_search",
    }

    from wheel.wheelfile import WheelFile

    with WheelFile(reseller_v2) as wf:  # reading every member checks it against RECORD
        for member in wf.namelist():
            wf.read(member)
    checked = subprocess.run([sys.executable, "-m", "check_wheel_contents", str(reseller_v2)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().endswith(": OK")


def test_builds_are_reproducible(tmp_path: Path, reseller_v2: Path):
    again = build(DATA / "reseller-web" / "v2", "2.0.0", tmp_path)
    assert again.read_bytes() == reseller_v2.read_bytes()


def test_versions_must_agree_and_be_package_versions(tmp_path: Path):
    mismatch = cdcxml("package", DATA / "mobile-app" / "v1", "--version", "1.1.0", "-o", tmp_path)
    assert mismatch.exit_code == 2
    assert "mobile-app.sch:7: contract version 1.0.0 does not match" in mismatch.stderr

    bad = cdcxml("package", DATA / "mobile-app" / "v2", "--version", "2.0.0-final-x",
                 "-o", tmp_path)
    assert bad.exit_code == 2
    assert "not a valid package version" in bad.stderr
    assert list(tmp_path.iterdir()) == []


def test_provider_without_installed_is_a_usage_error():
    @click.command()
    @click.option("-c", "contracts", multiple=True)
    @installed_option()
    def show(contracts):
        click.echo(" ".join(contracts))

    runner = CliRunner()
    assert runner.invoke(show, ["-c", "a.sch"]).output == "a.sch\n"
    assert runner.invoke(show, ["-c", "a.sch", "--installed", "--provider", "product-search"]
                         ).output == "a.sch installed:product-search\n"
    refused = runner.invoke(show, ["--provider", "product-search"])
    assert refused.exit_code == 2
    assert "--provider is used with --installed" in refused.output


_SHOW_INSTALLED = textwrap.dedent('''
    """Lists contracts as a command with --installed sees them, and checks a document."""
    import click
    from cdcxml.cli import main
    from cdcxml.cli.sources_opt import installed_option, load_sources

    @main.command("show")
    @click.option("-c", "contracts", multiple=True)
    @click.argument("document")
    @installed_option()
    def show(contracts, document):
        for c in load_sources(contracts):
            verdict = "holds" if c.validate(document).valid else "broken"
            click.echo(f"{c.consumer} {c.version} {verdict}")

    main()
''')


def test_installed_in_a_fresh_environment_and_found_with_installed(tmp_path: Path, dist: Path):
    reseller_v1 = build(DATA / "reseller-web" / "v1", "1.0.0", dist)
    reseller_v2 = build(DATA / "reseller-web" / "v2", "2.0.0", dist)
    mobile_v2 = build(DATA / "mobile-app" / "v2", "2.0.0", dist)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True)
    # cdcxml's own dependencies come from the running environment, so nothing is downloaded.
    Path(purelib.stdout.strip(), "dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    def pip(*args):
        done = subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    pip("install", "-q", "--no-index", "--no-deps", "--no-build-isolation", str(REPO))
    pip("install", "-q", "--no-index", "--no-deps", str(reseller_v1), str(mobile_v2))
    assert "No broken requirements" in pip("check")
    assert "Version: 1.0.0" in pip("show", "reseller-web-contracts-product-search")

    def run(*args, cwd=tmp_path):
        return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True)

    script = tmp_path / "show.py"
    script.write_text(_SHOW_INSTALLED, encoding="utf-8")
    shown = run(str(script), "show", "--installed", "--provider", "product-search",
                str(RESPONSES / "no-manufacturer.xml"))
    assert shown.returncode == 0, shown.stderr
    assert sorted(shown.stdout.splitlines()) == ["mobile-app 2.0.0 holds",
                                                 "reseller-web 1.0.0 holds"]
    other = run(str(script), "show", "--installed", "--provider", "price-list",
                str(RESPONSES / "no-manufacturer.xml"))
    # No package has contracts for that provider: nothing to check is an error, not a pass.
    assert (other.returncode, other.stdout) == (2, "")
    assert other.stderr == ("cdcxml: installed:price-list: no installed contract package has "
                            "contracts for provider 'price-list'\n")

    # The provider pins what is installed; an upgrade behind its back is refused.
    project = tmp_path / "product-search"
    project.mkdir()
    (project / "cdcxml.toml").write_text(
        '[contracts]\nprovider = "product-search"\nsources = ["installed:product-search"]\n',
        encoding="utf-8")
    pulled = subprocess.run([str(venv / "bin" / "cdcxml"), "pull"], cwd=project,
                            capture_output=True, text=True)
    assert pulled.returncode == 0, pulled.stderr
    lock = json.loads((project / "cdcxml.lock").read_text(encoding="utf-8"))
    assert sorted((e["package"], e["package_version"], e["kind"]) for e in lock["contracts"]) == [
        ("mobile-app-contracts-product-search", "2.0.0", "installed"),
        ("reseller-web-contracts-product-search", "1.0.0", "installed"),
    ]

    pip("install", "-q", "--no-index", "--no-deps", str(reseller_v2))
    refused = run(str(script), "show", "-c", "installed:product-search",
                  str(RESPONSES / "no-manufacturer.xml"), cwd=project)
    assert refused.returncode == 2
    assert "reseller-web-contracts-product-search 2.0.0 is installed" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    updated = subprocess.run([str(venv / "bin" / "cdcxml"), "pull", "--update"], cwd=project,
                             capture_output=True, text=True)
    assert updated.returncode == 0, updated.stderr
    shown = run(str(script), "show", "-c", "installed:product-search",
                str(RESPONSES / "no-manufacturer.xml"), cwd=project)
    assert sorted(shown.stdout.splitlines()) == ["mobile-app 2.0.0 holds",
                                                 "reseller-web 2.0.0 broken"]

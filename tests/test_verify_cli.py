"""``cdcxml verify`` on the command line: output formats, configuration, exit codes 0/1/2."""

from __future__ import annotations

import json
import ssl
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from click.testing import CliRunner
from lxml import etree

from cdcxml.cli import main
from cdcxml.config import VerifySettings, load_config
from cdcxml.errors import ConfigError

from .verify_support import (
    DATA,
    EXAMPLE,
    FakeProvider,
    Reply,
    closed_port,
    data,
    load_example_app,
    self_signed_certificate,
)

CONTRACTS = DATA / "contracts"
RESELLER = CONTRACTS / "reseller-web.sch"
JUNIT_XSD = DATA / "junit" / "junit.xsd"


@pytest.fixture
def provider():
    p = FakeProvider().start()
    p.routes["/_state"] = Reply(200, b"", None)
    yield p
    p.close()


def cdcxml(*args: str):
    return CliRunner().invoke(main, ["verify", *args])


def both(provider, products="products-11.xml", *extra):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", products))
    return cdcxml("--base-url", provider.url, "-c", str(CONTRACTS),
                  "--state-url", provider.url + "/_state", *extra)


def test_contracts_is_still_accepted_as_the_old_spelling_of_contract(provider):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "products-11.xml"))
    old = cdcxml("--base-url", provider.url, "--contracts", str(CONTRACTS),
                 "--state-url", provider.url + "/_state")
    new = cdcxml("--base-url", provider.url, "--contract", str(CONTRACTS),
                 "--state-url", provider.url + "/_state")
    assert (old.exit_code, new.exit_code) == (0, 0), old.output
    assert old.stdout.splitlines()[-1] == new.stdout.splitlines()[-1] == "No consumer would break."
    assert "--contracts" not in CliRunner().invoke(main, ["verify", "--help"]).output


def test_a_provider_that_keeps_every_contract_exits_0(provider):
    result = both(provider)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PASS  marketing / search-in-stock  POST ")
    assert lines[1].startswith("PASS  reseller-web / search-widgets  POST "
                               f"{provider.url}/ProductSearch 200")
    assert lines[-2:] == ["2 interactions: 2 passed, 0 failed, 0 errors",
                          "No consumer would break."]


def test_a_broken_consumer_exits_1_naming_consumer_and_assertion(provider):
    result = both(provider, "no-price-11.xml")
    assert result.exit_code == 1
    assert "FAIL  reseller-web / search-widgets" in result.stdout
    assert "      has-price (line 11, /soap:Envelope[1]/soap:Body[1]/" in result.stdout
    assert "p:Product[2]): Must contain Price node" in result.stdout
    assert result.stdout.rstrip().endswith(
        "Consumers that would break:\n  reseller-web: search-widgets (has-price)")


def test_a_provider_that_is_down_is_not_checked_rather_than_breaking_a_consumer():
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = cdcxml("--base-url", url, "-c", str(RESELLER), "--timeout", "2")
    assert result.exit_code == 1
    assert "Consumers that would break" not in result.stdout
    summary = result.stdout.split("\n\n")[-1]
    assert summary.startswith("1 interaction: 0 passed, 0 failed, 1 error\n"
                              "Not checked (no usable answer, so nothing is known):\n"
                              "  reseller-web: search-widgets (")


def test_json_output_has_one_document_object_per_interaction(provider):
    result = both(provider, "no-price-11.xml", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["cdcxml"] == "1"
    assert report["summary"] == {"documents": 2, "valid": 1, "invalid": 1, "errors": 0}
    doc = next(d for d in report["documents"] if d["consumer"] == "reseller-web")
    assert doc["interaction"] == "search-widgets"
    assert doc["request"] == {"method": "POST", "url": f"{provider.url}/ProductSearch"}
    assert doc["path"] == f"{provider.url}/ProductSearch"
    assert (doc["status"], doc["fault"], doc["error"], doc["valid"]) == (200, None, None, False)
    [contract] = doc["contracts"]
    assert contract["consumer"] == "reseller-web"
    [failure] = contract["failures"]
    assert (failure["id"], failure["line"], failure["pattern"]) == ("has-price", 11,
                                                                    "search-results")
    assert report["consumers"] == [
        {"consumer": "marketing", "valid": True, "interactions": 1, "broken": []},
        {"consumer": "reseller-web", "valid": False, "interactions": 1,
         "broken": ["search-widgets"]},
    ]


def test_json_output_reports_faults(provider):
    provider.routes["/ProductSearch"] = Reply(500, data("responses", "fault-11.xml"))
    result = cdcxml("--base-url", provider.url, "-c", str(RESELLER), "--format", "json")
    assert result.exit_code == 1
    [doc] = json.loads(result.stdout)["documents"]
    assert doc["fault"]["code"] == "soap:Server"
    assert doc["fault"]["reason"] == "Catalogue database unavailable"
    assert doc["mismatches"][0] == "status 500 Internal Server Error, expected 200"


def junit(path):
    schema = etree.XMLSchema(etree.parse(str(JUNIT_XSD)))
    doc = etree.parse(str(path))
    schema.assertValid(doc)
    return doc


def test_junit_output_is_valid_and_has_a_suite_per_consumer(provider, tmp_path):
    out = tmp_path / "verify.xml"
    result = both(provider, "no-price-11.xml", "--format", "junit", "--output", str(out))
    assert result.exit_code == 1
    # With -o the report goes to the file, the summary to standard error, nothing to stdout.
    assert result.stdout == ""
    assert "Consumers that would break:" in result.stderr
    doc = junit(out)
    suites = doc.findall("testsuite")
    assert [s.get("name") for s in suites] == ["marketing", "reseller-web"]
    assert doc.getroot().get("tests") == "2"
    assert doc.getroot().get("failures") == "1"
    reseller = suites[1]
    [case] = reseller.findall("testcase")
    assert (case.get("name"), case.get("classname")) == ("search-widgets", "reseller-web")
    failure = case.find("failure")
    assert failure.get("type") == "assertion"
    assert failure.get("message").startswith("has-price (line 11,")
    assert "Must contain Price node" in failure.text
    assert "<Name>Fooble</Name>" in case.findtext("system-out")
    assert suites[0].find("testcase/failure") is None


def test_junit_reports_transport_problems_as_errors(provider, tmp_path):
    provider.routes["/ProductSearch"] = Reply(hang=True)
    out = tmp_path / "verify.xml"
    result = cdcxml("--base-url", provider.url, "-c", str(CONTRACTS), "--format", "junit",
                    "-o", str(out), "--timeout", "0.5", "--state-url", provider.url + "/_state")
    assert result.exit_code == 1
    doc = junit(out)
    errors = doc.findall("testsuite/testcase/error")
    assert len(errors) == 2
    assert errors[0].get("type") == "transport"
    assert errors[0].get("message") == "no complete response within 0.5 s"
    assert doc.getroot().get("errors") == "2"


def test_junit_keeps_control_characters_out(provider, tmp_path):
    provider.routes["/ProductSearch"] = Reply(200, b"\x01\x02 not xml")
    out = tmp_path / "verify.xml"
    cdcxml("--base-url", provider.url, "-c", str(RESELLER), "--format", "junit", "-o", str(out))
    doc = junit(out)
    assert "\ufffd\ufffd not xml" in doc.findtext("testsuite/testcase/system-out")


def test_a_hanging_endpoint_ends_the_run_within_seconds_of_the_timeout(provider):
    provider.routes["/ProductSearch"] = Reply(hang=True)
    started = time.monotonic()
    result = cdcxml("--base-url", provider.url, "-c", str(CONTRACTS), "--timeout", "1",
                    "--state-url", provider.url + "/_state")
    took = time.monotonic() - started
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 2
    assert result.stdout.count("      no complete response within 1 s\n") == 2
    assert took < 6


def test_headers_from_the_command_line_reach_the_provider(provider):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "products-11.xml"))
    result = cdcxml("--base-url", provider.url, "-c", str(RESELLER),
                    "--header", "Authorization: Bearer ci", "--header", "X-Run:  42 ")
    assert result.exit_code == 0
    [call] = provider.calls_to("/ProductSearch")
    assert (call.headers["Authorization"], call.headers["X-Run"]) == ("Bearer ci", "42")


def test_unreachable_provider_exits_1():
    result = cdcxml("--base-url", f"http://127.0.0.1:{closed_port()}", "-c", str(RESELLER))
    assert result.exit_code == 1
    assert "ERROR reseller-web / search-widgets" in result.stdout
    assert "connection refused" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", str(RESELLER)], "no base URL"),
        (["--base-url", "http://127.0.0.1:1"], "no contracts"),
        (["--base-url", "localhost:8080", "-c", str(RESELLER)], "base URL must be an http"),
        (["--base-url", "http://127.0.0.1:1", "-c", str(DATA / "other" / "broken.sch")],
         "broken.sch:9: assert test 'Price[' is not a valid XPath expression"),
        (["--base-url", "http://127.0.0.1:1", "-c", str(DATA / "nowhere")],
         "no such file or directory"),
        (["--base-url", "http://127.0.0.1:1", "-c", str(RESELLER), "--consumer", "nobody"],
         "no contract for consumer nobody"),
        (["--base-url", "http://127.0.0.1:1", "-c", str(RESELLER), "--header", "no colon"],
         "header must look like 'Name: value'"),
        (["--base-url", "http://127.0.0.1:1", "-c", str(RESELLER), "--format", "svrl"],
         "'svrl' is not one of"),
        (["--base-url", "http://127.0.0.1:1", "-c", str(RESELLER), "--config", "missing.toml"],
         "missing.toml: no such configuration file"),
    ],
)
def test_what_cannot_run_exits_2_with_one_line(args, message):
    result = cdcxml(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_configuration_supplies_every_option_and_the_command_line_wins(provider, tmp_path,
                                                                       monkeypatch):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "products-11.xml"))
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "reseller-web.sch").write_bytes(RESELLER.read_bytes())
    (tmp_path / "contracts" / "requests").mkdir()
    (tmp_path / "contracts" / "requests" / "search-widgets.xml").write_bytes(
        (CONTRACTS / "requests" / "search-widgets.xml").read_bytes())
    (tmp_path / "cdcxml.toml").write_text(f"""
[verify]
base-url = "http://127.0.0.1:{closed_port()}"
contracts = ["contracts"]
timeout = 5
retries = 0
format = "json"
output = "reports/verify.json"

[verify.headers]
Authorization = "Bearer from-config"
X-Env = "ci"
""")
    (tmp_path / "reports").mkdir()
    monkeypatch.chdir(tmp_path)
    result = cdcxml("--base-url", provider.url, "--header", "X-Env: local")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "reports" / "verify.json").read_text())
    assert report["documents"][0]["request"]["url"] == f"{provider.url}/ProductSearch"
    [call] = provider.calls_to("/ProductSearch")
    assert call.headers["Authorization"] == "Bearer from-config"
    assert call.headers["X-Env"] == "local"


def test_an_explicit_config_resolves_paths_against_its_folder(provider, tmp_path):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "no-price-11.xml"))
    cfg = tmp_path / "ci" / "cdcxml.toml"
    cfg.parent.mkdir()
    cfg.write_text(f'[verify]\nbase-url = "{provider.url}"\ncontracts = ["{RESELLER}"]\n'
                   'headers = ["X-From: list"]\nformat = "junit"\noutput = "out.xml"\n')
    result = cdcxml("--config", str(cfg))
    assert result.exit_code == 1
    assert junit(tmp_path / "ci" / "out.xml").find("testsuite/testcase/failure") is not None
    assert provider.calls_to("/ProductSearch")[0].headers["X-From"] == "list"


def test_a_toml_syntax_error_names_file_and_line(tmp_path):
    cfg = tmp_path / "cdcxml.toml"
    cfg.write_text('[verify]\nbase-url = "http://x"\ntimeout = = 3\n')
    result = cdcxml("--config", str(cfg))
    assert result.exit_code == 2
    assert f"{cfg}:3: not valid TOML" in result.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[verify]\nbase-ulr = "http://x"\n', "[verify]: unknown key 'base-ulr'"),
        ("[verify]\ntimeout = \"soon\"\n", "[verify] timeout: must be a number"),
        ("[verify]\nretries = -1\n", "[verify] retries: must be a whole number of at least 0"),
        ("[verify]\ncontracts = 3\n", "[verify] contracts: must be a list of strings"),
        ('[verify]\nheaders = ["Bad header"]\n', "[verify] headers: header must look like"),
        ('[verify]\nformat = "svrl"\n', "[verify] format: must be one of text, json, junit"),
        ("verify = 1\n", "[verify]: must be a table"),
        ('[verify.tls]\nkey = "k.pem"\n', "[verify.tls] key: needs cert as well"),
        ("[verify.tls]\nverify = \"yes\"\n", "[verify.tls] verify: must be true or false"),
    ],
)
def test_bad_configuration_is_a_config_error_naming_the_file(tmp_path, toml, message):
    cfg = tmp_path / "cdcxml.toml"
    cfg.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    assert str(caught.value) == f"{cfg}: {message}" or str(caught.value).startswith(
        f"{cfg}: {message}")


def test_tls_settings_are_read_relative_to_the_file(tmp_path):
    cfg = tmp_path / "cdcxml.toml"
    cfg.write_text('[verify.tls]\nca-bundle = "ca.pem"\ncert = "client.pem"\nkey = "client.key"\n')
    settings = load_config(cfg).verify
    assert settings.tls_verify == str(tmp_path / "ca.pem")
    assert settings.tls_cert == (str(tmp_path / "client.pem"), str(tmp_path / "client.key"))


def test_no_configuration_is_the_empty_configuration():
    assert load_config(None).verify == VerifySettings()


def test_other_tables_are_left_to_their_readers(tmp_path):
    cfg = tmp_path / "cdcxml.toml"
    cfg.write_text('[sources]\nreseller = "git+https://example.com/contracts.git@v1"\n'
                   '[verify]\nretries = 2\n')
    config = load_config(cfg)
    assert config.verify.retries == 2
    assert config.raw["sources"]["reseller"].startswith("git+")


@pytest.fixture
def example_provider(request):
    """The ProductSearch example provider on 127.0.0.1; ``request.param`` drops Price when true."""
    module = load_example_app()

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = make_server("127.0.0.1", 0, module.make_app(drop_price=request.param),
                         handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("example_provider", [False], indirect=True)
def test_the_example_provider_keeps_its_consumers_contracts(example_provider):
    result = cdcxml("--config", str(EXAMPLE / "provider" / "cdcxml.toml"),
                    "--base-url", example_provider)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"PASS  marketing / search-widgets  POST {example_provider}/ProductSearch 200\n"
        f"PASS  reseller-web / search-widgets  POST {example_provider}/ProductSearch 200\n")
    assert result.stderr == ""


@pytest.mark.parametrize("example_provider", [True], indirect=True)
def test_the_example_provider_without_price_breaks_a_consumer(example_provider, tmp_path):
    out = tmp_path / "verify.xml"
    result = cdcxml("--config", str(EXAMPLE / "provider" / "cdcxml.toml"),
                    "--base-url", example_provider, "--format", "junit", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.endswith("Consumers that would break:\n"
                                  "  marketing: search-widgets (has-price)\n"
                                  "  reseller-web: search-widgets (p:Price)\n")
    failure = junit(out).find("testsuite[@name='marketing']/testcase/failure")
    assert failure.get("message").startswith("has-price (line 5,")
    # The reseller's Schematron 1.5 assertion has no id, so its test names it.
    failure = junit(out).find("testsuite[@name='reseller-web']/testcase/failure")
    assert failure.get("message").startswith("assert p:Price (line 5,")
    assert failure.get("message").endswith("Must contain Price node")


def test_tls_options_reach_a_self_signed_provider(tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    provider = FakeProvider(tls=context).start()
    try:
        provider.routes["/ProductSearch"] = Reply(200, data("responses", "products-11.xml"))
        refused = cdcxml("--base-url", provider.url, "-c", str(RESELLER))
        assert refused.exit_code == 1
        assert "TLS failed" in refused.stdout
        for option in (["--ca-bundle", str(cert)], ["--insecure"]):
            result = cdcxml("--base-url", provider.url, "-c", str(RESELLER), *option)
            assert result.exit_code == 0, result.output
    finally:
        provider.close()

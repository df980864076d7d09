"""The pytest plugin, run through pytester against a real provider on 127.0.0.1."""

from __future__ import annotations

import pytest

# Imported here so that pytester's in-process runs, which drop the modules they import, share one
# requests (and one http.cookiejar) with this process.
import cdcxml.verify  # noqa: F401

from .verify_support import DATA, FakeProvider, Reply, data

pytest_plugins = ["pytester"]

CONTRACTS = DATA / "contracts"


@pytest.fixture
def provider():
    p = FakeProvider().start()
    p.routes["/_state"] = Reply(200, b"", None)
    yield p
    p.close()


def runpytest(pytester, *args):
    # The hypothesis plugin costs a second per in-process run and plays no part here.
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


def options(provider, *extra):
    return ("--cdcxml-contracts", str(CONTRACTS), "--cdcxml-base-url", provider.url,
            "--cdcxml-state-url", provider.url + "/_state", *extra)


def test_without_its_options_the_plugin_adds_nothing(pytester):
    pytester.makepyfile("def test_plain():\n    assert 1 + 1 == 2\n")
    result = runpytest(pytester, )
    result.assert_outcomes(passed=1)


def test_its_options_are_listed_in_help(pytester):
    result = runpytest(pytester, "--help")
    result.stdout.fnmatch_lines(["*--cdcxml-contracts=SOURCE*", "*--cdcxml-base-url=URL*"])


def test_each_consumer_interaction_is_its_own_item(pytester, provider):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "products-11.xml"))
    result = runpytest(pytester, *options(provider), "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*marketing.sch::search-in-stock",
                                 "*reseller-web.sch::search-widgets",
                                 "2 tests collected*"])
    result = runpytest(pytester, *options(provider), "-v")
    result.assert_outcomes(passed=2)
    # marketing's state is set up before its interaction and torn down after it
    assert [c.path for c in provider.calls] == ["/_state", "/ProductSearch", "/_state",
                                                "/ProductSearch"]


def test_a_broken_consumer_fails_its_item_naming_the_assertion(pytester, provider):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "no-price-11.xml"))
    pytester.makepyfile("def test_unrelated():\n    pass\n")
    result = runpytest(pytester, *options(provider))
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*FAIL  reseller-web / search-widgets  POST*/ProductSearch 200",
        "*has-price (line 11, *p:Product[[]2]): Must contain Price node",
        "FAILED *reseller-web.sch::search-widgets*",
    ])


def test_items_can_be_selected_by_consumer_name(pytester, provider):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "products-11.xml"))
    result = runpytest(pytester, *options(provider), "-k", "reseller-web")
    result.assert_outcomes(passed=1, deselected=1)
    result = runpytest(pytester, *options(provider, "--cdcxml-consumer", "marketing"))
    result.assert_outcomes(passed=1)


def test_a_missing_base_url_is_a_usage_error(pytester):
    result = runpytest(pytester, "--cdcxml-contracts", str(CONTRACTS))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cdcxml-contracts needs --cdcxml-base-url*"])


def test_a_broken_contract_is_a_usage_error(pytester, provider):
    result = runpytest(pytester, "--cdcxml-contracts", str(DATA / "other" / "broken.sch"),
                                "--cdcxml-base-url", provider.url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*broken.sch:9: assert test 'Price[' is not a valid XPath*"])
    assert provider.calls == []


def test_a_conftest_can_hand_over_the_session(pytester, provider):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "products-11.xml"))
    pytester.makeconftest(
        "import requests\n\n"
        "def pytest_cdcxml_session(config):\n"
        "    session = requests.Session()\n"
        "    session.headers['Authorization'] = 'Bearer from-conftest'\n"
        "    return session\n"
    )
    result = runpytest(pytester, *options(provider, "--cdcxml-header", "X-Run: 7"))
    result.assert_outcomes(passed=2)
    call = provider.calls_to("/ProductSearch")[0]
    assert (call.headers["Authorization"], call.headers["X-Run"]) == ("Bearer from-conftest", "7")


def test_the_fixture_runs_a_whole_verification(pytester, provider):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "no-price-11.xml"))
    pytester.makepyfile(f"""
        def test_contracts(cdcxml_verify):
            cdcxml_verify([{str(CONTRACTS)!r}], {provider.url!r},
                          state_url={provider.url + "/_state"!r})
    """)
    result = runpytest(pytester, )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Consumers that would break:*",
                                 "*reseller-web: search-widgets (has-price)*"])

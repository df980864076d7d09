"""Shared by every test: the ``slow`` marker's reach.

``pytest -m "not slow"`` runs the fast part: tests that start no subprocess, server, browser,
cluster or git repository. A test is slow when it uses a fixture below (directly or through
another fixture) or lives in a module below, whose tests mostly run the command line in a
subprocess or talk to servers; a slow test elsewhere carries ``@pytest.mark.slow`` itself.
"""

from __future__ import annotations

import pytest

SLOW_FIXTURES = frozenset({
    "pytester",  # a pytest run in a subprocess-like sandbox
    "provider", "tls_provider", "example_provider", "hostile_provider", "wide_provider",
    "listener", "service",  # HTTP servers on 127.0.0.1
    "remote", "empty_repo", "planted",  # git repositories
    "cluster",  # a Dask cluster
    "browser",  # headless Chromium
    "inputs",  # installed entry points, in a fresh environment
})

SLOW_MODULES = frozenset({
    "tests.security.test_archives", "tests.security.test_documents",
    "tests.security.test_entry_points", "tests.security.test_wsdl", "tests.security.test_http",
    "tests.security.test_outputs",
    "tests.security.test_records", "tests.security.test_repositories",
    "tests.security.test_runaway", "tests.security.test_schematron", "tests.security.test_xsd",
    "tests.test_batch_interrupt", "tests.test_batch_dask", "tests.test_deploy",
    "tests.test_html_report", "tests.test_http", "tests.test_package", "tests.test_publish",
    "tests.test_pull", "tests.test_pytest_plugin", "tests.test_verify", "tests.test_verify_cli",
    "tests.test_verify_semantics",
})


def pytest_collection_modifyitems(config, items) -> None:
    slow = pytest.mark.slow
    for item in items:
        module = getattr(item, "module", None)
        if (SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
                or (module is not None and module.__name__ in SLOW_MODULES)):
            item.add_marker(slow)

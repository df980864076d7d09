"""Hostile providers for ``cdcxml verify``: trickling, silent and endless bodies, a gzip bomb,
redirects, HTML and entity payloads are each one interaction's error, within time and memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..verify_support import Reply
from .conftest import BYPASS_WORDS, BYPASSES, SECRET, rule, run_cli, schema

ROUTES = ("ok", "trickle", "silent", "endless", "gzip-bomb", "redirect", "html", "xxe")


def interaction(route: str) -> str:
    return (f'<cdc:interaction id="{route}"><cdc:request method="POST" path="/{route}">'
            "<order><id>1</id></order></cdc:request></cdc:interaction>")


@pytest.fixture
def contract(work: Path) -> Path:
    """A contract with one interaction per hostile route."""
    body = ('<cdc:contract consumer="shop" provider="orders" version="1.0.0"/>'
            + "".join(interaction(r) for r in ROUTES)
            + rule("id", "needs an id", kind="assert", context="order"))
    path = work / "shop.sch"
    path.write_text(schema(body, extra_ns='xmlns:cdc="urn:cdcxml:contract:1"'))
    return path


def verify(work, contract, provider, *extra, timeout: float = 90):
    return run_cli("verify", "--base-url", provider.url, "-c", contract, "--timeout", "3",
                   "--format", "json", *extra, cwd=work, timeout=timeout, memory_mb=1024)


def results(ran) -> dict[str, dict]:
    assert ran.stderr == "", ran.stderr
    data = json.loads(ran.stdout)
    return {d["interaction"]: d for d in data["documents"]}


def test_every_hostile_answer_is_one_interactions_error(work, contract, hostile_provider, listener):
    ran = verify(work, contract, hostile_provider)
    assert ran.code == 1
    by_id = results(ran)
    assert set(by_id) == set(ROUTES)
    assert by_id["ok"]["valid"] is True and by_id["ok"]["error"] is None
    expected = {
        "trickle": "not complete within 3 s",
        "silent": "no complete response within 3 s",
        "endless": "larger than the limit of 16777216 bytes",
        "gzip-bomb": "larger than the limit of 16777216 bytes",
        "redirect": "redirects are not followed",
        "html": "HTML page",
        "xxe": "DOCTYPE not allowed",
    }
    for route, words in expected.items():
        document = by_id[route]
        assert document["valid"] is False, route
        assert words in (document["error"] or "") + json.dumps(document), (route, document)
    # eight interactions, three of which wait out the deadline
    assert ran.seconds < 40
    listener.close()
    assert listener.connections == []


def test_a_smaller_body_limit_holds_against_the_bomb(work, contract, hostile_provider):
    ran = verify(work, contract, hostile_provider, "--interaction", "gzip-bomb",
                 "--max-body-bytes", "1000")
    (document,) = results(ran).values()
    assert "larger than the limit of 1000 bytes" in document["error"]


def test_following_redirects_is_a_choice_and_still_bounded(work, contract, hostile_provider,
                                                           listener):
    ran = verify(work, contract, hostile_provider, "--interaction", "redirect",
                 "--follow-redirects")
    (document,) = results(ran).values()
    assert document["valid"] is False and document["error"]
    # asked for: the redirect was followed to the listener, which answered nothing
    listener.close()
    assert len(listener.connections) == 1


def test_text_output_names_each_failing_interaction(work, contract, hostile_provider):
    ran = run_cli("verify", "--base-url", hostile_provider.url, "-c", contract, "--timeout", "2",
                  "--interaction", "html", "--interaction", "xxe", cwd=work, timeout=60)
    assert ran.code == 1 and ran.stderr == ""
    lines = ran.stdout.splitlines()
    assert any(line.startswith("FAIL  shop / html") for line in lines), ran.stdout
    assert any(line.startswith("ERROR shop / xxe") for line in lines), ran.stdout
    assert "response is an HTML page, not XML ('502 Bad Gateway')" in ran.stdout
    assert "response body is not usable XML at line 2: DOCTYPE not allowed" in ran.stdout


def test_an_unreachable_provider_is_an_error_per_interaction(work, contract):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ran = run_cli("verify", "--base-url", f"http://127.0.0.1:{port}", "-c", contract,
                  "--interaction", "ok", "--format", "json", cwd=work)
    assert ran.code == 1
    (document,) = results(ran).values()
    assert "connection refused" in document["error"]


def test_a_request_body_file_outside_the_folder_is_refused(work, secret):
    body = ('<cdc:interaction id="leak"><cdc:request method="POST" path="/ok" '
            f'href="../outside/{secret.name}"/></cdc:interaction>' + rule("true()"))
    path = work / "leak.sch"
    path.write_text(schema(body, extra_ns='xmlns:cdc="urn:cdcxml:contract:1"'))
    ran = run_cli("verify", "--base-url", "http://127.0.0.1:9", "-c", path, cwd=work)
    assert ran.code == 2 and len(ran.lines) == 1, ran.stderr
    assert "points outside the contract's folder" in ran.lines[0] and "leak.sch" in ran.lines[0]


def test_doctypes_a_byte_scan_misses_are_refused_in_responses(work, hostile_provider):
    body = ('<cdc:contract consumer="shop" provider="orders" version="1.0.0"/>'
            + "".join(f'<cdc:interaction id="{shape}"><cdc:request method="POST" '
                      f'path="/shape/{shape}"><order><id>1</id></order></cdc:request>'
                      "</cdc:interaction>" for shape in BYPASSES)
            + rule(f"contains(., '{SECRET}')", "the entity was expanded"))
    path = work / "shapes.sch"
    path.write_text(schema(body, extra_ns='xmlns:cdc="urn:cdcxml:contract:1"'))
    ran = verify(work, path, hostile_provider)
    assert ran.code == 1
    by_id = results(ran)
    assert set(by_id) == set(BYPASSES)
    for shape, document in by_id.items():
        assert document["valid"] is False, shape
        for word in BYPASS_WORDS[shape]:
            assert word in (document["error"] or ""), (shape, document["error"])
    assert "the entity was expanded" not in ran.stdout


def test_a_response_with_a_doctype_naming_a_dtd_is_checked(work, hostile_provider, listener):
    hostile_provider.routes["/xxe"] = Reply(
        body=(f'<?xml version="1.0"?>\n<!DOCTYPE order SYSTEM "{listener.url}/o.dtd">'
              "\n<order><id>1</id></order>").encode(), content_type="text/xml")
    body = ('<cdc:contract consumer="shop" provider="orders" version="1.0.0"/>'
            + interaction("xxe") + rule("id", "needs an id", kind="assert", context="order"))
    path = work / "dtd.sch"
    path.write_text(schema(body, extra_ns='xmlns:cdc="urn:cdcxml:contract:1"'))
    (document,) = results(verify(work, path, hostile_provider)).values()
    assert document["valid"] is True and document["error"] is None, document
    listener.close()
    assert listener.connections == []

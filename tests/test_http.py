"""The HTTP fetcher against real servers on 127.0.0.1: deadlines, caps, redirects, retries."""

from __future__ import annotations

import dataclasses
import gzip
import io
import ssl
import threading
import time

import pytest
import requests

from cdcxml.verify.http import HttpResponse, TransportError, fetch, media_type
from cdcxml.verify.settings import VerifySettings

from .verify_support import FakeProvider, Reply, closed_port, self_signed_certificate


@pytest.fixture
def provider():
    p = FakeProvider().start()
    yield p
    p.close()


def test_a_complete_response_is_an_immutable_value(provider):
    provider.routes["/ok"] = Reply(200, b"<a/>", headers={"X-Trace": "t-1"})
    got = fetch("POST", provider.url + "/ok", body=b"<q/>", headers={"X-In": "1"})
    assert isinstance(got, HttpResponse)
    assert (got.status, got.reason, got.body) == (200, "OK", b"<a/>")
    assert got.header("x-trace") == "t-1"
    assert got.media_type == "text/xml"
    assert got.url == provider.url + "/ok"
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.status = 500
    call = provider.calls_to("/ok")[0]
    assert (call.method, call.body, call.headers["X-In"]) == ("POST", b"<q/>", "1")


def test_media_type_drops_parameters_and_case():
    assert media_type('Application/SOAP+XML; charset=utf-8; action="a"') == "application/soap+xml"
    assert media_type(None) is None
    assert media_type("") is None


def test_json_bodies_are_sent_as_json(provider):
    provider.routes["/state"] = Reply(204, b"", None)
    got = fetch("POST", provider.url + "/state", json={"consumer": "c", "state": "s"})
    assert got.status == 204
    call = provider.calls_to("/state")[0]
    assert call.headers["Content-Type"] == "application/json"
    assert call.body == b'{"consumer": "c", "state": "s"}'


def test_connection_refused_is_a_value_not_an_exception():
    url = f"http://127.0.0.1:{closed_port()}/x"
    got = fetch("GET", url)
    assert isinstance(got, TransportError)
    assert (got.kind, got.message, got.url) == ("connection", "connection refused", url)


def test_an_unknown_host_is_a_dns_error():
    got = fetch("GET", "http://no-such-host.invalid/x", options=VerifySettings(timeout=5))
    assert isinstance(got, TransportError)
    assert got.kind == "dns"
    assert "no-such-host.invalid" in got.message


def test_an_invalid_url_is_reported():
    got = fetch("GET", "http://")
    assert isinstance(got, TransportError)
    assert got.kind == "invalid-url"


def test_a_hanging_endpoint_ends_at_the_deadline(provider):
    provider.routes["/hang"] = Reply(hang=True)
    started = time.monotonic()
    got = fetch("POST", provider.url + "/hang", options=VerifySettings(timeout=1))
    took = time.monotonic() - started
    assert isinstance(got, TransportError)
    assert got.kind == "timeout"
    assert "1 s" in got.message
    assert 0.9 <= took < 4


def test_a_trickling_body_cannot_hold_past_the_deadline(provider):
    # 200 bytes at one byte every 0.05 s would take 10 s; the deadline is 1 s in total.
    provider.routes["/trickle"] = Reply(200, b"x" * 200, trickle=0.05)
    started = time.monotonic()
    got = fetch("GET", provider.url + "/trickle", options=VerifySettings(timeout=1))
    took = time.monotonic() - started
    assert isinstance(got, TransportError)
    assert got.kind == "timeout"
    assert got.status == 200
    assert took < 4


def test_trickled_headers_cannot_hold_past_the_deadline(provider):
    provider.routes["/slow"] = Reply(200, b"<a/>", slow_headers=0.5)
    started = time.monotonic()
    got = fetch("GET", provider.url + "/slow", options=VerifySettings(timeout=1))
    assert isinstance(got, TransportError)
    assert got.kind == "timeout"
    assert time.monotonic() - started < 4


def test_a_slow_but_timely_body_arrives_whole(provider):
    provider.routes["/slow-ok"] = Reply(200, b"<abc/>", trickle=0.02)
    got = fetch("GET", provider.url + "/slow-ok", options=VerifySettings(timeout=5))
    assert isinstance(got, HttpResponse)
    assert got.body == b"<abc/>"


def test_a_body_over_the_cap_is_refused(provider):
    provider.routes["/big"] = Reply(200, b"<a>" + b"x" * 5000 + b"</a>")
    got = fetch("GET", provider.url + "/big", options=VerifySettings(max_body_bytes=1000))
    assert isinstance(got, TransportError)
    assert got.kind == "too-large"
    assert "1000 bytes" in got.message


def test_the_cap_counts_decoded_bytes_of_a_compressed_body(provider):
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    provider.routes["/bomb"] = Reply(200, bomb, headers={"Content-Encoding": "gzip"})
    got = fetch("GET", provider.url + "/bomb", options=VerifySettings(max_body_bytes=1024 * 1024))
    assert isinstance(got, TransportError)
    assert got.kind == "too-large"


def test_a_compressed_body_is_decoded(provider):
    provider.routes["/gz"] = Reply(200, gzip.compress(b"<products/>"),
                                   headers={"Content-Encoding": "gzip"})
    got = fetch("GET", provider.url + "/gz")
    assert isinstance(got, HttpResponse)
    assert got.body == b"<products/>"


def test_a_corrupt_compressed_body_is_a_decode_error(provider):
    provider.routes["/bad-gz"] = Reply(200, b"this is not gzip at all",
                                       headers={"Content-Encoding": "gzip"})
    got = fetch("GET", provider.url + "/bad-gz")
    assert isinstance(got, TransportError)
    assert got.kind == "decode"


def test_redirects_are_refused_unless_allowed(provider):
    provider.routes["/old"] = Reply(302, b"", None, headers={"Location": "/new"})
    provider.routes["/new"] = Reply(200, b"<moved/>")
    refused = fetch("GET", provider.url + "/old")
    assert isinstance(refused, TransportError)
    assert refused.kind == "redirect"
    assert refused.status == 302
    assert provider.url + "/new" in refused.message
    assert provider.calls_to("/new") == []
    followed = fetch("GET", provider.url + "/old", options=VerifySettings(follow_redirects=True))
    assert isinstance(followed, HttpResponse)
    assert (followed.body, followed.url) == (b"<moved/>", provider.url + "/new")


def test_connection_errors_are_retried():
    url = f"http://127.0.0.1:{closed_port()}/x"
    got = fetch("GET", url, options=VerifySettings(retries=2))
    assert isinstance(got, TransportError)
    assert got.attempts == 3
    assert got.message == "connection refused (after 3 attempts)"


def test_a_retry_reaches_a_provider_that_comes_up_late():
    port = closed_port()
    late: list[FakeProvider] = []

    def start_late() -> None:
        time.sleep(0.3)
        p = FakeProvider(port)
        p.routes["/x"] = Reply(200, b"<up/>")
        late.append(p.start())

    starter = threading.Thread(target=start_late)
    starter.start()
    try:
        got = fetch("GET", f"http://127.0.0.1:{port}/x", options=VerifySettings(retries=4))
        assert isinstance(got, HttpResponse)
        assert got.body == b"<up/>"
    finally:
        starter.join()
        for p in late:
            p.close()


def test_timeouts_are_not_retried(provider):
    provider.routes["/hang"] = Reply(hang=True)
    got = fetch("GET", provider.url + "/hang", options=VerifySettings(timeout=0.5, retries=3))
    assert isinstance(got, TransportError)
    assert got.kind == "timeout"
    assert len(provider.calls_to("/hang")) == 1


def test_an_injected_session_carries_its_own_headers(provider):
    provider.routes["/auth"] = Reply(200, b"<a/>")
    with requests.Session() as session:
        session.headers["Authorization"] = "Bearer t0k3n"
        got = fetch("GET", provider.url + "/auth", session=session)
    assert isinstance(got, HttpResponse)
    assert provider.calls_to("/auth")[0].headers["Authorization"] == "Bearer t0k3n"


class _EchoAdapter(requests.adapters.BaseAdapter):
    """A transport with no socket: answers every request in-process."""

    def send(self, request, **kwargs):
        resp = requests.Response()
        resp.status_code = 200
        resp.reason = "OK"
        resp.url = request.url
        resp.headers["Content-Type"] = "application/xml"
        resp.raw = io.BytesIO(b"<echo>" + (request.body or b"") + b"</echo>")
        resp.request = request
        return resp

    def close(self):
        pass


def test_a_mounted_adapter_replaces_the_network():
    with requests.Session() as session:
        session.mount("inproc://", _EchoAdapter())
        got = fetch("POST", "inproc://provider/search", session=session, body=b"<q/>")
    assert isinstance(got, HttpResponse)
    assert got.body == b"<echo><q/></echo>"
    assert got.media_type == "application/xml"


@pytest.fixture
def tls_provider(tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    p = FakeProvider(tls=context).start()
    p.routes["/ok"] = Reply(200, b"<secure/>")
    yield p, cert
    p.close()


def test_an_untrusted_certificate_is_a_tls_error(tls_provider):
    provider, _ = tls_provider
    got = fetch("GET", provider.url + "/ok")
    assert isinstance(got, TransportError)
    assert got.kind == "tls"
    assert "certificate verify failed" in got.message


def test_a_ca_bundle_or_insecure_reaches_a_self_signed_provider(tls_provider):
    provider, cert = tls_provider
    trusted = fetch("GET", provider.url + "/ok", options=VerifySettings(tls_verify=str(cert)))
    assert isinstance(trusted, HttpResponse)
    assert trusted.body == b"<secure/>"
    insecure = fetch("GET", provider.url + "/ok", options=VerifySettings(tls_verify=False))
    assert isinstance(insecure, HttpResponse)
    assert insecure.body == b"<secure/>"


def test_an_adapter_that_raises_anything_is_still_a_value():
    class Broken(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            raise RuntimeError("adapter bug")

        def close(self):
            pass

    with requests.Session() as session:
        session.mount("inproc://", Broken())
        got = fetch("GET", "inproc://provider/x", session=session)
    assert isinstance(got, TransportError)
    assert got.kind == "protocol"
    assert "adapter bug" in got.message

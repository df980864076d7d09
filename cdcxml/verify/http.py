"""The one HTTP fetcher: a total deadline, a cap on the decoded body, no silent redirects.

Every exchange ends in a value: an :class:`HttpResponse` or a :class:`TransportError` naming what
went wrong. The deadline is wall-clock time for the whole exchange, not per read, so a server that
trickles a byte a second, or never finishes its headers, cannot hold a run.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin

import requests
import urllib3

from .settings import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, VerifySettings

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "HttpResponse", "TransportError", "fetch",
           "media_type"]

_CHUNK = 64 * 1024
_RETRY_BACKOFF = 0.25
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULTS = VerifySettings()


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete response: status, headers and the decoded body."""

    url: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed: float

    def header(self, name: str) -> str | None:
        """The first value of a header, looked up case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def content_type(self) -> str | None:
        """The Content-Type header as sent."""
        return self.header("Content-Type")

    @property
    def media_type(self) -> str | None:
        """The Content-Type without parameters, lower-cased (``text/xml``)."""
        return media_type(self.content_type)


@dataclass(frozen=True, slots=True)
class TransportError:
    """Why no usable response arrived: ``kind`` is a short tag, ``message`` says it for people."""

    kind: str  # connection, dns, timeout, tls, redirect, too-large, decode, invalid-url, protocol
    message: str
    url: str
    attempts: int = 1
    status: int | None = field(default=None)
    elapsed: float = 0.0  # seconds from the first attempt to giving up

    def __str__(self) -> str:
        return self.message


def media_type(content_type: str | None) -> str | None:
    """The media type of a Content-Type value, without parameters, lower-cased."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def fetch(
    method: str,
    url: str,
    *,
    session: requests.Session | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
    json: object = None,
    options: VerifySettings = _DEFAULTS,
) -> HttpResponse | TransportError:
    """Send one request and read the whole response within the deadline; never raises for I/O.

    Of ``options`` it uses the timeout, retries, body cap, redirects and TLS settings.
    """
    if options.tls_verify is False:
        # The caller chose not to verify certificates; a warning on every request adds nothing.
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    own_session = session is None
    sess = session if session is not None else requests.Session()
    started = time.monotonic()
    try:
        attempt = 0
        while True:
            attempt += 1
            outcome = _exchange_with_deadline(sess, method, url, dict(headers), body, json,
                                              options)
            retryable = isinstance(outcome, TransportError) and outcome.kind in ("connection",
                                                                                  "dns")
            if not retryable or attempt > options.retries:
                break
            time.sleep(min(_RETRY_BACKOFF * 2 ** (attempt - 1), 2.0))
        if isinstance(outcome, TransportError):
            message = outcome.message + (f" (after {attempt} attempts)" if attempt > 1 else "")
            return replace(outcome, message=message, attempts=attempt,
                           elapsed=time.monotonic() - started)
        return outcome
    finally:
        if own_session:
            sess.close()


def _exchange_with_deadline(sess, method, url, headers, body, json, options):
    # The exchange runs in its own thread so that the deadline holds for every phase, including a
    # server that never finishes its headers; the worker notices cancellation between reads.
    deadline = time.monotonic() + options.timeout
    box: dict[str, object] = {}
    cancelled = threading.Event()

    def work() -> None:
        try:
            box["outcome"] = _exchange(sess, method, url, headers, body, json, options, deadline,
                                       cancelled, box)
        except Exception as err:  # noqa: BLE001 - a caller's adapter may raise anything
            box["outcome"] = TransportError("protocol", f"request failed: {err!r}", url)

    worker = threading.Thread(target=work, name="cdcxml-fetch", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        cancelled.set()
        status = box.get("status")
        what = "response body not complete" if status is not None else "no complete response"
        return TransportError("timeout", f"{what} within {_seconds(options.timeout)}", url,
                              status=status)
    return box["outcome"]


def _exchange(sess, method, url, headers, body, json, options, deadline, cancelled, progress):
    started = time.monotonic()
    remaining = max(0.001, deadline - started)
    try:
        resp = sess.request(
            method, url, headers=headers, data=body, json=json, stream=True,
            allow_redirects=options.follow_redirects, timeout=(remaining, remaining),
            verify=options.tls_verify, cert=options.tls_cert,
        )
    except requests.RequestException as err:
        return _transport_error(err, url, options)
    except (ValueError, OSError) as err:
        # Adapters a caller mounts may raise plain errors; they are still this exchange's failure.
        return TransportError("protocol", f"request failed: {err}", url)
    progress["status"] = resp.status_code
    try:
        if resp.status_code in _REDIRECT_STATUSES and not options.follow_redirects:
            target = resp.headers.get("Location")
            where = f" to {urljoin(url, target)}" if target else ""
            return TransportError("redirect", f"redirected ({resp.status_code}){where}; redirects "
                                  "are not followed", url, status=resp.status_code)
        data = bytearray()
        for chunk in _chunks(resp):
            data += chunk
            if len(data) > options.max_body_bytes:
                return TransportError("too-large", "response body is larger than the limit of "
                                      f"{options.max_body_bytes} bytes", url,
                                      status=resp.status_code)
            if cancelled.is_set() or time.monotonic() > deadline:
                return TransportError("timeout", "response body not complete within "
                                      f"{_seconds(options.timeout)}", url,
                                      status=resp.status_code)
        return HttpResponse(
            url=resp.url or url,
            status=resp.status_code,
            reason=resp.reason or "",
            headers=tuple((str(k), str(v)) for k, v in resp.headers.items()),
            body=bytes(data),
            elapsed=time.monotonic() - started,
        )
    except requests.RequestException as err:
        return _transport_error(err, url, options)
    except urllib3.exceptions.HTTPError as err:
        return _transport_error(err, url, options)
    except OSError as err:
        return TransportError("connection", f"connection failed while reading: {err}", url)
    finally:
        resp.close()


def _chunks(resp: requests.Response) -> Iterator[bytes]:
    raw = resp.raw
    if isinstance(raw, urllib3.HTTPResponse):
        # read1 returns after a single read from the socket, so the deadline is checked as bytes
        # arrive; the decoder is bounded per call, so a compressed bomb is counted as it inflates.
        while True:
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return
            yield chunk
    else:
        yield from resp.iter_content(_CHUNK)


def _transport_error(err: Exception, url: str, options: VerifySettings) -> TransportError:
    chain = _causes(err)

    def seen(*kinds: type) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    # urllib3's NewConnectionError subclasses its ConnectTimeoutError: test the precise causes first.
    if seen(requests.exceptions.SSLError):
        return TransportError("tls", f"TLS failed: {_innermost(err)}", url)
    if seen(urllib3.exceptions.NameResolutionError, socket.gaierror):
        host = urllib3.util.parse_url(url).host
        return TransportError("dns", f"cannot resolve host {host!r}", url)
    if seen(ConnectionRefusedError):
        return TransportError("connection", "connection refused", url)
    if seen(requests.exceptions.ConnectTimeout):
        return TransportError("connection", "could not connect within "
                              f"{_seconds(options.timeout)}", url)
    if seen(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError,
            socket.timeout):
        return TransportError("timeout", f"no response within {_seconds(options.timeout)}", url)
    if seen(requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema, urllib3.exceptions.LocationParseError):
        return TransportError("invalid-url", f"invalid URL: {_innermost(err)}", url)
    if seen(requests.exceptions.TooManyRedirects):
        return TransportError("redirect", "too many redirects", url)
    if seen(urllib3.exceptions.DecodeError, requests.exceptions.ContentDecodingError):
        return TransportError("decode", f"response body cannot be decoded: {_innermost(err)}", url)
    if seen(urllib3.exceptions.NewConnectionError):
        return TransportError("connection", f"cannot connect: {_innermost(err)}", url)
    if seen(requests.exceptions.ConnectionError, urllib3.exceptions.ProtocolError):
        return TransportError("connection", f"connection failed: {_innermost(err)}", url)
    return TransportError("protocol", f"request failed: {_innermost(err)}", url)


def _causes(err: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [err]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo.extend([e.__cause__, e.__context__])
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        todo.append(getattr(e, "reason", None) if isinstance(getattr(e, "reason", None),
                                                              BaseException) else None)
    return seen


def _innermost(err: BaseException) -> str:
    chain = _causes(err)
    for e in reversed(chain):
        text = str(e).strip()
        if text:
            return text
    return type(err).__name__


def _seconds(value: float) -> str:
    return f"{value:g} s"

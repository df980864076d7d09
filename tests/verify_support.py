"""A real HTTP provider on 127.0.0.1 for the verify tests and the attack suite: routes answer, hang,
trickle, stream without end or redirect."""

from __future__ import annotations

import importlib.util
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data" / "verify"


@dataclass
class Reply:
    """What a route sends back."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # accept the request, never answer
    trickle: float | None = None  # seconds between body bytes
    slow_headers: float | None = None  # seconds between bytes of the status line
    chunks: Callable[[], Iterable[bytes]] | None = None  # a chunked body, sent until it ends


@dataclass(frozen=True)
class Call:
    """One request the provider received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class FakeProvider:
    """A threaded HTTP server whose routes the test sets; it records every call."""

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Callable[[Call], Reply] | Reply] = {}
        self.calls: list[Call] = []
        self.stopping = threading.Event()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                call = Call(self.command, self.path, {k: v for k, v in self.headers.items()},
                            body, time.monotonic())
                provider.calls.append(call)
                route = provider.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    reply = Reply(404, b"no such route", "text/plain")
                else:
                    reply = route(call) if callable(route) else route
                provider.answer(self, reply)

            do_GET = do_POST = do_PUT = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def url(self) -> str:
        """The base URL the provider listens on."""
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def answer(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        """Send ``reply`` the way it asks: whole, never, or a byte at a time."""
        if reply.hang:
            self.stopping.wait(30)
            return
        wfile = handler.wfile
        status_line = f"HTTP/1.1 {reply.status} {handler.responses.get(reply.status, ('',))[0]}\r\n"
        if reply.slow_headers is not None:
            for byte in status_line.encode():
                if self.stopping.wait(reply.slow_headers):
                    return
                wfile.write(bytes([byte]))
                wfile.flush()
        else:
            wfile.write(status_line.encode())
        headers = dict(reply.headers)
        if reply.content_type:
            headers.setdefault("Content-Type", reply.content_type)
        if reply.chunks is not None:
            headers.setdefault("Transfer-Encoding", "chunked")
        else:
            headers.setdefault("Content-Length", str(len(reply.body)))
        for name, value in headers.items():
            wfile.write(f"{name}: {value}\r\n".encode())
        wfile.write(b"\r\n")
        wfile.flush()
        if reply.chunks is not None:
            for chunk in reply.chunks():
                if self.stopping.is_set():
                    return
                try:
                    wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except OSError:
                    return
        elif reply.trickle is not None:
            for byte in reply.body:
                if self.stopping.wait(reply.trickle):
                    return
                try:
                    wfile.write(bytes([byte]))
                    wfile.flush()
                except OSError:
                    return
        else:
            wfile.write(reply.body)
            wfile.flush()

    def start(self) -> FakeProvider:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release hanging handlers."""
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def calls_to(self, path: str) -> list[Call]:
        """The calls made to one path."""
        return [c for c in self.calls if c.path == path]


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def data(*parts: str) -> bytes:
    """The bytes of a file under tests/data/verify/."""
    return DATA.joinpath(*parts).read_bytes()


EXAMPLE = Path(__file__).parents[1] / "examples" / "productsearch"


def load_example_app():
    """The ProductSearch example provider's module, loaded from its file."""
    spec = importlib.util.spec_from_file_location("productsearch_app",
                                                  EXAMPLE / "provider" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with the openssl command."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key

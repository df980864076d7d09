"""Shared pieces of the attack suite: the command line run as a bounded process, a listener that
records every connection, hostile HTTP servers, and a secret file outside every contract folder."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..verify_support import FakeProvider, Reply

SCH = "http://purl.oclc.org/dsdl/schematron"
SECRET = "TOP-SECRET-7f3a"
# The classic entity bomb: a billion "lol"s from a few hundred bytes.
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<order><id>&lol9;</id></order>
"""


SUBSET = f'<!DOCTYPE order [<!ENTITY id "{SECRET}">]>'
# DOCTYPEs a scan of the bytes could miss. Each holds an internal subset whose entity would put
# the marker into the document.
BYPASSES = {
    "after-a-long-comment": (b"<!--" + b"x" * (1024 * 1024 + 10) + b"-->\n"
                             + f"{SUBSET}\n<order><id>&id;</id></order>".encode()),
    "utf-16-without-bom": f'<?xml version="1.0" encoding="UTF-16"?>\n{SUBSET}\n'
                          "<order><id>&id;</id></order>".encode("utf-16-le"),
    "utf-16be-without-bom": f'<?xml version="1.0" encoding="UTF-16"?>\n{SUBSET}\n'
                            "<order><id>&id;</id></order>".encode("utf-16-be"),
    "utf-32": f"{SUBSET}\n<order><id>&id;</id></order>".encode("utf-32-le"),
    "utf-32-declared": f'<?xml version="1.0" encoding="UTF-32"?>\n{SUBSET}\n'
                       "<order><id>&id;</id></order>".encode("utf-32"),
}
BYPASS_WORDS = {"after-a-long-comment": ("line 2", "DOCTYPE not allowed", "internal subset"),
                "utf-16-without-bom": ("line 2", "DOCTYPE not allowed", "internal subset"),
                "utf-16be-without-bom": ("line 2", "DOCTYPE not allowed", "internal subset"),
                "utf-32": ("encoding UTF-32", "not allowed"),
                "utf-32-declared": ("encoding UTF-32", "not allowed")}



@dataclass(frozen=True)
class Ran:
    """How one command line run ended."""

    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        """The non-empty lines on standard error."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def _command() -> list[str]:
    script = Path(sys.executable).parent / "cdcxml"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from cdcxml.cli import main; main()"]


def _bounded(memory_mb: int, file_bytes: int | None):
    def limit() -> None:
        import resource
        import signal

        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if file_bytes is not None:
            # A full disk, as far as the process can tell: writes past the cap fail with EFBIG.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))

    return limit


def run_cli(*args, cwd: Path | None = None, stdin: bytes | None = None, timeout: float = 60,
            memory_mb: int = 2048, env: dict[str, str] | None = None,
            file_bytes: int | None = None) -> Ran:
    """Run ``cdcxml ARGS`` as its own process under a time and address-space cap.

    Going over either cap fails the test: that is the "bounded time and memory" every attack
    must meet. A traceback on standard error fails it too.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CDCXML_")}
    environment.update(env or {})
    started = time.monotonic()
    try:
        done = subprocess.run([*_command(), *map(str, args)], cwd=cwd, input=stdin,
                              capture_output=True, timeout=timeout, env=environment,
                              preexec_fn=_bounded(memory_mb, file_bytes))
    except subprocess.TimeoutExpired:
        pytest.fail(f"cdcxml {' '.join(map(str, args))} ran for more than {timeout} s")
    ran = Ran(done.returncode, done.stdout.decode("utf-8", "replace"),
              done.stderr.decode("utf-8", "replace"), time.monotonic() - started)
    assert "Traceback" not in ran.stderr, ran.stderr
    assert "MemoryError" not in ran.stderr + ran.stdout, ran.stderr
    return ran


def run_many(commands: list[tuple], **kw) -> list[Ran]:
    """Run several command lines at once (each as :func:`run_cli` would), in the given order."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: run_cli(*args, **kw), commands))


def one_error(ran: Ran, *words: str, code: int = 2) -> str:
    """The single stderr line of a refused run, checked for its exit code and words."""
    assert ran.code == code, (ran.code, ran.stdout, ran.stderr)
    assert len(ran.lines) == 1, ran.stderr
    line = ran.lines[0]
    for word in words:
        assert word in line, line
    return line


def schema(body: str, *, binding: str = "xslt", extra_ns: str = "") -> str:
    """A Schematron schema around ``body``."""
    return (f'<sch:schema xmlns:sch="{SCH}" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
            f'{extra_ns} queryBinding="{binding}">\n{body}\n</sch:schema>\n')


def rule(test: str, message: str = "fired", *, kind: str = "report", context: str = "/*") -> str:
    """One pattern with one rule holding one assertion."""
    return (f'<sch:pattern id="p"><sch:rule context="{context}">'
            f'<sch:{kind} id="a" test="{test}">{message}</sch:{kind}></sch:rule></sch:pattern>')


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """An XML file holding a marker, outside every folder the tests give cdcxml."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "secret.xml"
    path.write_text(f"<secret>{SECRET}</secret>\n")
    return path


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The folder contracts, documents and schemas of a test live in."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "doc.xml").write_text("<order><id>1</id></order>\n")
    (folder / "holds.sch").write_text(schema(rule("id", "has an id", kind="assert",
                                                   context="order")))
    return folder


class Listener:
    """A TCP server on 127.0.0.1 that records every connection made to it and answers nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """A base URL pointing at the listener."""
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    def close(self) -> None:
        """Stop accepting, after a moment for late connections to show."""
        time.sleep(0.2)
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    """A listener that must see no connection: the test asserts on ``connections``."""
    server = Listener()
    yield server
    server.close()


OK_BODY = b"<order><id>1</id></order>"


def gzip_bomb(size: int) -> bytes:
    """About ``size`` bytes of XML, gzip-compressed as repeated members (a thousandth the size)."""
    block = gzip.compress(b"a" * (16 * 1024 * 1024), compresslevel=9)
    return gzip.compress(b"<bomb>") + block * (size // (16 * 1024 * 1024))


def endless() -> Iterable[bytes]:
    """An XML body that never ends: a root, then 64 KiB elements for ever."""
    yield b"<root>"
    chunk = b"<a>" + b"x" * 65536 + b"</a>"
    while True:
        yield chunk


@pytest.fixture
def hostile_provider(listener: Listener):
    """A provider on 127.0.0.1 that misbehaves in a different way on each path."""
    provider = FakeProvider()
    xml = "text/xml"
    html = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
            b"<body><p>upstream<br></p></body></html>")
    xxe = (f'<?xml version="1.0"?>\n<!DOCTYPE order [<!ENTITY x SYSTEM "{listener.url}/x">]>'
           "\n<order><id>&x;</id></order>").encode()
    provider.routes.update({
        "/ok": Reply(body=OK_BODY, content_type=xml),
        "/trickle": Reply(body=b" " * 100000, content_type=xml, trickle=0.5),
        "/silent": Reply(hang=True),
        "/endless": Reply(content_type=xml, chunks=endless),
        "/gzip-bomb": Reply(body=gzip_bomb(3 * 1024 * 1024 * 1024), content_type=xml,
                            headers={"Content-Encoding": "gzip"}),
        "/redirect": Reply(302, content_type=xml,
                           headers={"Location": listener.url + "/leak"}),
        "/html": Reply(502, html, "text/html"),
        "/xxe": Reply(body=xxe, content_type=xml),
        **{f"/shape/{name}": Reply(body=body, content_type=xml)
           for name, body in BYPASSES.items()},
    })
    yield provider.start()
    provider.close()

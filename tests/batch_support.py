"""Helpers for the batch tests: the captured documents as zip, tar.gz and HAR files."""

from __future__ import annotations

import base64
import json
import tarfile
import zipfile
from pathlib import Path

DATA = Path(__file__).parent / "data" / "batch"
CAPTURES = DATA / "captures"
CONTRACTS = Path(__file__).parent / "data" / "productsearch" / "contracts"
XSD = Path(__file__).parent / "data" / "productsearch" / "schemas" / "products-v1.xsd"


def capture_files() -> list[Path]:
    """Every file of the captures folder, documents and others, in path order."""
    return sorted(p for p in CAPTURES.rglob("*") if p.is_file())


def make_zip(target: Path) -> Path:
    """The captures as a zip archive (folders kept, like a proxy's export)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in capture_files():
            zf.write(p, p.relative_to(CAPTURES).as_posix())
    return target


def make_tar(target: Path) -> Path:
    """The captures as a gzip-compressed tar archive."""
    with tarfile.open(target, "w:gz") as tf:
        for p in capture_files():
            tf.add(p, p.relative_to(CAPTURES).as_posix())
    return target


def har_entry(url: str, body: bytes, mime: str, *, base64_body: bool = False) -> dict:
    """One HAR entry: a POST to ``url`` answered with ``body``."""
    content: dict = {"size": len(body), "mimeType": mime}
    if base64_body:
        content.update(text=base64.b64encode(body).decode("ascii"), encoding="base64")
    else:
        content["text"] = body.decode("utf-8", "replace")
    return {
        "startedDateTime": "2024-05-01T10:00:00.000Z",
        "time": 12,
        "request": {"method": "POST", "url": url, "httpVersion": "HTTP/1.1", "headers": [],
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": "Content-Type", "value": mime}], "cookies": [],
                     "content": content, "redirectURL": "", "headersSize": -1,
                     "bodySize": len(body)},
        "cache": {},
        "timings": {"send": 0, "wait": 10, "receive": 2},
    }


def make_har(target: Path) -> Path:
    """The captured documents as XML responses of a HAR export, between unrelated JSON calls."""
    entries = []
    for i, p in enumerate(f for f in capture_files() if f.suffix == ".xml"):
        if i % 3 == 0:
            entries.append(har_entry("http://provider.test/health", b'{"ok": true}',
                                     "application/json"))
        mime = "text/xml; charset=utf-8" if i % 2 else "application/soap+xml"
        entries.append(har_entry(f"http://provider.test/ProductSearch?q={p.stem}", p.read_bytes(),
                                 mime, base64_body=i % 4 == 1))
    har = {"log": {"version": "1.2", "creator": {"name": "proxy", "version": "1"},
                   "entries": entries}}
    target.write_text(json.dumps(har, indent=1), encoding="utf-8")
    return target

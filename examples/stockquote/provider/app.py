"""The StockQuote provider: a small WSGI service answering the operations of ../service.wsdl.

It answers SOAP 1.1 and SOAP 1.2 (by the request's Content-Type) at /StockQuote, serves its WSDL at
/StockQuote?wsdl, and answers an unknown symbol with the UnknownSymbol fault the WSDL declares.

    .venv/bin/python examples/stockquote/provider/app.py --port 8091
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server
from xml.etree import ElementTree as ET

NS = "urn:example:stockquote"
ENVELOPES = {"1.1": "http://schemas.xmlsoap.org/soap/envelope/",
             "1.2": "http://www.w3.org/2003/05/soap-envelope"}
MEDIA = {"1.1": "text/xml; charset=utf-8", "1.2": "application/soap+xml; charset=utf-8"}
WSDL = Path(__file__).resolve().parent.parent / "service.wsdl"
MAX_REQUEST_BYTES = 64 * 1024
QUOTES = {
    "ACME": {"Symbol": "ACME", "Price": "101.25", "Currency": "EUR", "Volume": "120000"},
    "GLOBX": {"Symbol": "GLOBX", "Price": "12.40", "Currency": "USD", "Volume": "98000"},
}


def _quote(parent: ET.Element, quote: dict[str, str]) -> None:
    el = ET.SubElement(parent, f"{{{NS}}}Quote")
    for name in ("Symbol", "Price", "Currency", "Volume"):
        ET.SubElement(el, f"{{{NS}}}{name}").text = quote[name]


def _envelope(version: str, payload: ET.Element) -> bytes:
    env = ENVELOPES[version]
    ET.register_namespace("soap", env)
    ET.register_namespace("q", NS)
    envelope = ET.Element(f"{{{env}}}Envelope")
    ET.SubElement(envelope, f"{{{env}}}Body").append(payload)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _fault(version: str, symbol: str) -> ET.Element:
    env = ENVELOPES[version]
    detail = ET.Element(f"{{{NS}}}UnknownSymbol")
    ET.SubElement(detail, f"{{{NS}}}Symbol").text = symbol
    fault = ET.Element(f"{{{env}}}Fault")
    if version == "1.1":
        ET.SubElement(fault, "faultcode").text = "soap:Client"
        ET.SubElement(fault, "faultstring").text = f"unknown symbol {symbol}"
        ET.SubElement(fault, "detail").append(detail)
    else:
        code = ET.SubElement(fault, f"{{{env}}}Code")
        ET.SubElement(code, f"{{{env}}}Value").text = "soap:Sender"
        reason = ET.SubElement(fault, f"{{{env}}}Reason")
        text = ET.SubElement(reason, f"{{{env}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = f"unknown symbol {symbol}"
        ET.SubElement(fault, f"{{{env}}}Detail").append(detail)
    return fault


def answer(version: str, request: bytes) -> tuple[str, bytes]:
    """The status and envelope that answer one request envelope."""
    body = ET.fromstring(request).find(f"{{{ENVELOPES[version]}}}Body")
    call = body[0] if body is not None and len(body) else None
    if call is not None and call.tag == f"{{{NS}}}GetQuote":
        symbol = (call.findtext(f"{{{NS}}}Symbol") or "").strip()
        if symbol not in QUOTES:
            return "500 Internal Server Error", _envelope(version, _fault(version, symbol))
        out = ET.Element(f"{{{NS}}}GetQuoteResponse")
        _quote(out, QUOTES[symbol])
        return "200 OK", _envelope(version, out)
    if call is not None and call.tag == f"{{{NS}}}ListQuotes":
        out = ET.Element(f"{{{NS}}}ListQuotesResponse")
        for quote in QUOTES.values():
            _quote(out, quote)
        return "200 OK", _envelope(version, out)
    return "500 Internal Server Error", _envelope(version, _fault(version, "?"))


def application(environ, start_response):
    if environ.get("PATH_INFO") != "/StockQuote":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    if environ["REQUEST_METHOD"] == "GET" and environ.get("QUERY_STRING") == "wsdl":
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [WSDL.read_bytes()]
    version = "1.2" if "soap+xml" in environ.get("CONTENT_TYPE", "") else "1.1"
    size = int(environ.get("CONTENT_LENGTH") or 0)
    request = environ["wsgi.input"].read(min(size, MAX_REQUEST_BYTES))
    try:
        status, data = answer(version, request)
    except ET.ParseError:
        status, data = "400 Bad Request", b"not XML\n"
    start_response(status, [("Content-Type", MEDIA[version]), ("Content-Length", str(len(data)))])
    return [data]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args(argv)
    with make_server("127.0.0.1", args.port, application, handler_class=_Quiet) as server:
        print(f"StockQuote on http://127.0.0.1:{args.port}/StockQuote", file=sys.stderr, flush=True)
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

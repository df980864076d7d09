"""The ProductSearch provider: a small WSGI service answering SOAP 1.1 searches of the catalogue.

It serves the search results as the article leaves them (Description added, InStock dropped). Start
it with ``--drop-price`` (or ``PRODUCTSEARCH_DROP_PRICE=1``) to serve a version that no longer
sends Price: the change ``cdcxml verify`` must catch before it ships.

    python examples/productsearch/provider/app.py --port 8080 [--drop-price]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server
from xml.etree import ElementTree as ET

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PRODUCTS_NS = "urn:example.com:productsearch:products"
SEARCH_NS = "urn:example.com:productsearch:search"
SEARCH_ACTION = "urn:example:productsearch:Search"
MAX_REQUEST_BYTES = 64 * 1024

CATALOGUE = (
    {"CatalogueID": "101", "Name": "Widget", "Price": "10.99", "Manufacturer": "Company A",
     "Description": "Our top of the range widget"},
    {"CatalogueID": "300", "Name": "Fooble", "Price": "2.00", "Manufacturer": "Company B",
     "Description": "Our bargain fooble"},
)
FIELDS = ("CatalogueID", "Name", "Price", "Manufacturer", "Description")


def search(query: str) -> list[dict[str, str]]:
    """The products whose name contains the query (all of them for an empty query)."""
    wanted = query.strip().lower()
    return [p for p in CATALOGUE if wanted in p["Name"].lower()]


def results_envelope(products: list[dict[str, str]], *, drop_price: bool) -> bytes:
    """A SOAP 1.1 envelope carrying a Products document."""
    ET.register_namespace("soap", SOAP_ENV)
    ET.register_namespace("", PRODUCTS_NS)
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    root = ET.SubElement(body, f"{{{PRODUCTS_NS}}}Products")
    for product in products:
        el = ET.SubElement(root, f"{{{PRODUCTS_NS}}}Product")
        for name in FIELDS:
            if name == "Price" and drop_price:
                continue
            ET.SubElement(el, f"{{{PRODUCTS_NS}}}{name}").text = product[name]
    ET.indent(envelope)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def fault_envelope(code: str, reason: str) -> bytes:
    """A SOAP 1.1 fault."""
    ET.register_namespace("soap", SOAP_ENV)
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    fault = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    ET.SubElement(fault, "faultcode").text = f"soap:{code}"
    ET.SubElement(fault, "faultstring").text = reason
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def make_app(*, drop_price: bool = False):
    """The WSGI application; ``drop_price`` serves the version without Price."""

    def app(environ, start_response):
        def answer(status: str, body: bytes, content_type="text/xml; charset=utf-8"):
            start_response(status, [("Content-Type", content_type),
                                    ("Content-Length", str(len(body)))])
            return [body]

        if environ.get("PATH_INFO") != "/ProductSearch":
            return answer("404 Not Found", b"no such service\n", "text/plain; charset=utf-8")
        if environ["REQUEST_METHOD"] != "POST":
            return answer("405 Method Not Allowed", b"POST a SOAP request\n",
                          "text/plain; charset=utf-8")
        if not environ.get("CONTENT_TYPE", "").lower().startswith("text/xml"):
            return answer("415 Unsupported Media Type", b"SOAP 1.1 requests are text/xml\n",
                          "text/plain; charset=utf-8")
        action = environ.get("HTTP_SOAPACTION", "").strip('"')
        if action != SEARCH_ACTION:
            return answer("500 Internal Server Error",
                          fault_envelope("Client", f"unknown SOAPAction {action!r}"))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_REQUEST_BYTES:
            return answer("500 Internal Server Error", fault_envelope("Client", "request too large"))
        try:
            request = ET.fromstring(environ["wsgi.input"].read(length))
        except ET.ParseError as err:
            return answer("500 Internal Server Error",
                          fault_envelope("Client", f"request is not XML: {err}"))
        query = request.find(f"{{{SOAP_ENV}}}Body/{{{SEARCH_NS}}}Search/{{{SEARCH_NS}}}Query")
        if query is None:
            return answer("500 Internal Server Error",
                          fault_envelope("Client", "expected a Search with a Query"))
        return answer("200 OK", results_envelope(search(query.text or ""), drop_price=drop_price))

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's signature
        sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")


def main(argv: list[str] | None = None) -> None:
    """Serve the provider until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--drop-price", action="store_true",
                        default=os.environ.get("PRODUCTSEARCH_DROP_PRICE") == "1",
                        help="serve the version that no longer sends Price")
    args = parser.parse_args(argv)
    with make_server(args.host, args.port, make_app(drop_price=args.drop_price),
                     handler_class=_QuietHandler) as server:
        version = "Price dropped" if args.drop_price else "as the article left it"
        print(f"ProductSearch provider ({version}) on http://{args.host}:{server.server_port}",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


if __name__ == "__main__":
    main()

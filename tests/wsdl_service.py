"""A real SOAP service for the WSDL tests: spyne (document/literal wrapped) served by waitress."""

from __future__ import annotations

import re
import socket
import threading
import warnings
from decimal import Decimal

from waitress.server import create_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # spyne's Python 2 compatibility imports warn on import
    from spyne import Application, ComplexModel, Fault, Integer, ServiceBase, Unicode, rpc
    from spyne import Decimal as XsDecimal
    from spyne.model.complex import Array
    from spyne.protocol.soap import Soap11
    from spyne.server.wsgi import WsgiApplication

NS = "urn:example:products"
TNS = "urn:example:productsearch"


class Product(ComplexModel):
    __namespace__ = NS
    Name = Unicode(min_occurs=1)
    Price = XsDecimal(min_occurs=1)
    InStock = Integer


class NotFound(Fault):
    __namespace__ = TNS


class Behaviour:
    """What the running service does; a test changes it to play a provider's change."""

    drop_price = False


def _product(name: str) -> Product:
    return Product(Name=name, Price=Decimal("9.50"), InStock=3)


class ProductSearch(ServiceBase):
    @rpc(Unicode, _returns=Array(Product), _throws=[NotFound])
    def SearchProducts(ctx, term):  # noqa: N802, N805 - the operation's name in the WSDL
        if term == "nothing":
            raise NotFound(faultstring="no product matches")
        return [_product("Widget"), _product("Gadget")]

    @rpc(Unicode, _returns=Product)
    def GetProduct(ctx, id):  # noqa: N802, N805, A002
        return _product("Widget")


def application():
    app = Application([ProductSearch], tns=TNS, name="ProductSearch",
                      in_protocol=Soap11(validator="lxml"), out_protocol=Soap11())
    return _DropPrice(WsgiApplication(app))


class _DropPrice:
    """A provider's change played on the wire: with ``Behaviour.drop_price``, Price is gone."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        answer: dict = {}

        def hold(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)

        body = b"".join(self.app(environ, hold))
        if Behaviour.drop_price:
            body = re.sub(rb"<s0:Price>[^<]*</s0:Price>", b"", body)
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v)
                   for k, v in answer["headers"]]
        start_response(answer["status"], headers)
        return [body]


class Server:
    """waitress serving the spyne application on 127.0.0.1, in a thread."""

    def __init__(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.server = create_server(application(), host="127.0.0.1", port=self.port, threads=2)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        Behaviour.drop_price = False

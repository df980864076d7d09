"""A requests transport that calls a WSGI application in-process, for verifying without a socket.

    session = requests.Session()
    session.mount("http://provider.test/", WSGIAdapter(app))
    cdcxml.verify.verify(contracts, "http://provider.test", session=session)
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict


class WSGIAdapter(requests.adapters.BaseAdapter):
    """A requests transport that calls a WSGI application in-process: no socket at all."""

    def __init__(self, app) -> None:
        super().__init__()
        self.app = app

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        body = request.body or b""
        body = body.encode("utf-8") if isinstance(body, str) else body
        environ = {
            "REQUEST_METHOD": request.method, "PATH_INFO": url.path, "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "localhost", "SERVER_PORT": str(url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": url.scheme,
            "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0), "wsgi.multithread": False,
            "wsgi.multiprocess": False, "wsgi.run_once": False,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        started: dict[str, object] = {}

        def start_response(status, headers, exc_info=None):
            started.update(status=status, headers=headers)

        content = b"".join(self.app(environ, start_response))
        code, _, reason = str(started["status"]).partition(" ")
        response = requests.Response()
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(started["headers"])
        response.raw = io.BytesIO(content)
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass

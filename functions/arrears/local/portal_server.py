"""``arrears portal``: the portal's Lambda handler served on 127.0.0.1 by the local runtime.

Each browser request becomes the API Gateway HTTP API (payload 2.0) event the deployed
portal receives, and is invoked through the runtime as Lambda would invoke it; the woken
case's execution then runs on the runtime's clock. Requests are served one at a time (the
runtime is single-threaded). Nothing about a request is logged.
"""

from __future__ import annotations

import base64
import http.server
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from arrears import topology as t

PORTAL_FUNCTION = t.PORTAL_FUNCTION.local_name


def http_event(
    method: str,
    path: str,
    *,
    form: Mapping[str, str] | None = None,
    body: str | None = None,
    cookies: Mapping[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, Any]:
    """An API Gateway HTTP API (2.0) event, as the deployed portal Lambda receives it."""
    from urllib.parse import urlencode

    parts = urlsplit(path)
    if form is not None:
        body = urlencode(dict(form))
    query = {}
    if parts.query:
        from urllib.parse import parse_qsl

        query = dict(parse_qsl(parts.query))
    headers = {"host": "127.0.0.1", "user-agent": "arrears-local"}
    if body is not None:
        headers["content-type"] = content_type
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": "arrears-local",
            },
            "requestId": f"local-{time.monotonic_ns()}",
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if cookies:
        event["cookies"] = [f"{name}={value}" for name, value in cookies.items()]
    if body is not None:
        event["body"] = body
    return event


def call(rt: Any, event: Mapping[str, Any]) -> dict[str, Any]:
    """Invoke the portal function on the runtime; the HTTP API's response (2.0 format)."""
    result: dict[str, Any] = rt.invoke(PORTAL_FUNCTION, dict(event))
    return result


def session_cookie(response: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for cookie in response.get("cookies") or []:
        name, _, rest = cookie.partition("=")
        found[name] = rest.split(";", 1)[0]
    return found


class _Handler(http.server.BaseHTTPRequestHandler):
    runtime: Any = None
    # requests are served one at a time: a browser's idle pre-opened connection must not
    # hold the runtime, so a connection that sends nothing is dropped after this long
    timeout = 2
    server_version = "arrears-portal"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return None  # the path holds the token: never logged

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(min(length, 65536)).decode("utf-8", "replace") if length else None
        cookies = {}
        for part in (self.headers.get("cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                cookies[name] = value
        event = http_event(
            method,
            self.path,
            body=body,
            cookies=cookies,
            source_ip=self.client_address[0],
            content_type=self.headers.get("content-type") or "",
        )
        response = call(self.runtime, event)
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
        self.send_response(int(response.get("statusCode", 500)))
        for name, value in (response.get("headers") or {}).items():
            self.send_header(name, value)
        for cookie in response.get("cookies") or []:
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


def make_server(rt: Any, host: str = "127.0.0.1", port: int = 8765) -> http.server.HTTPServer:
    handler = type("PortalHandler", (_Handler,), {"runtime": rt})
    return http.server.HTTPServer((host, port), handler)

"""One ASGI middleware for everything a request must pass before the app sees it.

- Host check on loopback (no token): a page on another site cannot reach us through DNS rebinding.
- Token: with a token, every request needs it (`Authorization: Bearer T`, `X-Postguard-Token: T`, or
  `?token=T` to open the page); without it, 401.
- Size: a body larger than the limit is refused with 413 before it is read, and counted while it streams
  (a client may lie about or omit Content-Length).
- Headers: a strict Content-Security-Policy unless the route set its own, no caching, no referrer.

Written as plain ASGI (not BaseHTTPMiddleware) so the check adds microseconds, not a task per request.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
DEFAULT_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


class Guard:
    def __init__(self, app: ASGIApp, *, token: str | None, max_body: int,
                 trusted_hosts: frozenset[str] = LOOPBACK_HOSTS) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body
        self.trusted_hosts = trusted_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.token is None and _host_name(headers.get("host", "")) not in self.trusted_hosts:
            await _reply(send, 400, "unknown Host header: open the page as http://127.0.0.1:PORT/")
            return
        if self.token is not None and not self._authorised(scope, headers):
            await _reply(send, 401, "missing or wrong token: send `Authorization: Bearer TOKEN` "
                                    "or open the page with ?token=TOKEN", {"www-authenticate": "Bearer"})
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _reply(send, 413, f"request too large (limit {self.max_body // 2**20} MiB in all); "
                                    "send fewer or smaller images")
            return

        received = 0
        limit = self.max_body

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # raised inside body parsing; FastAPI lets HTTPException through, so this is a 413
                    raise HTTPException(413, f"request too large (limit {limit // 2**20} MiB in all); "
                                             "send fewer or smaller images")
            return message

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                names = {k.lower() for k, _ in raw}
                extra = [
                    (b"content-security-policy", DEFAULT_CSP.encode()),
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                raw += [(k, v) for k, v in extra if k not in names]
                message["headers"] = raw
            await send(message)

        await self.app(scope, counted_receive, secured_send)

    def _authorised(self, scope: Scope, headers: dict[str, str]) -> bool:
        assert self.token is not None
        offered: list[str] = []
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            offered.append(auth[7:].strip())
        if "x-postguard-token" in headers:
            offered.append(headers["x-postguard-token"].strip())
        query = scope.get("query_string", b"").decode("latin-1")
        offered += parse_qs(query).get("token", [])
        expected = self.token.encode("utf-8")
        return any(hmac.compare_digest(o.encode("utf-8"), expected) for o in offered)


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _reply(send: Send, status: int, error: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": error}).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"content-security-policy", DEFAULT_CSP.encode()), (b"cache-control", b"no-store")]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})

"""Security for the site and API: headers (CSP), admin token, CSRF on forms, per-client rate limits, safe links."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk.settings import Settings

CSRF_COOKIE = "newsdesk_csrf"
CSRF_FIELD = "csrf_token"


def content_security_policy(settings: Settings) -> str:
    """No script at all, styles and images only from the site (and the logo's own origin)."""
    images = "'self' data:"
    logo = urlsplit(settings.site_logo)
    if logo.scheme in ("http", "https") and logo.netloc:
        images += f" {logo.scheme}://{logo.netloc}"
    return (
        f"default-src 'none'; style-src 'self'; img-src {images}; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response (a plain ASGI class: no per-request task)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(settings).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def admin_token_ok(settings: Settings, offered: str | None) -> bool:
    """Whether `offered` is the admin token, compared in constant time; always False when none is set."""
    if not settings.admin_token or offered is None:
        return False
    return hmac.compare_digest(offered.encode(), settings.admin_token.encode())


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class Csrf:
    """Double-submit CSRF tokens: a random value in a SameSite=Strict cookie, and its signature in the form.

    Hand-written (a few lines of hmac) rather than a library: the site has two forms and no sessions.
    The signing key is random per process unless an admin token is set, which then keys it so that
    tokens survive restarts and work across several server processes."""

    def __init__(self, settings: Settings) -> None:
        seed = settings.admin_token.encode() if settings.admin_token else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"newsdesk csrf\0" + seed).digest()

    def new_cookie(self) -> str:
        """A fresh random cookie value."""
        return secrets.token_urlsafe(24)

    def form_token(self, cookie: str) -> str:
        """The value a form must send back with this cookie."""
        return hmac.new(self._key, cookie.encode(), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, form_token: str | None) -> bool:
        """Whether the form's token belongs to the browser's cookie (constant-time compare)."""
        if not cookie or not form_token:
            return False
        return hmac.compare_digest(self.form_token(cookie), form_token)


class RateLimits:
    """Per-client request limits (moving window, in memory) for search and the API."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._search: RateLimitItem | None = parse(settings.rate_limit_search) if settings.rate_limit_search else None
        self._api: RateLimitItem | None = parse(settings.rate_limit_api) if settings.rate_limit_api else None

    def retry_after(self, path: str, client: str) -> int | None:
        """Seconds to wait when this request is over its limit, else None (and the request is counted)."""
        if path.startswith("/api/"):
            item, bucket = self._api, "api"
        elif path == "/search" or path.startswith("/search/"):
            item, bucket = self._search, "search"
        else:
            return None
        if item is None or self._limiter.hit(item, bucket, client):
            return None
        reset, _ = self._limiter.get_window_stats(item, bucket, client)
        return max(1, int(reset - time.time()) + 1)


class RateLimited:
    """ASGI middleware answering over-limit requests with `refuse(scope, retry_after_seconds)`."""

    def __init__(self, app: ASGIApp, limits: RateLimits, refuse: Callable[[Scope, int], Response]) -> None:
        self.app = app
        self.limits = limits
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            retry = self.limits.retry_after(scope["path"], client[0] if client else "unknown")
            if retry is not None:
                await self.refuse(scope, retry)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def safe_url(url: str) -> str:
    """A link target from outside (an article's URL) if it is http(s), else a harmless "#"."""
    scheme = urlsplit(url.strip()).scheme.lower()
    return url if scheme in ("http", "https") else "#"

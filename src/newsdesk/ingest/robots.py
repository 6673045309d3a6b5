"""robots.txt: fetched once per host and pass, read with the standard library's parser (RFC 9309 rules)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from newsdesk.errors import FetchError

ROBOTS_MAX_BYTES = 500_000  # RFC 9309 lets a crawler stop reading after 500 KiB

# (status, body) of GET <origin>/robots.txt; raises FetchError when the host cannot be reached
RobotsGetter = Callable[[str], Awaitable[tuple[int, bytes]]]


@dataclass(frozen=True)
class RobotsRules:
    """One host's robots.txt as we read it."""

    parser: RobotFileParser | None  # its rules; None when there is no robots.txt (everything allowed)
    status: int  # HTTP status of the robots.txt answer


def rules_from(status: int, body: bytes) -> RobotsRules:
    """The rules for a robots.txt answer (4xx: no robots.txt, so everything is allowed)."""
    if status >= 400:
        return RobotsRules(None, status)
    parser = RobotFileParser()
    parser.parse(body.decode("utf-8", errors="replace").splitlines())
    return RobotsRules(parser, status)


class RobotsPolicy:
    """Answers "may we fetch this URL?" for one user agent, caching each origin's rules."""

    def __init__(self, user_agent: str, get: RobotsGetter) -> None:
        self.user_agent = user_agent
        self._get = get
        self._rules: dict[str, asyncio.Future[RobotsRules]] = {}

    async def _load(self, origin: str) -> RobotsRules:
        status, body = await self._get(origin + "/robots.txt")
        return rules_from(status, body)

    async def allowed(self, url: str) -> bool:
        """True when robots.txt lets our user agent fetch the URL; raises FetchError when it cannot be read."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in self._rules:  # the first caller loads it; concurrent callers wait for the same answer
            self._rules[origin] = asyncio.ensure_future(self._load(origin))
        rules = await asyncio.shield(self._rules[origin])
        if rules.status >= 500:  # RFC 9309: a robots.txt that cannot be read means "do not crawl" for now
            raise FetchError(f"{url}: robots.txt could not be read (HTTP {rules.status}), so the host is not crawled")
        return rules.parser is None or rules.parser.can_fetch(self.user_agent, url)

"""A refresh pass over sources: all polled concurrently (fetch -> parse -> extract), each one's articles
stored, in the sources' order, as soon as it and those before it are done, and its health and next attempt
recorded on it.

Sources run as asyncio tasks sharing one Fetcher, whose global and per-host limits keep us polite and keep
a slow host from holding the others up. Parsing and extraction run in worker threads so the event loop
keeps reading other responses meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from newsdesk.errors import FetchError, NewsdeskError, ParseError
from newsdesk.ingest.articles import article_from_entry, article_from_page
from newsdesk.ingest.discover import feed_links
from newsdesk.ingest.entries import ParsedFeed
from newsdesk.ingest.feeds import parse_feed
from newsdesk.ingest.fetch import Fetcher
from newsdesk.ingest.local import file_kind, list_local_files, local_path, read_local
from newsdesk.ingest.pages import extract_page
from newsdesk.ingest.schedule import poll_interval, retry_at, should_disable
from newsdesk.ingest.urls import article_id
from newsdesk.settings import Settings
from newsdesk.store.base import FetchOutcome, Store
from newsdesk.types import Article, FeedEntry, Source

MAX_NEW_PER_PASS = 100  # new items taken from one source in one pass; the rest come next pass

SaveArticles = Callable[[list[Article]], tuple[int, int]]  # stores articles; returns (stored, copies)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SourceResult:
    """What one source gave in a pass."""

    source: Source  # the source as it was before the pass
    stored: int = 0  # new articles stored
    copies: int = 0  # of which copies of an article already stored
    error: str | None = None  # one-line reason when the source failed
    warning: str | None = None  # one-line note when it worked but something was skipped or kept partial


@dataclass
class Harvest:
    """What polling one source brought in, before storage."""

    articles: list[Article] = field(default_factory=list)
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    interval_minutes: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Failure:
    """Why polling a source failed."""

    error: str  # one-line reason
    status: int | None = None  # HTTP status when the server answered with an error
    retry_after: float | None = None  # seconds the server asked us to wait


def _summarise(problems: list[str], what: str) -> str:
    return f"{len(problems)} {what} (first: {problems[0]})"


class Pass:
    """One refresh pass over some sources."""

    def __init__(self, store: Store, settings: Settings, fetcher: Fetcher, save: SaveArticles, at: datetime) -> None:
        self.store = store
        self.settings = settings
        self.fetcher = fetcher
        self.save = save
        self.at = at
        self._saving = asyncio.Lock()

    # -- kinds of source ------------------------------------------------------
    async def poll_feed(self, source: Source) -> Harvest:
        """A feed or news sitemap: conditional GET, parse, then the page of every new teaser item."""
        reply = await self.fetcher.get(source.url, etag=source.etag, last_modified=source.last_modified)
        kept = Harvest(etag=reply.etag or source.etag, last_modified=reply.last_modified or source.last_modified)
        if reply.not_modified:
            return kept
        try:
            feed = await asyncio.to_thread(parse_feed, reply.body, reply.url, reply.content_type)
        except ParseError:
            linked = feed_links(reply)
            if linked:
                raise ParseError(f"{source.url}: not a feed but a page that links the feed {linked[0]}") from None
            raise
        if feed.sitemaps:
            feed = await self._read_children(feed, kept.notes)
        kept.title = feed.title or None
        kept.notes.extend(feed.notes)
        if not feed.entries:
            kept.notes.append("no items in it")
        times = [e.published for e in feed.entries if e.published and e.published <= self.at]
        kept.interval_minutes = poll_interval(self.settings, feed.hint_minutes, times)
        fresh = self._fresh(feed.entries, kept.notes)
        built = await asyncio.gather(*(self._from_entry(source, feed, entry) for entry in fresh))
        kept.articles = [article for article, _ in built]
        problems = [problem for _, problem in built if problem]
        if problems:
            kept.notes.append(_summarise(problems, "pages kept as the feed's text"))
        return kept

    async def poll_page(self, source: Source) -> Harvest:
        """A single article page: fetched until it is stored, then only checked at the longest interval."""
        kept = Harvest(interval_minutes=self.settings.refresh_max_minutes, etag=source.etag)
        if self.store.has_article(article_id(source.url)):
            return kept
        reply = await self.fetcher.get(source.url, etag=source.etag, last_modified=source.last_modified)
        kept.etag, kept.last_modified = reply.etag, reply.last_modified
        if reply.not_modified:
            return kept
        page = await asyncio.to_thread(extract_page, reply.body, reply.url, reply.content_type)
        kept.title = page.title or None
        kept.articles = [article_from_page(source.id, source.url, page, reply.url, self.at)]
        return kept

    async def poll_local(self, source: Source) -> Harvest:
        """A local file or folder: every page and feed file not read before, without touching the network."""
        return await asyncio.to_thread(self._read_local, source)

    # -- helpers --------------------------------------------------------------
    def _fresh(self, entries: Sequence[FeedEntry], notes: list[str]) -> list[FeedEntry]:
        fresh = [e for e in entries if not self.store.has_article(article_id(e.url))]
        if len(fresh) > MAX_NEW_PER_PASS:
            notes.append(f"{len(fresh) - MAX_NEW_PER_PASS} new items left for the next pass")
        return fresh[:MAX_NEW_PER_PASS]

    async def _from_entry(self, source: Source, feed: ParsedFeed, entry: FeedEntry) -> tuple[Article, str | None]:
        if entry.content or not self.settings.fetch_full_text:
            return article_from_entry(source.id, feed, entry, None, None, self.at), None
        try:
            reply = await self.fetcher.get(entry.url)
            page = await asyncio.to_thread(extract_page, reply.body, reply.url, reply.content_type)
        except NewsdeskError as exc:  # the feed's own text is kept and the article marked partial
            return article_from_entry(source.id, feed, entry, None, None, self.at), str(exc)
        return article_from_entry(source.id, feed, entry, page, reply.url, self.at), None

    async def _read_children(self, index: ParsedFeed, notes: list[str]) -> ParsedFeed:
        """A sitemap index read as the entries of its (most recent) child sitemaps."""

        async def child(url: str) -> ParsedFeed | None:
            try:
                reply = await self.fetcher.get(url)
                return await asyncio.to_thread(parse_feed, reply.body, reply.url, reply.content_type)
            except NewsdeskError as exc:
                notes.append(f"child sitemap skipped ({exc})")
                return None

        parts = [p for p in await asyncio.gather(*(child(u) for u in index.sitemaps)) if p is not None]
        entries = {e.url: e for p in parts for e in p.entries}
        notes.extend(note for p in parts for note in p.notes)
        title = next((p.title for p in parts if p.title), "")
        language = next((p.language for p in parts if p.language), None)
        return replace(index, title=title, entries=tuple(entries.values()), language=language, sitemaps=())

    def _read_local(self, source: Source) -> Harvest:
        kept = Harvest()
        problems: list[str] = []
        for path in list_local_files(local_path(source.url)):
            link = path.as_uri()
            try:
                if file_kind(path) == "page":
                    if not self.store.has_article(article_id(link)):
                        page = extract_page(read_local(path, self.settings.max_response_bytes), link)
                        kept.articles.append(article_from_page(source.id, link, page, link, self.at))
                    continue
                feed = parse_feed(read_local(path, self.settings.max_response_bytes), link)
            except NewsdeskError as exc:
                problems.append(str(exc))
                continue
            kept.notes.extend(feed.notes)
            for entry in self._fresh(feed.entries, kept.notes):
                kept.articles.append(article_from_entry(source.id, feed, entry, None, None, self.at))
        if problems:
            kept.notes.append(_summarise(problems, "files skipped"))
        return kept

    # -- one source, start to end ----------------------------------------------
    async def collect(self, source: Source) -> Harvest | Failure:
        """Poll one source (network, parsing, extraction); never raises."""
        poll = POLLERS.get(source.kind)
        try:
            if poll is None:
                raise FetchError(f"{source.url}: unknown kind of source {source.kind!r}")
            return await poll(self, source)
        except NewsdeskError as exc:
            return Failure(str(exc), getattr(exc, "status", None), getattr(exc, "retry_after", None))
        except Exception as exc:  # a library tripping over hostile input must not end the pass for every source
            return Failure(f"{source.url}: unexpected {type(exc).__name__}: {exc}")

    async def settle(self, source: Source, got: Harvest | Failure) -> SourceResult:
        """Store what a source brought in and record its health and next attempt; never raises."""
        if isinstance(got, Failure):
            return self._failed(source, got)
        articles = list({a.id: a for a in got.articles}.values())  # one feed can link a page twice
        try:
            stored, copies = await asyncio.to_thread(self.save, articles) if articles else (0, 0)
        except NewsdeskError as exc:
            return self._failed(source, Failure(str(exc)))
        warning = "; ".join(dict.fromkeys(got.notes)) or None
        interval = got.interval_minutes or source.interval_minutes or self.settings.refresh_interval_minutes
        outcome = FetchOutcome(
            self.at,
            ok=True,
            title=got.title,
            etag=got.etag,
            last_modified=got.last_modified,
            new_articles=stored,
            next_attempt_at=self.at + timedelta(minutes=interval),
            interval_minutes=got.interval_minutes,
            warning=warning,
        )
        self.store.record_fetch(source.id, outcome)
        return SourceResult(source, stored=stored, copies=copies, warning=warning)

    def _failed(self, source: Source, failure: Failure) -> SourceResult:
        failures = source.consecutive_failures + 1
        disable = should_disable(self.settings, failures, failure.status)
        error = failure.error
        if disable:
            why = "gone for good" if failure.status == 410 else f"{failures} failures in a row"
            error += f"; disabled ({why}): re-enable with `newsdesk sources enable {source.id}`"
        due = retry_at(self.settings, self.at, source.interval_minutes, failures, failure.retry_after)
        self.store.record_fetch(
            source.id, FetchOutcome(self.at, ok=False, error=error, next_attempt_at=due, disable=disable)
        )
        return SourceResult(source, error=error)


POLLERS: dict[str, Callable[[Pass, Source], Awaitable[Harvest]]] = {
    "feed": Pass.poll_feed,
    "page": Pass.poll_page,
    "local": Pass.poll_local,
}


async def _poll_all(
    store: Store, settings: Settings, sources: Sequence[Source], save: SaveArticles, progress: Progress, at: datetime
) -> list[SourceResult]:
    results: list[SourceResult] = []
    async with Fetcher(settings) as fetcher:
        one_pass = Pass(store, settings, fetcher, save, at)
        collecting = [asyncio.ensure_future(one_pass.collect(s)) for s in sources]
        # every source is polled at once (within the fetcher's limits), but stored in the given order, so a
        # pass stores the same thing whichever host answers first (e.g. which of two wire copies is the original)
        for number, (source, polled) in enumerate(zip(sources, collecting, strict=True), start=1):
            result = await one_pass.settle(source, await polled)
            results.append(result)
            head = f"[{number}/{len(sources)}] {source.url}"
            if result.error:
                progress(f"{head}: error: {result.error}")
            else:
                progress(f"{head}: {result.stored} new articles" + (f" ({result.warning})" if result.warning else ""))
    return results


def poll_sources(
    store: Store, settings: Settings, sources: Sequence[Source], save: SaveArticles, progress: Progress, at: datetime
) -> list[SourceResult]:
    """Poll every given source concurrently; results (and storage) in the given order."""
    if not sources:
        return []
    return asyncio.run(_poll_all(store, settings, sources, save, progress, at))

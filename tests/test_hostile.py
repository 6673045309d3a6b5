"""Hostile and broken input, each served by a real local HTTP server through the real refresh pass.

Every case: one clear message on the source (an error, or a note when the source still gave articles),
the run goes on (another source's new article is stored in the same pass), and nothing stored is lost or
duplicated (the source's earlier article stays, and a further pass changes nothing).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli
import pytest

from conftest import LOCAL, FixtureServer, page, rss, streamed
from newsdesk import Desk, open_desk
from newsdesk.ingest import safety
from newsdesk.ingest.urls import article_id
from newsdesk.settings import Settings
from newsdesk.types import RefreshReport, Source

CAP = 2_000_000
SETTINGS = LOCAL.replace(fetch_timeout=2.0, fetch_deadline=4.0, fetch_retries=1, max_response_bytes=CAP)


class Clock:
    """The pipeline's clock, moved a day on before each pass so every source is due again."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


class Newsroom:
    """A store with a good source and a source that turns hostile after one good pass."""

    def __init__(self, server: FixtureServer, path: Path, settings: Settings, clock: Clock) -> None:
        self.server, self.clock = server, clock
        self.desk: Desk = open_desk(f"sqlite:///{path / 'news.db'}", settings)
        server.add("/good.xml", rss("Good Gazette", [("Good one", "/good/1")]))
        server.add("/good/1", page("Good one"))
        server.add("/h.xml", rss("Hostile Herald", [("Before trouble", "/h/1")]))
        server.add("/h/1", page("Before trouble"))
        self.good = self.desk.add_source(server.url + "/good.xml")
        self.hostile_url = server.url + "/h.xml"
        self.hostile_id = self.desk.add_source(self.hostile_url).id
        first = self.refresh()
        assert not first.failed and first.new_articles == 2
        # in the hostile pass the good source has news, which must get through
        server.add("/good.xml", rss("Good Gazette", [("Good two", "/good/2"), ("Good one", "/good/1")]))
        server.add("/good/2", page("Good two"))
        self.expected = {"/good/1", "/good/2", "/h/1"}

    def refresh(self) -> RefreshReport:
        self.clock.now += timedelta(hours=25)
        return self.desk.refresh()

    def hostile(self) -> Source:
        return self.desk.store.get_source(self.hostile_id)

    def serve(self, body: bytes | str = b"", **kwargs: object) -> None:
        self.server.add("/h.xml", body, **kwargs)

    def assert_stored(self, paths: set[str]) -> None:
        store = self.desk.store
        missing = [p for p in paths if not store.has_article(article_id(self.server.url + p))]
        assert not missing and store.count_articles() == len(paths)

    def assert_contained(self, fragment: str) -> Source:
        """The hostile source failed with one clear line; everything else went on; a re-run changes nothing."""
        report = self.refresh()
        source = self.hostile()
        assert source.last_error and fragment in source.last_error, source.last_error
        assert "\n" not in source.last_error and "Traceback" not in source.last_error
        assert report.failed == ((self.hostile_url, source.last_error),)
        assert report.new_articles == 1  # the good source's new article
        self.assert_stored(self.expected)
        self.refresh()
        self.assert_stored(self.expected)
        return source

    def assert_noted(self, fragment: str, new_paths: set[str]) -> Source:
        """The hostile source still gave its articles, with one note; a re-run changes nothing."""
        report = self.refresh()
        source = self.hostile()
        assert source.last_error is None and fragment in (source.last_warning or ""), source.last_warning
        assert "\n" not in (source.last_warning or "") and not report.failed
        self.expected |= new_paths
        self.assert_stored(self.expected)
        self.refresh()
        self.assert_stored(self.expected)
        return source


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    ticking = Clock()
    monkeypatch.setattr("newsdesk.pipeline.now", ticking)
    return ticking


@pytest.fixture
def make_news(http_server: FixtureServer, tmp_path: Path, clock: Clock) -> Iterator[Callable[..., Newsroom]]:
    made: list[Newsroom] = []

    def make(settings: Settings = SETTINGS) -> Newsroom:
        made.append(Newsroom(http_server, tmp_path, settings, clock))
        return made[-1]

    yield make
    for news in made:
        news.desk.close()


@pytest.fixture
def news(make_news: Callable[..., Newsroom]) -> Newsroom:
    return make_news()


def zeros(megabytes: int, pack: Callable[[], object]) -> bytes:
    """A compression bomb: `megabytes` of zero bytes, compressed without ever holding them all."""
    packer = pack()
    block = b"\0" * (1 << 20)
    if isinstance(packer, brotli.Compressor):
        return b"".join(packer.process(block) for _ in range(megabytes)) + packer.finish()
    assert hasattr(packer, "compress")
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()  # type: ignore[attr-defined]


# -- broken feeds ------------------------------------------------------------------------------------------


def test_malformed_xml(news: Newsroom) -> None:
    news.serve('<?xml version="1.0"?><rss version="2.0"><channel><title>Broken & unclosed <item><title>oops')
    news.assert_contained("not a valid feed (")


def test_malformed_but_readable_xml_is_read_leniently(news: Newsroom) -> None:
    news.server.add("/h/amp", page("Salt & pepper"))
    news.serve(rss("Hostile Herald", [("Salt & pepper", "/h/amp")]))  # a bare & is not XML
    news.assert_noted("not well-formed XML, read leniently", {"/h/amp"})


def test_html_page_where_a_feed_was_expected(news: Newsroom) -> None:
    news.serve(page("Just a page"))
    news.assert_contained("not a feed (got an HTML page")


def test_html_page_that_links_its_feed_says_which(news: Newsroom) -> None:
    link = "<link rel='alternate' type='application/rss+xml' href='/real-feed.xml'>"
    news.serve(page("Home page", extra_head=link))
    news.assert_contained(f"not a feed but a page that links the feed {news.server.url}/real-feed.xml")


def test_empty_response(news: Newsroom) -> None:
    news.serve(b"")
    news.assert_contained("empty document")


def test_empty_feed(news: Newsroom) -> None:
    news.serve(rss("Hostile Herald", []))
    news.assert_noted("no items in it", set())


def test_invalid_dates(news: Newsroom) -> None:
    news.server.add("/h/bad-date", page("Bad date"))
    news.server.add("/h/future", page("Future date"))
    news.serve(
        '<rss version="2.0"><channel><title>Hostile Herald</title>'
        "<item><title>Bad date</title><link>/h/bad-date</link><pubDate>the 32nd of Brumaire</pubDate></item>"
        "<item><title>Future date</title><link>/h/future</link><pubDate>Fri, 01 Jan 2999 00:00:00 GMT</pubDate>"
        "</item></channel></rss>"
    )
    news.assert_noted("1 unreadable date ignored", {"/h/bad-date", "/h/future"})
    for path in ("/h/bad-date", "/h/future"):
        stored = news.desk.store.get_article(article_id(news.server.url + path))
        assert stored.published.tzinfo is not None and stored.published.utcoffset() == timedelta(0)
        assert stored.published <= news.clock.now  # the fetch time stands in; the year 2999 is not believed


def test_duplicate_guids(news: Newsroom) -> None:
    news.server.add("/h/a", page("Item A"))
    news.server.add("/h/b", page("Item B"))
    news.serve(
        '<rss version="2.0"><channel><title>Hostile Herald</title>'
        "<item><title>Item A</title><link>/h/a</link><guid>same</guid></item>"
        "<item><title>Item B</title><link>/h/b</link><guid>same</guid></item>"
        "<item><title>Item A again</title><link>/h/a</link><guid>other</guid></item>"
        "</channel></rss>"
    )
    news.assert_noted("2 repeated items skipped", {"/h/a"})
    assert not news.desk.store.has_article(article_id(news.server.url + "/h/b"))


def test_items_without_links(news: Newsroom) -> None:
    news.server.add("/h/linked", page("Linked"))
    news.serve(
        '<rss version="2.0"><channel><title>Hostile Herald</title>'
        "<item><title>Nowhere</title><description>No link.</description></item>"
        "<item><title>Linked</title><link>/h/linked</link></item>"
        '<item><title>Nowhere either</title><guid isPermaLink="false">x-1</guid></item>'
        "</channel></rss>"
    )
    news.assert_noted("2 items without a link skipped", {"/h/linked"})


def test_feed_lying_about_its_encoding(news: Newsroom) -> None:
    news.server.add("/h/cafe", page("Cafe opens"))
    body = rss("Café “Times”", [("Café opens", "/h/cafe")], prolog='<?xml version="1.0" encoding="utf-8"?>')
    news.serve(body.encode("cp1252"), content_type="application/rss+xml; charset=utf-8")
    news.assert_noted("declared charset was wrong, read as windows-1252", {"/h/cafe"})
    assert news.hostile().title == "Café “Times”"
    assert news.desk.store.get_article(article_id(news.server.url + "/h/cafe")).title == "Café opens"


def test_billion_laughs(news: Newsroom) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10)
    )
    news.server.add("/h/laughs", page("Laughs"))
    news.serve(
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>T &lol9;</title>'
        "<item><title>Laughs &lol9;</title><link>/h/laughs</link><description>&lol9;</description></item>"
        "</channel></rss>"
    )
    started = time.monotonic()
    news.assert_noted("", {"/h/laughs"})
    assert time.monotonic() - started < 5
    stored = news.desk.store.get_article(article_id(news.server.url + "/h/laughs"))
    assert "lollol" not in stored.title + stored.text and "lollol" not in news.hostile().title


def test_external_entities_are_never_loaded(news: Newsroom) -> None:
    secret = news.server.add("/secret", "the password is swordfish")
    news.server.add("/h/xxe", page("Entity test"))
    news.serve(
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{news.server.url}/evil.dtd" ['
        f'<!ENTITY file SYSTEM "file:///etc/passwd"><!ENTITY web SYSTEM "{secret}">]>'
        '<rss version="2.0"><channel><title>Hostile Herald</title>'
        "<item><title>Entity test &file; &web;</title><link>/h/xxe</link><description>&file;&web;</description>"
        "</item></channel></rss>"
    )
    news.assert_noted("", {"/h/xxe"})
    stored = news.desk.store.get_article(article_id(news.server.url + "/h/xxe"))
    assert "root:" not in stored.title + stored.text and "swordfish" not in stored.title + stored.text
    assert not {"/secret", "/evil.dtd"} & {path for path, _ in news.server.hits}


# -- hostile servers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "pack"),
    [("gzip", lambda: zlib.compressobj(9, zlib.DEFLATED, 31)), ("br", lambda: brotli.Compressor(quality=5))],
)
def test_compression_bomb(news: Newsroom, coding: str, pack: Callable[[], object]) -> None:
    bomb = zeros(200, pack)  # 200 MB once inflated, a few hundred KB on the wire
    news.serve(bomb, content_type="application/rss+xml", headers={"Content-Encoding": coding})
    started = time.monotonic()
    news.assert_contained(f"response is over the {CAP}-byte cap")
    assert time.monotonic() - started < 5


def test_compression_bomb_as_an_article_page(news: Newsroom) -> None:
    news.server.add(
        "/h/bomb", zeros(100, lambda: zlib.compressobj(9, zlib.DEFLATED, 31)), headers={"Content-Encoding": "gzip"}
    )
    news.serve(rss("Hostile Herald", [("Bomb", "/h/bomb")]))
    news.assert_noted("1 pages kept as the feed's text (first: ", {"/h/bomb"})
    assert news.desk.store.get_article(article_id(news.server.url + "/h/bomb")).partial


def test_response_far_beyond_the_cap(news: Newsroom) -> None:
    endless = iter(lambda: b"<item>" + b"x" * 65536, None)  # never ends, and never says how long it is
    news.serve(b"", handler=streamed(200, endless, Content_Type="application/rss+xml"))
    started = time.monotonic()
    news.assert_contained(f"response is over the {CAP}-byte cap")
    assert time.monotonic() - started < 5


def test_server_sending_one_byte_a_second(make_news: Callable[..., Newsroom]) -> None:
    news = make_news(SETTINGS.replace(fetch_timeout=0.5))
    drip = iter(lambda: b"<", None)
    news.serve(b"", handler=streamed(200, drip, delay=1.0, Content_Type="application/rss+xml"))
    started = time.monotonic()
    news.assert_contained("timed out (nothing for 0.5 s)")
    assert time.monotonic() - started < 5


def test_server_dripping_just_fast_enough_meets_the_deadline(make_news: Callable[..., Newsroom]) -> None:
    news = make_news(SETTINGS.replace(fetch_timeout=1.0, fetch_deadline=1.5))
    drip = iter(lambda: b"<", None)
    news.serve(b"", handler=streamed(200, drip, delay=0.1, Content_Type="application/rss+xml"))
    news.assert_contained("took longer than 1.5 s")


def test_endless_redirect_loop(news: Newsroom) -> None:
    news.serve(b"", status=302, headers={"Location": "/h.xml"})
    news.assert_contained("too many redirects")


def test_410_retires_the_source_until_enabled(news: Newsroom) -> None:
    news.serve("gone", status=410)
    source = news.assert_contained("HTTP 410 Gone")
    assert source.disabled and f"re-enable with `newsdesk sources enable {source.id}`" in (source.last_error or "")
    hits = len(news.server.hits)
    news.refresh()
    assert not any(path == "/h.xml" for path, _ in news.server.hits[hits:])  # a disabled source is left alone
    news.server.add("/h/back", page("Back again"))
    news.serve(rss("Hostile Herald", [("Back again", "/h/back")]))
    news.desk.enable_source(str(source.id))
    news.assert_noted("", {"/h/back"})
    assert not news.hostile().disabled


def test_429_with_retry_after_moves_the_next_attempt(news: Newsroom) -> None:
    news.serve(b"", status=429, headers={"Retry-After": "7200"})
    report = news.refresh()
    source = news.hostile()
    assert (
        report.failed and "HTTP 429" in (source.last_error or "") and "retry after 7200 s" in (source.last_error or "")
    )
    assert source.next_attempt_at is not None and source.next_attempt_at >= news.clock.now + timedelta(seconds=7200)
    assert not source.disabled


def test_a_failing_source_backs_off_then_is_disabled(make_news: Callable[..., Newsroom]) -> None:
    news = make_news(SETTINGS.replace(disable_after_failures=3))
    news.serve("down", status=500)
    delays = []
    for _ in range(3):
        news.refresh()
        source = news.hostile()
        assert source.next_attempt_at is not None
        delays.append(source.next_attempt_at - news.clock.now)
    assert delays[0] < delays[1] < delays[2]  # back-off grows with the failures
    assert source.disabled and source.consecutive_failures == 3
    assert "disabled (3 failures in a row)" in (source.last_error or "")


def test_ten_megabyte_page(make_news: Callable[..., Newsroom]) -> None:
    news = make_news(SETTINGS.replace(max_response_bytes=16_000_000))
    bloat = "<script>window.__STATE__ = '" + "x" * 9_000_000 + "';</script>"
    image = "<img src='data:image/png;base64," + "A" * 1_200_000 + "'>"
    html = page("Heavy page", extra_head=bloat).replace("<article>", image + "<article>")
    assert len(html) > 10_000_000
    news.server.add("/h/heavy", html)
    news.serve(rss("Hostile Herald", [("Heavy page", "/h/heavy")]))
    started = time.monotonic()
    news.assert_noted("", {"/h/heavy"})
    assert time.monotonic() - started < 10
    stored = news.desk.store.get_article(article_id(news.server.url + "/h/heavy"))
    assert not stored.partial and "point 3" in stored.text and "xxxx" not in stored.text


# -- pages in other encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec", "content_type", "meta"),
    [
        (
            "Café owners said the naïve plan — “finally” — works.",
            "cp1252",
            "text/html; charset=utf-8",
            "",
        ),
        (
            "Совет города принял план порта.",
            "cp1251",
            "text/html",
            "",
        ),
        (
            "港の計画が議会で承認されました。",
            "shift_jis",
            "text/html",
            "<meta charset='shift_jis'>",
        ),
    ],
    ids=["cp1252-says-utf8", "cp1251-undeclared", "shift-jis-declared"],
)
def test_pages_in_other_encodings(news: Newsroom, text: str, codec: str, content_type: str, meta: str) -> None:
    paragraphs = "".join(f"<p>{text} {n}. {text}</p>" for n in range(12))
    html = f"<!doctype html><html><head>{meta}<title>Encoded</title></head><body><article>{paragraphs}</article></body>"
    news.server.add("/h/encoded", html.encode(codec), content_type=content_type)
    news.serve(rss("Hostile Herald", [("Encoded", "/h/encoded")]))
    news.assert_noted("", {"/h/encoded"})
    stored = news.desk.store.get_article(article_id(news.server.url + "/h/encoded"))
    assert not stored.partial and text in stored.text


# -- server-side request forgery -----------------------------------------------------------------------------


def test_private_addresses_are_refused_by_default(http_server: FixtureServer, tmp_path: Path) -> None:
    with open_desk(f"sqlite:///{tmp_path / 'news.db'}", Settings(fetch_timeout=2)) as desk:
        url = http_server.add("/feed.xml", rss("Local", [("One", "/one")]))
        desk.add_source(url)
        report = desk.refresh()
        source = desk.sources()[0]
    assert report.failed == ((url, source.last_error),)
    assert "refused: 127.0.0.1 is a loopback address; set NEWSDESK_ALLOW_PRIVATE_ADDRESSES=1" in (
        source.last_error or ""
    )
    assert http_server.hits == []


def test_article_links_to_private_addresses_are_refused(news: Newsroom, monkeypatch: pytest.MonkeyPatch) -> None:
    # from here on only 127.0.0.1 (the fixture server) counts as public: a feed on it links elsewhere
    real = safety.address_problem
    monkeypatch.setattr(safety, "address_problem", lambda a: None if str(a) == "127.0.0.1" else real(a))
    news.desk.settings = news.desk.settings.replace(allow_private_addresses=False)
    news.server.add("/h/internal", "", status=302, headers={"Location": "http://127.0.0.2:9/admin"})
    news.server.add("/h/meta", "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    news.serve(rss("Hostile Herald", [("Internal", "/h/internal"), ("Metadata", "/h/meta")]))
    source = news.assert_noted("2 pages kept as the feed's text (first: ", {"/h/internal", "/h/meta"})
    assert "refused: 127.0.0.2 is a loopback address" in (source.last_warning or "")
    for path in ("/h/internal", "/h/meta"):
        assert news.desk.store.get_article(article_id(news.server.url + path)).partial

"""Kinds of source: single pages, local folders, news sitemaps, feeds found on a site's page, OPML lists."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import FIXTURES, FixtureServer, page
from newsdesk import Desk
from newsdesk.errors import ParseError, SettingsError, StoreError
from newsdesk.ingest.feeds import parse_feed
from newsdesk.ingest.opml import parse_opml
from newsdesk.ingest.urls import article_id

LOCAL_FILES = FIXTURES / "local"
FEEDS = FIXTURES / "feeds"


def test_single_page_source_keeps_full_metadata(desk: Desk, http_server: FixtureServer) -> None:
    saved = (LOCAL_FILES / "saved-article.html").read_text()
    url = http_server.add("/news/lighthouse?utm_campaign=x", saved)
    source = desk.add_source(url, page=True)
    assert source.kind == "page"
    report = desk.refresh()
    assert report.new_articles == 1 and not report.failed
    article = desk.store.get_article(article_id(url))
    assert article.url == "https://coastal.test/news/lighthouse-keepers?id=42"  # rel=canonical, tracking gone
    assert (article.title, article.outlet, article.author) == (
        "Lighthouse keepers return to Skerry Point",
        "The Coastal Record",
        "Maren Holt",
    )
    assert article.published == datetime(2026, 11, 12, 7, 15, tzinfo=UTC)
    assert article.updated == datetime(2026, 11, 12, 16, 40, tzinfo=UTC)
    assert article.image_url == http_server.url + "/images/lighthouse.jpg"
    assert article.language == "en-GB" and not article.partial
    assert article.text.startswith("For the first time in forty years") and "Home" not in article.text
    stored = desk.store.get_source(source.id)
    assert stored.title == article.title and stored.interval_minutes == desk.settings.refresh_max_minutes
    desk.store.enable_source(source.id)
    hits = len(http_server.hits)
    assert desk.refresh().new_articles == 0
    assert len(http_server.hits) == hits  # a page already stored is not fetched again


def test_local_folder_is_read_offline(desk: Desk, tmp_path: Path) -> None:
    folder = tmp_path / "import"
    shutil.copytree(LOCAL_FILES, folder)
    (folder / ".hidden").mkdir()
    shutil.copy(folder / "saved-article.html", folder / ".hidden" / "copy.html")  # hidden: never read
    (folder / "nested").mkdir()
    saved = (folder / "saved-article.html").read_text()
    (folder / "nested" / "pilots.htm").write_text(
        saved.replace("Skerry Point", "Gull Rock").replace("keepers", "pilots")
    )
    source = desk.add_source(str(folder))
    assert source.kind == "local" and source.url == folder.resolve().as_uri()
    report = desk.refresh()
    assert report.new_articles == 3 and not report.failed
    stored = desk.store.get_source(source.id)
    assert "1 files skipped (first: " in (stored.last_warning or "") and "broken.rss" in (stored.last_warning or "")
    lighthouse = desk.store.get_article(article_id((folder / "saved-article.html").as_uri()))
    assert lighthouse.url == "https://coastal.test/news/lighthouse-keepers?id=42" and not lighthouse.partial
    assert lighthouse.outlet == "The Coastal Record"
    ferry = desk.store.get_article(article_id("http://offline.test/ferry"))
    assert ferry.partial and ferry.outlet == "Offline Outlet" and ferry.text.startswith("Unions and the operator")
    desk.store.enable_source(source.id)
    assert desk.refresh().new_articles == 0  # nothing read twice
    (folder / "nested" / "later.html").write_text(saved.replace("Lighthouse keepers", "Lifeboat crews"))
    desk.store.enable_source(source.id)
    assert desk.refresh().new_articles == 1 and desk.store.count_articles() == 4


def test_local_paths_that_do_not_exist_are_refused(desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not an http\\(s\\) URL or an existing file or folder"):
        desk.add_source(str(tmp_path / "missing"))
    single = desk.add_source((LOCAL_FILES / "feed.xml").as_uri())
    assert single.kind == "local"
    assert desk.refresh().new_articles == 1


def test_news_sitemap_source(desk: Desk, http_server: FixtureServer) -> None:
    body = (FEEDS / "news_sitemap.xml").read_text().replace("http://example.test", http_server.url)
    http_server.add("/sitemaps/news.xml", body, content_type="application/xml")
    http_server.add("/sitemaps/old.xml", "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'/>")
    index = (FEEDS / "sitemap_index.xml").read_text().replace("http://example.test", http_server.url)
    http_server.add("/news/strike-ends", page("Port strike ends after nine days"))
    http_server.add("/news/budget", page("Budget passes its first reading"))
    desk.add_source(http_server.add("/sitemap_index.xml", index, content_type="application/xml"))
    report = desk.refresh()
    assert report.new_articles == 2 and not report.failed
    strike = desk.store.get_article(article_id(http_server.url + "/news/strike-ends"))
    assert strike.title == "Port strike ends after nine days" and strike.section == "Business"
    assert strike.published == datetime(2026, 11, 19, 6, 30, tzinfo=UTC)
    assert strike.image_url == http_server.url + "/news/strike.jpg" and not strike.partial
    assert desk.sources()[0].title == "The Sitemap Herald"


def test_adding_a_site_finds_its_feed(desk: Desk, http_server: FixtureServer) -> None:
    head = (
        "<link rel='alternate' type='application/atom+xml' href='/atom.xml'>"
        "<link rel='alternate' type='application/rss+xml' title='RSS' href='/feed.rss'>"
        "<link rel='stylesheet' href='/style.css'>"
    )
    home = http_server.add("/", page("Welcome", extra_head=head))
    source = desk.add_source(home)
    assert source.url == http_server.url + "/feed.rss" and source.kind == "feed"  # RSS listed first by preference
    with pytest.raises(StoreError, match="already a source"):
        desk.add_source(home)
    unreachable = desk.add_source("http://127.0.0.1:1/feed.xml")  # cannot look now: added as given
    assert unreachable.url == "http://127.0.0.1:1/feed.xml"


def test_opml_import_and_export(desk: Desk) -> None:
    added, known = desk.import_opml((FIXTURES / "opml" / "subscriptions.opml").read_bytes())
    assert (added, known) == (3, 0)
    assert desk.import_opml((FIXTURES / "opml" / "subscriptions.opml").read_bytes()) == (0, 3)
    urls = [s.url for s in desk.sources()]
    assert urls == [
        "http://feeds.test/harbour.xml",
        "http://feeds.test/northgate.atom",
        "http://feeds.test/bulletin.json",
    ]
    exported = desk.export_opml()
    assert [f.url for f in parse_opml(exported.encode())] == urls
    assert exported.startswith('<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">')


def test_opml_that_is_not_opml() -> None:
    with pytest.raises(ParseError, match="not an OPML file"):
        parse_opml(b"<rss/>", "list.opml")
    with pytest.raises(ParseError, match="not a valid OPML file"):
        parse_opml(b"<opml><body>", "list.opml")


@pytest.mark.parametrize(("root", "parse"), [("opml", parse_opml), ("urlset", parse_feed)])
def test_opml_and_sitemaps_refuse_entity_expansion(root: str, parse: Callable[[bytes, str], object]) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10)
    )
    body = f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]><{root}><url><loc>&lol9;</loc></url></{root}>'
    started = time.monotonic()
    with pytest.raises(ParseError, match="amplification"):
        parse(body.encode(), "http://x.test/list")
    assert time.monotonic() - started < 1


def test_feed_autodiscovery_order_and_base(desk: Desk) -> None:
    from newsdesk.ingest.discover import discover_feeds

    html = (
        "<html><head><base href='http://site.test/blog/'>"
        "<link rel='alternate' type='application/feed+json' href='feed.json'>"
        "<link rel='Alternate' type='application/rss+xml; charset=utf-8' href='rss.xml'>"
        "<link rel='alternate' type='application/rss+xml' href='rss.xml'>"
        "<link rel='alternate' type='text/html' href='/fr/'>"
        "<link rel='alternate' type='application/atom+xml' href='javascript:alert(1)'>"
        "</head></html>"
    )
    assert discover_feeds(html, "http://site.test/") == [
        "http://site.test/blog/rss.xml",
        "http://site.test/blog/feed.json",
    ]
    assert discover_feeds("", "http://site.test/") == []

"""Google News sitemaps (and sitemap indexes pointing at them), read with lxml's safe settings."""

from __future__ import annotations

from lxml import etree

from newsdesk.errors import ParseError
from newsdesk.ingest.entries import EntryCollector, ParsedFeed, iso_time, plain
from newsdesk.types import FeedEntry

NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"
MAX_CHILD_SITEMAPS = 5  # of an index, the most recently changed ones are read

# no entity expansion, no DTD, no network: a hostile sitemap cannot make lxml do more than read it
SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def is_sitemap(body: bytes) -> bool:
    """True when the document's root element is a sitemap <urlset> or <sitemapindex>."""
    head = body[:2048]
    return b"<urlset" in head or b"<sitemapindex" in head


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _text(element: etree._Element | None) -> str:
    return plain(element.text or "") if element is not None else ""


def _child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child with this local name (sitemaps in the wild disagree about namespaces)."""
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _index(root: etree._Element) -> ParsedFeed:
    children = []
    for sitemap in root:
        if _local(sitemap.tag) == "sitemap":
            loc = _text(_child(sitemap, "loc"))
            if loc:
                children.append((_text(_child(sitemap, "lastmod")), loc))
    children.sort(reverse=True)  # W3C datetimes sort as text; those without lastmod come last
    return ParsedFeed(title="", entries=(), sitemaps=tuple(loc for _, loc in children[:MAX_CHILD_SITEMAPS]))


def parse_sitemap(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """A Google News sitemap's articles, or a sitemap index's child sitemaps; raises ParseError otherwise."""
    try:
        root = etree.fromstring(body, parser=SAFE_XML)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{url}: not a valid sitemap ({exc})") from None
    if _local(root.tag) == "sitemapindex":
        return _index(root)
    if _local(root.tag) != "urlset":
        raise ParseError(f"{url}: not a sitemap (root element is <{_local(root.tag)}>)")
    collected = EntryCollector(url)
    publication = language = ""
    urls = 0
    for node in root:
        if _local(node.tag) != "url":
            continue
        urls += 1
        news = node.find(f"{NEWS}news")
        if news is None:
            continue  # a plain sitemap entry: a site's archive, not news
        source = news.find(f"{NEWS}publication")
        if source is not None:
            publication = publication or _text(source.find(f"{NEWS}name"))
            language = language or _text(source.find(f"{NEWS}language"))
        date = _text(news.find(f"{NEWS}publication_date"))
        image = node.find(f"{IMAGE}image/{IMAGE}loc")
        collected.add(
            FeedEntry(
                url=_text(_child(node, "loc")),
                title=_text(news.find(f"{NEWS}title")),
                summary="",
                published=iso_time(date),
                author="",
                guid="",
                category=_text(news.find(f"{NEWS}keywords")).split(",")[0].strip(),
                updated=iso_time(_text(_child(node, "lastmod"))),
                image_url=_text(image) or None,
            ),
            bad_date=bool(date) and iso_time(date) is None,
        )
    if urls and not collected.entries and not collected.without_link:
        raise ParseError(f"{url}: a sitemap without Google News entries (a site's archive, not news)")
    return ParsedFeed(
        title=publication, entries=tuple(collected.entries), language=language or None, notes=collected.notes()
    )

"""Publishing the demo corpus as each outlet would: a feed per outlet (RSS, Atom or JSON Feed) and pages."""

from __future__ import annotations

import json
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from newsdesk.demo.corpus import OUTLETS, DemoArticle

_env = Environment(
    loader=PackageLoader("newsdesk.demo", "templates"),
    autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
)


def teaser(article: DemoArticle, words: int = 28) -> str:
    """The feed's truncated description, so that full text must come from the page."""
    text = article.paragraphs[0].split()
    return " ".join(text[:words]) + (" …" if len(text) > words else "")


def render_feed(outlet: str, articles: list[DemoArticle], base_url: str) -> tuple[str, str]:
    """(path, body) of an outlet's feed in its format."""
    name, kind = OUTLETS[outlet]
    items = sorted((a for a in articles if a.outlet == outlet), key=lambda a: a.published, reverse=True)
    if kind == "json":
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": name,
            "home_page_url": f"{base_url}/{outlet}/",
            "feed_url": f"{base_url}/{outlet}/feed.json",
            "items": [
                {
                    "id": f"{base_url}{a.path}",
                    "url": f"{base_url}{a.path}",
                    "title": a.title,
                    "summary": teaser(a),
                    "date_published": a.published.isoformat(),
                    "authors": [{"name": a.author}],
                    "tags": [a.section],
                }
                for a in items
            ],
        }
        return f"/{outlet}/feed.json", json.dumps(feed, indent=1)
    template = _env.get_template(f"{kind}.xml")
    body = template.render(
        name=name, outlet=outlet, base_url=base_url, items=items, teaser=teaser, rfc822=format_datetime
    )
    return f"/{outlet}/feed.{'rss' if kind == 'rss' else 'atom'}.xml", body


def render_page(article: DemoArticle, base_url: str) -> str:
    """The outlet's HTML page for one article, with its own navigation and boilerplate."""
    name, _ = OUTLETS[article.outlet]
    return _env.get_template("page.html").render(article=article, name=name, base_url=base_url)


def build_site(articles: list[DemoArticle], base_url: str) -> dict[str, tuple[bytes, str]]:
    """Every path of the demo site with its body and content type."""
    files: dict[str, tuple[bytes, str]] = {}
    for outlet in OUTLETS:
        path, body = render_feed(outlet, articles, base_url)
        kind = OUTLETS[outlet][1]
        ctype = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}[kind]
        files[path] = (body.encode("utf-8"), f"{ctype}; charset=utf-8")
    for article in articles:
        files[article.path] = (render_page(article, base_url).encode("utf-8"), "text/html; charset=utf-8")
    return files


def feed_urls(base_url: str) -> list[str]:
    """The URL of every outlet's feed."""
    suffix = {"rss": "feed.rss.xml", "atom": "feed.atom.xml", "json": "feed.json"}
    return [f"{base_url}/{slug}/{suffix[kind]}" for slug, (_, kind) in OUTLETS.items()]

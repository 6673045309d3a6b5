"""End to end in headless Chromium (Debian's, driven by Playwright) against a real `newsdesk serve`
on the demo corpus, plus one outlet whose feed carries script."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import FixtureServer
from newsdesk import open_desk
from newsdesk.demo.server import DemoServer
from newsdesk.settings import Settings
from test_web_security import HOSTILE_FEED

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium for the browser tests (scripts/setup.sh installs it)")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import BrowserContext, Page, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`newsdesk serve` in its own process over a store built from the demo corpus and a hostile feed."""
    folder = tmp_path_factory.mktemp("browser")
    database = f"sqlite:///{folder / 'site.db'}"
    hostile = FixtureServer()
    try:
        feed = hostile.add("/hostile.json", json.dumps(HOSTILE_FEED), content_type="application/feed+json")
        with DemoServer() as demo, open_desk(database, Settings(allow_private_addresses=True)) as desk:
            for url in [*demo.feed_urls, feed]:
                desk.add_source(url)
            assert not desk.refresh().failed
    finally:
        hostile.close()
    port = _free_port()
    env = {**os.environ, "NEWSDESK_CONFIG": str(folder / "none.toml"), "NEWSDESK_ADMIN_TOKEN": "browser-token"}
    server = subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "--database", database, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/about", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"newsdesk serve did not start: {server.stderr.read().decode() if server.stderr else ''}"
                )
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Debian's Chromium with a fresh profile."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1100, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    opened = browser.new_page()
    problems: list[str] = []
    opened.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield opened
    opened.close()
    assert problems == []  # nothing on our pages ever opened a dialog or threw


def test_a_reader_follows_a_story_a_citation_a_related_story_and_searches(site: str, page: Page) -> None:
    page.goto(site + "/")
    assert page.title() == "newsdesk"
    first = page.locator(".story-list .story-card h2 a").first
    headline = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == headline and "/story/" in page.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "story-page.png"), full_page=True)

    cite = page.locator("sup.cite a").first
    target = cite.get_attribute("href")
    assert target and target.startswith("#source-")
    cite.click()
    assert page.url.endswith(target)
    assert page.evaluate("document.querySelector(':target').id") == target[1:]
    assert page.locator(target).is_visible() and page.locator(target).locator(".outlet").inner_text()

    related = page.locator(".related h3 a").first
    related_headline = related.inner_text()
    related.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == related_headline != headline

    word = related_headline.split()[0].strip(",:!\"'")
    page.fill("#site-q", word)
    page.press("#site-q", "Enter")
    page.wait_for_load_state()
    assert "/search?q=" in page.url
    assert page.locator(".results .story-card").count() >= 1
    assert word.lower() in page.locator(".results mark").first.inner_text().lower()

    page.locator(".site-nav a").nth(1).click()  # the first topic
    page.wait_for_load_state()
    assert "/topic/" in page.url and page.locator(".story-card").count() >= 1


def test_a_reader_follows_an_entity(site: str, page: Page) -> None:
    page.goto(site + "/")
    page.locator(".story-list .story-card h2 a").first.click()
    page.wait_for_load_state()
    entity = page.locator(".entities a").first  # from a story page, as a reader would
    name = entity.inner_text()
    entity.click()
    page.wait_for_load_state()
    assert "/entity/" in page.url and name in page.locator("h1").inner_text()
    assert page.locator(".story-card").count() >= 1


def test_script_in_a_feed_never_runs(site: str, page: Page) -> None:
    page.goto(site + "/search?q=harbour+strike+ends")
    page.locator(".results h3 a", has_text="window.__pwned").first.click()
    page.wait_for_load_state()
    assert "<script>window.__pwned=1</script>" in page.locator("h1").inner_text()  # shown as text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.scripts.length") == 0
    coverage = page.locator(".coverage li a").first
    assert coverage.get_attribute("href") == "#"  # a javascript: link from the feed is neutralised


def test_keyboard_reaches_the_content_first(site: str, page: Page) -> None:
    page.goto(site + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus is visible
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")  # the next stop is inside the content, past the navigation
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.locator("img:not([alt])").count() == 0
    assert page.locator("main").count() == 1 and page.locator("header").count() >= 1


def test_story_page_fits_a_phone(site: str, browser: BrowserContext) -> None:
    phone = browser.new_page()
    phone.set_viewport_size({"width": 375, "height": 740})
    try:
        phone.goto(site + "/")
        phone.locator(".story-list .story-card h2 a").first.click()
        phone.wait_for_load_state()
        overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        phone.emulate_media(media="print")
        assert phone.locator(".site-nav").is_hidden() and phone.locator("article.story").is_visible()
    finally:
        phone.close()


def test_sources_form_adds_a_feed_with_the_admin_token(site: str, page: Page) -> None:
    page.goto(site + "/sources")
    page.fill("#url", "http://127.0.0.1:9/never.xml")
    page.fill("#admin_token", "browser-token")
    page.click("form[action='/sources'] button")
    page.wait_for_load_state()
    assert page.url.endswith("/sources?added=1") and "Added 1 source." in page.inner_text("main")
    assert "http://127.0.0.1:9/never.xml" in page.inner_text("table.sources")

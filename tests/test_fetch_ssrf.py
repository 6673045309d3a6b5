"""Server-side request forgery: loopback, private, link-local and metadata addresses are refused by default."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterator

import pytest

from conftest import FixtureServer
from newsdesk.errors import FetchError
from newsdesk.ingest import safety
from newsdesk.ingest.fetch import Fetcher, Response
from newsdesk.settings import Settings, load_settings

GUARDED = Settings(fetch_timeout=2)  # the default: private addresses refused


def get(url: str, settings: Settings = GUARDED) -> Response:
    async def run() -> Response:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("fd00:ec2::254", "private"),  # AWS metadata over IPv6
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("fe80::1", "link-local (cloud metadata)"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_address_classes(address: str, problem: str | None) -> None:
    assert safety.address_problem(ipaddress.ip_address(address)) == problem


def test_loopback_feed_is_refused_without_a_request(http_server: FixtureServer) -> None:
    url = http_server.add("/feed.xml", "<rss/>")
    with pytest.raises(FetchError) as caught:
        get(url)
    message = str(caught.value)
    assert message.startswith(url) and "loopback" in message and "NEWSDESK_ALLOW_PRIVATE_ADDRESSES=1" in message
    assert http_server.hits == []  # not even robots.txt was asked for


def test_names_are_checked_after_resolution(http_server: FixtureServer) -> None:
    port = http_server.url.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="localhost resolves to a loopback address"):
        get(f"http://localhost:{port}/feed.xml")
    assert http_server.hits == []


@pytest.mark.parametrize("host", ["169.254.169.254", "10.255.255.1", "[fd00:ec2::254]"])
def test_metadata_and_private_hosts_are_refused_before_connecting(host: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="refused"):
        get(f"http://{host}/latest/meta-data/")
    assert time.monotonic() - started < 1  # no connection was even tried


@pytest.fixture
def second_server() -> Iterator[FixtureServer]:
    server = FixtureServer(host="127.0.0.2")
    yield server
    server.close()


def test_redirects_to_refused_addresses_are_refused(
    http_server: FixtureServer, second_server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pretend 127.0.0.1 is a public address so the first hop is allowed; everything else keeps its class
    real = safety.address_problem
    monkeypatch.setattr(safety, "address_problem", lambda a: None if str(a) == "127.0.0.1" else real(a))
    secret = second_server.add("/admin", "internal only")
    http_server.add("/ok", "public")
    http_server.add("/to-internal", "", status=302, headers={"Location": secret})
    http_server.add("/to-metadata", "", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    assert get(http_server.url + "/ok").body == b"public"
    with pytest.raises(FetchError, match=r"127\.0\.0\.2 is a loopback address"):
        get(http_server.url + "/to-internal")
    with pytest.raises(FetchError, match="link-local"):
        get(http_server.url + "/to-metadata")
    assert second_server.hits == []


def test_the_setting_allows_private_addresses(http_server: FixtureServer, tmp_path) -> None:
    settings = load_settings(
        environ={"NEWSDESK_ALLOW_PRIVATE_ADDRESSES": "1", "NEWSDESK_CONFIG": str(tmp_path / "none.toml")}
    )
    assert settings.allow_private_addresses
    assert get(http_server.add("/feed.xml", "<rss/>"), settings.replace(fetch_timeout=2)).body == b"<rss/>"

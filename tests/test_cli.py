"""The `newsdesk` command: sources, refresh with bad input, stories, demo; one clear line per error."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from newsdesk.cli import main

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
PAGE = """<!doctype html><html><head><title>Harbour bridge reopens after repairs</title>
<meta property="og:site_name" content="Fixture Gazette"></head><body><nav><a href="/">Home</a></nav><article>
<h1>Harbour bridge reopens after repairs</h1>
<p>The harbour bridge reopened to traffic on Tuesday morning after eleven weeks of repairs to its main span,
the city's transport office said.</p>
<p>Engineers replaced 140 metres of deck and two expansion joints, and the work finished four days early.</p>
<p>"We asked a lot of people's patience and they gave it," said Mira Holt, who runs the transport office.</p>
</article><footer>© Fixture Gazette</footer></body></html>"""


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("NEWSDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("NEWSDESK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_ADDRESSES", "1")  # the fixture server is on 127.0.0.1

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_sources_add_list_remove(run) -> None:
    code, out, _ = run("sources", "add", "http://feeds.test/a.xml")
    assert code == 0 and "added source 1" in out
    code, _, err = run("sources", "add", "http://feeds.test/a.xml")
    assert code == 1 and err.strip() == "newsdesk: error: http://feeds.test/a.xml is already a source"
    code, _, err = run("sources", "add", "not a url")
    assert code == 1 and "is not an http(s) URL" in err and len(err.strip().splitlines()) == 1
    assert "never fetched" in run("sources", "list")[1]
    assert "removed source 1" in run("sources", "remove", "1")[1]
    code, _, err = run("sources", "remove", "http://feeds.test/a.xml")
    assert code == 1 and "no source" in err


def test_refresh_reports_each_bad_feed_in_one_line_and_goes_on(run, http_server) -> None:
    good = http_server.add("/good.xml", (FEEDS / "rss.xml").read_text().replace("http://example.test", http_server.url))
    http_server.add("/news/bridge?utm_source=rss", PAGE)
    http_server.add("/news/relative", PAGE.replace("Harbour bridge", "Relative bridge"))
    bad = {
        "http://127.0.0.1:1/unreachable.xml": "cannot connect",
        http_server.url + "/missing.xml": "HTTP 404",
        http_server.add("/page.html", (FEEDS / "not_a_feed.html").read_text()): "not a feed",
        http_server.add("/broken.xml", (FEEDS / "broken.xml").read_text()): "not a valid feed",
    }
    for url in [good, *bad]:
        run("sources", "add", url)
    code, out, err = run("refresh")
    assert code == 0 and not err
    for url, reason in bad.items():
        lines = [line for line in out.splitlines() if url in line]
        assert len(lines) == 1 and reason in lines[0] and "Traceback" not in out
    assert "5 sources, 2 new articles" in out and "4 failed" in out
    listing = run("sources", "list")[1]
    for reason in bad.values():
        assert "error (1 in a row): " in listing and reason in listing
    assert "Fixture Gazette · 2 articles · ok at" in listing
    stories = run("stories")[1]
    assert "Harbour bridge reopens after repairs" in stories
    # a second pass stores nothing again and keeps what was stored
    http_server.routes.pop("/good.xml")
    run("refresh")
    assert "Harbour bridge reopens after repairs" in run("stories")[1]


def test_an_empty_or_hostless_source_is_one_clear_error(run) -> None:
    code, _, err = run("sources", "add", "  ")
    assert code == 1 and "a source needs a URL, file or folder" in err  # not the current folder
    code, _, err = run("sources", "add", "http://")
    assert code == 1 and err.strip() == "newsdesk: error: 'http://' is not an http(s) URL: it names no host"
    assert "no sources yet" in run("sources", "list")[1]


def test_scheduler_with_an_unreachable_broker_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "NEWSDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "NEWSDESK_CONFIG": str(tmp_path / "none.toml"),
        "NEWSDESK_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{port}/",
    }
    command = [sys.executable, "-m", "newsdesk.cli"]
    subprocess.run([*command, "sources", "add", "http://feeds.test/a.xml"], env=env, check=True, capture_output=True)
    result = subprocess.run([*command, "scheduler", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith("newsdesk: error: cannot queue refresh_source 1")


def test_serving_on_an_address_in_use_is_one_clear_error_before_any_work(run, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, out, err = run("serve", "--port", port)
        assert code == 1 and out == ""  # no "serving on" line for a server that never serves
        expected = f"newsdesk: error: cannot serve on 127.0.0.1:{port}: Address already in use"
        expected += " (choose another with --port)"
        assert err.strip() == expected
        code, out, err = run("--database", f"sqlite:///{tmp_path / 'demo.db'}", "demo", "--port", port)
        assert code == 1 and out == "" and err.strip() == expected  # the demo is not built first
    code, _, err = run("serve", "--host", "no-such-host.invalid")
    assert code == 1 and err.startswith("newsdesk: error: cannot serve on 'no-such-host.invalid'")


def test_unknown_flag_is_one_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "refresh", "--bogus"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "unrecognized arguments: --bogus" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_is_one_clear_error(tmp_path: Path) -> None:
    env = {"NEWSDESK_PORT": "eighty", "NEWSDESK_CONFIG": str(tmp_path / "none.toml"), "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "stories"], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "newsdesk: error: setting port: 'eighty' is not a valid int"


def test_demo_builds_the_store_through_the_real_fetch_path(run, tmp_path: Path) -> None:
    code, out, _ = run("--database", f"sqlite:///{tmp_path / 'demo.db'}", "demo", "--no-serve")
    assert code == 0
    assert "ingested 81 articles (2 copies) from 7 feeds" in out
    assert "from 25 events" in out
    code, out, _ = run("--database", f"sqlite:///{tmp_path / 'demo.db'}", "stories", "--limit", "3")
    assert code == 0 and len(out.strip().splitlines()) == 4


def test_sources_import_export_enable_and_health(run, http_server, tmp_path: Path) -> None:
    opml = Path(__file__).parent / "fixtures" / "opml" / "subscriptions.opml"
    code, out, _ = run("sources", "import", str(opml))
    assert code == 0 and "imported 3 sources" in out
    code, out, _ = run("sources", "export")
    assert code == 0 and out.count("<outline ") == 3 and "http://feeds.test/northgate.atom" in out
    code, out, _ = run("sources", "export", str(tmp_path / "out.opml"))
    assert "exported 3 feeds" in out and (tmp_path / "out.opml").read_text().count("xmlUrl=") == 3
    code, _, err = run("sources", "import", str(tmp_path / "missing.opml"))
    assert code == 1 and err.startswith("newsdesk: error: cannot read") and len(err.strip().splitlines()) == 1
    gone = http_server.add("/gone.xml", "retired", status=410)
    code, out, _ = run("sources", "add", gone)
    assert "added source 4" in out
    page = http_server.add("/story", PAGE)
    assert "added source 5: " + page + " [page]" in run("sources", "add", "--page", page)[1]
    run("refresh")
    listing = run("sources", "list")[1]
    assert "DISABLED · error (1 in a row): " + gone + ": HTTP 410 Gone" in listing
    assert "re-enable with `newsdesk sources enable 4`" in listing
    assert "Harbour bridge reopens after repairs · 1 articles · ok at" in listing and "[page]" in listing
    code, out, _ = run("sources", "enable", "4")
    assert code == 0 and "enabled source 4" in out
    assert "DISABLED" not in run("sources", "list")[1].split(gone)[1].split("\n   ")[0]

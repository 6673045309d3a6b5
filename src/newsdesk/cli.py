"""The `newsdesk` command: a thin shell over the Desk."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from newsdesk.desk import Desk, open_desk
from newsdesk.errors import NewsdeskError, SettingsError
from newsdesk.settings import Settings, default_data_dir, load_settings
from newsdesk.types import RefreshReport, Source


def _count(text: str) -> int:
    """A flag's whole number of at least 1 (argparse reports anything else as a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _port(text: str) -> int:
    """A TCP port number."""
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, not {value}")
    return value


def _print(message: str) -> None:
    print(message, flush=True)


def _desk(args: argparse.Namespace, settings: Settings) -> Desk:
    return open_desk(args.database, settings)


def _health(s: Source) -> str:
    """A source's health in one line: last result, then schedule."""
    if s.last_attempt_at is None:
        status = "never fetched"
    elif s.last_error:
        status = f"error ({s.consecutive_failures} in a row): {s.last_error}"
    else:
        status = f"ok at {s.last_success_at:%Y-%m-%d %H:%M} UTC"
    if s.disabled:
        return f"DISABLED · {status}"
    every = f" · polled every {s.interval_minutes} min" if s.interval_minutes else ""
    due = f" · next {s.next_attempt_at:%Y-%m-%d %H:%M} UTC" if s.next_attempt_at else ""
    return status + every + due


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    with _desk(args, settings) as desk:
        if args.action == "add":
            source = desk.add_source(args.url, page=args.page)
            found = f" (the feed {args.url} links)" if source.kind == "feed" and source.url != args.url.strip() else ""
            _print(f"added source {source.id}: {source.url}{found} [{source.kind}]")
        elif args.action == "remove":
            source = desk.remove_source(args.ref)
            _print(f"removed source {source.id}: {source.url} (its articles are kept)")
        elif args.action == "enable":
            source = desk.enable_source(args.ref)
            _print(f"enabled source {source.id}: {source.url} (polled on the next refresh)")
        elif args.action == "import":
            path = Path(args.file)
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
            added, known = desk.import_opml(body, str(path))
            _print(f"imported {added} sources from {path} ({known} were already sources)")
        elif args.action == "export":
            document = desk.export_opml()
            if args.file in (None, "-"):
                sys.stdout.write(document)
            else:
                Path(args.file).write_text(document, encoding="utf-8")
                _print(f"exported {document.count('<outline ')} feeds to {args.file}")
        else:
            sources = desk.sources()
            if not sources:
                _print("no sources yet: add one with `newsdesk sources add URL`")
            for s in sources:
                kind = "" if s.kind == "feed" else f" [{s.kind}]"
                _print(f"{s.id:>4}  {s.url}{kind}\n      {s.title or '-'} · {s.articles_seen} articles · {_health(s)}")
                if s.last_warning and not s.last_error:
                    _print(f"      note: {s.last_warning}")
    return 0


def _report_line(report: RefreshReport) -> str:
    return (
        f"{report.sources} sources, {report.new_articles} new articles ({report.copies} copies), "
        f"{report.stories_touched} stories updated, {len(report.failed)} failed, in {report.seconds:.1f}s"
    )


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    with _desk(args, settings) as desk:
        if args.forever:
            _print("refreshing sources as they fall due (Ctrl+C to stop)")
            desk.refresh_forever(_print, on_pass=lambda report: _print(_report_line(report)))
            return 0
        report = desk.refresh(_print)
    _print(_report_line(report))
    return 1 if report.failed and len(report.failed) == report.sources else 0


def cmd_stories(args: argparse.Namespace, settings: Settings) -> int:
    with _desk(args, settings) as desk:
        stories = desk.stories(limit=args.limit)
        if not stories:
            _print("no stories yet: add sources and run `newsdesk refresh`")
        width = max([8, *(min(70, len(s.headline)) for s in stories)])
        _print(f"{'HEADLINE':<{width}}  {'OUTLETS':>7}  UPDATED (UTC)")
        for s in stories:
            headline = s.headline if len(s.headline) <= 70 else s.headline[:67] + "..."
            _print(f"{headline:<{width}}  {s.outlet_count:>7}  {s.updated_at:%Y-%m-%d %H:%M}")
    return 0


def _address(args: argparse.Namespace, settings: Settings) -> tuple[str, int]:
    """Where to serve, checked before any work: an address in use (or not this machine's) is one error line,
    not a "serving on" line followed by the server's own failure (and, for the demo, after building it)."""
    host, port = args.host or settings.host, args.port or settings.port
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise SettingsError(f"cannot serve on {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server's own socket does
        try:
            probe.bind(address)
        except OSError as exc:
            flag = "--port" if exc.errno == errno.EADDRINUSE else "--host"
            raise SettingsError(f"cannot serve on {host}:{port}: {exc.strerror} (choose another with {flag})") from None
    return host, port


def serve(desk: Desk, host: str, port: int) -> None:
    """Serve the site until interrupted."""
    import uvicorn

    from newsdesk.web.app import create_app

    _print(f"serving on http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run(create_app(desk), host=host, port=port, log_level="warning")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    host, port = _address(args, settings)
    with _desk(args, settings) as desk:
        serve(desk, host, port)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from newsdesk.demo.check import check_demo
    from newsdesk.demo.server import DemoServer

    address = None if args.no_serve else _address(args, settings)
    database = args.database or settings.database_url or f"sqlite:///{default_data_dir() / 'demo.db'}"
    if database.startswith("sqlite:///"):
        path = Path(database.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):  # the demo starts from an empty store each run
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    settings = settings.replace(allow_private_addresses=True)  # the demo outlets are served on 127.0.0.1
    with DemoServer() as server:
        _print(f"demo outlets publishing {len(server.articles)} articles at {server.base_url}")
        with open_desk(database, settings) as desk:
            for url in server.feed_urls:
                if desk.store.find_source(url) is None:  # a PostgreSQL demo store is not emptied between runs
                    desk.add_source(url)
            started = time.perf_counter()
            report = desk.refresh(_print)
            seconds = time.perf_counter() - started
            _print(
                f"ingested {report.new_articles} articles ({report.copies} copies) from {report.sources} feeds "
                f"in {seconds:.1f}s ({report.new_articles / max(seconds, 1e-9):.0f} articles/s); store: {database}"
            )
            check = check_demo(desk.store)
            _print(check.summary())
            for event, story_ids in sorted(check.split.items()):
                _print(f"  split: {event} -> stories {', '.join(story_ids)}")
            for story_id, events in sorted(check.mixed.items()):
                _print(f"  mixed: story {story_id} holds {', '.join(events)}")
            if report.failed:
                for url, error in report.failed:
                    _print(f"failed: {url}: {error}")
                return 1
            if address is None:
                return 0
            serve(desk, *address)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from newsdesk.evaluate import EvalOptions, run_task

    options = EvalOptions(limit=args.limit, sentences=args.sentences, words=args.words)
    result, table = run_task(args.task, Path(args.data), options)
    _print(json.dumps(result) if args.json else table)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from newsdesk.jobs.worker import run_worker

    settings = _with_database(args, settings)
    if not settings.broker_url:
        raise SettingsError(
            "a worker needs a broker: set NEWSDESK_BROKER_URL (e.g. amqp://guest:guest@127.0.0.1:5672/)"
        )
    _logging(args.verbose)
    _print(f"worker taking jobs from queue {settings.queue_name!r} (Ctrl+C to stop)")
    run_worker(settings, threads=args.threads)
    return 0


def cmd_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    from newsdesk.jobs.schedule import run_scheduler

    settings = _with_database(args, settings)
    _logging()
    where = f"queue {settings.queue_name!r}" if settings.broker_url else "this process (no broker set)"
    _print(f"scheduling due sources every {settings.schedule_interval_seconds:g}s onto {where}")
    queued = run_scheduler(settings, once=args.once)
    if args.once:
        _print(f"queued {queued} jobs")
    return 0


def cmd_migrate_store(args: argparse.Namespace, settings: Settings) -> int:
    from newsdesk.store.transfer import copy_store

    copied = copy_store(args.source, args.target, _print)
    _print(f"copied {sum(copied.values())} rows in {len(copied)} tables")
    return 0


def _with_database(args: argparse.Namespace, settings: Settings) -> Settings:
    return settings.replace(database_url=args.database) if args.database else settings


def _logging(verbose: bool = False) -> None:
    import logging

    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # pika logs each failed connection attempt as several ERROR lines with tracebacks; what failed is said once
    # by newsdesk (the scheduler's error) or by dramatiq (a worker's consumer, retrying)
    logging.getLogger("pika").setLevel(logging.WARNING if verbose else logging.CRITICAL)


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = argparse.ArgumentParser(prog="newsdesk", description="A self-hosted news desk.")
    parser.add_argument(
        "--config", help="TOML settings file (default: NEWSDESK_CONFIG or newsdesk.toml in the data folder)"
    )
    parser.add_argument("--database", help="database URL, e.g. sqlite:///path/news.db (default: NEWSDESK_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the bundled demo: publish, ingest and serve the demo corpus")
    demo.add_argument("--port", type=_port, help="port for the site (default 8000)")
    demo.add_argument("--host", help="address for the site (default 127.0.0.1)")
    demo.add_argument("--no-serve", action="store_true", help="build the demo store, then exit")
    demo.set_defaults(run=cmd_demo)

    serve_cmd = commands.add_parser("serve", help="serve the website")
    serve_cmd.add_argument("--port", type=_port, help="port (default 8000)")
    serve_cmd.add_argument("--host", help="address (default 127.0.0.1)")
    serve_cmd.set_defaults(run=cmd_serve)

    sources = commands.add_parser("sources", help="add, list or remove sources")
    actions = sources.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a feed, news sitemap or site URL, a page, or a local file or folder")
    add.add_argument("url", help="feed/sitemap URL, a site's page (its feed is found), or a local path")
    add.add_argument("--page", action="store_true", help="the URL is a single article page, not a feed")
    actions.add_parser("list", help="list sources with their health and schedule")
    remove = actions.add_parser("remove", help="remove a source by id or URL (its articles stay)")
    remove.add_argument("ref")
    enable = actions.add_parser("enable", help="re-enable a disabled source by id or URL")
    enable.add_argument("ref")
    import_cmd = actions.add_parser("import", help="add every feed of an OPML file")
    import_cmd.add_argument("file")
    export = actions.add_parser("export", help="write the feed sources as OPML (to stdout, or FILE)")
    export.add_argument("file", nargs="?")
    sources.set_defaults(run=cmd_sources)

    refresh = commands.add_parser("refresh", help="one pass over the due sources, then exit (or --forever)")
    refresh.add_argument("--forever", action="store_true", help="keep running, polling each source when it is due")
    refresh.set_defaults(run=cmd_refresh)

    stories = commands.add_parser("stories", help="a table of stories")
    stories.add_argument("--limit", type=_count, default=30, help="how many (default 30)")
    stories.set_defaults(run=cmd_stories)

    worker = commands.add_parser("worker", help="run jobs from the broker (NEWSDESK_BROKER_URL) until stopped")
    worker.add_argument("--threads", type=_count, help="jobs at once (default: worker_threads)")
    worker.add_argument("--verbose", action="store_true", help="log every job with the time it took")
    worker.set_defaults(run=cmd_worker)

    scheduler = commands.add_parser("scheduler", help="queue due sources on a schedule (in-process without a broker)")
    scheduler.add_argument("--once", action="store_true", help="one tick, then exit")
    scheduler.set_defaults(run=cmd_scheduler)

    migrate = commands.add_parser("migrate-store", help="copy a SQLite store into an empty PostgreSQL store")
    migrate.add_argument("--from", dest="source", required=True, help="sqlite:///path/to/newsdesk.db")
    migrate.add_argument("--to", dest="target", required=True, help="postgresql://user@host/database")
    migrate.set_defaults(run=cmd_migrate_store)

    evaluate = commands.add_parser("eval", help="measure quality on labelled data, with baselines")
    evaluate.add_argument("task", choices=["cluster", "summarize", "similarity"], help="what to measure")
    evaluate.add_argument("--data", required=True, help="JSON-lines file of labelled records")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    evaluate.add_argument("--limit", type=_count, help="use only the first N records")
    evaluate.add_argument("--sentences", type=_count, help="summarize: sentence budget (default 3, one document)")
    evaluate.add_argument("--words", type=_count, help="summarize: word budget (default 250, several documents)")
    evaluate.set_defaults(run=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsdesk` command."""
    args = build_parser().parse_args(argv)
    if args.command == "worker" and argv is None and os.environ.get("PYTHONHASHSEED") != "0":
        # the extractive writer may break some ties in set order, which follows the per-process string hash
        # seed: each worker pins it, so that any worker writes a story exactly as any other would
        os.execve(
            sys.executable, [sys.executable, "-m", "newsdesk.cli", *sys.argv[1:]], {**os.environ, "PYTHONHASHSEED": "0"}
        )
    try:
        settings = load_settings(args.config)
        return int(args.run(args, settings))
    except NewsdeskError as exc:
        print(f"newsdesk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""One settings object: every default here, overridden by a TOML file, then by NEWSDESK_* variables."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

from newsdesk.errors import SettingsError


def default_data_dir() -> Path:
    """The user's data folder for newsdesk (e.g. ~/.local/share/newsdesk)."""
    return Path(platformdirs.user_data_dir("newsdesk", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Every tunable of newsdesk, with its default."""

    # storage
    database_url: str = ""  # sqlite:///path.db or postgresql://... (default: newsdesk.db in the data folder)
    # job queue (workers on many machines)
    broker_url: str = ""  # amqp://user:pass@host:5672/ for RabbitMQ; "" runs jobs in-process, no broker
    queue_name: str = "newsdesk"  # the RabbitMQ queue the scheduler fills and workers take from
    worker_threads: int = 2  # jobs one `newsdesk worker` process runs at once
    job_max_retries: int = 5  # a job that raised is retried this often, with back-off, then dropped
    assign_delay_seconds: float = 2.0  # stories are assigned once articles stop arriving for this long
    schedule_interval_seconds: float = 60.0  # how often `newsdesk scheduler` looks for due sources
    # fetching
    user_agent: str = "newsdesk/0.1 (self-hosted news desk)"  # sent with every request (robots.txt name: newsdesk)
    fetch_timeout: float = 15.0  # seconds for connect and for each read
    fetch_deadline: float = 60.0  # seconds a whole response may take (stops servers that drip bytes)
    max_response_bytes: int = 16_000_000  # larger responses (after decompression) are refused
    fetch_concurrency: int = 8  # requests at once in one refresh pass, over all hosts
    fetch_per_host: int = 2  # requests at once to any one host
    fetch_max_redirects: int = 5  # redirects followed before giving up
    fetch_retries: int = 2  # retries after 429 or 5xx (with back-off, honouring Retry-After)
    fetch_full_text: bool = True  # fetch the page of each teaser item and extract its text
    allow_private_addresses: bool = False  # fetch from loopback, private and link-local addresses (tests, intranets)
    # scheduling and source health
    refresh_interval_minutes: int = 30  # polling interval of a source whose feed gives no hint
    refresh_min_minutes: int = 15  # no source is polled more often than this
    refresh_max_minutes: int = 720  # every source is polled at least this often
    disable_after_failures: int = 10  # a source failing this many times in a row is disabled
    # story engine
    embedder: str = "static"  # registered embedder name
    cluster_threshold: float = 0.15  # min combined similarity of a full article to a story to join it
    cluster_headline_threshold: float = 0.2  # the same for an article with no body text, only a headline
    cluster_section_penalty: float = 0.0  # taken off the similarity when the story was filed under other sections
    cluster_lexical_weight: float = 0.85  # share of wording (TF-IDF) vs meaning (embedding) in that similarity
    cluster_merge_threshold: float = 0.28  # min similarity of two grown stories to merge them into one
    cluster_split_threshold: float = 0.15  # a story whose two most different groups agree less is split in two
    cluster_daily_decay: float = 0.1  # similarity taken off per day since the story's newest article
    cluster_max_decay: float = 0.2  # but no more than this in all (clear evidence joins a story quiet for days)
    cluster_window_hours: float = 168.0  # a story accepts articles this long after its last one
    # writing
    standfirst_min_words: int = 60  # standfirst lower bound
    standfirst_max_words: int = 90  # standfirst upper bound
    writer: str = "extractive"  # "extractive" (source sentences only) or "llm" (checked rewrite, else extractive)
    llm_base_url: str = ""  # OpenAI-compatible endpoint for the llm writer, e.g. http://127.0.0.1:8080/v1
    llm_model: str = ""  # model name sent to that endpoint
    llm_api_key: str = ""  # bearer key for that endpoint ("" sends none)
    llm_timeout: float = 30.0  # seconds per LLM request; on timeout the extractive text is published
    llm_max_drop_share: float = 0.34  # a part whose sentences fail the checks more often is published extractive
    # linking
    related_count: int = 18  # related stories kept per story
    related_window_days: float = 180.0  # stories updated this many days before the newest one or later are linked
    # site
    site_name: str = "newsdesk"  # shown in the header and <title>
    site_url: str = ""  # public address for feeds and links, e.g. https://news.example.org; "" = as requested
    site_logo: str = ""  # URL of a logo image for the header; "" = the built-in mark
    accent_colour: str = "#1d3557"  # links, logo and headings (hex colour)
    background_colour: str = "#fdfdfb"  # page background (hex colour)
    top_half_life_hours: float = 24.0  # home page: a story's weight (its outlets) halves every this many hours
    search_meaning_floor: float = 0.2  # min cosine of query and story for search to find a story by meaning alone
    admin_token: str = ""  # token for adding sources and importing OPML (web and API); "" = writes disabled
    rate_limit_search: str = "30/minute"  # search pages and search feeds per client; "" = no limit
    rate_limit_api: str = "120/minute"  # JSON API requests per client; "" = no limit
    host: str = "127.0.0.1"  # where `newsdesk serve` listens
    port: int = 8000  # port for `newsdesk serve`
    web_threads: int = 4  # requests a server process works on at once; more only queue on the interpreter lock

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the user's data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{default_data_dir() / 'newsdesk.db'}"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed (values are checked like any other)."""
        return _checked(dataclasses.replace(self, **changes))


def _coerce(name: str, kind: Any, value: Any) -> Any:
    kind_name = kind if isinstance(kind, str) else kind.__name__
    try:
        if kind_name == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        if kind_name == "int":
            return int(value)
        if kind_name == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name}: {value!r} is not a valid {kind_name}") from None


def _checked(settings: Settings) -> Settings:
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise SettingsError(f"setting {f.name}: must not be negative (got {value})")
    if settings.related_window_days <= 0:
        raise SettingsError("setting related_window_days: must be more than 0")
    if settings.web_threads < 1:
        raise SettingsError("setting web_threads: need at least 1")
    if settings.fetch_concurrency < 1 or settings.fetch_per_host < 1:
        raise SettingsError("settings fetch_concurrency/fetch_per_host: need at least 1")
    if not 0 < settings.refresh_min_minutes <= settings.refresh_max_minutes:
        raise SettingsError("settings refresh_min_minutes/refresh_max_minutes: need 0 < min <= max")
    if not 0 < settings.standfirst_min_words <= settings.standfirst_max_words:
        raise SettingsError("settings standfirst_min_words/standfirst_max_words: need 0 < min <= max")
    if settings.writer not in {"extractive", "llm"}:
        raise SettingsError(f"setting writer: unknown writer {settings.writer!r} (known: extractive, llm)")
    if settings.writer == "llm" and not settings.llm_base_url:
        raise SettingsError("setting writer: the llm writer needs llm_base_url")
    if settings.llm_max_drop_share > 1:
        raise SettingsError("setting llm_max_drop_share: must be between 0 and 1")
    for name in ("accent_colour", "background_colour"):
        if not re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", getattr(settings, name)):
            raise SettingsError(f"setting {name}: {getattr(settings, name)!r} is not a hex colour like #1d3557")
    for name in ("rate_limit_search", "rate_limit_api"):
        if not re.fullmatch(r"(\d+/(second|minute|hour|day))?", getattr(settings, name)):
            raise SettingsError(f"setting {name}: {getattr(settings, name)!r} is not like 30/minute (or empty)")
    if settings.site_url and not settings.site_url.startswith(("http://", "https://")):
        raise SettingsError(f"setting site_url: {settings.site_url!r} is not an http(s) URL")
    url = settings.database_url
    if url and not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise SettingsError(f"setting database_url: unsupported URL {url!r} (use sqlite:///path or postgresql://...)")
    if settings.broker_url and not settings.broker_url.startswith(("amqp://", "amqps://")):
        raise SettingsError(f"setting broker_url: unsupported URL {settings.broker_url!r} (use amqp://host:5672/)")
    if settings.worker_threads < 1:
        raise SettingsError("setting worker_threads: must be at least 1")
    return settings


def load_settings(config_file: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file (NEWSDESK_CONFIG or newsdesk.toml in the data folder), then env."""
    env = dict(os.environ if environ is None else environ)
    path = Path(config_file or env.get("NEWSDESK_CONFIG") or default_data_dir() / "newsdesk.toml")
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"config file {path}: {exc}") from None
        for key, value in table.items():
            if key not in known:
                raise SettingsError(f"config file {path}: unknown setting {key!r}")
            values[key] = _coerce(key, known[key].type, value)
    elif config_file is not None:
        raise SettingsError(f"config file {path} does not exist")
    for key, value in env.items():
        if not key.startswith("NEWSDESK_") or key == "NEWSDESK_CONFIG":
            continue
        name = key.removeprefix("NEWSDESK_").lower()
        if name in known:
            values[name] = _coerce(name, known[name].type, value)
    return _checked(Settings(**values))

"""One settings object: every default here, overridden by a TOML file, then by NEWSDESK_* variables."""

from __future__ import annotations

import dataclasses
import os
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
    user_agent: str = "newsdesk/0.1 (self-hosted news desk)"  # sent with every request
    fetch_timeout: float = 15.0  # seconds for connect and for each read
    max_response_bytes: int = 5_000_000  # larger responses are refused
    fetch_concurrency: int = 8  # pages fetched at once in one refresh pass
    refresh_interval_minutes: int = 30  # a source is due again after this long
    fetch_full_text: bool = True  # fetch each article page and extract its text
    # story engine
    embedder: str = "static"  # registered embedder name
    cluster_threshold: float = 0.35  # min combined similarity of an article to a story to join it
    cluster_lexical_weight: float = 0.7  # share of wording (TF-IDF) vs meaning (embedding) in that similarity
    cluster_merge_threshold: float = 0.5  # min similarity of two grown stories to merge them into one
    cluster_window_hours: float = 168.0  # a story accepts articles this long after its last one
    # writing
    standfirst_min_words: int = 60  # standfirst lower bound
    standfirst_max_words: int = 90  # standfirst upper bound
    # linking
    related_count: int = 18  # related stories kept per story
    # site
    site_name: str = "newsdesk"  # shown in the header and <title>
    host: str = "127.0.0.1"  # where `newsdesk serve` listens
    port: int = 8000  # port for `newsdesk serve`

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
    if not 0 < settings.standfirst_min_words <= settings.standfirst_max_words:
        raise SettingsError("settings standfirst_min_words/standfirst_max_words: need 0 < min <= max")
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

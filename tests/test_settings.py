"""The one settings object: defaults, TOML file, environment, clear errors."""

from pathlib import Path

import pytest

from newsdesk.errors import SettingsError
from newsdesk.settings import Settings, load_settings


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(environ={"NEWSDESK_CONFIG": str(tmp_path / "none.toml")})
    assert settings == Settings()
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("newsdesk.db")


def test_toml_then_env(tmp_path: Path) -> None:
    config = tmp_path / "newsdesk.toml"
    config.write_text('site_name = "Valley Desk"\nport = 9000\nrelated_count = 5\n')
    settings = load_settings(config, environ={"NEWSDESK_PORT": "9100", "NEWSDESK_DATABASE_URL": "sqlite:///x.db"})
    assert settings.site_name == "Valley Desk"
    assert settings.related_count == 5
    assert settings.port == 9100  # the environment wins over the file
    assert settings.resolved_database_url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"NEWSDESK_PORT": "eighty"}, "port"),
        ({"NEWSDESK_DATABASE_URL": "mysql://x"}, "database_url"),
        ({"NEWSDESK_FETCH_FULL_TEXT": "maybe"}, "fetch_full_text"),
        ({"NEWSDESK_RELATED_COUNT": "-1"}, "related_count"),
        ({"NEWSDESK_WEB_THREADS": "0"}, "web_threads"),
    ],
)
def test_bad_values_are_one_clear_error(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    environ = {"NEWSDESK_CONFIG": str(tmp_path / "none.toml"), **environ}
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=environ)


def test_unknown_key_in_toml(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        load_settings(config, environ={})


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})

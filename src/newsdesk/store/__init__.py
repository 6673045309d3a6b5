"""Storage behind one protocol; `open_store(url)` picks the implementation from the URL."""

from newsdesk.errors import SettingsError
from newsdesk.store.base import FetchOutcome, NearCopy, NewArticle, Store, StoryCandidate


def open_store(url: str) -> Store:
    """Open (and migrate) the store that a database URL names."""
    if url.startswith("sqlite:///"):
        from newsdesk.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        from newsdesk.store.postgres import PostgreSQLStore

        return PostgreSQLStore(url)
    raise SettingsError(f"database URL {url!r} is not supported (use sqlite:///path/to/file.db or postgresql://...)")


__all__ = ["FetchOutcome", "NearCopy", "NewArticle", "Store", "StoryCandidate", "open_store"]

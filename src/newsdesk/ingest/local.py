"""Local files and folders as a source, for offline import: saved HTML pages and feed files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsdesk.errors import FetchError

PAGE_SUFFIXES = (".html", ".htm", ".xhtml")
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
MAX_FILES = 10_000  # files read from one folder per pass


def local_url(path: str | Path) -> str:
    """The file:// URL a local file or folder is stored under."""
    return Path(path).expanduser().resolve().as_uri()


def local_path(url: str) -> Path:
    """The path of a file:// URL."""
    return Path(unquote(urlsplit(url).path))


def file_kind(path: Path) -> str | None:
    """ "page" or "feed" by the file's suffix; None for files we do not read."""
    suffix = path.suffix.lower()
    return "page" if suffix in PAGE_SUFFIXES else "feed" if suffix in FEED_SUFFIXES else None


def list_local_files(root: Path) -> list[Path]:
    """The readable files of a file or folder (hidden ones skipped), in name order; raises FetchError."""
    if root.is_file():
        return [root] if file_kind(root) else []
    if not root.is_dir():
        raise FetchError(f"{root}: no such file or folder")
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if path.is_file() and file_kind(path) and not any(part.startswith(".") for part in relative):
            found.append(path)
            if len(found) >= MAX_FILES:
                break
    return found


def read_local(path: Path, max_bytes: int) -> bytes:
    """A local file's bytes under the same cap as a response; raises FetchError."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchError(f"{path}: file of {size} bytes is over the {max_bytes}-byte cap")
        return path.read_bytes()
    except OSError as exc:
        raise FetchError(f"{path}: cannot read ({exc.strerror or exc})") from None

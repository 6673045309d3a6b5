"""Exact-duplicate detection: wire copies and syndicated reprints carry the same text."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Lower-case words only, so whitespace, quotes and punctuation changes do not matter."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def content_hash(text: str) -> str:
    """A hash that is equal for texts that are the same copy."""
    return hashlib.sha1(normalise_text(text).encode("utf-8")).hexdigest()

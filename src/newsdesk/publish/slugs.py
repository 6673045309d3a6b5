"""URL slugs for stories, topics and entities."""

import re
import unicodedata


def slugify(text: str, max_words: int = 10) -> str:
    """Lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words[:max_words])

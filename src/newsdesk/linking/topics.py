"""A story's topic (section): what its outlets filed it under, normalised to our sections."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from newsdesk.types import Article

TOPICS = ("World", "Politics", "Business", "Technology", "Science", "Health", "Sports", "Culture")
_ALIASES = {
    "sport": "Sports",
    "entertainment": "Culture",
    "arts": "Culture",
    "tech": "Technology",
    "economy": "Business",
    "markets": "Business",
    "money": "Business",
    "environment": "Science",
}


def normalise_topic(label: str) -> str:
    """One of TOPICS for an outlet's label, or "" when it maps to none."""
    key = label.strip().lower()
    for topic in TOPICS:
        if key == topic.lower():
            return topic
    return _ALIASES.get(key, "")


def story_topic(articles: Sequence[Article]) -> str:
    """The topic most of the story's articles were filed under."""
    votes = Counter(t for t in (normalise_topic(a.section) for a in articles) if t)
    return votes.most_common(1)[0][0] if votes else ""

"""How the demo's stories compare with the corpus's known events (for the demo report and tests)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsdesk.store.base import Store


@dataclass(frozen=True)
class DemoCheck:
    """Stories versus events: what was split and what was wrongly merged."""

    events: int  # events in the corpus
    stories: int  # stories built
    split: dict[str, list[str]]  # event -> story ids, for events spread over several stories
    mixed: dict[str, list[str]]  # story id -> events, for stories holding several events

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.stories} stories from {self.events} events; "
            f"{len(self.split)} events split over several stories, {len(self.mixed)} stories mixing events"
        )


def event_of(url: str) -> str:
    """The demo event folder in an article page's URL (/outlet/event/slug.html)."""
    parts = urlsplit(url).path.strip("/").split("/")
    return parts[1] if len(parts) == 3 else ""


def check_demo(store: Store) -> DemoCheck:
    """Compare the store's stories with the demo events their articles' URLs name."""
    by_event: dict[str, set[str]] = defaultdict(set)
    by_story: dict[str, set[str]] = defaultdict(set)
    for story in store.list_stories(limit=10_000):
        for article in store.articles_of_story(story.id):
            event = event_of(article.url)
            by_event[event].add(story.id)
            by_story[story.id].add(event)
    return DemoCheck(
        events=len(by_event),
        stories=len(by_story),
        split={e: sorted(s) for e, s in by_event.items() if len(s) > 1},
        mixed={s: sorted(e) for s, e in by_story.items() if len(e) > 1},
    )

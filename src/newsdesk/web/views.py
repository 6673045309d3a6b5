"""View models: what a page shows, built from the Desk's records (no I/O beyond the Desk)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from newsdesk.desk import Desk
from newsdesk.types import Article, RelatedStory, Sentence, Story, StoryEntity, StorySummary, StoryVersion


@dataclass(frozen=True)
class CoverageItem:
    """One outlet's article in a story's coverage list, with the copies folded under it."""

    number: int  # citation number, 1-based
    article: Article  # the original
    copies: tuple[Article, ...]  # wire copies and reprints of it


@dataclass(frozen=True)
class CitedSentence:
    """A sentence with the coverage numbers it cites."""

    text: str  # verbatim sentence
    numbers: tuple[int, ...]  # coverage numbers, ascending


@dataclass(frozen=True)
class TimelineDay:
    """One day in the life of a story: the outlets that first reported on it that day."""

    day: date  # the day (UTC)
    items: tuple[CoverageItem, ...]  # coverage entries first published that day
    first: bool  # the story broke that day


@dataclass(frozen=True)
class StoryPage:
    """Everything the story page shows."""

    story: Story  # the story
    standfirst: tuple[CitedSentence, ...]  # standfirst sentences with citations
    sections: tuple[tuple[str, tuple[CitedSentence, ...]], ...]  # (heading, sentences)
    whats_new: tuple[CitedSentence, ...]  # what the latest articles added, with citations
    versions: tuple[StoryVersion, ...]  # earlier writings, newest first
    coverage: tuple[CoverageItem, ...]  # originals in order, copies folded
    related: tuple[StorySummary, ...]  # related stories, ranked
    related_labels: tuple[str, ...]  # why each related story is there
    entities: tuple[StoryEntity, ...] = ()  # people, organisations, places, most salient first
    related_reasons: tuple[RelatedStory, ...] = ()  # each related entry, with the shared names behind its label
    timeline: tuple[TimelineDay, ...] = ()  # how the story grew, day by day


def coverage_items(articles: list[Article]) -> list[CoverageItem]:
    """Originals numbered in publication order, each with its copies."""
    originals = [a for a in articles if not a.copy_of]
    return [
        CoverageItem(number, article, tuple(c for c in articles if c.copy_of == article.id))
        for number, article in enumerate(originals, start=1)
    ]


def timeline(coverage: list[CoverageItem]) -> tuple[TimelineDay, ...]:
    """Coverage grouped by the day each original was published, oldest day first."""
    days: dict[date, list[CoverageItem]] = {}
    for item in coverage:
        days.setdefault(item.article.published.date(), []).append(item)
    return tuple(TimelineDay(day, tuple(items), n == 0) for n, (day, items) in enumerate(sorted(days.items())))


def story_page(desk: Desk, story_id: str) -> StoryPage:
    """Build the story page's view model."""
    story = desk.story(story_id)
    coverage = coverage_items(desk.coverage(story_id))
    number_of: dict[str, int] = {}
    for item in coverage:
        number_of[item.article.id] = item.number
        for copy in item.copies:
            number_of[copy.id] = item.number

    def cite(sentences: tuple[Sentence, ...]) -> tuple[CitedSentence, ...]:
        return tuple(
            CitedSentence(s.text, tuple(sorted({number_of[i] for i in s.article_ids if i in number_of})))
            for s in sentences
        )

    writing = story.writing
    found = {s.id: s for s in desk.summaries([entry.story_id for entry in story.related])}  # one query
    reasons = [entry for entry in story.related if entry.story_id in found]
    related = [found[entry.story_id] for entry in reasons]
    return StoryPage(
        story=story,
        standfirst=cite(writing.standfirst) if writing else (),
        sections=tuple((sec.heading, cite(sec.sentences)) for sec in writing.briefing) if writing else (),
        whats_new=cite(writing.whats_new) if writing else (),
        versions=tuple(reversed(desk.story_versions(story.id))),
        coverage=tuple(coverage),
        related=tuple(related),
        related_labels=tuple(r.label for r in reasons),
        entities=tuple(desk.entities(story_id)),
        related_reasons=tuple(reasons),
        timeline=timeline(coverage),
    )

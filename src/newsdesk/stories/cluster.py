"""Stream clustering decisions: does an article join a story, do two stories make one, or one two.

Closeness mixes meaning (embedding cosine to the story's mean embedding, read as standard deviations above
the window's usual cosine) with wording (TF-IDF with document frequencies that grow with the stream,
between centroid cosine and average link), less a decay for the days the story has been quiet (steep over the
first days, then capped: a story quiet for two days or six asks for the same clear evidence). A headline
alone shares few words with a grown story, so articles without body text have their own threshold and
lean more on meaning; a story whose articles the outlets filed under other sections can be made to show
more evidence (off by default).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from newsdesk.store.base import StoryCandidate
from newsdesk.stories.embed import normalise_rows
from newsdesk.stories.terms import cosine, length

Score = float | np.ndarray  # one story's similarity, or many stories' at once

SHORT_TEXT_WORDS = 50  # an article with fewer words of body text is judged by its headline
STORY_TERMS_KEPT = 1000  # a story keeps its heaviest summed terms; the tail of rare one-offs is dropped


@dataclass(frozen=True)
class ClusterParams:
    """The knobs of assignment (from Settings and the embedder)."""

    threshold: float  # min combined similarity for a full article to join a story
    lexical_weight: float  # share of TF-IDF cosine in the combined similarity (rest: embedding cosine)
    window: timedelta  # a story accepts articles this close in time to its newest one
    merge_threshold: float = 0.28  # min similarity of a story (its unit wording) to another to merge them
    split_threshold: float = 0.15  # a story's two most different groups of articles are two stories below this
    headline_threshold: float = 0.2  # min combined similarity for an article without body text
    headline_lexical_weight: float = 0.7  # share of TF-IDF for it: a headline's embedding says as much as its words
    daily_decay: float = 0.1  # taken off per day between the article and the story's newest article
    max_decay: float = 0.2  # ... but never more than this, so clear evidence still joins a quiet story in the window
    section_penalty: float = 0.0  # taken off when the story's articles were filed under another section
    meaning_scale: float = 10.0  # standard deviations above the usual cosine that count as full agreement
    unrelated_cosine: float = 0.5  # the embedder's usual cosine of unrelated news, until the window shows its own
    unrelated_spread: float = 0.11  # and its usual spread
    shortlist: int = 20  # stories compared in full, taken by embedding similarity
    keyword_shortlist: int = 10  # more stories compared in full, taken by shared keywords (20 found no more)
    terms_kept: int = 128  # an article's heaviest TF-IDF terms compared and added to its story
    tightness: float = 0.25  # how much a story's spread counts against it (0: centroid cosine, 1: average link)


@dataclass(frozen=True)
class ArticleEvidence:
    """What the story engine knows of one arriving article."""

    article_id: str  # the article
    vector: np.ndarray  # its unit embedding
    terms: Mapping[str, float]  # its term counts (terms.article_terms)
    published: datetime  # its publication time
    section: str = ""  # its outlet's section normalised to a topic (linking.topics), or ""
    short: bool = False  # True when it has (almost) no body text, only a headline


def new_story_id(article_id: str) -> str:
    """A story's id for life, derived from its first article."""
    return hashlib.sha1(f"story:{article_id}".encode()).hexdigest()[:12]


def terms_norm(story: StoryCandidate) -> float:
    """Length of a story's summed TF-IDF vector."""
    return length(story.terms) or 1.0


def wording(weights: Mapping[str, float], story: StoryCandidate, norm: float, tightness: float) -> float:
    """TF-IDF similarity of an article to a story, between centroid cosine and average link.

    A story keeps the sum of its articles' unit TF-IDF vectors. The cosine to that sum (centroid) grows more
    welcoming as a story gathers vocabulary, and snowballs; the mean cosine to its articles (average link)
    is harsh on a big story told in many different headlines. Between them: the centroid cosine times the
    length of the mean vector (how much its articles agree) to the power `tightness` (0: centroid, 1: mean)."""
    centroid = cosine(weights, story.terms) / norm
    return centroid * (norm / max(1, story.size)) ** tightness


def split_story_id(story_id: str, article_id: str) -> str:
    """The id for life of the part split off a story, derived from the story and the part's first article
    (never the id the article itself gave a story it started, which may be the story being split)."""
    return hashlib.sha1(f"split:{story_id}:{article_id}".encode()).hexdigest()[:12]


def similarity(meaning: Score, wording: Score, params: ClusterParams, short: bool = False) -> Score:
    """Combined similarity from embedding closeness (standard deviations above the usual cosine) and TF-IDF
    (of one story, or of many at once as arrays)."""
    rescaled = np.clip(np.divide(meaning, params.meaning_scale), 0.0, 1.0)
    lexical = params.headline_lexical_weight if short else params.lexical_weight
    return (1.0 - lexical) * rescaled + lexical * wording


def section_conflict(section: str, sections: Mapping[str, int]) -> bool:
    """True when the article has a section and the story's articles were filed under others only."""
    return bool(section) and bool(sections) and section not in sections


def staleness(article: ArticleEvidence, story: StoryCandidate, params: ClusterParams) -> float:
    """What time takes off the similarity of an article to a story (see decay)."""
    return float(decay(abs((article.published - story.updated_at).total_seconds()) / 86400, params))


def decay(days: Score, params: ClusterParams) -> Score:
    """What time takes off the similarity, for a story quiet this many days (or an array of them): the longer a story
    has been quiet, the more evidence it takes to join it, up to a ceiling. Another event sharing the story's people
    or places comes soon after it, and its wording overlaps the story's only in part: the first days' steep decay
    keeps it apart. A follow-up of the event itself (a strike's end, a probe's arrival) can come any day of the
    window, and says the event's own names and words again: past the ceiling, that evidence decides, not the exact
    number of quiet days."""
    return np.minimum(params.max_decay, np.multiply(params.daily_decay, days))


def threshold(article: ArticleEvidence, params: ClusterParams) -> float:
    """The similarity an article needs to join a story."""
    return params.headline_threshold if article.short else params.threshold


def _pruned(terms: Counter[str]) -> dict[str, float]:
    if len(terms) <= STORY_TERMS_KEPT:
        return dict(terms)
    return dict(terms.most_common(STORY_TERMS_KEPT))


def _added(counts: Mapping[str, int], section: str) -> dict[str, int]:
    merged = Counter(counts)
    if section:
        merged[section] += 1
    return dict(merged)


def new_story(article: ArticleEvidence, weights: Mapping[str, float]) -> StoryCandidate:
    """The state of a story started by one article (with its unit TF-IDF weights)."""
    return StoryCandidate(
        new_story_id(article.article_id),
        normalise_rows(article.vector),
        article.published,
        1,
        dict(weights),
        _added({}, article.section),
    )


def join(story: StoryCandidate, article: ArticleEvidence, weights: Mapping[str, float]) -> StoryCandidate:
    """The state of a story after one more article (with its unit TF-IDF weights) joins it."""
    merged = Counter(story.terms)
    merged.update(weights)
    centroid = (story.centroid * story.size + normalise_rows(article.vector)) / (story.size + 1)
    return StoryCandidate(
        story.story_id,
        centroid,
        max(story.updated_at, article.published),
        story.size + 1,
        _pruned(merged),
        _added(story.sections, article.section),
    )


def combine(into: StoryCandidate, other: StoryCandidate) -> StoryCandidate:
    """The state of `into` after absorbing `other`."""
    terms = Counter(into.terms)
    terms.update(other.terms)
    sections = Counter(into.sections)
    sections.update(other.sections)
    centroid = (into.centroid * into.size + other.centroid * other.size) / (into.size + other.size)
    return StoryCandidate(
        into.story_id,
        centroid,
        max(into.updated_at, other.updated_at),
        into.size + other.size,
        _pruned(terms),
        dict(sections),
    )


def survivor(a: StoryCandidate, b: StoryCandidate) -> tuple[StoryCandidate, StoryCandidate]:
    """(kept, merged away): the larger story keeps its id (the smaller id on ties), so links stay stable."""
    return (a, b) if (a.size, b.story_id) >= (b.size, a.story_id) else (b, a)

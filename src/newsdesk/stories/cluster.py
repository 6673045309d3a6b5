"""Stream clustering decisions: does an article join a story, do two stories make one.

Closeness mixes meaning (embedding cosine to the story's centroid, rescaled above the model's cosine
for unrelated news) with wording (TF-IDF cosine of the article's terms to the story's summed terms,
with document frequencies that grow with the stream).
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


@dataclass(frozen=True)
class ClusterParams:
    """The knobs of assignment (from Settings and the embedder)."""

    threshold: float  # min combined similarity to join a story
    lexical_weight: float  # share of TF-IDF cosine in the combined similarity (rest: embedding cosine)
    window: timedelta  # a story accepts articles this close in time to its newest one
    merge_threshold: float = 0.5  # min similarity of two stories to merge them (stricter: both have grown)
    meaning_floor: float = 0.5  # the embedder's cosine for unrelated news (Embedder.unrelated_cosine)
    shortlist: int = 20  # stories compared in full, taken by embedding similarity


def new_story_id(article_id: str) -> str:
    """A story's id for life, derived from its first article."""
    return hashlib.sha1(f"story:{article_id}".encode()).hexdigest()[:12]


def similarity(meaning: float, wording: float, params: ClusterParams) -> float:
    """Combined similarity from embedding cosine and TF-IDF cosine."""
    floor = params.meaning_floor
    rescaled = max(0.0, (meaning - floor) / (1.0 - floor))
    return (1.0 - params.lexical_weight) * rescaled + params.lexical_weight * wording


def new_story(article_id: str, vector: np.ndarray, terms: Mapping[str, float], published: datetime) -> StoryCandidate:
    """The state of a story started by one article."""
    return StoryCandidate(new_story_id(article_id), normalise_rows(vector), published, 1, dict(terms))


def join(story: StoryCandidate, vector: np.ndarray, terms: Mapping[str, float], published: datetime) -> StoryCandidate:
    """The state of a story after one more article joins it."""
    merged = Counter(story.terms)
    merged.update(terms)
    centroid = normalise_rows(story.centroid * story.size + vector)
    return StoryCandidate(story.story_id, centroid, max(story.updated_at, published), story.size + 1, dict(merged))


def combine(into: StoryCandidate, other: StoryCandidate) -> StoryCandidate:
    """The state of `into` after absorbing `other`."""
    terms = Counter(into.terms)
    terms.update(other.terms)
    centroid = normalise_rows(into.centroid * into.size + other.centroid * other.size)
    return StoryCandidate(
        into.story_id, centroid, max(into.updated_at, other.updated_at), into.size + other.size, dict(terms)
    )


def survivor(a: StoryCandidate, b: StoryCandidate) -> tuple[StoryCandidate, StoryCandidate]:
    """(kept, merged away): the larger story keeps its id (the smaller id on ties), so links stay stable."""
    return (a, b) if (a.size, b.story_id) >= (b.size, a.story_id) else (b, a)

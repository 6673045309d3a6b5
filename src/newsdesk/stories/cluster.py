"""Stream clustering: each new article joins the closest recent story or starts a new one.

Closeness mixes meaning (embedding cosine to the story's centroid) with wording (TF-IDF cosine of the
article's terms to the story's summed terms, with document frequencies that grow with the stream).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from newsdesk.store.base import StoryCandidate
from newsdesk.stories.embed import normalise_rows
from newsdesk.stories.terms import cosine, tfidf


@dataclass(frozen=True)
class Assignment:
    """Where an article goes and the story's state after it joins."""

    story: StoryCandidate  # the story (new or existing) with its updated centroid, time, size and terms
    is_new: bool  # True when the article starts a new story
    similarity: float  # similarity to the chosen story (0 for a new one)


@dataclass(frozen=True)
class ClusterParams:
    """The knobs of assignment (from Settings)."""

    threshold: float  # min combined similarity to join a story
    lexical_weight: float  # share of TF-IDF cosine in the combined similarity (rest: embedding cosine)
    window: timedelta  # a story accepts articles this close in time to its newest one
    merge_threshold: float = 0.5  # min similarity of two stories to merge them (stricter: both have grown)
    meaning_floor: float = 0.5  # the embedder's cosine for unrelated news (Embedder.unrelated_cosine)
    shortlist: int = 20  # stories compared lexically, taken by embedding similarity


def new_story_id(article_id: str) -> str:
    """A story's id for life, derived from its first article."""
    return hashlib.sha1(f"story:{article_id}".encode()).hexdigest()[:12]


def similarity(
    vector: np.ndarray,
    weights: Mapping[str, float],
    story: StoryCandidate,
    df: Mapping[str, int],
    n_docs: int,
    lexical_weight: float,
    meaning_floor: float,
) -> float:
    """Combined similarity of an article (embedding, TF-IDF weights) to a story.

    Embedding cosine is rescaled from [meaning_floor, 1] to [0, 1]: each model has its own cosine of
    unrelated news, and below it meaning says nothing."""
    meaning = float(np.dot(story.centroid, vector))
    meaning = max(0.0, (meaning - meaning_floor) / (1.0 - meaning_floor))
    wording = cosine(weights, tfidf(story.terms, df, n_docs))
    return (1.0 - lexical_weight) * meaning + lexical_weight * wording


def assign(
    article_id: str,
    vector: np.ndarray,
    terms: Counter[str],
    published: datetime,
    candidates: Sequence[StoryCandidate],
    df: Mapping[str, int],
    n_docs: int,
    params: ClusterParams,
) -> Assignment:
    """Join the most similar story within the time window if it clears the threshold, else start one."""
    in_window = [c for c in candidates if abs(published - c.updated_at) <= params.window]
    if in_window:
        meaning = np.stack([c.centroid for c in in_window]) @ vector
        shortlist = [in_window[int(i)] for i in np.argsort(-meaning)[: params.shortlist]]
    else:
        shortlist = []
    weights = tfidf(terms, df, n_docs)
    scored = [
        (similarity(vector, weights, c, df, n_docs, params.lexical_weight, params.meaning_floor), c) for c in shortlist
    ]
    best_score, best = max(scored, key=lambda pair: pair[0], default=(-1.0, None))
    if best is None or best_score < params.threshold:
        story = StoryCandidate(new_story_id(article_id), normalise_rows(vector), published, 1, dict(terms))
        return Assignment(story=story, is_new=True, similarity=0.0)
    merged = Counter(best.terms)
    merged.update(terms)
    centroid = normalise_rows(best.centroid * best.size + vector)
    story = StoryCandidate(best.story_id, centroid, max(best.updated_at, published), best.size + 1, dict(merged))
    return Assignment(story=story, is_new=False, similarity=best_score)


def combine(into: StoryCandidate, other: StoryCandidate) -> StoryCandidate:
    """The state of `into` after absorbing `other`."""
    terms = Counter(into.terms)
    terms.update(other.terms)
    centroid = normalise_rows(into.centroid * into.size + other.centroid * other.size)
    return StoryCandidate(
        into.story_id, centroid, max(into.updated_at, other.updated_at), into.size + other.size, dict(terms)
    )


def find_merge(
    story: StoryCandidate,
    candidates: Sequence[StoryCandidate],
    df: Mapping[str, int],
    n_docs: int,
    params: ClusterParams,
) -> StoryCandidate | None:
    """The story that `story` should merge with, now that both have grown, if any clears the threshold.

    An article joins a story on the evidence present when it arrives; a later look with more evidence
    (more articles, better document frequencies) can show that two stories are one."""
    others = [
        c for c in candidates if c.story_id != story.story_id and abs(c.updated_at - story.updated_at) <= params.window
    ]
    if not others:
        return None
    meaning = np.stack([c.centroid for c in others]) @ story.centroid
    shortlist = [others[int(i)] for i in np.argsort(-meaning)[: params.shortlist]]
    weights = tfidf(story.terms, df, n_docs)
    scored = [
        (similarity(story.centroid, weights, c, df, n_docs, params.lexical_weight, params.meaning_floor), c)
        for c in shortlist
    ]
    best_score, best = max(scored, key=lambda pair: pair[0], default=(-1.0, None))
    return best if best is not None and best_score >= params.merge_threshold else None

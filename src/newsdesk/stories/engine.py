"""The story engine: assigns a stream of articles to stories and merges stories that turn out to be one.

It works on what the pipeline hands it (stories of the time window, document frequencies, terms) through
two loaders, and returns its decisions; it never touches storage itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from newsdesk.store.base import StoryCandidate
from newsdesk.stories.cluster import ClusterParams, combine, join, new_story, similarity, survivor
from newsdesk.stories.index import StoryIndex
from newsdesk.stories.terms import cosine, tfidf

FrequencyLoader = Callable[[Iterable[str]], tuple[dict[str, int], int]]
TermsLoader = Callable[[Sequence[str]], dict[str, dict[str, float]]]


@dataclass(frozen=True)
class Decision:
    """Where one article went."""

    story: StoryCandidate  # the story's state after the article joined (or started) it
    is_new: bool  # the article started the story
    score: float  # its similarity to the story it joined (0 for a new story)


@dataclass(frozen=True)
class Merge:
    """Two stories found to be one."""

    kept: StoryCandidate  # the surviving story's state after the merge
    gone: str  # the id merged away (it redirects to kept)


class StoryEngine:
    """Decisions over the stories of a time window, with caches that live for one pass."""

    def __init__(
        self,
        params: ClusterParams,
        stories: Iterable[StoryCandidate],
        dim: int,
        frequencies: FrequencyLoader,
        story_terms: TermsLoader,
    ) -> None:
        self.params = params
        self.index = StoryIndex(dim)
        for story in stories:
            self.index.upsert(story)
        self._load_frequencies = frequencies
        self._load_terms = story_terms
        self._df: dict[str, int] = {}
        self._n_docs = 0
        self._terms: dict[str, dict[str, float]] = {}
        self._weights: dict[tuple[str, int], dict[str, float]] = {}

    # -- evidence -------------------------------------------------------------
    def _frequencies(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        missing = [t for t in terms if t not in self._df]
        if missing or not self._n_docs:
            found, self._n_docs = self._load_frequencies(missing)
            self._df.update(found)
            self._df.update({t: 0 for t in missing if t not in found})
        return self._df, self._n_docs

    def _story(self, story_id: str) -> StoryCandidate:
        state = self.index.get(story_id)
        if story_id not in self._terms:
            if state.terms:
                self._terms[story_id] = state.terms
            else:
                self._terms.update(self._load_terms([story_id]))
        return StoryCandidate(state.story_id, state.centroid, state.updated_at, state.size, self._terms[story_id])

    def _story_weights(self, story: StoryCandidate) -> dict[str, float]:
        key = (story.story_id, story.size)
        if key not in self._weights:
            df, n_docs = self._frequencies(story.terms)
            self._weights[key] = tfidf(story.terms, df, n_docs)
        return self._weights[key]

    def _remember(self, story: StoryCandidate) -> None:
        self.index.upsert(story)
        self._terms[story.story_id] = story.terms

    def _best(
        self, vector: np.ndarray, weights: Mapping[str, float], at: datetime, exclude: str = ""
    ) -> tuple[float, StoryCandidate | None]:
        best: tuple[float, StoryCandidate | None] = (-1.0, None)
        ids = self.index.nearest(vector[None, :], at, self.params.window, self.params.shortlist + 1)[0]
        for story_id in ids:
            if story_id == exclude:
                continue
            story = self._story(story_id)
            meaning = float(np.dot(story.centroid, vector))
            score = similarity(meaning, cosine(weights, self._story_weights(story)), self.params)
            if score > best[0]:
                best = (score, story)
        return best

    # -- decisions ------------------------------------------------------------
    def assign(self, article_id: str, vector: np.ndarray, terms: Mapping[str, float], published: datetime) -> Decision:
        """Join the most similar story in the window if it clears the threshold, else start one."""
        df, n_docs = self._frequencies(terms)
        score, best = self._best(vector, tfidf(terms, df, n_docs), published)
        if best is None or score < self.params.threshold:
            story = new_story(article_id, vector, terms, published)
            self._remember(story)
            return Decision(story=story, is_new=True, score=0.0)
        story = join(best, vector, terms, published)
        self._remember(story)
        return Decision(story=story, is_new=False, score=score)

    def merge_candidate(self, story_id: str) -> Merge | None:
        """The merge of a story with the one it turns out to be part of, if any clears the merge threshold.

        An article joins on the evidence present when it arrives; with more articles and better document
        frequencies, two stories can show they are one."""
        story = self._story(story_id)
        score, other = self._best(story.centroid, self._story_weights(story), story.updated_at, exclude=story_id)
        if other is None or score < self.params.merge_threshold:
            return None
        kept, gone = survivor(other, story)
        merged = combine(kept, gone)
        self.index.remove(gone.story_id)
        self._terms.pop(gone.story_id, None)
        self._remember(merged)
        return Merge(kept=merged, gone=gone.story_id)

"""The story engine: assigns a stream of articles to stories and merges stories that turn out to be one.

It works on what the pipeline hands it (stories of the time window, document frequencies, terms, the
keyword index) through loaders, and returns its decisions; it never touches storage itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from newsdesk.store.base import StoryCandidate
from newsdesk.stories.cluster import (
    ArticleEvidence,
    ClusterParams,
    combine,
    join,
    new_story,
    section_conflict,
    similarity,
    staleness,
    survivor,
    terms_norm,
    threshold,
    wording,
)
from newsdesk.stories.embed import normalise_rows
from newsdesk.stories.index import StoryIndex
from newsdesk.stories.terms import keywords, tfidf

FrequencyLoader = Callable[[Iterable[str]], tuple[dict[str, int], int]]
TermsLoader = Callable[[Sequence[str]], dict[str, dict[str, float]]]
KeywordSearch = Callable[[Sequence[str], datetime, int], list[str]]


def _no_keyword_search(_: Sequence[str], __: datetime, ___: int) -> list[str]:
    return []


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
        by_keywords: KeywordSearch = _no_keyword_search,
    ) -> None:
        self.params = params
        self.index = StoryIndex(dim)
        for story in stories:
            self.index.upsert(story)
        self._load_frequencies = frequencies
        self._load_terms = story_terms
        self._by_keywords = by_keywords
        self._df: dict[str, int] = {}
        self._n_docs = 0
        self._terms: dict[str, dict[str, float]] = {}
        self._norms: dict[tuple[str, int], float] = {}
        self._prefetched: dict[str, list[str]] = {}
        self._changed: set[str] = set()

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
        return StoryCandidate(
            state.story_id, state.centroid, state.updated_at, state.size, self._terms[story_id], state.sections
        )

    def _norm(self, story: StoryCandidate) -> float:
        key = (story.story_id, story.size)
        if key not in self._norms:
            self._norms[key] = terms_norm(story)
        return self._norms[key]

    def _remember(self, story: StoryCandidate) -> None:
        self.index.upsert(story)
        self._terms[story.story_id] = story.terms
        self._changed.add(story.story_id)

    def prefetch(self, articles: Sequence[ArticleEvidence]) -> None:
        """Look up the nearest stories of a whole pass's articles in one matrix product (cheaper than one
        search per article over a large window); stories that change later in the pass are searched apart."""
        if not articles:
            return
        vectors = np.stack([a.vector for a in articles])
        start = min(a.published for a in articles)
        span = self.params.window + (max(a.published for a in articles) - start)
        for offset in range(0, len(articles), 512):
            chunk = slice(offset, offset + 512)
            found = self.index.nearest(vectors[chunk], start, span, 2 * self.params.shortlist + 1)
            for article, ids in zip(articles[chunk], found, strict=True):
                self._prefetched[article.article_id] = ids
        self._changed = set()

    def _nearest(self, vector: np.ndarray, at: datetime, article_id: str) -> list[str]:
        window, count = self.params.window, self.params.shortlist + 1
        if article_id not in self._prefetched:
            return self.index.nearest(vector[None, :], at, window, count)[0]
        ids = [s for s in self._prefetched.pop(article_id) if s in self.index and s not in self._changed]
        changed = [s for s in self._changed if s in self.index]
        if changed:
            centroids = np.stack([self.index.get(s).centroid for s in changed])
            order = np.argsort(-(centroids @ vector))[:count]
            ids += [changed[int(i)] for i in order]
        scored = sorted(ids, key=lambda s: -float(np.dot(self.index.get(s).centroid, vector)))
        return [s for s in scored if self.index.within(s, at, window)][:count]

    def _candidates(self, query: ArticleEvidence, weights: Mapping[str, float], exclude: str) -> list[str]:
        """Stories to compare in full: nearest by meaning, and those sharing the most keywords."""
        params, at = self.params, query.published
        found = self._nearest(query.vector, at, query.article_id)
        if params.keyword_shortlist:
            shared = self._by_keywords(keywords(weights), at - params.window, params.keyword_shortlist + 1)
            found += [s for s in shared if s in self.index and self.index.within(s, at, params.window)]
        return [s for s in dict.fromkeys(found) if s != exclude]

    def _best(
        self, query: ArticleEvidence, weights: Mapping[str, float], exclude: str = ""
    ) -> tuple[float, StoryCandidate | None]:
        params = self.params
        best: tuple[float, StoryCandidate | None] = (-1.0, None)
        unit = normalise_rows(query.vector)
        prior = (params.unrelated_cosine, params.unrelated_spread)
        usual, spread = self.index.background(unit, query.published, params.window, prior)
        for story_id in self._candidates(query, weights, exclude):
            story = self._story(story_id)
            meaning = (float(np.dot(story.centroid, unit)) - usual) / spread
            lexical = wording(weights, story, self._norm(story), params.tightness)
            score = similarity(meaning, lexical, params, query.short) - staleness(query, story, params)
            if section_conflict(query.section, story.sections):
                score -= params.section_penalty
            if score > best[0]:
                best = (score, story)
        return best

    # -- decisions ------------------------------------------------------------
    def assign(self, article: ArticleEvidence) -> Decision:
        """Join the most similar story in the window if it clears the threshold, else start one."""
        df, n_docs = self._frequencies(article.terms)
        weights = tfidf(article.terms, df, n_docs)
        score, best = self._best(article, weights)
        if best is None or score < threshold(article, self.params):
            story = new_story(article, weights)
            self._remember(story)
            return Decision(story=story, is_new=True, score=0.0)
        story = join(best, article, weights)
        self._remember(story)
        return Decision(story=story, is_new=False, score=score)

    def merge_candidate(self, story_id: str) -> Merge | None:
        """The merge of a story with the one it turns out to be part of, if any clears the merge threshold.

        An article joins on the evidence present when it arrives; with more articles and better document
        frequencies, two stories can show they are one."""
        story = self._story(story_id)
        section = max(story.sections, key=lambda s: story.sections[s]) if story.sections else ""
        mean = {t: w / story.size for t, w in story.terms.items()}
        query = ArticleEvidence("", story.centroid, story.terms, story.updated_at, section)
        score, other = self._best(query, mean, exclude=story_id)
        if other is None or score < self.params.merge_threshold:
            return None
        kept, gone = survivor(other, story)
        merged = combine(kept, gone)
        self.index.remove(gone.story_id)
        self._terms.pop(gone.story_id, None)
        self._remember(merged)
        return Merge(kept=merged, gone=gone.story_id)

"""The story engine: assigns a stream of articles to stories and merges stories that turn out to be one.

It works on what the pipeline hands it (stories of the time window, document frequencies, terms, the
keyword index) through loaders, and returns its decisions; it never touches storage itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import filterfalse

import numpy as np

from newsdesk.store.base import StoryCandidate
from newsdesk.stories.cluster import (
    ArticleEvidence,
    ClusterParams,
    combine,
    decay,
    join,
    new_story,
    section_conflict,
    similarity,
    split_story_id,
    survivor,
    terms_norm,
    threshold,
    wording,
)
from newsdesk.stories.embed import normalise_rows
from newsdesk.stories.index import StoryIndex
from newsdesk.stories.split import halves, wording_matrix
from newsdesk.stories.terms import keywords, tfidf, unit_length

FrequencyLoader = Callable[[Iterable[str]], tuple[dict[str, int], int]]
TermsLoader = Callable[[Sequence[str]], dict[str, dict[str, float]]]
KeywordSearch = Callable[[Sequence[str], datetime, int], list[str]]
MemberLoader = Callable[[str], list[ArticleEvidence]]
SPLIT_MIN_SIZE = 4  # a story is examined for splitting from this many articles: each part keeps two


KEYWORD_SHARE = 0.002  # keywords found in more of the stream's articles than this are not looked up
KEYWORD_MIN_DF = 50  # ... unless the stream is still young
KEYWORDS_SEARCHED = 6  # an article's heaviest terms looked up in the keyword index


def _no_keyword_search(_: Sequence[str], __: datetime, ___: int) -> list[str]:
    return []


@dataclass(frozen=True)
class Decision:
    """Where one article went."""

    story: StoryCandidate  # the story's state after the article joined (or started) it
    is_new: bool  # the article started the story
    score: float  # its similarity to the story it joined (0 for a new story)


@dataclass(frozen=True)
class Split:
    """One story found to be two."""

    kept: StoryCandidate  # the story that keeps the old id (the larger part), after the split
    new: StoryCandidate  # the story made of the other part, with a new id
    moved: tuple[str, ...]  # ids of the articles that moved to the new story


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
        loaded = list(stories)
        self.index.extend(loaded)
        self._sizes_at_load = {s.story_id: s.size for s in loaded}
        self._load_frequencies = frequencies
        self._load_terms = story_terms
        self._by_keywords = by_keywords
        self._df: dict[str, int] = {}
        self._n_docs = 0
        self._scored: dict[str, StoryCandidate] = {}  # stories with their terms, as compared (built once each)
        self._norms: dict[tuple[str, int], float] = {}
        self._prefetched: dict[str, list[str]] = {}
        self._recent = StoryIndex(dim, capacity=64)  # stories changed since the last prefetch
        self._neighbours: dict[str, set[str]] = {}  # story -> candidates its arrivals of this pass compared
        self._last_candidates: list[str] = []

    # -- evidence -------------------------------------------------------------
    def _frequencies(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        missing = list(filterfalse(self._df.__contains__, terms))
        if missing or not self._n_docs:
            found, self._n_docs = self._load_frequencies(missing)
            self._df.update(found)
            self._df.update({t: 0 for t in missing if t not in found})
        return self._df, self._n_docs

    def _story(self, story_id: str) -> StoryCandidate:
        if story_id not in self._scored:
            self._load_compared([story_id])
        return self._scored[story_id]

    def _load_compared(self, story_ids: Sequence[str]) -> None:
        """Build the compared stories not built yet, loading in one call the terms the window left out."""
        todo = [s for s in story_ids if s not in self._scored]
        missing = [s for s in todo if not self.index.get(s).terms]
        loaded = self._load_terms(missing) if missing else {}
        for story_id in todo:
            state = self.index.get(story_id)
            self._scored[story_id] = state if state.terms else replace(state, terms=loaded[story_id])

    def _norm(self, story: StoryCandidate) -> float:
        key = (story.story_id, story.size)
        if key not in self._norms:
            self._norms[key] = terms_norm(story)
        return self._norms[key]

    def _remember(self, story: StoryCandidate) -> None:
        self.index.upsert(story)
        self._scored[story.story_id] = story
        self._recent.upsert(story)

    def prefetch(self, articles: Sequence[ArticleEvidence]) -> None:
        """Look up the nearest stories of a whole pass's articles in one matrix product (cheaper than one
        search per article over a large window); stories that change later in the pass are searched apart."""
        if not articles:
            return
        self._frequencies({t for a in articles for t in a.terms})  # one lookup for the pass's vocabulary
        vectors = np.stack([a.vector for a in articles])
        start = min(a.published for a in articles)
        span = self.params.window + (max(a.published for a in articles) - start)
        for offset in range(0, len(articles), 128):
            chunk = slice(offset, offset + 128)
            found = self.index.nearest(vectors[chunk], start, span, 2 * self.params.shortlist + 1)
            for article, ids in zip(articles[chunk], found, strict=True):
                self._prefetched[article.article_id] = ids
        self._recent = StoryIndex(self._recent.dim, capacity=64)

    def _nearest(self, vector: np.ndarray, at: datetime, article_id: str) -> list[str]:
        window, count = self.params.window, self.params.shortlist + 1
        if article_id not in self._prefetched:
            return self.index.nearest(vector[None, :], at, window, count)[0]
        recent = self._recent.nearest(vector[None, :], at, window, count)[0]
        ids = [s for s in self._prefetched.pop(article_id) if s not in self._recent]
        ids = self.index.within(ids, at, window)[:count]
        return self.index.closest(ids + recent, vector, count)

    def _candidates(self, query: ArticleEvidence, weights: Mapping[str, float], exclude: str) -> list[str]:
        """Stories to compare in full: nearest by meaning, and those sharing the most keywords. A story
        re-examined for merging looks where the articles that joined it in this pass looked."""
        params, at = self.params, query.published
        seen = self._neighbours.get(query.article_id.removeprefix("story:"))
        if query.article_id.startswith("story:") and seen is not None:
            recent = self._recent.nearest(query.vector[None, :], at, params.window, params.shortlist + 1)[0]
            found = self.index.within([*seen, *recent], at, params.window)
            return [s for s in dict.fromkeys(found) if s != exclude]
        found = self._nearest(query.vector, at, query.article_id)
        if params.keyword_shortlist:
            # a keyword in more than one article in KEYWORD_SHARE is weak evidence with a long posting list
            top = keywords(weights, KEYWORDS_SEARCHED)
            df, n_docs = self._frequencies(top)
            rare = [t for t in top if df[t] <= max(KEYWORD_MIN_DF, int(n_docs * KEYWORD_SHARE))]
            shared = self._by_keywords(rare, at - params.window, params.keyword_shortlist + 1)
            found += self.index.within(shared, at, params.window)
        return [s for s in dict.fromkeys(found) if s != exclude]

    def _best(
        self, query: ArticleEvidence, weights: Mapping[str, float], exclude: str = ""
    ) -> tuple[float, StoryCandidate | None]:
        params = self.params
        unit = normalise_rows(query.vector)
        prior = (params.unrelated_cosine, params.unrelated_spread)
        usual, spread = self.index.background(unit, query.published, params.window, prior)
        candidates = self._candidates(query, weights, exclude)
        self._last_candidates = candidates
        if not candidates:
            return -1.0, None
        self._load_compared(candidates)
        stories = [self._scored[s] for s in candidates]
        # meaning and time for all candidates in one product; wording (sparse dicts) one by one
        cosines, days = self.index.compare(candidates, unit, query.published)
        lexical = np.fromiter(
            (wording(weights, story, self._norm(story), params.tightness) for story in stories), float, len(stories)
        )
        scores = np.asarray(similarity((cosines - usual) / spread, lexical, params, query.short) - decay(days, params))
        if params.section_penalty:
            scores -= params.section_penalty * np.array([section_conflict(query.section, s.sections) for s in stories])
        best = int(np.argmax(scores))  # the first of equals, as candidates come best-placed first
        return (float(scores[best]), stories[best]) if scores[best] > -1.0 else (-1.0, None)

    # -- decisions ------------------------------------------------------------
    def assign(self, article: ArticleEvidence) -> Decision:
        """Join the most similar story in the window if it clears the threshold, else start one."""
        df, n_docs = self._frequencies(article.terms)
        weights = tfidf(article.terms, df, n_docs, keep=self.params.terms_kept)
        score, best = self._best(article, weights)
        if best is None or score < threshold(article, self.params):
            story = new_story(article, weights)
            self._remember(story)
            return Decision(story=story, is_new=True, score=0.0)
        story = join(best, article, weights)
        self._neighbours.setdefault(story.story_id, set()).update(self._last_candidates)
        self._remember(story)
        return Decision(story=story, is_new=False, score=score)

    def _as_query(self, story_id: str) -> ArticleEvidence:
        """A story put as an article would be: its mean embedding, main section and newest time."""
        story = self._story(story_id)
        section = max(story.sections, key=lambda s: story.sections[s]) if story.sections else ""
        return ArticleEvidence(f"story:{story_id}", story.centroid, story.terms, story.updated_at, section)

    def _grown(self, story_id: str) -> bool:
        """Whether a story of several articles doubled in size in this pass (new ones included): re-examining
        a story at each doubling finds the merges that growth reveals, at a cost in the log of its size."""
        before, now = self._sizes_at_load.get(story_id, 0), self.index.get(story_id).size
        # a lone article was just compared with every candidate when it arrived: nothing new to find
        return now > 1 and now.bit_length() > before.bit_length()

    def merges(self, story_ids: Sequence[str]) -> list[Merge]:
        """Merge each of these stories into the one it turns out to be part of, when one clears the merge
        threshold. An article joins on the evidence present when it arrives; with more articles and better
        document frequencies, two stories can show they are one."""
        live = [s for s in story_ids if s in self.index and self._grown(s)]
        found = []
        for story_id in live:
            merge = self.merge_candidate(story_id) if story_id in self.index else None
            if merge is not None:
                found.append(merge)
        return found

    def merge_candidate(self, story_id: str) -> Merge | None:
        """The merge of one story into the most similar other, if it clears the merge threshold."""
        query = self._as_query(story_id)
        story = self._story(story_id)
        heaviest = sorted(story.terms, key=lambda t: -story.terms[t])[: self.params.terms_kept]
        # the story's direction in wording, at unit length like an arriving article's: how much the other
        # story's articles agree counts (wording's tightness), this one's own spread does not count twice
        direction = unit_length({t: story.terms[t] for t in heaviest})
        score, other = self._best(query, direction, exclude=story_id)
        if other is None or score < self.params.merge_threshold:
            return None
        kept, gone = survivor(other, story)
        merged = combine(kept, gone)
        self.index.remove(gone.story_id)
        self._recent.remove(gone.story_id)
        self._scored.pop(gone.story_id, None)
        self._remember(merged)
        return Merge(kept=merged, gone=gone.story_id)

    def splits(self, story_ids: Sequence[str], members: MemberLoader) -> list[Split]:
        """Split each of these stories that grew in this pass and turns out to be two."""
        found = []
        for story_id in story_ids:
            if story_id in self.index and self._grown(story_id) and self.index.get(story_id).size >= SPLIT_MIN_SIZE:
                split = self.split_candidate(story_id, members(story_id))
                if split is not None:
                    found.append(split)
        return found

    def split_candidate(self, story_id: str, members: Sequence[ArticleEvidence]) -> Split | None:
        """The split of a story into the two groups of its articles that agree least, if they are far enough
        apart (mean similarity under the split threshold) and each holds at least two articles."""
        if len(members) < SPLIT_MIN_SIZE:
            return None
        params = self.params
        weights = []
        for member in members:
            df, n_docs = self._frequencies(member.terms)
            weights.append(tfidf(member.terms, df, n_docs, keep=params.terms_kept))
        vectors = normalise_rows(np.stack([m.vector for m in members]))
        usual, spread = self.index.background(
            normalise_rows(vectors.mean(axis=0)),
            members[-1].published,
            params.window,
            (params.unrelated_cosine, params.unrelated_spread),
        )
        meaning = np.clip((vectors @ vectors.T - usual) / spread / params.meaning_scale, 0.0, 1.0)
        lexical = params.headline_lexical_weight if all(m.short for m in members) else params.lexical_weight
        combined = (1.0 - lexical) * meaning + lexical * wording_matrix(weights)
        first, second, between = halves(combined)
        if min(len(first), len(second)) < 2 or between >= params.split_threshold:
            return None
        kept_part, new_part = (first, second) if len(first) >= len(second) else (second, first)
        kept = self._rebuilt(story_id, [members[i] for i in kept_part], [weights[i] for i in kept_part])
        new_id = split_story_id(story_id, members[new_part[0]].article_id)
        new = self._rebuilt(new_id, [members[i] for i in new_part], [weights[i] for i in new_part])
        for story in (kept, new):
            self._remember(story)
        return Split(kept=kept, new=new, moved=tuple(members[i].article_id for i in new_part))

    def _rebuilt(
        self, story_id: str, members: Sequence[ArticleEvidence], weights: Sequence[Mapping[str, float]]
    ) -> StoryCandidate:
        """A story's state made again from its articles, under the given id."""
        story = new_story(members[0], weights[0])
        for member, member_weights in zip(members[1:], weights[1:], strict=True):
            story = join(story, member, member_weights)
        return replace(story, story_id=story_id)

"""How close two stories are: the one score the related ranking, the same-event check and
`newsdesk eval similarity` all use.

Meaning counts most (MiniLM cosine of the leads, of the whole texts and of each lead against the other
whole text, averaged: the lead says what happened, the whole text what it is about), then shared wording
(TF-IDF) and shared salient entities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from newsdesk.linking.profile import StoryProfile, lead_matrix, whole_matrix
from newsdesk.stories.terms import cosine, tfidf

MEANING_WEIGHT, WORDING_WEIGHT, ENTITY_WEIGHT = 0.8, 0.1, 0.1
MEANING_FLOOR = 0.1  # MiniLM cosine of unrelated news: below it, meaning says nothing
SAME_EVENT_SCORE = 0.5  # two stories this close, overlapping in time and naming the same salient entities...
SAME_EVENT_PER_DAY = 0.08  # ...are one event; each day between them asks for this much more closeness
SAME_EVENT_GAP = timedelta(days=2)  # never one event with more than this between them
SAME_EVENT_ENTITIES = 0.4  # min salience-weighted entity overlap of one event
FOLLOW_UP_ENTITIES = 0.7  # stories sharing this much of their salient names...
FOLLOW_UP_SCORE = 0.65  # ...and this close are one event even days apart (a follow-up the engine kept apart)
FOLLOW_UP_GAP = timedelta(days=7)  # within the story engine's own window


@dataclass(frozen=True)
class Closeness:
    """The evidence that two stories are close, and the score made of it."""

    meaning: float  # rescaled embedding cosine in [0, 1]
    wording: float  # TF-IDF cosine in [0, 1]
    entities: float  # salience-weighted overlap of entities in [0, 1]
    score: float  # the weighted sum


def entity_weights(profile: StoryProfile) -> dict[str, float]:
    """Each entity's salience relative to the story's most salient one."""
    top = max((e.salience for e in profile.entities), default=0.0)
    return {e.entity.slug: e.salience / top for e in profile.entities} if top > 0 else {}


def entity_overlap(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Weighted Dice overlap: 1 when both name the same entities with the same weights."""
    total = sum(a.values()) + sum(b.values())
    if total == 0:
        return 0.0
    return 2 * sum(min(w, b[slug]) for slug, w in a.items() if slug in b) / total


def time_gap(a: StoryProfile, b: StoryProfile) -> timedelta | None:
    """Time between two stories' spans (zero when they overlap), None when a time is unknown."""
    if None in (a.started, a.updated, b.started, b.updated):
        return None
    later_start: datetime = max(a.started, b.started)  # type: ignore[type-var,assignment]
    earlier_end: datetime = min(a.updated, b.updated)  # type: ignore[type-var,assignment]
    return max(timedelta(0), later_start - earlier_end)


class Scorer:
    """Scores between stories of one set of profiles, with the embeddings stacked for speed."""

    def __init__(self, profiles: Sequence[StoryProfile], df: Mapping[str, int], n_docs: int) -> None:
        self.profiles = list(profiles)
        self.index = {p.story_id: i for i, p in enumerate(self.profiles)}
        self._lead = lead_matrix(self.profiles)
        self._whole = whole_matrix(self.profiles)
        self._words = [tfidf(p.terms, df, n_docs) for p in self.profiles]
        self._names = [entity_weights(p) for p in self.profiles]
        self._rows: dict[int, np.ndarray] = {}

    def meaning(self, i: int) -> np.ndarray:
        """Rescaled meaning of story i against every story."""
        if not self.profiles:
            return np.zeros(0)
        lead, whole = self._lead, self._whole
        # one outlet's lead may tell what another tells further down: the crossings count as a third view
        crossed = (lead @ whole[i] + whole @ lead[i]) / 2
        cos = (lead @ lead[i] + whole @ whole[i] + crossed) / 3
        return np.clip((cos - MEANING_FLOOR) / (1 - MEANING_FLOOR), 0.0, 1.0)

    def closeness(self, i: int, j: int, meaning: float | None = None) -> Closeness:
        """The evidence between stories i and j."""
        if meaning is None:
            meaning = float(self.meaning(i)[j])
        wording = cosine(self._words[i], self._words[j])
        names = entity_overlap(self._names[i], self._names[j])
        score = MEANING_WEIGHT * meaning + WORDING_WEIGHT * wording + ENTITY_WEIGHT * names
        return Closeness(meaning, wording, names, score)

    def scores(self, i: int) -> np.ndarray:
        """Score of story i against every story (itself included); kept, as MMR asks again."""
        if i not in self._rows:
            meaning = self.meaning(i)
            row = [self.closeness(i, j, float(meaning[j])).score for j in range(len(self.profiles))]
            self._rows[i] = np.array(row)
        return self._rows[i]

    def same_event(self, i: int, j: int, score: float | None = None) -> bool:
        """Whether two stories are one event the story engine kept apart: very close in content, naming
        the same salient entities, and close in time (the closer in time, the less content it takes)."""
        closeness = self.closeness(i, j)
        score = closeness.score if score is None else score
        gap = time_gap(self.profiles[i], self.profiles[j])
        days = gap / timedelta(days=1) if gap is not None else 0.0
        within = gap is None or gap <= FOLLOW_UP_GAP
        if within and closeness.entities >= FOLLOW_UP_ENTITIES and score >= FOLLOW_UP_SCORE:
            return True
        if gap is not None and gap > SAME_EVENT_GAP:
            return False
        named = closeness.entities >= SAME_EVENT_ENTITIES or not (self._names[i] and self._names[j])
        return named and score >= SAME_EVENT_SCORE + SAME_EVENT_PER_DAY * days

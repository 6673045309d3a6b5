"""How close two stories are: the one score the related ranking, the same-event check and
`newsdesk eval similarity` all use.

Meaning counts most (MiniLM cosine of the leads, of the whole texts and of each lead against the other
whole text, averaged: the lead says what happened, the whole text what it is about), then shared wording
(TF-IDF) and shared salient entities.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy import sparse

from newsdesk.linking.profile import StoryProfile, lead_matrix, whole_matrix
from newsdesk.stories.terms import tfidf

MEANING_WEIGHT, WORDING_WEIGHT, ENTITY_WEIGHT = 0.8, 0.1, 0.1
MEANING_FLOOR = 0.1  # MiniLM cosine of unrelated news: below it, meaning says nothing
SAME_EVENT_SCORE = 0.5  # two stories this close, overlapping in time and naming the same salient entities...
SAME_EVENT_PER_DAY = 0.08  # ...are one event; each day between them asks for this much more closeness
SAME_EVENT_GAP = timedelta(days=2)  # never one event with more than this between them
SAME_EVENT_ENTITIES = 0.4  # min salience-weighted entity overlap of one event
FOLLOW_UP_ENTITIES = 0.7  # stories sharing this much of their salient names...
FOLLOW_UP_SCORE = 0.65  # ...and this close are one event even days apart (a follow-up the engine kept apart)
FOLLOW_UP_GAP = timedelta(days=7)  # within the story engine's own window
ROW_CACHE = 256  # stories whose rows of evidence a Scorer keeps (each row holds one number per story)
_SAME_EVENT_MIN = min(SAME_EVENT_SCORE, FOLLOW_UP_SCORE)  # below this score no two stories are one event


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


def time_gap(a: StoryProfile, b: StoryProfile) -> timedelta | None:
    """Time between two stories' spans (zero when they overlap), None when a time is unknown."""
    if None in (a.started, a.updated, b.started, b.updated):
        return None
    later_start: datetime = max(a.started, b.started)  # type: ignore[type-var,assignment]
    earlier_end: datetime = min(a.updated, b.updated)  # type: ignore[type-var,assignment]
    return max(timedelta(0), later_start - earlier_end)


def _rows_matrix(rows: Sequence[Mapping[str, float]]) -> sparse.csr_matrix:
    """Sparse rows (one per story) of term or entity weights, columns numbered in order of first use."""
    columns: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    for row in rows:
        for key, weight in row.items():
            indices.append(columns.setdefault(key, len(columns)))
            data.append(weight)
        indptr.append(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), max(len(columns), 1)), dtype=np.float64)


class Scorer:
    """Scores between stories of one set of profiles, with the embeddings, wording and names stacked so that
    a story's scores against every other are a few matrix products, not a Python loop over the stories."""

    def __init__(self, profiles: Sequence[StoryProfile], df: Mapping[str, int], n_docs: int) -> None:
        self.profiles = list(profiles)
        self.index = {p.story_id: i for i, p in enumerate(self.profiles)}
        self._lead = lead_matrix(self.profiles)
        self._whole = whole_matrix(self.profiles)
        self._names = [entity_weights(p) for p in self.profiles]
        self._word_matrix = _rows_matrix([tfidf(p.terms, df, n_docs) for p in self.profiles])  # unit rows
        self._name_rows = _rows_matrix(self._names)
        self._name_columns = self._name_rows.tocsc()  # who names each entity, and how much
        self._name_totals = np.asarray(self._name_rows.sum(axis=1)).ravel()
        self._rows: OrderedDict[int, tuple[np.ndarray, ...]] = OrderedDict()  # i -> (meaning, wording, names, score)
        self._times: tuple[np.ndarray, np.ndarray] | None = None
        self._topics: np.ndarray | None = None

    def times(self) -> tuple[np.ndarray, np.ndarray]:
        """Each story's first and newest article time in epoch seconds (NaN when unknown)."""
        if self._times is None:

            def seconds(when: datetime | None) -> float:
                return when.timestamp() if when is not None else np.nan

            started = np.array([seconds(p.started) for p in self.profiles], dtype=float)
            updated = np.array([seconds(p.updated) for p in self.profiles], dtype=float)
            known = ~(np.isnan(started) | np.isnan(updated))  # time_gap needs both ends of a span
            self._times = (np.where(known, started, np.nan), np.where(known, updated, np.nan))
        return self._times

    def topics(self) -> np.ndarray:
        """Each story's topic."""
        if self._topics is None:
            self._topics = np.array([p.topic for p in self.profiles], dtype=object)
        return self._topics

    def meaning(self, i: int) -> np.ndarray:
        """Rescaled meaning of story i against every story."""
        if not self.profiles:
            return np.zeros(0)
        lead, whole = self._lead, self._whole
        # one outlet's lead may tell what another tells further down: the crossings count as a third view
        crossed = (lead @ whole[i] + whole @ lead[i]) / 2
        cos = (lead @ lead[i] + whole @ whole[i] + crossed) / 3
        return np.clip((cos - MEANING_FLOOR) / (1 - MEANING_FLOOR), 0.0, 1.0)

    def wording(self, i: int) -> np.ndarray:
        """TF-IDF cosine of story i with every story."""
        return np.asarray((self._word_matrix @ self._word_matrix[i].T).todense()).ravel()

    def names(self, i: int) -> np.ndarray:
        """Salience-weighted Dice overlap of story i's entities with every story's: twice the sum, over shared
        entities, of the smaller weight, over the sum of both stories' weights (1 = the same names, equally
        salient)."""
        shared = np.zeros(len(self.profiles))
        rows, columns = self._name_rows, self._name_columns
        for at in range(rows.indptr[i], rows.indptr[i + 1]):  # each entity story i names, with its weight
            column, mine = rows.indices[at], rows.data[at]
            start, end = columns.indptr[column], columns.indptr[column + 1]
            shared[columns.indices[start:end]] += np.minimum(columns.data[start:end], mine)
        total = self._name_totals + self._name_totals[i]
        return np.divide(2 * shared, total, out=np.zeros_like(shared), where=total > 0)

    def closeness(self, i: int, j: int, meaning: float | None = None) -> Closeness:
        """The evidence between stories i and j."""
        meanings, wordings, names, _ = self._row(i)
        meaning = float(meanings[j]) if meaning is None else meaning
        wording, shared = float(wordings[j]), float(names[j])
        score = MEANING_WEIGHT * meaning + WORDING_WEIGHT * wording + ENTITY_WEIGHT * shared
        return Closeness(meaning, wording, shared, score)

    def scores(self, i: int) -> np.ndarray:
        """Score of story i against every story (itself included)."""
        return self._row(i)[3]

    def _row(self, i: int) -> tuple[np.ndarray, ...]:
        """Story i's evidence against every story, kept for the last ROW_CACHE stories asked about (MMR and
        the same-event checks ask about the same few stories again and again)."""
        if i in self._rows:
            self._rows.move_to_end(i)
            return self._rows[i]
        meaning, wording, names = self.meaning(i), self.wording(i), self.names(i)
        score = MEANING_WEIGHT * meaning + WORDING_WEIGHT * wording + ENTITY_WEIGHT * names
        self._rows[i] = (meaning, wording, names, score)
        if len(self._rows) > ROW_CACHE:
            self._rows.popitem(last=False)
        return self._rows[i]

    def same_event(self, i: int, j: int, score: float | None = None) -> bool:
        """Whether two stories are one event the story engine kept apart: very close in content, naming
        the same salient entities, and close in time (the closer in time, the less content it takes)."""
        if score is not None and score < _SAME_EVENT_MIN:
            return False  # both rules below ask for at least this score
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

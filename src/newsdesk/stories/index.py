"""In-memory nearest-story search over the stories of a time window.

Hand-written on purpose: an exact numpy matrix product over up to a few hundred thousand unit vectors
answers in milliseconds on two cores and needs no extra library; the PostgreSQL store can answer the same
question with pgvector's HNSW index instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.store.base import StoryCandidate

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PRIOR_STORIES = 50  # how many stories the prior background counts for
SAMPLE_STEP = 16  # nearest(): a row's best are sought above the best of every this-many-th score


def _seconds(when: datetime) -> float:
    return (when - _EPOCH).total_seconds()


class StoryIndex:
    """Story centroids, times and sizes, searchable by cosine within a time window."""

    def __init__(self, dim: int, capacity: int = 1024) -> None:
        self.dim = dim
        self._matrix = np.zeros((capacity, dim), dtype=np.float32)
        self._times = np.full(capacity, -np.inf)
        self._ids: list[str | None] = []
        self._slots: dict[str, int] = {}
        self._state: dict[str, StoryCandidate] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, story_id: str) -> bool:
        return story_id in self._slots

    def upsert(self, story: StoryCandidate) -> None:
        """Add a story or update its centroid, time and size."""
        slot = self._slots.get(story.story_id)
        if slot is None:
            slot = len(self._ids)
            self._reserve(slot + 1)
            self._ids.append(story.story_id)
            self._slots[story.story_id] = slot
        self._matrix[slot] = story.centroid
        self._times[slot] = _seconds(story.updated_at)
        self._state[story.story_id] = story

    def extend(self, stories: Sequence[StoryCandidate]) -> None:
        """Add many new stories at once (loading a window)."""
        fresh = [s for s in stories if s.story_id not in self._slots]
        start, end = len(self._ids), len(self._ids) + len(fresh)
        self._reserve(end)
        if fresh:  # stacked straight into place: no temporary copy of a whole window
            np.stack([s.centroid for s in fresh], out=self._matrix[start:end], casting="same_kind")
            self._times[start:end] = [_seconds(s.updated_at) for s in fresh]
        ids = [s.story_id for s in fresh]
        self._ids.extend(ids)
        self._slots.update(zip(ids, range(start, end), strict=True))
        self._state.update(zip(ids, fresh, strict=True))

    def _reserve(self, rows: int) -> None:
        """Room for this many stories. Growing leaves room for the stories a pass starts, so the first of them
        does not copy a full window again; rows past the used ones are never read, so they need no zeros
        (filling them would cost a window's size)."""
        if rows <= len(self._matrix):
            return
        used = len(self._ids)
        grown = max(rows + rows // 8, 2 * len(self._matrix))
        matrix = np.empty((grown, self.dim), np.float32)
        matrix[:used] = self._matrix[:used]
        self._matrix = matrix
        self._times = np.concatenate([self._times[:used], np.full(grown - used, -np.inf)])

    def remove(self, story_id: str) -> None:
        """Forget a story (merged into another)."""
        slot = self._slots.pop(story_id, None)
        if slot is not None:
            self._ids[slot] = None
            self._times[slot] = -np.inf
            self._matrix[slot] = 0
            self._state.pop(story_id, None)

    def within(self, story_ids: Iterable[str], at: datetime, window: timedelta) -> list[str]:
        """Those of these stories that are indexed and were updated within `window` of `at`, in order."""
        known = [s for s in story_ids if s in self._slots]
        if not known:
            return []
        times = self._times[[self._slots[s] for s in known]]
        keep = np.abs(times - _seconds(at)) <= window.total_seconds()
        return [s for s, k in zip(known, keep, strict=True) if k]

    def closest(self, story_ids: Sequence[str], vector: np.ndarray, k: int) -> list[str]:
        """These indexed stories ordered by the dot product of their centroid with `vector`, best k first."""
        if not story_ids:
            return []
        scores = self._matrix[[self._slots[s] for s in story_ids]] @ vector
        return [story_ids[int(i)] for i in np.argsort(-scores, kind="stable")[:k]]

    def compare(self, story_ids: Sequence[str], vector: np.ndarray, at: datetime) -> tuple[np.ndarray, np.ndarray]:
        """The dot products of these indexed stories' centroids with `vector`, and the days between `at` and
        each one's last update."""
        slots = [self._slots[s] for s in story_ids]
        return self._matrix[slots] @ vector, np.abs(self._times[slots] - _seconds(at)) / 86400

    def background(
        self, vector: np.ndarray, at: datetime, window: timedelta, prior: tuple[float, float], sample: int = 1000
    ) -> tuple[float, float]:
        """Mean and spread of a unit vector's cosine to the window's stories (from an even sample of them), so a
        cosine can be read as how much closer than usual it is: static models put all news near each other.
        Shrunk toward `prior` (mean, spread) while the window holds few stories."""
        used = len(self._ids)
        step = max(1, used // sample)
        live = np.abs(self._times[:used:step] - _seconds(at)) <= window.total_seconds()
        scores = (self._matrix[:used:step] @ vector)[live]
        weight = PRIOR_STORIES / (PRIOR_STORIES + len(scores))
        mean = weight * prior[0] + (1 - weight) * (float(scores.mean()) if len(scores) else 0.0)
        spread = weight * prior[1] + (1 - weight) * (float(scores.std()) if len(scores) else 0.0)
        return mean, spread or 1.0

    def get(self, story_id: str) -> StoryCandidate:
        """The indexed state of a story."""
        return self._state[story_id]

    def nearest(self, vectors: np.ndarray, at: datetime, window: timedelta, k: int) -> list[list[str]]:
        """For each row of `vectors`, the ids of the k most similar stories updated within `window` of `at`."""
        used = len(self._ids)
        if used == 0:
            return [[] for _ in range(len(vectors))]
        live = np.abs(self._times[:used] - _seconds(at)) <= window.total_seconds()
        count = int(live.sum())
        if not count:
            return [[] for _ in range(len(vectors))]
        # scores over the contiguous matrix (no gathered copy), then the stories outside the window masked
        scores = np.atleast_2d(vectors) @ self._matrix[:used].T
        if count < used:
            scores[:, ~live] = -np.inf
        take = min(k, count)
        # the take-th highest of every SAMPLE_STEP-th score is at most the take-th highest of all: only the scores
        # from there up can be among the best, and sorting those few costs less than partitioning them all
        floors = (
            np.partition(scores[:, ::SAMPLE_STEP], -take, axis=1)[:, -take]
            if used >= SAMPLE_STEP * take
            else np.full(len(scores), -np.inf)
        )
        found = (_best_first(row, take, floor) for row, floor in zip(scores, floors, strict=True))
        return [[self._ids[i] or "" for i in picks.tolist()] for picks in found]


def _best_first(scores: np.ndarray, take: int, floor: float) -> np.ndarray:
    """Indices of the `take` highest scores, highest first (ties in the order a full partition gives them);
    `floor` is at most the take-th highest score (-inf when not known)."""
    if floor > -np.inf:
        above = np.flatnonzero(scores >= floor)
        order = np.argsort(-scores[above], kind="stable")[: take + 1]
        ranked = scores[above[order]]
        if not np.any(ranked[1:] == ranked[:-1]):  # no ties: exactly the stories and order a partition finds
            return above[order[:take]]
    picks = np.argpartition(scores, -take)[-take:]  # the k largest, without a negated copy
    return picks[np.argsort(-scores[picks])]

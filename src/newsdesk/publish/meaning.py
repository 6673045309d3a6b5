"""Stories by meaning: every story's centroid in one matrix, searched by cosine with a query vector."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.store.base import StoryCandidate

Changes = Callable[[datetime], list[StoryCandidate]]  # stories (with centroids) updated at or after a time
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Snapshot:
    ids: tuple[str, ...]  # story id of each matrix row
    matrix: np.ndarray  # one unit-length centroid per row
    newest: datetime  # latest updated_at seen


class MeaningIndex:
    """Story centroids for nearest-story search, loaded once, then topped up with recent changes.

    A story's updated_at moves forward as it grows, so re-reading the stories updated since the newest
    one seen (less a margin for late arrivals) keeps the matrix current without reloading it whole.
    Readers take one immutable snapshot, so a top-up never changes a matrix under a running search."""

    def __init__(self, changes: Changes, refresh_seconds: float = 30.0, margin: timedelta = timedelta(days=1)) -> None:
        self._changes = changes
        self._refresh_seconds = refresh_seconds
        self._margin = margin
        self._snapshot: _Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def nearest(self, vector: np.ndarray, k: int, floor: float, min_z: float = 2.0) -> list[tuple[str, float]]:
        """Up to k story ids close to `vector` (unit length), closest first.

        Close means a cosine of at least `floor` that also stands out from the query's cosines with
        every story by `min_z` standard deviations: a short query's cosines shift as a whole with its
        wording (function words lift them all), so a fixed floor alone would keep noise."""
        snapshot = self._current()
        if not snapshot.ids or k <= 0:
            return []
        scores = snapshot.matrix @ np.asarray(vector, dtype=np.float32)
        cut = max(floor, float(scores.mean() + min_z * scores.std())) if len(scores) > 1 else floor
        k = min(k, len(snapshot.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(snapshot.ids[int(i)], float(scores[i])) for i in top if scores[i] >= cut]

    def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked < self._refresh_seconds:
            return snapshot
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._checked >= self._refresh_seconds:
                previous = self._snapshot
                since = _EPOCH if previous is None else previous.newest - self._margin
                self._snapshot = _topped_up(previous, self._changes(since))
                self._checked = time.monotonic()
            return self._snapshot


def _topped_up(previous: _Snapshot | None, changed: list[StoryCandidate]) -> _Snapshot:
    """A new snapshot: changed stories' rows replaced, new stories appended."""
    ids = list(previous.ids) if previous else []
    rows = [previous.matrix] if previous is not None and len(ids) else []
    matrix = np.concatenate(rows) if rows else None
    position = {story_id: i for i, story_id in enumerate(ids)}
    newest = previous.newest if previous else _EPOCH
    fresh: list[np.ndarray] = []
    for candidate in changed:
        at = position.get(candidate.story_id)
        if at is None:
            position[candidate.story_id] = len(ids)
            ids.append(candidate.story_id)
            fresh.append(np.asarray(candidate.centroid, dtype=np.float32))
        elif matrix is not None:
            matrix[at] = candidate.centroid  # a copy: the previous snapshot's matrix is untouched
        newest = max(newest, candidate.updated_at)
    if fresh:
        matrix = np.vstack([matrix, np.stack(fresh)]) if matrix is not None else np.stack(fresh)
    if matrix is None:
        matrix = np.zeros((0, 0), dtype=np.float32)
    return _Snapshot(tuple(ids), matrix, newest)

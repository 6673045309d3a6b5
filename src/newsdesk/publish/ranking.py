"""Rankings: top stories by outlets and freshness, and one list fused from several rankings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from newsdesk.types import StorySummary


def top_score(outlet_count: int, age_hours: float, half_life_hours: float) -> float:
    """Outlets covering a story, halved for every `half_life_hours` since its newest article."""
    return outlet_count * 0.5 ** (max(0.0, age_hours) / max(half_life_hours, 1e-6))


def rank_top(stories: Sequence[StorySummary], at: datetime, half_life_hours: float) -> list[StorySummary]:
    """Stories by top_score at time `at`, ties broken by freshness then id."""

    def key(story: StorySummary) -> tuple[float, float, str]:
        age = (at - story.updated_at).total_seconds() / 3600
        score = round(top_score(story.outlet_count, age, half_life_hours), 9)  # equal weights tie exactly
        return (-score, -story.updated_at.timestamp(), story.id)

    return sorted(stories, key=key)


def fuse(rankings: Sequence[Sequence[str]], k: float = 60.0) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each list adds 1/(k + rank) to its items; best total first.

    RRF needs no calibration between BM25 scores and cosines, which live on different scales."""
    totals: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            totals[item] = totals.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))

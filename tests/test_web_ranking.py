"""The publishing functions behind the pages: top-story ranking, rank fusion, the meaning index, search syntax."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.publish.meaning import MeaningIndex
from newsdesk.publish.ranking import fuse, rank_top, top_score
from newsdesk.store.base import StoryCandidate
from newsdesk.store.sqlite_publish import fts_query
from newsdesk.types import StorySummary

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def summary(story_id: str, outlets: int, hours_old: float) -> StorySummary:
    when = T0 - timedelta(hours=hours_old)
    return StorySummary(story_id, when, when, story_id, "", outlets, outlets)


def test_top_score_halves_per_half_life() -> None:
    assert top_score(6, 0, 24) == 6 and top_score(6, 24, 24) == 3 and top_score(6, 48, 24) == 1.5


def test_rank_top_weighs_outlets_against_age() -> None:
    stories = [
        summary("fresh-1", 1, 0),
        summary("day-old-4", 4, 24),
        summary("two-days-8", 8, 48),
        summary("old-2", 2, 72),
    ]
    ranked = [s.id for s in rank_top(stories, T0, 24)]
    assert ranked == ["day-old-4", "two-days-8", "fresh-1", "old-2"]  # 2.0 = 2.0 (fresher first), 1, 0.25
    assert [s.id for s in rank_top(stories, T0 + timedelta(days=30), 24)] == ranked  # the same at any time


def test_fuse_rewards_agreement_and_is_deterministic() -> None:
    fused = fuse([["a", "b", "c"], ["c", "d"]])
    assert fused[0][0] == "c"  # in both lists beats first in one
    assert [item for item, _ in fused] == ["c", "a", "b", "d"]
    assert fuse([[], []]) == []


def candidate(story_id: str, vector: list[float], hours: float) -> StoryCandidate:
    v = np.array(vector, dtype=np.float32)
    return StoryCandidate(story_id, v / np.linalg.norm(v), T0 + timedelta(hours=hours), 1, {})


def test_meaning_index_loads_then_tops_up_and_filters_noise() -> None:
    stories = {f"s{i}": candidate(f"s{i}", [1.0, 0.05 * i, 0.0], i) for i in range(20)}
    stories["far"] = candidate("far", [0.0, 0.0, 1.0], 0)
    asked: list[datetime] = []

    def changes(since: datetime) -> list[StoryCandidate]:
        asked.append(since)
        return [c for c in stories.values() if c.updated_at >= since]

    index = MeaningIndex(changes, refresh_seconds=0.0)
    query = np.array([0.0, 0.0, 1.0], dtype=np.float32)
    assert index.nearest(query, 5, floor=0.5) == [("far", 1.0)]  # stands out from the rest
    assert index.nearest(np.array([1.0, 0.0, 0.0], dtype=np.float32), 5, floor=0.5) == []  # nothing stands out
    stories["s19"] = candidate("s19", [0.0, 0.1, 1.0], 30)  # grew and moved
    stories["new"] = candidate("new", [0.0, -0.1, 1.0], 31)
    found = dict(index.nearest(query, 5, floor=0.5, min_z=1.0))
    assert set(found) == {"far", "s19", "new"}
    assert asked[0].year == 1970 and asked[-1] == T0 + timedelta(hours=19) - timedelta(days=1)  # newest seen - margin


def test_reader_input_is_never_fts_syntax() -> None:
    assert fts_query("harbour strike") == '"harbour" "strike"'
    assert fts_query('"harbour strike" ends') == '"harbour strike" "ends"'
    assert fts_query("NEAR(a b) OR c*", any_word=True) == '"NEAR" OR "a" OR "b" OR "OR" OR "c"'
    assert fts_query('headline: "" -- ;') == '"headline"'
    assert fts_query("") == ""

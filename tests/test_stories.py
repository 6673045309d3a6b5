"""The story engine's stages on their own: dedupe, terms, assignment with a time window, merging."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.ingest.urls import article_id, canonical_url
from newsdesk.store.base import StoryCandidate
from newsdesk.stories.cluster import ClusterParams, assign, combine, find_merge, new_story_id
from newsdesk.stories.dedupe import content_hash
from newsdesk.stories.embed import get_embedder
from newsdesk.stories.terms import article_terms, cosine, tfidf

T0 = datetime(2026, 11, 20, tzinfo=UTC)
PARAMS = ClusterParams(threshold=0.4, lexical_weight=0.5, window=timedelta(days=7), meaning_floor=0.5)


def test_content_hash_ignores_spacing_case_and_punctuation() -> None:
    assert content_hash("Two dead,  1,200 evacuated.") == content_hash("two dead 1 200 evacuated")
    assert content_hash("Two dead") != content_hash("Three dead")


def test_tracking_parameters_do_not_make_a_new_article() -> None:
    assert canonical_url("HTTP://Site.test/a?utm_source=x&id=3#top") == "http://site.test/a?id=3"
    assert article_id("http://site.test/a?utm_medium=rss") == article_id("http://site.test/a")


def test_terms_weight_titles_and_drop_stopwords() -> None:
    terms = article_terms("Bridge reopens", "The bridge reopened on Tuesday after repairs.")
    assert terms["bridge"] == 3 and "the" not in terms and "on" not in terms
    weights = tfidf(terms, {"bridge": 5, "tuesday": 50}, 100)
    assert abs(cosine(weights, weights) - 1.0) < 1e-6
    assert weights["bridge"] > weights["tuesday"]  # rarer terms weigh more


def _story(vector: np.ndarray, terms: dict[str, float], when: datetime, size: int = 1) -> StoryCandidate:
    return StoryCandidate(new_story_id(str(when)), vector, when, size, terms)


def test_assignment_joins_same_event_and_respects_window() -> None:
    embed = get_embedder("static")
    texts = [
        ("Port strike halts ships", "Dockworkers at Port Anselm walked out over pay, halting container ships."),
        ("Dockers strike at Port Anselm", "About 4,000 dockworkers at Port Anselm went on strike over wages."),
        ("Film wins festival prize", "A drama about salt miners won the Silver Heron at the film festival."),
    ]
    vectors = embed.embed([f"{t}. {b}" for t, b in texts])
    terms = [article_terms(t, b) for t, b in texts]
    df: Counter[str] = Counter()  # as if these three came in a stream of 100 articles
    for t in terms:
        df.update(set(t))
    first = assign("a1", vectors[0], terms[0], T0, [], df, 100, PARAMS)
    assert first.is_new and first.story.story_id == new_story_id("a1")
    second = assign("a2", vectors[1], terms[1], T0 + timedelta(hours=3), [first.story], df, 100, PARAMS)
    assert not second.is_new and second.story.story_id == first.story.story_id and second.story.size == 2
    third = assign("a3", vectors[2], terms[2], T0 + timedelta(hours=4), [second.story], df, 100, PARAMS)
    assert third.is_new
    late = assign("a4", vectors[1], terms[1], T0 + timedelta(days=30), [second.story], df, 100, PARAMS)
    assert late.is_new  # the same words a month later are a different story


def test_merge_finds_the_story_that_grew_into_the_same_event() -> None:
    v = np.array([1.0, 0.0], dtype=np.float32)
    w = np.array([0.0, 1.0], dtype=np.float32)
    big = _story(v, {"strike": 4, "port": 4, "anselm": 4}, T0, size=4)
    small = _story(v, {"strike": 1, "port": 1, "anselm": 1}, T0 + timedelta(hours=5))
    other = _story(w, {"film": 2, "heron": 2}, T0)
    df = {"strike": 5, "port": 5, "anselm": 5, "film": 2, "heron": 2}
    assert find_merge(small, [big, other, small], df, 20, PARAMS) == big
    assert find_merge(other, [big, small, other], df, 20, PARAMS) is None
    merged = combine(big, small)
    assert merged.size == 5 and merged.terms["strike"] == 5 and merged.story_id == big.story_id

"""The story engine's stages on their own: dedupe, terms, the index, assignment with a window, merging."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.ingest.urls import article_id, canonical_url
from newsdesk.store.base import StoryCandidate
from newsdesk.stories.cluster import ArticleEvidence, ClusterParams, new_story_id, survivor
from newsdesk.stories.dedupe import content_hash, fingerprint, is_near_duplicate
from newsdesk.stories.embed import get_embedder
from newsdesk.stories.engine import StoryEngine
from newsdesk.stories.index import StoryIndex
from newsdesk.stories.terms import article_terms, cosine, tfidf

T0 = datetime(2026, 11, 20, tzinfo=UTC)
PARAMS = ClusterParams(threshold=0.15, lexical_weight=0.85, window=timedelta(days=7), merge_threshold=0.25)
WIRE = (
    "Heavy rain pushed the Varna river over its banks on Wednesday, flooding the town of Belkirk and forcing "
    "1,200 people from their homes, provincial officials said. Two people died. Rescue teams used boats to reach "
    "streets in the old quarter, and the governor declared a state of emergency for the whole province. "
    "Shelters opened in schools and sports halls in the neighbouring town of Kelvik, where volunteers handed out "
    "blankets and hot meals through the night. Forecasters expect the rain to ease on Thursday, but the river is "
    "not due to fall below its banks before the weekend, and engineers will inspect the embankments once it does."
)


def test_content_hash_ignores_spacing_case_and_punctuation() -> None:
    assert content_hash("Two dead,  1,200 evacuated.") == content_hash("two dead 1 200 evacuated")
    assert content_hash("Two dead") != content_hash("Three dead")


def test_near_duplicate_survives_a_new_lead_but_not_a_rewrite() -> None:
    reprint = "Disaster in Belkirk as the river rises. " + WIRE.split(". ", 1)[1]
    rewrite = "Belkirk flooded after days of rain; officials counted two deaths and moved over a thousand residents."
    original = fingerprint(WIRE)
    assert is_near_duplicate(original.signature, fingerprint(reprint).signature)
    assert set(original.band_keys) & set(fingerprint(reprint).band_keys)
    assert not is_near_duplicate(original.signature, fingerprint(rewrite).signature)


def test_tracking_parameters_do_not_make_a_new_article() -> None:
    assert canonical_url("HTTP://Site.test/a?utm_source=x&id=3#top") == "http://site.test/a?id=3"
    assert article_id("http://site.test/a?utm_medium=rss") == article_id("http://site.test/a")


def test_terms_weight_titles_and_drop_stopwords() -> None:
    terms = article_terms("Bridge reopens", "The bridge reopened on Tuesday after repairs.")
    assert terms["bridge"] == 3 and "the" not in terms and "on" not in terms
    weights = tfidf(terms, {"bridge": 5, "tuesday": 50}, 100)
    assert abs(cosine(weights, weights) - 1.0) < 1e-6
    assert weights["bridge"] > weights["tuesday"]  # rarer terms weigh more


def _story(story_id: str, vector: list[float], when: datetime, size: int = 1) -> StoryCandidate:
    v = np.array(vector, dtype=np.float32)
    return StoryCandidate(story_id, v / np.linalg.norm(v), when, size, {})


def test_index_finds_nearest_within_the_window() -> None:
    index = StoryIndex(dim=2, capacity=1)  # grows past its first capacity
    index.upsert(_story("near", [1, 0.1], T0))
    index.upsert(_story("far", [0, 1], T0))
    index.upsert(_story("old", [1, 0], T0 - timedelta(days=30)))
    query = np.array([[1.0, 0.0]], dtype=np.float32)
    assert index.nearest(query, T0, timedelta(days=7), k=5) == [["near", "far"]]
    index.remove("near")
    assert index.nearest(query, T0, timedelta(days=7), k=1) == [["far"]]
    assert "near" not in index and len(index) == 2


def _engine(stories: list[StoryCandidate], df: Counter[str], terms: dict[str, dict[str, float]]) -> StoryEngine:
    return StoryEngine(
        PARAMS,
        stories,
        dim=256,
        frequencies=lambda wanted: ({t: df[t] for t in wanted if t in df}, 100),
        story_terms=lambda ids: {i: terms[i] for i in ids},
    )


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
    engine = _engine([], df, {})

    def arrive(n: int, at: datetime) -> ArticleEvidence:
        return ArticleEvidence(f"a{n}", vectors[n % 3], terms[n % 3], at)

    first = engine.assign(arrive(0, T0))
    assert first.is_new and first.story.story_id == new_story_id("a0")
    second = engine.assign(arrive(1, T0 + timedelta(hours=3)))
    assert not second.is_new and second.story.story_id == first.story.story_id and second.story.size == 2
    assert engine.assign(arrive(2, T0 + timedelta(hours=4))).is_new
    late = engine.assign(arrive(4, T0 + timedelta(days=30)))
    assert late.is_new  # the same words a month later are a different story


def test_merge_joins_a_story_that_is_part_of_a_larger_one() -> None:
    big = _story("big", [1, 0] + [0] * 254, T0, size=4)
    small = _story("small", [1, 0.05] + [0] * 254, T0 + timedelta(hours=5))
    other = _story("other", [0, 1] + [0] * 254, T0)
    terms = {"big": {"strike": 4, "port": 4, "anselm": 4}, "small": {"strike": 1, "port": 1}, "other": {"film": 2}}
    engine = _engine([big, small, other], Counter({"strike": 5, "port": 5, "anselm": 5, "film": 2}), terms)
    assert engine.merge_candidate("other") is None
    merge = engine.merge_candidate("small")
    assert merge is not None and merge.gone == "small" and merge.kept.story_id == "big"
    assert merge.kept.size == 5 and merge.kept.terms["strike"] == 5 and "small" not in engine.index
    assert survivor(big, small) == (big, small) and survivor(small, big) == (big, small)

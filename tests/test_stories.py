"""The story engine's stages on their own: dedupe, terms, the index, assignment with a window, merging."""

import gc
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from newsdesk.ingest.urls import article_id, canonical_url
from newsdesk.pipeline import _collector_paused
from newsdesk.store.base import StoryCandidate
from newsdesk.stories.cluster import (
    ArticleEvidence,
    ClusterParams,
    new_story_id,
    split_story_id,
    staleness,
    survivor,
    terms_norm,
    threshold,
    wording,
)
from newsdesk.stories.dedupe import content_hash, fingerprint, is_near_duplicate
from newsdesk.stories.embed import get_embedder, normalise_rows
from newsdesk.stories.engine import StoryEngine
from newsdesk.stories.index import StoryIndex
from newsdesk.stories.terms import article_terms, cosine, keywords, tfidf

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


def test_index_nearest_in_a_large_window_ranks_as_a_full_sort_does() -> None:
    rng = np.random.default_rng(4)
    vectors = normalise_rows(rng.standard_normal((3000, 8)))
    vectors[100:140] = vectors[7]  # exact ties, more of them than are asked for
    index = StoryIndex(dim=8)
    index.extend([StoryCandidate(f"s{n}", v, T0, 1, {}) for n, v in enumerate(vectors)])
    queries = np.vstack([vectors[7], vectors[9], rng.standard_normal((6, 8))]).astype(np.float32)
    found = index.nearest(queries, T0, timedelta(days=7), k=41)
    for query, ids in zip(queries, found, strict=True):
        scores = vectors @ query
        assert (
            len(ids) == 41
            and sorted(scores[[int(i[1:]) for i in ids]].tolist(), reverse=True)
            == sorted(scores.tolist(), reverse=True)[:41]
        )
    assert set(found[0]) <= {"s7", *(f"s{n}" for n in range(100, 140))}  # the tied copies of the query itself


def test_index_keeps_earlier_stories_when_a_window_load_grows_it() -> None:
    rng = np.random.default_rng(5)
    vectors = normalise_rows(rng.standard_normal((2500, 8)))  # float64 centroids, stored as float32
    index = StoryIndex(dim=8, capacity=4)
    index.upsert(StoryCandidate("first", vectors[0], T0, 1, {}))
    index.extend([StoryCandidate(f"s{n}", v, T0 - timedelta(days=n % 9), 1, {}) for n, v in enumerate(vectors[1:2000])])
    index.extend([StoryCandidate(f"t{n}", v, T0, 1, {}) for n, v in enumerate(vectors[2000:])])  # grows again
    index.upsert(StoryCandidate("last", vectors[3], T0, 1, {}))
    assert len(index) == 2501
    cosines, days = index.compare(["first", "s10", "t0", "last"], vectors[0].astype(np.float32), T0)
    expected = [vectors[0] @ vectors[0], vectors[11] @ vectors[0], vectors[2000] @ vectors[0], vectors[3] @ vectors[0]]
    assert cosines.tolist() == pytest.approx(expected, abs=1e-6)
    assert days.tolist() == [0.0, 1.0, 0.0, 0.0]  # s10 was last updated a day before T0
    found = index.nearest(vectors[[0, 2400]].astype(np.float32), T0, timedelta(days=30), k=1)
    assert found == [["first"], ["t400"]]


def _engine(stories: list[StoryCandidate], df: Counter[str], terms: dict[str, dict[str, float]]) -> StoryEngine:
    return StoryEngine(
        PARAMS,
        stories,
        dim=256,
        frequencies=lambda wanted: ({t: df[t] for t in wanted if t in df}, 100),
        story_terms=lambda ids: {i: terms[i] for i in ids},
    )


TWO_EVENTS = [  # interleaved articles of two events
    ("Port strike halts ships", "Dockworkers at Port Anselm walked out over pay, halting container ships."),
    ("Film wins festival prize", "A drama about salt miners won the Silver Heron at the film festival."),
    ("Dockers strike at Port Anselm", "About 4,000 dockworkers at Port Anselm went on strike over wages."),
    ("Silver Heron for salt miners", "The festival jury gave its Silver Heron prize to a film about miners."),
]


def _evidence(lines: list[tuple[str, str]]) -> tuple[np.ndarray, list[Counter[str]], Counter[str]]:
    """Embeddings, term counts and document frequencies of (title, body) lines."""
    vectors = get_embedder("static").embed([f"{t}. {b}" for t, b in lines])
    terms = [article_terms(t, b) for t, b in lines]
    df: Counter[str] = Counter()  # as if these came in a stream of 100 articles
    for t in terms:
        df.update(set(t))
    return vectors, terms, df


def test_assignment_joins_same_event_and_respects_window() -> None:
    texts = [
        ("Port strike halts ships", "Dockworkers at Port Anselm walked out over pay, halting container ships."),
        ("Dockers strike at Port Anselm", "About 4,000 dockworkers at Port Anselm went on strike over wages."),
        ("Film wins festival prize", "A drama about salt miners won the Silver Heron at the film festival."),
    ]
    vectors, terms, df = _evidence(texts)
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
    # each story keeps the sum of its articles' unit TF-IDF vectors
    terms = {
        "big": {"strike": 2.3, "port": 2.3, "anselm": 2.3},
        "small": {"strike": 0.7, "port": 0.7},
        "other": {"film": 1},
    }
    engine = _engine([big, small, other], Counter({"strike": 5, "port": 5, "anselm": 5, "film": 2}), terms)
    assert engine.merge_candidate("other") is None
    merge = engine.merge_candidate("small")
    assert merge is not None and merge.gone == "small" and merge.kept.story_id == "big"
    assert merge.kept.size == 5 and merge.kept.terms["strike"] == pytest.approx(3.0) and "small" not in engine.index
    assert survivor(big, small) == (big, small) and survivor(small, big) == (big, small)


def test_a_story_merges_only_when_it_has_grown_in_the_pass() -> None:
    big = _story("big", [1, 0] + [0] * 254, T0, size=4)
    small = _story("small", [1, 0.05] + [0] * 254, T0 + timedelta(hours=5), size=3)
    terms = {"big": {"strike": 2.0, "port": 2.0}, "small": {"strike": 1.5, "port": 1.5}}
    engine = _engine([big, small], Counter({"strike": 5, "port": 5}), terms)
    assert engine.merges(["small"]) == []  # unchanged since it was loaded: already examined at its size
    engine.index.upsert(replace(engine.index.get("small"), size=4))  # 3 -> 4 crosses a power of two
    assert [m.gone for m in engine.merges(["small"])] == ["small"]


def test_wording_runs_from_centroid_cosine_to_average_link() -> None:
    # two articles, unit vectors (1, 0) and (0, 1) over terms a and b; the article is (1, 0)
    story = StoryCandidate("s", np.zeros(2, dtype=np.float32), T0, 2, {"a": 1.0, "b": 1.0})
    norm = terms_norm(story)
    assert norm == pytest.approx(2**0.5)
    assert wording({"a": 1.0}, story, norm, tightness=0) == pytest.approx(1 / 2**0.5)  # cosine to the centroid
    assert wording({"a": 1.0}, story, norm, tightness=1) == pytest.approx(0.5)  # mean of cosines 1 and 0


def test_time_and_headlines_change_what_it_takes_to_join() -> None:
    story = _story("s", [1, 0], T0)
    fresh = ArticleEvidence("a", np.array([1.0, 0.0]), {}, T0 + timedelta(hours=12))
    stale = replace(fresh, published=T0 + timedelta(days=3))
    assert staleness(fresh, story, PARAMS) == pytest.approx(0.05)
    assert staleness(stale, story, PARAMS) == pytest.approx(0.2)  # capped (max_decay)
    assert threshold(fresh, PARAMS) == PARAMS.threshold
    assert threshold(replace(fresh, short=True), PARAMS) == PARAMS.headline_threshold
    assert keywords({"port": 0.5, "strike": 0.7, "the": 0.1}, count=2) == ["strike", "port"]
    assert list(tfidf({"a": 1, "b": 1, "c": 1}, {"a": 1, "b": 5, "c": 50}, 100, keep=2)) == ["a", "b"]


def test_prefetching_a_pass_decides_as_one_search_per_article() -> None:
    lines = [*TWO_EVENTS, ("Floods in Belkirk", "The Varna river burst its banks and flooded Belkirk.")]
    vectors, terms, df = _evidence(lines)
    arrivals = [ArticleEvidence(f"a{n}", vectors[n], terms[n], T0 + timedelta(hours=n)) for n in range(len(lines))]
    plain, batched = _engine([], df, {}), _engine([], df, {})
    batched.prefetch(arrivals)
    stories = [plain.assign(a).story.story_id for a in arrivals]
    assert stories == [batched.assign(a).story.story_id for a in arrivals]
    assert stories[2] == stories[0] and stories[1] != stories[0] and len(set(stories)) in (3, 4)


def test_a_story_of_two_events_splits_and_keeps_its_id() -> None:
    vectors, terms, df = _evidence(TWO_EVENTS)
    members = [ArticleEvidence(f"a{n}", vectors[n], terms[n], T0 + timedelta(hours=n)) for n in range(4)]
    mixed = _story("mixed", list(vectors.mean(axis=0)), T0 + timedelta(hours=3), size=4)
    engine = _engine([mixed], df, {"mixed": {}})
    split = engine.split_candidate("mixed", members)
    assert split is not None
    assert split.kept.story_id == "mixed" and split.kept.size == 2  # the part with the first article keeps it
    assert split.moved == ("a1", "a3") and split.new.story_id == split_story_id("mixed", "a1")
    assert split.new.story_id != new_story_id("a1") and split.new.size == 2
    assert "mixed" in engine.index and split.new.story_id in engine.index
    one_event = [members[0], members[2], replace(members[0], article_id="a4"), replace(members[2], article_id="a5")]
    assert engine.split_candidate("mixed", one_event) is None


def test_time_decay_is_steep_at_first_then_capped_within_the_window() -> None:
    story = _story("s", [1, 0], T0)
    at = [ArticleEvidence("a", np.array([1.0, 0.0]), {}, T0 + timedelta(days=d)) for d in (0.5, 1, 1.5, 2, 5, 6.9)]
    assert [round(staleness(a, story, PARAMS), 6) for a in at] == [0.05, 0.1, 0.15, 0.2, 0.2, 0.2]
    before = replace(at[0], published=T0 - timedelta(days=4))  # an article older than the story's newest one
    assert staleness(before, story, PARAMS) == pytest.approx(0.2)
    assert staleness(at[-1], story, replace(PARAMS, max_decay=1.0)) == pytest.approx(0.69)  # linear without a cap


STRIKE = [  # (title, body, hours after the first article)
    (
        "Dockworkers strike at Port Anselm over pay",
        "About 4,000 dockworkers at Port Anselm walked out over pay, "
        "halting container ships; the union wants a 9% raise and the port authority offers 4%.",
        0,
    ),
    (
        "Port Anselm strike strands ships",
        "The dockworkers' strike at Port Anselm has stranded more than 60 "
        "container ships; the union and the port authority will meet a mediator.",
        5,
    ),
    (
        "Port Anselm United sack their coach",
        "Port Anselm United sacked their coach after the cup final defeat; "
        "the club's board will name a successor before the league resumes.",
        30,
    ),
    (
        "Port Anselm strike ends with pay deal",
        "Dockworkers at Port Anselm accepted a 6% pay deal and ended the "
        "strike; the first container ships were unloaded on Friday as the union and port authority signed.",
        5 * 24,
    ),
]


def test_a_quiet_story_takes_a_clear_follow_up_but_not_another_event_of_its_names() -> None:
    vectors, terms, df = _evidence([(t, b) for t, b, _ in STRIKE])
    engine = _engine([], df, {})
    stories = []
    for n, (_, _, hours) in enumerate(STRIKE):
        decision = engine.assign(ArticleEvidence(f"a{n}", vectors[n], terms[n], T0 + timedelta(hours=hours)))
        stories.append(decision.story.story_id)
    assert stories[1] == stories[0]  # the same day
    assert stories[2] != stories[0]  # the next day, sharing the port's name: another event
    assert stories[3] == stories[0]  # five quiet days later, the strike's end: the same event


def test_a_story_told_in_different_words_is_judged_by_its_direction_not_its_spread() -> None:
    big = _story("big", [1, 0] + [0] * 254, T0, size=4)
    # two articles, one about the strike, one about the port: their summed unit vectors disagree
    spread = _story("spread", [0.6, 0.8] + [0] * 254, T0 + timedelta(hours=5), size=2)
    terms = {"big": {"strike": 1.0, "port": 1.0, "anselm": 3.5}, "spread": {"strike": 1.0, "port": 1.0}}
    engine = _engine([big, spread], Counter({"strike": 5, "port": 5, "anselm": 5}), terms)
    # its wording at unit length (strike, port) / 2**0.5 against big: about 0.31 with the meaning, over the
    # merge threshold; its mean vector (strike, port) / 2 would have scored about 0.23, under it
    merge = engine.merge_candidate("spread")
    assert merge is not None and merge.kept.story_id == "big"


def test_a_pass_pauses_the_garbage_collector_and_restores_it() -> None:
    seen: list[bool] = []
    assert gc.isenabled()
    with _collector_paused():
        seen.append(gc.isenabled())
        with _collector_paused():  # a second pass at once (another thread's) ends first
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())  # still paused: the first pass runs on
    seen.append(gc.isenabled())
    gc.disable()
    try:
        with _collector_paused():
            pass
        seen.append(gc.isenabled())  # a collector the application had turned off stays off
    finally:
        gc.enable()
    assert seen == [False, False, False, True, False]

"""Linking: topics, related lists (no self, no two stories of one event, labels) and incremental updates."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from newsdesk import Desk, open_desk
from newsdesk.demo.check import event_of
from newsdesk.demo.corpus import DemoArticle, load_corpus
from newsdesk.linking.entities import PERSON, PLACE, surnames
from newsdesk.linking.minilm import get_minilm
from newsdesk.linking.profile import CHUNK_WORDS, WHOLE_CHUNKS, article_chunks, build_profiles, embed_wholes
from newsdesk.linking.scoring import MEANING_FLOOR, Scorer, entity_weights
from newsdesk.linking.topics import TOPICS, assign_topic, nearest_topic, story_topic
from newsdesk.pipeline import assign_stories, link_stories, profile_stories, store_articles, write_stories
from newsdesk.settings import Settings
from newsdesk.store.base import StoryProfile
from newsdesk.stories.dedupe import content_hash
from newsdesk.stories.terms import cosine, tfidf
from newsdesk.types import Article, Entity, StoryEntity

LABELS = {"follow-up", "background", "same people", "same place", "same organisation", "same topic", "related"}


def as_article(demo: DemoArticle, section: str | None = None) -> Article:
    text = "\n\n".join(demo.paragraphs)
    return Article(
        id=f"{demo.event}-{demo.slug}",
        url=f"http://demo.test{demo.path}",
        source_id=None,
        outlet=demo.outlet,
        title=demo.title,
        text=text,
        published=demo.published,
        section=demo.section if section is None else section,
        content_hash=content_hash(text),
    )


def events_of(desk: Desk, story_id: str) -> set[str]:
    return {event_of(a.url) for a in desk.coverage(story_id)}


def demo_text(event: str, words: int) -> str:
    """The first words of one demo event's articles, run together."""
    text = " ".join(" ".join(a.paragraphs) for a in load_corpus() if a.event == event)
    return " ".join(text.split()[:words])


def test_whole_text_is_read_in_equal_chunks_up_to_a_cap() -> None:
    article = as_article(load_corpus()[0])
    short = article_chunks(replace(article, text=demo_text("e06-varna-floods", 120)))
    assert len(short) == 1 and short[0].startswith(f"{article.title}. ")
    medium = article_chunks(replace(article, title="", text=demo_text("e06-varna-floods", 2 * CHUNK_WORDS + 10)))
    sizes = [len(chunk.split()) for chunk in medium]
    assert len(medium) == 3 and max(sizes) - min(sizes) <= 1  # no short tail
    long = article_chunks(replace(article, title="", text=demo_text("e01-kestria-election", 10 * CHUNK_WORDS)))
    assert len(long) == WHOLE_CHUNKS and all(len(chunk.split()) == CHUNK_WORDS for chunk in long)


def test_whole_vector_reads_past_the_model_window() -> None:
    """An article whose second half is a vaccine trial is closer to a report of it than MiniLM alone sees."""
    minilm = get_minilm()
    article = as_article(load_corpus()[0])
    text = demo_text("e01-kestria-election", CHUNK_WORDS) + " " + demo_text("e16-vaccine-trial", CHUNK_WORDS)
    mixed = replace(article, title="", text=text)
    trial = minilm.embed([demo_text("e16-vaccine-trial", CHUNK_WORDS)])[0]
    truncated = float(minilm.embed([text])[0] @ trial)
    chunked = float(embed_wholes([mixed], minilm)[0] @ trial)
    assert chunked > truncated + 0.1, (chunked, truncated)


def test_topic_from_outlet_sections_else_from_meaning() -> None:
    corpus = load_corpus()
    cup = [as_article(a) for a in corpus if a.event == "e17-aldonian-cup-final"]
    assert story_topic(cup) == "Sports"
    unfiled = [as_article(a, section="") for a in corpus if a.event == "e08-bank-of-aldonia-rates"]
    assert story_topic(unfiled) == ""
    minilm = get_minilm()
    vector = minilm.embed([f"{a.title}. {a.text}" for a in unfiled]).sum(axis=0)
    assert assign_topic(unfiled, vector / (vector**2).sum() ** 0.5, minilm) == "Business"
    match = minilm.embed(["Striker scores twice as the club wins the league title on the final day"])[0]
    assert nearest_topic(match, minilm) == "Sports"


def test_topic_accuracy_on_the_demo_slice_without_sections() -> None:
    """Quality floor: prototypes alone (no feed category) name the outlet's own section for most articles."""
    corpus = load_corpus()
    minilm = get_minilm()
    vectors = minilm.embed([f"{a.title}. {' '.join(a.paragraphs)}" for a in corpus])
    guessed = [nearest_topic(v, minilm) for v in vectors]
    right = sum(g == a.section for g, a in zip(guessed, corpus, strict=True))
    assert right / len(corpus) >= 0.7, Counter((a.section, g) for g, a in zip(guessed, corpus, strict=True))
    assert set(guessed) <= set(TOPICS)


def test_related_lists_hold_neither_the_story_nor_two_of_one_event(demo_desk: Desk) -> None:
    stories = demo_desk.stories(limit=1000)
    for story in stories:
        own = events_of(demo_desk, story.id)
        listed: list[str] = []
        for entry in story.related:
            assert entry.story_id != story.id and entry.label in LABELS
            others = events_of(demo_desk, entry.story_id)
            if len(own) == 1 and len(others) == 1:
                assert own != others, (story.headline, entry)  # the same event, split by the story engine
            listed += sorted(others) if len(others) == 1 else []
        assert len(listed) == len(set(listed)), story.headline
        assert len(story.related) <= 18


def test_split_events_are_flagged_for_the_story_engine(demo_desk: Desk) -> None:
    for a, b in demo_desk.store.same_event_pairs():  # the engine keeps every demo event in one story
        assert events_of(demo_desk, a) & events_of(demo_desk, b)
    # an event split by hand in two (the strike's start, and its end five days later) is flagged, and no other
    store = demo_desk.store
    strike = next(
        s.id for s in store.list_stories(limit=1000) if events_of(demo_desk, s.id) == {"e05-port-anselm-strike"}
    )
    articles = store.articles_of_story(strike)
    halves = {
        "start": [a for a in articles if a.published.day < 20],
        "end": [a for a in articles if a.published.day >= 20],
    }
    assert all(halves.values())
    others = [p for p in store.story_profiles() if p.story_id != strike]
    profiles = [*others, *build_profiles(halves, get_minilm(), surnames(store.list_entities()))]
    scorer = Scorer(profiles, *store.document_frequencies({t for p in profiles for t in p.terms}))
    start = scorer.index["start"]
    found = [p.story_id for j, p in enumerate(profiles) if j != start and scorer.same_event(start, j)]
    assert found == ["end"]


def test_labels_say_why(demo_desk: Desk) -> None:
    stories = {s.id: s for s in demo_desk.stories(limit=1000)}
    election = next(s for s in stories.values() if s.headline.startswith("Reyvik elected"))
    by_event = {next(iter(events_of(demo_desk, r.story_id))): r for r in election.related}
    follow_up = by_event["e03-reyvik-dravia-policy"]
    assert follow_up.label == "follow-up" and "Tomas Reyvik" in follow_up.via
    policy = next(s for s in stories.values() if s.id == follow_up.story_id)
    back = {r.story_id: r for r in policy.related}[election.id]
    assert back.label == "background"
    places = [r for s in stories.values() for r in s.related if r.label == "same place"]
    assert places and all(r.via for r in places)


def test_story_page_shows_entities_and_labelled_related(demo_desk: Desk) -> None:
    from fastapi.testclient import TestClient

    from newsdesk.web.app import create_app, story_url

    election = next(s for s in demo_desk.stories(limit=100) if s.headline.startswith("Reyvik elected"))
    html = TestClient(create_app(demo_desk)).get(story_url(election.id, election.headline)).text
    assert '<a href="/entity/tomas-reyvik">Tomas Reyvik</a>' in html
    first = election.related[0]
    assert f'<p class="label">{first.label}: {", ".join(first.via)}</p>' in html


@pytest.fixture
def fresh_desk(tmp_path: Path):
    with open_desk(f"sqlite:///{tmp_path / 'link.db'}", Settings()) as desk:
        yield desk


def ingest(desk: Desk, articles: list[Article]) -> None:
    store_articles(desk.store, desk.embedder, articles)
    assign_stories(desk.store, desk.settings, desk.embedder)
    write_stories(desk.store, desk.settings, desk.embedder)


def test_a_new_story_is_linked_incrementally(fresh_desk: Desk) -> None:
    corpus = load_corpus()
    # the election and the vaccine trial, among a few unrelated events that give the stream its word statistics
    background = {"e11-corvane-chip", "e17-aldonian-cup-final", "e20-silver-heron", "e22-calder-book-prize"}
    events = {"e01-kestria-election", "e16-vaccine-trial", *background}
    first = [as_article(a) for a in corpus if a.event in events]
    first = [a for a in first if "Crown" not in a.title]  # the market piece the engine splits off
    ingest(fresh_desk, first)
    changed = profile_stories(fresh_desk.store)
    assert link_stories(fresh_desk.store, fresh_desk.settings, changed) == len(changed) >= 2
    assert profile_stories(fresh_desk.store) == set()  # nothing changed, nothing is profiled again
    vaccine = next(s for s in fresh_desk.stories() if "vaccine" in s.headline)
    assert fresh_desk.story(vaccine.id).related == ()  # a vaccine trial has nothing to do with an election

    ingest(fresh_desk, [as_article(a) for a in corpus if a.event == "e03-reyvik-dravia-policy"][:1])
    changed = profile_stories(fresh_desk.store)
    assert len(changed) == 1
    (new_id,) = changed
    relinked = link_stories(fresh_desk.store, fresh_desk.settings, changed)
    assert 2 <= relinked < fresh_desk.store.count_stories(), [s.headline for s in fresh_desk.stories()]
    election = next(s for s in fresh_desk.stories() if s.headline.startswith("Reyvik elected"))
    assert fresh_desk.story(election.id).related[0].story_id == new_id  # the new story now leads its list
    assert fresh_desk.story(election.id).related[0].label == "follow-up"
    assert fresh_desk.story(vaccine.id).related == ()


def test_only_stories_in_the_window_are_linked(fresh_desk: Desk) -> None:
    """Linking reads the profiles of stories updated within related_window_days of the newest story only."""
    events = {
        "e01-kestria-election",
        "e02-reyvik-strand-call",
        "e03-reyvik-dravia-policy",
        "e24-strand-confidence-vote",
    }
    ingest(fresh_desk, [as_article(a) for a in load_corpus() if a.event in events])
    profile_stories(fresh_desk.store)
    stories = fresh_desk.stories()
    newest = max(s.updated_at for s in stories)
    inside = {s.id for s in stories if s.updated_at >= newest - timedelta(days=3)}
    assert 0 < len(inside) < len(stories)  # the election and the call are older than three days
    assert link_stories(fresh_desk.store, fresh_desk.settings.replace(related_window_days=3), None) == len(inside)
    for story in stories:
        related = {r.story_id for r in fresh_desk.story(story.id).related}
        assert related <= inside - {story.id} if story.id in inside else related == set()
    assert link_stories(fresh_desk.store, fresh_desk.settings, None) == len(stories)  # 180 days: all of them
    election = next(s for s in stories if s.id not in inside and "Reyvik" in s.headline)
    assert fresh_desk.story(election.id).related  # linked now that the window holds it


def test_scores_against_every_story_match_the_pair_definitions() -> None:
    """Scorer's stacked rows (matrix products) give each pair's meaning, wording and Dice entity overlap."""
    rng = np.random.default_rng(1)

    def unit() -> np.ndarray:
        v = rng.normal(size=8).astype(np.float32)
        return v / np.linalg.norm(v)

    reyvik, lisk, varna = (Entity(s, s.title(), k) for s, k in [("reyvik", PERSON), ("lisk", PERSON), ("varna", PLACE)])
    profiles = [
        StoryProfile(
            "a", 1, unit(), unit(), {"vote": 2, "run": 1}, (StoryEntity(reyvik, 2.0), StoryEntity(varna, 1.0))
        ),
        StoryProfile("b", 1, unit(), unit(), {"vote": 1, "flood": 3}, (StoryEntity(reyvik, 1.0),)),
        StoryProfile("c", 1, unit(), unit(), {"flood": 1}, (StoryEntity(lisk, 4.0), StoryEntity(varna, 4.0))),
        StoryProfile("d", 1, unit(), unit(), {}, ()),
    ]
    df = {"vote": 2, "run": 1, "flood": 2}
    scorer = Scorer(profiles, df, 4)
    for i, story in enumerate(profiles):
        for j, other in enumerate(profiles):
            mine, theirs = entity_weights(story), entity_weights(other)
            total = sum(mine.values()) + sum(theirs.values())
            dice = 2 * sum(min(w, theirs[s]) for s, w in mine.items() if s in theirs) / total if total else 0.0
            words = cosine(tfidf(story.terms, df, 4), tfidf(other.terms, df, 4))
            cos = (
                story.lead @ other.lead
                + story.whole @ other.whole
                + (story.lead @ other.whole + story.whole @ other.lead) / 2
            ) / 3
            meaning = min(max((cos - MEANING_FLOOR) / (1 - MEANING_FLOOR), 0), 1)
            found = scorer.closeness(i, j)
            assert found.entities == pytest.approx(dice) and found.wording == pytest.approx(words)
            assert found.meaning == pytest.approx(meaning, abs=1e-6)
            assert scorer.scores(i)[j] == pytest.approx(found.score)
    assert scorer.closeness(0, 2).entities == pytest.approx(2 * 0.5 / (1.5 + 2.0))  # Varna: 0.5 of a's top, 1 of c's

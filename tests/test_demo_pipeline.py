"""The whole pipeline over the demo corpus, through the real fetch path (local HTTP server)."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from newsdesk import Desk
from newsdesk.demo.check import check_demo, event_of
from newsdesk.demo.corpus import CORPUS_DIR, load_corpus
from newsdesk.demo.server import DemoServer


def test_corpus_meets_its_brief() -> None:
    corpus = load_corpus()
    events = Counter(a.event for a in corpus)
    assert len(corpus) >= 80 and len(events) >= 20 and len({a.outlet for a in corpus}) >= 6
    assert all(150 <= sum(len(p.split()) for p in a.paragraphs) <= 400 for a in corpus)
    days = {a.published.date() for a in corpus}
    assert (max(days) - min(days)).days >= 9
    assert sum(1 for n in events.values() if n == 1) >= 3  # single-outlet events
    bodies = Counter(a.paragraphs for a in corpus)
    assert max(bodies.values()) == 2  # one wire copy carried word for word


def test_every_article_is_stored_once_and_wire_copies_are_copies(demo_desk: Desk, demo_server: DemoServer) -> None:
    store = demo_desk.store
    assert store.count_articles() == len(demo_server.articles)
    stories = store.list_stories(limit=1000)
    articles = [a for s in stories for a in store.articles_of_story(s.id)]
    assert len(articles) == len(demo_server.articles)  # every article is in exactly one story
    copies = sorted((a for a in articles if a.copy_of), key=lambda a: a.outlet)
    # Riverbend carries the wire text word for word; Northgate reprints it under a new headline and lead
    assert [c.outlet for c in copies] == ["Northgate Daily", "Riverbend Courier"]
    original = store.get_article(copies[0].copy_of or "")
    assert original.outlet == "Harbor Wire" and copies[1].copy_of == original.id
    assert copies[0].title != original.title and copies[1].title == original.title
    assert all(c.story_id == original.story_id for c in copies)
    assert all(not a.partial for a in articles)  # full text came from every page


def test_demo_events_become_stories(demo_desk: Desk) -> None:
    check = check_demo(demo_desk.store)
    assert check.events == 25
    exact = check.events - len(check.split) - len({e for events in check.mixed.values() for e in events})
    # quality floor: most events come out as exactly one story holding all their articles
    assert exact >= 20, check
    assert len(check.mixed) <= 1, check
    assert 23 <= check.stories <= 30


def test_each_demo_event_is_exactly_one_story(demo_desk: Desk) -> None:
    # a strike that ends five days after it began and a launch whose arrival in orbit comes a week later are
    # one story each; events that share people (e02, e03, e24) stay apart
    stories = demo_desk.store.list_stories(limit=1000)
    events = {s.id: {event_of(a.url) for a in demo_desk.store.articles_of_story(s.id)} for s in stories}
    assert all(len(e) == 1 for e in events.values()), events
    assert sorted(e for one in events.values() for e in one) == sorted(
        p.name for p in CORPUS_DIR.iterdir() if p.is_dir()
    )
    assert len(stories) == 25
    check = check_demo(demo_desk.store)
    assert (check.stories, check.split, check.mixed) == (25, {}, {})


def test_multi_outlet_event_keeps_all_its_outlets(demo_desk: Desk) -> None:
    floods = [s for s in demo_desk.stories(limit=100) if "Belkirk" in s.headline or "Varna" in s.headline]
    coverage = demo_desk.coverage(floods[0].id)
    assert {event_of(a.url) for a in coverage} == {"e06-varna-floods"}
    assert len(coverage) == 5 and floods[0].outlet_count == 5


def test_no_related_list_holds_the_story_itself(demo_desk: Desk) -> None:
    stories = demo_desk.stories(limit=1000)
    # a story with nothing close enough gets no filler, but most multi-outlet stories have related ones
    multi = [s for s in stories if s.outlet_count > 1]
    assert sum(1 for s in multi if s.related) >= 0.8 * len(multi)
    for story in stories:
        ids = [r.story_id for r in story.related]
        assert story.id not in ids and len(ids) == len(set(ids))


def test_every_story_is_written_with_cited_source_sentences(demo_desk: Desk) -> None:
    for story in demo_desk.stories(limit=1000):
        writing = story.writing
        assert writing is not None and story.headline
        coverage = {a.id: a for a in demo_desk.coverage(story.id)}
        words = len(story.standfirst.split())
        assert 40 <= words <= 90, (story.headline, words)
        assert writing.briefing[0].heading == "Introduction"
        for sentence in [*writing.standfirst, *(s for sec in writing.briefing for s in sec.sentences)]:
            assert sentence.article_ids and set(sentence.article_ids) <= set(coverage)
            source = " ".join(coverage[sentence.article_ids[0]].text.split())
            # verbatim, except that a pronoun speaker may be named in brackets: '"...," [Dev Rao] said.'
            speaker = re.search(r"\[([^\]]+)\]", sentence.text)
            if speaker is None:
                assert sentence.text in source
            else:
                assert speaker.group(1) in source
                before, after = sentence.text[: speaker.start()], sentence.text[speaker.end() :]
                assert any(f"{before}{p}{after}" in source for p in ("he", "she", "He", "She"))


def test_refreshing_again_changes_nothing(demo_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (demo_desk.store.count_articles(), [(s.id, s.standfirst) for s in demo_desk.stories(limit=1000)])
    later = datetime.now(UTC) + timedelta(days=2)  # every source is due again: feeds are fetched with their ETags
    monkeypatch.setattr("newsdesk.pipeline.now", lambda: later)
    report = demo_desk.refresh()
    assert report.sources == 7
    after = (demo_desk.store.count_articles(), [(s.id, s.standfirst) for s in demo_desk.stories(limit=1000)])
    assert report.new_articles == 0 and report.stories_touched == 0 and not report.failed
    assert before == after

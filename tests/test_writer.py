"""The extractive writer on small hand-made stories: clean, attributed, cited, and rewritten with a record."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from newsdesk import Desk
from newsdesk.pipeline import write_stories
from newsdesk.store.base import NewArticle, StoryCandidate
from newsdesk.stories.embed import get_embedder
from newsdesk.types import Article
from newsdesk.writing.select import Budget, repeats, score_sentences, select_sentences
from newsdesk.writing.sentences import attribute_quote, is_boilerplate, is_dangling, source_sentences, split_sentences
from newsdesk.writing.writer import all_sentences, write_extractive

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
EMBEDDER = get_embedder("static")


def article(n: int, outlet: str, text: str, title: str = "Bridge reopens in Belkirk") -> Article:
    return Article(
        id=f"a{n}",
        url=f"http://outlet.test/{n}",
        source_id=None,
        outlet=outlet,
        title=title,
        text=text,
        published=T0 + timedelta(hours=n),
    )


FIRST = article(
    1,
    "Harbor Wire",
    "By Jane Doe\n\n"
    "The Belkirk road bridge reopened on Friday, three months after floods tore away its eastern span. "
    "Engineers from the Kestrian Roads Agency rebuilt the span at a cost of 4.2 million crowns.\n\n"
    "Mayor Ana Lind said the town had waited too long for the crossing. "
    '"We will never again leave Belkirk cut off for a whole season," she said. '
    "Photo: Kestrian Roads Agency\n\n"
    "Read more: our full coverage of the Varna floods.\n\n"
    "It was the second time this year that the crossing had been closed for repairs.",
)
SECOND = article(
    2,
    "Meridian Post",
    "Traffic crossed the rebuilt Belkirk bridge on Friday for the first time since the September floods. "
    "The Kestrian Roads Agency said the new eastern span cost 4.2 million crowns. "
    "Lorries will be allowed across once load tests finish in March. "
    '"It is the best news this town has had all year," said shopkeeper Piet Varga, whose store faces the river.',
)
THIRD = article(
    3,
    "Civic Ledger",
    "The Belkirk bridge closed again on Sunday, two days after it reopened, when inspectors found cracks in "
    "a bearing of the new span. The Kestrian Roads Agency said the repair would take about a week. "
    "Drivers were sent back to the 40-kilometre detour through Kelvik.",
)


def test_boilerplate_bylines_and_credits_never_reach_the_writing() -> None:
    texts = [s.text for s in source_sentences([FIRST, SECOND])]
    assert texts and not any(t.startswith(("By ", "Photo", "Read more")) or "Read more" in t for t in texts)
    writing = write_extractive([FIRST, SECOND], EMBEDDER)
    published = " ".join(s.text for s in all_sentences(writing))
    assert "Jane Doe" not in published and "Read more" not in published and "Photo:" not in published


@pytest.mark.parametrize(
    ("sentence", "dropped"),
    [
        ("By Jane Doe and Piet Varga", True),
        ("Credit: Kestrian Roads Agency", True),
        ("Credit Doug Mills/The Belkirk Times", True),
        ("Subscribe to our newsletter for the latest updates.", True),
        ("By contrast, the western span needed no repairs at all.", False),
        ("By analysing the scans, engineers found the cracks in the bearing.", False),
        ("Credit card payments at the toll booth resume on Monday.", False),
        ("The agency has more than two million subscribers to its traffic alerts.", False),
        ("The design of the span is not copyrightable, the court ruled.", False),
        ("This story first appeared in the March issue of Belkirk Monthly.", True),
        ("Share your own thoughts on the reopening in the comments.", True),
        ("FILE - In this May 20, 2016, file photo, Mayor Ana Lind speaks at the Belkirk town hall.", True),
        ("Inspectors walk along the rebuilt span in Belkirk, Kestria, Friday, Nov. 20, 2026.", True),
        ("In this photo provided by the Kestrian Roads Agency, a lorry crosses the new span.", True),
        ("THE BRIDGE HAS FINALLY REOPENED AFTER THREE LONG MONTHS.", True),
        ("Watch the first lorry cross the bridge in the video above.", True),
        ("You can unsubscribe from the traffic alerts at any time.", True),
        ("Updated at 9:23 a.m. to correct the name of the engineer.", True),
        ("The span was rebuilt in Belkirk, Kestria, on Friday, the agency said.", False),
        ("NATO and the EU sent engineers to help rebuild the span.", False),
        ("Updated figures from the agency put the cost at 4.3 million crowns.", False),
    ],
)
def test_bylines_and_credits_are_told_from_sentences_that_open_alike(sentence: str, dropped: bool) -> None:
    assert is_boilerplate(sentence) is dropped


def test_page_furniture_glued_to_a_sentence_is_cut_off_and_the_sentence_kept() -> None:
    glued = article(
        11,
        "Meridian Post",
        "(Meridian Post)Traffic crossed the rebuilt Belkirk bridge on Friday for the first time in months.\n\n"
        "CLOSE The Kestrian Roads Agency said the new eastern span cost 4.2 million crowns.\n\n"
        "Image caption Lorries will be allowed across once load tests finish in March.\n\n"
        "CLOSE Skip in Skip x Embed x Share Mayor Ana Lind cut the ribbon at the eastern end of the span.\n\n"
        "(Harbor Wire) - Engineers will inspect the bearings again in the spring.\n\n"
        "Image Comics will publish a graphic novel about the floods next year.",
    )
    assert [s.text for s in source_sentences([glued])] == [
        "Traffic crossed the rebuilt Belkirk bridge on Friday for the first time in months.",
        "The Kestrian Roads Agency said the new eastern span cost 4.2 million crowns.",
        "Lorries will be allowed across once load tests finish in March.",
        "Mayor Ana Lind cut the ribbon at the eastern end of the span.",
        "Engineers will inspect the bearings again in the spring.",
        "Image Comics will publish a graphic novel about the floods next year.",  # a name, not furniture
    ]


def test_datelines_are_cut_wherever_a_piece_of_wire_copy_begins_and_teasers_cut_short_are_dropped() -> None:
    run_together = article(
        13,
        "Meridian Post",
        "Traffic crossed the rebuilt Belkirk bridge on Friday for the first time in months.\n\n"
        "BELKIRK, Kestria — The Kestrian Roads Agency said the new eastern span cost 4.2 million crowns.\n\n"
        "Orsk (AP) Lorries will be allowed across once load tests finish in March.\n\n"
        "Engineers say the rebuilt span could carry twice the old load, according to new ...",
    )
    assert [s.text for s in source_sentences([run_together])] == [
        "Traffic crossed the rebuilt Belkirk bridge on Friday for the first time in months.",
        "The Kestrian Roads Agency said the new eastern span cost 4.2 million crowns.",
        "Lorries will be allowed across once load tests finish in March.",
    ]


def test_pieces_of_a_longer_quotation_are_left_out() -> None:
    quoting = article(
        14,
        "Meridian Post",
        "Mayor Ana Lind spoke at the reopening of the Belkirk bridge on Friday morning. "
        "‘I’ve waited three months for this day, and so has the town. "
        "We’ll never let the town be cut off like that again.’ "
        "'The span is safe for every car in Kestria,' the agency's chief engineer said on Friday.",
    )
    texts = [s.text for s in source_sentences([quoting])]
    assert texts == [
        "Mayor Ana Lind spoke at the reopening of the Belkirk bridge on Friday morning.",
        "'The span is safe for every car in Kestria,' the agency's chief engineer said on Friday.",
    ]


def test_an_articles_lead_never_leans_back_though_it_opens_with_they() -> None:
    lead = article(
        12,
        "Meridian Post",
        "They waited three months, but the people of Belkirk crossed their bridge again on Friday. "
        "They were greeted by the mayor on the rebuilt eastern span.",
    )
    first, second = source_sentences([lead])
    assert not first.leans_back and second.leans_back
    scored = score_sentences([first, second], EMBEDDER)
    assert select_sentences(scored, Budget(sentences=1)) == [0]


def test_a_quote_keeps_its_words_and_names_its_speaker() -> None:
    texts = [s.text for s in source_sentences([FIRST])]
    assert '"We will never again leave Belkirk cut off for a whole season," [Mayor Ana Lind] said.' in texts
    named = next(s for s in source_sentences([FIRST]) if "[Mayor Ana Lind]" in s.text)
    assert named.original == '"We will never again leave Belkirk cut off for a whole season," she said.'


def test_a_quote_whose_speaker_is_unclear_is_left_out() -> None:
    two_speakers = article(
        9,
        "Harbor Wire",
        "Ana Lind said the bridge was safe, and Piet Varga said it was not. "
        '"Nobody should cross it before the spring inspection," he said.',
    )
    assert not any("Nobody should cross" in s.text for s in source_sentences([two_speakers]))
    to_a_listener = article(  # who was told is not who speaks
        10,
        "Harbor Wire",
        "The engineer told Belkirk Radio on Friday that the span was safe. "
        '"Nobody should cross it before the spring inspection," he said.',
    )
    assert not any("Nobody should cross" in s.text for s in source_sentences([to_a_listener]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # someone else is named between the speaker and the pronoun: unsure, left out
            'Harbor Bank chief Lene Voss said: "We will refund every customer." '
            "For market trader Ola Brisk, 52, whose savings sit at the bank, the news came late. "
            '"I checked my balance twice this morning," she said.',
            None,
        ),
        (  # a name after its role is a person's, and she is the nearer one
            'Harbor Bank chief Lene Voss said: "We will refund every customer." '
            "Finance minister Ola Brisk played the outage down. "
            '"I checked my balance twice this morning," she said.',
            None,
        ),
        (  # the party after "of" is not the speaker
            'Councillor Ivo Marr of Civic Renewal said the plan was late. "We warned them in March," he said.',
            '"We warned them in March," [Councillor Ivo Marr] said.',
        ),
        (  # a word that opens the sentence is not the first name
            'Union leader Ana Lind spoke first. But Lind says the strike goes on. "We are not done," she said.',
            '"We are not done," [Lind] said.',
        ),
        (  # a surname alone speaks when the article gave the full name earlier
            "Striker Jonas Ekberg scored late on Sunday. The crowd rose. "
            "Ekberg said it was the best goal of his life. "
            '"I just hit it," he said.',
            '"I just hit it," [Ekberg] said.',
        ),
        (  # the surname nearer the quote, with an age, is someone else's
            "Club chairman Edgar Thorn spoke first. Coach Bruno Serafin takes over on Monday. "
            "Thorn said the search for a permanent coach had begun. "
            'Serafin, 41, played for the club for six seasons. "This is my club," he said.',
            None,
        ),
        (  # a single word that was never a full name may be an agency, not a person
            'Kestrel said the talks had failed. "There is nothing left to discuss," he said.',
            None,
        ),
        (  # a speaker reported by someone unnamed: whose is the pronoun?
            '"We are brothers," Marek told Ivo, according to a spokesman for the two. '
            "Marek Halm had arrived that morning. "
            '"They prayed side by side," he said.',
            None,
        ),
        ('Ana Lind and Marek Halm met on Monday. Halm said talks went well. "We agree," she said.', None),
        ('Minister Ana Lind met Marek Halm. Lind told Halm the deal was off. "We cannot pay more," he said.', None),
        ('The Kestrel fund collapsed in May. Kestrel said the talks failed. "Nothing is left," he said.', None),
        ('Meanwhile Reuters said the talks had failed. "Nothing is left to discuss," he said.', None),
        ('Police said Marek Halm was arrested on Monday. "He never hurt anyone," she said.', None),
        ('Lawyers for Marek Halm said he was innocent. "He did nothing wrong," she said.', None),
        ('Harbor Bank said it would refund customers. "We are sorry," she said.', None),
        ('Ana Lind asked Marek Halm whether he would quit. "Never," he said.', None),
        ('According to a spokesman, Ana Lind said she was ill. "I need rest," she said.', None),
        ('Ana Lind said the talks had failed. Petra Voss disagreed. "We fight on," she said.', None),
        ('Ana Lind said Marek Halm had lied. "I never lied," he said.', None),
        ('Ana Lind lost. Lind\'s lawyer said the ruling was unfair. "We will appeal," he said.', None),
        ('Ana Lind said it was true. Halm, the finance minister, said it was false. "No," he said.', None),
        ('Mrs Lind said the shop would close. "It is over," he said.', None),
        ('Union leader Ana Lind spoke. Lind asked whether he would quit. "Never," he said.', None),
        ('Marek Halm said it was fair. Ana Müller said it was rigged. "It was stolen," she said.', None),
        ('Marek Halm said the fire began at night. His wife said she smelled smoke. "I woke him," she said.', None),
        ('Ana Lind said she was innocent. Her lawyer said the case was weak. "It will fail," he said.', None),
        ('Ana Lind said her husband Marek Lind was at home. "I was asleep," he said.', None),
        ('Ana Lind said it was rigged. "We will appeal," she said. "It is over," he said.', None),
        (
            'Ana Lind said it was rigged. "We will appeal," she said. "It is over," she said.',
            '"It is over," [Ana Lind] said.',
        ),
        ('DeShawn Smith said the team was ready. "We will win," he said.', '"We will win," [DeShawn Smith] said.'),
        ('Tonight Ana Lind said she would resign. "It is time," she said.', '"It is time," [Ana Lind] said.'),
        (  # a plain sentence between the speaker and the quote
            'Ana Lind said the count was late. The results came at midnight. "We waited," she said.',
            '"We waited," [Ana Lind] said.',
        ),
        (  # "confirmed" with a thing as its subject is no one speaking
            'Race director Piet Voss said the record confirmed the course\'s reputation. "It is fast," he said.',
            '"It is fast," [Piet Voss] said.',
        ),
        (
            'In Port Anselm Ana Lind said the port would reopen. "We fight on," she said.',
            '"We fight on," [Ana Lind] said.',
        ),
        (
            "Liam O'Neill, 41, runs the bakery. O'Neill said sales had halved. \"It is hard,\" he said.",
            '"It is hard," [O\'Neill] said.',
        ),
        (  # a body speaking beside a named person leaves the person as the speaker
            "Analysts said the airline needs money. Felix Norberg, an aviation analyst, said leases weigh on it. "
            '"It is the heaviest burden of any carrier its size," he said.',
            '"It is the heaviest burden of any carrier its size," [Felix Norberg] said.',
        ),
    ],
)
def test_a_pronoun_speaker_is_named_only_when_sure(text: str, expected: str | None) -> None:
    sentences = split_sentences(text)
    assert attribute_quote(sentences[-1], sentences[:-1]) == expected


def test_no_sentence_leans_on_one_that_is_not_just_before_it() -> None:
    writing = write_extractive([FIRST, SECOND, THIRD], EMBEDDER)
    parts = [writing.standfirst, *(sec.sentences for sec in writing.briefing)]
    for sentences in parts:
        for n, sentence in enumerate(sentences):
            if is_dangling(sentence.text):
                assert n > 0, sentence.text
                before = sentences[n - 1]
                assert before.article_ids[0] == sentence.article_ids[0], sentence.text
    scored = score_sentences(source_sentences([FIRST]), EMBEDDER)
    lone = [i for i, s in enumerate(scored.sentences) if s.text.startswith("It was the second")]
    assert lone and select_sentences(scored, Budget(sentences=3), allowed=frozenset(lone)) == []


def test_every_sentence_is_cited_and_the_briefing_has_its_parts() -> None:
    writing = write_extractive([FIRST, SECOND, THIRD], EMBEDDER)
    assert writing.briefing[0].heading == "Introduction"
    assert all(s.article_ids and set(s.article_ids) <= {"a1", "a2", "a3"} for s in all_sentences(writing))
    assert 40 <= len(writing.standfirst_text.split()) <= 90
    headings = [sec.heading for sec in writing.briefing]
    assert len(headings) == len(set(headings)) and "Other details" not in headings
    assert any("Lorries will be allowed" in s.text for s in all_sentences(writing))  # a forward-looking fact
    assert writing.article_ids == ("a1", "a2", "a3")


def test_selection_respects_sentence_and_word_budgets() -> None:
    scored = score_sentences(source_sentences([FIRST, SECOND, THIRD]), EMBEDDER)
    assert len(select_sentences(scored, Budget(sentences=2))) == 2
    chosen = select_sentences(scored, Budget(words=40))
    assert chosen and sum(scored.sentences[i].words for i in chosen) <= 40


def test_new_articles_bring_whats_new_and_keep_the_old_version(desk: Desk) -> None:
    store = desk.store
    for n, item in enumerate((FIRST, SECOND), start=1):
        vector = EMBEDDER.embed([item.text])[0]
        store.add_article(NewArticle(item, vector, EMBEDDER.name))
        store.assign_article(item.id, "s1", StoryCandidate("s1", vector, item.published, n, {}))
    assert write_stories(store, desk.settings, EMBEDDER) == 1
    first = store.get_story("s1").writing
    assert first is not None and first.whats_new == () and store.story_versions("s1") == []
    vector = EMBEDDER.embed([THIRD.text])[0]
    store.add_article(NewArticle(THIRD, vector, EMBEDDER.name))
    store.assign_article(THIRD.id, "s1", StoryCandidate("s1", vector, THIRD.published, 3, {}))
    write_stories(store, desk.settings, EMBEDDER)
    second = store.get_story("s1").writing
    assert second is not None and second.whats_new
    assert all(s.article_ids[0] == "a3" for s in second.whats_new)  # only what the new article adds
    assert any("closed again" in s.text or "cracks" in s.text for s in second.whats_new)
    versions = store.story_versions("s1")
    assert len(versions) == 1 and versions[0].writing == first


def test_story_page_shows_whats_new_and_earlier_versions(desk: Desk) -> None:
    from fastapi.testclient import TestClient

    from newsdesk.web.app import create_app

    test_new_articles_bring_whats_new_and_keep_the_old_version(desk)
    page = TestClient(create_app(desk)).get("/story/s1").text
    assert "What's new" in page and "Earlier versions (1)" in page
    assert 'href="#source-3"' in page  # the new article's citation links to the coverage list


@pytest.mark.parametrize("articles", [10])
def test_writing_a_ten_article_story_is_fast(articles: int) -> None:
    demo = Path(__file__).parent.parent / "src/newsdesk/demo/corpus"
    texts = [p.read_text() for p in sorted(demo.glob("*/*.txt"))][:articles]
    story = [article(n, f"Outlet {n}", text) for n, text in enumerate(texts)]
    write_extractive(story, EMBEDDER)  # warm up
    times = []
    for _ in range(3):
        started = time.perf_counter()
        write_extractive(story, EMBEDDER)
        times.append(time.perf_counter() - started)
    assert float(np.median(times)) < 0.4  # the target is 0.2 s; the margin absorbs a busy CI machine


@pytest.mark.parametrize(
    "sentences",
    [
        ["A translation is due next spring, and Ms. Calder will tour in January.", "Dr. Lind agreed.", "It ended."],
        ["The span was shut from Sept. 5 until the Nov. 12 inspection.", "It stands at No. 4 Quay Road.", "It ended."],
    ],
)
def test_a_title_before_a_name_or_an_abbreviation_before_a_number_ends_no_sentence(sentences: list[str]) -> None:
    assert split_sentences(" ".join(sentences)) == sentences


def test_a_question_to_the_reader_is_not_a_candidate() -> None:
    story = article(
        9,
        "Civic Ledger",
        "The Belkirk road bridge reopened on Friday after three months of repairs to its eastern span. "
        "So who will pay for the next flood defences on the river? "
        '"Will the lorries be allowed across before March?" asked one driver at the toll booth. '
        "The Kestrian Roads Agency said load tests would finish in March.",
    )
    texts = [s.text for s in source_sentences([story])]
    assert texts[0].startswith("The Belkirk road bridge") and texts[-1].startswith("The Kestrian Roads Agency")
    assert not any("flood defences" in t for t in texts)  # the question itself is left out
    assert any("asked one driver" in t for t in texts)  # a question someone asked is reported, not asked


def test_one_fact_told_by_two_outlets_in_other_words_is_published_once() -> None:
    tabloid = article(
        11,
        "Bulletin 24",
        "Harrow Rovers have sacked manager Oskar Brenn. "
        "Harrow Rovers pulled the plug on their manager on Monday, two days after a 4-0 home defeat. "
        "Fans had sung against him for weeks. "
        "The club said a new appointment would follow within a fortnight.",
        title="Rovers sack Brenn",
    )
    paper = article(
        12,
        "Meridian Post",
        "Harrow Rovers dismissed manager Oskar Brenn on Monday after a run of six league games without a win. "
        "Assistant coach Lia Moor will take charge of training until a successor is named. "
        "Brenn joined the club from Eastfield in the summer of 2024. "
        "Chairman Tobias Grell thanked him for his work in a short statement.",
        title="Harrow Rovers dismiss manager Oskar Brenn",
    )
    writing = write_extractive([tabloid, paper], EMBEDDER)
    said = [s.text for s in all_sentences(writing)]
    short, full = "Harrow Rovers have sacked manager Oskar Brenn.", paper.text.split(". ")[0] + "."
    assert (short in said) != (full in said), said  # the sacking is told once, in one outlet's words
    scored = score_sentences(source_sentences([tabloid, paper]), EMBEDDER)
    index = {s.text: i for i, s in enumerate(scored.sentences)}
    other = next(i for t, i in index.items() if t.startswith("Assistant coach"))
    assert repeats(scored, index[short], index[full]) and repeats(scored, index[full], index[short])
    assert not repeats(scored, index[full], other)
    # within one article a writer naming the same people again is telling something new
    own = score_sentences(source_sentences([paper]), EMBEDDER)
    assert not any(repeats(own, i, j) for i in range(len(own.sentences)) for j in range(i))


def test_sentences_sharing_only_names_or_a_few_words_are_not_repeats() -> None:
    first = article(
        31,
        "Harbor Wire",
        "Ana Lind won the Eastfield council vote on Sunday by a wide margin. "
        "Inflation rose to 4.5% in October, the statistics office said on Monday. "
        '"It is not over yet for us," Ana Lind said after the count.',
    )
    second = article(
        32,
        "Meridian Post",
        "Ana Lind will resign from Eastfield on Sunday, her aides said. "
        "Inflation rose to 5.4% in October, the statistics office said on Monday. "
        "Ana Lind thanked the voters of Eastfield in a short speech.",
    )
    scored = score_sentences(source_sentences([first, second]), EMBEDDER)

    def at(opening: str) -> int:
        return next(i for i, s in enumerate(scored.sentences) if s.text.startswith(opening))

    assert not repeats(scored, at("Ana Lind won"), at("Ana Lind will resign"))  # only names shared
    assert not repeats(scored, at('"It is not over'), at("Ana Lind thanked"))
    rates = [scored.content[at("Inflation rose to 4.5%")], scored.content[at("Inflation rose to 5.4%")]]
    assert "4.5" in rates[0] and "5.4" in rates[1] and not {"4", "5"} & (rates[0] | rates[1])

"""Section headings name their theme readably: a shared phrase or a name, taken from the section's own sentences."""

from __future__ import annotations

import re
from collections import defaultdict

from newsdesk.demo.corpus import OUTLETS, load_corpus
from newsdesk.stories.embed import get_embedder
from newsdesk.types import Article
from newsdesk.writing.headings import full_names, names, section_heading
from newsdesk.writing.writer import all_sentences, write_extractive

FIXED = {"Introduction", "Outlook", "Background"}
# Words that say when or how much, never what a section is about.
NOT_A_THEME = {"minute", "minutes", "hours", "nov", "march", "kilometres", "problem"}


def test_a_possessive_ends_a_name_and_a_lone_demonym_is_none() -> None:
    found = names("Officials said Kestria's Lake Varna rose as Kestrian crews and the Orsk-based firm helped.", set())
    assert found == ["Kestria", "Lake Varna", "Orsk"]


def test_a_heading_names_the_person_without_the_role_and_never_glues_name_and_word() -> None:
    texts = [
        "Dravian Foreign Minister Anna Lisk called the drills routine.",
        "Anna Lisk said the drills were routine and would end on Friday.",
    ]
    others = ["The defence ministry in Orsk said ships were watching.", "Fishing boats stayed in port."]
    assert section_heading(texts, others) == "Anna Lisk"
    shared_phrase = ["Velmora scored from a free kick.", "A free kick at Velmora gave them the lead."]
    assert section_heading(shared_phrase, others) == "Free kick"


def test_a_lone_surname_heading_is_completed_from_the_story_but_not_into_a_body_named_after_it() -> None:
    texts = ["Accepting the prize, Ms. Calder, 52, thanked her first readers.", "Calder, 52, has written four novels."]
    others = ["The judging panel met at the Old Exchange in Velmora.", "The jury chose from a shortlist of six."]
    story = [
        "Ines Calder was halfway through a glass of water when the winner was read out.",
        "Ines Calder, a novelist from Orsk, won the Aldonian Book Prize on Tuesday.",
        *texts,
        *others,
    ]
    assert section_heading(texts, others) == "Calder"  # the section alone never spells the first name out
    assert section_heading(texts, others, full_names(story)) == "Ines Calder"  # the story opens two sentences with it
    prices = ["Prices in Aldonia are rising at 5.1% a year.", "Aldonia's mark gained 0.4% within minutes."]
    bank = ["The Bank of Aldonia raised its main interest rate.", *prices, *others]
    assert section_heading(prices, others, full_names(bank)) == "Aldonia"  # a country, not the bank named after it


def test_every_demo_heading_reads_as_a_theme_of_its_section() -> None:
    events: dict[str, list[Article]] = defaultdict(list)
    for a in load_corpus():
        text = "\n\n".join(a.paragraphs)
        events[a.event].append(Article(a.path, a.path, None, OUTLETS[a.outlet][0], a.title, text, a.published))
    embedder = get_embedder("static")
    themed = 0
    for articles in events.values():
        writing = write_extractive(articles, embedder)
        sections = writing.briefing
        story = " ".join(s.text for s in all_sentences(writing)).lower()
        headings = [s.heading for s in sections if s.heading not in FIXED]
        for section in sections:
            if section.heading in FIXED:
                continue
            themed += 1
            heading = section.heading
            words = " ".join(s.text for s in section.sentences).lower()
            assert ":" not in heading and heading.lower() not in NOT_A_THEME, heading
            heading_words = re.findall(r"[\w\-]+", heading.lower())
            # its words come from the section ("Solberg" may be named in full from elsewhere in the story)
            assert any(w in words for w in heading_words) and all(w in story for w in heading_words), heading
            # one person or place is one section: never "Solberg" beside "Hanne Solberg"
            assert not any(o != heading and o.endswith(f" {heading}") for o in headings), headings
    assert themed >= 30

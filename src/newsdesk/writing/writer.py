"""Writers turn a story's articles into a Writing; the extractive writer is the faithful default."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from newsdesk.stories.embed import Embedder, normalise_rows
from newsdesk.types import Article, Section, Sentence, Writing
from newsdesk.writing.briefing import plan_briefing
from newsdesk.writing.sentences import carriers, score_sentences, source_sentences
from newsdesk.writing.standfirst import choose_standfirst


def choose_headline(articles: Sequence[Article], embedder: Embedder) -> str:
    """The outlet headline closest to what all the headlines have in common."""
    originals = [a for a in articles if not a.copy_of and a.title] or list(articles)
    if len(originals) <= 2:
        return originals[0].title
    vectors = embedder.embed([a.title for a in originals])
    centre = normalise_rows(vectors.mean(axis=0))
    return originals[int(np.argmax(vectors @ centre))].title


def write_extractive(
    articles: Sequence[Article], embedder: Embedder, min_words: int = 60, max_words: int = 90
) -> Writing:
    """Headline, standfirst and briefing made only of source sentences, each cited."""
    scored = score_sentences(source_sentences(articles), embedder)

    def cited(indices: list[int]) -> tuple[Sentence, ...]:
        return tuple(Sentence(scored.sentences[i].text, carriers(scored.sentences[i], articles)) for i in indices)

    standfirst = choose_standfirst(scored, min_words, max_words)
    sections = plan_briefing(scored, frozenset(standfirst))
    return Writing(
        headline=choose_headline(articles, embedder),
        standfirst=cited(standfirst),
        briefing=tuple(Section(heading, cited(indices)) for heading, indices in sections),
    )

"""Writers turn a story's articles into a Writing; the extractive writer is the faithful default."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from newsdesk.settings import Settings
from newsdesk.stories.embed import Embedder, normalise_rows
from newsdesk.types import Article, Section, Sentence, Writing
from newsdesk.writing.briefing import plan_briefing
from newsdesk.writing.select import Budget, ScoredSentences, score_sentences, select_sentences
from newsdesk.writing.sentences import carriers, source_sentences
from newsdesk.writing.standfirst import choose_standfirst

WHATS_NEW_BUDGET = Budget(sentences=2, words=60)


def in_writing_order(articles: Sequence[Article]) -> list[Article]:
    """Oldest first, ties by id: the writing depends on the articles, never on the order they arrive in."""
    return sorted(articles, key=lambda a: (a.published, a.id))


def choose_headline(articles: Sequence[Article], embedder: Embedder) -> str:
    """The outlet headline closest to what all the headlines have in common."""
    originals = [a for a in articles if not a.copy_of and a.title] or list(articles)
    if len(originals) <= 2:
        return originals[0].title
    vectors = embedder.embed([a.title for a in originals])
    centre = normalise_rows(vectors.mean(axis=0))
    return originals[int(np.argmax(vectors @ centre))].title


def all_sentences(writing: Writing) -> list[Sentence]:
    """Every sentence a writing publishes: standfirst, What's new, then the briefing."""
    return [*writing.standfirst, *writing.whats_new, *(s for sec in writing.briefing for s in sec.sentences)]


def whats_new(
    scored: ScoredSentences, articles: Sequence[Article], previous: Writing | None, embedder: Embedder
) -> list[int]:
    """Sentences of the articles that arrived since the previous writing that it did not already say."""
    if previous is None or not previous.article_ids:
        return []
    fresh = {a.id for a in articles if not a.copy_of} - set(previous.article_ids)
    if not fresh:
        return []
    said = embedder.embed([s.text for s in all_sentences(previous)])
    allowed = frozenset(
        i
        for i, s in enumerate(scored.sentences)
        if s.article_id in fresh
        and (len(said) == 0 or float(np.max(said @ scored.vectors[i])) <= scored.weights.same_meaning)
    )
    return select_sentences(scored, WHATS_NEW_BUDGET, allowed=allowed)


def write_extractive(
    articles: Sequence[Article],
    embedder: Embedder,
    min_words: int = 60,
    max_words: int = 90,
    previous: Writing | None = None,
) -> Writing:
    """Headline, standfirst, What's new and briefing made only of source sentences, each cited."""
    articles = in_writing_order(articles)
    scored = score_sentences(source_sentences(articles), embedder)

    def cited(indices: list[int]) -> tuple[Sentence, ...]:
        return tuple(Sentence(scored.sentences[i].text, carriers(scored.sentences[i], articles)) for i in indices)

    standfirst = choose_standfirst(scored, min_words, max_words)
    sections = plan_briefing(scored, frozenset(standfirst))
    return Writing(
        headline=choose_headline(articles, embedder),
        standfirst=cited(standfirst),
        briefing=tuple(Section(heading, cited(indices)) for heading, indices in sections),
        whats_new=cited(whats_new(scored, articles, previous, embedder)),
        article_ids=tuple(a.id for a in articles if not a.copy_of),
    )


def write_story(
    articles: Sequence[Article], embedder: Embedder, settings: Settings, previous: Writing | None = None
) -> Writing:
    """The configured writer's text: extractive, or the LLM's checked rewrite of it (extractive on failure)."""
    writing = write_extractive(
        articles, embedder, settings.standfirst_min_words, settings.standfirst_max_words, previous
    )
    if settings.writer != "llm":
        return writing
    from newsdesk.writing.llm import rewrite  # only loaded when the LLM writer is configured

    return rewrite(writing, articles, embedder, settings)[0]

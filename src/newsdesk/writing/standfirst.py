"""The standfirst: 60-90 words of the sentences that best represent the whole story, across outlets."""

from __future__ import annotations

from newsdesk.writing.select import Budget, ScoredSentences, select_sentences


def choose_standfirst(scored: ScoredSentences, min_words: int, max_words: int) -> list[int]:
    """Indices of the standfirst's sentences, in reading order (the selection `newsdesk eval` measures)."""
    return select_sentences(scored, Budget(words=max_words, min_words=min_words))

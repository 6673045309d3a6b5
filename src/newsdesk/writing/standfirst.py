"""The standfirst: 60-90 words of the sentences that best represent the whole story."""

from __future__ import annotations

import numpy as np

from newsdesk.writing.sentences import ScoredSentences, is_dangling

REDUNDANT = 0.8  # sentences closer than this to one already chosen say the same thing


def pick_diverse(
    scored: ScoredSentences,
    *,
    max_words: int,
    min_words: int = 0,
    max_sentences: int = 99,
    exclude: frozenset[int] = frozenset(),
    allowed: frozenset[int] | None = None,
    penalty: float = 0.5,
) -> list[int]:
    """Greedy maximal-marginal-relevance choice of sentence indices within a word budget."""
    chosen: list[int] = []
    words = 0
    pool = [i for i in range(len(scored.sentences)) if i not in exclude and (allowed is None or i in allowed)]
    while pool and len(chosen) < max_sentences and (words < min_words or min_words == 0):
        best, best_value = -1, -np.inf
        for i in pool:
            sentence = scored.sentences[i]
            if words + sentence.words > max_words or (not chosen and is_dangling(sentence.text)):
                continue
            overlap = max((float(scored.vectors[i] @ scored.vectors[j]) for j in chosen), default=0.0)
            if overlap > REDUNDANT or _overlaps_excluded(scored, i, exclude):
                continue
            value = float(scored.scores[i]) - penalty * overlap
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        chosen.append(best)
        words += scored.sentences[best].words
        pool.remove(best)
    return chosen


def _overlaps_excluded(scored: ScoredSentences, i: int, exclude: frozenset[int]) -> bool:
    return any(float(scored.vectors[i] @ scored.vectors[j]) > REDUNDANT for j in exclude)


def reading_order(scored: ScoredSentences, indices: list[int]) -> list[int]:
    """Chosen sentences in a readable order: lead material first, then by rank of choice."""
    rank = {i: r for r, i in enumerate(indices)}
    return sorted(indices, key=lambda i: (min(scored.sentences[i].position, 2), rank[i]))


def choose_standfirst(scored: ScoredSentences, min_words: int, max_words: int) -> list[int]:
    """Indices of the standfirst's sentences, in reading order."""
    chosen = pick_diverse(scored, min_words=min_words, max_words=max_words)
    return reading_order(scored, chosen)

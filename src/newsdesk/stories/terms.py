"""Lexical evidence for clustering: term counts of an article and TF-IDF cosine with document frequencies
that grow with the stream (online IDF, as in Miranda et al. 2018)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from operator import mul

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*[a-z0-9]|[a-z0-9]")
# A stream starts knowing nothing: as if it had already seen this many documents without the term, so the
# first articles are not compared on document frequencies of a handful of texts (cold start).
PRIOR_DOCS = 0
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"said", "says", "say", "told", "according", "year", "years", "new"}


@lru_cache(maxsize=2048)
def article_terms(title: str, text: str, lead_words: int = 400) -> Mapping[str, int]:
    """Term counts of an article: title terms count twice, then the first words of the text.

    Shared, never to be changed: a refresh counts the terms of its new articles when storing them and again
    when placing them in stories, and the counts of the last couple of thousand articles are kept for that."""
    words = " ".join(text.split(None, lead_words)[:lead_words])  # the rest stays one string: never split
    counts: Counter[str] = Counter()
    for chunk, weight in ((title, 2), (words, 1)):
        for token in _TOKEN.findall(chunk.lower()):
            token = token.replace("'s", "")
            if len(token) > 1 and token not in _STOP:
                counts[token] += weight
    return counts


def tfidf(counts: Mapping[str, float], df: Mapping[str, int], n_docs: int, keep: int = 0) -> dict[str, float]:
    """Unit-length sublinear TF-IDF weights; unseen terms get the highest IDF. With `keep`, only that many of
    the heaviest terms stay (the tail of common words adds cost and noise, not evidence)."""
    weights = {
        t: (1.0 + math.log(c)) * math.log((n_docs + PRIOR_DOCS + 1) / (df.get(t, 0) + 1)) + 1e-9
        for t, c in counts.items()
        if c > 0
    }
    if keep and len(weights) > keep:
        weights = {t: weights[t] for t in sorted(weights, key=lambda t: (-weights[t], t))[:keep]}
    return unit_length(weights)


def length(weights: Mapping[str, float]) -> float:
    """Euclidean length of sparse weights."""
    values = weights.values()
    return math.sqrt(sum(map(mul, values, values)))


def unit_length(weights: Mapping[str, float]) -> dict[str, float]:
    """Sparse weights scaled to unit length (all zero stays all zero)."""
    norm = length(weights) or 1.0
    return {t: w / norm for t, w in weights.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two unit-length sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    # only the shared terms, in the smaller vector's order (the sum rounds as it did over all of them), and
    # iterated by filter and map rather than a generator: this runs for every candidate story of every article
    shared = list(filter(b.__contains__, a))
    return sum(map(mul, map(a.__getitem__, shared), map(b.__getitem__, shared)), 0.0)


def keywords(weights: Mapping[str, float], count: int = 10) -> list[str]:
    """An article's most distinctive terms (highest TF-IDF weight), for the keyword index."""
    return sorted(weights, key=lambda t: (-weights[t], t))[:count]

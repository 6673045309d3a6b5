"""ROUGE for summaries, and the baselines every summary is compared with in the same run.

Baselines are hand-written on purpose: sumy's English tokenizer needs NLTK data that cannot be installed
here, and TextRank/LexRank are a few lines of numpy over the same sentences our writer sees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import numpy as np
from rouge_score import rouge_scorer

from newsdesk.evaluate import tfidf_rows

ROUGE_KEYS = ("rouge1", "rouge2", "rougeLsum")

# A baseline ranks every sentence of the documents: list of (document index, sentence) -> ranked indices.
Ranker = Callable[[list[tuple[int, int, str]]], list[int]]


class RougeTotals:
    """Running ROUGE F1 means (rouge-score, Porter stemming; Lsum over newline-separated sentences)."""

    def __init__(self) -> None:
        self._scorer = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
        self._sums = dict.fromkeys(ROUGE_KEYS, 0.0)
        self.items = 0

    def add(self, reference_sentences: Sequence[str], summary_sentences: Sequence[str]) -> None:
        """Score one summary against its reference, both given as sentences."""
        scores = self._scorer.score("\n".join(reference_sentences), "\n".join(summary_sentences))
        for key in ROUGE_KEYS:
            self._sums[key] += scores[key].fmeasure
        self.items += 1

    def means(self) -> dict[str, float]:
        """Mean F1 per ROUGE variant, fractions in [0, 1]."""
        return {key: round(total / max(1, self.items), 4) for key, total in self._sums.items()}


def fill_budget(
    ranked: Sequence[int],
    lengths: Sequence[int],
    max_sentences: int | None,
    max_words: int | None,
    min_words: int = 0,
) -> list[int]:
    """Take ranked sentences while they fit: at most max_sentences, at most max_words in total, and
    (like the writer's budget) no more once min_words are taken."""
    chosen: list[int] = []
    words = 0
    for i in ranked:
        if max_sentences is not None and len(chosen) >= max_sentences:
            break
        if min_words and words >= min_words:
            break
        if max_words is not None and words + lengths[i] > max_words:
            continue
        chosen.append(i)
        words += lengths[i]
    return chosen


def lead_order(sentences: list[tuple[int, int, str]]) -> list[int]:
    """Lead: first sentences first, round-robin across documents (first of each, then second of each...)."""
    return sorted(range(len(sentences)), key=lambda i: (sentences[i][1], sentences[i][0]))


def _pagerank(weights: np.ndarray, damping: float = 0.85, steps: int = 60) -> np.ndarray:
    n = len(weights)
    rows = weights.sum(axis=1, keepdims=True)
    transition = np.where(rows > 0, weights / np.where(rows == 0, 1, rows), 1.0 / max(n, 1))
    rank = np.full(n, 1.0 / max(n, 1))
    for _ in range(steps):
        rank = (1 - damping) / n + damping * transition.T @ rank
    return rank


def textrank_order(sentences: list[tuple[int, int, str]]) -> list[int]:
    """TextRank (Mihalcea & Tarau 2004): PageRank over word-overlap similarity normalised by log lengths."""
    words = [set(re.findall(r"\w+", s.lower())) for _, _, s in sentences]
    n = len(sentences)
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if len(words[i]) > 1 and len(words[j]) > 1:
                shared = len(words[i] & words[j]) / (math.log(len(words[i])) + math.log(len(words[j])))
                weights[i, j] = weights[j, i] = shared
    return list(np.argsort(-_pagerank(weights), kind="stable")) if n else []


def lexrank_order(sentences: list[tuple[int, int, str]], threshold: float = 0.1) -> list[int]:
    """LexRank (Erkan & Radev 2004): PageRank over the TF-IDF cosine graph cut at a threshold."""
    if not sentences:
        return []
    tfidf = tfidf_rows([s for _, _, s in sentences])  # all zero without words: a uniform rank, in order
    weights = ((tfidf @ tfidf.T).toarray() > threshold).astype(float)
    return list(np.argsort(-_pagerank(weights), kind="stable"))


BASELINES: dict[str, Ranker] = {"lead": lead_order, "textrank": textrank_order, "lexrank": lexrank_order}

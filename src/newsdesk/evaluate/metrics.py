"""Clustering metrics: pairwise precision/recall/F1 from the contingency table, and BCubed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> dict[str, float]:
    """Each pair of documents counted once; a true positive shares both the gold and the predicted cluster."""
    cells = Counter(zip(gold, predicted, strict=True))
    true_pairs = sum(_pairs(n) for n in cells.values())
    predicted_pairs = sum(_pairs(n) for n in Counter(predicted).values())
    gold_pairs = sum(_pairs(n) for n in Counter(gold).values())
    precision = true_pairs / predicted_pairs if predicted_pairs else 1.0
    recall = true_pairs / gold_pairs if gold_pairs else 1.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def bcubed(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> dict[str, float]:
    """Average over documents of the share of their predicted (gold) cluster that is right."""
    cells = Counter(zip(gold, predicted, strict=True))
    gold_sizes, predicted_sizes = Counter(gold), Counter(predicted)
    n = len(gold)
    if n == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    # every document in cell (g, p) shares cells[(g, p)] documents with both its clusters
    precision = sum(count * count / predicted_sizes[p] for (g, p), count in cells.items()) / n
    recall = sum(count * count / gold_sizes[g] for (g, p), count in cells.items()) / n
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}

"""Splitting a story that turns out to be two: the articles of one story, divided in the two groups that
average-link clustering (scipy) finds, are two stories when the groups are far apart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from newsdesk.stories.terms import cosine


def wording_matrix(weights: Sequence[Mapping[str, float]]) -> np.ndarray:
    """TF-IDF cosine of every pair of articles (unit weights), ones on the diagonal."""
    n = len(weights)
    matrix = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            matrix[i, j] = matrix[j, i] = cosine(weights[i], weights[j])
    return matrix


def halves(similarity: np.ndarray) -> tuple[list[int], list[int], float]:
    """The two groups average-link clustering leaves last, and the mean similarity between them."""
    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    labels = fcluster(linkage(squareform(distance, checks=False), "average"), 2, "maxclust")
    first = [i for i, label in enumerate(labels) if label == labels[0]]
    second = [i for i, label in enumerate(labels) if label != labels[0]]
    between = float(similarity[np.ix_(first, second)].mean()) if second else 1.0
    return first, second, between

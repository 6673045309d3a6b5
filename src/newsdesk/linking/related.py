"""Related stories: ranked by meaning, never the story itself."""

from __future__ import annotations

import numpy as np

from newsdesk.types import RelatedStory


def related_stories(
    story_id: str,
    centroids: dict[str, np.ndarray],
    topics: dict[str, str],
    count: int,
    min_score: float = 0.2,
) -> list[RelatedStory]:
    """Up to `count` other stories closest in meaning, each labelled."""
    if story_id not in centroids:
        return []
    ids = [i for i in centroids if i != story_id]
    if not ids:
        return []
    matrix = np.stack([centroids[i] for i in ids])
    scores = matrix @ centroids[story_id]
    order = np.argsort(-scores)[:count]
    topic = topics.get(story_id, "")
    found = []
    for j in order:
        if scores[j] < min_score:
            break
        other = ids[int(j)]
        label = "same topic" if topic and topics.get(other) == topic else "related"
        found.append(RelatedStory(story_id=other, score=round(float(scores[j]), 4), label=label))
    return found

"""Related stories: ranked by meaning, shared entities, topic and recency; never the story itself nor
two stories of one event; diverse (maximal marginal relevance); each labelled with why it is there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from newsdesk.linking.entities import ORGANISATION, PERSON, PLACE
from newsdesk.linking.profile import StoryProfile
from newsdesk.linking.scoring import Scorer
from newsdesk.types import RelatedStory

TOPIC_BONUS = 0.05  # same section nudges a story up
RECENCY_DAYS = 7.0  # a story this many days away counts about 0.8 of one the same day
MIN_RELEVANCE = 0.15  # below this a story is not related, even to fill the list
DIVERSITY = 0.25  # share of redundancy with stories already picked (MMR's 1 - lambda)
NEIGHBOUR_SCORE = MIN_RELEVANCE - TOPIC_BONUS  # a changed story this close may enter another's list
FOLLOW_UP_SCORE = 0.4  # this close and sharing a person or organisation: one thread of events


@dataclass(frozen=True)
class RelatedList:
    """A story's related list and what computing it found."""

    related: tuple[RelatedStory, ...]  # ranked, labelled
    same_event: tuple[str, ...]  # stories that look like this one's event, left out (for the story engine)


def relevance(scorer: Scorer, i: int, scores: np.ndarray) -> np.ndarray:
    """Score of every story as a related item of story i: closeness, then topic and recency."""
    story = scorer.profiles[i]
    started, updated = scorer.times()
    # time_gap for every story at once: the time between the two spans (zero when they overlap); unknown = 0
    gap = np.maximum(np.maximum(started, started[i]) - np.minimum(updated, updated[i]), 0.0)
    days = np.nan_to_num(gap / 86400, nan=0.0)
    out = np.asarray(scores, dtype=float) * (0.7 + 0.3 * np.exp(-days / RECENCY_DAYS))
    if story.topic:
        out += TOPIC_BONUS * (scorer.topics() == story.topic)
    return out


def label(story: StoryProfile, other: StoryProfile, score: float) -> tuple[str, tuple[str, ...]]:
    """Why `other` is related to `story`, and the shared names that say so."""
    theirs = {e.entity.slug: e for e in other.entities}
    shared = [e.entity for e in story.entities if e.entity.slug in theirs]
    actors = [e for e in shared if e.kind in (PERSON, ORGANISATION)]
    if actors and score >= FOLLOW_UP_SCORE and story.started and other.started:
        kind = "follow-up" if other.started > story.started else "background"
        return kind, tuple(e.name for e in actors[:3])
    for kind, name in ((PERSON, "same people"), (PLACE, "same place"), (ORGANISATION, "same organisation")):
        names = tuple(e.name for e in shared if e.kind == kind)
        if names:
            return name, names[:3]
    if story.topic and story.topic == other.topic:
        return "same topic", ()
    return "related", ()


def related_stories(scorer: Scorer, story_id: str, count: int) -> RelatedList:
    """Up to `count` related stories of one story, chosen by maximal marginal relevance."""
    i = scorer.index.get(story_id)
    if i is None or count <= 0:
        return RelatedList((), ())
    scores = scorer.scores(i)
    wanted = relevance(scorer, i, scores)
    same_event = [j for j in range(len(scores)) if j != i and scorer.same_event(i, j, float(scores[j]))]
    pool = [j for j in np.argsort(-wanted) if j != i and j not in same_event and wanted[j] >= MIN_RELEVANCE]
    chosen: list[int] = []
    redundancy = {int(j): 0.0 for j in pool}
    while pool and len(chosen) < count:
        best = max(pool, key=lambda j: (1 - DIVERSITY) * wanted[j] - DIVERSITY * redundancy[int(j)])
        pool.remove(best)
        chosen.append(int(best))
        between = scorer.scores(int(best))
        # a story of the same event as one already listed would show the reader that event twice
        pool = [j for j in pool if not scorer.same_event(int(best), int(j), float(between[j]))]
        for j in pool:
            redundancy[int(j)] = max(redundancy[int(j)], float(between[j]))
    story = scorer.profiles[i]
    related = []
    for j in chosen:
        why, via = label(story, scorer.profiles[j], float(scores[j]))
        related.append(RelatedStory(scorer.profiles[j].story_id, round(float(wanted[j]), 4), why, via))
    return RelatedList(tuple(related), tuple(scorer.profiles[j].story_id for j in same_event))

"""A story's topic (section): what its outlets filed it under when they say, else the section whose
description its lead is closest to in meaning (no labelled training set needed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from newsdesk.stories.embed import Embedder
from newsdesk.types import Article

TOPICS = ("World", "Politics", "Business", "Technology", "Science", "Health", "Sports", "Culture")
_ALIASES = {
    "sport": "Sports",
    "entertainment": "Culture",
    "arts": "Culture",
    "tech": "Technology",
    "economy": "Business",
    "markets": "Business",
    "money": "Business",
    "environment": "Science",
}
# each section described by short phrases, embedded once per process; a story goes to the section whose
# phrases are, together, closest to it (a soft vote: exp(SHARPNESS * cosine) summed over the phrases)
PROTOTYPES = {
    "World": "diplomacy between countries, foreign leaders, wars, military drills, border tensions, alliances, "
    "natural disasters, floods and storms, refugees, international summits",
    "Politics": "elections, votes, parliament, the government, ministers, political parties, campaigns, "
    "presidents, chancellors, confidence votes, coalitions, new laws, public policy",
    "Business": "companies, stock markets and shares, interest rates, the central bank, inflation, trade deals, "
    "takeovers and mergers, strikes, bankruptcies, jobs, profits, prices",
    "Technology": "software and apps, chips and semiconductors, artificial intelligence, data breaches, hackers, "
    "electric cars, gadgets, tech companies, new devices",
    "Science": "scientists and researchers, space missions, rocket launches, new species, climate research, "
    "experiments, studies in journals, discoveries, expeditions",
    "Health": "medicine, hospitals, doctors, vaccines, clinical trials, diseases, patients, public health, "
    "drugs and treatments",
    "Sports": "football matches, cup finals, clubs, coaches, players, goals and scores, marathons, athletes, "
    "tennis, championships, records, retirements from sport",
    "Culture": "films, film festivals, music, bands, concerts, tours, books, literary prizes, museums, art, "
    "theatre, television, celebrities",
}
SHARPNESS = 10.0  # how much the nearest phrases count over the rest


def normalise_topic(label: str) -> str:
    """One of TOPICS for an outlet's label, or "" when it maps to none."""
    key = label.strip().lower()
    for topic in TOPICS:
        if key == topic.lower():
            return topic
    return _ALIASES.get(key, "")


def story_topic(articles: Sequence[Article]) -> str:
    """The topic most of the story's articles were filed under ("" when no outlet says)."""
    votes = Counter(t for t in (normalise_topic(a.section) for a in articles) if t)
    return votes.most_common(1)[0][0] if votes else ""


_PHRASES = [(i, p.strip()) for i, t in enumerate(TOPICS) for p in PROTOTYPES[t].split(",")]
_OWNER = np.array([i for i, _ in _PHRASES])  # each phrase's section, as an index into TOPICS
_embedded: dict[str, np.ndarray] = {}  # embedder name -> phrase embeddings, computed once per process


def _phrases(embedder: Embedder) -> tuple[np.ndarray, np.ndarray]:
    """Phrase embeddings and, for each, the index of its section in TOPICS."""
    if embedder.name not in _embedded:
        _embedded[embedder.name] = embedder.embed([p for _, p in _PHRASES])
    return _embedded[embedder.name], _OWNER


def nearest_topic(vector: np.ndarray, embedder: Embedder) -> str:
    """The section whose phrases are closest in meaning to a story's embedding."""
    matrix, owner = _phrases(embedder)
    votes = np.bincount(owner, weights=np.exp(SHARPNESS * (matrix @ vector)), minlength=len(TOPICS))
    return TOPICS[int(np.argmax(votes))]


def assign_topic(articles: Sequence[Article], vector: np.ndarray, embedder: Embedder) -> str:
    """The outlets' own sections when present, else the nearest section by meaning."""
    return story_topic(articles) or nearest_topic(vector, embedder)

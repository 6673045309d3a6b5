"""A story's link profile (store.base.StoryProfile): what the related-story scorer compares (meaning
of the leads and of the whole texts, wording, entities), built from its articles only when they change."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from newsdesk.linking.entities import find_mentions, lead_text, story_entities
from newsdesk.store.base import StoryProfile
from newsdesk.stories.embed import Embedder, normalise_rows
from newsdesk.stories.terms import article_terms
from newsdesk.types import Article, Entity

PROFILE_ARTICLES = 8  # articles read per story: the first outlets define the event, more add little but time
LEAD_WORDS = 80  # the lead: headline and about the first paragraph
CHUNK_WORDS = 190  # about the 256 word pieces MiniLM reads at once
WHOLE_CHUNKS = 4  # the whole text is read in at most this many chunks (760 words: most news articles)


def article_lead(article: Article) -> str:
    """Headline and the first words: what an article is about."""
    words = article.text.split()[:LEAD_WORDS]
    return f"{article.title}. {' '.join(words)}" if article.title else " ".join(words)


def article_chunks(article: Article) -> list[str]:
    """The text in chunks of equal length the embedder reads whole, the headline opening the first."""
    words = article.text.split()
    count = max(1, min(WHOLE_CHUNKS, math.ceil(len(words) / CHUNK_WORDS)))
    words = words[: count * CHUNK_WORDS]
    size = max(1, math.ceil(len(words) / count))  # equal chunks: no short tail weighing as much as the rest
    chunks = [" ".join(words[start : start + size]) for start in range(0, len(words), size)] or [""]
    chunks[0] = f"{article.title}. {chunks[0]}" if article.title else chunks[0]
    return chunks


def embed_wholes(articles: Sequence[Article], embedder: Embedder) -> np.ndarray:
    """One vector per article for its whole text: the mean of its chunks' embeddings, unit length."""
    if not articles:
        return embedder.embed([])
    chunked = [article_chunks(a) for a in articles]
    vectors = embedder.embed([chunk for chunks in chunked for chunk in chunks])
    ends = np.cumsum([len(chunks) for chunks in chunked])[:-1]
    return normalise_rows(np.stack([part.mean(axis=0) for part in np.split(vectors, ends)]))


def profile_articles(articles: Sequence[Article]) -> list[Article]:
    """The originals a profile is built from: the first few by publication."""
    originals = [a for a in articles if not a.copy_of] or list(articles)
    return sorted(originals, key=lambda a: (a.published, a.id))[:PROFILE_ARTICLES]


def build_profiles(
    stories: Mapping[str, Sequence[Article]],
    embedder: Embedder,
    known_people: Mapping[str, Entity] | None = None,
) -> list[StoryProfile]:
    """Profiles of many stories at once (one embedding batch, one NER pass); topic is left to the caller."""
    chosen = {story_id: profile_articles(articles) for story_id, articles in stories.items()}
    flat = [a for articles in chosen.values() for a in articles]
    leads = embedder.embed([article_lead(a) for a in flat])
    wholes = embed_wholes(flat, embedder)
    profiles = []
    start = 0
    for story_id, articles in chosen.items():
        end = start + len(articles)
        terms: Counter[str] = Counter()
        for article in articles:
            terms.update(article_terms(article.title, lead_text(article.text)))
        times = [a.published for a in stories[story_id]]
        profiles.append(
            StoryProfile(
                story_id=story_id,
                article_count=len(stories[story_id]),
                lead=normalise_rows(leads[start:end].sum(axis=0)),
                whole=normalise_rows(wholes[start:end].sum(axis=0)),
                terms=dict(terms),
                entities=tuple(story_entities(find_mentions(articles), known_people)),
                started=min(times, default=None),
                updated=max(times, default=None),
            )
        )
        start = end
    return profiles


def with_topic(profile: StoryProfile, topic: str) -> StoryProfile:
    """The profile with its topic set."""
    return replace(profile, topic=topic)


def lead_matrix(profiles: Sequence[StoryProfile]) -> np.ndarray:
    """Lead embeddings as rows."""
    return np.stack([p.lead for p in profiles]) if profiles else np.zeros((0, 0), dtype=np.float32)


def whole_matrix(profiles: Sequence[StoryProfile]) -> np.ndarray:
    """Whole-text embeddings as rows."""
    return np.stack([p.whole for p in profiles]) if profiles else np.zeros((0, 0), dtype=np.float32)

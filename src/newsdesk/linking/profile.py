"""A story's link profile (store.base.StoryProfile): what the related-story scorer compares (meaning
of the leads and of the whole texts, wording, entities), built from its articles only when they change."""

from __future__ import annotations

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


def article_lead(article: Article) -> str:
    """Headline and the first words: what an article is about."""
    words = article.text.split()[:LEAD_WORDS]
    return f"{article.title}. {' '.join(words)}" if article.title else " ".join(words)


def article_whole(article: Article) -> str:
    """Headline and text (the embedder reads what fits)."""
    return f"{article.title}. {article.text}" if article.title else article.text


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
    wholes = embedder.embed([article_whole(a) for a in flat])
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

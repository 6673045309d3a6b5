"""Where the stages meet storage: fetch -> parse -> extract -> dedupe -> embed -> cluster -> write -> link.

Every step is idempotent and commits as it goes, so a crash loses nothing already stored and a re-run
picks up where the last one stopped (articles without a story, stories not yet written).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from newsdesk.ingest.poll import poll_sources
from newsdesk.linking.related import related_stories
from newsdesk.linking.topics import story_topic
from newsdesk.settings import Settings
from newsdesk.store.base import Store
from newsdesk.stories.cluster import ClusterParams, assign, combine, find_merge
from newsdesk.stories.dedupe import content_hash
from newsdesk.stories.embed import Embedder, article_text_for_embedding
from newsdesk.stories.terms import article_terms
from newsdesk.types import Article, RefreshReport, Source
from newsdesk.writing.writer import write_extractive

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def due_sources(store: Store, settings: Settings, at: datetime) -> list[Source]:
    """Enabled sources whose next attempt has come (a source never tried is due at once)."""
    return [s for s in store.list_sources() if not s.disabled and (s.next_attempt_at or at) <= at]


def store_articles(store: Store, embedder: Embedder, articles: list[Article]) -> tuple[int, int]:
    """Embed and store new articles, marking exact copies of stored ones; returns (stored, copies)."""
    articles = [replace(a, content_hash=content_hash(a.text)) for a in articles]
    vectors = embedder.embed([article_text_for_embedding(a.title, a.text) for a in articles])
    stored = copies = 0
    for article, vector in zip(articles, vectors, strict=True):
        original = store.find_original(article.content_hash)
        if original is not None and original.id != article.id:
            article = _as_copy(article, original)
        added = store.add_article(article, vector, embedder.name, article_terms(article.title, article.text))
        stored += added
        copies += added and article.copy_of is not None
    return stored, copies


def _as_copy(article: Article, original: Article) -> Article:
    return replace(article, copy_of=original.id)


def cluster_params(settings: Settings, embedder: Embedder) -> ClusterParams:
    """The story engine's knobs from settings and the embedder."""
    return ClusterParams(
        threshold=settings.cluster_threshold,
        lexical_weight=settings.cluster_lexical_weight,
        merge_threshold=settings.cluster_merge_threshold,
        window=timedelta(hours=settings.cluster_window_hours),
        meaning_floor=embedder.unrelated_cosine,
    )


def assign_stories(store: Store, settings: Settings, embedder: Embedder) -> set[str]:
    """Put every article without a story into one; returns the stories that changed."""
    touched: set[str] = set()
    params = cluster_params(settings, embedder)
    pending = store.unassigned_articles()
    originals = [a for a in pending if not a.copy_of]
    vectors = store.vectors([a.id for a in originals])
    for article in originals:
        vector = vectors.get(article.id)
        if vector is None:
            continue
        terms = article_terms(article.title, article.text)
        df, n_docs = store.document_frequencies(terms)
        candidates = store.story_candidates(article.published - params.window)
        decision = assign(article.id, vector, terms, article.published, candidates, df, n_docs, params)
        store.assign_article(article.id, decision.story.story_id, decision.story)
        touched.add(decision.story.story_id)
    touched = merge_stories(store, touched, params)
    for article in (a for a in pending if a.copy_of):
        original = store.get_article(article.copy_of or "")
        if original.story_id is None:
            continue
        story = store.story_state(original.story_id)
        store.assign_article(article.id, story.story_id, story)
        touched.add(story.story_id)
    return touched


def merge_stories(store: Store, touched: set[str], params: ClusterParams) -> set[str]:
    """Merge each changed story into an older, larger one it turns out to be part of; returns live ids."""
    live = set(touched)
    for story_id in sorted(touched):
        if story_id not in live:
            continue
        story = store.story_state(story_id)
        df, n_docs = store.document_frequencies(story.terms)
        other = find_merge(story, store.story_candidates(story.updated_at - params.window), df, n_docs, params)
        if other is None:
            continue
        # the larger story survives (older on ties), so the URL readers already have keeps working
        keep, gone = (other, story) if (other.size, story.story_id) >= (story.size, other.story_id) else (story, other)
        store.merge_stories(gone.story_id, combine(keep, gone))
        live.discard(gone.story_id)
        live.add(keep.story_id)
    return live


def write_stories(store: Store, settings: Settings, embedder: Embedder, progress: Progress = _quiet) -> int:
    """Write every story whose articles changed; returns how many were written."""
    dirty = store.dirty_stories()
    for number, story_id in enumerate(dirty, start=1):
        articles = store.articles_of_story(story_id)
        writing = write_extractive(articles, embedder, settings.standfirst_min_words, settings.standfirst_max_words)
        store.save_writing(story_id, writing, story_topic(articles))
        if number % 10 == 0 or number == len(dirty):
            progress(f"wrote {number}/{len(dirty)} stories")
    return len(dirty)


def link_stories(store: Store, settings: Settings) -> None:
    """Recompute every story's related list."""
    centroids = store.all_story_centroids()
    topics = {s.id: s.topic for s in store.list_stories(limit=len(centroids) or 1)}
    for story_id in centroids:
        store.save_related(story_id, related_stories(story_id, centroids, topics, settings.related_count))


def refresh(store: Store, settings: Settings, embedder: Embedder, progress: Progress = _quiet) -> RefreshReport:
    """One pass: every due source (polled concurrently), then stories, writing and links for what changed."""
    started = time.perf_counter()
    sources = due_sources(store, settings, now())
    results = poll_sources(store, settings, sources, lambda new: store_articles(store, embedder, new), progress, now())
    touched = assign_stories(store, settings, embedder)
    written = write_stories(store, settings, embedder, progress)
    if written:
        link_stories(store, settings)
    return RefreshReport(
        sources=len(sources),
        failed=tuple((r.source.url, r.error) for r in results if r.error),
        new_articles=sum(r.stored for r in results),
        copies=sum(r.copies for r in results),
        stories_touched=len(touched),
        seconds=time.perf_counter() - started,
    )


def seconds_until_due(store: Store, at: datetime) -> float | None:
    """Seconds until the next enabled source is due (0 when one is due now); None without enabled sources."""
    times = [s.next_attempt_at or at for s in store.list_sources() if not s.disabled]
    return max(0.0, (min(times) - at).total_seconds()) if times else None


def refresh_forever(
    store: Store,
    settings: Settings,
    embedder: Embedder,
    progress: Progress = _quiet,
    stop: threading.Event | None = None,
    on_pass: Callable[[RefreshReport], None] | None = None,
) -> None:
    """The scheduler: a pass whenever a source is due (looking at least once a minute for new sources)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        if due_sources(store, settings, now()):
            report = refresh(store, settings, embedder, progress)
            if on_pass is not None:
                on_pass(report)
        wait = seconds_until_due(store, now())
        stop.wait(min(60.0, max(1.0, wait if wait is not None else 60.0)))

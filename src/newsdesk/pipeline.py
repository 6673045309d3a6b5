"""Where the stages meet storage: fetch -> parse -> extract -> dedupe -> embed -> cluster -> write -> link.

Every step is idempotent and commits as it goes, so a crash loses nothing already stored and a re-run
picks up where the last one stopped (articles without a story, stories not yet written).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import numpy as np

from newsdesk.errors import NewsdeskError
from newsdesk.ingest.feeds import parse_feed
from newsdesk.ingest.fetch import fetch, make_client
from newsdesk.ingest.pages import extract_page
from newsdesk.ingest.urls import article_id, canonical_url
from newsdesk.linking.related import related_stories
from newsdesk.linking.topics import normalise_topic, story_topic
from newsdesk.settings import Settings
from newsdesk.store.base import FetchOutcome, NewArticle, Store
from newsdesk.stories.cluster import SHORT_TEXT_WORDS, ArticleEvidence, ClusterParams
from newsdesk.stories.dedupe import Fingerprint, content_hash, fingerprint, is_near_duplicate, similarity_estimate
from newsdesk.stories.embed import Embedder, article_text_for_embedding, normalise_rows
from newsdesk.stories.engine import StoryEngine
from newsdesk.stories.terms import article_terms, keywords, tfidf
from newsdesk.types import Article, FeedEntry, RefreshReport, Source
from newsdesk.writing.writer import write_extractive

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def due_sources(store: Store, settings: Settings, at: datetime) -> list[Source]:
    """Sources never fetched, or last tried longer ago than the refresh interval."""
    interval = timedelta(minutes=settings.refresh_interval_minutes)
    return [s for s in store.list_sources() if s.last_attempt_at is None or at - s.last_attempt_at >= interval]


def _outlet_name(entry_url: str, page_outlet: str, feed_title: str) -> str:
    return page_outlet or feed_title or urlsplit(entry_url).netloc


def build_article(
    client: httpx.Client, settings: Settings, source: Source, feed_title: str, entry: FeedEntry, fetched_at: datetime
) -> Article:
    """An article from a feed entry, with the page's full text when it can be had (else partial)."""
    url = canonical_url(entry.url)
    title, text, outlet, author = entry.title, entry.summary, "", entry.author
    published = entry.published
    language = None
    partial = True
    if settings.fetch_full_text:
        try:
            page = extract_page(fetch(client, entry.url, max_bytes=settings.max_response_bytes).body, entry.url)
        except NewsdeskError:
            page = None  # the feed's own text is kept and the article marked partial
        if page is not None:
            title = title or page.title
            text, outlet, author = page.text, page.outlet, author or page.author
            published = published or page.published
            language, partial = page.language, False
    return Article(
        id=article_id(url),
        url=url,
        source_id=source.id,
        outlet=_outlet_name(url, outlet, feed_title),
        title=title or url,
        text=text,
        published=published or fetched_at,
        author=author,
        section=entry.category,
        language=language,
        content_hash=content_hash(text),
        partial=partial,
        fetched_at=fetched_at,
    )


def refresh_source(
    store: Store, settings: Settings, embedder: Embedder, client: httpx.Client, source: Source
) -> tuple[int, int]:
    """Fetch one source and store its new articles; returns (new articles, copies). Raises NewsdeskError."""
    started = now()
    try:
        reply = fetch(
            client,
            source.url,
            max_bytes=settings.max_response_bytes,
            etag=source.etag,
            last_modified=source.last_modified,
        )
        if reply.not_modified:
            store.record_fetch(
                source.id, FetchOutcome(started, ok=True, etag=reply.etag, last_modified=reply.last_modified)
            )
            return 0, 0
        feed = parse_feed(reply.body, source.url, reply.content_type)
    except NewsdeskError as exc:
        store.record_fetch(source.id, FetchOutcome(started, ok=False, error=str(exc)))
        raise
    fresh = [e for e in feed.entries if not store.has_article(article_id(canonical_url(e.url)))]
    with ThreadPoolExecutor(max_workers=max(1, settings.fetch_concurrency)) as pool:
        articles = list(pool.map(lambda e: build_article(client, settings, source, feed.title, e, started), fresh))
    stored, copies = store_articles(store, embedder, articles)
    store.record_fetch(
        source.id,
        FetchOutcome(
            started,
            ok=True,
            title=feed.title or None,
            etag=reply.etag,
            last_modified=reply.last_modified,
            new_articles=stored,
        ),
    )
    return stored, copies


def find_copy_of(store: Store, article: Article, print_: Fingerprint) -> str | None:
    """The original this article copies (same text, or nearly: a wire story with a new headline or lead)."""
    exact = store.find_original(article.content_hash)
    if exact is not None and exact.id != article.id:
        return exact.id
    best = max(
        (c for c in store.near_copies(print_.band_keys) if c.article_id != article.id),
        key=lambda c: similarity_estimate(c.signature, print_.signature),
        default=None,
    )
    if best is None or not is_near_duplicate(best.signature, print_.signature):
        return None
    return best.copy_of or best.article_id


def store_articles(store: Store, embedder: Embedder, articles: Sequence[Article]) -> tuple[int, int]:
    """Dedupe, embed and store new articles, in one transaction; returns (stored, copies)."""
    vectors = embedder.embed([article_text_for_embedding(a.title, a.text) for a in articles])
    terms = [article_terms(a.title, a.text) for a in articles]
    df, n_docs = store.document_frequencies({t for counts in terms for t in counts})
    stored = copies = 0
    with store.batch():
        for article, vector, counts in zip(articles, vectors, terms, strict=True):
            print_ = fingerprint(article.text) if article.text else None
            original = find_copy_of(store, article, print_) if print_ else None
            if original is not None:
                article = replace(article, copy_of=original)
                copies += 1
            stored += store.add_article(
                NewArticle(
                    article=article,
                    vector=vector,
                    model=embedder.name,
                    terms=counts.keys(),
                    signature=print_.signature if print_ else None,
                    band_keys=print_.band_keys if print_ else (),
                    keywords=tuple(keywords(tfidf(counts, df, n_docs))),
                )
            )
    return stored, copies


def cluster_params(settings: Settings, embedder: Embedder) -> ClusterParams:
    """The story engine's knobs from settings and the embedder."""
    return ClusterParams(
        threshold=settings.cluster_threshold,
        headline_threshold=settings.cluster_headline_threshold,
        section_penalty=settings.cluster_section_penalty,
        daily_decay=settings.cluster_daily_decay,
        lexical_weight=settings.cluster_lexical_weight,
        merge_threshold=settings.cluster_merge_threshold,
        split_threshold=settings.cluster_split_threshold,
        window=timedelta(hours=settings.cluster_window_hours),
        unrelated_cosine=embedder.unrelated_cosine,
    )


def story_engine(store: Store, settings: Settings, embedder: Embedder, since: datetime) -> StoryEngine:
    """A story engine over the stories updated since `since`, reading evidence from the store."""
    params = cluster_params(settings, embedder)
    stories = store.story_candidates(since - params.window)
    dim = len(embedder.embed(["dimension probe"])[0])
    return StoryEngine(params, stories, dim, store.document_frequencies, store.story_terms, store.stories_by_keywords)


def article_evidence(article: Article, vector: np.ndarray) -> ArticleEvidence:
    """What the story engine is told of an article."""
    return ArticleEvidence(
        article_id=article.id,
        vector=vector,
        terms=article_terms(article.title, article.text),
        published=article.published,
        section=normalise_topic(article.section),
        short=len(article.text.split()) < SHORT_TEXT_WORDS,
    )


def story_members(store: Store, story_id: str) -> list[ArticleEvidence]:
    """What the story engine is told of a story's articles (copies left out), oldest first."""
    originals = [a for a in store.articles_of_story(story_id) if not a.copy_of]
    vectors = store.vectors([a.id for a in originals])
    return [article_evidence(a, vectors[a.id]) for a in originals if a.id in vectors]


def assign_stories(store: Store, settings: Settings, embedder: Embedder) -> set[str]:
    """Put every article without a story into one, then merge stories found to be one and split those found
    to be two; returns the live ids of the stories that changed."""
    pending = store.unassigned_articles()
    if not pending:
        return set()
    with store.batch():  # one transaction per pass: a crash loses the pass, and the next one redoes it
        return _assign_pending(store, settings, embedder, pending)


def _assign_pending(store: Store, settings: Settings, embedder: Embedder, pending: Sequence[Article]) -> set[str]:
    touched: set[str] = set()
    originals = [a for a in pending if not a.copy_of]
    if originals:
        engine = story_engine(store, settings, embedder, min(a.published for a in originals))
        vectors = store.vectors([a.id for a in originals])
        evidence = [article_evidence(a, vectors[a.id]) for a in originals if a.id in vectors]
        engine.prefetch(evidence)
        for item in evidence:
            decision = engine.assign(item)
            store.assign_article(item.article_id, decision.story.story_id, decision.story)
            touched.add(decision.story.story_id)
        for merge in engine.merges(sorted(touched)):
            store.merge_stories(merge.gone, merge.kept)
            touched.discard(merge.gone)
            touched.add(merge.kept.story_id)
        for split in engine.splits(sorted(touched), lambda story_id: story_members(store, story_id)):
            store.split_story(split.kept, split.moved, split.new)
            touched.add(split.new.story_id)
    for article in (a for a in pending if a.copy_of):
        original = store.get_article(article.copy_of or "")
        if original.story_id is None:
            continue
        story = store.story_state(original.story_id)
        store.assign_article(article.id, story.story_id, story)
        touched.add(story.story_id)
    return touched


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
    centroids = {story_id: normalise_rows(c) for story_id, c in store.all_story_centroids().items()}
    topics = {s.id: s.topic for s in store.list_stories(limit=len(centroids) or 1)}
    for story_id in centroids:
        store.save_related(story_id, related_stories(story_id, centroids, topics, settings.related_count))


def refresh(store: Store, settings: Settings, embedder: Embedder, progress: Progress = _quiet) -> RefreshReport:
    """One pass: every due source, then stories, writing and links for what changed."""
    started = time.perf_counter()
    sources = due_sources(store, settings, now())
    failed: list[tuple[str, str]] = []
    new_articles = copies = 0
    with make_client(settings) as client:
        for number, source in enumerate(sources, start=1):
            try:
                stored, copied = refresh_source(store, settings, embedder, client, source)
            except NewsdeskError as exc:
                failed.append((source.url, str(exc)))
                progress(f"[{number}/{len(sources)}] {source.url}: error: {exc}")
                continue
            new_articles += stored
            copies += copied
            progress(f"[{number}/{len(sources)}] {source.url}: {stored} new articles")
    touched = assign_stories(store, settings, embedder)
    written = write_stories(store, settings, embedder, progress)
    if written:
        link_stories(store, settings)
    return RefreshReport(
        sources=len(sources),
        failed=tuple(failed),
        new_articles=new_articles,
        copies=copies,
        stories_touched=len(touched),
        seconds=time.perf_counter() - started,
    )

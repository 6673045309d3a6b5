"""Where the stages meet storage: fetch -> parse -> extract -> dedupe -> embed -> cluster -> write -> link.

Linking (entities, topic, related) is incremental: only stories whose articles changed are profiled again.

Every step is idempotent and commits as it goes, so a crash loses nothing already stored and a re-run
picks up where the last one stopped (articles without a story, stories not yet written).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from newsdesk.ingest.poll import poll_sources
from newsdesk.linking.entities import surnames
from newsdesk.linking.minilm import get_minilm
from newsdesk.linking.profile import build_profiles, with_topic
from newsdesk.linking.related import NEIGHBOUR_SCORE, related_stories
from newsdesk.linking.scoring import Scorer
from newsdesk.linking.topics import assign_topic, normalise_topic, story_topic
from newsdesk.settings import Settings
from newsdesk.store.base import NewArticle, Store
from newsdesk.stories.cluster import SHORT_TEXT_WORDS, ArticleEvidence, ClusterParams
from newsdesk.stories.dedupe import Fingerprint, content_hash, fingerprint, is_near_duplicate, similarity_estimate
from newsdesk.stories.embed import Embedder, article_text_for_embedding, normalise_rows
from newsdesk.stories.engine import StoryEngine
from newsdesk.stories.terms import article_terms, keywords, tfidf
from newsdesk.types import Article, RefreshReport, Source, StoryFilter
from newsdesk.writing.writer import write_story

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


_paused = 0  # passes running with the cyclic garbage collector paused (threads share one collector)
_paused_lock = threading.Lock()
_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a pass. A pass holds a whole window of stories and makes
    millions of small objects (term dicts, candidates) that form no reference cycles; each of the collector's
    scans walks everything alive, and they cost about a tenth of the pass (measured on bench/cluster_bench.py).
    Memory is still freed by reference counting; the collector resumes when the last paused pass ends."""
    global _paused, _was_enabled
    with _paused_lock:
        if not _paused:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if not _paused and _was_enabled:
                gc.enable()


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def due_sources(store: Store, settings: Settings, at: datetime) -> list[Source]:
    """Enabled sources whose next attempt has come (a source never tried is due at once)."""
    return [s for s in store.list_sources() if not s.disabled and (s.next_attempt_at or at) <= at]


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
    with _collector_paused():
        return _store_new(store, embedder, articles)


def _store_new(store: Store, embedder: Embedder, articles: Sequence[Article]) -> tuple[int, int]:
    articles = [replace(a, content_hash=content_hash(a.text)) for a in articles]
    vectors = embedder.embed([article_text_for_embedding(a.title, a.text) for a in articles])
    terms = [article_terms(a.title, a.text) for a in articles]
    df, n_docs = store.document_frequencies({t for counts in terms for t in counts})
    stored = copies = 0
    # one writer at a time from looking for an article's original to storing it, so that two workers storing
    # two copies of one wire story at the same moment cannot both keep theirs as the original
    with store.lock("store-articles"), store.batch():
        for article, vector, counts in zip(articles, vectors, terms, strict=True):
            print_ = fingerprint(article.text) if article.text else None
            original = find_copy_of(store, article, print_) if print_ else None
            if original is not None:
                article = replace(article, copy_of=original)
            added = store.add_article(
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
            stored += added
            copies += added and article.copy_of is not None
    return stored, copies


def cluster_params(settings: Settings, embedder: Embedder) -> ClusterParams:
    """The story engine's knobs from settings and the embedder."""
    return ClusterParams(
        threshold=settings.cluster_threshold,
        headline_threshold=settings.cluster_headline_threshold,
        section_penalty=settings.cluster_section_penalty,
        daily_decay=settings.cluster_daily_decay,
        max_decay=settings.cluster_max_decay,
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
        short=len(article.text.split(None, SHORT_TEXT_WORDS)) < SHORT_TEXT_WORDS,  # counted no further
    )


def story_members(store: Store, story_id: str) -> list[ArticleEvidence]:
    """What the story engine is told of a story's articles (copies left out), oldest first."""
    originals = [a for a in store.articles_of_story(story_id) if not a.copy_of]
    vectors = store.vectors([a.id for a in originals])
    return [article_evidence(a, vectors[a.id]) for a in originals if a.id in vectors]


def assign_stories(store: Store, settings: Settings, embedder: Embedder) -> set[str]:
    """Put every article without a story into one, then merge stories found to be one and split those found
    to be two; returns the live ids of the stories that changed.

    One pass at a time over the whole store, even with workers on many machines: two passes assigning
    articles of one event at the same moment would each start a story for it."""
    with store.lock("assign"), _collector_paused():
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


def rewrite_story(store: Store, settings: Settings, embedder: Embedder, story_id: str) -> list[str]:
    """Write one story from its current articles; returns the ids of the articles it was written from."""
    articles = store.articles_of_story(story_id)
    writing = write_story(articles, embedder, settings, store.get_story(story_id).writing)
    store.save_writing(story_id, writing, story_topic(articles), now())
    return [a.id for a in articles]


def write_stories(store: Store, settings: Settings, embedder: Embedder, progress: Progress = _quiet) -> int:
    """Write every story whose articles changed; returns how many were written."""
    dirty = store.dirty_stories()
    for number, story_id in enumerate(dirty, start=1):
        rewrite_story(store, settings, embedder, story_id)
        if number % 10 == 0 or number == len(dirty):
            progress(f"wrote {number}/{len(dirty)} stories")
    return len(dirty)


def profile_stories(store: Store, progress: Progress = _quiet) -> set[str]:
    """Entities, topic and meaning of every story whose articles changed; returns those stories."""
    stale = store.stale_profiles()
    if not stale:
        return set()
    minilm = get_minilm()
    people = surnames(store.list_entities())
    for start in range(0, len(stale), 32):
        stories = {story_id: store.articles_of_story(story_id) for story_id in stale[start : start + 32]}
        for profile in build_profiles(stories, minilm, people):
            vector = normalise_rows(profile.lead + profile.whole)
            store.save_profile(with_topic(profile, assign_topic(stories[profile.story_id], vector, minilm)))
        progress(f"profiled {min(start + 32, len(stale))}/{len(stale)} stories (entities, topic)")
    return set(stale)


def link_stories(store: Store, settings: Settings, changed: set[str] | None = None, neighbours: bool = True) -> int:
    """Related lists of the changed stories and (unless told not to) of the stories close to them; returns how
    many were linked.

    With `changed` None every story in the window is relinked. Stories updated more than
    `related_window_days` before the newest story are neither relinked nor offered: they keep the lists they
    had. (The window follows the newest story, not the clock, so an archive or the demo corpus links alike.)"""
    newest = store.latest_stories(StoryFilter(), 1)
    since = newest[0].updated_at - timedelta(days=settings.related_window_days) if newest else None
    profiles = store.story_profiles(since=since)
    terms = {t for p in profiles for t in p.terms}
    df, n_docs = store.document_frequencies(terms)
    scorer = Scorer(profiles, df, n_docs)
    if changed is None:
        todo = set(scorer.index)
    else:
        todo = {s for s in changed if s in scorer.index}
        for story_id in list(todo) if neighbours else []:
            scores = scorer.scores(scorer.index[story_id])
            todo |= {p.story_id for p, score in zip(profiles, scores, strict=True) if score >= NEIGHBOUR_SCORE}
    for story_id in sorted(todo):
        found = related_stories(scorer, story_id, settings.related_count)
        store.save_related(story_id, found.related)
        store.save_same_event(story_id, found.same_event)
    return len(todo)


def refresh(store: Store, settings: Settings, embedder: Embedder, progress: Progress = _quiet) -> RefreshReport:
    """One pass: every due source (polled concurrently), then stories, writing and links for what changed."""
    started = time.perf_counter()
    sources = due_sources(store, settings, now())
    results = poll_sources(store, settings, sources, lambda new: store_articles(store, embedder, new), progress, now())
    touched = assign_stories(store, settings, embedder)
    write_stories(store, settings, embedder, progress)
    changed = profile_stories(store, progress)
    if changed:
        progress(f"linked {link_stories(store, settings, changed)} stories")
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
        _sleep(stop, min(60.0, max(1.0, wait if wait is not None else 60.0)))


def _sleep(stop: threading.Event, seconds: float, step: float = 0.5) -> None:
    """Wait until `stop` is set or `seconds` have passed, in short steps: a signal (Ctrl+C) is handled only
    when the main thread runs Python again, and one long lock wait is not always woken by it (never on
    Windows; on Linux not when the signal lands on another of the process's threads, such as a BLAS pool's)."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        stop.wait(min(step, left))

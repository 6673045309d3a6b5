"""Story engine throughput with a full window: articles/s through dedupe + embed + assign.

    .venv/bin/python bench/cluster_bench.py [--stories 100000] [--batch 2000] [--data ../shared/data/cluster]

Preloads a SQLite store with STORIES synthetic stories (one or two articles each, all inside the time
window, so every one is a live candidate), then times `store_articles` (dedupe + embed + store) and
`assign_stories` (cluster) on BATCH new articles. Synthetic articles are variations of real ones: the
demo corpus, plus the dev files when present (read in place, never copied). The preloaded store is kept
in a cache folder, so later runs skip the preload.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsdesk.demo.corpus import load_corpus
from newsdesk.pipeline import article_evidence, assign_stories, store_articles
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.store.base import StoryCandidate
from newsdesk.stories.cluster import join, new_story
from newsdesk.stories.dedupe import content_hash
from newsdesk.stories.embed import get_embedder
from newsdesk.stories.terms import article_terms, tfidf
from newsdesk.types import Article

T0 = datetime(2026, 3, 1, tzinfo=UTC)
OUTLETS = [f"Outlet {n}" for n in range(300)]
SECTIONS = ["World", "Business", "Technology", "Health", "Culture", "Sports", "Science", "Politics", ""]


Bases = tuple[list[tuple[str, str]], list[tuple[str, str]]]  # (full articles, headlines) as (title, text)


def base_texts(data: Path) -> Bases:
    """(title, text) pairs to vary, full articles and headlines: the demo corpus and, when present, the
    dev files (Multi-News full texts have no titles: they borrow one from a headline)."""
    full = [(a.title, " ".join(a.paragraphs)) for a in load_corpus()]
    headlines: list[tuple[str, str]] = []
    for name in ("multinews-dev.jsonl", "uci-dev.jsonl"):
        path = data / name
        if path.is_file():
            with path.open(encoding="utf-8") as lines:
                for doc in map(json.loads, lines):
                    pair = (str(doc.get("title") or ""), str(doc.get("text") or ""))
                    (full if pair[1] else headlines).append(pair)
    return full, headlines or full


def variants(bases: Bases, count: int, start: datetime, span: timedelta, seed: int) -> Iterator[Article]:
    """Articles made by mixing a base article with words of another, and a story-specific name: half of
    them full articles (feeds with full text, or fetched pages), half headlines only."""
    rng = random.Random(seed)
    full, headlines = bases
    for n in range(count):
        title, text = rng.choice(full if n % 2 else headlines)
        other_title, other_text = rng.choice(headlines)
        title = title or other_title
        name = f"Zed{seed}x{n // 2}"  # two articles share a name: some stories get a second article
        words = text.split()[:400]
        donor = other_text.split() or other_title.split() or ["news"]
        mixed = [rng.choice(donor) if rng.random() < 0.3 else w for w in words]
        body = " ".join([name, *mixed]) if mixed else ""
        headline = f"{name} {title} {rng.choice(other_title.split() or ['report'])}"
        yield Article(
            id=f"bench{seed}-{n}",
            url=f"https://bench.test/{seed}/{n}",
            source_id=None,
            outlet=rng.choice(OUTLETS),
            title=headline,
            text=body,
            published=start + span * (n / max(1, count)),
            section=rng.choice(SECTIONS),
            content_hash=content_hash(body),
        )


def preload(path: Path, bases: Bases, stories: int, settings: Settings) -> None:
    """A store holding `stories` stories of one or two articles, all within the window ending at T0.

    Articles go through store_articles (dedupe, embed, keywords) like any others; their stories are made
    directly (article n and n+1 share a story when they share a name) rather than by the engine, which
    would take most of an hour to decide 130,000 placements this setup does not measure."""
    store = open_store(f"sqlite:///{path}")
    embedder = get_embedder(settings.embedder)
    seconds = [k % 3 == 0 for k in range(stories)]  # every third story gets a second article
    plan = [second for has_second in seconds for second in ((False, True) if has_second else (False,))]
    articles = list(variants(bases, len(plan), T0 - timedelta(days=6), timedelta(days=6), seed=1))
    started = time.perf_counter()
    story: StoryCandidate | None = None
    for offset in range(0, len(articles), 5000):
        chunk = articles[offset : offset + 5000]
        store_articles(store, embedder, chunk)
        df, n_docs = store.document_frequencies({t for a in chunk for t in article_terms(a.title, a.text)})
        vectors = store.vectors([a.id for a in chunk])
        with store.batch():
            for n, article in enumerate(chunk, start=offset):
                evidence = article_evidence(article, vectors[article.id])
                weights = tfidf(evidence.terms, df, n_docs, keep=128)
                story = join(story, evidence, weights) if plan[n] and story else new_story(evidence, weights)
                store.assign_article(article.id, story.story_id, story)
        print(
            f"  preloaded {offset + len(chunk)} articles, {store.count_stories()} stories, "
            f"{time.perf_counter() - started:.0f}s",
            flush=True,
        )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/cluster")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsdesk-bench")
    options = parser.parse_args()
    settings = Settings()
    bases = base_texts(options.data)
    cached = options.cache / f"stories-{options.stories}-v4.db"  # v4: stories keep their terms as names and weights
    if not cached.is_file():
        options.cache.mkdir(parents=True, exist_ok=True)
        print(f"preloading {options.stories} stories into {cached} (once) ...", flush=True)
        preload(cached.with_suffix(".tmp"), bases, options.stories, settings)
        cached.with_suffix(".tmp").rename(cached)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        shutil.copy(cached, path)
        os.sync()  # the copy's 1 GB is written out now, not during the timed pass
        store = open_store(f"sqlite:///{path}")
        embedder = get_embedder(settings.embedder)
        indexed = store.count_stories()
        batch = list(variants(bases, options.batch, T0, timedelta(hours=1), seed=2))
        started, cpu = time.perf_counter(), time.process_time()
        store_articles(store, embedder, batch)
        stored = time.perf_counter()
        assign_stories(store, settings, embedder)
        done, cpu = time.perf_counter(), time.process_time() - cpu
        store.close()
    total = done - started
    print(
        f"{indexed} stories indexed; {len(batch)} new articles: dedupe+embed+store {stored - started:.2f}s, "
        f"assign {done - stored:.2f}s; {len(batch) / total:.0f} articles/s "
        f"({cpu:.1f} CPU-seconds: {len(batch) / cpu:.0f} articles per CPU-second; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()

"""`newsdesk eval cluster`: stream the documents through the pipeline's own story engine and score it.

Documents carry no dates: they arrive one second apart in file order, so the time window never splits
them. `event_id` is read only to score. Baselines run in the same process on the same documents.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from newsdesk.evaluate import EvalOptions, read_jsonl
from newsdesk.evaluate.metrics import bcubed, pairwise
from newsdesk.pipeline import assign_stories, store_articles
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.stories.dedupe import content_hash
from newsdesk.stories.embed import article_text_for_embedding, get_embedder
from newsdesk.types import Article

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 100  # documents per refresh pass, as a busy feed set would bring them
TFIDF_THRESHOLD = 0.5  # the textbook single-pass cut-off for TF-IDF cosine (not tuned on any file)
EMBEDDING_THRESHOLD = 0.75  # the static model's cosine halfway between unrelated (0.5) and identical (1.0)


def _articles(docs: Sequence[dict[str, Any]]) -> list[Article]:
    return [
        Article(
            id=f"doc{i:07d}",
            url=f"urn:eval:{i}",
            source_id=None,
            outlet=str(doc.get("source") or ""),
            title=str(doc.get("title") or ""),
            text=str(doc.get("text") or ""),
            published=T0 + timedelta(seconds=i),
            content_hash=content_hash(str(doc.get("text") or "")),
        )
        for i, doc in enumerate(docs)
    ]


def newsdesk_clusters(articles: Sequence[Article], settings: Settings) -> list[str]:
    """Story ids for the articles, from the product's own pipeline over a fresh SQLite store."""
    embedder = get_embedder(settings.embedder)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'eval.db'}")
        try:
            for start in range(0, len(articles), BATCH):
                store_articles(store, embedder, articles[start : start + BATCH])
                assign_stories(store, settings, embedder)
            return [store.get_article(a.id).story_id or "" for a in articles]
        finally:
            store.close()


def single_pass(vectors: Any, threshold: float) -> list[int]:
    """Textbook single-pass clustering: join the nearest centroid by cosine above a threshold, else start one."""
    labels: list[int] = []
    sums: list[np.ndarray] = []
    centroids = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    for i in range(vectors.shape[0]):
        row = vectors[i].toarray().ravel() if hasattr(vectors[i], "toarray") else np.asarray(vectors[i]).ravel()
        norm = np.linalg.norm(row) or 1.0
        row = (row / norm).astype(np.float32)
        scores = centroids @ row if len(centroids) else np.zeros(0)
        best = int(np.argmax(scores)) if len(scores) else -1
        if best >= 0 and scores[best] >= threshold:
            sums[best] = sums[best] + row
            centroids[best] = sums[best] / (np.linalg.norm(sums[best]) or 1.0)
            labels.append(best)
        else:
            sums.append(row)
            centroids = np.vstack([centroids, row[None, :]])
            labels.append(len(sums) - 1)
    return labels


def _scores(gold: Sequence[str], predicted: Sequence[Any]) -> dict[str, dict[str, float]]:
    return {"pairwise": pairwise(gold, predicted), "bcubed": bcubed(gold, predicted)}


def run(data: Path, options: EvalOptions) -> dict[str, Any]:
    """Score newsdesk's story engine and the baselines on one labelled file."""
    docs = list(read_jsonl(data, ("id", "title", "text", "event_id"), options.limit))
    articles = _articles(docs)
    settings = Settings()
    started = time.perf_counter()
    predicted = newsdesk_clusters(articles, settings)
    seconds = time.perf_counter() - started
    gold = [str(doc["event_id"]) for doc in docs]  # read only to score
    texts = [f"{a.title}\n{a.text}".strip() for a in articles]
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    embedder = get_embedder(settings.embedder)
    embeddings = embedder.embed([article_text_for_embedding(a.title, a.text) for a in articles])
    return {
        "task": "cluster",
        "docs": len(docs),
        "gold_clusters": len(set(gold)),
        "predicted_clusters": len(set(predicted)),
        **_scores(gold, predicted),
        "seconds": round(seconds, 3),
        "docs_per_second": round(len(docs) / seconds, 1) if seconds else 0.0,
        "baselines": {
            "tfidf-single-pass": _scores(gold, single_pass(tfidf, TFIDF_THRESHOLD)),
            "embedding-single-pass": _scores(gold, single_pass(embeddings, EMBEDDING_THRESHOLD)),
        },
    }


def table(result: dict[str, Any]) -> str:
    """The result as a small table."""
    rows = [("newsdesk", result), *result["baselines"].items()]
    lines = [
        f"{result['docs']} documents, {result['gold_clusters']} gold stories, "
        f"{result['predicted_clusters']} predicted; {result['seconds']}s ({result['docs_per_second']} docs/s)",
        f"{'method':<24}{'pair P':>8}{'pair R':>8}{'pair F1':>9}{'B3 P':>8}{'B3 R':>8}{'B3 F1':>8}",
    ]
    for name, scores in rows:
        p, b = scores["pairwise"], scores["bcubed"]
        lines.append(
            f"{name:<24}{p['precision']:>8.3f}{p['recall']:>8.3f}{p['f1']:>9.3f}"
            f"{b['precision']:>8.3f}{b['recall']:>8.3f}{b['f1']:>8.3f}"
        )
    return "\n".join(lines)

"""How far can similarity take story clustering on a labelled file? Oracles that see the gold stories.

    .venv/bin/python bench/cluster_ceiling.py --data ../shared/data/cluster/uci-dev.jsonl [--json]

Not the product and not `newsdesk eval cluster`: these figures READ THE GOLD LABELS, to bound what any
method built on the same views (TF-IDF and MiniLM cosine) can reach, whatever its thresholds:

- nearest neighbour: the share of documents whose most similar other document is of the same story;
- gold centroids: each document put in the story whose gold centroid (without the document itself) is
  most similar (a story's only document stays alone), then scored with the eval's own pairwise and
  BCubed code. A clustering that found every story's centroid perfectly and then assigned by similarity
  would score this;
- offline linkage (files up to 3,000 documents): average-linkage clustering of the whole file, at the
  distance threshold that scores best on the file's own labels;
- links within gold stories: two documents of one gold story linked when their cosine reaches the median,
  over all documents, of a document's best cosine to any document of another story (a link no threshold
  could make without also making many false ones below it), documents of different stories never linked,
  stories taken as the linked groups. Its precision is 1 by construction; its recall says how much of each
  story is similar enough to be found at all.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer

from newsdesk.evaluate import ANY, LABEL, read_jsonl
from newsdesk.evaluate.metrics import bcubed, pairwise
from newsdesk.linking.minilm import get_minilm
from newsdesk.stories.embed import article_text_for_embedding

MIX = 0.5  # share of TF-IDF in the mixed view (the rest: MiniLM)
LINKAGE_MAX_DOCS = 3000  # the full distance matrix of larger files costs minutes and gigabytes


def views(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Unit rows per document: TF-IDF over title and text (as the eval's baseline), and MiniLM over what the
    story engine embeds of an article (its title and lead)."""
    pairs = [(str(d.get("title") or ""), str(d.get("text") or "")) for d in docs]
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [f"{title}\n{text}".strip() for title, text in pairs]
    )
    leads = [article_text_for_embedding(title, text) for title, text in pairs]
    return {"tfidf": tfidf.tocsr(), "minilm": get_minilm().embed(leads)}


def dense(matrix: Any) -> np.ndarray:
    return np.asarray(matrix.toarray() if sparse.issparse(matrix) else matrix)


def squared_lengths(matrix: Any) -> np.ndarray:
    """Squared length of each row, sparse or dense."""
    if sparse.issparse(matrix):
        return dense(matrix.multiply(matrix).sum(axis=1)).ravel()
    return np.asarray((matrix * matrix).sum(axis=1)).ravel()


def similarity_rows(rows: dict[str, Any], view: str, chunk: slice | np.ndarray) -> np.ndarray:
    """Cosines of a chunk of documents to all, in one view ("mix": the weighted sum of both)."""
    if view == "mix":
        return MIX * similarity_rows(rows, "tfidf", chunk) + (1 - MIX) * similarity_rows(rows, "minilm", chunk)
    matrix = rows[view]
    return dense(matrix[chunk] @ matrix.T).astype(np.float32)


def nearest_neighbour(rows: dict[str, Any], view: str, gold: np.ndarray) -> float:
    """Share of documents whose most similar other document is of the same gold story (in chunks: memory)."""
    hits = 0
    for start in range(0, len(gold), 2000):
        block = similarity_rows(rows, view, slice(start, start + 2000))
        block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf
        hits += int((gold[block.argmax(axis=1)] == gold[start : start + len(block)]).sum())
    return hits / len(gold)


def within_story_links(rows: dict[str, Any], view: str, gold_index: np.ndarray) -> dict[str, Any]:
    """The links-within-gold-stories oracle (see the module's docstring), scored with the eval's code."""
    n = len(gold_index)
    best_other = np.empty(n, dtype=np.float32)
    for start in range(0, n, 2000):
        block = similarity_rows(rows, view, slice(start, start + 2000))
        block[gold_index[start : start + len(block), None] == gold_index[None, :]] = -np.inf
        best_other[start : start + len(block)] = block.max(axis=1)
    floor = float(np.median(best_other))
    links: list[tuple[int, int]] = []
    for story in np.unique(gold_index):
        members = np.flatnonzero(gold_index == story)
        if len(members) > 1:
            inside = similarity_rows(rows, view, members)[:, members]
            first, second = np.nonzero(np.triu(inside >= floor, k=1))
            links.extend(zip(members[first], members[second], strict=True))
    pairs = np.array(links, dtype=np.int64).reshape(-1, 2)
    graph = sparse.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    gold = list(gold_index)
    return {
        "floor": round(floor, 3),
        "pairwise": {k: round(v, 3) for k, v in pairwise(gold, list(labels)).items()},
        "bcubed": {k: round(v, 3) for k, v in bcubed(gold, list(labels)).items()},
    }


def centroid_scores(rows: Any, gold_index: np.ndarray, stories: int) -> np.ndarray:
    """Cosine of each document to each gold story's centroid, its own story's centroid taken without it
    (1 for a story's only document: the oracle knows it starts a story of its own)."""
    n = rows.shape[0]
    members = sparse.csr_matrix((np.ones(n), (gold_index, np.arange(n))), shape=(stories, n))
    sums = members @ rows
    dots = dense(rows @ sums.T)
    norms = np.sqrt(np.maximum(squared_lengths(sums), 1e-12))
    own = dots[np.arange(n), gold_index].copy()
    self_dot = squared_lengths(rows)
    scores = dots / norms[None, :]
    without = np.sqrt(np.maximum(norms[gold_index] ** 2 - 2 * own + self_dot, 1e-12))
    scores[np.arange(n), gold_index] = np.where(without > 1e-6, (own - self_dot) / without, 1.0)
    return scores


def best_linkage(similarity: np.ndarray, gold: list[str]) -> dict[str, Any]:
    distances = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), "average")
    best: dict[str, Any] = {"pairwise_f1": -1.0}
    for cut in np.arange(0.3, 1.0, 0.025):
        labels = list(fcluster(tree, cut, "distance"))
        found = {"pairwise_f1": pairwise(gold, labels)["f1"], "bcubed_f1": bcubed(gold, labels)["f1"]}
        if found["pairwise_f1"] > best["pairwise_f1"]:
            best = {**found, "threshold": round(float(cut), 3)}
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    docs = list(read_jsonl(args.data, {"id": ANY, "event_id": LABEL}))
    gold = [str(d["event_id"]) for d in docs]
    gold_stories, gold_index = np.unique(gold, return_inverse=True)
    rows = views(docs)
    report: dict[str, Any] = {"docs": len(docs), "gold_clusters": len(gold_stories), "views": {}}
    per_view = {name: centroid_scores(matrix, gold_index, len(gold_stories)) for name, matrix in rows.items()}
    per_view["mix"] = MIX * per_view["tfidf"] + (1 - MIX) * per_view["minilm"]
    for name, scores in per_view.items():
        labels = scores.argmax(axis=1)
        found: dict[str, Any] = {
            "nearest_neighbour_same_story": round(nearest_neighbour(rows, name, gold_index), 3),
            "gold_centroid_accuracy": round(float((labels == gold_index).mean()), 3),
            "gold_centroid_pairwise": {k: round(v, 3) for k, v in pairwise(gold, list(labels)).items()},
            "gold_centroid_bcubed": {k: round(v, 3) for k, v in bcubed(gold, list(labels)).items()},
            "links_within_gold_stories": within_story_links(rows, name, gold_index),
        }
        if len(docs) <= LINKAGE_MAX_DOCS:
            similarity = similarity_rows(rows, name, slice(0, len(docs))).astype(np.float64)
            found["best_average_linkage"] = {
                k: round(v, 3) if isinstance(v, float) else v for k, v in best_linkage(similarity, gold).items()
            }
        report["views"][name] = found
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{args.data.name}: {report['docs']} documents, {report['gold_clusters']} gold stories (oracles)")
        for name, found in report["views"].items():
            line = (
                f"  {name:>6}: nearest neighbour same story {found['nearest_neighbour_same_story']:.3f}; "
                f"gold centroids: accuracy {found['gold_centroid_accuracy']:.3f}, "
                f"pairwise F1 {found['gold_centroid_pairwise']['f1']:.3f}, "
                f"BCubed F1 {found['gold_centroid_bcubed']['f1']:.3f}"
            )
            links = found["links_within_gold_stories"]
            line += (
                f"; links within gold stories (cosine >= {links['floor']:.3f}) pairwise F1 "
                f"{links['pairwise']['f1']:.3f} / BCubed {links['bcubed']['f1']:.3f}"
            )
            if "best_average_linkage" in found:
                best = found["best_average_linkage"]
                line += f"; best average linkage pairwise {best['pairwise_f1']:.3f} / BCubed {best['bcubed_f1']:.3f}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

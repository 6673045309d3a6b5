"""`newsdesk eval similarity`: the related-story scorer against human judgements of article pairs.

Each text of a pair becomes a one-article story and goes through the product's own profile building
(MiniLM embeddings of lead and whole text, terms, entities) and scoring, with the shipped defaults.
Document frequencies come from the file's texts, as they would from the stream. Baselines in the same
run: TF-IDF cosine (scikit-learn, fitted on the file's texts) and plain embedding cosine of the whole
texts (the shipped static model, and MiniLM alone). The gold field is read only to score.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import pearsonr, spearmanr

from newsdesk.errors import NewsdeskError
from newsdesk.evaluate import ANY, FRACTION, TEXT, EvalOptions, read_jsonl, tfidf_rows
from newsdesk.linking.entities import lead_text
from newsdesk.linking.minilm import get_minilm
from newsdesk.linking.profile import build_profiles
from newsdesk.linking.scoring import Scorer
from newsdesk.stories.embed import get_embedder
from newsdesk.stories.terms import article_terms
from newsdesk.types import Article

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _story(key: str, text: str) -> list[Article]:
    """A text as a one-article story; its time is unknown, so all share one (time then says nothing)."""
    return [Article(id=key, url="", source_id=None, outlet=key, title="", text=text, published=_EPOCH)]


def _correlations(predicted: np.ndarray, gold: np.ndarray) -> dict[str, float | None]:
    """Pearson and Spearman, None where one side is constant (no correlation is defined; JSON has no NaN)."""
    if np.ptp(predicted) == 0 or np.ptp(gold) == 0:
        return {"pearson": None, "spearman": None}
    return {
        "pearson": round(float(pearsonr(predicted, gold)[0]), 4),
        "spearman": round(float(spearmanr(predicted, gold)[0]), 4),
    }


def _row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1))


def run(data: Path, options: EvalOptions) -> dict[str, Any]:
    """Score every pair with the product's scorer and the baselines; correlations with the gold."""
    fields = {"id": ANY, "text1": TEXT, "text2": TEXT, "similarity": FRACTION}
    records = list(read_jsonl(data, fields, options.limit))
    if len(records) < 2:
        raise NewsdeskError(f"{data}: a correlation needs at least two pairs, found one")
    firsts = [str(r["text1"]) for r in records]
    seconds_ = [str(r["text2"]) for r in records]
    started = time.perf_counter()
    stories = {f"{i}:{side}": _story(f"{i}:{side}", text) for i, texts in enumerate(zip(firsts, seconds_, strict=True))
               for side, text in enumerate(texts)}  # fmt: skip
    profiles = build_profiles(stories, get_minilm())
    df: Counter[str] = Counter()
    for articles in stories.values():
        df.update(set(article_terms(articles[0].title, lead_text(articles[0].text))))
    scorer = Scorer(profiles, df, len(stories))
    pairs = [(scorer.index[f"{i}:0"], scorer.index[f"{i}:1"]) for i in range(len(records))]
    ours = np.array([scorer.closeness(a, b).score for a, b in pairs])
    elapsed = time.perf_counter() - started
    gold = np.array([float(r["similarity"]) for r in records])  # read only now, to score
    rows = tfidf_rows(firsts + seconds_, sublinear_tf=True)
    lexical = np.asarray(rows[: len(firsts)].multiply(rows[len(firsts) :]).sum(axis=1)).ravel()
    static = get_embedder("static")
    minilm = get_minilm()
    baselines = {
        "tfidf-cosine": _correlations(lexical, gold),
        "static-embedding-cosine": _correlations(_row_cosines(static.embed(firsts), static.embed(seconds_)), gold),
        "minilm-embedding-cosine": _correlations(_row_cosines(minilm.embed(firsts), minilm.embed(seconds_)), gold),
    }
    return {
        "task": "similarity",
        "pairs": len(records),
        **_correlations(ours, gold),
        "seconds": round(elapsed, 2),
        "baselines": baselines,
    }


def _cell(value: float | None, width: int) -> str:
    return f"{value:>{width}.4f}" if value is not None else f"{'n/a':>{width}}"


def table(result: dict[str, Any]) -> str:
    """The result as a small table for the terminal."""
    lines = [
        f"similarity: {result['pairs']} pairs, {result['seconds']} s for ours",
        f"{'scorer':<28}{'pearson':>9}{'spearman':>10}",
        f"{'newsdesk (related scorer)':<28}{_cell(result['pearson'], 9)}{_cell(result['spearman'], 10)}",
    ]
    for name, scores in result["baselines"].items():
        lines.append(f"{name:<28}{_cell(scores['pearson'], 9)}{_cell(scores['spearman'], 10)}")
    return "\n".join(lines)

"""`newsdesk eval summarize`: the writer's own sentence selection against reference summaries.

Each record is `{"id", "documents": [text, ...], "reference"}`. The documents become articles (one outlet
each) and go through exactly the code the pipeline's standfirst and briefing use (`writing.select`), with
its shipped defaults. The reference is read only to score. Baselines run in the same pass on the same
sentence splitter: Lead (round-robin across documents), TextRank and LexRank.

The budgets above are the task's. What the product publishes first is the standfirst (60-90 words by
default), so the same run also scores the standfirst exactly as the writer chooses it, beside Lead cut
by the same word rule.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsdesk.evaluate import ANY, TEXT, TEXTS, EvalOptions, read_jsonl
from newsdesk.evaluate.summary_metrics import BASELINES, RougeTotals, fill_budget, lead_order
from newsdesk.settings import Settings
from newsdesk.stories.embed import get_embedder
from newsdesk.types import Article
from newsdesk.writing.select import Budget, score_sentences, select_sentences
from newsdesk.writing.sentences import source_sentences, split_sentences
from newsdesk.writing.standfirst import choose_standfirst

SINGLE_DOCUMENT_SENTENCES = 3  # budget when every item has one document
MULTI_DOCUMENT_WORDS = 250  # budget otherwise
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def budget_for(records: list[dict[str, Any]], options: EvalOptions) -> Budget:
    """3 sentences when every item has one document, otherwise 250 words; flags override."""
    if options.sentences is not None or options.words is not None:
        return Budget(sentences=options.sentences, words=options.words)
    if all(len(r["documents"]) == 1 for r in records):
        return Budget(sentences=SINGLE_DOCUMENT_SENTENCES)
    return Budget(words=MULTI_DOCUMENT_WORDS)


def as_articles(record_id: str, documents: list[str]) -> list[Article]:
    """Documents as the articles of one story, each from its own outlet."""
    return [
        Article(
            id=f"{record_id}/{n}",
            url=f"eval:{record_id}/{n}",
            source_id=None,
            outlet=f"document {n}",
            title="",
            text=text,
            published=_EPOCH,
        )
        for n, text in enumerate(documents)
    ]


def run(data: Path, options: EvalOptions) -> dict[str, Any]:
    """Score our selection and the baselines on every record of the file."""
    records = list(read_jsonl(data, {"id": ANY, "documents": TEXTS, "reference": TEXT}, options.limit))
    budget = budget_for(records, options)
    settings = Settings()  # shipped defaults
    embedder = get_embedder(settings.embedder)
    shortest, longest = settings.standfirst_min_words, settings.standfirst_max_words
    ours, standfirst, lead_standfirst = RougeTotals(), RougeTotals(), RougeTotals()
    baselines = {name: RougeTotals() for name in BASELINES}
    seconds = 0.0
    for record in records:
        documents = [str(d) for d in record["documents"]]
        started = time.perf_counter()
        scored = score_sentences(source_sentences(as_articles(str(record["id"]), documents)), embedder)
        chosen = select_sentences(scored, budget)
        seconds += time.perf_counter() - started
        reference = split_sentences(str(record["reference"]))  # gold: read only here, to score
        ours.add(reference, [scored.sentences[i].text for i in chosen])
        standfirst.add(reference, [scored.sentences[i].text for i in choose_standfirst(scored, shortest, longest)])
        sentences = [(d, p, s) for d, text in enumerate(documents) for p, s in enumerate(split_sentences(text))]
        lengths = [len(s.split()) for _, _, s in sentences]
        for name, rank in BASELINES.items():
            picked = fill_budget(rank(sentences), lengths, budget.sentences, budget.words)
            baselines[name].add(reference, [sentences[i][2] for i in sorted(picked)])
        picked = fill_budget(lead_order(sentences), lengths, None, longest, min_words=shortest)
        lead_standfirst.add(reference, [sentences[i][2] for i in sorted(picked)])
    return {
        "task": "summarize",
        "items": len(records),
        **ours.means(),
        "seconds": round(seconds, 3),
        "budget": {"sentences": budget.sentences, "words": budget.words},
        "baselines": {name: totals.means() for name, totals in baselines.items()},
        "standfirst": {"words": [shortest, longest], **standfirst.means(), "lead": lead_standfirst.means()},
    }


def table(result: dict[str, Any]) -> str:
    """A plain-text table: ours, then each baseline."""
    budget = result["budget"]
    limit = f"{budget['sentences']} sentences" if budget["sentences"] else f"{budget['words']} words"
    lines = [
        f"summarize: {result['items']} items, budget {limit}, {result['seconds']:.2f} s writing",
        f"{'system':<10} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-Lsum':>10}",
    ]
    rows = [("newsdesk", result), *result["baselines"].items()]
    for name, scores in rows:
        lines.append(f"{name:<10} {scores['rouge1']:>8.4f} {scores['rouge2']:>8.4f} {scores['rougeLsum']:>10.4f}")
    shortest, longest = result["standfirst"]["words"]
    lines.append(f"standfirst as published ({shortest}-{longest} words), Lead cut by the same rule:")
    for name, scores in (("newsdesk", result["standfirst"]), ("lead", result["standfirst"]["lead"])):
        lines.append(f"{name:<10} {scores['rouge1']:>8.4f} {scores['rouge2']:>8.4f} {scores['rougeLsum']:>10.4f}")
    return "\n".join(lines)

"""Source sentences of a story: splitting, cleaning, and scoring how well each represents the story."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pysbd

from newsdesk.stories.dedupe import normalise_text
from newsdesk.stories.embed import Embedder, normalise_rows
from newsdesk.types import Article

# "ORSK (Harbor Wire) — " style datelines open wire copy; they are not part of the sentence's meaning.
_DATELINE = re.compile(r"^[A-Z][A-Z .'\-]{1,40}(?:,\s*[A-Za-z .]+)?\s*\([^)]{2,40}\)\s*[—–-]+\s*")
_BOILERPLATE = re.compile(
    r"(read more|click here|subscribe|sign up|all rights reserved|copyright|©|photo:|image:|"
    r"follow us|share this|related:|advertisement|newsletter|more to follow|developing story)",
    re.IGNORECASE,
)
# A quote whose speaker is only a pronoun ('"...," he said.') misleads once lifted out of its paragraph.
_PRONOUN_QUOTE = re.compile(
    r"[\"”]\s*,?\s*(he|she|they|it)\s+(said|says|added|told|wrote|explained|insisted|warned|noted|asked)\b"
    r"|\b(he|she|they)\s+(said|says|added|told \w+)\s*[,:]?\s*[\"“]",
    re.IGNORECASE,
)
# Sentences opening with these words lean on something said before them.
DANGLING_OPENERS = frozenset(
    "he she they it his her their its this these those that but and also however meanwhile "
    "there such both then so yet still instead".split()
)
FORWARD_CUES = re.compile(
    r"\b(will|would|is expected|are expected|expects|plans? to|planned|is due|are due|next|upcoming|"
    r"is set to|are set to|deadline|from (january|february|march|april|may|june|july|august|september|"
    r"october|november|december)|by (20\d\d|january|february|march|april|may|june|july|august|september|"
    r"october|november|december)|in (20\d\d)|later this|intends?|aims? to|scheduled)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SourceSentence:
    """One sentence of one article, with where it stands."""

    text: str  # verbatim sentence (dateline removed)
    article_id: str  # the article it comes from
    outlet: str  # that article's outlet
    position: int  # index of the sentence within its article (0 = lead)
    words: int  # word count


@cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, paragraph by paragraph (pysbd rules; no NLTK data needed)."""
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            found.extend(s.strip() for s in _segmenter().segment(paragraph) if s.strip())
    return found


def is_boilerplate(sentence: str) -> bool:
    """True for bylines, credits, calls to action and other non-news lines."""
    return bool(_BOILERPLATE.search(sentence)) or sentence.lower().startswith(("by ", "credit"))


def is_dangling(sentence: str) -> bool:
    """True when the sentence opens with a word that needs an earlier sentence to make sense."""
    first = re.sub(r"^[\"'“‘(]+", "", sentence).split(" ", 1)[0].strip(",.;:").lower()
    return first in DANGLING_OPENERS


def is_forward_looking(sentence: str) -> bool:
    """True for sentences about what comes next: plans, deadlines, expected decisions."""
    return bool(FORWARD_CUES.search(sentence))


def source_sentences(articles: Sequence[Article], min_words: int = 6, max_words: int = 60) -> list[SourceSentence]:
    """Clean, quotable sentences of the story's original articles (copies add nothing new)."""
    found: list[SourceSentence] = []
    for article in articles:
        if article.copy_of:
            continue
        for position, raw in enumerate(split_sentences(article.text)):
            text = _DATELINE.sub("", raw).strip() if position == 0 else raw
            words = len(text.split())
            if words < min_words or words > max_words or is_boilerplate(text) or text.count('"') % 2:
                continue
            if _PRONOUN_QUOTE.search(text):
                continue
            found.append(SourceSentence(text, article.id, article.outlet, position, words))
    return found


@dataclass(frozen=True)
class ScoredSentences:
    """Sentences with their embeddings and how central each is to the story."""

    sentences: list[SourceSentence]  # candidates
    vectors: np.ndarray  # unit vectors, one row per sentence
    scores: np.ndarray  # higher = more representative of the whole story


def score_sentences(sentences: list[SourceSentence], embedder: Embedder) -> ScoredSentences:
    """Score by closeness to the story's centre, agreement across outlets and closeness to the lead."""
    if not sentences:
        return ScoredSentences([], np.zeros((0, 1), dtype=np.float32), np.zeros(0))
    vectors = embedder.embed([s.text for s in sentences])
    centre = normalise_rows(vectors.mean(axis=0))
    centrality = vectors @ centre
    similarity = vectors @ vectors.T
    outlets = np.array([s.outlet for s in sentences])
    # How many other outlets say much the same thing: cross-outlet agreement is evidence of the core facts.
    agreement = np.array(
        [len(set(outlets[(similarity[i] > 0.75) & (outlets != outlets[i])])) for i in range(len(sentences))]
    )
    n_outlets = max(1, len(set(outlets)) - 1)
    position = np.array([1.0 / (1.0 + s.position) for s in sentences])
    scores = centrality + 0.15 * agreement / n_outlets + 0.35 * position
    return ScoredSentences(sentences, vectors, scores)


def carriers(sentence: SourceSentence, articles: Sequence[Article]) -> tuple[str, ...]:
    """Ids of every article carrying this sentence: its own first, then copies and reprints."""
    needle = normalise_text(sentence.text)
    found = [sentence.article_id]
    for article in articles:
        if article.id != sentence.article_id and needle in normalise_text(article.text):
            found.append(article.id)
    return tuple(found)

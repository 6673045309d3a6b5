"""Checking written sentences against the story's sources before anything is published.

A sentence passes when every name, number and date in it appears in the sources, every quotation is a
source's words verbatim (and names only people named around that quote), and a source passage supports it:
close in meaning, carrying most of its content words, and not differing from it by a negation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from newsdesk.stories.dedupe import normalise_text
from newsdesk.stories.embed import Embedder
from newsdesk.types import Article
from newsdesk.writing.sentences import split_sentences

MIN_MEANING = 0.75  # cosine to the best source passage (unrelated news sits near 0.5 under the static model)
MIN_WORDING = 0.7  # share of the sentence's content words found in its supporting passages
SUPPORT_PASSAGES = 3  # passages that may jointly support one sentence
_QUOTED = re.compile(r"[\"“]([^\"”]{8,})[\"”]|(?<![\w])[‘']([^’']{8,}?)[’'](?![\w])")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’\-]*")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NEGATION = re.compile(r"\b(not|no|never|none|nobody|nothing|without|neither|nor)\b|n't\b", re.IGNORECASE)
_NUMBER_WORDS = {
    w: str(n)
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
_CONTENT = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"said", "says", "say", "told", "added", "according"}


@dataclass(frozen=True)
class Passage:
    """One sentence of one source article, as evidence."""

    text: str  # the sentence
    article_id: str  # where it comes from
    context: str  # it and the two sentences before it (who is speaking)


@dataclass(frozen=True)
class Evidence:
    """Everything the sources say, prepared for checking."""

    passages: list[Passage]  # every sentence of every original article
    vectors: np.ndarray  # one unit vector per passage
    words: frozenset[str]  # every word form of the sources, as written
    lowered: frozenset[str]  # the same, lower-cased
    numbers: frozenset[str]  # every number, without separators
    normalised: str  # all source text, normalised (for verbatim quote checks)


@dataclass(frozen=True)
class Check:
    """The verdict on one written sentence."""

    sentence: str  # the sentence checked
    ok: bool  # True when it may be published
    reason: str  # why it failed ("" when ok)
    article_ids: tuple[str, ...]  # the articles whose passages support it (its citations)


def _number(token: str) -> str:
    return token.replace(",", "").rstrip(".")


def build_evidence(articles: Sequence[Article], embedder: Embedder) -> Evidence:
    """Index the story's original articles for checking."""
    passages: list[Passage] = []
    texts: list[str] = []
    for article in articles:
        if article.copy_of:
            continue
        sentences = split_sentences(article.text)
        passages.extend(
            Passage(s, article.id, " ".join(sentences[max(0, i - 2) : i + 1])) for i, s in enumerate(sentences)
        )
        texts.extend([article.title, article.text])
    whole = " ".join(texts)
    words = frozenset(re.findall(r"[\w'’\-]+", whole))
    return Evidence(
        passages=passages,
        vectors=embedder.embed([p.text for p in passages]),
        words=words,
        lowered=frozenset(w.lower() for w in words),
        numbers=frozenset(_number(n) for n in _NUMBER.findall(whole)),
        normalised=normalise_text(whole),
    )


def _unknown_name(sentence: str, evidence: Evidence) -> str | None:
    for match in _CAPITALISED.finditer(sentence):
        word = match.group(0).rstrip("'’").removesuffix("’s").removesuffix("'s")
        opening = match.start() == 0 or sentence[: match.start()].rstrip().endswith((":", '"', "“", "‘", "("))
        if word in evidence.words or (opening and word.lower() in evidence.lowered) or word.lower() in _STOP:
            continue
        return word
    return None


def _unknown_number(sentence: str, evidence: Evidence) -> str | None:
    for token in _NUMBER.findall(sentence):
        if _number(token) not in evidence.numbers:
            return token
    for word in re.findall(r"[a-z]+", sentence.lower()):
        digits = _NUMBER_WORDS.get(word)
        if digits is not None and digits not in evidence.numbers and word not in evidence.lowered:
            return word
    return None


def _content(text: str) -> set[str]:
    return {w.removesuffix("'s") for w in _CONTENT.findall(text.lower()) if w not in _STOP and len(w) > 1}


def _bad_quote(sentence: str, evidence: Evidence) -> str | None:
    """A quotation that no source has verbatim, or one put in the mouth of someone not named around it."""
    for match in _QUOTED.finditer(sentence):
        quoted = normalise_text(match.group(1) or match.group(2) or "")
        if not quoted or len(quoted.split()) < 3:
            continue
        if quoted not in evidence.normalised:
            return f"quote not in the sources: {match.group(0)[:60]}"
        speakers = set(re.findall(r"\b[A-Z][a-z'’\-]+", sentence.replace(match.group(0), " ")))
        contexts = [p.context for p in evidence.passages if quoted in normalise_text(p.text)]
        named = [n for n in speakers - {"The", "A", "An", "In", "On", "He", "She", "They", "It", "But"}]
        if named and not any(all(n in c for n in named) for c in contexts):
            return f"quote attributed to someone not named with it: {', '.join(sorted(named))}"
    return None


def check_sentence(sentence: str, evidence: Evidence, embedder: Embedder) -> Check:
    """Whether one written sentence may be published, and what it cites."""
    problem = _bad_quote(sentence, evidence)
    if problem is None and (name := _unknown_name(sentence, evidence)) is not None:
        problem = f"name not in the sources: {name}"
    if problem is None and (number := _unknown_number(sentence, evidence)) is not None:
        problem = f"number not in the sources: {number}"
    if problem is not None:
        return Check(sentence, False, problem, ())
    if not evidence.passages:
        return Check(sentence, False, "no sources to support it", ())
    vector = embedder.embed([sentence])[0]
    closeness = evidence.vectors @ vector
    best = [int(i) for i in np.argsort(-closeness)[:SUPPORT_PASSAGES]]
    if float(closeness[best[0]]) < MIN_MEANING:
        return Check(sentence, False, f"no source passage close in meaning ({float(closeness[best[0]]):.2f})", ())
    supporting = [i for i in best if float(closeness[i]) >= MIN_MEANING]
    words = _content(sentence)
    found = set().union(*(_content(evidence.passages[i].text) for i in supporting))
    if words and len(words & found) / len(words) < MIN_WORDING:
        missing = ", ".join(sorted(words - found)[:4])
        return Check(sentence, False, f"words no supporting passage has: {missing}", ())
    if _NEGATION.search(sentence) and not any(_NEGATION.search(evidence.passages[i].text) for i in supporting):
        return Check(sentence, False, "a negation the supporting passages lack", ())
    cited = tuple(dict.fromkeys(evidence.passages[i].article_id for i in supporting))
    return Check(sentence, True, "", cited)


def check_sentences(sentences: Sequence[str], evidence: Evidence, embedder: Embedder) -> list[Check]:
    """Verdicts for several sentences."""
    return [check_sentence(s, evidence, embedder) for s in sentences]

"""Choosing sentences under a budget: the one selection the standfirst, the briefing and `newsdesk eval` share.

Each sentence is scored by where it stands in its article (news puts the core first), how central it is
to the whole story (in meaning and in wording), how many other outlets say much the same thing, and how
long it is; a greedy maximal-marginal-relevance pass then fills the budget without repeating itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from newsdesk.stories.embed import Embedder, normalise_rows
from newsdesk.writing.sentences import SourceSentence

STOP_WORDS = ENGLISH_STOP_WORDS | {"said", "says", "say", "told"}
_WORDS = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")  # "4.5" and "5.4" are different numbers
# A capital word inside the sentence, or opening it before another ("Ana Lind won", not "Inflation rose").
_INNER_CAPITALS = re.compile(r"(?<=\S )[A-Z][a-z'’\-]*|^[A-Z][a-z'’\-]*(?= [A-Z])")


@dataclass(frozen=True)
class Weights:
    """How much each kind of evidence counts in a sentence's score (defaults shipped for every use)."""

    position_decay: float = 0.25  # score 1 / (1 + position) ** decay: the lead counts most, gently
    meaning: float = 0.5  # cosine of the sentence to the story's mean embedding
    wording: float = 0.5  # TF-IDF cosine of the sentence to the story's mean TF-IDF vector
    agreement: float = 0.5  # share of the other outlets carrying a sentence of much the same meaning
    same_meaning: float = 0.8  # cosine above which two sentences say the same thing
    told: float = 0.7  # share of a sentence's content words already chosen above which it adds too little
    contained: float = 0.6  # share of the shorter sentence's content words in the other: one repeats the other
    contained_across: float = 0.5  # the same from two outlets (one writer names the same things for new facts)
    repeat_cosine: float = 0.7  # this close in meaning and sharing `repeat_share` of those words: a repeat too
    repeat_share: float = 0.4
    long_sentence: float = 0.2  # penalty per sentence-length of words past `comfortable_words`
    comfortable_words: int = 25  # sentences up to this long carry no length penalty
    redundancy: float = 0.5  # MMR: score minus this times the closest cosine to a sentence already chosen


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Budget:
    """How much to choose."""

    sentences: int | None = None  # at most this many sentences (None: no limit)
    words: int | None = None  # at most this many words (None: no limit)
    min_words: int = 0  # stop as soon as this many words are chosen (0: fill the budget)


@dataclass(frozen=True)
class ScoredSentences:
    """A story's candidate sentences with their embeddings and how well each represents the story."""

    sentences: list[SourceSentence]  # candidates
    vectors: np.ndarray  # unit vectors, one row per sentence
    scores: np.ndarray  # higher = more representative of the whole story
    content: list[frozenset[str]]  # each sentence's content words (lower case; a number whole: "4.5", "1,200")
    proper: list[frozenset[str]]  # those capitalised inside the sentence: names, places, days
    weights: Weights  # the thresholds that tell a repeat (`same_meaning` among them), and the MMR penalty


def _wording_centrality(texts: list[str]) -> np.ndarray:
    try:
        tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    except ValueError:  # only stop words
        return np.zeros(len(texts))
    centre = np.asarray(tfidf.mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centre)) or 1.0
    return np.asarray(tfidf @ (centre / norm)).ravel()


def _agreement(sentences: list[SourceSentence], similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Share of the other outlets with a sentence of much the same meaning: evidence of the core facts."""
    outlets = np.array([s.outlet for s in sentences])
    others = len(set(outlets)) - 1
    if others < 1:
        return np.zeros(len(sentences))
    close = similarity > threshold
    return np.array([len(set(outlets[close[i] & (outlets != outlets[i])])) / others for i in range(len(sentences))])


def score_sentences(
    sentences: list[SourceSentence], embedder: Embedder, weights: Weights = DEFAULT_WEIGHTS
) -> ScoredSentences:
    """Score every candidate by position, centrality in meaning and wording, agreement and length."""
    if not sentences:
        return ScoredSentences([], np.zeros((0, 1), dtype=np.float32), np.zeros(0), [], [], weights)
    vectors = embedder.embed([s.text for s in sentences])
    meaning = vectors @ normalise_rows(vectors.mean(axis=0))
    position = np.array([1.0 / (1.0 + s.position) ** weights.position_decay for s in sentences])
    words = np.array([s.words for s in sentences], dtype=float)
    excess = np.maximum(0.0, words - weights.comfortable_words) / weights.comfortable_words
    scores = (
        position
        + weights.meaning * meaning
        + weights.wording * _wording_centrality([s.text for s in sentences])
        + weights.agreement * _agreement(sentences, vectors @ vectors.T, weights.same_meaning)
        - weights.long_sentence * excess
    )
    content = [frozenset(w for w in _WORDS.findall(s.text.lower()) if w not in STOP_WORDS) for s in sentences]
    proper = [frozenset(w.lower() for w in _INNER_CAPITALS.findall(s.text)) for s in sentences]
    return ScoredSentences(sentences, vectors, scores, content, proper, weights)


def select_sentences(
    scored: ScoredSentences,
    budget: Budget,
    *,
    exclude: frozenset[int] = frozenset(),
    allowed: frozenset[int] | None = None,
) -> list[int]:
    """Indices of the chosen sentences in reading order: best first, never one that repeats another
    (or an excluded one), and a sentence that leans on the one before it only right after that one."""
    chosen: list[int] = []
    words = 0
    pool = [i for i in range(len(scored.sentences)) if i not in exclude and (allowed is None or i in allowed)]
    pool.sort(key=lambda i: -float(scored.scores[i]))
    said = sorted(exclude)  # what a new sentence must not repeat: the excluded and the chosen
    redundancy = scored.weights.redundancy
    while pool:
        if budget.sentences is not None and len(chosen) >= budget.sentences:
            break
        if budget.min_words and words >= budget.min_words:
            break
        told = frozenset().union(*(scored.content[j] for j in chosen))
        if redundancy and chosen:  # maximal marginal relevance: what is close to the chosen counts less
            closest = np.max(scored.vectors[pool] @ scored.vectors[chosen].T, axis=1)
            order = np.argsort(-(scored.scores[pool] - redundancy * closest), kind="stable")
            pool = [pool[k] for k in order]
        best = next((i for i in pool if _fits(scored, i, chosen, said, words, budget, told)), None)
        if best is None:
            break
        chosen.append(best)
        said.append(best)
        words += scored.sentences[best].words
        pool.remove(best)
    return reading_order(scored, chosen)


def _fits(
    scored: ScoredSentences,
    i: int,
    chosen: list[int],
    said: list[int],
    words: int,
    budget: Budget,
    told: frozenset[str],
) -> bool:
    sentence = scored.sentences[i]
    content = scored.content[i]
    if content and len(content & told) / len(content) > scored.weights.told:
        return False
    if budget.words is not None and words + sentence.words > budget.words:
        return False
    if sentence.leans_back and predecessor(scored, i, chosen) is None:
        return False
    return not any(repeats(scored, i, j) for j in said)


def repeats(scored: ScoredSentences, i: int, j: int) -> bool:
    """Whether sentences i and j say one thing: (nearly) the same meaning, or the shorter one's content words
    mostly inside the other ("Port Anselm United have sacked coach Henrik Dahl." beside another outlet's "Port
    Anselm United pulled the trigger on their coach on Wednesday, ..."), or close in meaning and sharing many
    of them. Word overlap catches what the static model's compressed cosine misses."""
    cosine = float(scored.vectors[i] @ scored.vectors[j])
    if cosine > scored.weights.same_meaning:
        return True
    a, b = scored.content[i], scored.content[j]
    if min(len(a), len(b)) < 3:
        return False  # too few words to tell ("[Lind] said" is no fact)
    shared = a & b
    if not shared - scored.proper[i] - scored.proper[j]:
        return False  # only names shared: "Ana Lind won ..." and "Ana Lind will resign ..." are two facts
    share = len(shared) / min(len(a), len(b))
    weights = scored.weights
    same_outlet = scored.sentences[i].outlet == scored.sentences[j].outlet
    return share >= (weights.contained if same_outlet else weights.contained_across) or (
        cosine >= weights.repeat_cosine and share >= weights.repeat_share
    )


def predecessor(scored: ScoredSentences, i: int, chosen: Sequence[int]) -> int | None:
    """The chosen sentence just before sentence i in the same article, if any."""
    sentence = scored.sentences[i]
    return next(
        (
            j
            for j in chosen
            if scored.sentences[j].article_id == sentence.article_id
            and scored.sentences[j].position == sentence.position - 1
        ),
        None,
    )


def reading_order(scored: ScoredSentences, indices: Sequence[int]) -> list[int]:
    """Lead material first, then by rank of choice; a leaning sentence right after the one it leans on."""
    rank = {i: r for r, i in enumerate(indices)}
    leaning = {i: predecessor(scored, i, indices) for i in indices if scored.sentences[i].leans_back}
    ordered = sorted(
        (i for i in indices if leaning.get(i) is None), key=lambda i: (scored.sentences[i].position, rank[i])
    )
    for i in sorted((i for i in leaning if leaning[i] is not None), key=lambda i: scored.sentences[i].position):
        ordered.insert(ordered.index(leaning[i]) + 1, i)  # type: ignore[arg-type]
    return ordered

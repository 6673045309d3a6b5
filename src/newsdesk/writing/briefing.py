"""The briefing: Introduction, two to four themed sections with named headings, and an Outlook."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from sklearn.cluster import KMeans

from newsdesk.writing.sentences import ScoredSentences, is_forward_looking
from newsdesk.writing.standfirst import pick_diverse, reading_order

_PHRASE = re.compile(r"\b[A-Z][\w'\-]+(?:\s+(?:of|the|de|von|van|and)?\s*[A-Z][\w'\-]+)*")
_STOP_CAPS = frozenset(
    "The A An In On At For But And It He She They We I This That These Those His Her Its Their Our "
    "Mr Mrs Ms Dr After Before When While As If Some Many Most Both Officials Analysts Monday Tuesday "
    "Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December".split()
)
_STOPWORDS = frozenset(
    "a an the and or but of to in on at for from by with as is are was were be been being has have had "
    "it its this that these those he she they we i you his her their our said says say will would could "
    "should not no more most than then also into over after before about against between up down out "
    "who which what when where while there here one two three new year years per cent percent".split()
)


def section_heading(texts: list[str], other_texts: list[str]) -> str:
    """A heading that names the theme: its most distinctive named phrase, else a word it keeps using."""
    mid_caps = {w for t in [*texts, *other_texts] for w in _mid_sentence_capitals(t)}
    inside = Counter(p for t in texts for p in set(_phrases(t, mid_caps)))
    outside = Counter(p for t in other_texts for p in set(_phrases(t, mid_caps)))
    ranked = sorted(inside, key=lambda p: (-(inside[p] - 0.5 * outside[p]), -len(p), p))
    if ranked and inside[ranked[0]] - 0.5 * outside[ranked[0]] > 0:
        first = ranked[0]
        second = next((p for p in ranked[1:] if p not in first and first not in p and inside[p] > 1), None)
        return f"{first} and {second}" if second else first
    words = Counter(w for t in texts for w in set(re.findall(r"[a-z][a-z\-]{3,}", t.lower())) if w not in _STOPWORDS)
    common = [w for w, n in words.most_common(3) if n > 1]
    return common[0].capitalize() if common else "Other details"


def _mid_sentence_capitals(text: str) -> set[str]:
    words = text.split()
    return {w.strip(".,;:'\"()") for w in words[1:] if w[:1].isupper()}


def _phrases(text: str, mid_caps: set[str]) -> list[str]:
    """Runs of capitalised words (names of people, places, bodies), without sentence-initial filler."""
    found = []
    for match in _PHRASE.finditer(text):
        words = [w for w in match.group(0).split() if w not in _STOP_CAPS]
        if match.start() == 0 and words and words[0] not in mid_caps:
            words = words[1:]  # "Then Dev Rao" -> "Dev Rao": a capital that only opens sentences is no name
        words = [re.sub(r"['’]s$", "", w) for w in words]
        while words and words[0].lower() in {"of", "the", "de", "von", "van", "and"}:
            words = words[1:]
        phrase = " ".join(words).strip()
        if phrase:
            found.append(phrase)
    return found


def plan_briefing(
    scored: ScoredSentences, used: frozenset[int], section_sentences: int = 4
) -> list[tuple[str, list[int]]]:
    """(heading, sentence indices) for Introduction, themes and Outlook."""
    sections: list[tuple[str, list[int]]] = []
    intro = pick_diverse(scored, max_words=80, max_sentences=3, exclude=used)
    if intro:
        sections.append(("Introduction", reading_order(scored, intro)))
    taken = set(used) | set(intro)
    forward = frozenset(i for i, s in enumerate(scored.sentences) if i not in taken and is_forward_looking(s.text))
    outlook = pick_diverse(scored, max_words=90, max_sentences=3, exclude=frozenset(taken), allowed=forward)
    taken |= set(outlook)
    pool = [i for i in range(len(scored.sentences)) if i not in taken]
    pool = pick_diverse(scored, max_words=10_000, max_sentences=16, exclude=frozenset(taken), allowed=frozenset(pool))
    if len(pool) >= 2:
        k = int(np.clip(len(pool) // 3, 2, 4))
        labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(scored.vectors[pool])
        groups = [[pool[j] for j in range(len(pool)) if labels[j] == c] for c in range(k)]
        groups = [g for g in groups if g]
        groups.sort(key=lambda g: -max(float(scored.scores[i]) for i in g))
        all_texts = [scored.sentences[i].text for g in groups for i in g]
        for group in groups:
            best = sorted(group, key=lambda i: -float(scored.scores[i]))[:section_sentences]
            texts = [scored.sentences[i].text for i in best]
            others = [t for t in all_texts if t not in texts]
            heading = section_heading(texts, others)
            same = next((sec for sec in sections if sec[0] == heading), None)
            if same is not None:  # two groups named alike are one theme
                same[1][:] = reading_order(scored, [*same[1], *best])
            else:
                sections.append((heading, reading_order(scored, best)))
    elif pool:
        sections.append(("Details", pool))
    if outlook:
        sections.append(("Outlook", reading_order(scored, outlook)))
    return sections

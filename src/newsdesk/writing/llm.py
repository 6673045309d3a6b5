"""The optional LLM writer: any OpenAI-compatible chat endpoint rewrites the extractive text, part by part,
and only sentences that pass the checks in `verify` are published. A part with too many failures, a
timeout or an error keeps its extractive text, so a story is never left empty.

The client is a plain httpx POST to /chat/completions (the one call we need; the openai package would add
a large dependency for it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import httpx

from newsdesk.errors import NewsdeskError
from newsdesk.settings import Settings
from newsdesk.stories.embed import Embedder
from newsdesk.types import Article, Section, Sentence, Writing
from newsdesk.writing.sentences import split_sentences
from newsdesk.writing.verify import Evidence, build_evidence, check_sentence

FIXED_HEADINGS = frozenset({"Introduction", "Outlook"})
_SYSTEM = (
    "You are a careful news editor. Rewrite the numbered source sentences as clear, plain English. "
    "Use only facts stated in them: no new names, numbers, dates or claims. Keep any quotation word for word, "
    "with its speaker. Answer with the text only."
)


class LLMError(NewsdeskError):
    """The LLM endpoint failed, timed out or answered with something unusable."""


@dataclass
class RewriteReport:
    """What the checks did to one or more stories' LLM text (counts add up over stories)."""

    checked: int = 0  # LLM sentences checked
    dropped: int = 0  # of which failed a check and were not published
    parts_fallen_back: int = 0  # parts (standfirst, sections) published extractive instead
    errors: int = 0  # requests that failed or timed out
    reasons: Counter[str] = field(default_factory=Counter)  # failure kinds ("name", "number", ...)

    def add(self, other: RewriteReport) -> None:
        """Add another report's counts to this one."""
        self.checked += other.checked
        self.dropped += other.dropped
        self.parts_fallen_back += other.parts_fallen_back
        self.errors += other.errors
        self.reasons.update(other.reasons)


def chat(settings: Settings, prompt: str, max_tokens: int) -> str:
    """One chat completion from the configured endpoint; raises LLMError."""
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    body = {
        "model": settings.llm_model or "default",
        "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0,
    }
    url = settings.llm_base_url.rstrip("/") + "/chat/completions"
    try:
        reply = httpx.post(url, json=body, headers=headers, timeout=settings.llm_timeout)
        reply.raise_for_status()
        text = reply.json()["choices"][0]["message"]["content"]
    except httpx.TimeoutException:
        raise LLMError(f"LLM endpoint {url} timed out after {settings.llm_timeout:g} s") from None
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"LLM endpoint {url} failed: {exc}") from None
    if not isinstance(text, str) or not text.strip():
        raise LLMError(f"LLM endpoint {url} gave an empty answer")
    return text.strip()


def _numbered(sentences: Sequence[Sentence]) -> str:
    return "\n".join(f"{n}. {s.text}" for n, s in enumerate(sentences, start=1))


def _checked_part(
    text: str, evidence: Evidence, embedder: Embedder, report: RewriteReport, max_drop_share: float
) -> tuple[Sentence, ...] | None:
    """The LLM text's sentences that pass, each cited; None when too many fail."""
    written = [s for s in split_sentences(re.sub(r"^\s*\d+\.\s*", "", text, flags=re.M)) if len(s.split()) >= 4]
    kept: list[Sentence] = []
    for sentence in written:
        check = check_sentence(sentence, evidence, embedder)
        report.checked += 1
        if check.ok:
            kept.append(Sentence(sentence, check.article_ids))
        else:
            report.dropped += 1
            report.reasons[check.reason.split(":")[0].split(" (")[0]] += 1
    if not kept or (len(written) - len(kept)) / len(written) > max_drop_share:
        return None
    return tuple(kept)


def _heading(text: str, evidence: Evidence, embedder: Embedder) -> str | None:
    line = text.strip().splitlines()[0].strip(" #*:.\"'") if text.strip() else ""
    if not 1 <= len(line.split()) <= 6:
        return None
    check = check_sentence(line, evidence, embedder)
    return line if check.ok or check.reason.startswith(("no source passage", "words no")) else None


def rewrite(
    writing: Writing, articles: Sequence[Article], embedder: Embedder, settings: Settings
) -> tuple[Writing, RewriteReport]:
    """The writing with each part rewritten by the LLM where its sentences pass the checks."""
    report = RewriteReport()
    evidence = build_evidence(articles, embedder)
    share = settings.llm_max_drop_share

    def part(prompt: str, sentences: tuple[Sentence, ...], max_tokens: int) -> tuple[Sentence, ...]:
        if not sentences:
            return sentences
        try:
            answer = chat(settings, prompt, max_tokens)
        except LLMError:
            report.errors += 1
            report.parts_fallen_back += 1
            return sentences
        kept = _checked_part(answer, evidence, embedder, report, share)
        if kept is None:
            report.parts_fallen_back += 1
            return sentences
        return kept

    standfirst = part(
        f"Sources:\n{_numbered(writing.standfirst)}\n\nWrite a news summary of 60 to 90 words.",
        writing.standfirst,
        160,
    )
    if report.errors:  # the endpoint is down or too slow: do not wait on it for every part
        return writing, report
    sections: list[Section] = []
    for section in writing.briefing:
        sentences = part(
            f"Sources:\n{_numbered(section.sentences)}\n\nRewrite these as one short paragraph.",
            section.sentences,
            200,
        )
        heading = section.heading
        if heading not in FIXED_HEADINGS and sentences is not section.sentences:
            try:
                answer = chat(
                    settings, f"Paragraph:\n{' '.join(s.text for s in sentences)}\n\nGive it a 2-5 word heading.", 12
                )
                heading = _heading(answer, evidence, embedder) or heading
            except LLMError:
                report.errors += 1
        sections.append(Section(heading, sentences))
    changed = standfirst is not writing.standfirst or any(
        new.sentences is not old.sentences for new, old in zip(sections, writing.briefing, strict=True)
    )
    if not changed:
        return writing, report
    return replace(writing, standfirst=standfirst, briefing=tuple(sections), writer="llm"), report

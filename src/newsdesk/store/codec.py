"""Encoding of records into column values, shared by every store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np

from newsdesk.types import Section, Sentence, Writing


def encode_time(value: datetime | None) -> str | None:
    """A UTC ISO-8601 string (naive datetimes are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def decode_time(value: str | None) -> datetime | None:
    """The inverse of encode_time."""
    return None if value is None else datetime.fromisoformat(value)


def encode_vector(vector: np.ndarray) -> bytes:
    """float32 bytes of a vector."""
    return np.asarray(vector, dtype=np.float32).tobytes()


def decode_vector(blob: bytes) -> np.ndarray:
    """The inverse of encode_vector."""
    return np.frombuffer(blob, dtype=np.float32)


def encode_terms(terms: Mapping[str, float]) -> tuple[str, bytes]:
    """A story's summed terms as their names, one a line, and their float64 weights: read back three times
    faster than JSON, and the engine reads the terms of tens of thousands of candidate stories a pass."""
    names = "\n".join(terms)
    if terms and names.count("\n") != len(terms) - 1:
        raise ValueError("a term holds a line break")
    return names, np.fromiter(terms.values(), dtype=np.float64, count=len(terms)).tobytes()


def decode_terms(
    names: str | None, weights: bytes | None, before: str | Mapping[str, float] = "{}"
) -> dict[str, float]:
    """The inverse of encode_terms (the same floats, in the same order). A story written before its store had
    these columns has no weights: its terms are the JSON it was written with (`before`: text, or decoded)."""
    if weights is None:
        return json.loads(before) if isinstance(before, str) else dict(before)
    return dict(zip((names or "").split("\n"), np.frombuffer(weights, dtype=np.float64).tolist(), strict=False))


def _sentences(items: list[dict[str, object]]) -> tuple[Sentence, ...]:
    return tuple(Sentence(text=str(i["text"]), article_ids=tuple(i["article_ids"])) for i in items)  # type: ignore[arg-type]


def encode_writing(writing: Writing) -> str:
    """JSON text of a Writing."""

    def sentences(items: tuple[Sentence, ...]) -> list[dict[str, object]]:
        return [{"text": s.text, "article_ids": list(s.article_ids)} for s in items]

    return json.dumps(
        {
            "headline": writing.headline,
            "standfirst": sentences(writing.standfirst),
            "briefing": [{"heading": sec.heading, "sentences": sentences(sec.sentences)} for sec in writing.briefing],
            "whats_new": sentences(writing.whats_new),
            "article_ids": list(writing.article_ids),
            "writer": writing.writer,
        }
    )


def decode_writing(text: str | None) -> Writing | None:
    """The inverse of encode_writing."""
    if not text:
        return None
    data = json.loads(text)
    return Writing(
        headline=data["headline"],
        standfirst=_sentences(data["standfirst"]),
        briefing=tuple(
            Section(heading=sec["heading"], sentences=_sentences(sec["sentences"])) for sec in data["briefing"]
        ),
        whats_new=_sentences(data.get("whats_new", [])),
        article_ids=tuple(data.get("article_ids", [])),
        writer=data.get("writer", "extractive"),
    )

"""SQLite reads for publishing: filtered story lists, full-text search (FTS5), topics and outlets."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from newsdesk.store.codec import decode_time, encode_time
from newsdesk.store.filters import story_filter_clauses
from newsdesk.types import MATCH_END, MATCH_START, SearchHit, StoryFilter, StorySummary

_SUMMARY_COLUMNS = (
    "s.id, s.created_at, s.updated_at, s.headline, s.standfirst, s.article_count, s.outlet_count, s.topic"
)
_WORD = re.compile(r'"([^"]+)"|(\w+)', re.UNICODE)
_MAX_TERMS = 12  # longer queries keep their first words: bounds the cost of one search
RANK_WINDOW = 2000  # full-text relevance ranks at most this many of the newest matching stories


def query_terms(text: str) -> list[str]:
    """The words and "quoted phrases" a reader typed, each as words joined by spaces (punctuation dropped)."""
    terms = []
    for phrase, word in _WORD.findall(text):
        words = re.findall(r"\w+", phrase or word, re.UNICODE)
        if words:
            terms.append(" ".join(words))
    return terms[:_MAX_TERMS]


def fts_query(text: str, *, any_word: bool = False) -> str:
    """An FTS5 MATCH expression for what a reader typed: each word or "quoted phrase" as a literal phrase.

    Quoting every term means no reader input is ever parsed as FTS5 syntax (AND, NEAR, column filters)."""
    return (" OR " if any_word else " ").join(f'"{term}"' for term in query_terms(text))


def _ids_in(ids: Sequence[str]) -> tuple[str, list[Any]]:
    return (f"s.id IN ({','.join('?' * len(ids))})" if ids else "0"), list(ids)


def _where(filters: StoryFilter, written: bool = True) -> tuple[list[str], list[Any]]:
    return story_filter_clauses(filters, "?", encode_time, _ids_in, written)


def _summary(row: sqlite3.Row) -> StorySummary:
    return StorySummary(
        id=row["id"],
        created_at=decode_time(row["created_at"]),  # type: ignore[arg-type]
        updated_at=decode_time(row["updated_at"]),  # type: ignore[arg-type]
        headline=row["headline"],
        standfirst=row["standfirst"],
        article_count=row["article_count"],
        outlet_count=row["outlet_count"],
        topic=row["topic"],
    )


class SQLitePublishing:
    """Publishing queries, mixed into SQLiteStore (which provides `_rows`)."""

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def latest_stories(
        self, filters: StoryFilter, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[StorySummary]:
        clauses, params = _where(filters)
        if before is not None:
            clauses.append("(s.updated_at < ? OR (s.updated_at = ? AND s.id < ?))")
            stamp = encode_time(before[0])
            params += [stamp, stamp, before[1]]
        rows = self._rows(
            f"SELECT {_SUMMARY_COLUMNS} FROM stories s WHERE {' AND '.join(clauses)} "
            "ORDER BY s.updated_at DESC, s.id DESC LIMIT ?",
            [*params, limit],
        )
        return [_summary(r) for r in rows]

    def search_stories(self, query: str, filters: StoryFilter, limit: int, offset: int = 0) -> list[SearchHit]:
        hits = self._match(fts_query(query), filters, limit, offset)
        if not hits and offset == 0 and len(_WORD.findall(query)) > 1:
            hits = self._match(fts_query(query, any_word=True), filters, limit, offset)  # no story has every word
        return hits

    def _match(self, expression: str, filters: StoryFilter, limit: int, offset: int) -> list[SearchHit]:
        if not expression:
            return []
        filtered = filters != StoryFilter()
        clauses, params = _where(filters, written=False)  # only written stories are in the index
        joins = "JOIN story_search_docs d ON d.doc = story_search.rowid JOIN stories s ON s.id = d.story_id"
        where = " AND ".join(["story_search MATCH ?", *clauses])
        # BM25 is computed for every candidate, so rank only the newest RANK_WINDOW matches (documents are
        # numbered as stories are first written): a common word costs the same in 10,000 stories or 10 million
        floor = self._rows(
            f"SELECT story_search.rowid FROM story_search {joins if filtered else ''} WHERE {where} "
            "ORDER BY story_search.rowid DESC LIMIT 1 OFFSET ?",
            [expression, *params, RANK_WINDOW - 1],
        )
        window = floor[0][0] if floor else 0
        score = "bm25(story_search, 8.0, 3.0, 1.0)"
        ranked = self._rows(  # without filters, rank inside the index and look up only the hits kept
            f"""SELECT story_search.rowid AS doc, -{score} AS score FROM story_search {joins if filtered else ""}
                WHERE {where} AND story_search.rowid >= ? ORDER BY {score}, story_search.rowid LIMIT ? OFFSET ?""",
            [expression, *params, window, limit, offset],
        )
        if not ranked:
            return []
        docs = [r["doc"] for r in ranked]
        marks = ",".join("?" * len(docs))
        story_of = {
            r[0]: r[1] for r in self._rows(f"SELECT doc, story_id FROM story_search_docs WHERE doc IN ({marks})", docs)
        }
        snippets = {  # only for the hits kept: a snippet re-reads its document
            r[0]: r[1]
            for r in self._rows(
                f"""SELECT rowid, snippet(story_search, -1, ?, ?, '…', 24) FROM story_search
                    WHERE story_search MATCH ? AND rowid IN ({marks})""",
                [MATCH_START, MATCH_END, expression, *docs],
            )
        }
        return [
            SearchHit(story_id=story_of[r["doc"]], score=float(r["score"]), snippet=snippets.get(r["doc"], ""))
            for r in ranked
            if r["doc"] in story_of
        ]

    def topic_counts(self) -> dict[str, int]:
        # a story gets its topic when it is written, so no need to look at the headline (index-only count)
        rows = self._rows("SELECT topic, COUNT(*) FROM stories WHERE topic != '' GROUP BY topic ORDER BY topic")
        return {r[0]: int(r[1]) for r in rows}

    def outlet_names(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT outlet FROM articles ORDER BY outlet")]

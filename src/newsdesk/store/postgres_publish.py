"""PostgreSQL reads for publishing: filtered story lists, full-text search (tsvector), topics and outlets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from newsdesk.store.filters import story_filter_clauses
from newsdesk.store.sqlite_publish import _WORD, RANK_WINDOW, query_terms
from newsdesk.types import MATCH_END, MATCH_START, SearchHit, StoryFilter, StorySummary

_SUMMARY_COLUMNS = (
    "s.id, s.created_at, s.updated_at, s.headline, s.standfirst, s.article_count, s.outlet_count, s.topic"
)
# a written story's search document (text search configuration `newsdesk`, see pg_migrations.py), weighted
# like SQLite's BM25 columns: headline (A), standfirst (B), and the briefing's sentences with the titles of its
# articles (C); `%s` is an array of story ids
INDEX_STORIES = """UPDATE stories s SET search_text = s.headline || ' · ' || s.standfirst || ' · ' || d.body,
    search = setweight(to_tsvector('newsdesk', s.headline), 'A')
        || setweight(to_tsvector('newsdesk', s.standfirst), 'B') || setweight(to_tsvector('newsdesk', d.body), 'C')
    FROM (SELECT st.id, coalesce((SELECT string_agg(x->>'text', ' ') FROM jsonb_array_elements(
                    coalesce(st.writing, '{}')::jsonb->'briefing') sec, jsonb_array_elements(sec->'sentences') x), '')
                 || ' ' || coalesce((SELECT string_agg(a.title, ' ' ORDER BY a.published, a.id) FROM articles a
                                     WHERE a.story_id = st.id), '') AS body
          FROM stories st WHERE st.id = ANY(%s)) d
    WHERE s.id = d.id"""
_HEADLINE_OPTIONS = f'StartSel="{MATCH_START}", StopSel="{MATCH_END}", MaxWords=24, MinWords=12, MaxFragments=1'


def tsquery(text: str, *, any_word: bool = False) -> tuple[str, list[str]]:
    """A tsquery expression (with its parameters) for what a reader typed: each word or "quoted phrase"
    as a phrase of lexemes, so no reader input is ever parsed as query syntax."""
    terms = query_terms(text)
    expression = (" || " if any_word else " && ").join(["phraseto_tsquery('newsdesk', %s)"] * len(terms))
    return expression, terms


def _where(filters: StoryFilter, written: bool = True) -> tuple[list[str], list[Any]]:
    return story_filter_clauses(filters, "%s", lambda t: t, lambda ids: ("s.id = ANY(%s)", [list(ids)]), written)


class PostgreSQLPublishing:
    """Publishing queries, mixed into PostgreSQLStore (which provides `_rows`)."""

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def latest_stories(
        self, filters: StoryFilter, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[StorySummary]:
        clauses, params = _where(filters)
        if before is not None:
            clauses.append("(s.updated_at, s.id) < (%s, %s)")
            params += [before[0], before[1]]
        rows = self._rows(
            f"SELECT {_SUMMARY_COLUMNS} FROM stories s WHERE {' AND '.join(clauses)} "
            "ORDER BY s.updated_at DESC, s.id DESC LIMIT %s",
            [*params, limit],
        )
        return [StorySummary(**r) for r in rows]

    def search_stories(self, query: str, filters: StoryFilter, limit: int, offset: int = 0) -> list[SearchHit]:
        hits = self._match(*tsquery(query), filters, limit, offset)
        if not hits and offset == 0 and len(_WORD.findall(query)) > 1:
            hits = self._match(*tsquery(query, any_word=True), filters, limit, offset)  # no story has every word
        return hits

    def _match(
        self, expression: str, terms: list[str], filters: StoryFilter, limit: int, offset: int
    ) -> list[SearchHit]:
        if not terms:
            return []
        clauses, params = _where(filters, written=False)  # only written stories have a search document
        where = " AND ".join(["s.search @@ q.q", *clauses])
        # rank only the newest RANK_WINDOW matches, as the SQLite store does: a common word costs the same in
        # 10,000 stories or 10 million; snippets are made only for the hits kept
        rows = self._rows(
            f"""WITH q AS (SELECT {expression} AS q),
                window_ AS (SELECT s.id, s.search, s.search_text FROM stories s, q WHERE {where}
                            ORDER BY s.updated_at DESC, s.id DESC LIMIT {RANK_WINDOW}),
                ranked AS (SELECT w.*, ts_rank(w.search, q.q) AS score FROM window_ w, q
                           ORDER BY score DESC, w.id LIMIT %s OFFSET %s)
                SELECT r.id, r.score, ts_headline('newsdesk', r.search_text, q.q, %s) AS snippet FROM ranked r, q
                ORDER BY r.score DESC, r.id""",
            [*terms, *params, limit, offset, _HEADLINE_OPTIONS],
        )
        return [SearchHit(story_id=r["id"], score=float(r["score"]), snippet=r["snippet"]) for r in rows]

    def topic_counts(self) -> dict[str, int]:
        rows = self._rows("SELECT topic, COUNT(*) AS n FROM stories WHERE topic <> '' GROUP BY topic ORDER BY topic")
        return {r["topic"]: int(r["n"]) for r in rows}

    def outlet_names(self) -> list[str]:
        return [r["outlet"] for r in self._rows("SELECT DISTINCT outlet FROM articles ORDER BY outlet")]

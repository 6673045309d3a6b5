"""The WHERE clauses of a StoryFilter, shared by the SQLite and PostgreSQL stores (they differ only in the
placeholder, how times are stored and how a list of ids is matched)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from newsdesk.types import StoryFilter

IdsClause = Callable[[Sequence[str]], tuple[str, list[Any]]]  # story ids -> (clause on s.id, its parameters)


def story_filter_clauses(
    filters: StoryFilter, mark: str, time_value: Callable[[datetime], Any], ids_clause: IdsClause, written: bool = True
) -> tuple[list[str], list[Any]]:
    """Clauses (over stories aliased `s`) and their parameters; `written` keeps only written stories."""
    clauses = ["s.headline <> ''"] if written else []
    params: list[Any] = []
    if filters.topic:
        clauses.append(f"s.topic = {mark}")
        params.append(filters.topic)
    if filters.outlet:
        clauses.append(f"EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id AND a.outlet = {mark})")
        params.append(filters.outlet)
    if filters.since is not None:
        clauses.append(f"s.updated_at >= {mark}")
        params.append(time_value(filters.since))
    if filters.until is not None:
        clauses.append(f"s.updated_at < {mark}")
        params.append(time_value(filters.until))
    if filters.story_ids is not None:
        clause, values = ids_clause(filters.story_ids)
        clauses.append(clause)
        params.extend(values)
    return clauses, params

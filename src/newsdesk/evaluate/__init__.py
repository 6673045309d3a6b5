"""`newsdesk eval TASK`: the project's own measurements on labelled data, with baselines in the same run.

Each task module exposes `run(records, options) -> dict` (the JSON result) and `table(result) -> str`.
The evaluations run the product's own code with its shipped defaults and read the gold field only to score.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from newsdesk.errors import NewsdeskError

TASKS = {
    "cluster": "newsdesk.evaluate.cluster",
    "summarize": "newsdesk.evaluate.summarize",
    "similarity": "newsdesk.evaluate.similarity",
}


@dataclass(frozen=True)
class EvalOptions:
    """Options shared by every evaluation."""

    limit: int | None = None  # read only the first N records
    sentences: int | None = None  # summarize: sentence budget override
    words: int | None = None  # summarize: word budget override


@dataclass(frozen=True)
class Kind:
    """What a field's value must be, and how the error message names it."""

    accepts: Callable[[Any], bool]
    name: str


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


ANY = Kind(lambda v: True, "anything")
TEXT = Kind(lambda v: isinstance(v, str), "a string")
TEXT_OR_NULL = Kind(lambda v: v is None or isinstance(v, str), "a string or null")
TEXTS = Kind(lambda v: isinstance(v, list) and bool(v) and all(isinstance(x, str) for x in v), "a list of strings")
LABEL = Kind(lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)), "a string or integer")
FRACTION = Kind(lambda v: _is_number(v) and 0.0 <= v <= 1.0, "a number from 0 to 1")


def read_jsonl(path: Path, fields: Mapping[str, Kind], limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Records of a JSON-lines file, checked for the fields a task needs and what each holds; a file without
    any record is an error too (there would be nothing to score)."""
    if not path.is_file():
        raise NewsdeskError(f"eval data {path} does not exist")
    with path.open("rb") as lines:  # bytes, so that a line not in UTF-8 is reported with its number
        count = 0
        for number, raw in enumerate(lines, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise NewsdeskError(f"{path}:{number}: not UTF-8 text") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise NewsdeskError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise NewsdeskError(f"{path}:{number}: not a JSON object")
            missing = [f for f in fields if f not in record]
            if missing:
                raise NewsdeskError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
            for field, kind in fields.items():
                if not kind.accepts(record[field]):
                    raise NewsdeskError(f"{path}:{number}: {field} must be {kind.name}")
            yield record
            count += 1
            if limit is not None and count >= limit:
                return
    if not count:
        raise NewsdeskError(f"{path}: no records")


def tfidf_rows(texts: list[str], **params: Any) -> sparse.csr_matrix:
    """Unit TF-IDF rows of the texts for a baseline (scikit-learn); all zero when they hold no word at all,
    which scikit-learn refuses to fit ("empty vocabulary")."""
    try:
        return TfidfVectorizer(**params).fit_transform(texts).tocsr()
    except ValueError:
        return sparse.csr_matrix((len(texts), 1))


def run_task(task: str, data: Path, options: EvalOptions) -> tuple[dict[str, Any], str]:
    """Run one evaluation: (JSON result, human table)."""
    if task not in TASKS:
        raise NewsdeskError(f"unknown eval task {task!r} (known: {', '.join(TASKS)})")
    module = importlib.import_module(TASKS[task])
    result = module.run(data, options)
    return result, module.table(result)

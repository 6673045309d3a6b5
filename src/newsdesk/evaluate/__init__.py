"""`newsdesk eval TASK`: the project's own measurements on labelled data, with baselines in the same run.

Each task module exposes `run(records, options) -> dict` (the JSON result) and `table(result) -> str`.
The evaluations run the product's own code with its shipped defaults and read the gold field only to score.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def read_jsonl(path: Path, required: tuple[str, ...], limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Records of a JSON-lines file, checked for the fields a task needs."""
    if not path.is_file():
        raise NewsdeskError(f"eval data {path} does not exist")
    with path.open(encoding="utf-8") as lines:
        count = 0
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise NewsdeskError(f"{path}:{number}: not JSON ({exc.msg})") from None
            missing = [f for f in required if f not in record]
            if missing:
                raise NewsdeskError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
            yield record
            count += 1
            if limit is not None and count >= limit:
                return


def run_task(task: str, data: Path, options: EvalOptions) -> tuple[dict[str, Any], str]:
    """Run one evaluation: (JSON result, human table)."""
    if task not in TASKS:
        raise NewsdeskError(f"unknown eval task {task!r} (known: {', '.join(TASKS)})")
    module = importlib.import_module(TASKS[task])
    result = module.run(data, options)
    return result, module.table(result)

"""`newsdesk eval summarize`: the JSON contract on a file made here, and a ROUGE floor on shared dev data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsdesk.cli import main
from newsdesk.evaluate import EvalOptions
from newsdesk.evaluate.summarize import run

DOCUMENT = (
    "The Belkirk road bridge reopened on Friday, three months after floods tore away its eastern span. "
    "Engineers from the Kestrian Roads Agency rebuilt the span at a cost of 4.2 million crowns. "
    "Lorries will be allowed across once load tests finish in March. "
    "The town's mayor said the crossing had been missed by everyone. "
    "Shops near the river reported their busiest day since the summer."
)


def _shared_data() -> Path | None:
    for root in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        if (root / "data" / "summarize").is_dir():
            return root / "data" / "summarize"
    return None


def test_json_result_follows_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "items.jsonl"
    items = [
        {"id": "one", "documents": [DOCUMENT], "reference": "The Belkirk bridge reopened on Friday after floods."},
        {"id": "two", "documents": [DOCUMENT], "reference": "A rebuilt span cost 4.2 million crowns."},
    ]
    data.write_text("\n".join(json.dumps(i) for i in items) + "\n")
    assert main(["eval", "summarize", "--data", str(data), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["task"] == "summarize" and result["items"] == 2
    assert result["budget"] == {"sentences": 3, "words": None}  # every item has one document
    for scores in [result, *result["baselines"].values()]:
        assert all(0.0 <= scores[k] <= 1.0 for k in ("rouge1", "rouge2", "rougeLsum"))
    assert {"lead", "textrank", "lexrank"} <= set(result["baselines"]) and result["rouge1"] > 0.2
    assert result["seconds"] >= 0
    published = result["standfirst"]  # what the product publishes first, scored beside Lead cut the same way
    assert published["words"] == [60, 90]
    for scores in (published, published["lead"]):
        assert all(0.0 <= scores[k] <= 1.0 for k in ("rouge1", "rouge2", "rougeLsum"))


def test_several_documents_get_a_word_budget_and_flags_override(tmp_path: Path) -> None:
    data = tmp_path / "multi.jsonl"
    data.write_text(json.dumps({"id": "m", "documents": [DOCUMENT, DOCUMENT[:200]], "reference": "Bridge."}) + "\n")
    assert run(data, EvalOptions())["budget"] == {"sentences": None, "words": 250}
    assert run(data, EvalOptions(sentences=1))["budget"] == {"sentences": 1, "words": None}


@pytest.mark.parametrize(("name", "floor"), [("cnndm-dev.jsonl", 0.40), ("multinews-dev.jsonl", 0.45)])
def test_rouge_floor_on_a_slice_of_the_dev_data(name: str, floor: float) -> None:
    folder = _shared_data()
    if folder is None:
        pytest.skip("the shared evaluation data (../shared/data) is not on this machine")
    result = run(folder / name, EvalOptions(limit=25))
    assert result["rouge1"] >= floor, result
    assert result["rouge1"] >= result["baselines"]["lead"]["rouge1"] - 0.01, result  # not behind Lead

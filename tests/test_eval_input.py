"""`newsdesk eval` on bad input and bad flags: one clear line naming the file, the line and what is wrong,
never a traceback, and never a score made of nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsdesk.cli import main

CLUSTER = {"id": "1", "title": "Bridge reopens", "text": "", "event_id": "e1"}
SUMMARY = {"id": "1", "documents": ["The bridge reopened on Friday after the floods."], "reference": "It reopened."}
PAIR = {"id": "1", "text1": "The bridge reopened on Friday.", "text2": "Floods closed the bridge.", "similarity": 0.5}


def eval_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], task: str, lines: list[str]) -> str:
    data = tmp_path / "data.jsonl"
    data.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    assert main(["eval", task, "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err.strip().replace(str(data), "FILE")


@pytest.mark.parametrize("task", ["cluster", "summarize", "similarity"])
def test_an_empty_file_is_an_error_not_a_score_of_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], task: str
) -> None:
    assert eval_error(tmp_path, capsys, task, ["", "  "]) == "newsdesk: error: FILE: no records"


@pytest.mark.parametrize(
    ("task", "lines", "message"),
    [
        ("cluster", ["[1, 2]"], "FILE:1: not a JSON object"),
        (
            "cluster",
            [json.dumps(CLUSTER), "{oops"],
            "FILE:2: not JSON (Expecting property name enclosed in double quotes)",
        ),
        ("cluster", [json.dumps(CLUSTER | {"event_id": ["e1"]})], "FILE:1: event_id must be a string or integer"),
        ("cluster", [json.dumps(CLUSTER | {"text": 42})], "FILE:1: text must be a string or null"),
        ("summarize", [json.dumps(SUMMARY | {"documents": "one text"})], "FILE:1: documents must be a list of strings"),
        ("summarize", [json.dumps(SUMMARY | {"documents": []})], "FILE:1: documents must be a list of strings"),
        ("summarize", [json.dumps(SUMMARY | {"reference": None})], "FILE:1: reference must be a string"),
        ("similarity", [json.dumps(PAIR | {"similarity": "high"})], "FILE:1: similarity must be a number from 0 to 1"),
        ("similarity", [json.dumps(PAIR | {"similarity": 4})], "FILE:1: similarity must be a number from 0 to 1"),
        ("similarity", [json.dumps(PAIR)], "FILE: a correlation needs at least two pairs, found one"),
    ],
)
def test_a_bad_record_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], task: str, lines: list[str], message: str
) -> None:
    assert eval_error(tmp_path, capsys, task, lines) == f"newsdesk: error: {message}"


def test_a_line_not_in_utf8_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.jsonl"
    latin = json.dumps(PAIR | {"text2": "Floods closed the café."}, ensure_ascii=False).encode("latin-1")
    data.write_bytes(latin + b"\n" + json.dumps(PAIR | {"id": "2"}).encode() + b"\n")
    assert main(["eval", "similarity", "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"newsdesk: error: {data}:1: not UTF-8 text"


def test_texts_without_words_still_score_and_undefined_correlations_are_null(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.jsonl"
    pairs = [PAIR | {"id": "1", "text1": "...", "text2": "!!!"}, PAIR | {"id": "2", "text1": "?", "text2": "-"}]
    pairs[1]["similarity"] = 0.0  # scikit-learn finds no word in any text ("empty vocabulary")
    data.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    assert main(["eval", "similarity", "--data", str(data), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)  # valid JSON: no NaN where a correlation is undefined
    assert result["pairs"] == 2
    assert result["baselines"]["tfidf-cosine"] == {"pearson": None, "spearman": None}  # all zero: undefined
    assert main(["eval", "similarity", "--data", str(data)]) == 0
    assert "n/a" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "cluster", "--data", "x.jsonl", "--limit", "0"], "argument --limit: must be at least 1, not 0"),
        (["eval", "summarize", "--data", "x.jsonl", "--words", "ten"], "argument --words: not a whole number: 'ten'"),
        (["stories", "--limit", "-3"], "argument --limit: must be at least 1, not -3"),
        (["serve", "--port", "99999"], "argument --port: a port is at most 65535, not 99999"),
        (["worker", "--threads", "0"], "argument --threads: must be at least 1, not 0"),
    ],
)
def test_a_wrong_number_in_a_flag_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err

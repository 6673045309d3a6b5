"""`newsdesk eval similarity`: the related-story scorer on labelled pairs, with baselines in the same run.

The labelled slice is built here from our own demo corpus: two articles of one event are the same story
(1), two events of one thread (the Kestrian election and what the new president did next) are related
(0.5), anything else is unrelated (0)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from newsdesk.cli import main
from newsdesk.demo.corpus import load_corpus
from newsdesk.evaluate import EvalOptions
from newsdesk.evaluate.similarity import run, table

THREADS = [
    {"e01-kestria-election", "e02-reyvik-strand-call", "e03-reyvik-dravia-policy", "e04-dravia-drills"},
    {"e17-aldonian-cup-final", "e25-anselm-coach-sacked"},
]
EVENTS = ["e01-kestria-election", "e03-reyvik-dravia-policy", "e17-aldonian-cup-final", "e25-anselm-coach-sacked"]
EVENTS += ["e06-varna-floods", "e16-vaccine-trial"]


def gold(a: str, b: str) -> float:
    if a == b:
        return 1.0
    return 0.5 if any(a in t and b in t for t in THREADS) else 0.0


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = [a for a in load_corpus() if a.event in EVENTS]
    first_two = {e: [a for a in corpus if a.event == e][:2] for e in EVENTS}
    picked = [a for articles in first_two.values() for a in articles]
    path = tmp_path_factory.mktemp("eval") / "pairs.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n, (a, b) in enumerate(itertools.combinations(picked, 2)):
            if n % 3 and gold(a.event, b.event) == 0.0:
                continue  # keep the slice small (the suite stays fast) and not mostly unrelated
            record = {"id": str(n), "similarity": gold(a.event, b.event)}
            record |= {
                "text1": f"{a.title} {' '.join(a.paragraphs[:3])}",
                "text2": f"{b.title} {' '.join(b.paragraphs[:3])}",
            }
            out.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="module")
def result(pairs_file: Path) -> dict:
    return run(pairs_file, EvalOptions())


def test_result_has_the_contract_fields(result: dict, pairs_file: Path) -> None:
    assert result["task"] == "similarity"
    assert result["pairs"] == len(pairs_file.read_text().splitlines())
    assert set(result["baselines"]) == {"tfidf-cosine", "static-embedding-cosine", "minilm-embedding-cosine"}
    for scores in [result, *result["baselines"].values()]:
        assert -1 <= scores["pearson"] <= 1 and -1 <= scores["spearman"] <= 1
    assert result["seconds"] > 0
    assert "newsdesk (related scorer)" in table(result)


def test_quality_floor_and_ahead_of_embedding_baselines(result: dict) -> None:
    # on our own corpus invented names make wording a strong signal, so TF-IDF is close; the floor guards ours
    assert result["pearson"] >= 0.8, result
    for name in ("static-embedding-cosine", "minilm-embedding-cosine"):
        assert result["pearson"] > result["baselines"][name]["pearson"], name


def test_gold_is_read_only_to_score(pairs_file: Path, tmp_path: Path) -> None:
    """Flipping the gold flips the correlations and nothing else: the scores never depend on it."""
    records = [json.loads(line) for line in pairs_file.read_text().splitlines()][:10]
    flipped = tmp_path / "flipped.jsonl"
    flipped.write_text("".join(json.dumps(r | {"similarity": 1 - r["similarity"]}) + "\n" for r in records))
    before, after = run(pairs_file, EvalOptions(limit=10)), run(flipped, EvalOptions())
    assert after["pearson"] == pytest.approx(-before["pearson"], abs=1e-3)
    assert after["baselines"]["tfidf-cosine"]["pearson"] == pytest.approx(
        -before["baselines"]["tfidf-cosine"]["pearson"], abs=1e-3
    )


def test_cli_prints_json_with_limit(pairs_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "similarity", "--data", str(pairs_file), "--json", "--limit", "6"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["task"] == "similarity" and printed["pairs"] == 6

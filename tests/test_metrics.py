"""Clustering metrics against small examples computed by hand."""

import pytest

from newsdesk.evaluate.metrics import bcubed, pairwise


def test_pairwise_by_hand() -> None:
    gold = ["a", "a", "a", "b", "b"]
    predicted = [1, 1, 2, 2, 2]
    # gold pairs: a:3, b:1 -> 4; predicted pairs: 1:1, 2:3 -> 4; true pairs: (0,1) and (3,4) -> 2
    scores = pairwise(gold, predicted)
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.5)


def test_bcubed_by_hand() -> None:
    gold = ["a", "a", "a", "b", "b"]
    predicted = [1, 1, 2, 2, 2]
    # precision per doc: 2/2, 2/2, 1/3, 2/3, 2/3 -> 11/3 / 5 ; recall: 2/3, 2/3, 1/3, 2/2, 2/2 -> 11/3 / 5
    scores = bcubed(gold, predicted)
    assert scores["precision"] == pytest.approx(11 / 15)
    assert scores["recall"] == pytest.approx(11 / 15)


def test_perfect_and_all_singletons() -> None:
    gold = ["a", "a", "b"]
    assert pairwise(gold, [7, 7, 8])["f1"] == 1.0 and bcubed(gold, [7, 7, 8])["f1"] == 1.0
    singletons = pairwise(gold, [1, 2, 3])
    assert singletons["recall"] == 0.0 and singletons["precision"] == 1.0
    assert bcubed(gold, [1, 2, 3])["precision"] == 1.0

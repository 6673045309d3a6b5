"""The writer's output is a function of its input alone: not of hash seeds, nor of the order articles arrive in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict

from newsdesk.demo.corpus import OUTLETS, load_corpus
from newsdesk.stories.embed import get_embedder
from newsdesk.types import Article
from newsdesk.writing.writer import write_extractive

# Writes every demo event with the extractive writer and prints the writings as JSON.
_WRITE_DEMO = """
import json, sys
from collections import defaultdict
from dataclasses import asdict
from newsdesk.demo.corpus import OUTLETS, load_corpus
from newsdesk.stories.embed import get_embedder
from newsdesk.types import Article
from newsdesk.writing.writer import write_extractive

events = defaultdict(list)
for a in load_corpus():
    outlet, text = OUTLETS[a.outlet][0], "\\n\\n".join(a.paragraphs)
    events[a.event].append(Article(f"{a.event}/{a.slug}", a.path, None, outlet, a.title, text, a.published))
embedder = get_embedder("static")
print(json.dumps({e: asdict(write_extractive(arts, embedder)) for e, arts in sorted(events.items())}, default=str))
"""


def _write_demo(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", _WRITE_DEMO], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_hash_seeds_write_the_demo_corpus_identically() -> None:
    first, second = _write_demo("1"), _write_demo("2024")
    writings = json.loads(first)
    assert len(writings) >= 10 and all(w["standfirst"] and w["briefing"] for w in writings.values())
    assert first == second


def test_the_order_articles_arrive_in_does_not_change_the_writing() -> None:
    event = [a for a in load_corpus() if a.event.startswith("e14")]
    articles = [
        Article(f"a{n}", a.path, None, OUTLETS[a.outlet][0], a.title, "\n\n".join(a.paragraphs), a.published)
        for n, a in enumerate(event)
    ]
    embedder = get_embedder("static")
    assert len(articles) >= 3
    forward = write_extractive(articles, embedder)
    assert asdict(forward) == asdict(write_extractive(articles[::-1], embedder))

"""Linking benchmark: CPU time of one related list (scores, same-event checks, MMR) over N story profiles.

    .venv/bin/python bench/link_bench.py [--stories 2700]

Builds the demo corpus once (artifacts/bench/link-demo.db), then varies its story profiles into N: each
copy's embeddings nudged, its entities renamed per copy group and its times moved back, so the copies look
like a busy archive of related but distinct stories. Prints the scorer's build time and the CPU time per
related list, averaged over 20 stories. Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np

from newsdesk import open_desk
from newsdesk.demo.server import DemoServer
from newsdesk.linking.related import related_stories
from newsdesk.linking.scoring import Scorer
from newsdesk.settings import Settings
from newsdesk.store.base import StoryProfile
from newsdesk.types import Entity, StoryEntity

ROOT = Path(__file__).resolve().parent.parent


def demo_profiles(path: Path) -> tuple[list[StoryProfile], dict[str, int], int]:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with DemoServer() as demo, open_desk(f"sqlite:///{path}", Settings(allow_private_addresses=True)) as desk:
            for url in demo.feed_urls:
                desk.add_source(url)
            desk.refresh()
    with open_desk(f"sqlite:///{path}", Settings()) as desk:
        profiles = desk.store.story_profiles()
        df, n_docs = desk.store.document_frequencies({t for p in profiles for t in p.terms})
    return profiles, df, n_docs


def varied(base: list[StoryProfile], count: int) -> list[StoryProfile]:
    rng = np.random.default_rng(3)
    out = []
    for k in range(count):
        p, group = base[k % len(base)], k // len(base)

        def nudged(v: np.ndarray) -> np.ndarray:
            moved = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
            return moved / np.linalg.norm(moved)

        names = tuple(
            StoryEntity(
                Entity(f"{e.entity.slug}-{group % 7}" if group else e.entity.slug, e.entity.name, e.entity.kind),
                e.salience,
            )
            for e in p.entities
        )
        shift = timedelta(hours=3 * group)
        out.append(
            replace(
                p,
                story_id=f"{p.story_id}-{group}",
                lead=nudged(p.lead),
                whole=nudged(p.whole),
                entities=names,
                started=p.started - shift if p.started else None,
                updated=p.updated - shift if p.updated else None,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stories", type=int, default=2700)
    args = parser.parse_args()
    base, df, n_docs = demo_profiles(ROOT / "artifacts" / "bench" / "link-demo.db")
    profiles = varied(base, args.stories)
    started = time.process_time()
    scorer = Scorer(profiles, df, n_docs)
    built = time.process_time() - started
    ids = [p.story_id for p in profiles[:: max(1, len(profiles) // 20)]][:20]
    started = time.process_time()
    for story_id in ids:
        related_stories(scorer, story_id, 18)
    each = (time.process_time() - started) / len(ids)
    print(f"{len(profiles):,} stories: scorer built in {built * 1000:.0f} ms, {each * 1000:.1f} ms per related list")


if __name__ == "__main__":
    main()

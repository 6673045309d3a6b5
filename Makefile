# Executable documentation: each target is one thing a developer does.
.PHONY: setup setup-llm demo scale-demo test lint format serve

setup:            ## create .venv and install newsdesk with its dev tools
	bash scripts/setup.sh

setup-llm:        ## add llama-cpp-python (wheel built once, cached) and the SmolLM2 model for the LLM tests
	bash scripts/setup_llm.sh

demo:             ## run the demo: publish, ingest and serve the bundled corpus
	bash scripts/demo.sh

scale-demo:       ## the demo on PostgreSQL with pgvector, RabbitMQ and two worker processes
	.venv/bin/python scripts/scale_demo.py --workers 2

test:             ## lint, type-check and run every test
	bash scripts/test.sh

lint:             ## ruff and mypy only
	.venv/bin/ruff check src tests scripts bench && .venv/bin/ruff format --check src tests scripts bench && .venv/bin/mypy

format:           ## apply ruff's formatting and safe fixes
	.venv/bin/ruff check --fix src tests scripts bench && .venv/bin/ruff format src tests scripts bench

serve:            ## serve the site over the configured store
	.venv/bin/newsdesk serve

#!/usr/bin/env bash
# Sets up and runs every check: ruff, mypy (strict), the import-linter layer contract, the frontend's
# type check and unit tests, the whole pytest suite on SQLite and PostgreSQL (temporary cluster) with the
# headless-Chromium browser tests, and a smoke run of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$(pwd)/.venv/bin:$PATH"
step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

step "ruff"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
step "mypy --strict src"
mypy src
step "import-linter (layers)"
lint-imports
step "frontend: typecheck and unit tests"
(cd frontend && npm run -s typecheck && npm test --silent)
step "benchmark smoke run"
python benchmarks/selection.py --engine sqlite --scale 0.002 >/dev/null
python benchmarks/import.py --slices 40 >/dev/null
python benchmarks/roi.py --shape 48 48 32 --repeats 1 >/dev/null
python benchmarks/mrmc.py --cases 100 --repeats 1 >/dev/null
python benchmarks/markers.py --cases 5 --markers 100 --repeats 1 >/dev/null
python benchmarks/assistant.py --smoke >/dev/null
python benchmarks/patchwork.py --seconds 2 --seeds 1 --train 1 --test 1 --mm 4 --big 64 64 48 --no-deepbet >/dev/null
step "pytest"
# two workers: most tests wait on subprocesses (servers, Chromium, dcm2niix, PostgreSQL), so two in
# parallel take ~0.6 of the time on 2 cores; each worker starts its own PostgreSQL, Slurm and Orthanc
pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"

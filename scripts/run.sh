#!/usr/bin/env bash
# Sets everything up and runs nora on its embedded default: SQLite in ./nora-data, the local executor,
# a demo project of real images, the server on 127.0.0.1 (URL and login printed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export NORA_HOME=${NORA_HOME:-$(pwd)/nora-data}
.venv/bin/nora init
.venv/bin/nora demo
exec .venv/bin/nora serve --host "${NORA_HOST:-127.0.0.1}" --port "${NORA_PORT:-8000}"

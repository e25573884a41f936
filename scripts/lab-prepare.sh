#!/usr/bin/env bash
# Shared setup for lab runs: install what is needed, compile, start lab hosts
# 1..N and serve the sysbox test double.   scripts/lab-prepare.sh N
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
rm -rf dist && npx tsc -p tsconfig.json
bash lab/lab.sh up "${1:-1}"
bash lab/lab.sh sysbox-double 0.7.1 >/dev/null

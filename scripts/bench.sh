#!/usr/bin/env bash
# npm run bench: real-engine timings against lab hosts 2-4 (prints a table and JSON).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
rm -rf dist && npx tsc -p tsconfig.json
bash lab/lab.sh up 4
bash lab/lab.sh sysbox-double 0.7.1 >/dev/null
node dist/bench/bench.js

#!/usr/bin/env bash
# npm run bench: real-engine timings against lab hosts 2-4 (prints a table and JSON).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/lab-prepare.sh 4
node dist/bench/bench.js

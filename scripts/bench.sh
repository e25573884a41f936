#!/usr/bin/env bash
# npm run bench: real-engine timings against lab hosts 5-8 (prints a table and JSON).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/lab-prepare.sh 5 6 7 8
node dist/bench/bench.js

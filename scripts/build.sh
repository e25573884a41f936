#!/usr/bin/env bash
# npm run build: compile, then serialize the dynamic providers once
# (dist/components/closures.json; see components/dynamic.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -rf dist
npx tsc -p tsconfig.json
node dist/components/closures.js

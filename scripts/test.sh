#!/usr/bin/env bash
# npm test: type-check, lint (TypeScript + shell), unit, snapshot and mock tests.
# Needs no Pulumi engine, no network and no lab host; well under a minute.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "== type-check" >&2
npx tsc -p tsconfig.json --noEmit
echo "== lint" >&2
npx eslint .
bash scripts/shellcheck.sh
echo "== unit + mock tests" >&2
rm -rf dist && npx tsc -p tsconfig.json
node --test --test-reporter=spec dist/test/unit/ dist/test/mock/

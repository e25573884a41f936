#!/usr/bin/env bash
# npm test: type-check, lint (TypeScript + shell), unit, snapshot and mock tests.
# Needs no Pulumi engine and no lab host; installs what it needs first (npm
# packages, shellcheck) so it runs on a fresh clone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh apt shellcheck util-linux git openssh-client restic rsync
bash scripts/install-deps.sh npm
CONTAINAI_ACTIONLINT=$(bash scripts/install-deps.sh actionlint)
export CONTAINAI_ACTIONLINT
echo "== type-check" >&2
npx tsc -p tsconfig.json --noEmit
echo "== lint" >&2
npx eslint .
bash scripts/shellcheck.sh
echo "== unit + mock tests" >&2
bash scripts/build.sh
npx mocha --config test/mocharc.unit.json

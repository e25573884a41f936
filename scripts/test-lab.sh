#!/usr/bin/env bash
# npm run test:lab: end-to-end tests with the real Pulumi engine against lab
# hosts (systemd containers on this machine). Installs what it needs first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
rm -rf dist && npx tsc -p tsconfig.json
bash lab/lab.sh up 3
bash lab/lab.sh sysbox-double 0.7.1 >/dev/null
node --test --test-reporter=spec --test-concurrency=1 dist/test/lab/

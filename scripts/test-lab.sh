#!/usr/bin/env bash
# npm run test:lab: end-to-end tests with the real Pulumi engine against lab
# hosts (systemd containers on this machine). Installs what it needs first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/lab-prepare.sh 2 3 4
# The team-state store the fleet tests use (MinIO, built once from its Go module).
bash lab/lab.sh s3 >/dev/null
npx mocha --config test/mocharc.lab.json

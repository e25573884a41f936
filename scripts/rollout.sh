#!/usr/bin/env bash
# npm run rollout -- ...: fleet rollouts and drift audits (fleet/rollout.ts,
# Automation API). Runs against the stacks of the project in --cwd (default:
# this checkout) on whatever backend it uses (PULUMI_BACKEND_URL).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/node-cli.sh" fleet/rollout "$@"

#!/usr/bin/env bash
# npm run rollout -- ...: fleet rollouts and drift audits (fleet/rollout.ts,
# Automation API). Runs against the stacks of the project in --cwd (default:
# this checkout) on whatever backend it uses (PULUMI_BACKEND_URL).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -d "$here/node_modules/@pulumi/pulumi" ] || bash "$here/scripts/install-deps.sh" npm >&2
[ -f "$here/dist/fleet/rollout.js" ] || (cd "$here" && bash scripts/build.sh >&2)
# shellcheck disable=SC1090
source "$(bash "$here/scripts/toolchain.sh")"
exec node "$here/dist/fleet/rollout.js" "$@"

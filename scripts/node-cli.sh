#!/usr/bin/env bash
# Run one of the project's compiled Node commands (dist/<name>.js) with the
# Pulumi toolchain on PATH; installs the npm packages and builds first when
# they are missing (a fresh clone).
#   scripts/node-cli.sh fleet/rollout [args...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
js="$here/dist/${1:?the command, e.g. fleet/rollout}.js"
shift
[ -d "$here/node_modules/@pulumi/pulumi" ] || bash "$here/scripts/install-deps.sh" npm >&2
[ -f "$js" ] || (cd "$here" && bash scripts/build.sh >&2)
# shellcheck disable=SC1090
source "$(bash "$here/scripts/toolchain.sh")"
exec node "$js" "$@"

#!/usr/bin/env bash
# npm run devcontainer -- check <path>: the verdict table of a devcontainer.json
# (components/devcontainer). Needs no stack, no host and no Pulumi toolchain.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -d "$here/node_modules/jsonc-parser" ] || bash "$here/scripts/install-deps.sh" npm >&2
[ -f "$here/dist/components/devcontainer/cli.js" ] || (cd "$here" && bash scripts/build.sh >&2)
exec node "$here/dist/components/devcontainer/cli.js" "$@"

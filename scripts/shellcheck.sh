#!/usr/bin/env bash
# Lint every shell script in the repository (host scripts, lab, tooling).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v shellcheck >/dev/null || { echo "shellcheck missing: run scripts/bootstrap.sh" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.sh' .ci/run scripts/dynamic-provider/pulumi-resource-pulumi-nodejs; find host-scripts lab scripts -name '*.sh' -newer package.json 2>/dev/null)
mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
shellcheck -x "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"

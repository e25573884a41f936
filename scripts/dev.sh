#!/usr/bin/env bash
# The main job on the embedded default: bring up lab host 1 and converge it
# with `pulumi up` (stack dev, local file backend). Extra args go to pulumi up.
#   npm run dev                 # bootstrap, lab host 1, pulumi up
#   npm run dev -- --refresh    # also refresh first (shows drift)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/lab-prepare.sh 1
# shellcheck disable=SC1090
source "$(bash scripts/toolchain.sh)"
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-}   # lab stack only: see docs/operations.md
# The lab build of the docker plugin, registered in the Pulumi home this run uses.
CONTAINAI_PLUGIN_HOME=${PULUMI_HOME:-$HOME/.pulumi} bash scripts/plugins.sh
mkdir -p .pulumi-state
pulumi stack select --create dev --non-interactive >/dev/null
pulumi up --yes --non-interactive --skip-preview "$@"

#!/usr/bin/env bash
# The main job on the embedded default: bring up lab host 1 and converge it
# with `pulumi up` (stack dev, local file backend): real sysbox (a LAB BUILD)
# and one agent with Docker inside, then print how to reach it. Extra args go
# to pulumi up.
#   npm run dev                 # bootstrap, lab host 1, pulumi up --refresh
# (Always --refresh: the lab recreates host 1 when its image changes, and the
# state must learn that the host is bare again.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/lab-prepare.sh 1
# shellcheck disable=SC1090
source "$(bash scripts/toolchain.sh)"
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-}   # lab stack only: see docs/operations.md
# The lab build of the docker plugin, registered in the Pulumi home this run uses.
CONTAINAI_PLUGIN_HOME=${PULUMI_HOME:-$HOME/.pulumi} bash scripts/plugins.sh
mkdir -p .pulumi-state
# Pulumi.dev.yaml plus this machine's lab pins (never written into the checkout's tracked files).
lab_dir="${CONTAINAI_CACHE:-$HOME/.cache/containai-infra}/lab"
node lab/dev-config.js Pulumi.dev.yaml "$lab_dir" .pulumi-state/Pulumi.dev.lab.yaml
# The dev stack describes lab host 1 as it was converged. When the lab made
# host 1 again (bare: a new image, other lab keys, a cleaned lab), that state
# describes a host that is gone, and its docker resources cannot even be
# refreshed (no daemon answers): start the lab stack over (local state only).
host_id=$(docker inspect -f '{{.Id}}' containai-lab-1)
if [ -f .pulumi-state/dev-host-id ] && [ "$(cat .pulumi-state/dev-host-id)" != "$host_id" ] &&
  pulumi stack select dev --non-interactive >/dev/null 2>&1; then
  echo "dev: lab host 1 was made again (bare); starting the dev stack over" >&2
  pulumi stack rm dev --force --yes --preserve-config --non-interactive >/dev/null
fi
echo "$host_id" > .pulumi-state/dev-host-id
pulumi stack select --create dev --non-interactive >/dev/null
pulumi up --yes --non-interactive --skip-preview --refresh --config-file .pulumi-state/Pulumi.dev.lab.yaml "$@"
alias=$(pulumi stack output agentAccess --json | jq -r '.[0].alias // empty')
if [ -n "$alias" ]; then
  # No registry here: give the agent's Docker a small image (busybox) to run.
  ssh -o BatchMode=yes "$alias" 'docker image inspect tiny >/dev/null 2>&1 || docker import - tiny >/dev/null' \
    < "$lab_dir/sysbox-double/agent-images/tiny.tar"
  echo
  echo "dev: sysbox $(pulumi stack output sysboxVersion) (a LAB BUILD, real sysbox) on lab host 1. Try:"
  echo "  ssh $alias"
  echo "  ssh $alias docker run --rm tiny echo hello from Docker inside the agent"
fi

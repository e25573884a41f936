#!/usr/bin/env bash
# Removing the agents' host side keeps their workspaces and data volumes: work
# is never deleted by a destroy (delete them by hand once you are sure).
# Env: SOCKET; AGENTS lines "name container uid home-volume docker-volume workspace
# containerd-volume snapshots-volume key" ("-" for the two when the agent has none)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
while read -r name _container _uid home inner workspace cd snaps _key; do
  [ -n "$name" ] || continue
  kept="$home, $inner"
  [ "${cd:--}" = - ] || kept="$kept, $cd, $snaps"
  echo "kept workspace $workspace and volumes $kept of agent $name" >&2
done <<< "${AGENTS:-}"

#!/usr/bin/env bash
# Read-only state of the host side of one daemon's agents (key=value lines,
# "<agent>.<key>"): the workspace and its owner, the data volumes, and the
# other containers that mount the agent's inner-Docker (or inner containerd)
# volumes. Three docker CLI calls for all the agents of the daemon.
# Env: SOCKET; AGENTS lines "name container uid home-volume docker-volume workspace
# containerd-volume snapshots-volume key" ("-" for the two when the agent has none);
# SOURCES lines "agent key path [missing-ok]" (every bind source, checked on the host)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
dk() { docker -H "unix://$SOCKET" "$@"; }

volumes=$(dk volume ls -q 2>/dev/null || true)
refused=$(sources_problems "${SOURCES:-}")
mounts=$(container_volumes "$SOCKET")

while read -r name container _uid home inner workspace cd snaps _key; do
  [ -n "$name" ] || continue
  if [ -d "$workspace" ]; then
    echo "$name.workspace=present"
    echo "$name.workspace_owner=$(stat -c %u "$workspace")"
  else
    echo "$name.workspace=missing"
    echo "$name.workspace_owner=none"
  fi
  missing=""
  for v in "$home" "$inner" "${cd:--}" "${snaps:--}"; do
    [ "$v" != - ] || continue
    printf '%s\n' "$volumes" | grep -qx -- "$v" || missing="$missing${missing:+,}$v"
  done
  echo "$name.volumes=${missing:+missing:}${missing:-present}"
  others=""
  for v in "$inner" "${cd:--}" "${snaps:--}"; do
    [ "$v" != - ] || continue
    o=$(volume_users_except "$mounts" "$v" "$container")
    [ -z "$o" ] || others="$others${others:+,}$o"
  done
  echo "$name.docker_volume_others=${others:-none}"
  # One line per agent: its first refused source (key and reason), or ok.
  why=""
  [ -z "$refused" ] || why=$(printf '%s\n' "$refused" | awk -v a="$name" '$1 == a { $1 = ""; sub(/^ /, ""); print; exit }')
  echo "$name.sources=${why:-ok}"
done <<< "${AGENTS:-}"

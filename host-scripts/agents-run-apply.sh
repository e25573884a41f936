#!/usr/bin/env bash
# Keep the agents' containers of one daemon running: start those stopped by
# hand. (The docker provider's own must_run is off: its refresh of a stopped
# container reads the published ports as gone and forces a replacement,
# which would throw away the container's root filesystem.)
# Env: SOCKET; CONTAINERS lines "name id"
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
dk() { docker -H "unix://$SOCKET" "$@"; }
while read -r name _id; do
  [ -n "$name" ] || continue
  state=$(dk inspect --type container -f '{{.State.Running}}' "$name" 2>/dev/null || echo missing)
  case "$state" in
    true) ;;
    missing) die "agent container $name is missing on $SOCKET; run \`pulumi up --refresh\` to re-create it" ;;
    *) echo "starting agent container $name (it was stopped)" >&2
       dk start "$name" >/dev/null ;;
  esac
done <<< "${CONTAINERS:-}"

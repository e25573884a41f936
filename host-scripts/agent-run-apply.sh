#!/usr/bin/env bash
# Keep an agent's container running: start it when it was stopped by hand.
# (The docker provider's own must_run is off: its refresh of a stopped
# container reads the published ports as gone and forces a replacement,
# which would throw away the container's root filesystem.)
# Env: SOCKET CONTAINER_NAME
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
dk() { docker -H "unix://$SOCKET" "$@"; }
state=$(dk inspect -f '{{.State.Running}}' "$CONTAINER_NAME" 2>/dev/null || echo missing)
case "$state" in
  true) ;;
  missing) die "agent container $CONTAINER_NAME is missing on $SOCKET; run \`pulumi up --refresh\` to re-create it" ;;
  *) echo "starting agent container $CONTAINER_NAME (it was stopped)" >&2
     dk start "$CONTAINER_NAME" >/dev/null ;;
esac

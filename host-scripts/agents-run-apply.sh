#!/usr/bin/env bash
# Keep the agents' containers of one daemon running: start those stopped by
# hand. (The docker provider's own must_run is off: its refresh of a stopped
# container reads the published ports as gone and forces a replacement,
# which would throw away the container's root filesystem.)
# Before a start, and for a running agent whose image files sysbox did not
# ID-map (its upper layer was left ID-shifted by an unclean stop: every
# login fails), the daemon's rootfs guard shifts the upper layer back; a
# running agent is stopped for it (gracefully) and started again.
# Env: SOCKET; CONTAINERS lines "name id"; ROOTFS_GUARD (the daemon's guard)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
dk() { docker -H "unix://$SOCKET" "$@"; }
[ -x "${ROOTFS_GUARD:-}" ] || die "the daemon's rootfs guard ${ROOTFS_GUARD:-} is missing; run \`pulumi up\` (the daemon's step installs it)"
while read -r name _id; do
  [ -n "$name" ] || continue
  read -r state pid upper <<< "$(dk inspect --type container -f '{{.State.Running}} {{.State.Pid}} {{.GraphDriver.Data.UpperDir}}' "$name" 2>/dev/null || echo missing)"
  case "$state" in
    missing) die "agent container $name is missing on $SOCKET; run \`pulumi up --refresh\` to re-create it" ;;
    true)
      check=$("$ROOTFS_GUARD" check "$pid")
      [ "$check" != ok ] || continue
      echo "agent container $name: $check; stopping it to repair its root filesystem" >&2
      dk stop "$name" >/dev/null ;;
  esac
  if [ -n "${upper:-}" ]; then "$ROOTFS_GUARD" repair "$upper"; fi
  echo "starting agent container $name (it was stopped)" >&2
  dk start "$name" >/dev/null
done <<< "${CONTAINERS:-}"

#!/usr/bin/env bash
# Whether the agents' containers of one daemon run (key=value lines):
# <container>.running=yes|no|missing, and <container>.rootfs=ok or what is
# wrong: a running agent whose image files sysbox did not ID-map, or a
# stopped one whose upper layer an unclean stop left ID-shifted (see
# host-scripts/rootfs-guard.sh). One docker CLI call.
# Env: SOCKET; CONTAINERS lines "name id"; ROOTFS_GUARD (the daemon's guard)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
names=$(printf '%s\n' "${CONTAINERS:-}" | awk 'NF {print $1}')
# A missing container makes inspect fail after printing the others.
states=$(printf '%s\n' "$names" | xargs -r docker -H "unix://$SOCKET" inspect --type container \
  -f '{{.Name}} {{.State.Running}} {{.State.Pid}} {{.GraphDriver.Data.UpperDir}}' 2>/dev/null | sed 's#^/##' || true)
for n in $names; do
  read -r _ running pid upper <<< "$(printf '%s\n' "$states" | awk -v n="$n" '$1 == n')"
  rootfs=ok
  case "${running:-}" in
    true) echo "$n.running=yes"
      if [ ! -x "${ROOTFS_GUARD:-}" ]; then rootfs="not checked (the daemon's rootfs guard is not installed)"
      else rootfs=$("$ROOTFS_GUARD" check "$pid" 2>&1 || true); fi ;;
    "") echo "$n.running=missing" ;;
    *) echo "$n.running=no"
      if [ -n "${upper:-}" ] && [ -d "$upper" ] && [ "$(stat -c %u:%g "$upper")" != 0:0 ]; then
        rootfs="shifted: its upper layer is owned by $(stat -c %u:%g "$upper") (an unclean stop)"
      fi ;;
  esac
  echo "$n.rootfs=$rootfs"
done

#!/usr/bin/env bash
# Sysbox agents' root filesystems after an unclean stop.
#
# sysbox-runc ID-maps an agent's image layers and chowns the overlay's upper
# layer (the container's own changes) up to the container's host IDs (e.g.
# 100000..165535); sysbox-mgr chowns it back when the container stops. After
# an unclean stop (power loss, a crashed host, a killed sysbox-mgr) it stays
# shifted. At the next start sysbox sees a root filesystem not owned by root,
# maps nothing, and every image file appears owned by nobody inside: sshd
# refuses every login ("Access denied ... by PAM account configuration"),
# root cannot read /etc/shadow (upstream sysbox#757, #812).
#
# Installed on the host as /usr/local/libexec/containai/<daemon>-rootfs-guard
# by the daemon's step, run by <daemon>-rootfs-guard.service before the daemon
# starts (at boot) and by the agents' steps:
#   rootfs-guard boot DATA_ROOT MANAGED_BY
#       every stopped sysbox-runc container of this daemon labelled
#       containai.managed-by=MANAGED_BY: repair its upper layer
#   rootfs-guard repair UPPER
#       shift one upper layer back (refused while it is mounted)
#   rootfs-guard check PID
#       "ok" or "unmapped: ..." for a running container: its image files as
#       the host sees them must carry the container's host IDs
# Only IDs inside the host's sysbox range (/etc/subuid, /etc/subgid) move, by
# the amount sysbox moved them; everything else is left as it is.
set -euo pipefail

# The IDs one sysbox container is given (sysbox-mgr: 65536 per container).
SPAN=65536
# (Other files only in tests.)
SUBUID=${CONTAINAI_SUBUID:-/etc/subuid}
SUBGID=${CONTAINAI_SUBGID:-/etc/subgid}

# "start count" of the sysbox entry in /etc/subuid or /etc/subgid.
sysbox_range() {   # file
  awk -F: '$1 == "sysbox" { print $2, $3; exit }' "$1" 2>/dev/null || true
}

# True while an overlay mount uses UPPER as its upper layer (a running
# container, or one dockerd still holds): never touched then.
upper_mounted() {   # upper
  awk -v u="upperdir=$1" '{ n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == u) found = 1 } END { exit !found }' /proc/self/mountinfo
}

# Shift the IDs of every entry under DIR in [base, base+SPAN) down by base
# (one kind: u = owner, g = group). chown clears set-user/group-ID bits, so
# they are put back afterwards; symlinks themselves are changed (-h), never
# followed; one filesystem only.
shift_down() {   # dir kind base
  local dir=$1 kind=$2 base=$3 id fmt tool
  case $kind in u) fmt=%U tool=chown ;; g) fmt=%G tool=chgrp ;; esac
  for id in $(find "$dir" -xdev -printf "$fmt\n" | sort -un); do
    if [ "$id" -ge "$base" ] && [ "$id" -lt $((base + SPAN)) ]; then
      find "$dir" -xdev "-${kind}id" "$id" -print0 | xargs -0r "$tool" -h "$((id - base))"
    fi
  done
}

repair() {   # upper
  local upper=$1 uid gid ur gr us gs n
  [ -d "$upper" ] || { echo "rootfs-guard: $upper: no such directory; nothing to repair" >&2; return 0; }
  read -r uid gid < <(stat -c '%u %g' "$upper")
  [ "$uid" != 0 ] || [ "$gid" != 0 ] || return 0
  if upper_mounted "$upper"; then
    echo "rootfs-guard: $upper is in use (a running container); stop it first" >&2
    return 3
  fi
  read -r us ur < <(sysbox_range "$SUBUID") || true
  read -r gs gr < <(sysbox_range "$SUBGID") || true
  if [ -z "${us:-}" ] || [ -z "${gs:-}" ] || [ "$uid" -lt "$us" ] || [ "$uid" -ge $((us + ur)) ] ||
    [ "$gid" -lt "$gs" ] || [ "$gid" -ge $((gs + gr)) ]; then
    echo "rootfs-guard: $upper is owned by $uid:$gid, outside the sysbox ID ranges of /etc/subuid and /etc/subgid; left as it is" >&2
    return 3
  fi
  n=$(find "$upper" -xdev | wc -l)
  # Set-user/group-ID files, to restore their modes after the chown.
  local -a special=() modes=()
  local f
  while IFS= read -r -d '' f; do
    special+=("$f")
    modes+=("$(stat -c %a -- "$f")")
  done < <(find "$upper" -xdev -type f \( -perm -4000 -o -perm -2000 \) -print0)
  shift_down "$upper" u "$uid"
  shift_down "$upper" g "$gid"
  local i
  for i in "${!special[@]}"; do chmod "${modes[$i]}" -- "${special[$i]}"; done
  echo "rootfs-guard: repaired $upper ($n entries): IDs $uid:$gid.. shifted back by $uid:$gid, as sysbox does at a clean stop" >&2
}

boot() {   # data-root managed-by
  local root=$1 managed=$2 dir id cfg runtime label mid
  [ -d "$root/containers" ] || return 0
  if ! command -v jq >/dev/null 2>&1; then
    echo "rootfs-guard: jq is missing; agents' root filesystems not checked (the next pulumi up repairs them)" >&2
    return 0
  fi
  for dir in "$root"/containers/*/; do
    id=$(basename "$dir")
    cfg="$dir/config.v2.json"
    if [ ! -f "$cfg" ] || [ ! -f "$dir/hostconfig.json" ]; then continue; fi
    runtime=$(jq -r '.Runtime // empty' "$dir/hostconfig.json")
    [ "$runtime" = sysbox-runc ] || continue
    label=$(jq -r '.Config.Labels["containai.managed-by"] // empty' "$cfg")
    [ "$label" = "$managed" ] || continue
    if [ "$(jq -r '.Driver // empty' "$cfg")" != overlay2 ]; then
      echo "rootfs-guard: container ${id:0:12} does not use overlay2; not checked" >&2
      continue
    fi
    mid=$(cat "$root/image/overlay2/layerdb/mounts/$id/mount-id" 2>/dev/null || true)
    [ -n "$mid" ] || continue
    repair "$root/overlay2/$mid/diff" || true
  done
}

check() {   # pid
  local pid=$1 inner host size p u
  read -r inner host size < "/proc/$pid/uid_map"
  # No user namespace (not sysbox): nothing is mapped, nothing to check.
  if [ "$inner" != 0 ] || [ "$host" = 0 ]; then echo ok; return 0; fi
  # Image files (never symlinks here: an absolute link would resolve on the host).
  for p in /usr /etc/passwd; do
    u=$(stat -c %u "/proc/$pid/root$p" 2>/dev/null) || continue
    if [ "$u" -lt "$host" ] || [ "$u" -ge $((host + size)) ]; then
      echo "unmapped: $p is owned by host uid $u, outside the container's $host..$((host + size - 1)) (its upper layer was left shifted by an unclean stop)"
      return 0
    fi
  done
  echo ok
}

case "${1:-}" in
  boot) boot "${2:?data-root}" "${3:?managed-by label value}" ;;
  repair) repair "${2:?upper layer directory}" ;;
  check) check "${2:?pid}" ;;
  *) echo "usage: $0 boot DATA_ROOT MANAGED_BY | repair UPPER | check PID" >&2; exit 2 ;;
esac

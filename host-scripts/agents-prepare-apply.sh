#!/usr/bin/env bash
# Prepare the host side of one daemon's agents: each agent's workspace
# directory and its data volumes (home, inner Docker, and inner containerd's
# directory and snapshots), after the guard that an inner-Docker or inner
# containerd volume belongs to its agent's container alone.
# An agent created before the containerd volumes that opts in (its container
# has no volume at /var/lib/containerd yet, and is re-created next) is
# stopped cleanly, and what inner containerd kept in its root filesystem is
# carried over into the new, empty volumes first.
# Env: SOCKET MANAGED_BY ROOTFS_GUARD; AGENTS lines "name container uid
# home-volume docker-volume workspace containerd-volume snapshots-volume key"
# ("-" for the two containerd volumes when the agent keeps containerd in its
# root filesystem; key: its stack-config key);
# SOURCES lines "agent key path [missing-ok]" (every bind source: refused here,
# before anything changes, when the host would hand the agent something else)
# Idempotent. Never deletes or rewrites what is in a workspace or a volume.
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
command -v docker >/dev/null 2>&1 || die "the docker CLI is missing on the host: the docker provider reaches $SOCKET by running 'docker system dial-stdio' here over SSH; install the engine package (containai:engine.package)"
dk() { docker -H "unix://$SOCKET" "$@"; }

# Refuse first, before anything changes. Bind sources as the host resolves them:
refused=$(sources_problems "${SOURCES:-}")
if [ -n "$refused" ]; then
  die "$(printf '%s\n' "$refused" | cut -d' ' -f2- | paste -sd';' - | sed 's/;/; /g')"
fi
# Two dockerds on one data-root corrupt it.
mounts=$(container_volumes "$SOCKET")
while read -r name container _uid _home inner _workspace cd snaps key; do
  [ -n "$name" ] || continue
  # An agent whose inner containerd is on volumes keeps them: without them its re-creation would hide that data.
  if [ "${cd:--}" = - ] && printf '%s\n' "$mounts" | awk -v c="$container" -v v="containai-$name-containerd" '$1 == c { for (i = 2; i <= NF; i++) if ($i == v) f = 1 } END { exit !f }'; then
    die "agent $name keeps inner containerd's data on volumes (containai-$name-containerd, containai-$name-snapshots); without them its container would be re-created without that data: set ${key:-its entry}.containerdVolumes back to true"
  fi
  for v in "$inner" "${cd:--}" "${snaps:--}"; do
    [ "$v" != - ] || continue
    others=$(volume_users_except "$mounts" "$v" "$container")
    if [ -n "$others" ]; then
      die "the inner-Docker volume $v of agent $name is mounted by other container(s): ${others//,/ } - one container per /var/lib/docker (or /var/lib/containerd) volume (two daemons on one data directory corrupt it); remove or stop using it in those containers"
    fi
  done
done <<< "${AGENTS:-}"

# A directory tree into an empty volume directory: staged beside it (same
# filesystem), then renamed into place, so a killed run leaves the volume
# empty (and the next run copies again), never half-filled. tar keeps owners
# (numeric), modes, hard links, xattrs (overlay's trusted.* too) and the
# whiteout devices of overlay layers.
copy_tree() {   # src dst-dir [tar options...]
  local src=$1 dst=$2 stage
  shift 2
  stage="$dst.containai-carry"
  rm -rf "$stage"
  mkdir "$stage"
  # Checked explicitly: errexit does not hold inside a function called from a condition.
  if ! tar -C "$src" --numeric-owner --xattrs --xattrs-include='*' "$@" -cf - . |
    tar -C "$stage" --numeric-owner --xattrs --xattrs-include='*' -xpf -; then
    rm -rf "$stage"
    echo "copying $src to $dst failed; $dst is left as it was" >&2
    return 1
  fi
  rmdir "$dst" && mv -T "$stage" "$dst"
}

# Inner containerd's data of an agent that keeps it in its root filesystem
# (created before the containerd volumes), into the agent's new volumes: the
# container is stopped (sysbox copies its snapshots directory back into the
# root filesystem and shifts the layer back), then the directory is copied
# (owners, modes, xattrs and overlay whiteouts kept). Only into empty volumes:
# nothing is overwritten. The container stays stopped: it is re-created next.
carry_over_containerd() {   # name container containerd-volume snapshots-volume
  local name=$1 container=$2 cd=$3 snaps=$4 mounted upper src cd_dir snap_dir
  # A new agent has no container yet: nothing to carry over.
  dk container inspect "$container" >/dev/null 2>&1 || return 0
  mounted=$(dk inspect --type container -f '{{.Config.Labels}} {{range .Mounts}}{{if eq .Destination "/var/lib/containerd"}}on-volume{{end}}{{end}}' "$container")
  case "$mounted" in
    *on-volume*) return 0 ;;
    *"containai.managed-by:$MANAGED_BY"*) ;;
    *) die "container $container is not one of ours (no containai.managed-by=$MANAGED_BY label); remove or rename it" ;;
  esac
  cd_dir=$(dk volume inspect -f '{{.Mountpoint}}' "$cd")
  snap_dir=$(dk volume inspect -f '{{.Mountpoint}}' "$snaps")
  if [ -n "$(ls -A "$cd_dir")" ] && [ -n "$(ls -A "$snap_dir")" ]; then
    warn "agent $name: volumes $cd and $snaps are not empty; inner containerd data not carried over (nothing overwritten)"
    return 0
  fi
  if [ "$(dk inspect --type container -f '{{.State.Running}}' "$container")" = true ]; then
    echo "agent $name: stopping its container to carry inner containerd's data over to volumes (it is re-created next)" >&2
    dk stop "$container" >/dev/null
  fi
  upper=$(dk inspect --type container -f '{{.GraphDriver.Data.UpperDir}}' "$container")
  [ -d "${upper:-/nonexistent}" ] || die "agent $name: the root filesystem of container $container is not an overlay2 layer on this host; its inner containerd data cannot be carried over"
  [ ! -x "${ROOTFS_GUARD:-}" ] || "$ROOTFS_GUARD" repair "$upper"
  src="$upper/var/lib/containerd"
  if [ ! -d "$src" ]; then
    echo "agent $name: no inner containerd data in its root filesystem; nothing to carry over" >&2
    return 0
  fi
  # Each volume only while it is empty (a run killed between the two copies is completed by the next).
  if [ -z "$(ls -A "$cd_dir")" ]; then
    copy_tree "$src" "$cd_dir" --exclude=./io.containerd.snapshotter.v1.overlayfs || die "agent $name: inner containerd data not carried over (see above); nothing was lost: the container is stopped with its root filesystem as it was, and the next pulumi up tries again"
  fi
  if [ -d "$src/io.containerd.snapshotter.v1.overlayfs" ] && [ -z "$(ls -A "$snap_dir")" ]; then
    copy_tree "$src/io.containerd.snapshotter.v1.overlayfs" "$snap_dir" || die "agent $name: inner containerd snapshots not carried over (see above); nothing was lost: the container is stopped with its root filesystem as it was, and the next pulumi up tries again"
  fi
  echo "agent $name: inner containerd data carried over from its root filesystem to volumes $cd and $snaps" >&2
}

while read -r name container uid home inner workspace cd snaps _key; do
  [ -n "$name" ] || continue
  if [ ! -d "$workspace" ]; then
    [ ! -e "$workspace" ] || die "workspace $workspace of agent $name exists but is not a directory; move it away or set agents[].workspace"
    mkdir -p "$(dirname "$workspace")"
    tmp=$(mktemp -d "$(dirname "$workspace")/.$(basename "$workspace").containai-tmp.XXXXXX")
    chmod 0750 "$tmp"
    chown "$uid:$uid" "$tmp"
    mv -T "$tmp" "$workspace"
    echo "created workspace $workspace (owner $uid)" >&2
  elif [ "$(stat -c %u "$workspace")" != "$uid" ]; then
    # Only the directory itself: its content is the agent's and is left as is.
    chown "$uid:$uid" "$workspace"
    warn "workspace $workspace was not owned by uid $uid (the agent user); changed the directory's owner (not its content)"
  fi
  # Kept by destroy and by every replacement: a new container re-attaches them by name.
  for v in "$home" "$inner" "${cd:--}" "${snaps:--}"; do
    [ "$v" != - ] || continue
    if ! dk volume inspect "$v" >/dev/null 2>&1; then
      dk volume create --label "containai.agent=$name" --label "containai.managed-by=$MANAGED_BY" "$v" >/dev/null
      echo "created volume $v of agent $name" >&2
    fi
  done
  if [ "${cd:--}" != - ]; then carry_over_containerd "$name" "$container" "$cd" "$snaps"; fi
done <<< "${AGENTS:-}"

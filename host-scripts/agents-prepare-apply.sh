#!/usr/bin/env bash
# Prepare the host side of one daemon's agents: each agent's workspace
# directory and its two data volumes (home, inner Docker), after the guard
# that an inner-Docker volume belongs to its agent's container alone.
# Env: SOCKET MANAGED_BY; AGENTS lines "name container uid home-volume docker-volume workspace";
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
while read -r name container _uid _home inner _workspace; do
  [ -n "$name" ] || continue
  others=$(volume_users_except "$mounts" "$inner" "$container")
  if [ -n "$others" ]; then
    die "the inner-Docker volume $inner of agent $name is mounted by other container(s): ${others//,/ } - one container per /var/lib/docker volume (two dockerds on one data-root corrupt it); remove or stop using it in those containers"
  fi
done <<< "${AGENTS:-}"

while read -r name _container uid home inner workspace; do
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
  for v in "$home" "$inner"; do
    if ! dk volume inspect "$v" >/dev/null 2>&1; then
      dk volume create --label "containai.agent=$name" --label "containai.managed-by=$MANAGED_BY" "$v" >/dev/null
      echo "created volume $v of agent $name" >&2
    fi
  done
done <<< "${AGENTS:-}"

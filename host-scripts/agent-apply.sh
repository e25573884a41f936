#!/usr/bin/env bash
# Prepare one agent on the host: its workspace directory, and the guard that
# its inner-Docker volume belongs to this agent's container alone.
# Env: AGENT_NAME CONTAINER_NAME WORKSPACE AGENT_UID SOCKET DOCKER_VOLUME
# Idempotent. Never deletes or rewrites what is in the workspace.
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
command -v docker >/dev/null 2>&1 || die "the docker CLI is missing on the host: the docker provider reaches $SOCKET by running 'docker system dial-stdio' here over SSH; install the engine package (containai:engine.package)"

if [ ! -d "$WORKSPACE" ]; then
  [ ! -e "$WORKSPACE" ] || die "workspace $WORKSPACE of agent $AGENT_NAME exists but is not a directory; move it away or set agents[].workspace"
  mkdir -p "$(dirname "$WORKSPACE")"
  tmp=$(mktemp -d "$(dirname "$WORKSPACE")/.$(basename "$WORKSPACE").containai-tmp.XXXXXX")
  chmod 0750 "$tmp"
  chown "$AGENT_UID:$AGENT_UID" "$tmp"
  mv -T "$tmp" "$WORKSPACE"
  echo "created workspace $WORKSPACE (owner $AGENT_UID)" >&2
elif [ "$(stat -c %u "$WORKSPACE")" != "$AGENT_UID" ]; then
  # Only the directory itself: its content is the agent's and is left as is.
  chown "$AGENT_UID:$AGENT_UID" "$WORKSPACE"
  warn "workspace $WORKSPACE was not owned by uid $AGENT_UID (the agent user); changed the directory's owner (not its content)"
fi

others=$(docker -H "unix://$SOCKET" ps -a --filter "volume=$DOCKER_VOLUME" --format '{{.Names}}' | grep -vx "$CONTAINER_NAME" || true)
if [ -n "$others" ]; then
  die "the inner-Docker volume $DOCKER_VOLUME of agent $AGENT_NAME is mounted by other container(s): $(echo "$others" | tr '\n' ' ')- one container per /var/lib/docker volume (two dockerds on one data-root corrupt it); remove or stop using it in those containers"
fi

#!/usr/bin/env bash
# Read-only state of one agent's host side (key=value lines).
# Env: AGENT_NAME CONTAINER_NAME WORKSPACE AGENT_UID SOCKET DOCKER_VOLUME
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"

if [ -d "$WORKSPACE" ]; then
  echo "workspace=present"
  echo "workspace_owner=$(stat -c %u "$WORKSPACE")"
else
  echo "workspace=missing"
  echo "workspace_owner=none"
fi
others=$(docker -H "unix://$SOCKET" ps -a --filter "volume=$DOCKER_VOLUME" --format '{{.Names}}' 2>/dev/null | grep -vx "$CONTAINER_NAME" | tr '\n' ',' || true)
echo "docker_volume_others=${others:-none}"

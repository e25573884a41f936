#!/usr/bin/env bash
# Docker context for the login user, pointing at the instance socket.
# Env: CONTEXT_NAME SOCKET
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
endpoint="unix://$SOCKET"
if docker context inspect "$CONTEXT_NAME" >/dev/null 2>&1; then
  current=$(docker context inspect -f '{{.Endpoints.docker.Host}}' "$CONTEXT_NAME")
  if [ "$current" != "$endpoint" ]; then
    docker context update --docker "host=$endpoint" "$CONTEXT_NAME" >/dev/null
    echo "context $CONTEXT_NAME: endpoint $current -> $endpoint" >&2
  fi
else
  docker context create --description "ContainAI isolated Docker daemon" --docker "host=$endpoint" "$CONTEXT_NAME" >/dev/null
fi

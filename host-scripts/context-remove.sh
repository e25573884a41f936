#!/usr/bin/env bash
# Env: CONTEXT_NAME
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
if docker context inspect "$CONTEXT_NAME" >/dev/null 2>&1; then
  [ "$(docker context show 2>/dev/null)" != "$CONTEXT_NAME" ] || docker context use default >/dev/null
  docker context rm -f "$CONTEXT_NAME" >/dev/null
fi

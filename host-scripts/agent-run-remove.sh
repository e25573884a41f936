#!/usr/bin/env bash
# Nothing to undo: the container itself is removed by the docker provider.
# Env: SOCKET CONTAINER_NAME
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
exit 0

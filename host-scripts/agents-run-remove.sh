#!/usr/bin/env bash
# Nothing to undo: the containers themselves are removed by the docker provider.
# Env: SOCKET; CONTAINERS lines "name id"
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
exit 0

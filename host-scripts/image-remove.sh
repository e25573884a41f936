#!/usr/bin/env bash
# Images loaded from archives are kept on destroy (agents may be re-created
# from them; `docker image prune` on the instance socket frees the space).
# Env: SOCKET IMAGE
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
exit 0

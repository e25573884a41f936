#!/usr/bin/env bash
# Removing an agent's host side keeps its workspace: work is never deleted by
# a destroy (delete the directory by hand once you are sure).
# Env: AGENT_NAME WORKSPACE
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
if [ -d "$WORKSPACE" ]; then
  echo "kept workspace $WORKSPACE of agent $AGENT_NAME" >&2
fi

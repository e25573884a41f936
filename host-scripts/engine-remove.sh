#!/usr/bin/env bash
# Remove the engine package only when configured AND this program installed it.
# Env: ENGINE_PACKAGE, ENGINE_REMOVE (1 to remove)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
marker="$CONTAINAI_STATE/engine/installed-by-containai"
if [ "${ENGINE_REMOVE:-0}" = 1 ] && [ -f "$marker" ]; then
  apt-get -o DPkg::Lock::Timeout=300 remove -y -qq "$ENGINE_PACKAGE" >&2
  rm -f "$marker"
else
  echo "engine: keeping $ENGINE_PACKAGE installed (containai:engine.removeOnDestroy is false or it predates us)" >&2
fi

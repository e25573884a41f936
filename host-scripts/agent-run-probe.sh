#!/usr/bin/env bash
# Whether an agent's container runs (key=value): running=yes|no|missing.
# Env: SOCKET CONTAINER_NAME
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
case "$(docker -H "unix://$SOCKET" inspect -f '{{.State.Running}}' "$CONTAINER_NAME" 2>/dev/null || echo missing)" in
  true) echo running=yes ;;
  missing) echo running=missing ;;
  *) echo running=no ;;
esac

#!/usr/bin/env bash
# Whether an isolated daemon has an agent image (key=value).
# Env: SOCKET IMAGE
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
if docker -H "unix://$SOCKET" image inspect "$IMAGE" >/dev/null 2>&1; then echo image=present; else echo image=missing; fi

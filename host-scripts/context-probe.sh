#!/usr/bin/env bash
# Env: CONTEXT_NAME
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
ep=""
if command -v docker >/dev/null 2>&1; then
  ep=$(docker context inspect -f '{{.Endpoints.docker.Host}}' "$CONTEXT_NAME" 2>/dev/null || true)
fi
echo "endpoint=${ep:-absent}"

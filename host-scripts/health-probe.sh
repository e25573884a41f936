#!/usr/bin/env bash
# Read-only health of a converged host, as the login user (no sudo).
# Env: HEALTH_DAEMONS  lines "unit socket expected-runtime"
#      HEALTH_CONTEXTS lines "context-name expected-endpoint"
# Prints key=value lines; a value other than "ok" names the problem.
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"

s=$(systemctl is-active sysbox.service 2>/dev/null || true)
if [ "$s" = active ]; then echo "sysbox.service=ok"; else echo "sysbox.service=is ${s:-unknown}, not active"; fi

while read -r unit sock runtime; do
  [ -n "$unit" ] || continue
  a=$(systemctl is-active "$unit" 2>/dev/null || true)
  if [ "$a" != active ]; then echo "$unit=is ${a:-unknown}, not active"; continue; fi
  if [ ! -S "$sock" ]; then echo "$unit=socket $sock is missing"; continue; fi
  rt=$(timeout 10 docker -H "unix://$sock" info --format '{{.DefaultRuntime}}' 2>&1 | tail -n1 || true)
  if [ "$rt" = "$runtime" ]; then echo "$unit=ok"; else echo "$unit=default runtime is '$rt', want $runtime"; fi
done <<< "${HEALTH_DAEMONS:-}"

while read -r name endpoint; do
  [ -n "$name" ] || continue
  ep=$(docker context inspect -f '{{.Endpoints.docker.Host}}' "$name" 2>/dev/null || true)
  if [ "$ep" = "$endpoint" ]; then echo "context.$name=ok"; else echo "context.$name=endpoint is '${ep:-absent}', want $endpoint"; fi
done <<< "${HEALTH_CONTEXTS:-}"

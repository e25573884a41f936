#!/usr/bin/env bash
# TCP ports something listens on, on any address of the host (read-only):
# listening=<port> <port> ...
# With RECORD=1 instead: the SSH ports this stack's agent containers were
# created with, from their labels (agent.<name>=<port>), read once to fill in
# the port record of state written before the record was a checked input.
# Env (RECORD only): SOCKETS (daemon sockets, space-separated), STACK, MANAGED_BY.
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
if [ -n "${RECORD:-}" ]; then
  for s in ${SOCKETS:-}; do
    [ -S "$s" ] || continue
    docker -H "unix://$s" ps -a --filter "label=containai.managed-by=$MANAGED_BY" --filter "label=containai.stack=$STACK" \
      --format '{{.Label "containai.agent"}} {{.Label "containai.ssh-port"}}' | awk 'NF == 2 {print "agent." $1 "=" $2}'
  done
  exit 0
fi
command -v ss >/dev/null 2>&1 || die "ss (iproute2) is missing on the host; it is needed to find free agent SSH ports"
ports=$(ss -Htln 2>/dev/null | awk '{n = split($4, a, ":"); print a[n]}' | sort -un | tr '\n' ' ')
echo "listening=${ports% }"

#!/usr/bin/env bash
# Read-only health of the agents of one daemon, as the login user.
# Env: SOCKET; AGENTS lines "name port address ed25519-base64"; AGENT_WAIT
# seconds to wait for a starting sshd (default 90).
# Prints agent.<name>=ok, or what is wrong.
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
dk() { timeout 20 docker -H "unix://$SOCKET" "$@"; }
command -v ssh-keyscan >/dev/null 2>&1 || { echo "host=ssh-keyscan (openssh-client) is missing on the host"; exit 0; }

# Every agent's state in one call ("name running" lines; a missing one is absent).
states=$(printf '%s\n' "${AGENTS:-}" | awk 'NF {print $1}' | xargs -r docker -H "unix://$SOCKET" inspect \
  -f '{{.Name}} {{.State.Running}}' 2>/dev/null | sed 's#^/##' || true)

check() {   # name port addr key
  local name=$1 port=$2 addr=$3 key=$4 running seen deadline
  running=$(printf '%s\n' "$states" | awk -v n="$name" '$1 == n {print $2}')
  case "${running:-absent}" in
    true) ;;
    absent) echo "agent.$name=container is missing (removed by hand?)"; return ;;
    *) echo "agent.$name=container is not running (stopped by hand?)"; return ;;
  esac
  deadline=$(( $(date +%s) + ${AGENT_WAIT:-90} ))
  while :; do
    seen=$(ssh-keyscan -T 3 -t ed25519 -p "$port" "$addr" 2>/dev/null | awk '{print $3}' | head -n1 || true)
    [ -n "$seen" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || { echo "agent.$name=sshd does not answer on $addr:$port"; return; }
    sleep 1
  done
  if [ "$seen" != "$key" ]; then echo "agent.$name=sshd on $addr:$port presents another host key than the pinned one"; return; fi
  # Docker-in-Docker, when the image has it (real sysbox hosts; the lab's image
  # has none): one exec answers both "is there a docker" and "does it work".
  deadline=$(( $(date +%s) + ${AGENT_WAIT:-90} ))
  while :; do
    inner=$(dk exec "$name" sh -c 'command -v docker >/dev/null 2>&1 || { echo none; exit 0; }; docker info >/dev/null 2>&1 && echo ok || echo down' 2>/dev/null || echo down)
    [ "$inner" = down ] || break
    [ "$(date +%s)" -lt "$deadline" ] || { echo "agent.$name=docker info fails inside the agent (inner Docker not running)"; return; }
    sleep 2
  done
  echo "agent.$name=ok"
}

# The agents are checked side by side (each waits on its own sshd and
# Docker); results are printed in the order given.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
i=0
while read -r name port addr key; do
  [ -n "$name" ] || continue
  i=$((i + 1))
  check "$name" "$port" "$addr" "$key" > "$out/$(printf '%05d' "$i")" &
done <<< "${AGENTS:-}"
wait
cat "$out"/* 2>/dev/null || true

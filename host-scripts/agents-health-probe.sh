#!/usr/bin/env bash
# Read-only health of the agents of one daemon, as the login user.
# Env: SOCKET; AGENTS lines "name port address fingerprint" (SHA256:... of
# the pinned ed25519 host key); AGENT_WAIT seconds to wait for a starting
# sshd (default 90); ROOTFS_GUARD (the daemon's rootfs guard).
# Prints agent.<name>=ok, or what is wrong.
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
dk() { timeout 20 docker -H "unix://$SOCKET" "$@"; }
command -v ssh >/dev/null 2>&1 || { echo "host=ssh (openssh-client) is missing on the host"; exit 0; }

# Every agent's state in one call ("name running pid env..." lines; a missing
# one is absent). The environment is there for the agent's PATH.
states=$(printf '%s\n' "${AGENTS:-}" | awk 'NF {print $1}' | xargs -r docker -H "unix://$SOCKET" inspect --type container \
  -f '{{.Name}} {{.State.Running}} {{.State.Pid}}{{range .Config.Env}} {{.}}{{end}}' 2>/dev/null | sed 's#^/##' || true)
# Parsed once, here (no process per agent): running, pid, and PATH (docker
# exec's: the container's own, else Docker's default).
declare -A RUNNING=() PID=() APATH=()
while read -r n r p rest; do
  [ -n "$n" ] || continue
  RUNNING[$n]=$r
  PID[$n]=$p
  read -ra envs <<< "$rest"
  for e in "${envs[@]}"; do
    case $e in PATH=*) APATH[$n]=${e#PATH=}; break ;; esac
  done
done <<< "$states"

now() { printf -v "$1" '%(%s)T' -1; }

# True when the agent surely has no docker CLI: its root filesystem is
# visible from here (/proc/<pid>/root: root on the host) and no directory of
# its PATH holds an entry named docker (file or symlink, even a dangling
# one). Anything else (not visible, a relative PATH entry, an entry found)
# means "maybe": the caller asks inside with docker exec.
no_docker_cli() {   # pid PATH
  local root=/proc/$1/root dirs d
  [ "$1" -gt 0 ] 2>/dev/null && ls "$root/" >/dev/null 2>&1 || return 1
  IFS=: read -ra dirs <<< "$2"
  for d in "${dirs[@]}"; do
    case $d in /*) ;; *) return 1 ;; esac
    if [ -e "$root$d/docker" ] || [ -L "$root$d/docker" ]; then return 1; fi
  done
  return 0
}

# The fingerprint of the ed25519 host key the sshd on addr:port presents, or
# nothing. ssh stops right after the key exchange (no key is known and
# checking is strict), so no login is attempted, as with ssh-keyscan; unlike
# ssh-keyscan it can be told to use curve25519: ssh-keyscan always offers the
# post-quantum exchange first, whose key generation costs ~30 ms of CPU per
# agent. The exchange only carries the public host key we compare.
# ssh-keyscan is the fallback for an sshd that allows none of these exchanges.
host_key_fp() {   # addr port: sets $seen
  local out line
  seen=
  out=$(ssh -v -F /dev/null -o BatchMode=yes -o ConnectTimeout=3 -o HostKeyAlgorithms=ssh-ed25519 \
    -o KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
    -p "$2" "health-check@$1" true 2>&1 || true)
  case $out in
    *"no matching key exchange method"*)
      seen=$(ssh-keyscan -T 3 -t ed25519 -p "$2" "$1" 2>/dev/null | ssh-keygen -lf - 2>/dev/null | awk '{print $2; exit}' || true) ;;
    *)
      while IFS= read -r line; do
        # "debug1: Server host key: ssh-ed25519 SHA256:..." (ssh's debug lines end in \r)
        case $line in *"Server host key: ssh-ed25519 "*) line=${line%$'\r'}; seen=${line##* }; break ;; esac
      done <<< "$out" ;;
  esac
}

check() {   # name port addr fingerprint
  local name=$1 port=$2 addr=$3 fp=$4 running pid path seen t deadline mapped
  running=${RUNNING[$name]:-absent}
  pid=${PID[$name]:-0}
  path=${APATH[$name]:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
  case "$running" in
    true) ;;
    absent) echo "agent.$name=container is missing (removed by hand?)"; return ;;
    *) echo "agent.$name=container is not running (stopped by hand?)"; return ;;
  esac
  now t; deadline=$(( t + ${AGENT_WAIT:-90} ))
  while :; do
    host_key_fp "$addr" "$port"
    [ -n "$seen" ] && break
    now t; [ "$t" -lt "$deadline" ] || { echo "agent.$name=sshd does not answer on $addr:$port"; return; }
    sleep 1
  done
  if [ "$seen" != "$fp" ]; then echo "agent.$name=sshd on $addr:$port presents another host key than the pinned one"; return; fi
  # sshd answers, but every login fails when sysbox did not ID-map the image
  # files (an unclean stop left the upper layer shifted: rootfs-guard.sh).
  # Seen only by a login user who may look into /proc/<pid>/root (root).
  if [ -x "${ROOTFS_GUARD:-}" ] && [ "$pid" -gt 0 ]; then
    mapped=$("$ROOTFS_GUARD" check "$pid" 2>/dev/null || echo ok)
    if [ "$mapped" != ok ]; then echo "agent.$name=root filesystem $mapped; logins fail: run \`pulumi up --refresh\` (it repairs it)"; return; fi
  fi
  # Docker-in-Docker, when the image has it (real sysbox hosts; the lab's image
  # has none): one exec answers both "is there a docker" and "does it work",
  # unless the agent's filesystem, seen from the host, already says "none".
  if no_docker_cli "$pid" "$path"; then echo "agent.$name=ok"; return; fi
  now t; deadline=$(( t + ${AGENT_WAIT:-90} ))
  while :; do
    # (Agents built from a devcontainer.json: a failed lifecycle unit is named first.)
    # shellcheck disable=SC2016  # expanded inside the agent
    inner=$(dk exec "$name" sh -c 'f=""; for u in containai-devcontainer-create containai-devcontainer-start; do
        systemctl is-failed --quiet "$u.service" 2>/dev/null && f="$f $u.service"; done
      [ -z "$f" ] || { echo "lifecycle$f"; exit 0; }
      command -v docker >/dev/null 2>&1 || { echo none; exit 0; }; docker info >/dev/null 2>&1 && echo ok || echo down' 2>/dev/null || echo down)
    case $inner in
      lifecycle*) echo "agent.$name=a devcontainer lifecycle command failed (${inner#lifecycle }): see journalctl -u ${inner##* } inside the agent"; return ;;
    esac
    [ "$inner" = down ] || break
    now t; [ "$t" -lt "$deadline" ] || { echo "agent.$name=docker info fails inside the agent (inner Docker not running)"; return; }
    sleep 2
  done
  echo "agent.$name=ok"
}

# The agents are checked side by side (each waits on its own sshd and
# Docker); results are printed in the order given.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
i=0
while read -r name port addr fp; do
  [ -n "$name" ] || continue
  i=$((i + 1))
  printf -v f '%s/%05d' "$out" "$i"
  check "$name" "$port" "$addr" "$fp" > "$f" &
done <<< "${AGENTS:-}"
wait
cat "$out"/* 2>/dev/null || true

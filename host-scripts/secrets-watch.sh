#!/usr/bin/env bash
# Agents' secrets as files in their /run/secrets: the one place they are
# written into an agent.
#
# Installed on the host as /usr/local/libexec/containai/<daemon>-secrets-watch
# by the agents' secrets step, which keeps the daemon's secrets in STORE (a
# root-only 0600 file on the host's /run, a tmpfs: never on disk), and runs:
#   secrets-watch deliver SOCKET STORE
#       every agent in STORE: write its files (the agent user, 0400, each
#       replaced atomically) and remove files of ours no longer configured.
#       Fails when an agent's container is not running.
#   secrets-watch watch SOCKET STORE
#       run by <daemon>-secrets.service: deliver to every running agent, then
#       again to each agent whenever its container starts (a restart empties
#       the agent's /run). Exits when the daemon's event stream ends (a daemon
#       restart); systemd starts it again.
# STORE lines: "agent container uid name base64-value". A value travels on a
# `docker exec`'s stdin, never in an argument, and is never printed.
set -euo pipefail

cmd=${1:?deliver or watch}
SOCKET=${2:?socket}
STORE=${3:?store}
dk() { docker -H "unix://$SOCKET" "$@"; }
# The container of agent $1 in the store's text $2; whether container $1 runs.
container_of() { printf '%s\n' "$2" | awk -v a="$1" '$1 == a {print $2; exit}'; }
runs() { [ "$(dk inspect --type container -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

# The helpers that run inside the agent (as root there): write one file, or prune.
# shellcheck disable=SC2016 # expanded inside the agent
put='set -eu; d=/run/secrets; mkdir -p "$d"; chmod 0755 "$d"; umask 0277
  t="$d/.containai-tmp.$1"; cat > "$t"; chown "$2:$2" "$t"; chmod 0400 "$t"; mv -f "$t" "$d/$1"'
# shellcheck disable=SC2016
prune='set -eu; d=/run/secrets; [ -d "$d" ] || exit 0; m="$d/.containai-managed"
  if [ -f "$m" ]; then while read -r n; do
    case " $* " in *" $n "*) ;; *) rm -f "$d/$n" ;; esac
  done < "$m"; fi
  umask 0277; printf "%s\n" "$@" > "$m.tmp"; mv -f "$m.tmp" "$m"'

# One agent's files from the store's text $2. Returns 1 (saying why) when its
# container is not running or a write fails.
deliver_agent() {   # agent lines
  local agent=$1 lines=$2 container a uid name b64
  local -a names=()
  container=$(container_of "$agent" "$lines")
  if ! runs "$container"; then
    echo "agent $agent: its container is not running, so its secrets cannot be delivered; run \`pulumi up --refresh\`" >&2
    return 1
  fi
  while read -r a _ uid name b64; do
    [ "$a" = "$agent" ] || continue
    names+=("$name")
    printf '%s' "$b64" | base64 -d | dk exec -i -u 0 "$container" sh -c "$put" _ "$name" "$uid" \
      || { echo "agent $agent: writing secret $name into /run/secrets failed" >&2; return 1; }
  done <<< "$lines"
  dk exec -u 0 "$container" sh -c "$prune" _ "${names[@]}" \
    || { echo "agent $agent: pruning /run/secrets failed" >&2; return 1; }
  echo "agent $agent: ${#names[@]} secret(s) in /run/secrets" >&2
}

# Each delivery holds this lock: the secrets step's and the watcher's never
# interleave, so an older store's values never land after a newer one's.
locked() {
  exec {lk}> "$STORE.lock"
  flock "$lk"
  local rc=0
  "$@" || rc=$?
  exec {lk}>&-
  return "$rc"
}

agents_in() { printf '%s\n' "$1" | awk 'NF {print $1}' | sort -u; }

deliver_all() {   # strict(1|0)
  local lines agent rc=0
  lines=$(cat "$STORE")
  for agent in $(agents_in "$lines"); do
    if [ "$1" = 1 ]; then deliver_agent "$agent" "$lines" || rc=1
    elif runs "$(container_of "$agent" "$lines")"; then deliver_agent "$agent" "$lines" || true
    fi
  done
  return "$rc"
}

# The agent whose container is named $1 in the store, if any, then its files.
deliver_started() {   # container-name
  local lines agent
  [ -f "$STORE" ] || return 0
  lines=$(cat "$STORE")
  agent=$(printf '%s\n' "$lines" | awk -v c="$1" '$2 == c {print $1; exit}')
  [ -n "$agent" ] || return 0
  deliver_agent "$agent" "$lines" || true
}

case "$cmd" in
  deliver)
    [ -f "$STORE" ] || { echo "secrets-watch: no store at $STORE" >&2; exit 1; }
    locked deliver_all 1
    ;;
  watch)
    # The event stream first, so that no start between the full pass and the
    # stream is missed (a start seen twice is written twice, harmlessly).
    exec {ev}< <(dk events --filter type=container --filter event=start --format '{{.Actor.Attributes.name}}')
    [ ! -f "$STORE" ] || locked deliver_all 0
    while read -r -u "$ev" name; do
      locked deliver_started "$name"
    done
    echo "secrets-watch: the event stream of $SOCKET ended (daemon stopped?)" >&2
    exit 1
    ;;
  *) echo "secrets-watch: unknown command $cmd (deliver or watch)" >&2; exit 2 ;;
esac

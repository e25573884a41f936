#!/usr/bin/env bash
# Shared helpers for host scripts. Components send lib.sh + one script on
# stdin to `bash -s`; run standalone, a script sources this file itself.
set -euo pipefail
export CONTAINAI_LIB=1
export DEBIAN_FRONTEND=noninteractive
export CONTAINAI_STATE=/var/lib/containai

warn() { echo "WARNING: $*" >&2; }
die() { echo "ERROR: $1" >&2; exit "${2:-1}"; }

# apt-get install with lock waiting; refreshes package lists when stale.
apt_install() {
  local stamp=/var/lib/apt/periodic/containai-update-stamp
  # A run cut off mid-install (SSH dropped) can leave dpkg half-configured.
  if [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ]; then
    echo "recovering an interrupted dpkg run" >&2
    dpkg --force-confold --configure -a >&2
  fi
  if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ] \
     || ! apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
  fi
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >&2
}

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

sha256_of() {
  if [ -f "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo absent; fi
}

# Atomically replace file $2 with the content of file $1, mode $3: a temp
# file in the same directory, fsync, rename, fsync of the directory. A reader
# sees the old file or the new one, never a missing, empty or partial file.
atomic_install() {
  local src=$1 dest=$2 mode=${3:-0644} dir tmp
  dir=$(dirname "$dest")
  mkdir -p "$dir"
  tmp=$(mktemp "$dir/.$(basename "$dest").containai-tmp.XXXXXX")
  if ! cat "$src" > "$tmp"; then rm -f "$tmp"; return 1; fi
  chmod "$mode" "$tmp"
  sync "$tmp"
  mv -f "$tmp" "$dest"
  sync "$dir"
}

# Atomically write text $2 (exactly, no newline added) to file $1, mode $3.
write_text() {
  local dest=$1 content=$2 mode=${3:-0644} src
  src=$(mktemp)
  printf '%s' "$content" > "$src"
  atomic_install "$src" "$dest" "$mode"
  rm -f "$src"
}

# A URL with any user:password@ replaced, for messages (never print credentials).
redact_url() {
  printf '%s\n' "$1" | sed -E 's#^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@#\1***@#'
}

# One containai change at a time on this host: every apply and remove script
# takes this lock first. It is held until the script exits, so steps of one
# run, a second `pulumi up`, and providers left running by a killed CLI (they
# finish their current step) never change the host side by side.
CONTAINAI_LOCK=${CONTAINAI_LOCK:-/run/lock/containai.lock}
host_lock() {
  local timeout=${CONTAINAI_LOCK_TIMEOUT:-900} holders quick
  mkdir -p "$(dirname "$CONTAINAI_LOCK")" 2>/dev/null || true
  # Created world-readable once; flock works on a read-only descriptor, so the
  # login user (contexts, no sudo) and root share it.
  [ -e "$CONTAINAI_LOCK" ] || (umask 022 && : > "$CONTAINAI_LOCK") 2>/dev/null || true
  exec 9<"$CONTAINAI_LOCK"
  quick=$(( timeout < 5 ? timeout : 5 ))
  # Steps of one run wait for each other briefly and silently.
  if flock -w "$quick" 9; then _lock_owned; return 0; fi
  holders=$(lslocks -n -o PID,PATH 2>/dev/null | awk -v f="$CONTAINAI_LOCK" '$2 == f {print $1}' | sort -u)
  owner=$(cut -d' ' -f1 "$CONTAINAI_LOCK.owner" 2>/dev/null || true)
  if [ -n "$owner" ] && printf '%s\n' "$holders" | grep -qx "$owner"; then
    # Another containai step holds it (a sibling of this run, e.g. an image
    # load, or another run): wait in line, without a warning.
    echo "waiting for the host lock (held by containai step PID $owner)" >&2
  else
    warn "the host lock $CONTAINAI_LOCK is held${holders:+ by PID }$(for pid in $holders; do printf '%s (%s) ' "$pid" "$(ps -o args= -p "$pid" 2>/dev/null | cut -c1-60)"; done): another pulumi run on this host, one whose CLI was killed, or another program is changing it; waiting up to ${timeout}s (docs/operations.md)"
  fi
  flock -w "$(( timeout - quick ))" 9 || die "gave up after ${timeout}s waiting for the host lock $CONTAINAI_LOCK; find the other run (another pulumi up on this host's stack, or a killed one: 'pulumi cancel' on its stack), let it finish, then retry" 6
  _lock_owned
}

# Record who holds the lock (this script's shell), so a waiting containai step
# can tell a sibling from a foreign holder. Best effort (the login user may
# not be able to write it).
_lock_owned() {
  { printf '%s containai-step\n' "$$" > "$CONTAINAI_LOCK.owner"; } 2>/dev/null || true
}

# First line of a host file containai-infra owns (and may rewrite or remove).
CONTAINAI_MARKER="# Managed by containai-infra"

# Whether file $1 is one of ours (starts with the marker).
ours() {
  [ -f "$1" ] || return 1
  case "$(head -n1 "$1")" in "$CONTAINAI_MARKER"*) return 0 ;; *) return 1 ;; esac
}

# sshd's effective value of one option (sshd -T, lower-case name), or nothing.
sshd_effective() {
  local bin
  bin=$(command -v sshd || echo /usr/sbin/sshd)
  [ -x "$bin" ] || return 0
  # awk reads to the end: an early exit would stop sshd with SIGPIPE (pipefail).
  "$bin" -T 2>/dev/null | awk -v k="$1" '$1 == k && !seen {print $2; seen = 1}'
}

# Reload sshd after a configuration change: open connections stay. Socket-
# activated sshd (ssh.socket) reads its configuration per connection.
sshd_reload() {
  local u
  for u in ssh.service sshd.service; do
    if systemctl is-active --quiet "$u" 2>/dev/null; then systemctl reload "$u"; return 0; fi
  done
  return 0
}

# Every container of the daemon at socket $1 with its named volumes: "name volume..." lines (two docker calls).
container_volumes() {
  local ids
  ids=$(docker -H "unix://$1" ps -aq 2>/dev/null || true)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086 # container IDs, split on purpose
  docker -H "unix://$1" inspect --type container -f '{{.Name}}{{range .Mounts}}{{if eq .Type "volume"}} {{.Name}}{{end}}{{end}}' $ids 2>/dev/null \
    | sed 's#^/##' || true
}

# From container_volumes lines $1: the containers other than $3 that mount volume $2, comma-separated.
volume_users_except() {
  printf '%s\n' "$1" | awk -v v="$2" -v c="$3" '$1 != c { for (i = 2; i <= NF; i++) if ($i == v) { print $1; break } }' | paste -sd, -
}

# Bind-mount sources, checked here on the host, every component as the kernel
# will resolve it. Safe means: no component is a symlink, no directory on the
# way can be changed by anyone but root or the login user (so what is checked
# is what is mounted, later too), not a socket or device, and it does not
# hold the login user's ~/.ssh. One `stat` for every component of every
# source (host CPU matters in a drift audit of many agents).

# SRC_INFO[path]="uid gid mode type" (lstat) for every component of paths $@.
declare -A SRC_INFO=()
src_stat() {
  local p cur seg n u g m t
  local -a all=(/) segs
  for p in "$@"; do
    cur=""
    IFS=/ read -r -a segs <<< "${p#/}"
    for seg in "${segs[@]}"; do [ -n "$seg" ] || continue; cur="$cur/$seg"; all+=("$cur"); done
  done
  # (Paths never hold '|' or blanks: the config refuses them.)
  while IFS='|' read -r n u g m t; do SRC_INFO[$n]="$u $g $m $t"; done \
    < <(stat -c '%n|%u|%g|%a|%F' -- "${all[@]}" 2>/dev/null || true)
}

# SRC_WHY := why path $1 may not be bind-mounted into an agent (after src_stat
# of it), or empty. With $2=missing-ok a path that does not exist yet (a
# workspace we create) is fine as far as it exists.
src_check() {
  local want=$1 missing_ok=${2:-} cur="" parent=/ seg owner group mode type cowner
  local trusted=" 0 ${SUDO_UID:-0} "
  local -a segs
  SRC_WHY=""
  IFS=/ read -r -a segs <<< "${want#/}"
  for seg in "${segs[@]}"; do
    [ -n "$seg" ] || continue
    cur="$cur/$seg"
    if [ -z "${SRC_INFO[$cur]:-}" ]; then
      [ -n "$missing_ok" ] || SRC_WHY="$cur does not exist on the host; create it (a directory or file of its own), or fix the path"
      return 0
    fi
    read -r owner group mode _ <<< "${SRC_INFO[$parent]}"
    if [[ $trusted != *" $owner "* ]]; then
      SRC_WHY="$parent belongs to uid $owner: $cur could be swapped (e.g. for a symlink) after this check; use a path whose directories belong to root"
      return 0
    fi
    if (( (8#$mode & 8#1000) == 0 && ((8#$mode & 8#002) != 0 || ((8#$mode & 8#020) != 0 && group != 0)) )); then
      SRC_WHY="$parent is writable by others (mode $mode): $cur could be swapped after this check; use a directory only root can write"
      return 0
    fi
    read -r cowner _ _ type <<< "${SRC_INFO[$cur]}"
    if (( (8#$mode & 8#1000) != 0 )) && [[ $trusted != *" $cowner "* ]]; then
      SRC_WHY="$cur belongs to uid $cowner inside the shared directory $parent: it could be swapped after this check; use a path whose directories belong to root"
      return 0
    fi
    if [ "${type%% *}" = symbolic ]; then
      SRC_WHY="$cur is a symlink (to $(readlink "$cur")): the agent would get what it points to; mount the real path, after checking that it is safe to share"
      return 0
    fi
    parent=$cur
  done
  read -r _ _ _ type <<< "${SRC_INFO[$want]:-- - - -}"
  case "${type%% *}" in
    socket|block|character|fifo)
      SRC_WHY="$want is a socket, device or pipe: host sockets and devices are not passed into agents"
      return 0 ;;
  esac
  if [ -n "$SRC_HOME" ] && [ "$SRC_HOME" != / ] \
     && { [ "$want" = / ] || [[ "$SRC_HOME/.ssh/" == "$want/"* ]] || [[ "$want/" == "$SRC_HOME/.ssh/"* ]]; }; then
    SRC_WHY="$want holds $SRC_HOME/.ssh, the login user's SSH keys; mount a directory of its own"
  fi
  return 0
}

# The login user's home (whose ~/.ssh no source may hold).
src_home() {
  SRC_HOME=$(getent passwd "${SUDO_USER:-$(id -un)}" | cut -d: -f6)
}

# Why host path $1 may not be bind-mounted into an agent (nothing when it is
# safe); $2=missing-ok as for src_check.
source_problem() {
  src_stat "$1"
  src_home
  src_check "$1" "${2:-}"
  [ -z "$SRC_WHY" ] || echo "$SRC_WHY"
}

# Every problem of SOURCES lines "agent key path [missing-ok]", as
# "agent key: path is refused on the host: reason" lines; nothing when all are safe.
sources_problems() {
  local agent key p opt
  local -a paths=()
  while read -r agent key p opt; do [ -n "$key" ] && paths+=("$p"); done <<< "$1"
  [ "${#paths[@]}" -gt 0 ] || return 0
  src_stat "${paths[@]}"
  src_home
  while read -r agent key p opt; do
    [ -n "$key" ] || continue
    src_check "$p" "$opt"
    [ -z "$SRC_WHY" ] || echo "$agent $key: \"$p\" is refused on the host: $SRC_WHY"
  done <<< "$1"
}

